//! Recurrence sets (RFC 5545 §3.8.5) to concrete instances in UTC.
//!
//! One recurrence set is the master component (no RECURRENCE-ID) and its
//! overrides, grouped by UID. The master's DTSTART, RRULEs and RDATEs give
//! the instances, EXDATEs remove some, and each override replaces the
//! instance its RECURRENCE-ID names (RANGE=THISANDFUTURE: that one and all
//! later ones, RFC 5545 §3.2.13). Expansion runs in the master's own
//! wall-clock time ([`crate::recur`]) and each instance is converted to UTC
//! on its own ([`crate::localtime`]), so DST changes keep local times.
//!
//! Not handled: EXRULE (deprecated by RFC 5545, ignored) and RFC 7529
//! non-Gregorian RSCALE (an error).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use chrono_tz::Tz;

use crate::error::ExpandError;
use crate::kind::ComponentKind;
use crate::localtime::{Clock, ZoneRef};
use crate::parse::{Component, Property};
use crate::recur::{walk, Window};
use crate::rrule::parse_rrule;
use crate::value::date_of;
use crate::value::{
    list, parse_date_value, parse_duration, parse_period, DateKind, DateValue, PeriodEnd,
};

const DAY: i64 = 86_400;

/// A CalDAV time range (RFC 4791 §9.9) in UTC unix seconds; `None` is no
/// bound on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl TimeRange {
    pub const UNBOUNDED: TimeRange = TimeRange {
        start: None,
        end: None,
    };

    pub fn new(start: Option<i64>, end: Option<i64>) -> TimeRange {
        TimeRange { start, end }
    }

    /// RFC 4791 §9.9's VEVENT rule for an interval: `start < end_i AND
    /// end > start_i`, and for zero length `start <= start_i < end`.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        let (start, end) = (start.min(end), start.max(end));
        let before_end = self.end.is_none_or(|e| start < e);
        let after_start = self
            .start
            .is_none_or(|s| end > s || (end <= start && start >= s));
        before_end && after_start
    }

    /// `start <= start_i AND end >= end_i` loosened to both sides being
    /// inclusive: a superset of every condition in the §9.9 tables. A VTODO
    /// whose DUE precedes its DTSTART spans from its DUE to its DTSTART.
    pub(crate) fn touches(&self, start: i64, end: i64) -> bool {
        let (start, end) = (start.min(end), start.max(end));
        self.end.is_none_or(|e| start <= e) && self.start.is_none_or(|s| end >= s)
    }
}

/// What evaluation needs from the collection and the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalContext {
    /// The collection's CALDAV:calendar-timezone, for floating times and
    /// DATE values (RFC 4791 §9.9); `None` reads them as UTC.
    pub floating_tz: Option<Tz>,
    /// At most this many instances are generated per request, counting
    /// the ones walked over before the range. A security measure: without
    /// it one `FREQ=SECONDLY` rule would keep the server busy for hours.
    pub max_instances: u32,
}

/// One instance of a recurrence set (or the only one of a non-recurring
/// component).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance<'a> {
    /// The master, or the override (RECURRENCE-ID) that supplies it.
    pub component: &'a Component,
    /// UTC unix seconds.
    pub start: i64,
    /// UTC unix seconds, never before `start`.
    pub end: i64,
    /// UTC of the instance's original start; `None` when not recurring.
    pub recurrence_id: Option<i64>,
    /// DTSTART is a DATE (an all-day instance).
    pub is_date: bool,
}

