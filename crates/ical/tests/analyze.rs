//! `analyze`: one test per rule, and the bounds the store's pre-filter gets.
#![allow(clippy::unwrap_used)] // tests may panic: that is how they fail

use ical::{analyze, ComponentKind, Invalid, ObjectInfo, ValidationLimits};

const OPEN: ValidationLimits = ValidationLimits {
    min_date_time: i64::MIN,
    max_date_time: i64::MAX,
};

const H: i64 = 3600;
const DAY: i64 = 86_400;
/// Floating times may be read in any zone from UTC-12 to UTC+14.
const SLACK: i64 = 14 * H;

/// (first_start, last_end) as `ObjectInfo` reports them.
type Bounds = (Option<i64>, Option<i64>);

/// 2024-01-15 00:00:00 UTC.
const JAN15: i64 = 1_705_276_800;

fn cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
}

fn event(props: &str) -> String {
    cal(&format!(
        "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20240101T000000Z\r\n{props}END:VEVENT\r\n"
    ))
}

fn ok(text: &str) -> ObjectInfo {
    match analyze(text.as_bytes(), &OPEN) {
        Ok(i) => i,
        Err(e) => panic!("refused: {e}\n{text}"),
    }
}

fn err(text: &str) -> Invalid {
    match analyze(text.as_bytes(), &OPEN) {
        Ok(i) => panic!("accepted: {i:?}\n{text}"),
        Err(e) => e,
    }
}

fn bounds(text: &str) -> Bounds {
    let i = ok(text);
    (i.first_start, i.last_end)
}

#[test]
fn info_fields() {
    let i = ok(&event(
        "DTSTART:20240115T100000Z\r\nSUMMARY:Lunch\\, with Ann\\nand Bob\r\n",
    ));
    assert_eq!(i.uid, "u1");
    assert_eq!(i.kind, ComponentKind::Event);
    assert_eq!(i.summary.as_deref(), Some("Lunch, with Ann\nand Bob"));
    assert_eq!(i.dtstart.as_deref(), Some("20240115T100000Z"));
}

