//! calendar-query filters (RFC 4791 §9.7) with the time-range tables of
//! §9.9, plus a no-panic run over the real-world corpus.
#![allow(clippy::unwrap_used)] // tests may panic: that is how they fail

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use ical::{
    analyze, matches, parse, Collation, CompFilter, EvalContext, ExpandError, ParamFilter,
    PropFilter, TextMatch, TimeRange, ValidationLimits,
};

const CTX: EvalContext = EvalContext {
    floating_tz: None,
    max_instances: 10_000,
};

fn cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}\nEND:VCALENDAR\n")
        .replace('\n', "\r\n")
}

fn comp(kind: &str, props: &str) -> String {
    cal(&format!(
        "BEGIN:{kind}\nUID:u1\nDTSTAMP:20240101T000000Z\n{props}\nEND:{kind}"
    ))
}

fn utc(s: &str) -> i64 {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc()
        .timestamp()
}

fn range(a: &str, b: &str) -> TimeRange {
    TimeRange::new(Some(utc(a)), Some(utc(b)))
}

fn cf(name: &str) -> CompFilter {
    CompFilter {
        name: name.into(),
        is_not_defined: false,
        time_range: None,
        prop_filters: vec![],
        comp_filters: vec![],
    }
}

fn pf(name: &str) -> PropFilter {
    PropFilter {
        name: name.into(),
        is_not_defined: false,
        time_range: None,
        text_match: None,
        param_filters: vec![],
    }
}

fn tm(text: &str, collation: Collation, negate: bool) -> TextMatch {
    TextMatch {
        text: text.into(),
        collation,
        negate,
    }
}

/// VCALENDAR > `inner`.
fn top(inner: CompFilter) -> CompFilter {
    CompFilter {
        comp_filters: vec![inner],
        ..cf("VCALENDAR")
    }
}

fn in_range(text: &str, kind: &str, r: TimeRange) -> bool {
    in_range_ctx(text, kind, r, &CTX)
}

fn in_range_ctx(text: &str, kind: &str, r: TimeRange, ctx: &EvalContext) -> bool {
    let root = parse(text).unwrap();
    let f = top(CompFilter {
        time_range: Some(r),
        ..cf(kind)
    });
    matches(&root, &f, ctx).unwrap()
}

fn check(text: &str, filter: CompFilter) -> bool {
    matches(&parse(text).unwrap(), &top(filter), &CTX).unwrap()
}

#[test]
fn vevent_table_dtend() {
    let e = comp("VEVENT", "DTSTART:20240115T100000Z\nDTEND:20240115T110000Z");
    assert!(in_range(
        &e,
        "VEVENT",
        range("20240115T103000Z", "20240115T104500Z")
    ));
    assert!(!in_range(
        &e,
        "VEVENT",
        range("20240115T110000Z", "20240115T120000Z")
    ));
    assert!(!in_range(
        &e,
        "VEVENT",
        range("20240115T090000Z", "20240115T100000Z")
    ));
    // DTEND = DTSTART: "start < DTEND AND end > DTSTART" is strict.
    let z = comp("VEVENT", "DTSTART:20240115T100000Z\nDTEND:20240115T100000Z");
    assert!(!in_range(
        &z,
        "VEVENT",
        range("20240115T100000Z", "20240115T110000Z")
    ));
    assert!(in_range(
        &z,
        "VEVENT",
        range("20240115T095959Z", "20240115T110000Z")
    ));
}

#[test]
fn vevent_table_duration_and_no_end() {
    let d = comp("VEVENT", "DTSTART:20240115T100000Z\nDURATION:PT1H");
    assert!(in_range(
        &d,
        "VEVENT",
        range("20240115T105900Z", "20240115T120000Z")
    ));
    assert!(!in_range(
        &d,
        "VEVENT",
        range("20240115T110000Z", "20240115T120000Z")
    ));
    // DURATION = 0 and no DTEND/DURATION: "start <= DTSTART AND end > DTSTART".
    for props in ["DURATION:PT0S\n", ""] {
        let p = comp("VEVENT", &format!("{props}DTSTART:20240115T100000Z"));
        assert!(
            in_range(&p, "VEVENT", range("20240115T100000Z", "20240115T110000Z")),
            "{props}"
        );
        assert!(
            !in_range(&p, "VEVENT", range("20240115T090000Z", "20240115T100000Z")),
            "{props}"
        );
    }
}

