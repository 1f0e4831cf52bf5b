//! The CALDAV:filter of a calendar-query REPORT (RFC 4791 §9.7), evaluated
//! exactly against one calendar object.
//!
//! Every nested test is ANDed (§9.7.1-§9.7.3). Time ranges follow the
//! tables of §9.9 per component type; a recurring component matches when
//! any of its instances does ([`crate::expand`]), an override counts as
//! one instance of its master's set, and a VALARM is tested against the
//! instance it belongs to.

use crate::error::ExpandError;
use crate::expand::{
    recurrence_sets, set_instances, Budget, EvalContext, Instance, Query, Set, TimeRange,
};
use crate::localtime::Clock;
use crate::parse::{Component, Property};
use crate::value::{
    list, parse_date_value, parse_duration, parse_period, unescape_text, DateKind, DateValue,
    PeriodEnd,
};

const DAY: i64 = 86_400;

/// At most this many REPEATs of one alarm are looked at (RFC 5545
/// §3.8.6.2 puts no bound on REPEAT; real alarms snooze a few times).
const MAX_REPEAT: i64 = 1000;

/// `<C:comp-filter>` (RFC 4791 §9.7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompFilter {
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<TimeRange>,
    pub prop_filters: Vec<PropFilter>,
    pub comp_filters: Vec<CompFilter>,
}

/// `<C:prop-filter>` (RFC 4791 §9.7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropFilter {
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<TimeRange>,
    pub text_match: Option<TextMatch>,
    pub param_filters: Vec<ParamFilter>,
}

/// `<C:param-filter>` (RFC 4791 §9.7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFilter {
    pub name: String,
    pub is_not_defined: bool,
    pub text_match: Option<TextMatch>,
}

/// `<C:text-match>` (RFC 4791 §9.7.5): a substring test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    pub text: String,
    pub collation: Collation,
    /// `negate-condition="yes"`.
    pub negate: bool,
}

/// The collations RFC 4791 §7.5.1 requires (and RFC 5051's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collation {
    /// `i;ascii-casemap` (RFC 4790 §9.2), the default: only A-Z fold.
    #[default]
    AsciiCasemap,
    /// `i;unicode-casemap` (RFC 5051). Approximated by comparing the
    /// Unicode lower-case forms; RFC 5051's titlecase folding and NFKD
    /// decomposition are not applied.
    UnicodeCasemap,
    /// `i;octet` (RFC 4790 §9.3): exact bytes.
    Octet,
}

impl Collation {
    /// The collation of a `collation` attribute; `None` for unsupported
    /// ones (the server answers `CALDAV:supported-collation`).
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "i;ascii-casemap" => Some(Collation::AsciiCasemap),
            "i;unicode-casemap" => Some(Collation::UnicodeCasemap),
            "i;octet" => Some(Collation::Octet),
            _ => None,
        }
    }

    /// Whether `needle` occurs in `haystack` under this collation.
    pub fn contains(self, haystack: &str, needle: &str) -> bool {
        match self {
            Collation::Octet => haystack.contains(needle),
            Collation::AsciiCasemap => haystack
                .to_ascii_lowercase()
                .contains(&needle.to_ascii_lowercase()),
            Collation::UnicodeCasemap => haystack.to_lowercase().contains(&needle.to_lowercase()),
        }
    }
}

impl TextMatch {
    pub fn matches(&self, value: &str) -> bool {
        self.collation.contains(value, &self.text) != self.negate
    }
}

/// Whether the calendar object `root` matches `filter`, whose name should
/// be VCALENDAR (RFC 4791 §9.7.1).
pub fn matches(
    root: &Component,
    filter: &CompFilter,
    ctx: &EvalContext,
) -> Result<bool, ExpandError> {
    if !filter.name.eq_ignore_ascii_case(&root.name) {
        return Ok(filter.is_not_defined);
    }
    if filter.is_not_defined {
        return Ok(false);
    }
    let mut ev = Eval {
        root,
        clock: Clock::new(root, ctx.floating_tz),
        budget: Budget::new(ctx.max_instances),
    };
    ev.inner(root, None, filter)
}