#[test]
fn calendar_data_errors() {
    let cases: &[(&str, String)] = &[
        ("not UTF-8", "BEGIN:VCALENDAR\r\nX:\u{fffd}\r\n".replace('\u{fffd}', "")),
        ("line without colon", event("DTSTART:20240115T100000Z\r\nGARBAGE\r\n")),
        ("unterminated", cal("BEGIN:VEVENT\r\nUID:u1\r\n").replace("END:VCALENDAR\r\n", "")),
        (
            "mismatched END",
            cal("BEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20240115T100000Z\r\nEND:VTODO\r\n"),
        ),
        (
            "data after END:VCALENDAR",
            event("DTSTART:20240115T100000Z\r\n") + "X-JUNK:1\r\n",
        ),
        (
            "second VCALENDAR",
            event("DTSTART:20240115T100000Z\r\n") + &event("DTSTART:20240115T100000Z\r\n"),
        ),
        ("root not VCALENDAR", "BEGIN:VEVENT\r\nUID:u1\r\nEND:VEVENT\r\n".into()),
        ("bad DTSTART", event("DTSTART:20241315T100000Z\r\n")),
        ("bad DTEND", event("DTSTART:20240115T100000Z\r\nDTEND:2024-01-15\r\n")),
        ("VALUE=DATE honoured", event("DTSTART;VALUE=DATE:20240115T100000\r\n")),
        ("bad RECURRENCE-ID", event("DTSTART:20240115T100000Z\r\nRECURRENCE-ID:x\r\n")),
        ("bad EXDATE", event("DTSTART:20240115T100000Z\r\nEXDATE:20240116T100000Z,nope\r\n")),
        ("bad RDATE", event("DTSTART:20240115T100000Z\r\nRDATE:20240132\r\n")),
        (
            "bad RDATE period",
            event("DTSTART:20240115T100000Z\r\nRDATE;VALUE=PERIOD:20240116T100000Z\r\n"),
        ),
        ("bad COMPLETED", event("DTSTART:20240115T100000Z\r\nCOMPLETED:yesterday\r\n")),
        ("bad CREATED", event("DTSTART:20240115T100000Z\r\nCREATED:0\r\n")),
        ("bad LAST-MODIFIED", event("DTSTART:20240115T100000Z\r\nLAST-MODIFIED:1\r\n")),
        ("bad DTSTAMP", cal("BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:x\r\nDTSTART:20240115T100000Z\r\nEND:VEVENT\r\n")),
        ("bad DURATION", event("DTSTART:20240115T100000Z\r\nDURATION:1H\r\n")),
        (
            "bad TRIGGER",
            event("DTSTART:20240115T100000Z\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-15M\r\nEND:VALARM\r\n"),
        ),
        ("RRULE without FREQ", event("DTSTART:20240115T100000Z\r\nRRULE:COUNT=3\r\n")),
        ("RRULE bad part", event("DTSTART:20240115T100000Z\r\nRRULE:FREQ=DAILY;BYHOUR=25\r\n")),
        (
            "DTEND before DTSTART",
            event("DTSTART:20240115T100000Z\r\nDTEND:20240115T090000Z\r\n"),
        ),
        (
            "DTEND and DURATION",
            event("DTSTART:20240115T100000Z\r\nDTEND:20240115T110000Z\r\nDURATION:PT1H\r\n"),
        ),
        (
            "bad TZOFFSETTO",
            cal("BEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+1\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTART;TZID=X:20240115T100000\r\nEND:VEVENT\r\n"),
        ),
        ("two DTSTARTs", event("DTSTART:20240115T100000Z\r\nDTSTART:20240115T110000Z\r\n")),
        ("VEVENT without DTSTART", event("SUMMARY:x\r\n")),
    ];
    for (what, text) in cases {
        let bytes: Vec<u8> = if *what == "not UTF-8" {
            let mut b = event("DTSTART:20240115T100000Z\r\n").into_bytes();
            b.splice(20..20, [0xff, 0xfe]);
            b
        } else {
            text.clone().into_bytes()
        };
        match analyze(&bytes, &OPEN) {
            Err(Invalid::CalendarData(msg)) => assert!(!msg.is_empty(), "{what}"),
            other => panic!("{what}: want CalendarData, got {other:?}\n{text}"),
        }
    }
}

#[test]
fn object_resource_errors() {
    let ev = |uid: &str, extra: &str| {
        format!("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20240115T100000Z\r\n{extra}END:VEVENT\r\n")
    };
    let cases: &[(&str, String, &str)] = &[
        (
            "METHOD",
            cal(&format!("METHOD:PUBLISH\r\n{}", ev("a", ""))),
            "METHOD",
        ),
        ("no component", cal(""), "no VEVENT"),
        (
            "only a VTIMEZONE",
            cal("BEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\n"),
            "no VEVENT",
        ),
        (
            "two types",
            cal(&format!(
                "{}BEGIN:VTODO\r\nUID:a\r\nEND:VTODO\r\n",
                ev("a", "")
            )),
            "VTODO",
        ),
        (
            "missing UID",
            cal("BEGIN:VEVENT\r\nDTSTART:20240115T100000Z\r\nEND:VEVENT\r\n"),
            "no UID",
        ),
        (
            "two UIDs",
            cal(&(ev("a", "") + &ev("b", ""))),
            "different UIDs",
        ),
        ("two masters", cal(&(ev("a", "") + &ev("a", ""))), "master"),
        (
            "duplicate RECURRENCE-ID",
            cal(&(ev("a", "RRULE:FREQ=DAILY\r\n")
                + &ev("a", "RECURRENCE-ID:20240116T100000Z\r\n")
                + &ev("a", "RECURRENCE-ID:20240116T100000Z\r\n"))),
            "same instance",
        ),
    ];
    for (what, text, needle) in cases {
        match analyze(text.as_bytes(), &OPEN) {
            Err(Invalid::ObjectResource(msg)) => {
                assert!(msg.contains(needle), "{what}: {msg}")
            }
            other => panic!("{what}: want ObjectResource, got {other:?}"),
        }
    }
}