/// The instances of the components of `root` (VEVENT, VTODO, VJOURNAL,
/// VFREEBUSY, or only `kind_filter`) that overlap `range`, sorted by
/// start. Instances are kept by [`TimeRange::overlaps`].
///
/// Errors: an unbounded RRULE with a range without end
/// ([`ExpandError::Unbounded`]), more than `ctx.max_instances` generated,
/// or unparseable values.
pub fn instances<'a>(
    root: &'a Component,
    kind_filter: Option<ComponentKind>,
    range: TimeRange,
    ctx: &EvalContext,
) -> Result<Vec<Instance<'a>>, ExpandError> {
    let clock = Clock::new(root, ctx.floating_tz);
    let mut budget = Budget::new(ctx.max_instances);
    let mut out = Vec::new();
    let wanted = |name: &str| match kind_filter {
        Some(k) => k.name().eq_ignore_ascii_case(name),
        None => ComponentKind::from_name(name).is_some(),
    };
    let query = Query {
        range,
        inclusive: false,
        open_end: None,
    };
    for set in recurrence_sets(root, &wanted) {
        set_instances(&set, &clock, &query, &mut budget, &mut out)?;
    }
    out.sort_by_key(|i| (i.start, i.end, i.recurrence_id));
    Ok(out)
}

/// A master and its overrides (same name and UID).
pub(crate) struct Set<'a> {
    pub master: Option<&'a Component>,
    pub overrides: Vec<&'a Component>,
}

/// Groups the children of `root` accepted by `wanted` into recurrence
/// sets. A component without UID is a set of its own.
pub(crate) fn recurrence_sets<'a>(
    root: &'a Component,
    wanted: &dyn Fn(&str) -> bool,
) -> Vec<Set<'a>> {
    let mut keys: Vec<(String, Option<String>)> = Vec::new();
    let mut sets: Vec<Set<'a>> = Vec::new();
    for c in root.components.iter().filter(|c| wanted(&c.name)) {
        let key = (c.name.clone(), c.property("UID").map(|p| p.value.clone()));
        let is_override = c.property("RECURRENCE-ID").is_some();
        let found = if key.1.is_some() {
            keys.iter().position(|k| *k == key)
        } else {
            None
        };
        let i = match found {
            Some(i) => i,
            None => {
                keys.push(key);
                sets.push(Set {
                    master: None,
                    overrides: Vec::new(),
                });
                sets.len() - 1
            }
        };
        let Some(set) = sets.get_mut(i) else { continue };
        if is_override {
            set.overrides.push(c);
        } else if set.master.is_none() {
            set.master = Some(c);
        }
    }
    sets
}

/// How [`set_instances`] keeps instances.
pub(crate) struct Query {
    pub range: TimeRange,
    /// Keep by [`TimeRange::touches`] (the filter re-checks exactly)
    /// rather than [`TimeRange::overlaps`].
    pub inclusive: bool,
    /// With `range.end == None`: walk an unbounded rule until one kept
    /// instance starts at or after this instant instead of failing.
    pub open_end: Option<i64>,
}

/// Counts generated instances against [`EvalContext::max_instances`].
pub(crate) struct Budget {
    used: u32,
    max: u32,
}

impl Budget {
    pub(crate) fn new(max: u32) -> Budget {
        Budget { used: 0, max }
    }

    fn tick(&mut self) -> Result<(), ExpandError> {
        self.used = self.used.saturating_add(1);
        if self.used > self.max {
            return Err(ExpandError::TooManyInstances(self.max));
        }
        Ok(())
    }
}

/// How long an instance lasts.
#[derive(Debug, Clone, Copy)]
enum Length {
    /// Wall-clock seconds added to the local start (DTEND in DTSTART's
    /// zone, or one nominal day for a DATE).
    Wall(i64),
    /// RFC 5545 §3.3.6: days and weeks are nominal (wall-clock), hours,
    /// minutes and seconds exact.
    Nominal { days: i64, exact: i64 },
    /// Exact seconds (DTEND in another zone than DTSTART).
    Exact(i64),
}