#[test]
fn vevent_table_all_day_uses_the_calendar_zone() {
    let a = comp("VEVENT", "DTSTART;VALUE=DATE:20240115");
    assert!(in_range(
        &a,
        "VEVENT",
        range("20240115T230000Z", "20240116T000000Z")
    ));
    assert!(!in_range(
        &a,
        "VEVENT",
        range("20240116T000000Z", "20240116T010000Z")
    ));
    let berlin = EvalContext {
        floating_tz: Some(chrono_tz::Europe::Berlin),
        ..CTX
    };
    // In Berlin the day is 14T23:00Z..15T23:00Z.
    assert!(in_range_ctx(
        &a,
        "VEVENT",
        range("20240114T233000Z", "20240115T000000Z"),
        &berlin
    ));
    assert!(!in_range_ctx(
        &a,
        "VEVENT",
        range("20240115T230000Z", "20240116T000000Z"),
        &berlin
    ));
}

/// Issue 20, item 8: a VTODO whose DUE precedes its DTSTART is stored, and RFC 4791 §9.9's
/// row for DTSTART + DUE applies to its values as they are: `(start < DUE OR start <=
/// DTSTART) AND (end > DTSTART OR end >= DUE)`, which is any range touching DUE..DTSTART.
#[test]
fn vtodo_due_before_dtstart_follows_the_table() {
    let r = range;
    let t = comp("VTODO", "DTSTART:20240115T100000Z\nDUE:20240114T100000Z");
    // Between DUE and DTSTART, at either end, and across both.
    for (a, b) in [
        ("20240114T120000Z", "20240114T130000Z"),
        ("20240114T090000Z", "20240114T100000Z"),
        ("20240115T100000Z", "20240115T110000Z"),
        ("20240101T000000Z", "20240201T000000Z"),
    ] {
        assert!(in_range(&t, "VTODO", r(a, b)), "{a}..{b}");
    }
    // Wholly before DUE or after DTSTART.
    for (a, b) in [
        ("20240114T080000Z", "20240114T090000Z"),
        ("20240115T100001Z", "20240115T110000Z"),
    ] {
        assert!(!in_range(&t, "VTODO", r(a, b)), "{a}..{b}");
    }
    // A daily series: its third instance spans Jan 16 10:00 to Jan 17 10:00.
    let daily = comp(
        "VTODO",
        "DTSTART:20240115T100000Z\nDUE:20240114T100000Z\nRRULE:FREQ=DAILY;COUNT=3",
    );
    assert!(in_range(
        &daily,
        "VTODO",
        r("20240116T120000Z", "20240116T130000Z")
    ));
    assert!(!in_range(
        &daily,
        "VTODO",
        r("20240117T100001Z", "20240118T000000Z")
    ));
}

