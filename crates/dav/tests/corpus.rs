//! The leniency corpus (issue 20): every iCalendar file of `testdata/ics` (provenance in
//! `testdata/ics/SOURCES.md`) goes through the engine as a client or an import would send
//! it, and what happens is what [`expected`] says.
//!
//! * A file a client or service wrote is cut into its calendar object resources as an
//!   import cuts it ([`ical::split_calendar_with`]: one object per UID, overrides with their
//!   master, the VTIMEZONEs each uses; a UID-less component gets one). Each object is PUT
//!   into a calendar and must be stored (201) and served back byte-identical by GET.
//! * A deliberately broken file (`broken/`) is PUT whole, as a client would send it, and
//!   must be refused with the precondition it breaks, unless it is listed as tolerated.
//! * The few other files that break a rule whose breach would make the stored data
//!   unusable or ambiguous are listed in [`REFUSED`] with the precondition and the reason.
//!
//! The rule behind the lists: refuse what would make the stored data unusable or
//! ambiguous, accept what only bends a SHOULD or a grammar detail a reader can still
//! interpret, and serve the client's bytes unchanged.
#![allow(clippy::unwrap_used)] // tests may panic: that is how they fail

mod support;

use std::path::{Path, PathBuf};

use support::{harness, text, Harness};

/// What the engine does with one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Every object is stored and served back as sent.
    Stored,
    /// Refused with this condition (the local name of the precondition element): the
    /// whole file when it is PUT whole, or at least one of its objects, the others being
    /// stored and served back as sent.
    Refused(&'static str),
}

use Expect::{Refused, Stored};

const DATA: &str = "valid-calendar-data";
const RESOURCE: &str = "valid-calendar-object-resource";

/// The deliberately broken files, PUT whole as a client would send them.
const BROKEN: &[(&str, Expect, &str)] = &[
    (
        "icalendar-broken_ical.ics",
        Refused(DATA),
        "an empty parameter (DTSTART;;VALUE=...)",
    ),
    (
        "icalendar-small_bad_calendar.ics",
        Refused(DATA),
        "truncated: END:VCALENDAR missing",
    ),
    (
        "icalendar-broken_dtstart.ics",
        Refused(DATA),
        "DTSTART:INVALID-DATE",
    ),
    (
        "icalendar-invalid_duration.ics",
        Stored,
        "tolerated: DURATION:P999999999999999999W is grammatical; the end saturates",
    ),
    (
        "icalendar-issue_104_broken_calendar.ics",
        Refused(DATA),
        "a stray line X without ':'",
    ),
    (
        "icalendar-fuzz_testcase_0_char_in_component_name.ics",
        Refused(DATA),
        "a NUL byte and no VCALENDAR",
    ),
    (
        "icalendar-bom_calendar.ics",
        Refused(RESOURCE),
        "the BOM is tolerated; no component",
    ),
    (
        "icalendar-parsing_error.ics",
        Refused(RESOURCE),
        "METHOD and several UIDs",
    ),
    (
        "icalendar-parsing_error_in_UTC_offset.ics",
        Refused(RESOURCE),
        "a VTIMEZONE and no component",
    ),
    (
        "icalendar-issue_1050_multiple_calendars.ics",
        Refused(DATA),
        "two VCALENDARs in one body",
    ),
    (
        "icaljs-blank_line_mid.ics",
        Refused(RESOURCE),
        "the blank line is tolerated; no component",
    ),
    (
        "icaljs-newline_junk.ics",
        Refused(RESOURCE),
        "blank lines are tolerated; no component",
    ),
    (
        "khal-without_uid.ics",
        Refused(RESOURCE),
        "a VEVENT without UID",
    ),
    (
        "khal-invalid_tzoffset.ics",
        Refused(DATA),
        "TZOFFSETFROM:+5328",
    ),
    (
        "nodeical-badRRULE.ics",
        Refused(RESOURCE),
        "METHOD and several UIDs",
    ),
    (
        "nodeical-large-file-with-late-error.ics",
        Refused(RESOURCE),
        "401 UIDs in one body",
    ),
    (
        "ical4j-overlaps.ics",
        Refused(DATA),
        "no VCALENDAR around the VEVENTs",
    ),
    (
        "ical4j-sogo-geo-escaped-semicolon.ics",
        Stored,
        "tolerated: GEO 12.34567\\;12.34567 is not read by the server, and a reader sees the pair",
    ),
    (
        "ical4j-boeing.ics",
        Refused(RESOURCE),
        "a VFREEBUSY without UID",
    ),
    (
        "ical4j-smallcluster.ics",
        Refused(DATA),
        "a VCALENDAR inside the VCALENDAR",
    ),
    (
        "ical4j-eli_test.ics",
        Stored,
        "tolerated: no PRODID (a SHOULD for a stored object) and a TZID known from the IANA \
         database without its VTIMEZONE",
    ),
    (
        "ical4j-bhav23-2.ics",
        Refused(DATA),
        "a continuation line without its leading space",
    ),
    (
        "icsparser-ICal.ics",
        Refused(DATA),
        "raw HTML lines without ':'",
    ),
    (
        "ccs-3.ics",
        Refused(RESOURCE),
        "METHOD:REQUEST and no component",
    ),
];

