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

impl Event<'_> {
    /// What a person watching the run should read about it, beyond its progress: the
    /// calendars selected, a fallback to ETags, properties a server refused.
    pub fn note(&self) -> Option<String> {
        match self {
            Event::Selected { calendars } => Some(format!(
                "{} calendar(s) to back up: {}",
                calendars.len(),
                calendars.join(", ")
            )),
            Event::SyncFallback { calendar, reason } => {
                Some(format!("{calendar}: {reason}; comparing ETags instead"))
            }
            Event::CreatedWithout { calendar, refused } => Some(format!(
                "{calendar}: created, but the server refused: {}",
                refused.join(", ")
            )),
            _ => None,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::Event;

    #[test]
    fn notes_are_for_what_a_person_should_read() {
        let calendars = ["work".to_owned(), "home".to_owned()];
        let selected = Event::Selected {
            calendars: &calendars,
        };
        assert_eq!(
            selected.note().as_deref(),
            Some("2 calendar(s) to back up: work, home")
        );
        let refused = ["calendar-color".to_owned()];
        let created = Event::CreatedWithout {
            calendar: "work",
            refused: &refused,
        };
        assert_eq!(
            created.note().as_deref(),
            Some("work: created, but the server refused: calendar-color")
        );
        assert_eq!(
            Event::Fetched {
                objects: 1,
                bytes: 2
            }
            .note(),
            None
        );
    }
}