#[test]
fn tolerated() {
    // No VERSION/PRODID, LF line ends, BOM, blank lines, unknown X- and
    // unknown IANA components, lower-case names, overrides only (no master).
    let text = "\u{feff}BEGIN:VCALENDAR\n\nbegin:vevent\nuid:u1\ndtstart:20240115T100000Z\nEND:VEVENT\n\
                BEGIN:X-THING\nX-A:1\nEND:X-THING\nBEGIN:VAVAILABILITY\nUID:other\nEND:VAVAILABILITY\n\
                END:VCALENDAR\n\n";
    assert_eq!(ok(text).uid, "u1");
    let only_override = event("RECURRENCE-ID:20240115T100000Z\r\nDTSTART:20240115T120000Z\r\n");
    assert_eq!(
        bounds(&only_override),
        (Some(JAN15 + 12 * H), Some(JAN15 + 12 * H))
    );
    // A TZID nobody knows is floating, not an error.
    let (a, b) = bounds(&event("DTSTART;TZID=Mars/Olympus:20240115T100000\r\n"));
    assert_eq!(
        (a, b),
        (Some(JAN15 + 10 * H - SLACK), Some(JAN15 + 10 * H + SLACK))
    );
    // DTEND equal to DTSTART, and DTEND in another zone than DTSTART.
    ok(&event(
        "DTSTART:20240115T100000Z\r\nDTEND:20240115T100000Z\r\n",
    ));
    ok(&event(
        "DTSTART;TZID=Europe/Berlin:20240115T100000\r\nDTEND:20240115T093000Z\r\n",
    ));
}

#[test]
fn date_limits() {
    let limits = ValidationLimits {
        min_date_time: JAN15,
        max_date_time: JAN15 + 365 * DAY,
    };
    let at = |v: &str| analyze(event(&format!("DTSTART:{v}\r\n")).as_bytes(), &limits);
    assert!(matches!(
        at("20240114T000000Z"),
        Err(Invalid::MinDateTime(_))
    ));
    assert!(matches!(
        at("20260101T000000Z"),
        Err(Invalid::MaxDateTime(_))
    ));
    assert!(at("20240601T000000Z").is_ok());
    // VTODO without DTSTART: DUE decides.
    let todo = cal("BEGIN:VTODO\r\nUID:t\r\nDUE:20000101T000000Z\r\nEND:VTODO\r\n");
    assert!(matches!(
        analyze(todo.as_bytes(), &limits),
        Err(Invalid::MinDateTime(_))
    ));
    // Outlook's 1601 VTIMEZONE observances are not checked.
    let outlook = cal(
        "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\n\
         DTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
         RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n\
         DTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
         RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
         BEGIN:VEVENT\r\nUID:o\r\nDTSTART;TZID=W. Europe Standard Time:20240601T100000\r\nEND:VEVENT\r\n",
    );
    assert!(analyze(outlook.as_bytes(), &limits).is_ok());
}