#[test]
fn vtodo_table_every_row() {
    let r = range;
    // DTSTART + DURATION: (start <= S+D) AND (end > S OR end >= S+D).
    let t = comp("VTODO", "DTSTART:20240115T100000Z\nDURATION:PT1H");
    assert!(in_range(
        &t,
        "VTODO",
        r("20240115T110000Z", "20240115T120000Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20240115T110001Z", "20240115T120000Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20240115T090000Z", "20240115T100000Z")
    ));
    // DTSTART + DUE: (start < DUE OR start <= S) AND (end > S OR end >= DUE).
    let t = comp("VTODO", "DTSTART:20240115T100000Z\nDUE:20240115T110000Z");
    assert!(in_range(
        &t,
        "VTODO",
        r("20240115T103000Z", "20240115T104000Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20240115T110000Z", "20240115T120000Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20240115T090000Z", "20240115T100000Z")
    ));
    // DTSTART only: start <= S AND end > S.
    let t = comp("VTODO", "DTSTART:20240115T100000Z");
    assert!(in_range(
        &t,
        "VTODO",
        r("20240115T100000Z", "20240115T100001Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20240115T090000Z", "20240115T100000Z")
    ));
    // DUE only: start < DUE AND end >= DUE.
    let t = comp("VTODO", "DUE:20240115T110000Z");
    assert!(in_range(
        &t,
        "VTODO",
        r("20240115T100000Z", "20240115T110000Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20240115T110000Z", "20240115T120000Z")
    ));
    // COMPLETED + CREATED.
    let t = comp(
        "VTODO",
        "CREATED:20240101T000000Z\nCOMPLETED:20240110T000000Z",
    );
    assert!(in_range(
        &t,
        "VTODO",
        r("20240105T000000Z", "20240106T000000Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20240111T000000Z", "20240112T000000Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20231201T000000Z", "20231202T000000Z")
    ));
    // COMPLETED only: start <= C AND end >= C.
    let t = comp("VTODO", "COMPLETED:20240110T000000Z");
    assert!(in_range(
        &t,
        "VTODO",
        r("20240109T000000Z", "20240110T000000Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20240110T000001Z", "20240111T000000Z")
    ));
    // CREATED only: end > CREATED.
    let t = comp("VTODO", "CREATED:20240101T000000Z");
    assert!(in_range(
        &t,
        "VTODO",
        r("20231201T000000Z", "20240101T000001Z")
    ));
    assert!(!in_range(
        &t,
        "VTODO",
        r("20231201T000000Z", "20240101T000000Z")
    ));
    // Nothing: always.
    let t = comp("VTODO", "SUMMARY:someday");
    assert!(in_range(
        &t,
        "VTODO",
        r("19000101T000000Z", "19000102T000000Z")
    ));
}

#[test]
fn vjournal_and_vfreebusy() {
    let j = comp("VJOURNAL", "DTSTART;VALUE=DATE:20240115");
    assert!(in_range(
        &j,
        "VJOURNAL",
        range("20240115T120000Z", "20240115T130000Z")
    ));
    assert!(!in_range(
        &j,
        "VJOURNAL",
        range("20240116T000000Z", "20240117T000000Z")
    ));
    let j = comp("VJOURNAL", "DTSTART:20240115T100000Z");
    assert!(in_range(
        &j,
        "VJOURNAL",
        range("20240115T100000Z", "20240115T100001Z")
    ));
    assert!(!in_range(
        &j,
        "VJOURNAL",
        range("20240115T100001Z", "20240115T110000Z")
    ));
    let j = comp("VJOURNAL", "SUMMARY:no date");
    assert!(!in_range(
        &j,
        "VJOURNAL",
        range("19000101T000000Z", "21000101T000000Z")
    ));

    let fb = comp(
        "VFREEBUSY",
        "FREEBUSY:20240115T100000Z/PT1H,20240116T100000Z/20240116T110000Z",
    );
    assert!(in_range(
        &fb,
        "VFREEBUSY",
        range("20240116T103000Z", "20240116T120000Z")
    ));
    assert!(!in_range(
        &fb,
        "VFREEBUSY",
        range("20240115T110000Z", "20240116T100000Z")
    ));
    let fb = comp(
        "VFREEBUSY",
        "DTSTART:20240115T100000Z\nDTEND:20240115T110000Z",
    );
    assert!(in_range(
        &fb,
        "VFREEBUSY",
        range("20240115T110000Z", "20240115T120000Z")
    ));
    assert!(!in_range(
        &fb,
        "VFREEBUSY",
        range("20240115T080000Z", "20240115T100000Z")
    ));
}

fn alarm_filter(r: TimeRange) -> CompFilter {
    CompFilter {
        comp_filters: vec![CompFilter {
            time_range: Some(r),
            ..cf("VALARM")
        }],
        ..cf("VEVENT")
    }
}

