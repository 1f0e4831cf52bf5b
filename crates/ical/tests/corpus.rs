//! `analyze` over the real-world corpus in `testdata/ics` (provenance in
//! `testdata/ics/SOURCES.md`).
//!
//! * `broken/`: each file has an expected verdict below; MUST REJECT files
//!   fail, TOLERATE files parse (and fail only for having no component).
//! * every other file passes, unless it holds several UIDs or a METHOD
//!   (collection exports and iTIP messages: valid-calendar-object-resource)
//!   or has one of the data defects listed in `DEFECTS`.
//! * those exports, once split per UID with METHOD dropped (what an
//!   importer does), give parts that each pass.
#![allow(clippy::unwrap_used)] // tests may panic: that is how they fail

use std::path::{Path, PathBuf};

use ical::{analyze, parse, Component, ComponentKind, Invalid, ValidationLimits};

const LIMITS: ValidationLimits = ValidationLimits {
    min_date_time: i64::MIN,
    max_date_time: i64::MAX,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    CalendarData,
    ObjectResource,
}

fn verdict(r: &Result<ical::ObjectInfo, Invalid>) -> Verdict {
    match r {
        Ok(_) => Verdict::Pass,
        Err(Invalid::CalendarData(_)) => Verdict::CalendarData,
        Err(Invalid::ObjectResource(_)) => Verdict::ObjectResource,
        Err(e) => panic!("unexpected date-limit error with open limits: {e}"),
    }
}

/// Every file of `broken/`, with what SOURCES.md says and what we answer.
const BROKEN: &[(&str, Verdict)] = &[
    // MUST REJECT: "DTSTART;;VALUE=DATE-TIME" (empty parameter).
    ("icalendar-broken_ical.ics", Verdict::CalendarData),
    // MUST REJECT: truncated, END:VCALENDAR missing.
    ("icalendar-small_bad_calendar.ics", Verdict::CalendarData),
    // MUST REJECT: DTSTART:INVALID-DATE.
    ("icalendar-broken_dtstart.ics", Verdict::CalendarData),
    // "reject or clamp": the absurd DURATION saturates, no panic.
    ("icalendar-invalid_duration.ics", Verdict::Pass),
    // Stray line "X" without ':'.
    (
        "icalendar-issue_104_broken_calendar.ics",
        Verdict::CalendarData,
    ),
    // NUL byte, no VCALENDAR.
    (
        "icalendar-fuzz_testcase_0_char_in_component_name.ics",
        Verdict::CalendarData,
    ),
    // TOLERATE: the BOM is accepted; the calendar is empty, hence no resource.
    ("icalendar-bom_calendar.ics", Verdict::ObjectResource),
    // METHOD:PUBLISH, and an empty EXDATE (checked on the split parts).
    ("icalendar-parsing_error.ics", Verdict::ObjectResource),
    // VTIMEZONE only; the +5744 offset is caught once a component is added.
    (
        "icalendar-parsing_error_in_UTC_offset.ics",
        Verdict::ObjectResource,
    ),
    // Two VCALENDARs in one body.
    (
        "icalendar-issue_1050_multiple_calendars.ics",
        Verdict::CalendarData,
    ),
    // Blank line tolerated; no component.
    ("icaljs-blank_line_mid.ics", Verdict::ObjectResource),
    // TOLERATE: blank lines around the calendar; no component.
    ("icaljs-newline_junk.ics", Verdict::ObjectResource),
    // MUST REJECT: VEVENT without UID.
    ("khal-without_uid.ics", Verdict::ObjectResource),
    // TZOFFSETFROM:+5328.
    ("khal-invalid_tzoffset.ics", Verdict::CalendarData),
    // METHOD and several UIDs; the garbled RRULE is caught on the split part.
    ("nodeical-badRRULE.ics", Verdict::ObjectResource),
    // 401 UIDs; the late double DTSTART is caught on the split part.
    (
        "nodeical-large-file-with-late-error.ics",
        Verdict::ObjectResource,
    ),
    // No VCALENDAR wrapper.
    ("ical4j-overlaps.ics", Verdict::CalendarData),
    // GEO is not checked: stored as sent.
    ("ical4j-sogo-geo-escaped-semicolon.ics", Verdict::Pass),
    // 7-digit dates (and no UID, which is found first).
    ("ical4j-boeing.ics", Verdict::ObjectResource),
    // Nested VCALENDAR.
    ("ical4j-smallcluster.ics", Verdict::CalendarData),
    // Missing PRODID and a TZID without VTIMEZONE are both tolerated.
    ("ical4j-eli_test.ics", Verdict::Pass),
    // Continuation line without its leading space.
    ("ical4j-bhav23-2.ics", Verdict::CalendarData),
    // Raw HTML lines without ':' (and impossible dates further on).
    ("icsparser-ICal.ics", Verdict::CalendarData),
    // MUST REJECT: METHOD:REQUEST and no component.
    ("ccs-3.ics", Verdict::ObjectResource),
];