/// When a component starts, in its own zone, and how long it lasts.
#[derive(Debug, Clone, Copy)]
struct Timing {
    local: NaiveDateTime,
    zone: ZoneRef,
    is_date: bool,
    start: i64,
    length: Length,
    /// A VTODO's DUE may precede its DTSTART (stored as sent, see
    /// `quirks::TODO_DUE_MAY_PRECEDE_DTSTART`): its instances then end
    /// before they start, and RFC 4791 §9.9 is evaluated on those values.
    may_end_first: bool,
}

impl Timing {
    /// End in UTC of an instance starting at `local` (= `start` UTC).
    fn end(&self, clock: &Clock, local: NaiveDateTime, start: i64) -> i64 {
        let wall = |secs: i64| {
            TimeDelta::try_seconds(secs)
                .and_then(|d| local.checked_add_signed(d))
                .map(|t| clock.to_utc(t, self.zone))
                .unwrap_or(start.saturating_add(secs))
        };
        let end = match self.length {
            Length::Wall(d) => wall(d),
            Length::Nominal { days, exact } => wall(days).saturating_add(exact),
            Length::Exact(d) => start.saturating_add(d),
        };
        if self.may_end_first {
            end
        } else {
            end.max(start)
        }
    }

    /// How far an instance may reach before its start (a VTODO's DUE before
    /// its DTSTART), wall-clock parts counted as exact.
    fn reach_back(&self) -> i64 {
        let d = match self.length {
            Length::Wall(d) | Length::Exact(d) => d,
            Length::Nominal { days, exact } => days.saturating_add(exact),
        };
        d.min(0).saturating_neg()
    }

    /// The length in seconds, wall-clock parts counted as exact (the
    /// window's offset bounds absorb DST changes).
    fn max_len(&self) -> i64 {
        let d = match self.length {
            Length::Wall(d) | Length::Exact(d) => d,
            Length::Nominal { days, exact } => days.saturating_add(exact),
        };
        d.max(0)
    }
}

fn invalid(c: &Component, e: String) -> ExpandError {
    ExpandError::Invalid(format!("{}: {e}", c.name))
}

/// Start and length of one component, by its kind (RFC 4791 §9.9):
/// VEVENT (and VFREEBUSY) use DTEND or DURATION, else one day for a DATE
/// and nothing for a DATE-TIME; VTODO uses DUE or DURATION and, without
/// DTSTART, starts at DUE; VJOURNAL lasts one day for a DATE.
fn timing(
    c: &Component,
    clock: &Clock,
    fallback_start: Option<&Property>,
) -> Result<Option<Timing>, ExpandError> {
    let is_todo = c.name == "VTODO";
    let start_prop = c
        .property("DTSTART")
        .or_else(|| if is_todo { c.property("DUE") } else { None })
        .or(fallback_start);
    let Some(sp) = start_prop else {
        return Ok(None);
    };
    let sv = date_of(sp).map_err(|e| invalid(c, e))?;
    let zone = clock.zone_of(sp, sv);
    let start = clock.to_utc(sv.naive(), zone);
    let end_name = if is_todo { "DUE" } else { "DTEND" };
    let default = if sv.is_date() {
        Length::Wall(DAY)
    } else {
        Length::Exact(0)
    };
    // Only a VTODO may end before it starts (its DUE before its DTSTART).
    let floor = if is_todo { i64::MIN } else { 0 };
    let length = if c.name == "VJOURNAL" || sp.name == "DUE" {
        default
    } else if let Some(ep) = c.property(end_name) {
        let ev = date_of(ep).map_err(|e| invalid(c, e))?;
        let ez = clock.zone_of(ep, ev);
        // The same zone on both sides: keep the wall-clock difference so
        // that a 09:00-10:00 meeting stays that across DST.
        if ez == zone || ev.is_date() {
            Length::Wall((ev.naive() - sv.naive()).num_seconds().max(floor))
        } else {
            Length::Exact(
                clock
                    .to_utc(ev.naive(), ez)
                    .saturating_sub(start)
                    .max(floor),
            )
        }
    } else if let Some(dp) = c.property("DURATION") {
        let (days, exact) = nominal_duration(&dp.value).map_err(|e| invalid(c, e))?;
        Length::Nominal {
            days: days.max(0),
            exact: exact.max(if days > 0 { -days } else { 0 }),
        }
    } else {
        default
    };
    Ok(Some(Timing {
        local: sv.naive(),
        zone,
        is_date: sv.is_date(),
        start,
        length,
        may_end_first: is_todo,
    }))
}