#[test]
fn event_bounds() {
    let t10 = JAN15 + 10 * H;
    let cases: &[(&str, String, Bounds)] = &[
        (
            "DTEND",
            event("DTSTART:20240115T100000Z\r\nDTEND:20240115T113000Z\r\n"),
            (Some(t10), Some(t10 + 90 * 60)),
        ),
        (
            "DURATION",
            event("DTSTART:20240115T100000Z\r\nDURATION:PT2H\r\n"),
            (Some(t10), Some(t10 + 2 * H)),
        ),
        (
            "DATE-TIME without end: zero length",
            event("DTSTART:20240115T100000Z\r\n"),
            (Some(t10), Some(t10)),
        ),
        (
            "all-day: one floating day",
            event("DTSTART;VALUE=DATE:20240115\r\n"),
            (Some(JAN15 - SLACK), Some(JAN15 + DAY + SLACK)),
        ),
        (
            "floating",
            event("DTSTART:20240115T100000\r\nDTEND:20240115T110000\r\n"),
            (Some(t10 - SLACK), Some(t10 + H + SLACK)),
        ),
        (
            "IANA TZID (CET = UTC+1)",
            event("DTSTART;TZID=Europe/Berlin:20240115T100000\r\nDURATION:PT1H\r\n"),
            (Some(t10 - H), Some(t10)),
        ),
        (
            "Windows TZID",
            event("DTSTART;TZID=W. Europe Standard Time:20240115T100000\r\n"),
            (Some(t10 - H), Some(t10 - H)),
        ),
        (
            "Lightning-prefixed TZID",
            event("DTSTART;TZID=/mozilla.org/20050126_1/America/New_York:20240115T100000\r\n"),
            (Some(t10 + 5 * H), Some(t10 + 5 * H)),
        ),
        (
            "RRULE with UNTIL: UNTIL + duration",
            event("DTSTART:20240115T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;UNTIL=20240120T100000Z\r\n"),
            (Some(t10), Some(t10 + 5 * DAY + H)),
        ),
        (
            "RRULE unbounded",
            event("DTSTART:20240115T100000Z\r\nRRULE:FREQ=WEEKLY\r\n"),
            (Some(t10), None),
        ),
        (
            // Jan 31, Mar 31, May 31: expanded at write time, the end is the last
            // instance (2024-05-31T10:00Z) plus the 14 h slack.
            "RRULE with COUNT and a day rule that can skip months",
            event("DTSTART:20240131T100000Z\r\nRRULE:FREQ=MONTHLY;COUNT=3\r\n"),
            (Some(JAN15 + 16 * DAY + 10 * H), Some(1_717_149_600 + 14 * H)),
        ),
        (
            "RDATE before DTSTART and a PERIOD after",
            event("DTSTART:20240115T100000Z\r\nDURATION:PT1H\r\nRDATE:20240110T100000Z\r\n\
                   RDATE;VALUE=PERIOD:20240120T100000Z/PT3H\r\n"),
            (Some(t10 - 5 * DAY), Some(t10 + 5 * DAY + 3 * H)),
        ),
        (
            "alarm before the start, absolute alarm after the end",
            event("DTSTART:20240115T100000Z\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n\
                   TRIGGER:-PT30M\r\nEND:VALARM\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n\
                   TRIGGER;VALUE=DATE-TIME:20240116T000000Z\r\nEND:VALARM\r\n"),
            (Some(t10 - 30 * 60), Some(JAN15 + DAY)),
        ),
        (
            "huge duration saturates",
            event("DTSTART:20240115T100000Z\r\nDURATION:P999999999999999999W\r\n"),
            (Some(t10), Some(i64::MAX)),
        ),
    ];
    for (what, text, want) in cases {
        assert_eq!(&bounds(text), want, "{what}");
    }
}

#[test]
fn overrides_widen_the_span() {
    let text = cal(
        "BEGIN:VEVENT\r\nUID:r\r\nDTSTART:20240115T100000Z\r\nDURATION:PT1H\r\n\
         RRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:r\r\nRECURRENCE-ID:20240116T100000Z\r\n\
         DTSTART:20240301T100000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n",
    );
    let (a, b) = bounds(&text);
    assert_eq!(a, Some(JAN15 + 10 * H));
    // The override moved an instance to March 1st.
    assert!(b.unwrap() >= 1_709_287_200 + H, "{b:?}");
}