/// Files outside `broken/` whose bytes break a rule `analyze` enforces.
const DEFECTS: &[(&str, Verdict, &str)] = &[
    (
        "feeds/icalendar-issue_350.ics",
        Verdict::CalendarData,
        "an X-COMMENT line after END:VCALENDAR",
    ),
    (
        "outlook/icalendar-timezone_same_start_and_offset.ics",
        Verdict::CalendarData,
        "ends with END:VCALENDARD",
    ),
    (
        "outlook/icsparser-issue-343.ics",
        Verdict::CalendarData,
        "DESCRIPTION continues on lines that are not folded",
    ),
    (
        "recurrence/nodeical-daily-count-exdate-recurrence-id.ics",
        Verdict::CalendarData,
        "an override whose DTEND is two days before its DTSTART",
    ),
    (
        "recurrence/nodeical-recurrence-sequence.ics",
        Verdict::ObjectResource,
        "two overrides for the same RECURRENCE-ID",
    ),
    (
        "timezones/icalendar-pacific_fiji.ics",
        Verdict::CalendarData,
        "a VEVENT with two DTSTARTs",
    ),
    (
        "timezones/icalendar-timezone_rdate.ics",
        Verdict::CalendarData,
        "a line SUMMARY=testevent without ':'",
    ),
];

/// Split parts that keep failing, and why.
const BAD_PARTS: &[(&str, &str)] = &[
    (
        "broken/icalendar-parsing_error.ics",
        "EXDATE;VALUE=DATE: with an empty value",
    ),
    (
        "broken/nodeical-badRRULE.ics",
        "RRULE:RRULE:AnythingRandom;...",
    ),
    (
        "broken/nodeical-large-file-with-late-error.ics",
        "a VEVENT with two DTSTARTs",
    ),
    (
        "broken/ical4j-boeing.ics",
        "7-digit dates such as 2006717T080000Z",
    ),
    (
        "text-encoding/icalendar-created_calendar_with_unicode_fields.ics",
        "a VEVENT with neither UID nor DTSTART",
    ),
    (
        "recurrence/nodeical-recurrence-sequence.ics",
        "two overrides for the same RECURRENCE-ID",
    ),
    (
        "android/goical-timeparsing.ics",
        "DTSTART:20210527Z (a DATE with 'Z')",
    ),
    // Parser test inputs that are not events one could schedule: VEVENTs
    // without DTSTART (RFC 5545 §3.6.1 requires it when there is no METHOD).
    (
        "properties/icalendar-rfc_6868.ics",
        "VEVENT without DTSTART",
    ),
    (
        "properties/icalendar-rfc_7256_multi_value_parameters.ics",
        "VEVENTs without DTSTART",
    ),
    (
        "properties/icalendar-rfc_7986_conferences.ics",
        "VEVENT without DTSTART",
    ),
    (
        "properties/nodeical-attendee-with-url.ics",
        "VEVENT without DTSTART",
    ),
    (
        "recurrence/icalendar-rfc_5545_RDATE_example.ics",
        "VEVENTs with RDATE but without DTSTART",
    ),
];

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ics")
}

/// (relative path, bytes) for every .ics file, sorted.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = corpus_root();
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "ics") {
                let rel = f
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&f).unwrap()));
            }
        }
    }
    out.sort();
    assert!(out.len() > 100, "corpus not found under {}", root.display());
    out
}