#[test]
fn valarm_triggers_repeats_and_per_instance() {
    let e = comp(
        "VEVENT",
        "DTSTART:20240115T100000Z\nDTEND:20240115T110000Z\nRRULE:FREQ=DAILY;COUNT=3\n\
BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-PT15M\nREPEAT:2\nDURATION:PT5M\nEND:VALARM",
    );
    // 09:45, 09:50, 09:55 on each of three days.
    assert!(check(
        &e,
        alarm_filter(range("20240115T094000Z", "20240115T094600Z"))
    ));
    assert!(check(
        &e,
        alarm_filter(range("20240115T095500Z", "20240115T095600Z"))
    ));
    assert!(!check(
        &e,
        alarm_filter(range("20240115T095600Z", "20240115T100000Z"))
    ));
    assert!(check(
        &e,
        alarm_filter(range("20240117T094500Z", "20240117T094501Z"))
    ));
    assert!(!check(
        &e,
        alarm_filter(range("20240118T094500Z", "20240118T094501Z"))
    ));

    let end = comp(
        "VEVENT",
        "DTSTART:20240115T100000Z\nDTEND:20240115T110000Z\n\
BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER;RELATED=END:PT5M\nEND:VALARM",
    );
    assert!(check(
        &end,
        alarm_filter(range("20240115T110500Z", "20240115T110501Z"))
    ));
    assert!(!check(
        &end,
        alarm_filter(range("20240115T100500Z", "20240115T100501Z"))
    ));
    let abs = comp(
        "VEVENT",
        "DTSTART:20240115T100000Z\n\
BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER;VALUE=DATE-TIME:20240114T080000Z\nEND:VALARM",
    );
    assert!(check(
        &abs,
        alarm_filter(range("20240114T080000Z", "20240114T080001Z"))
    ));
    assert!(!check(
        &abs,
        alarm_filter(range("20240115T080000Z", "20240115T080001Z"))
    ));
}

#[test]
fn recurrence_overrides_and_exdates_in_time_ranges() {
    let text = cal(
        "BEGIN:VEVENT\nUID:m\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nDTEND:20240101T110000Z\n\
SUMMARY:weekly\nRRULE:FREQ=WEEKLY;COUNT=4\nEXDATE:20240115T100000Z\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:m\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID:20240108T100000Z\n\
DTSTART:20240109T150000Z\nDTEND:20240109T160000Z\nSUMMARY:moved\nEND:VEVENT",
    );
    assert!(in_range(
        &text,
        "VEVENT",
        range("20240122T100000Z", "20240122T103000Z")
    ));
    assert!(!in_range(
        &text,
        "VEVENT",
        range("20240115T100000Z", "20240115T103000Z")
    ));
    // The moved instance matches where it went, not where it was.
    assert!(in_range(
        &text,
        "VEVENT",
        range("20240109T153000Z", "20240109T154000Z")
    ));
    assert!(!in_range(
        &text,
        "VEVENT",
        range("20240108T100000Z", "20240108T103000Z")
    ));
    // Properties are those of the component supplying the instance.
    let summary = |s: &str, r: TimeRange| CompFilter {
        time_range: Some(r),
        prop_filters: vec![PropFilter {
            text_match: Some(tm(s, Collation::AsciiCasemap, false)),
            ..pf("SUMMARY")
        }],
        ..cf("VEVENT")
    };
    assert!(check(
        &text,
        summary("moved", range("20240109T000000Z", "20240110T000000Z"))
    ));
    assert!(!check(
        &text,
        summary("weekly", range("20240109T000000Z", "20240110T000000Z"))
    ));
    assert!(check(
        &text,
        summary("weekly", range("20240101T000000Z", "20240102T000000Z"))
    ));
}

#[test]
fn open_ended_range_on_an_unbounded_rule() {
    let e = comp("VEVENT", "DTSTART:20000101T100000Z\nRRULE:FREQ=DAILY");
    let after = TimeRange::new(Some(utc("20300101T000000Z")), None);
    assert!(in_range(&e, "VEVENT", after));
    let before = TimeRange::new(None, Some(utc("19991231T000000Z")));
    assert!(!in_range(&e, "VEVENT", before));
}

#[test]
fn too_many_instances_is_reported() {
    let e = comp("VEVENT", "DTSTART:20240101T000000Z\nRRULE:FREQ=SECONDLY");
    let f = top(CompFilter {
        time_range: Some(range("20240101T000000Z", "20240102T000000Z")),
        ..cf("VEVENT")
    });
    let ctx = EvalContext {
        max_instances: 500,
        ..CTX
    };
    assert_eq!(
        matches(&parse(&e).unwrap(), &f, &ctx),
        Err(ExpandError::TooManyInstances(500))
    );
}

