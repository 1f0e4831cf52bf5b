//! The administrator's restores (`calvault undelete | revert | rollback`): the command's
//! words made into a [`RestoreRequest`], decided and carried out by `dav::history`, and its
//! refusals worded for the command that met them. The administrator restores regardless of
//! quota; every restore is planned first so a dry run can show it.

use dav::history::{self, Done, DoneText, PlanText, Prepared, Refused, RestoreRequest, RevertTo};
use store::{HistoryCollection, Store};

use super::{change, parse_time, AdminError, Target};

/// A restore the administrator asked for, not yet planned.
pub struct Restore<'a> {
    command: &'static str,
    owner: &'a str,
    calendar: &'a HistoryCollection,
    /// Or why the words made no request: reported only after the calendar's state, which
    /// comes first (see `dav::history::prepare`).
    request: Result<RestoreRequest, AdminError>,
}

impl<'a> Restore<'a> {
    /// `undelete USER/CALENDAR/OBJECT`, `undelete USER/CALENDAR --deleted-since TIME`, or
    /// `undelete USER/CALENDAR` (the deleted calendar itself).
    pub fn undelete(target: &'a Target, deleted_since: Option<&str>) -> Result<Self, AdminError> {
        let request = match (&target.object, deleted_since) {
            (Some(name), None) => Ok(RestoreRequest::Undelete {
                object: name.clone(),
            }),
            (None, Some(since)) => {
                parse_time(since).map(|since| RestoreRequest::UndeleteSince { since })
            }
            (Some(_), Some(_)) => Err(AdminError::ObjectAndDeletedSince),
            (None, None) => Ok(RestoreRequest::Calendar),
        };
        Self::new("undelete", target, request)
    }

    /// `revert USER/CALENDAR/OBJECT --to VERSION|TIME`.
    pub fn revert(target: &'a Target, to: &str) -> Result<Self, AdminError> {
        target.calendar("revert")?;
        let object = target.object("revert")?.to_owned();
        let to = match to.parse::<i64>() {
            Ok(id) => Ok(RevertTo::Version(id)),
            Err(_) => parse_time(to).map(RevertTo::Time),
        };
        let request = to.map(|to| RestoreRequest::Revert { object, to });
        Self::new("revert", target, request)
    }

    /// `rollback USER/CALENDAR --to TIME`, or `--client TEXT --since TIME`.
    pub fn rollback(
        target: &'a Target,
        to: Option<&str>,
        client: Option<&str>,
        since: Option<&str>,
    ) -> Result<Self, AdminError> {
        target.calendar("rollback")?;
        if target.object.is_some() {
            return Err(AdminError::RollbackOfOneEvent);
        }
        let request = match (to, client, since) {
            (Some(to), None, _) => parse_time(to).map(|to| RestoreRequest::Rollback { to }),
            (None, Some(client), Some(since)) => {
                parse_time(since).map(|since| RestoreRequest::RollbackClient {
                    client: client.to_owned(),
                    since,
                })
            }
            _ => Err(AdminError::RollbackNeedsTimeOrClient),
        };
        Self::new("rollback", target, request)
    }

    fn new(
        command: &'static str,
        target: &'a Target,
        request: Result<RestoreRequest, AdminError>,
    ) -> Result<Self, AdminError> {
        Ok(Restore {
            command,
            owner: &target.user.name,
            calendar: target.calendar(command)?,
            request,
        })
    }

    /// Checks the request against the calendar and plans it.
    pub async fn prepare(self, store: &dyn Store) -> Result<Planned<'a>, AdminError> {
        let prepared = history::prepare(store, self.calendar, self.request, None)
            .await
            .map_err(|r| refusal(r, self.command, self.calendar))?;
        Ok(Planned {
            command: self.command,
            owner: self.owner,
            calendar: self.calendar,
            prepared,
        })
    }
}

/// A planned restore: shown first, then carried out (unless it is a dry run).
pub struct Planned<'a> {
    command: &'static str,
    owner: &'a str,
    calendar: &'a HistoryCollection,
    pub prepared: Prepared,
}

impl Planned<'_> {
    pub fn plan(&self) -> PlanText<'_> {
        PlanText {
            owner: self.owner,
            prepared: &self.prepared,
        }
    }

    /// True when every object already matches: there is nothing to carry out.
    pub fn changes_nothing(&self) -> bool {
        self.prepared.changes_nothing()
    }

    /// Carries it out as new writes recorded as the administrator's.
    pub async fn carry_out(&self, store: &dyn Store) -> Result<Done, AdminError> {
        let change = change(self.command);
        history::carry_out(store, &self.prepared, &change, None)
            .await
            .map_err(|r| refusal(r, self.command, self.calendar))
    }

    /// What carrying it out did, as text.
    pub fn outcome<'b>(&'b self, done: &'b Done) -> DoneText<'b> {
        DoneText {
            owner: self.owner,
            prepared: &self.prepared,
            done,
        }
    }
}

/// A refusal in the words of the command that met it.
fn refusal(r: Refused<AdminError>, command: &str, calendar: &HistoryCollection) -> AdminError {
    let at = || format!("{}/{}", calendar.owner_name, calendar.collection.path);
    match r {
        Refused::CalendarDeleted if command == "undelete" => {
            AdminError::UndeleteCalendarFirst(at())
        }
        Refused::CalendarDeleted => AdminError::CalendarDeleted,
        Refused::CalendarNotDeleted => AdminError::CalendarNotDeleted(at()),
        Refused::PathTaken => AdminError::PathTaken(at()),
        Refused::OverQuota { size, quota } => AdminError::OverQuota { size, quota },
        Refused::Invalid(e) => e,
        Refused::Plan(e) => AdminError::Refused(e.detail),
        Refused::Store(e) => AdminError::Store(e),
    }
}
