//! How a backup run describes itself to the user.

use std::fmt;

use super::{BackupReport, CalendarFailure};
use crate::units::human_bytes;

impl fmt::Display for BackupReport {
    /// Two lines: what the snapshot holds, and what this run did.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.snapshot.summary;
        writeln!(
            f,
            "snapshot {} saved: {} calendar(s), {} objects ({})",
            self.id.short(),
            s.calendars,
            s.objects,
            human_bytes(s.bytes)
        )?;
        write!(
            f,
            "  {} new, {} changed, {} removed; {} objects fetched in {} requests; {} added to \
             the repository; {:.1} s{}",
            s.new,
            s.changed,
            s.removed,
            self.fetched,
            s.requests,
            human_bytes(s.bytes_added),
            s.duration_ms as f64 / 1000.0,
            if self.snapshot.full_scan {
                " (full comparison)"
            } else {
                ""
            }
        )?;
        if !self.shared_left_out.is_empty() {
            write!(
                f,
                "\n  left out {} calendar(s) other people share with this account ({}); \
                 --include-shared backs them up too",
                self.shared_left_out.len(),
                self.shared_left_out.join(", ")
            )?;
        }
        Ok(())
    }
}

impl BackupReport {
    /// What went wrong, when some calendars could not be read.
    pub fn failure_note(&self) -> Option<String> {
        if self.failures.is_empty() {
            return None;
        }
        let lines: Vec<String> = self.failures.iter().map(|f| f.to_string()).collect();
        Some(format!(
            "snapshot {} was saved, but {} calendar(s) could not be read (their previous copy, \
             if any, was kept):\n  {}",
            self.id.short(),
            self.failures.len(),
            lines.join("\n  ")
        ))
    }
}

impl fmt::Display for CalendarFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.calendar, self.reason)
    }
}