#[test]
fn text_match_collations_and_negation() {
    let e = comp(
        "VEVENT",
        "DTSTART:20240115T100000Z\nSUMMARY:Café Meeting\\, Room 1",
    );
    let summary = |t: TextMatch| CompFilter {
        prop_filters: vec![PropFilter {
            text_match: Some(t),
            ..pf("SUMMARY")
        }],
        ..cf("VEVENT")
    };
    use Collation::*;
    assert!(check(&e, summary(tm("meeting", AsciiCasemap, false))));
    assert!(check(&e, summary(tm("MEETING, room", AsciiCasemap, false))));
    assert!(!check(&e, summary(tm("meeting", Octet, false))));
    assert!(check(&e, summary(tm("Meeting, Room", Octet, false))));
    assert!(check(&e, summary(tm("CAFÉ", UnicodeCasemap, false))));
    assert!(!check(&e, summary(tm("CAFÉ", AsciiCasemap, false))));
    assert!(check(&e, summary(tm("lunch", AsciiCasemap, true))));
    assert!(!check(&e, summary(tm("meeting", AsciiCasemap, true))));
    // A missing property fails a prop-filter even with a negated match.
    let no_location = CompFilter {
        prop_filters: vec![PropFilter {
            text_match: Some(tm("x", AsciiCasemap, true)),
            ..pf("LOCATION")
        }],
        ..cf("VEVENT")
    };
    assert!(!check(&e, no_location));
    assert_eq!(
        Collation::from_name("i;unicode-casemap"),
        Some(UnicodeCasemap)
    );
    assert_eq!(Collation::from_name("i;octet"), Some(Octet));
    assert_eq!(Collation::from_name("i;ascii-casemap"), Some(AsciiCasemap));
    assert_eq!(Collation::from_name("i;ascii-numeric"), None);
}

#[test]
fn is_not_defined_param_filters_and_and() {
    let e = comp(
        "VEVENT",
        "DTSTART:20240115T100000Z\nSUMMARY:Standup\n\
ATTENDEE;PARTSTAT=NEEDS-ACTION;CN=Ann:mailto:ann@example.com",
    );
    let not_defined = |name: &str| PropFilter {
        is_not_defined: true,
        ..pf(name)
    };
    assert!(check(
        &e,
        CompFilter {
            prop_filters: vec![not_defined("LOCATION")],
            ..cf("VEVENT")
        }
    ));
    assert!(!check(
        &e,
        CompFilter {
            prop_filters: vec![not_defined("SUMMARY")],
            ..cf("VEVENT")
        }
    ));
    assert!(check(
        &e,
        CompFilter {
            is_not_defined: true,
            ..cf("VTODO")
        }
    ));
    assert!(!check(
        &e,
        CompFilter {
            is_not_defined: true,
            ..cf("VEVENT")
        }
    ));
    assert!(!check(&e, cf("VTODO")));

    let attendee = |p: ParamFilter| CompFilter {
        prop_filters: vec![PropFilter {
            param_filters: vec![p],
            ..pf("ATTENDEE")
        }],
        ..cf("VEVENT")
    };
    let param = |name: &str, is_not_defined: bool, t: Option<TextMatch>| ParamFilter {
        name: name.into(),
        is_not_defined,
        text_match: t,
    };
    assert!(check(
        &e,
        attendee(param(
            "PARTSTAT",
            false,
            Some(tm("needs", Collation::AsciiCasemap, false))
        ))
    ));
    assert!(!check(
        &e,
        attendee(param(
            "PARTSTAT",
            false,
            Some(tm("ACCEPTED", Collation::AsciiCasemap, false))
        ))
    ));
    assert!(check(&e, attendee(param("ROLE", true, None))));
    assert!(!check(&e, attendee(param("CN", true, None))));

    // Everything is ANDed: a matching SUMMARY does not rescue a missed range.
    let both = |r: TimeRange| CompFilter {
        time_range: Some(r),
        prop_filters: vec![PropFilter {
            text_match: Some(tm("standup", Collation::AsciiCasemap, false)),
            ..pf("SUMMARY")
        }],
        ..cf("VEVENT")
    };
    assert!(check(
        &e,
        both(range("20240115T090000Z", "20240115T110000Z"))
    ));
    assert!(!check(
        &e,
        both(range("20240116T090000Z", "20240116T110000Z"))
    ));
    // A prop-filter time range on a date property.
    let stamp = |r: TimeRange| CompFilter {
        prop_filters: vec![PropFilter {
            time_range: Some(r),
            ..pf("DTSTAMP")
        }],
        ..cf("VEVENT")
    };
    assert!(check(
        &e,
        stamp(range("20240101T000000Z", "20240101T000001Z"))
    ));
    assert!(!check(
        &e,
        stamp(range("20231231T000000Z", "20240101T000000Z"))
    ));
    // A top filter that is not VCALENDAR matches nothing.
    assert!(!matches(&parse(&e).unwrap(), &cf("VEVENT"), &CTX).unwrap());
}