/// Files outside `broken/` that are refused, with the precondition and why: each breaks
/// the structure, leaves a component without the time it needs, or says one thing twice.
const REFUSED: &[(&str, Expect, &str)] = &[
    (
        "android/goical-timeparsing.ics",
        Refused(DATA),
        "a parser test case, DTSTART:20210527Z: a DATE with 'Z' is neither DATE nor \
         DATE-TIME (RFC 5545 §3.3.4-5), so midnight UTC and the whole day are both readings",
    ),
    (
        "feeds/icalendar-issue_350.ics",
        Refused(DATA),
        "a content line after END:VCALENDAR: the bytes would not end where the calendar does",
    ),
    (
        "outlook/icalendar-timezone_same_start_and_offset.ics",
        Refused(DATA),
        "ends with END:VCALENDARD: the calendar is never closed",
    ),
    (
        "outlook/icsparser-issue-343.ics",
        Refused(DATA),
        "DESCRIPTION goes on over lines that are not folded: they read as properties without ':'",
    ),
    (
        "properties/icalendar-rfc_6868.ics",
        Refused(DATA),
        "a parser test input: a VEVENT without DTSTART (RFC 5545 §3.6.1) has no time",
    ),
    (
        "properties/icalendar-rfc_7256_multi_value_parameters.ics",
        Refused(DATA),
        "a parser test input: VEVENTs without DTSTART",
    ),
    (
        "properties/icalendar-rfc_7986_conferences.ics",
        Refused(DATA),
        "a parser test input: a VEVENT without DTSTART",
    ),
    (
        "properties/nodeical-attendee-with-url.ics",
        Refused(DATA),
        "a parser test input: a VEVENT without DTSTART",
    ),
    (
        "recurrence/icalendar-rfc_5545_RDATE_example.ics",
        Refused(DATA),
        "RFC 5545 RDATE forms as separate VEVENTs without DTSTART",
    ),
    (
        "recurrence/nodeical-daily-count-exdate-recurrence-id.ics",
        Refused(DATA),
        "an override whose DTEND is two days before its DTSTART: an event with no span",
    ),
    (
        "recurrence/nodeical-recurrence-sequence.ics",
        Refused(RESOURCE),
        "two overrides of one instance: which one holds is not in the data a server stores",
    ),
    (
        "text-encoding/icalendar-created_calendar_with_unicode_fields.ics",
        Refused(DATA),
        "one of its VEVENTs has neither UID nor DTSTART (the others are stored)",
    ),
    (
        "timezones/icalendar-pacific_fiji.ics",
        Refused(DATA),
        "a VEVENT with two DTSTARTs",
    ),
    (
        "timezones/icalendar-timezone_rdate.ics",
        Refused(DATA),
        "a line SUMMARY=testevent without ':'",
    ),
];

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ics")
}

/// (relative path, bytes) of every .ics file, sorted.
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

fn expected(rel: &str) -> Expect {
    if let Some(name) = rel.strip_prefix("broken/") {
        return BROKEN
            .iter()
            .find(|(f, _, _)| *f == name)
            .map(|(_, e, _)| *e)
            .unwrap_or_else(|| panic!("{rel}: no expectation in BROKEN"));
    }
    REFUSED
        .iter()
        .find(|(f, _, _)| *f == rel)
        .map_or(Stored, |(_, e, _)| *e)
}

/// What became of one PUT.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Stored,
    Refused(String),
    /// Anything else: another status, or bytes served back that differ.
    Other(String),
}

