//! `--with-shares`: after a restore or a migration, each written calendar is shared again
//! with the people it was shared with on the source, by `POST` of `CS:share`, on a target
//! that speaks CalendarServer sharing.
//!
//! Sharees named by `mailto:` are named so again; a sharee named by a principal URL of the
//! source server is re-based onto the target's principal collection by their principal
//! name (the last path segment), since principal URLs differ between servers.

use std::fmt;

use client::{Sharee, Url};

use super::plan::RestorePlan;
use super::SourceCalendar;
use crate::caldav::CalDav;
use crate::error::with_causes;

/// What sharing the calendars again did.
#[derive(Debug, Default)]
pub struct SharesRestored {
    pub calendars: Vec<ShareOutcome>,
    /// The target does not support CS:share: nothing was shared.
    pub unsupported: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ShareOutcome {
    Shared { calendar: String, with: Vec<String> },
    Failed { calendar: String, reason: String },
}

/// Shares every calendar of `plan` whose source was shared. `start` is the target URL the
/// restore was given (its principal is found from it).
pub async fn restore_shares(
    target: &dyn CalDav,
    start: &Url,
    plan: &RestorePlan,
    sources: &[SourceCalendar],
) -> SharesRestored {
    let mut done = SharesRestored::default();
    let shared: Vec<(&str, &Url, &[Sharee])> = plan
        .calendars
        .iter()
        .filter_map(|p| {
            let source = sources.iter().find(|s| s.name == p.source)?;
            (!source.sharees.is_empty()).then_some((
                p.target.as_str(),
                &p.url,
                source.sharees.as_slice(),
            ))
        })
        .collect();
    let Some((_, first_url, _)) = shared.first() else {
        return done;
    };
    match target.supports_sharing(first_url).await {
        Ok(true) => {}
        Ok(false) => {
            done.unsupported = true;
            return done;
        }
        Err(e) => {
            done.calendars.push(ShareOutcome::Failed {
                calendar: shared[0].0.to_owned(),
                reason: with_causes(&e),
            });
            return done;
        }
    }
    let principals = principal_collection(target, start).await;
    for (calendar, url, sharees) in shared {
        let rebased: Vec<Sharee> = sharees
            .iter()
            .map(|s| Sharee {
                href: rebase(&s.href, principals.as_ref()),
                ..s.clone()
            })
            .collect();
        let outcome = match target.share(url, &rebased).await {
            Ok(()) => ShareOutcome::Shared {
                calendar: calendar.to_owned(),
                with: rebased.iter().map(describe).collect(),
            },
            Err(e) => ShareOutcome::Failed {
                calendar: calendar.to_owned(),
                reason: with_causes(&e),
            },
        };
        done.calendars.push(outcome);
    }
    done
}

/// The collection holding the target's principals: the parent of the account's principal.
async fn principal_collection(target: &dyn CalDav, start: &Url) -> Option<Url> {
    let principal = target.discover(start).await.ok()?.principal?;
    let path = principal.path.trim_end_matches('/');
    let parent = &path[..path.rfind('/')? + 1];
    principal.join(parent).ok()
}

/// `href` as the target names the same person.
fn rebase(href: &str, principals: Option<&Url>) -> String {
    if href.starts_with("mailto:") {
        return href.to_owned();
    }
    let Some(principals) = principals else {
        return href.to_owned();
    };
    let name = href.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if name.is_empty() {
        return href.to_owned();
    }
    format!("{}{name}/", principals.path)
}

fn describe(s: &Sharee) -> String {
    let access = if s.read_write { "read-write" } else { "read" };
    format!("{} ({access})", s.href)
}

impl SharesRestored {
    /// What went wrong, when some calendars could not be shared again.
    pub fn failure_note(&self) -> Option<String> {
        let failed: Vec<String> = self
            .calendars
            .iter()
            .filter_map(|c| match c {
                ShareOutcome::Failed { calendar, reason } => Some(format!("{calendar}: {reason}")),
                ShareOutcome::Shared { .. } => None,
            })
            .collect();
        if self.unsupported {
            return Some(
                "the target server does not support calendar sharing (no calendarserver-sharing \
                 in its DAV header): the calendars were restored, the shares were not"
                    .into(),
            );
        }
        (!failed.is_empty()).then(|| {
            format!(
                "{} calendar(s) could not be shared again:\n  {}",
                failed.len(),
                failed.join("\n  ")
            )
        })
    }
}

impl fmt::Display for SharesRestored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared: Vec<String> = self
            .calendars
            .iter()
            .filter_map(|c| match c {
                ShareOutcome::Shared { calendar, with } => {
                    Some(format!("{calendar}: shared with {}", with.join(", ")))
                }
                ShareOutcome::Failed { .. } => None,
            })
            .collect();
        match shared.is_empty() {
            true => write!(f, "shares: none restored"),
            false => write!(f, "shares restored:\n  {}", shared.join("\n  ")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn principal_hrefs_move_to_the_target_and_addresses_stay() {
        let target = Url::parse("https://new.example/remote.php/dav/principals/users/").unwrap();
        assert_eq!(
            rebase("/dav/principals/bob/", Some(&target)),
            "/remote.php/dav/principals/users/bob/"
        );
        assert_eq!(
            rebase("https://old.example/dav/principals/bob", Some(&target)),
            "/remote.php/dav/principals/users/bob/"
        );
        assert_eq!(
            rebase("mailto:bob@example.org", Some(&target)),
            "mailto:bob@example.org"
        );
        assert_eq!(rebase("/dav/principals/bob/", None), "/dav/principals/bob/");
    }
}