fn ics_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            ics_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "ics") {
            out.push(p);
        }
    }
}

#[test]
fn corpus_never_panics_and_wide_ranges_match_every_event() {
    let root_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ics");
    let mut files = Vec::new();
    ics_files(&root_dir, &mut files);
    files.sort();
    let limits = ValidationLimits {
        min_date_time: i64::MIN,
        max_date_time: i64::MAX,
    };
    let ctx = EvalContext {
        floating_tz: Some(chrono_tz::Europe::Berlin),
        max_instances: 5000,
    };
    // From year 1 on, no end: every event has an instance in it.
    let wide = TimeRange::new(Some(-62_135_596_800), None);
    let narrow = range("20240601T000000Z", "20240602T000000Z");
    let mut events = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(info) = analyze(&bytes, &limits) else {
            continue;
        };
        let text = String::from_utf8(bytes).unwrap();
        let root = parse(&text).unwrap();
        let kind = info.kind.name();
        for r in [wide, narrow] {
            let f = top(CompFilter {
                time_range: Some(r),
                comp_filters: vec![CompFilter {
                    time_range: Some(r),
                    ..cf("VALARM")
                }],
                ..cf(kind)
            });
            match matches(&root, &f, &ctx) {
                Ok(_)
                | Err(ExpandError::TooManyInstances(_))
                | Err(ExpandError::Unsupported(_)) => {}
                Err(e) => panic!("{}: {e}", path.display()),
            }
        }
        let has_start = root
            .components
            .iter()
            .any(|c| c.name == "VEVENT" && c.property("DTSTART").is_some());
        if kind == "VEVENT" && has_start {
            events += 1;
            let f = top(CompFilter {
                time_range: Some(wide),
                ..cf("VEVENT")
            });
            assert_eq!(matches(&root, &f, &ctx), Ok(true), "{}", path.display());
            // And the expansion of a narrow range never fails on valid data.
            let out = ical::expand_to_text(&text, narrow, &ctx);
            assert!(
                matches!(
                    out,
                    Ok(_)
                        | Err(ExpandError::TooManyInstances(_))
                        | Err(ExpandError::Unsupported(_))
                ),
                "{}: {out:?}",
                path.display()
            );
        }
    }
    assert!(events >= 30, "only {events} event files were checked");
}

// --- the instance index must give the same answers as exact evaluation ------------------

const INDEX_LIMITS: ical::IndexLimits = ical::IndexLimits {
    horizon: 2_000_000_000, // 2033-05-18
    max_instances: 4000,
    max_span: 31 * 86_400,
};

fn index_of(text: &str) -> Option<ical::EventIndex> {
    ical::event_index(&parse(text).unwrap(), &INDEX_LIMITS)
}

/// What the store answers from the index for `[start, end)`, floating spans read in a
/// zone `offset` seconds east of UTC.
fn index_says(index: &ical::EventIndex, r: TimeRange, offset: i64) -> bool {
    let shift = if index.floating { offset } else { 0 };
    let (s, e) = (r.start.unwrap() + shift, r.end.unwrap() + shift);
    index.spans.iter().any(|&(a, b)| a < e && b > s)
}

/// Windows around every span edge (exact edges, one second off, an hour, a week), so
/// that each boundary rule of RFC 4791 §9.9 is hit from both sides.
fn windows_around(index: &ical::EventIndex) -> Vec<TimeRange> {
    let mut out = Vec::new();
    for &(a, b) in index.spans.iter().take(60) {
        for edge in [a, b] {
            for (lo, hi) in [
                (0, 1),
                (-1, 0),
                (-1, 1),
                (1, 2),
                (-3600, 3600),
                (-7 * 86_400, 0),
                (0, 7 * 86_400),
            ] {
                out.push(TimeRange::new(Some(edge + lo), Some(edge + hi)));
            }
        }
    }
    // Floating spans are wall-clock seconds: the windows read in Tokyo shift by 9 hours.
    let reach = if index.floating { 9 * 3600 } else { 0 };
    out.retain(|r| r.end.unwrap().saturating_add(reach) <= index.complete_until);
    out
}