/// The condition element of a `DAV:error` body, by its local name.
fn condition_of(body: &str) -> Option<String> {
    let root = dav_xml::parse_document(body.as_bytes(), Default::default()).ok()?;
    let condition = root
        .elements()
        .find(|e| e.name.ns != dav_xml::CALVAULT)
        .map(|e| e.name.local.to_string());
    condition
}

async fn put_and_get(h: &Harness, calendar: &str, name: &str, bytes: &[u8]) -> Outcome {
    let path = format!("{calendar}{name}");
    let body = String::from_utf8_lossy(bytes);
    let r = h
        .ann("PUT", &path, &[("content-type", "text/calendar")], &body)
        .await;
    if r.status() != http::StatusCode::CREATED {
        return match condition_of(&text(&r)) {
            Some(c) if r.status() == http::StatusCode::FORBIDDEN => Outcome::Refused(c),
            _ => Outcome::Other(format!("{} {}", r.status(), text(&r))),
        };
    }
    let got = h.ann("GET", &path, &[], "").await;
    if got.body().as_ref() == body.as_bytes() {
        Outcome::Stored
    } else {
        Outcome::Other(format!("{path}: GET served other bytes than were PUT"))
    }
}

/// Each file in a calendar of its own that takes every component type, so that UIDs of
/// different files never meet.
async fn calendar_for(h: &Harness, i: usize) -> String {
    let path = format!("/dav/calendars/ann/corpus-{i}/");
    let r = h
        .ann(
            "MKCALENDAR",
            &path,
            &[],
            "<C:mkcalendar xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:set>\
             <D:prop><C:supported-calendar-component-set><C:comp name='VEVENT'/>\
             <C:comp name='VTODO'/><C:comp name='VJOURNAL'/><C:comp name='VFREEBUSY'/>\
             </C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>",
        )
        .await;
    assert_eq!(r.status(), http::StatusCode::CREATED, "{}", text(&r));
    path
}

/// The objects of a file as the engine receives them: the whole file from `broken/` or
/// when it is not iCalendar at all, else the objects an import cuts out of it.
fn objects(rel: &str, bytes: &[u8]) -> Vec<Vec<u8>> {
    if rel.starts_with("broken/") {
        return vec![bytes.to_vec()];
    }
    let split = std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| ical::split_calendar_with(t, |i, _| Some(format!("corpus-{i}"))).ok());
    match split {
        Some(parts) => parts.into_iter().map(|p| p.text.into_bytes()).collect(),
        None => vec![bytes.to_vec()],
    }
}

fn verdict(want: Expect, outcomes: &[Outcome]) -> Result<(), String> {
    let refused: Vec<&String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Refused(c) => Some(c),
            _ => None,
        })
        .collect();
    if let Some(Outcome::Other(what)) = outcomes.iter().find(|o| matches!(o, Outcome::Other(_))) {
        return Err(what.clone());
    }
    match want {
        Stored if refused.is_empty() => Ok(()),
        Refused(c) if !refused.is_empty() && refused.iter().all(|r| *r == c) => Ok(()),
        _ => Err(format!("want {want:?}, got {outcomes:?}")),
    }
}

#[tokio::test]
async fn every_file_is_stored_as_sent_or_refused_with_the_rule_it_breaks() {
    let h = harness().await;
    let mut wrong = Vec::new();
    let mut stored = 0;
    for (i, (rel, bytes)) in corpus().into_iter().enumerate() {
        let calendar = calendar_for(&h, i).await;
        let mut outcomes = Vec::new();
        for (n, object) in objects(&rel, &bytes).iter().enumerate() {
            outcomes.push(put_and_get(&h, &calendar, &format!("{n}.ics"), object).await);
        }
        stored += outcomes.iter().filter(|o| **o == Outcome::Stored).count();
        if let Err(e) = verdict(expected(&rel), &outcomes) {
            wrong.push(format!("{rel}: {e}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(stored > 700, "only {stored} objects stored");
}

#[test]
fn every_listed_file_exists() {
    let files: Vec<String> = corpus().into_iter().map(|(rel, _)| rel).collect();
    for (name, _, _) in BROKEN {
        assert!(files.contains(&format!("broken/{name}")), "{name}");
    }
    for (rel, _, _) in REFUSED {
        assert!(files.contains(&rel.to_string()), "{rel}");
    }
}
