//! Progress on standard error: bars for long steps, drawn only when it is a terminal (so
//! logs and scripts get the final summaries alone), and the backup engine's notes.

use std::sync::Mutex;

use backup::{Event, Observer};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar counting items, with bytes or another detail in the message.
pub fn counter(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{prefix:>12} [{bar:30}] {pos}/{len} {msg} ({elapsed}, {eta} left)",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(what.to_owned());
    bar
}

/// Shows `done` of `total` on the bar (for library callbacks that count as they go).
pub fn show(bar: &ProgressBar, done: usize, total: usize) {
    bar.set_length(total as u64);
    bar.set_position(done as u64);
}

/// A spinner for steps whose length is not known (discovery).
fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{prefix:>12} {spinner} {pos} {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_prefix(what.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// The engine's events as bars and notes.
#[derive(Default)]
pub struct Bars {
    /// The bar of the step under way, and the bytes it has counted.
    current: Mutex<Option<(ProgressBar, u64)>>,
}

impl Bars {
    fn start(&self, bar: ProgressBar) {
        if let Some((old, _)) = self.slot().replace((bar, 0)) {
            old.finish_and_clear();
        }
    }

    fn finish(&self) {
        if let Some((bar, _)) = self.slot().take() {
            bar.finish_and_clear();
        }
    }

    fn advance(&self, items: u64, bytes: u64) {
        if let Some((bar, total)) = self.slot().as_mut() {
            bar.inc(items);
            if bytes > 0 {
                *total += bytes;
                bar.set_message(format!("{} fetched", backup::human_bytes(*total)));
            }
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<(ProgressBar, u64)>> {
        // A bar is only drawing state: a panic elsewhere leaves nothing to protect.
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Observer for Bars {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Discovering => self.start(spinner("discovering")),
            Event::Fetching { calendar, objects } => self.start(counter(objects, calendar)),
            Event::Fetched { objects, bytes } => self.advance(objects, bytes),
            Event::Writing { writes } => self.start(counter(writes, "writing")),
            Event::Wrote { count } => self.advance(count, 0),
            Event::Exporting { objects } => self.start(counter(objects, "exporting")),
            Event::Exported => self.advance(1, 0),
            Event::Selected { .. } | Event::FetchDone | Event::WritingDone | Event::ExportDone => {
                self.finish()
            }
            Event::SyncFallback { .. } | Event::CreatedWithout { .. } => {}
        }
        if let Some(note) = event.note() {
            eprintln!("{note}");
        }
    }
}