struct Eval<'a> {
    root: &'a Component,
    clock: Clock<'a>,
    budget: Budget,
}

impl<'a> Eval<'a> {
    /// The tests inside a comp-filter that already matched by name (and
    /// time range): its prop-filters and comp-filters.
    fn inner(
        &mut self,
        c: &'a Component,
        inst: Option<&Instance<'a>>,
        f: &CompFilter,
    ) -> Result<bool, ExpandError> {
        for pf in &f.prop_filters {
            if !self.prop_filter(c, pf) {
                return Ok(false);
            }
        }
        for cf in &f.comp_filters {
            if !self.comp_filter(c, inst, cf)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A comp-filter applied to the children of `parent`: any child of
    /// that name that passes every test matches.
    fn comp_filter(
        &mut self,
        parent: &'a Component,
        parent_inst: Option<&Instance<'a>>,
        cf: &CompFilter,
    ) -> Result<bool, ExpandError> {
        let children: Vec<&'a Component> = parent
            .components
            .iter()
            .filter(|c| c.name.eq_ignore_ascii_case(&cf.name))
            .collect();
        if cf.is_not_defined {
            return Ok(children.is_empty());
        }
        if children.is_empty() {
            return Ok(false);
        }
        let recurring_kind = ["VEVENT", "VTODO", "VJOURNAL"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&cf.name));
        if std::ptr::eq(parent, self.root) && recurring_kind && needs_instances(cf) {
            return self.by_instances(parent, cf);
        }
        for child in children {
            if let Some(r) = cf.time_range {
                if !self.component_in_range(child, parent_inst, r)? {
                    continue;
                }
            }
            if self.inner(child, None, cf)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// VEVENT/VTODO/VJOURNAL with a time range (theirs or a VALARM's):
    /// the filter matches when some instance passes every test.
    fn by_instances(
        &mut self,
        parent: &'a Component,
        cf: &CompFilter,
    ) -> Result<bool, ExpandError> {
        let name = cf.name.clone();
        let sets = recurrence_sets(parent, &|n: &str| n.eq_ignore_ascii_case(&name));
        for set in sets {
            let range = match cf.time_range {
                Some(r) => r,
                None => alarm_window(cf, &set, &self.clock),
            };
            let open_end = range.end.is_none().then(|| {
                range.start.map_or(i64::MIN, |s| {
                    s.saturating_add(alarm_reach(&set, &self.clock))
                        .saturating_add(DAY)
                })
            });
            let query = Query {
                range,
                inclusive: true,
                open_end,
            };
            let mut insts = Vec::new();
            set_instances(&set, &self.clock, &query, &mut self.budget, &mut insts)?;
            for inst in &insts {
                if let Some(r) = cf.time_range {
                    if !instance_in_range(inst, r) {
                        continue;
                    }
                }
                if self.inner(inst.component, Some(inst), cf)? {
                    return Ok(true);
                }
            }
            // RFC 4791 §9.9: a VTODO without DTSTART and DUE is tested on
            // COMPLETED and CREATED; it has no instances.
            for c in set.master.iter().chain(set.overrides.iter()) {
                if c.name == "VTODO"
                    && c.property("DTSTART").is_none()
                    && c.property("DUE").is_none()
                {
                    let ok = match cf.time_range {
                        Some(r) => self.todo_without_dates(c, r),
                        None => true,
                    };
                    if ok && self.inner(c, None, cf)? {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    /// A time range on a component that is not expanded here: VFREEBUSY,
    /// VALARM, and anything nested deeper.
    fn component_in_range(
        &mut self,
        c: &'a Component,
        parent_inst: Option<&Instance<'a>>,
        r: TimeRange,
    ) -> Result<bool, ExpandError> {
        match c.name.as_str() {
            "VALARM" => Ok(self.alarm_in_range(c, parent_inst, r)),
            "VFREEBUSY" => Ok(self.freebusy_in_range(c, r)),
            "VTODO" if c.property("DTSTART").is_none() && c.property("DUE").is_none() => {
                Ok(self.todo_without_dates(c, r))
            }
            _ => {
                let set = Set {
                    master: Some(c),
                    overrides: Vec::new(),
                };
                let query = Query {
                    range: r,
                    inclusive: true,
                    open_end: r.end.is_none().then_some(r.start.unwrap_or(i64::MIN)),
                };
                let mut insts = Vec::new();
                set_instances(&set, &self.clock, &query, &mut self.budget, &mut insts)?;
                Ok(insts.iter().any(|i| instance_in_range(i, r)))
            }
        }
    }

    /// RFC 4791 §9.9 VALARM: `(start <= trigger-time) AND (end >
    /// trigger-time)` for any trigger, including its REPEATs. A relative
    /// trigger needs the instance the alarm belongs to.
    fn alarm_in_range(&self, alarm: &Component, inst: Option<&Instance<'a>>, r: TimeRange) -> bool {
        let repeat = alarm
            .property("REPEAT")
            .and_then(|p| p.value.trim().parse::<i64>().ok())
            .unwrap_or(0)
            .clamp(0, MAX_REPEAT);
        let every = alarm
            .property("DURATION")
            .and_then(|p| parse_duration(&p.value).ok())
            .unwrap_or(0);
        let repeat = if every == 0 { 0 } else { repeat };
        for t in alarm.properties_named("TRIGGER") {
            let absolute = t
                .param("VALUE")
                .is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"));
            let base = if absolute {
                match parse_date_value(&t.value, DateKind::DateTime) {
                    Ok(v) => self.clock.value_to_utc(t, v),
                    Err(_) => continue,
                }
            } else {
                let (Ok(d), Some(inst)) = (parse_duration(&t.value), inst) else {
                    continue;
                };
                // RFC 5545 §3.2.14: RELATED=END is the end of the event
                // (or the DUE of a to-do).
                let anchor = if t
                    .param("RELATED")
                    .is_some_and(|v| v.eq_ignore_ascii_case("END"))
                {
                    inst.end
                } else {
                    inst.start
                };
                anchor.saturating_add(d)
            };
            for k in 0..=repeat {
                let at = base.saturating_add(every.saturating_mul(k));
                if point_in(r, at) {
                    return true;
                }
            }
        }
        false
    }

    /// RFC 4791 §9.9 VFREEBUSY table.
    fn freebusy_in_range(&self, c: &Component, r: TimeRange) -> bool {
        if let (Some(s), Some(e)) = (
            self.utc_of(c.property("DTSTART")),
            self.utc_of(c.property("DTEND")),
        ) {
            return r.start.is_none_or(|rs| rs <= e) && r.end.is_none_or(|re| re > s);
        }
        for p in c.properties_named("FREEBUSY") {
            for v in list(&p.value) {
                let Ok((s, e)) = parse_period(v) else {
                    continue;
                };
                let s_utc = self.clock.value_to_utc(p, s);
                let e_utc = match e {
                    PeriodEnd::End(d) => self.clock.value_to_utc(p, d),
                    PeriodEnd::Duration(d) => s_utc.saturating_add(d),
                };
                if r.start.is_none_or(|rs| rs < e_utc) && r.end.is_none_or(|re| re > s_utc) {
                    return true;
                }
            }
        }
        false
    }

    /// RFC 4791 §9.9 VTODO table, rows without DTSTART and DUE.
    fn todo_without_dates(&self, c: &Component, r: TimeRange) -> bool {
        let created = self.utc_of(c.property("CREATED"));
        let completed = self.utc_of(c.property("COMPLETED"));
        let le = |x: i64| r.start.is_none_or(|s| s <= x);
        let ge = |x: i64| r.end.is_none_or(|e| e >= x);
        match (completed, created) {
            (Some(co), Some(cr)) => (le(cr) || le(co)) && (ge(cr) || ge(co)),
            (Some(co), None) => le(co) && ge(co),
            (None, Some(cr)) => r.end.is_none_or(|e| e > cr),
            (None, None) => true,
        }
    }

    fn utc_of(&self, p: Option<&Property>) -> Option<i64> {
        let p = p?;
        let v = parse_date_value(&p.value, DateKind::from_param(p.param("VALUE"))).ok()?;
        Some(self.clock.value_to_utc(p, v))
    }

    /// RFC 4791 §9.7.2: some property of that name passes the time range,
    /// the text match and every param-filter.
    fn prop_filter(&self, c: &Component, pf: &PropFilter) -> bool {
        let mut props = c.properties_named(&pf.name).peekable();
        if pf.is_not_defined {
            return props.peek().is_none();
        }
        props.any(|p| {
            pf.time_range.is_none_or(|r| self.prop_in_range(p, r))
                && pf
                    .text_match
                    .as_ref()
                    .is_none_or(|tm| tm.matches(&unescape_text(&p.value)))
                && pf.param_filters.iter().all(|f| param_filter(p, f))
        })
    }

    /// A date property against a time range (RFC 4791 §9.9: `start <=
    /// value < end`; a DATE is the whole day, a PERIOD its interval). Any
    /// value of a list (EXDATE, RDATE) may match; unreadable values don't.
    fn prop_in_range(&self, p: &Property, r: TimeRange) -> bool {
        let kind = DateKind::from_param(p.param("VALUE"));
        list(&p.value).any(|v| {
            if v.contains('/') {
                let Ok((s, e)) = parse_period(v) else {
                    return false;
                };
                let s = self.clock.value_to_utc(p, s);
                let e = match e {
                    PeriodEnd::End(d) => self.clock.value_to_utc(p, d),
                    PeriodEnd::Duration(d) => s.saturating_add(d),
                };
                return r.overlaps(s, e.max(s));
            }
            match parse_date_value(v, kind) {
                Ok(d @ DateValue::Date(_)) => {
                    let s = self.clock.value_to_utc(p, d);
                    r.overlaps(s, s.saturating_add(DAY))
                }
                Ok(d) => point_in(r, self.clock.value_to_utc(p, d)),
                Err(_) => false,
            }
        })
    }
}

/// RFC 4791 §9.7.3: the parameter exists and its value (all values,
/// comma-joined) passes the text match.
fn param_filter(p: &Property, f: &ParamFilter) -> bool {
    let mut params = p
        .params
        .iter()
        .filter(|q| q.name.eq_ignore_ascii_case(&f.name))
        .peekable();
    if f.is_not_defined {
        return params.peek().is_none();
    }
    params.any(|q| {
        f.text_match
            .as_ref()
            .is_none_or(|tm| tm.matches(&q.values.join(",")))
    })
}

/// `start <= t < end`.
fn point_in(r: TimeRange, t: i64) -> bool {
    r.start.is_none_or(|s| s <= t) && r.end.is_none_or(|e| t < e)
}

/// Whether any comp-filter below `cf` has a time range (then its parent's
/// instances are needed, e.g. for a VALARM's triggers).
fn needs_instances(cf: &CompFilter) -> bool {
    cf.time_range.is_some() || cf.comp_filters.iter().any(needs_instances)
}

/// The hull of the time ranges of the comp-filters below `cf`, widened by
/// how far an alarm can fire from its instance.
fn alarm_window(cf: &CompFilter, set: &Set, clock: &Clock) -> TimeRange {
    let mut ranges = Vec::new();
    collect_ranges(cf, &mut ranges);
    let start = ranges
        .iter()
        .map(|r| r.start)
        .try_fold(i64::MAX, |acc, s| s.map(|s| acc.min(s)));
    let end = ranges
        .iter()
        .map(|r| r.end)
        .try_fold(i64::MIN, |acc, e| e.map(|e| acc.max(e)));
    let reach = alarm_reach(set, clock);
    TimeRange {
        start: start.map(|s| s.saturating_sub(reach)),
        end: end.map(|e| e.saturating_add(reach)),
    }
}

fn collect_ranges(cf: &CompFilter, out: &mut Vec<TimeRange>) {
    for c in &cf.comp_filters {
        if let Some(r) = c.time_range {
            out.push(r);
        }
        collect_ranges(c, out);
    }
}

/// How far (seconds, either way) a relative alarm of the set can fire
/// from its instance's start or end, REPEATs included.
fn alarm_reach(set: &Set, clock: &Clock) -> i64 {
    let mut reach: i64 = 0;
    for c in set.master.iter().chain(set.overrides.iter()) {
        for alarm in c.components_named("VALARM") {
            let repeat = alarm
                .property("REPEAT")
                .and_then(|p| p.value.trim().parse::<i64>().ok())
                .unwrap_or(0)
                .clamp(0, MAX_REPEAT);
            let every = alarm
                .property("DURATION")
                .and_then(|p| parse_duration(&p.value).ok())
                .unwrap_or(0)
                .saturating_abs();
            for t in alarm.properties_named("TRIGGER") {
                // An absolute trigger is as far from the instances as it is
                // from DTSTART (give or take the set's spread, which the
                // window of the other filters bounds anyway).
                let d = match parse_date_value(&t.value, DateKind::DateTime) {
                    Ok(v)
                        if t.param("VALUE")
                            .is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME")) =>
                    {
                        let start = c.property("DTSTART").and_then(|p| {
                            parse_date_value(&p.value, DateKind::from_param(p.param("VALUE")))
                                .ok()
                                .map(|sv| clock.value_to_utc(p, sv))
                        });
                        start.map_or(0, |s| clock.value_to_utc(t, v).saturating_sub(s))
                    }
                    _ => parse_duration(&t.value).unwrap_or(0),
                }
                .saturating_abs();
                reach = reach.max(d.saturating_add(every.saturating_mul(repeat)));
            }
        }
    }
    reach.saturating_add(DAY)
}

/// RFC 4791 §9.9: whether one instance overlaps `r`, by the table of its
/// component type. The supplying component says which row applies.
fn instance_in_range(inst: &Instance, r: TimeRange) -> bool {
    let c = inst.component;
    let (s, e) = (inst.start, inst.end);
    let lt = |x: i64| r.start.is_none_or(|rs| rs < x); // start < x
    let le = |x: i64| r.start.is_none_or(|rs| rs <= x); // start <= x
    let gt = |x: i64| r.end.is_none_or(|re| re > x); // end > x
    let ge = |x: i64| r.end.is_none_or(|re| re >= x); // end >= x
    match c.name.as_str() {
        "VTODO" => {
            let has_start = c.property("DTSTART").is_some();
            let has_due = c.property("DUE").is_some();
            let has_duration = c.property("DURATION").is_some();
            match (has_start, has_duration, has_due) {
                // DTSTART+DURATION: e is DTSTART+DURATION.
                (true, true, _) => le(e) && (gt(s) || ge(e)),
                // DTSTART+DUE: e is DUE.
                (true, false, true) => (lt(e) || le(s)) && (gt(s) || ge(e)),
                (true, false, false) => le(s) && gt(s),
                // DUE only: the instance starts and ends at DUE.
                (false, _, true) => lt(s) && ge(s),
                (false, _, false) => true,
            }
        }
        "VJOURNAL" => {
            if inst.is_date {
                lt(s.saturating_add(DAY)) && gt(s)
            } else {
                le(s) && gt(s)
            }
        }
        _ => {
            // VEVENT: DTEND, DURATION > 0 or an all-day DATE give an
            // interval; DURATION = 0 or a DATE-TIME alone a point.
            let has_dtend = c.property("DTEND").is_some();
            if has_dtend || e > s {
                lt(e) && gt(s)
            } else {
                le(s) && gt(s)
            }
        }
    }
}
