//! `select`: partial calendar-data (RFC 4791 §9.6).
#![allow(clippy::unwrap_used)] // tests may panic: that is how they fail

use ical::{select, CompSelection, CompSelector, PropSelection, PropSelector};

const TEXT: &str = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//x//EN\n\
BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nEND:VTIMEZONE\n\
BEGIN:VEVENT\nUID:u1\nDTSTART;TZID=Europe/Berlin:20240115T100000\nSUMMARY:Lunch\n\
ATTENDEE;CN=\"Doe: Jane\";PARTSTAT=ACCEPTED:mailto:j@x\n\
BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n";

fn comp(name: &str, props: PropSelection, comps: CompSelection) -> CompSelector {
    CompSelector {
        name: name.into(),
        props,
        comps,
    }
}

fn prop(name: &str, novalue: bool) -> PropSelector {
    PropSelector {
        name: name.into(),
        novalue,
    }
}

#[test]
fn everything() {
    let out = select(
        TEXT,
        &comp("VCALENDAR", PropSelection::All, CompSelection::All),
    )
    .unwrap();
    assert_eq!(out, TEXT.replace('\n', "\r\n"));
}

#[test]
fn chosen_components_and_properties() {
    // RFC 4791 §9.6 example shape: VCALENDAR with VERSION, VEVENT with
    // SUMMARY, UID and ATTENDEE (novalue); no VTIMEZONE, no VALARM.
    let sel = comp(
        "VCALENDAR",
        PropSelection::Only(vec![prop("VERSION", false)]),
        CompSelection::Only(vec![comp(
            "vevent",
            PropSelection::Only(vec![
                prop("SUMMARY", false),
                prop("uid", false),
                prop("ATTENDEE", true),
            ]),
            CompSelection::Only(vec![]),
        )]),
    );
    let out = select(TEXT, &sel).unwrap();
    assert_eq!(
        out,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u1\r\nSUMMARY:Lunch\r\n\
         ATTENDEE;CN=\"Doe: Jane\";PARTSTAT=ACCEPTED:\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
}

#[test]
fn allcomp_below_a_chosen_component() {
    let sel = comp(
        "VCALENDAR",
        PropSelection::Only(vec![]),
        CompSelection::Only(vec![comp(
            "VEVENT",
            PropSelection::Only(vec![prop("UID", false)]),
            CompSelection::All,
        )]),
    );
    let out = select(TEXT, &sel).unwrap();
    assert!(out.contains("BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n"));
    assert!(!out.contains("VTIMEZONE"));
    assert!(!out.contains("SUMMARY"));
}

#[test]
fn long_utf8_lines_are_folded_at_75_octets() {
    let summary = format!("SUMMARY:{}", "Grüße aus Köln – 東京 ".repeat(10));
    let text =
        format!("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:u\n{summary}\nEND:VEVENT\nEND:VCALENDAR\n");
    let out = select(
        &text,
        &comp("VCALENDAR", PropSelection::All, CompSelection::All),
    )
    .unwrap();
    for line in out.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    // Unfolding gives the original line back: no character was split.
    assert!(out.replace("\r\n ", "").contains(&summary));
    assert!(out.lines().count() > 6);
}

#[test]
fn other_root_gives_nothing_and_bad_text_an_error() {
    let out = select(
        TEXT,
        &comp("VEVENT", PropSelection::All, CompSelection::All),
    )
    .unwrap();
    assert_eq!(out, "");
    let e = select(
        "BEGIN:VCALENDAR\n",
        &comp("VCALENDAR", PropSelection::All, CompSelection::All),
    );
    assert!(e.is_err());
}
