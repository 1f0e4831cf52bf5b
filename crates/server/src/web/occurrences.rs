//! What a calendar holds in a span of days, for the agenda, week and month views: every
//! event instance in the span, expanded by the engine's own recurrence expansion
//! (`ical::instances`, the same that answers calendar-query), shown in the user's zone; and
//! the calendar's tasks with their due dates.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use ical::{ComponentKind, EvalContext, TimeRange};
use store::{Collection, Store};

use super::error::WebError;

/// One instance of an event.
#[derive(Clone, Debug)]
pub struct Occurrence {
    /// The object's name in its calendar.
    pub object: String,
    pub summary: String,
    pub location: Option<String>,
    pub start: DateTime<Tz>,
    pub end: DateTime<Tz>,
    pub all_day: bool,
    pub recurring: bool,
}

impl Occurrence {
    /// The days (in the user's zone) this instance is on, first to last.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let first = self.start.date_naive();
        // An instance ending at midnight does not reach into that day; all-day ends are
        // exclusive (RFC 5545 §3.6.1).
        let last = match self.end > self.start {
            true => (self.end - chrono::TimeDelta::seconds(1)).date_naive(),
            false => first,
        };
        first.iter_days().take_while(move |d| *d <= last.max(first))
    }
}

/// A task (VTODO) of the calendar.
#[derive(Clone, Debug)]
pub struct Task {
    pub summary: String,
    pub due: Option<DateTime<Tz>>,
    pub done: bool,
}

/// Instances of the calendar's events overlapping `[from, to)` (UTC seconds), by start,
/// with a note for each object that could not be expanded.
pub async fn events(
    store: &dyn Store,
    calendar: &Collection,
    from: i64,
    to: i64,
    zone: Tz,
    max_instances: u32,
) -> Result<(Vec<Occurrence>, Vec<String>), WebError> {
    let metas = store
        .objects_in_range(calendar.id, Some("VEVENT"), Some(from), Some(to))
        .await?;
    let names: Vec<String> = metas.into_iter().map(|m| m.name).collect();
    let objects = store.objects_by_name(calendar.id, &names).await?;
    let ctx = EvalContext {
        floating_tz: Some(zone),
        max_instances,
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for o in &objects {
        let Some(root) = super::calendars::parsed(&o.data) else {
            continue;
        };
        let range = TimeRange::new(Some(from), Some(to));
        match ical::instances(&root, Some(ComponentKind::Event), range, &ctx) {
            Ok(found) => {
                for i in found {
                    let text = |name: &str| {
                        i.component
                            .property(name)
                            .map(|p| ical::unescape_text(&p.value))
                            .filter(|t| !t.trim().is_empty())
                    };
                    let (Some(start), Some(end)) = (local(zone, i.start), local(zone, i.end))
                    else {
                        continue;
                    };
                    out.push(Occurrence {
                        object: o.meta.name.clone(),
                        summary: text("SUMMARY").unwrap_or_else(|| "(no title)".into()),
                        location: text("LOCATION"),
                        start,
                        end,
                        all_day: i.is_date,
                        recurring: i.recurrence_id.is_some(),
                    });
                }
            }
            Err(e) => problems.push(format!("{}: {e}", o.meta.name)),
        }
    }
    out.sort_by_key(|o| (o.start, o.end, o.summary.clone()));
    Ok((out, problems))
}

fn local(zone: Tz, utc_seconds: i64) -> Option<DateTime<Tz>> {
    DateTime::from_timestamp(utc_seconds, 0).map(|t| t.with_timezone(&zone))
}

/// The calendar's tasks: open ones first by due date, then done ones.
pub async fn tasks(
    store: &dyn Store,
    calendar: &Collection,
    zone: Tz,
) -> Result<Vec<Task>, WebError> {
    let names: Vec<String> = store
        .objects(calendar.id)
        .await?
        .into_iter()
        .filter(|m| m.index.component.as_deref() == Some("VTODO"))
        .map(|m| m.name)
        .collect();
    let mut out = Vec::new();
    for o in store.objects_by_name(calendar.id, &names).await? {
        let Some(root) = super::calendars::parsed(&o.data) else {
            continue;
        };
        let Some(todo) = root
            .components
            .iter()
            .find(|c| c.name == "VTODO" && c.property("RECURRENCE-ID").is_none())
        else {
            continue;
        };
        let summary = todo
            .property("SUMMARY")
            .map(|p| ical::unescape_text(&p.value))
            .unwrap_or_else(|| "(no title)".into());
        let due = todo.property("DUE").and_then(|p| {
            let zone_of_value = p.param("TZID").and_then(ical::tz::resolve_tzid);
            date_time(&p.value, zone_of_value.unwrap_or(zone), zone)
        });
        let done = todo
            .property("STATUS")
            .is_some_and(|p| p.value.eq_ignore_ascii_case("COMPLETED"))
            || todo.property("COMPLETED").is_some();
        out.push(Task { summary, due, done });
    }
    out.sort_by_key(|t| (t.done, t.due.is_none(), t.due, t.summary.clone()));
    Ok(out)
}

/// A DATE or DATE-TIME value (RFC 5545 §3.3.4, §3.3.5) read in `value_zone` (UTC when it
/// ends in Z), shown in `zone`. Only for showing a due date: nothing is computed from it.
fn date_time(value: &str, value_zone: Tz, zone: Tz) -> Option<DateTime<Tz>> {
    let v = value.trim();
    if let Some(utc) = v.strip_suffix('Z') {
        let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
        return Some(chrono::Utc.from_utc_datetime(&t).with_timezone(&zone));
    }
    let t = match v.len() {
        8 => NaiveDate::parse_from_str(v, "%Y%m%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?,
        _ => NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok()?,
    };
    value_zone
        .from_local_datetime(&t)
        .earliest()
        .map(|t| t.with_timezone(&zone))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn due_dates_read_in_their_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let utc = date_time("20261207T090000Z", berlin, berlin).unwrap();
        assert_eq!(utc.format("%H:%M").to_string(), "10:00");
        let local = date_time("20261207T090000", berlin, chrono_tz::UTC).unwrap();
        assert_eq!(local.format("%H:%M").to_string(), "08:00");
        assert!(date_time("garbage", berlin, berlin).is_none());
    }
}