fn kind_components(root: &Component) -> impl Iterator<Item = &Component> {
    root.components
        .iter()
        .filter(|c| ComponentKind::from_name(&c.name).is_some())
}

fn expected(rel: &str, bytes: &[u8]) -> Verdict {
    if let Some(name) = rel.strip_prefix("broken/") {
        return BROKEN
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("{rel}: no expectation in BROKEN"));
    }
    if let Some((_, v, _)) = DEFECTS.iter().find(|(f, _, _)| *f == rel) {
        return *v;
    }
    let root = parse(std::str::from_utf8(bytes).unwrap()).unwrap();
    let mut uids: Vec<Option<&str>> = kind_components(&root)
        .map(|c| c.property("UID").map(|p| p.value.as_str()))
        .collect();
    uids.dedup();
    if root.property("METHOD").is_some() || uids.len() != 1 || uids[0].is_none() {
        Verdict::ObjectResource
    } else {
        Verdict::Pass
    }
}

#[test]
fn every_file_gets_its_expected_verdict() {
    let mut wrong = Vec::new();
    for (rel, bytes) in corpus() {
        let got = analyze(&bytes, &LIMITS);
        let want = expected(&rel, &bytes);
        if verdict(&got) != want {
            wrong.push(format!("{rel}: want {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn tolerated_quirks_parse() {
    for rel in [
        "broken/icalendar-bom_calendar.ics",
        "broken/icaljs-newline_junk.ics",
        "broken/icaljs-blank_line_mid.ics",
    ] {
        let bytes = std::fs::read(corpus_root().join(rel)).unwrap();
        let root = parse(std::str::from_utf8(&bytes).unwrap()).unwrap();
        assert_eq!(root.name, "VCALENDAR", "{rel}");
    }
}

#[test]
fn accepted_files_have_sane_bounds() {
    for (rel, bytes) in corpus() {
        if let Ok(info) = analyze(&bytes, &LIMITS) {
            if let (Some(a), Some(b)) = (info.first_start, info.last_end) {
                assert!(a <= b, "{rel}: first_start {a} > last_end {b}");
            }
            assert!(!info.uid.is_empty(), "{rel}");
        }
    }
}

/// What an importer does with an export ([`ical::split_calendar_with`]): drop METHOD,
/// give UID-less components a UID, and make one object per UID with the VTIMEZONEs it
/// uses.
fn split_per_uid(text: &str) -> Vec<(String, String)> {
    ical::split_calendar_with(text, |i, _| Some(format!("split-{i}")))
        .unwrap()
        .into_iter()
        .map(|part| (part.uid.unwrap_or_default(), part.text))
        .collect()
}

#[test]
fn exports_split_per_uid_give_valid_objects() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (rel, bytes) in corpus() {
        if expected(&rel, &bytes) != Verdict::ObjectResource {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if parse(text).is_err() {
            continue;
        }
        let known_bad = BAD_PARTS.iter().any(|(f, _)| *f == rel);
        let parts = split_per_uid(text);
        let failures: Vec<String> = parts
            .iter()
            .filter_map(|(uid, part)| {
                analyze(part.as_bytes(), &LIMITS)
                    .err()
                    .map(|e| format!("{rel} [{uid}]: {e}"))
            })
            .collect();
        match (known_bad, failures.is_empty()) {
            (false, false) => wrong.extend(failures),
            (true, true) => wrong.push(format!("{rel}: listed in BAD_PARTS but all parts pass")),
            _ => {}
        }
        checked += parts.len();
    }
    assert!(checked > 500, "only {checked} parts checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn split_parts_keep_their_uid_and_kind() {
    let bytes = std::fs::read(corpus_root().join("thunderbird/ical4j-sunbird_sample.ics")).unwrap();
    let parts = split_per_uid(std::str::from_utf8(&bytes).unwrap());
    let mut kinds = Vec::new();
    for (uid, part) in &parts {
        let info = analyze(part.as_bytes(), &LIMITS).unwrap();
        assert_eq!(&info.uid, uid);
        kinds.push(info.kind);
    }
    assert!(kinds.contains(&ComponentKind::Event));
    assert!(kinds.contains(&ComponentKind::Todo));
}
