//! The last request this server saw from calvault's backup tool, for the Administration
//! page's "Last backup". The backup tool is a CalDAV client that may run on any machine and
//! keeps its record in its own repository (`calvault snapshots`), so all the server can say
//! is when it last served it: the tool sends `calvault-backup/VERSION` as its User-Agent
//! (crates/backup/src/caldav.rs). Kept in memory only, per node and since it started: a
//! status line is not worth a table, and a restart forgetting it is said on the page.

use std::sync::Mutex;

/// The User-Agent prefix of the backup tool (crates/backup/src/caldav.rs, `client_for`).
pub const AGENT_PREFIX: &str = "calvault-backup/";

/// One authenticated request of the backup tool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Milliseconds since the epoch.
    pub at: i64,
    pub user: String,
    /// The whole User-Agent, which carries the tool's version.
    pub agent: String,
}

#[derive(Default)]
pub struct LastBackup(Mutex<Option<Seen>>);

impl LastBackup {
    /// Notes an authenticated request when its User-Agent is the backup tool's. Called for
    /// every DAV request, so anything else costs one prefix check.
    pub fn note(&self, agent: Option<&str>, user: &str) {
        if let Some(agent) = agent.filter(|a| a.starts_with(AGENT_PREFIX)) {
            self.note_at(agent, user, store::db::now_ms());
        }
    }

    /// A backup run's many requests by the same user and tool only move the time.
    fn note_at(&self, agent: &str, user: &str, at: i64) {
        let Ok(mut last) = self.0.lock() else {
            return;
        };
        match last.as_mut() {
            Some(seen) if seen.user == user && seen.agent == agent => seen.at = at,
            _ => {
                *last = Some(Seen {
                    at,
                    user: user.to_owned(),
                    agent: agent.to_owned(),
                })
            }
        }
    }

    pub fn get(&self) -> Option<Seen> {
        self.0.lock().ok().and_then(|s| s.clone())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_the_backup_tools_requests_are_noted_and_the_latest_wins() {
        let last = LastBackup::default();
        last.note(Some("DAVx5/4.4"), "ann");
        last.note(None, "ann");
        // The prefix, not a mention: another client naming the tool is not it.
        last.note(Some("curl (like calvault-backup/1.0)"), "ann");
        assert_eq!(last.get(), None);
        last.note(Some("calvault-backup/0.1.0"), "ann");
        assert_eq!(last.get().unwrap().user, "ann");
        last.note_at("calvault-backup/0.1.0", "ann", 11);
        last.note_at("calvault-backup/0.1.0", "bob", 12);
        let seen = last.get().unwrap();
        assert_eq!(
            (seen.at, seen.user.as_str(), seen.agent.as_str()),
            (12, "bob", "calvault-backup/0.1.0")
        );
    }
}