#[test]
fn count_bound_covers_the_last_occurrence() {
    // DAILY COUNT=10 from Jan 15 10:00 UTC: last instance Jan 24 10:00-11:00.
    let (_, b) = bounds(&event(
        "DTSTART:20240115T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=10\r\n",
    ));
    let b = b.unwrap();
    assert!(b >= JAN15 + 9 * DAY + 11 * H, "{b}");
    assert!(b <= JAN15 + 12 * DAY, "{b}: bound needlessly loose");
}

#[test]
fn custom_vtimezone_wins_even_with_a_known_name() {
    // "Europe/Berlin" defined here as UTC+5: the definition is used.
    let text = cal(
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
         TZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
         BEGIN:VEVENT\r\nUID:c\r\nDTSTART;TZID=Europe/Berlin:20240115T100000\r\nEND:VEVENT\r\n",
    );
    assert_eq!(bounds(&text), (Some(JAN15 + 5 * H), Some(JAN15 + 5 * H)));
    // A misspelled name with DST observances: between the two offsets.
    let text = cal(
        "BEGIN:VTIMEZONE\r\nTZID:America/New_Yrok\r\nBEGIN:STANDARD\r\nDTSTART:19671029T020000\r\n\
         RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n\
         END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19870405T020000\r\n\
         RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n\
         END:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
         BEGIN:VEVENT\r\nUID:c\r\nDTSTART;TZID=America/New_Yrok:20240115T100000\r\nEND:VEVENT\r\n",
    );
    let (a, b) = bounds(&text);
    let true_start = JAN15 + 15 * H;
    assert!(
        a.unwrap() <= true_start && b.unwrap() >= true_start,
        "{a:?} {b:?}"
    );
    assert!(b.unwrap() - a.unwrap() <= 2 * H);
}

#[test]
fn todo_bounds_follow_rfc4791_table() {
    let todo = |props: &str| cal(&format!("BEGIN:VTODO\r\nUID:t\r\n{props}END:VTODO\r\n"));
    let t10 = JAN15 + 10 * H;
    let cases: &[(&str, String, Bounds)] = &[
        ("no dates", todo(""), (None, None)),
        (
            "DTSTART + DURATION",
            todo("DTSTART:20240115T100000Z\r\nDURATION:PT2H\r\n"),
            (Some(t10), Some(t10 + 2 * H)),
        ),
        (
            "DTSTART + DUE",
            todo("DTSTART:20240115T100000Z\r\nDUE:20240116T100000Z\r\n"),
            (Some(t10), Some(t10 + DAY)),
        ),
        (
            "DTSTART only",
            todo("DTSTART:20240115T100000Z\r\n"),
            (Some(t10), Some(t10)),
        ),
        (
            "DUE only",
            todo("DUE:20240115T100000Z\r\n"),
            (Some(t10), Some(t10)),
        ),
        (
            "COMPLETED + CREATED",
            todo("CREATED:20240110T000000Z\r\nCOMPLETED:20240115T100000Z\r\n"),
            (Some(JAN15 - 5 * DAY), Some(t10)),
        ),
        (
            "COMPLETED only",
            todo("COMPLETED:20240115T100000Z\r\n"),
            (Some(t10), Some(t10)),
        ),
        (
            "CREATED only",
            todo("CREATED:20240115T100000Z\r\n"),
            (Some(t10), None),
        ),
    ];
    for (what, text, want) in cases {
        let i = ok(text);
        assert_eq!(i.kind, ComponentKind::Todo);
        assert_eq!((i.first_start, i.last_end), *want, "{what}");
    }
    // Issue 20, item 8: a DUE before DTSTART is stored as sent, with a warning; the task
    // spans from its DUE to its DTSTART.
    let early_due = ok(&todo(
        "DTSTART:20240115T100000Z\r\nDUE:20240114T100000Z\r\n",
    ));
    assert_eq!(
        (early_due.first_start, early_due.last_end),
        (Some(t10 - DAY), Some(t10))
    );
    assert_eq!(early_due.warnings.len(), 1, "{:?}", early_due.warnings);
    assert!(early_due.warnings[0].contains("DUE 20240114T100000Z is before DTSTART"));
    // So is a DATE DUE with a DATE-TIME DTSTART.
    let date_due = ok(&todo(
        "DTSTART:20240115T100000Z\r\nDUE;VALUE=DATE:20240116\r\n",
    ));
    assert_eq!(date_due.warnings.len(), 1, "{:?}", date_due.warnings);
    assert!(date_due.warnings[0].contains("differ in value type"));
    // An event ending before it starts has no span at all: still refused.
    assert!(matches!(
        err(&event(
            "DTSTART:20240115T100000Z\r\nDTEND:20240114T100000Z\r\n"
        )),
        Invalid::CalendarData(_)
    ));
}