/// Splits a DURATION into its nominal part (weeks and days, as seconds)
/// and its exact part (hours, minutes, seconds), both signed.
pub(crate) fn nominal_duration(s: &str) -> Result<(i64, i64), String> {
    let total = parse_duration(s)?;
    let t = s.trim();
    let neg = t.starts_with('-');
    let body = t.trim_start_matches(['+', '-']);
    let date_part = match body.find(['T', 't']) {
        Some(i) => body.get(..i).unwrap_or(""),
        None => body,
    };
    let days = if date_part.len() > 1 {
        parse_duration(date_part)?
    } else {
        0
    };
    let days = if neg { -days } else { days };
    Ok((days, total.saturating_sub(days)))
}

fn naive_utc(t: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp(t, 0).map(|d| d.naive_utc())
}

/// An override component with its RECURRENCE-ID resolved.
struct Override<'a> {
    comp: &'a Component,
    rid: i64,
    /// The override's own start and end in UTC.
    start: i64,
    end: i64,
    is_date: bool,
    future: bool,
}

/// Everything [`set_instances`] needs while the walker calls back.
struct Collector<'a, 'q> {
    clock: &'q Clock<'a>,
    query: &'q Query,
    budget: &'q mut Budget,
    out: &'q mut Vec<Instance<'a>>,
    master: &'a Component,
    timing: Timing,
    overrides: &'q [Override<'a>],
    exdates: BTreeSet<i64>,
    exdays: BTreeSet<NaiveDate>,
    seen: BTreeSet<i64>,
    kept: bool,
    error: Option<ExpandError>,
}

impl<'a> Collector<'a, '_> {
    fn keep(&self, start: i64, end: i64) -> bool {
        if self.query.inclusive {
            self.query.range.touches(start, end)
        } else {
            self.query.range.overlaps(start, end)
        }
    }

    /// One member of the master's set, originally at `local` (`utc`).
    /// Returns whether the walk may stop (see [`Query::open_end`]).
    fn consider(
        &mut self,
        local: NaiveDateTime,
        utc: i64,
        explicit_end: Option<i64>,
    ) -> Result<bool, ExpandError> {
        self.budget.tick()?;
        let stop = self.query.range.end.is_none()
            && self.query.open_end.is_some_and(|l| utc >= l)
            && self.kept;
        if !self.seen.insert(utc)
            || self.exdates.contains(&utc)
            || self.exdays.contains(&local.date())
        {
            return Ok(stop);
        }
        // RFC 5545 §3.8.4.4: an override replaces the instance it names.
        if self.overrides.iter().any(|o| o.rid == utc) {
            return Ok(stop);
        }
        // RANGE=THISANDFUTURE: the latest such override before this
        // instance supplies it, moved by the override's own shift.
        let future = self
            .overrides
            .iter()
            .filter(|o| o.future && o.rid < utc)
            .max_by_key(|o| o.rid);
        let inst = match future {
            Some(o) => {
                let start = utc.saturating_add(o.start.saturating_sub(o.rid));
                Instance {
                    component: o.comp,
                    start,
                    end: start.saturating_add(o.end.saturating_sub(o.start)),
                    recurrence_id: Some(utc),
                    is_date: o.is_date,
                }
            }
            None => Instance {
                component: self.master,
                start: utc,
                // Either end is no earlier than the start, but for a VTODO
                // whose DUE precedes its DTSTART.
                end: explicit_end.unwrap_or_else(|| self.timing.end(self.clock, local, utc)),
                recurrence_id: Some(utc),
                is_date: self.timing.is_date,
            },
        };
        if self.keep(inst.start, inst.end) {
            self.out.push(inst);
            self.kept = true;
        }
        Ok(stop)
    }
}

