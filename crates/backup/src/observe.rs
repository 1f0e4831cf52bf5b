//! How a run tells its caller what it is doing: a stream of [`Event`]s to an
//! [`Observer`]. The command line turns them into progress bars and notes on standard
//! error; tests record them. The engine itself never prints.

/// Something a run did or is about to do.
#[derive(Debug)]
pub enum Event<'a> {
    /// Discovery of the account's calendars began (its length is not known).
    Discovering,
    /// The calendars a backup will read, by name.
    Selected { calendars: &'a [String] },
    /// The server refused the previous sync token (or truncated its answer): this
    /// calendar is compared by ETag instead.
    SyncFallback {
        calendar: &'a str,
        reason: &'a client::Error,
    },
    /// Objects of one calendar are about to be fetched.
    Fetching { calendar: &'a str, objects: u64 },
    /// A batch arrived: this many objects, this many bytes.
    Fetched { objects: u64, bytes: u64 },
    /// The calendar's fetching ended.
    FetchDone,
    /// A restore starts writing this many objects.
    Writing { writes: u64 },
    /// `count` more writes were done (or given up, when their calendar failed).
    Wrote { count: u64 },
    /// The writing ended.
    WritingDone,
    /// A calendar was created, but the server refused some of its properties.
    CreatedWithout {
        calendar: &'a str,
        refused: &'a [String],
    },
    /// An export writes this many objects.
    Exporting { objects: u64 },
    /// One more object was exported.
    Exported,
    /// The export ended.
    ExportDone,
}

/// Receives a run's events. Called from the run's task; keep it quick.
pub trait Observer: Send + Sync {
    fn event(&self, event: Event<'_>);
}

/// An observer that ignores everything.
pub struct Quiet;

impl Observer for Quiet {
    fn event(&self, _: Event<'_>) {}
}
