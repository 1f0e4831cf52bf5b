//! Carrying out a plan: the conflict policy's last word (`Fail` writes nothing), the dry
//! run, then each calendar's creation, properties and writes. A failed write is recorded
//! and the rest go on; running the same restore again retries what failed.

use client::{MkcalendarOutcome, WriteCondition, WriteOutcome};

use super::plan::{Action, CalendarPlan, RestorePlan, Write};
use super::OnConflict;
use crate::caldav::CalDav;
use crate::error::{Error, Result};
use crate::observe::{Event, Observer};

/// What carrying out a plan did.
#[derive(Debug)]
pub enum Outcome {
    /// A dry run: nothing was written.
    DryRun,
    Applied(Applied),
}

/// The writes of a plan that was carried out.
#[derive(Debug, Default)]
pub struct Applied {
    pub written: u64,
    pub deleted: u64,
    /// From the plan, for the summary.
    pub unchanged: usize,
    pub conflicts: usize,
    pub failed: Vec<WriteFailure>,
    /// Requests the target client sent, planning included.
    pub requests: u64,
}

/// A write that did not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteFailure {
    /// The target calendar.
    pub calendar: String,
    pub kind: FailureKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// MKCALENDAR failed, so none of the calendar's objects were written.
    CalendarNotCreated { reason: String, objects: usize },
    /// A calendar property the server refused.
    PropertyRefused(String),
    /// 412: the object changed on the target after the plan was made.
    ChangedMeanwhile { object: String },
    /// Another refusal, with the server's precondition element or body.
    Refused {
        object: String,
        status: u16,
        condition: Option<String>,
        body: String,
    },
    /// The request itself failed.
    Failed { object: String, reason: String },
}

/// Writes the plan, unless the policy or a dry run says not to.
pub async fn carry_out(
    target: &dyn CalDav,
    plan: &RestorePlan,
    observer: &dyn Observer,
) -> Result<Outcome> {
    let conflicts = plan.conflict_count();
    if plan.on_conflict == OnConflict::Fail && conflicts > 0 {
        return Err(Error::Conflicts { count: conflicts });
    }
    if plan.dry_run {
        return Ok(Outcome::DryRun);
    }
    let mut applied = Applied {
        unchanged: plan.unchanged_count(),
        conflicts,
        ..Applied::default()
    };
    observer.event(Event::Writing {
        writes: plan.write_count() as u64,
    });
    for calendar in &plan.calendars {
        if !prepare_calendar(target, calendar, &mut applied, observer).await? {
            observer.event(Event::Wrote {
                count: calendar.writes.len() as u64,
            });
            continue;
        }
        for write in calendar.ordered_writes() {
            let outcome = send(target, write).await;
            observer.event(Event::Wrote { count: 1 });
            applied.record(&calendar.target, write, outcome);
        }
    }
    observer.event(Event::WritingDone);
    applied.requests = target.requests();
    Ok(Outcome::Applied(applied))
}

/// Creates the calendar and sets its properties. False when it could not be created: its
/// objects cannot go anywhere (the other calendars still can).
async fn prepare_calendar(
    target: &dyn CalDav,
    calendar: &CalendarPlan,
    applied: &mut Applied,
    observer: &dyn Observer,
) -> Result<bool> {
    if let Some(props) = &calendar.create {
        match target.mkcalendar(&calendar.url, props).await {
            Ok(MkcalendarOutcome::CreatedWithout(refused)) if !refused.is_empty() => observer
                .event(Event::CreatedWithout {
                    calendar: &calendar.target,
                    refused: &refused,
                }),
            Ok(_) => {}
            Err(e) => {
                applied.fail(
                    calendar,
                    FailureKind::CalendarNotCreated {
                        reason: e.to_string(),
                        objects: calendar.writes.len(),
                    },
                );
                return Ok(false);
            }
        }
    }
    if calendar.set_props != client::CalendarProps::default() {
        for refused in target
            .proppatch_each(&calendar.url, &calendar.set_props)
            .await?
        {
            applied.fail(calendar, FailureKind::PropertyRefused(refused));
        }
    }
    Ok(true)
}

async fn send(target: &dyn CalDav, write: &Write) -> client::Result<WriteOutcome> {
    match &write.action {
        Action::Create { url, data } => {
            target.put(url, data.clone(), &WriteCondition::Create).await
        }
        Action::Update { url, etag, data } => {
            let condition = WriteCondition::Replace(etag.clone());
            target.put(url, data.clone(), &condition).await
        }
        Action::Delete { url, etag } => target.delete(url, Some(etag)).await,
    }
}

impl Applied {
    fn fail(&mut self, calendar: &CalendarPlan, kind: FailureKind) {
        self.failed.push(WriteFailure {
            calendar: calendar.target.clone(),
            kind,
        });
    }

    fn record(&mut self, calendar: &str, write: &Write, outcome: client::Result<WriteOutcome>) {
        let object = write.name.clone();
        let kind = match outcome {
            Ok(WriteOutcome::Written { .. }) => {
                match write.action {
                    Action::Delete { .. } => self.deleted += 1,
                    _ => self.written += 1,
                }
                return;
            }
            Ok(WriteOutcome::PreconditionFailed) => FailureKind::ChangedMeanwhile { object },
            Ok(WriteOutcome::Rejected {
                status,
                condition,
                body,
            }) => FailureKind::Refused {
                object,
                status,
                condition,
                body,
            },
            Err(e) => FailureKind::Failed {
                object,
                reason: e.to_string(),
            },
        };
        self.failed.push(WriteFailure {
            calendar: calendar.to_owned(),
            kind,
        });
    }
}