/// Adds the instances of one recurrence set to `out`.
pub(crate) fn set_instances<'a>(
    set: &Set<'a>,
    clock: &Clock<'a>,
    query: &Query,
    budget: &mut Budget,
    out: &mut Vec<Instance<'a>>,
) -> Result<(), ExpandError> {
    let master_timing = match set.master {
        Some(m) => timing(m, clock, None)?,
        None => None,
    };
    let master_zone = master_timing.map_or(ZoneRef::Floating, |t| t.zone);

    let mut overrides = Vec::new();
    for &o in &set.overrides {
        let Some(rp) = o.property("RECURRENCE-ID") else {
            continue;
        };
        let rv = date_of(rp).map_err(|e| invalid(o, e))?;
        // A floating RECURRENCE-ID of a zoned master means the master's
        // zone: clients write what they read from DTSTART.
        let rzone = match (rv, rp.param("TZID")) {
            (DateValue::DateTime { utc: false, .. }, None) => master_zone,
            _ => clock.zone_of(rp, rv),
        };
        let rid = clock.to_utc(rv.naive(), rzone);
        let Some(t) = timing(o, clock, Some(rp))? else {
            continue;
        };
        let end = t.end(clock, t.local, t.start);
        budget.tick()?;
        let ov = Override {
            comp: o,
            rid,
            start: t.start,
            end,
            is_date: t.is_date,
            future: rp
                .param("RANGE")
                .is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE")),
        };
        let inst = Instance {
            component: o,
            start: ov.start,
            end: ov.end,
            recurrence_id: Some(rid),
            is_date: ov.is_date,
        };
        let keep = if query.inclusive {
            query.range.touches(inst.start, inst.end)
        } else {
            query.range.overlaps(inst.start, inst.end)
        };
        if keep {
            out.push(inst);
        }
        overrides.push(ov);
    }

    let (Some(master), Some(t)) = (set.master, master_timing) else {
        return Ok(());
    };
    let mut rules = Vec::new();
    for p in master.properties_named("RRULE") {
        let rule = parse_rrule(&p.value).map_err(|e| invalid(master, format!("RRULE: {e}")))?;
        if rule.non_gregorian {
            return Err(ExpandError::Unsupported(format!(
                "RRULE {} uses a non-Gregorian RSCALE (RFC 7529)",
                p.value
            )));
        }
        rules.push(rule);
    }
    let recurring = !rules.is_empty() || master.property("RDATE").is_some();
    if !recurring {
        budget.tick()?;
        let inst = Instance {
            component: master,
            start: t.start,
            end: t.end(clock, t.local, t.start),
            recurrence_id: None,
            is_date: t.is_date,
        };
        let keep = if query.inclusive {
            query.range.touches(inst.start, inst.end)
        } else {
            query.range.overlaps(inst.start, inst.end)
        };
        if keep {
            out.push(inst);
        }
        return Ok(());
    }

    let mut exdates = BTreeSet::new();
    let mut exdays = BTreeSet::new();
    for p in master.properties_named("EXDATE") {
        for v in list(&p.value).filter(|v| !v.trim().is_empty()) {
            let d = parse_date_value(v, DateKind::from_param(p.param("VALUE")))
                .map_err(|e| invalid(master, format!("EXDATE: {e}")))?;
            match d {
                DateValue::Date(day) => {
                    exdays.insert(day);
                }
                DateValue::DateTime { utc: false, local } if p.param("TZID").is_none() => {
                    exdates.insert(clock.to_utc(local, t.zone));
                }
                _ => {
                    exdates.insert(clock.value_to_utc(p, d));
                }
            }
        }
    }

    let shift = overrides
        .iter()
        .filter(|o| o.future)
        .map(|o| o.start.saturating_sub(o.rid).saturating_abs())
        .max()
        .unwrap_or(0);
    // The walker works in wall-clock time: the UTC range becomes a local
    // one with the zone's offsets around each bound.
    let window = Window {
        from: query.range.start.and_then(|s| {
            let earliest = s.saturating_sub(t.max_len()).saturating_sub(shift);
            let (lo, _) = clock.offset_bounds(earliest, t.zone);
            naive_utc(earliest.saturating_add(lo))
        }),
        to: query.range.end.and_then(|e| {
            let latest = e.saturating_add(shift).saturating_add(t.reach_back());
            let (_, hi) = clock.offset_bounds(latest, t.zone);
            naive_utc(latest.saturating_add(hi))
        }),
    };

    let mut col = Collector {
        clock,
        query,
        budget,
        out,
        master,
        timing: t,
        overrides: &overrides,
        exdates,
        exdays,
        seen: BTreeSet::new(),
        kept: false,
        error: None,
    };
    // RFC 5545 §3.8.5.3: DTSTART is the first instance.
    col.consider(t.local, t.start, None)?;

    for rule in &rules {
        if rule.count.is_none()
            && rule.until.is_none()
            && query.range.end.is_none()
            && query.open_end.is_none()
        {
            return Err(ExpandError::Unbounded);
        }
        let until = rule.until;
        let zone = t.zone;
        // RFC 5545 §3.3.10: UNTIL is UTC when DTSTART has a zone, a DATE
        // when DTSTART is one; a local UNTIL is read in DTSTART's zone and
        // a DATE UNTIL includes its whole day.
        let beyond = |local: NaiveDateTime| match until {
            Some(DateValue::DateTime {
                local: u,
                utc: true,
            }) => clock.to_utc(local, zone) > u.and_utc().timestamp(),
            Some(DateValue::DateTime { local: u, .. }) => local > u,
            Some(DateValue::Date(d)) => local.date() > d,
            None => false,
        };
        let _ = walk(rule, t.local, window, &beyond, &mut |local| {
            let utc = clock.to_utc(local, t.zone);
            match col.consider(local, utc, None) {
                Ok(true) => ControlFlow::Break(()),
                Ok(false) => ControlFlow::Continue(()),
                Err(e) => {
                    col.error = Some(e);
                    ControlFlow::Break(())
                }
            }
        });
        if let Some(e) = col.error.take() {
            return Err(e);
        }
    }

    for p in master.properties_named("RDATE") {
        let is_period = p
            .param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("PERIOD"));
        for v in list(&p.value).filter(|v| !v.trim().is_empty()) {
            if is_period {
                let (s, e) = parse_period(v).map_err(|e| invalid(master, format!("RDATE: {e}")))?;
                let sz = clock.zone_of(p, s);
                let start = clock.to_utc(s.naive(), sz);
                let end = match e {
                    PeriodEnd::End(d) => clock.to_utc(d.naive(), clock.zone_of(p, d)),
                    PeriodEnd::Duration(d) => start.saturating_add(d),
                };
                col.consider(s.naive(), start, Some(end.max(start)))?;
            } else {
                let d = parse_date_value(v, DateKind::from_param(p.param("VALUE")))
                    .map_err(|e| invalid(master, format!("RDATE: {e}")))?;
                let zone = match d {
                    DateValue::DateTime { utc: false, .. } if p.param("TZID").is_none() => t.zone,
                    _ => clock.zone_of(p, d),
                };
                let start = clock.to_utc(d.naive(), zone);
                let timing = Timing { zone, ..t };
                let end = timing.end(clock, d.naive(), start);
                col.consider(d.naive(), start, Some(end))?;
            }
        }
    }
    Ok(())
}