fn assert_index_agrees(name: &str, text: &str, index: &ical::EventIndex) -> usize {
    let root = parse(text).unwrap();
    let windows = windows_around(index);
    for r in &windows {
        let f = top(CompFilter {
            time_range: Some(*r),
            ..cf("VEVENT")
        });
        // Read in UTC and in a zone without DST (the store's precondition for floating).
        for (tz, offset) in [(None, 0), (Some(chrono_tz::Asia::Tokyo), 9 * 3600)] {
            let ctx = EvalContext {
                floating_tz: tz,
                max_instances: 100_000,
            };
            let exact = matches(&root, &f, &ctx).unwrap();
            assert_eq!(
                index_says(index, *r, offset),
                exact,
                "{name}: window {r:?} {tz:?}"
            );
        }
    }
    windows.len()
}

#[test]
fn instance_index_spans_follow_the_vevent_table() {
    let dtend = comp("VEVENT", "DTSTART:20240105T100000Z\nDTEND:20240105T110000Z");
    let i = index_of(&dtend).unwrap();
    assert_eq!(
        i.spans,
        vec![(utc("20240105T100000Z"), utc("20240105T110000Z"))]
    );
    assert_eq!(i.complete_until, i64::MAX);
    // A DATE-TIME alone is a point: one second wide on the index.
    let point = comp("VEVENT", "DTSTART:20240105T100000Z");
    let t = utc("20240105T100000Z");
    assert_eq!(index_of(&point).unwrap().spans, vec![(t, t + 1)]);
    // DTEND equal to DTSTART stays an (empty) interval, as §9.9 says.
    let empty = comp("VEVENT", "DTSTART:20240105T100000Z\nDTEND:20240105T100000Z");
    assert_eq!(index_of(&empty).unwrap().spans, vec![(t, t)]);
    for (name, text) in [("dtend", &dtend), ("point", &point), ("empty", &empty)] {
        assert!(assert_index_agrees(name, text, &index_of(text).unwrap()) > 0);
    }
}

#[test]
fn instance_index_of_recurrences_in_a_zone() {
    let weekly = cal(concat!(
        "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:DAYLIGHT\nTZOFFSETFROM:+0100\n",
        "TZOFFSETTO:+0200\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\n",
        "END:DAYLIGHT\nBEGIN:STANDARD\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n",
        "DTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\n",
        "END:VTIMEZONE\n",
        "BEGIN:VEVENT\nUID:w\nDTSTAMP:20240101T000000Z\n",
        "DTSTART;TZID=Europe/Berlin:20240301T090000\nDURATION:PT1H\n",
        "RRULE:FREQ=WEEKLY;COUNT=10\nEXDATE;TZID=Europe/Berlin:20240315T090000\nEND:VEVENT\n",
        "BEGIN:VEVENT\nUID:w\nDTSTAMP:20240101T000000Z\n",
        "RECURRENCE-ID;TZID=Europe/Berlin:20240322T090000\n",
        "DTSTART;TZID=Europe/Berlin:20240323T140000\nDTEND;TZID=Europe/Berlin:20240323T150000\n",
        "END:VEVENT"
    ));
    let i = index_of(&weekly).unwrap();
    assert_eq!(i.spans.len(), 9, "ten weekly, one excluded");
    // Across the DST change of 31 March the wall time stays 09:00.
    assert!(i
        .spans
        .contains(&(utc("20240329T080000Z"), utc("20240329T090000Z"))));
    assert!(i
        .spans
        .contains(&(utc("20240405T070000Z"), utc("20240405T080000Z"))));
    assert!(i
        .spans
        .contains(&(utc("20240323T130000Z"), utc("20240323T140000Z"))));
    assert!(assert_index_agrees("weekly", &weekly, &i) > 100);

    // Unbounded: complete up to the horizon, and the windows beyond it are not claimed.
    let daily = comp(
        "VEVENT",
        "DTSTART:20300101T080000Z\nDTEND:20300101T083000Z\nRRULE:FREQ=DAILY",
    );
    let i = index_of(&daily).unwrap();
    assert_eq!(i.complete_until, INDEX_LIMITS.horizon);
    assert!(i.spans.iter().all(|s| s.0 < INDEX_LIMITS.horizon));
    assert!(i.spans.len() > 1000);
    assert_index_agrees("daily", &daily, &i);
}

