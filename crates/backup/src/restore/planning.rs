//! Making the plan: find the target's calendars, read each one a source goes into, and
//! let the policy decide every write.

use client::{Discovery, Url};

use super::held::Held;
use super::mapping::{check_distinct_targets, target_name};
use super::plan::{encode_segment, CalendarPlan, RestorePlan};
use super::policy::{plan_objects, plan_properties};
use super::{Options, SourceCalendar};
use crate::caldav::CalDav;
use crate::discover::target_calendars;
use crate::error::{Error, Result};

/// Compares the sources with what the target holds and decides every write.
pub async fn plan(
    target: &dyn CalDav,
    start: &Url,
    sources: &[SourceCalendar],
    options: &Options,
) -> Result<RestorePlan> {
    let discovery = target_calendars(target, start).await?;
    check_distinct_targets(&options.calendars, sources)?;
    let mut calendars = Vec::new();
    for source in sources {
        calendars.push(plan_calendar(target, &discovery, source, options).await?);
    }
    Ok(RestorePlan {
        calendars,
        on_conflict: options.on_conflict,
        dry_run: options.dry_run,
    })
}

async fn plan_calendar(
    target: &dyn CalDav,
    discovery: &Discovery,
    source: &SourceCalendar,
    options: &Options,
) -> Result<CalendarPlan> {
    let name = target_name(&options.calendars, source);
    // By URL name first; a display name only when no URL name matches.
    let existing = discovery
        .calendars
        .iter()
        .find(|c| c.name == name)
        .or_else(|| {
            discovery
                .calendars
                .iter()
                .find(|c| c.props.displayname.as_deref() == Some(name.as_str()))
        });
    let mut plan = CalendarPlan {
        source: source.name.clone(),
        url: match existing {
            Some(c) => c.url.clone(),
            None => new_calendar_url(discovery, &name)?,
        },
        target: name,
        create: existing.is_none().then(|| source.props.clone()),
        set_props: client::CalendarProps::default(),
        writes: Vec::new(),
        unchanged: 0,
        conflicts: Vec::new(),
    };
    let held = match existing {
        Some(calendar) => {
            plan_properties(
                &mut plan,
                &source.props,
                &calendar.props,
                options.on_conflict,
            );
            Held::read(target, &plan.url).await?
        }
        None => Held::default(),
    };
    plan_objects(&mut plan, source, &held, options)?;
    Ok(plan)
}

/// Where a new calendar goes: below the target's first calendar home.
fn new_calendar_url(discovery: &Discovery, name: &str) -> Result<Url> {
    let Some(home) = discovery.homes.first() else {
        return Err(Error::SingleCalendarTarget {
            name: name.to_owned(),
        });
    };
    let mut url = home.clone();
    if !url.path.ends_with('/') {
        url.path.push('/');
    }
    url.path.push_str(&encode_segment(name));
    url.path.push('/');
    Ok(url)
}