#[test]
fn journal_and_freebusy_bounds() {
    let j = cal("BEGIN:VJOURNAL\r\nUID:j\r\nDTSTART;VALUE=DATE:20240115\r\nEND:VJOURNAL\r\n");
    let i = ok(&j);
    assert_eq!(i.kind, ComponentKind::Journal);
    assert_eq!(
        (i.first_start, i.last_end),
        (Some(JAN15 - SLACK), Some(JAN15 + DAY + SLACK))
    );
    let j = cal("BEGIN:VJOURNAL\r\nUID:j\r\nSUMMARY:x\r\nEND:VJOURNAL\r\n");
    assert_eq!(bounds(&j), (None, None));

    let fb = cal(
        "BEGIN:VFREEBUSY\r\nUID:f\r\nFREEBUSY:20240115T100000Z/PT1H,20240116T100000Z/20240116T120000Z\r\n\
         FREEBUSY;FBTYPE=BUSY:20240114T100000Z/PT1H\r\nEND:VFREEBUSY\r\n",
    );
    let i = ok(&fb);
    assert_eq!(i.kind, ComponentKind::FreeBusy);
    assert_eq!(
        (i.first_start, i.last_end),
        (Some(JAN15 - DAY + 10 * H), Some(JAN15 + DAY + 12 * H))
    );
}

#[test]
fn hostile_input_does_not_panic() {
    let inputs = [
        event("DTSTART:99991231T235959Z\r\nDURATION:P999999999999999999W\r\nRRULE:FREQ=SECONDLY;COUNT=4294967295;INTERVAL=4294967295\r\n"),
        event("DTSTART:00000101T000000Z\r\nDURATION:-P999999999999999999W\r\n"),
        event("DTSTART:99991231\r\nRRULE:FREQ=YEARLY;COUNT=4294967295\r\nRDATE;VALUE=PERIOD:99991231T000000Z/P999999999999999999W\r\n"),
        event("DTSTART:20240115T100000Z\r\nBEGIN:VALARM\r\nTRIGGER:-P999999999999999999W\r\nREPEAT:9223372036854775807\r\nDURATION:P999999999999999999W\r\nEND:VALARM\r\n"),
        "BEGIN:VCALENDAR\r\n".repeat(3),
        "\u{feff}".into(),
        String::new(),
        ":\r\n;\r\n \r\n".into(),
        "BEGIN:VCALENDAR\r\nX;A=\"unterminated:1\r\nEND:VCALENDAR\r\n".into(),
    ];
    for text in &inputs {
        let _ = analyze(text.as_bytes(), &OPEN);
    }
    // Every prefix of a real object: no panic, and never accepted half-way.
    let full = event("DTSTART;TZID=Europe/Berlin:20240115T100000\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\n");
    for n in 0..full.len() - 2 {
        if let Some(prefix) = full.get(..n) {
            assert!(analyze(prefix.as_bytes(), &OPEN).is_err(), "{prefix}");
        }
    }
}