#[test]
fn instance_index_of_floating_and_all_day_events_is_in_wall_clock_time() {
    let floating = comp(
        "VEVENT",
        "DTSTART:20240105T100000\nDTEND:20240105T110000\nRRULE:FREQ=DAILY;COUNT=3",
    );
    let all_day = comp(
        "VEVENT",
        "DTSTART;VALUE=DATE:20240105\nRRULE:FREQ=YEARLY\nEXDATE;VALUE=DATE:20250105",
    );
    let f = index_of(&floating).unwrap();
    assert!(f.floating);
    assert_eq!(
        f.spans[2],
        (utc("20240107T100000Z"), utc("20240107T110000Z"))
    );
    assert!(assert_index_agrees("floating", &floating, &f) >= 40);
    let a = index_of(&all_day).unwrap();
    assert!(a.floating);
    assert_eq!(a.complete_until, INDEX_LIMITS.horizon);
    assert_eq!(
        a.spans[0],
        (utc("20240105T000000Z"), utc("20240106T000000Z"))
    );
    assert_eq!(a.spans[1].0, utc("20260105T000000Z"), "2025 is excluded");
    assert!(assert_index_agrees("all-day", &all_day, &a) > 100);
}

#[test]
fn constant_offset_sees_dst_changes() {
    let berlin = Some(chrono_tz::Europe::Berlin);
    let week = 7 * 86_400;
    assert_eq!(ical::tz::constant_offset(None, 0, week), Some(0));
    let jan = utc("20240108T000000Z");
    assert_eq!(
        ical::tz::constant_offset(berlin, jan, jan + week),
        Some(3600)
    );
    let march = utc("20240327T000000Z"); // DST starts on the 31st
    assert_eq!(ical::tz::constant_offset(berlin, march, march + week), None);
}

#[test]
fn instance_index_leaves_mixed_and_huge_objects_to_exact_evaluation() {
    // A UTC series with one instance moved to a floating time: neither reading fits all.
    let mixed = cal(concat!(
        "BEGIN:VEVENT\nUID:m\nDTSTAMP:20240101T000000Z\nDTSTART:20240105T100000Z\n",
        "DURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n",
        "BEGIN:VEVENT\nUID:m\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID:20240106T100000Z\n",
        "DTSTART:20240106T150000\nDURATION:PT1H\nEND:VEVENT"
    ));
    let long = comp("VEVENT", "DTSTART:20240105T100000Z\nDTEND:20240305T100000Z");
    let minutely = comp("VEVENT", "DTSTART:20240105T100000Z\nRRULE:FREQ=MINUTELY");
    let todo = comp("VTODO", "DTSTART:20240105T100000Z");
    for text in [&mixed, &long, &minutely, &todo] {
        assert_eq!(index_of(text), None, "{text}");
    }
}

#[test]
fn instance_index_agrees_with_exact_evaluation_on_the_corpus() {
    let root_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ics");
    let mut files = Vec::new();
    ics_files(&root_dir, &mut files);
    files.sort();
    let limits = ValidationLimits {
        min_date_time: i64::MIN,
        max_date_time: i64::MAX,
    };
    let (mut indexed, mut windows) = (0, 0);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(info) = analyze(&bytes, &limits) else {
            continue;
        };
        let text = String::from_utf8(bytes).unwrap();
        let Some(index) = index_of(&text) else {
            continue;
        };
        assert_eq!(info.kind.name(), "VEVENT");
        indexed += 1;
        windows += assert_index_agrees(&path.display().to_string(), &text, &index);
    }
    assert!(indexed >= 15, "only {indexed} files were indexable");
    assert!(windows >= 1000, "only {windows} windows were compared");
}
