//! Recurrence expansion: `instances` and `expand_to_text` (RFC 5545
//! §3.3.10, §3.8.5; RFC 4791 §9.6.5).
#![allow(clippy::unwrap_used)] // tests may panic: that is how they fail

use chrono::NaiveDateTime;
use ical::{expand_to_text, instances, parse, ComponentKind, EvalContext, ExpandError, TimeRange};

const CTX: EvalContext = EvalContext {
    floating_tz: None,
    max_instances: 10_000,
};

fn cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}\nEND:VCALENDAR\n")
        .replace('\n', "\r\n")
}

fn event(props: &str) -> String {
    cal(&format!(
        "BEGIN:VEVENT\nUID:e1\nDTSTAMP:20240101T000000Z\n{props}\nEND:VEVENT"
    ))
}

fn utc(s: &str) -> i64 {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .and_utc()
        .timestamp()
}

fn fmt(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

fn range(a: &str, b: &str) -> TimeRange {
    TimeRange::new(Some(utc(a)), Some(utc(b)))
}

fn starts_with(text: &str, r: TimeRange, ctx: &EvalContext) -> Vec<String> {
    let root = parse(text).unwrap();
    instances(&root, None, r, ctx)
        .unwrap()
        .iter()
        .map(|i| fmt(i.start))
        .collect()
}

fn starts(text: &str, r: TimeRange) -> Vec<String> {
    starts_with(text, r, &CTX)
}

const ALL: TimeRange = TimeRange {
    start: None,
    end: None,
};

#[test]
fn berlin_weekly_keeps_wall_clock_across_both_dst_changes() {
    // 09:00 local: CET (+1) is 08:00Z, CEST (+2) is 07:00Z.
    let spring = event(
        "DTSTART;TZID=Europe/Berlin:20240321T090000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=3",
    );
    assert_eq!(
        starts(&spring, ALL),
        ["20240321T080000Z", "20240328T080000Z", "20240404T070000Z"]
    );
    let autumn = event("DTSTART;TZID=Europe/Berlin:20241017T090000\nDTEND;TZID=Europe/Berlin:20241017T100000\nRRULE:FREQ=WEEKLY;COUNT=3");
    let root = parse(&autumn).unwrap();
    let got = instances(&root, None, ALL, &CTX).unwrap();
    let spans: Vec<(String, i64)> = got
        .iter()
        .map(|i| (fmt(i.start), i.end - i.start))
        .collect();
    assert_eq!(
        spans,
        [
            ("20241017T070000Z".to_string(), 3600),
            ("20241024T070000Z".to_string(), 3600),
            ("20241031T080000Z".to_string(), 3600)
        ]
    );
}

#[test]
fn new_york_weekly_across_march_and_november() {
    let nov = event("DTSTART;TZID=America/New_York:20241027T090000\nRRULE:FREQ=WEEKLY;COUNT=3");
    assert_eq!(
        starts(&nov, ALL),
        ["20241027T130000Z", "20241103T140000Z", "20241110T140000Z"]
    );
    let march = event(
        "DTSTART;TZID=America/New_York:20250302T090000\nRRULE:FREQ=WEEKLY;UNTIL=20250316T130000Z",
    );
    assert_eq!(
        starts(&march, ALL),
        ["20250302T140000Z", "20250309T130000Z", "20250316T130000Z"]
    );
}

#[test]
fn nonexistent_local_time_moves_forward_by_the_gap() {
    // 02:30 on 2024-03-31 does not exist in Berlin: read with the offset
    // before the gap (+01:00), i.e. 03:30 CEST (RFC 5545 §3.3.5).
    let e = event("DTSTART;TZID=Europe/Berlin:20240324T023000\nRRULE:FREQ=WEEKLY;COUNT=3");
    assert_eq!(
        starts(&e, ALL),
        ["20240324T013000Z", "20240331T013000Z", "20240407T003000Z"]
    );
}

#[test]
fn custom_vtimezone_is_expanded_from_its_rules() {
    let body = "BEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nBEGIN:STANDARD\nDTSTART:16010101T030000\n\
TZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nEND:STANDARD\n\
BEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n\
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n\
BEGIN:VEVENT\nUID:o1\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=W. Europe Standard Time:20240321T090000\n\
RRULE:FREQ=WEEKLY;COUNT=3\nEND:VEVENT";
    assert_eq!(
        starts(&cal(body), ALL),
        ["20240321T080000Z", "20240328T080000Z", "20240404T070000Z"]
    );
}

#[test]
fn byday_ordinals_bysetpos_and_negative_monthday() {
    let last_friday = event("DTSTART:20240126T100000Z\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=4");
    assert_eq!(
        starts(&last_friday, ALL),
        [
            "20240126T100000Z",
            "20240223T100000Z",
            "20240329T100000Z",
            "20240426T100000Z"
        ]
    );
    let second_tuesday = event("DTSTART:20240109T100000Z\nRRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=3");
    assert_eq!(
        starts(&second_tuesday, ALL),
        ["20240109T100000Z", "20240213T100000Z", "20240312T100000Z"]
    );
    let last_workday = event(
        "DTSTART:20240131T100000Z\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=4",
    );
    assert_eq!(
        starts(&last_workday, ALL),
        [
            "20240131T100000Z",
            "20240229T100000Z",
            "20240329T100000Z",
            "20240430T100000Z"
        ]
    );
    let month_end = event("DTSTART:20240131T100000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4");
    assert_eq!(
        starts(&month_end, ALL),
        [
            "20240131T100000Z",
            "20240229T100000Z",
            "20240331T100000Z",
            "20240430T100000Z"
        ]
    );
    // A plain monthly rule on the 31st skips the shorter months.
    let the_31st = event("DTSTART:20240131T100000Z\nRRULE:FREQ=MONTHLY;COUNT=3");
    assert_eq!(
        starts(&the_31st, ALL),
        ["20240131T100000Z", "20240331T100000Z", "20240531T100000Z"]
    );
    let thanksgiving =
        event("DTSTART:20241128T170000Z\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=3");
    assert_eq!(
        starts(&thanksgiving, ALL),
        ["20241128T170000Z", "20251127T170000Z", "20261126T170000Z"]
    );
    // RFC 5545 §3.3.10 "Every Friday the 13th" (DTSTART excluded by EXDATE).
    let f13 = event("DTSTART:19970902T090000Z\nEXDATE:19970902T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=4");
    assert_eq!(
        starts(&f13, ALL),
        ["19980213T090000Z", "19980313T090000Z", "19981113T090000Z"]
    );
}

#[test]
fn count_and_until_in_each_form() {
    let by_count = event("DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;COUNT=5");
    assert_eq!(starts(&by_count, ALL).len(), 5);
    // UNTIL is inclusive: 09:00 Berlin on Jan 5 is 08:00Z.
    let until = event(
        "DTSTART;TZID=Europe/Berlin:20240101T090000\nRRULE:FREQ=DAILY;UNTIL=20240105T080000Z",
    );
    assert_eq!(starts(&until, ALL).len(), 5);
    let just_before = event(
        "DTSTART;TZID=Europe/Berlin:20240101T090000\nRRULE:FREQ=DAILY;UNTIL=20240105T075959Z",
    );
    assert_eq!(starts(&just_before, ALL).len(), 4);
    let by_date = event("DTSTART;VALUE=DATE:20240101\nRRULE:FREQ=DAILY;UNTIL=20240103");
    assert_eq!(
        starts(&by_date, ALL),
        ["20240101T000000Z", "20240102T000000Z", "20240103T000000Z"]
    );
}

#[test]
fn exdate_removes_and_rdate_adds() {
    let e = event(
        "DTSTART;TZID=Europe/Berlin:20240101T090000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=4\n\
EXDATE;TZID=Europe/Berlin:20240102T090000,20240103T090000\n\
RDATE;TZID=Europe/Berlin:20240110T090000\nRDATE;VALUE=PERIOD:20240120T120000Z/PT3H",
    );
    let root = parse(&e).unwrap();
    let got = instances(&root, None, ALL, &CTX).unwrap();
    let v: Vec<(String, i64)> = got
        .iter()
        .map(|i| (fmt(i.start), i.end - i.start))
        .collect();
    assert_eq!(
        v,
        [
            ("20240101T080000Z".to_string(), 3600),
            ("20240104T080000Z".to_string(), 3600),
            ("20240110T080000Z".to_string(), 3600),
            ("20240120T120000Z".to_string(), 3 * 3600),
        ]
    );
    assert!(got.iter().all(|i| i.recurrence_id == Some(i.start)));
}

const MOVED: &str = "BEGIN:VEVENT\nUID:m\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nDTEND:20240101T110000Z\n\
SUMMARY:weekly\nRRULE:FREQ=WEEKLY;COUNT=4\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:m\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID:20240108T100000Z\n\
DTSTART:20240109T150000Z\nDTEND:20240109T160000Z\nSUMMARY:moved\nEND:VEVENT";

#[test]
fn override_moves_its_instance() {
    let text = cal(MOVED);
    let root = parse(&text).unwrap();
    let all = instances(&root, None, ALL, &CTX).unwrap();
    let v: Vec<String> = all.iter().map(|i| fmt(i.start)).collect();
    assert_eq!(
        v,
        [
            "20240101T100000Z",
            "20240109T150000Z",
            "20240115T100000Z",
            "20240122T100000Z"
        ]
    );
    let moved = all.get(1).unwrap();
    assert_eq!(moved.recurrence_id, Some(utc("20240108T100000Z")));
    assert_eq!(moved.component.property("SUMMARY").unwrap().value, "moved");
    // The original slot is empty, the new one is taken.
    assert!(instances(
        &root,
        None,
        range("20240108T000000Z", "20240109T000000Z"),
        &CTX
    )
    .unwrap()
    .is_empty());
    assert_eq!(
        instances(
            &root,
            None,
            range("20240109T152000Z", "20240109T153000Z"),
            &CTX
        )
        .unwrap()
        .len(),
        1
    );
}

#[test]
fn this_and_future_shifts_later_instances() {
    let text = cal(
        "BEGIN:VEVENT\nUID:t\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nDURATION:PT1H\n\
SUMMARY:old\nRRULE:FREQ=WEEKLY;COUNT=4\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:t\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;RANGE=THISANDFUTURE:20240115T100000Z\n\
DTSTART:20240115T120000Z\nDURATION:PT2H\nSUMMARY:new\nEND:VEVENT",
    );
    let root = parse(&text).unwrap();
    let all = instances(&root, None, ALL, &CTX).unwrap();
    let v: Vec<(String, i64, String)> = all
        .iter()
        .map(|i| {
            (
                fmt(i.start),
                i.end - i.start,
                i.component.property("SUMMARY").unwrap().value.clone(),
            )
        })
        .collect();
    let row = |s: &str, d: i64, n: &str| (s.to_string(), d, n.to_string());
    assert_eq!(
        v,
        [
            row("20240101T100000Z", 3600, "old"),
            row("20240108T100000Z", 3600, "old"),
            row("20240115T120000Z", 7200, "new"),
            row("20240122T120000Z", 7200, "new"),
        ]
    );
    assert_eq!(
        all.get(3).unwrap().recurrence_id,
        Some(utc("20240122T100000Z"))
    );
}

#[test]
fn override_without_matching_instance_is_still_an_instance() {
    let text = cal(
        "BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n\
BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID:20240301T100000Z\nDTSTART:20240301T110000Z\nEND:VEVENT",
    );
    assert_eq!(
        starts(&text, ALL),
        ["20240101T100000Z", "20240102T100000Z", "20240301T110000Z"]
    );
}

#[test]
fn all_day_and_floating_use_the_calendar_time_zone() {
    let bday = event("DTSTART;VALUE=DATE:20200315\nRRULE:FREQ=YEARLY");
    let berlin = EvalContext {
        floating_tz: Some(chrono_tz::Europe::Berlin),
        ..CTX
    };
    let root = parse(&bday).unwrap();
    let got = instances(
        &root,
        None,
        range("20240101T000000Z", "20250101T000000Z"),
        &berlin,
    )
    .unwrap();
    assert_eq!(got.len(), 1);
    let i = got.first().unwrap();
    assert!(i.is_date);
    assert_eq!(
        (fmt(i.start), fmt(i.end)),
        ("20240314T230000Z".into(), "20240315T230000Z".into())
    );
    // The same day read in UTC.
    let got = instances(
        &root,
        None,
        range("20240101T000000Z", "20250101T000000Z"),
        &CTX,
    )
    .unwrap();
    assert_eq!(fmt(got.first().unwrap().start), "20240315T000000Z");

    let floating = event("DTSTART:20240701T090000\nRRULE:FREQ=DAILY;COUNT=1");
    let ny = EvalContext {
        floating_tz: Some(chrono_tz::America::New_York),
        ..CTX
    };
    assert_eq!(starts_with(&floating, ALL, &ny), ["20240701T130000Z"]);
    assert_eq!(starts(&floating, ALL), ["20240701T090000Z"]);
}

#[test]
fn unbounded_rules_need_a_range_end_and_fast_forward() {
    // Daily since 1990: without a fast-forward 13k instances would be
    // walked; 100 is plenty for one week of 2026.
    let daily = event("DTSTART;TZID=Europe/Berlin:19900101T090000\nRRULE:FREQ=DAILY");
    let small = EvalContext {
        max_instances: 100,
        ..CTX
    };
    let week = range("20260105T000000Z", "20260112T000000Z");
    let got = starts_with(&daily, week, &small);
    assert_eq!(got.len(), 7);
    assert_eq!(got.first().unwrap(), "20260105T080000Z");
    let root = parse(&daily).unwrap();
    assert_eq!(
        instances(
            &root,
            None,
            TimeRange::new(Some(utc("20260101T000000Z")), None),
            &CTX
        ),
        Err(ExpandError::Unbounded)
    );
    // COUNT has to be counted from DTSTART: honest walking hits the limit.
    let counted = event("DTSTART:19900101T090000Z\nRRULE:FREQ=DAILY;COUNT=100000");
    let root = parse(&counted).unwrap();
    assert_eq!(
        instances(&root, None, week, &small),
        Err(ExpandError::TooManyInstances(100))
    );
}

#[test]
fn secondly_rule_hits_the_instance_limit() {
    let e = event("DTSTART:20240101T000000Z\nRRULE:FREQ=SECONDLY");
    let root = parse(&e).unwrap();
    let ctx = EvalContext {
        max_instances: 1000,
        ..CTX
    };
    assert_eq!(
        instances(
            &root,
            None,
            range("20240101T000000Z", "20240102T000000Z"),
            &ctx
        ),
        Err(ExpandError::TooManyInstances(1000))
    );
    // A narrow window is fine.
    assert_eq!(
        instances(
            &root,
            None,
            range("20240101T000000Z", "20240101T000010Z"),
            &ctx
        )
        .unwrap()
        .len(),
        10
    );
}

#[test]
fn todo_instances_last_until_due_and_kind_filter() {
    let text = cal(
        "BEGIN:VTODO\nUID:t\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nDUE:20240101T120000Z\n\
RRULE:FREQ=DAILY;COUNT=2\nEND:VTODO",
    );
    let root = parse(&text).unwrap();
    let got = instances(&root, Some(ComponentKind::Todo), ALL, &CTX).unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|i| i.end - i.start == 7200));
    assert!(instances(&root, Some(ComponentKind::Event), ALL, &CTX)
        .unwrap()
        .is_empty());
}

