//! A whole restore or migration, the order of its steps and what decides its outcome: the
//! plan is shown before anything is written, and a run where any write or share failed
//! ends in [`Error::Partial`] after everything it could do was done.

use std::fmt::Display;

use client::Url;

use super::{carry_out, plan, restore_shares, Options, Outcome, SourceCalendar};
use crate::caldav::CalDav;
use crate::error::{Error, Result};
use crate::observe::Observer;

/// Plans the writes of `sources` into `target`, shows the plan, carries it out (unless it
/// is a dry run) and, with `with_shares`, shares the written calendars again. `show`
/// receives each report (plan, writes, shares) as soon as it is known.
pub async fn write_all(
    target: &dyn CalDav,
    start: &Url,
    sources: &[SourceCalendar],
    options: &Options,
    with_shares: bool,
    observer: &dyn Observer,
    show: &mut dyn FnMut(&dyn Display),
) -> Result<()> {
    let plan = plan(target, start, sources, options).await?;
    show(&plan);
    let applied = match carry_out(target, &plan, observer).await? {
        Outcome::DryRun => {
            show(&"dry run: nothing was written");
            return Ok(());
        }
        Outcome::Applied(applied) => applied,
    };
    show(&applied);
    let mut notes: Vec<String> = applied.failure_note().into_iter().collect();
    if with_shares {
        let shares = restore_shares(target, start, &plan, sources).await;
        show(&shares);
        notes.extend(shares.failure_note());
    }
    match notes.is_empty() {
        true => Ok(()),
        false => Err(Error::Partial(notes.join("\n"))),
    }
}