#[test]
fn expand_output_is_flat_utc_and_folded() {
    let text = cal(&format!(
        "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\n\
TZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\nBEGIN:DAYLIGHT\n\
DTSTART:19700329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\n\
END:DAYLIGHT\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\n\
DTSTART;TZID=Europe/Berlin:20240321T090000\nDTEND;TZID=Europe/Berlin:20240321T100000\n\
SUMMARY:{}\nRRULE:FREQ=WEEKLY;COUNT=5\nEXDATE;TZID=Europe/Berlin:20240328T090000\n\
BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT10M\nDESCRIPTION:x\nEND:VALARM\nEND:VEVENT",
        "long ".repeat(30)
    ));
    let out = expand_to_text(&text, range("20240320T000000Z", "20240412T000000Z"), &CTX).unwrap();
    assert!(out.ends_with("END:VCALENDAR\r\n"));
    assert!(!out.replace("\r\n", "").contains('\n'));
    assert!(out.split("\r\n").all(|l| l.len() <= 75));
    for absent in ["RRULE", "EXDATE", "VTIMEZONE", "TZID"] {
        assert!(!out.contains(absent), "{absent} in\n{out}");
    }
    assert_eq!(out.matches("BEGIN:VEVENT").count(), 3);
    assert_eq!(out.matches("BEGIN:VALARM").count(), 3);
    for line in [
        "DTSTART:20240321T080000Z",
        "DTEND:20240321T090000Z",
        "RECURRENCE-ID:20240321T080000Z",
        "DTSTART:20240404T070000Z",
        "RECURRENCE-ID:20240411T070000Z",
    ] {
        assert!(
            out.contains(&format!("{line}\r\n")),
            "{line} missing in\n{out}"
        );
    }
    let root = parse(&out).unwrap();
    assert_eq!(root.components.len(), 3);
}

#[test]
fn expand_output_keeps_all_day_instances_as_dates() {
    let text = event("DTSTART;VALUE=DATE:20240101\nRRULE:FREQ=DAILY;COUNT=3");
    let out = expand_to_text(&text, range("20240102T000000Z", "20240103T000000Z"), &CTX).unwrap();
    assert!(out.contains("DTSTART;VALUE=DATE:20240102\r\n"), "{out}");
    assert!(
        out.contains("RECURRENCE-ID;VALUE=DATE:20240102\r\n"),
        "{out}"
    );
    assert_eq!(out.matches("BEGIN:VEVENT").count(), 1);
}

#[test]
fn huge_periods_and_absurd_rules_end_quickly() {
    let every_second = event(
        "DTSTART:20240101T000000Z\nRRULE:FREQ=YEARLY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;\
BYMINUTE=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59;\
BYSECOND=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59",
    );
    let root = parse(&every_second).unwrap();
    let r = range("20240101T000000Z", "20250101T000000Z");
    assert_eq!(
        instances(&root, None, r, &CTX),
        Err(ExpandError::TooManyInstances(10_000))
    );
    // Never matches (no February 30th): the walk gives up, no instance
    // but DTSTART, no hang.
    let never = event("DTSTART:20240101T000000Z\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5");
    assert_eq!(starts(&never, ALL), ["20240101T000000Z"]);
    let huge =
        event("DTSTART:20240101T000000Z\nRRULE:FREQ=SECONDLY;INTERVAL=4294967295;COUNT=4294967295");
    // 136-year steps: the walk stops at the end of year 9999.
    let v = starts(&huge, ALL);
    assert_eq!(v.len(), 59);
    assert!(v.last().unwrap().starts_with("99"));
}
