//! The three-way merge of concurrent edits (`ical::merge`) as a table of paired edits from
//! one base: what each side changed, and the exact bytes the merge writes (or the conflict
//! it reports). Line ends are written as `\n` here and compared as CRLF.
#![allow(clippy::unwrap_used)]

use ical::{merge, MergeError};

/// A VCALENDAR around `body` (its components), CRLF line ends.
fn cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//A//EN\n{body}END:VCALENDAR\n")
        .replace('\n', "\r\n")
}

const BASE: &str = "BEGIN:VEVENT
UID:m1
DTSTAMP:20260101T000000Z
SEQUENCE:0
DTSTART:20261201T100000Z
DTEND:20261201T110000Z
SUMMARY:Planning
DESCRIPTION:Agenda tbd
ORGANIZER:mailto:ann@example.org
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ann@example.org
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org
CATEGORIES:work
END:VEVENT
";

/// BASE with each `(from, to)` replacement applied in turn.
fn edit(replacements: &[(&str, &str)]) -> String {
    replacements
        .iter()
        .fold(BASE.to_owned(), |text, (from, to)| {
            assert!(text.contains(from), "{from:?} is not in {text}");
            text.replacen(from, to, 1)
        })
}

const ALARM_A: &str =
    "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:Soon\nEND:VALARM\n";
const ALARM_B: &str = "BEGIN:VALARM\nACTION:AUDIO\nTRIGGER:-PT1H\nEND:VALARM\n";

const SERIES: &str = "BEGIN:VEVENT
UID:s1
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260305T090000
DURATION:PT1H
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE;TZID=Europe/Berlin:20260319T090000
SUMMARY:Standup
END:VEVENT
BEGIN:VEVENT
UID:s1
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260326T090000
DTSTART;TZID=Europe/Berlin:20260327T140000
DURATION:PT1H
SUMMARY:Standup moved
END:VEVENT
";

const INSTANCE_APRIL: &str = "BEGIN:VEVENT
UID:s1
DTSTAMP:20260102T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260402T090000
DTSTART;TZID=Europe/Berlin:20260402T100000
DURATION:PT1H
SUMMARY:Standup late
END:VEVENT
";

struct Case {
    name: &'static str,
    base: String,
    theirs: String,
    ours: String,
    expected: Result<String, &'static str>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "one moves the meeting, the other edits the description",
            base: cal(BASE),
            theirs: cal(&edit(&[
                ("DTSTAMP:20260101T000000Z", "DTSTAMP:20260102T000000Z"),
                ("SEQUENCE:0", "SEQUENCE:1"),
                ("DTSTART:20261201T100000Z", "DTSTART:20261202T140000Z"),
                ("DTEND:20261201T110000Z", "DTEND:20261202T150000Z"),
            ])),
            ours: cal(&edit(&[
                ("DTSTAMP:20260101T000000Z", "DTSTAMP:20260103T000000Z"),
                ("DESCRIPTION:Agenda tbd", "DESCRIPTION:Budget\\, then hiring"),
            ])),
            expected: Ok(cal(&edit(&[
                ("DTSTAMP:20260101T000000Z", "DTSTAMP:20260103T000000Z"),
                ("SEQUENCE:0", "SEQUENCE:1"),
                ("DTSTART:20261201T100000Z", "DTSTART:20261202T140000Z"),
                ("DTEND:20261201T110000Z", "DTEND:20261202T150000Z"),
                ("DESCRIPTION:Agenda tbd", "DESCRIPTION:Budget\\, then hiring"),
            ]))),
        },
        Case {
            name: "both change the summary, differently",
            base: cal(BASE),
            theirs: cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Planning (room 2)")])),
            ours: cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Q3 planning")])),
            expected: Err("VEVENT: both edits changed SUMMARY, differently"),
        },
        Case {
            name: "both make the same change",
            base: cal(BASE),
            theirs: cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Q3 planning")])),
            ours: cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Q3 planning")])),
            expected: Ok(cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Q3 planning")]))),
        },
        Case {
            name: "an attendee accepts while the organiser moves the meeting",
            base: cal(BASE),
            theirs: cal(&edit(&[(
                "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org",
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org",
            )])),
            ours: cal(&edit(&[
                ("SEQUENCE:0", "SEQUENCE:1"),
                ("DTSTART:20261201T100000Z", "DTSTART:20261201T150000Z"),
                ("DTEND:20261201T110000Z", "DTEND:20261201T160000Z"),
            ])),
            expected: Ok(cal(&edit(&[
                ("SEQUENCE:0", "SEQUENCE:1"),
                ("DTSTART:20261201T100000Z", "DTSTART:20261201T150000Z"),
                ("DTEND:20261201T110000Z", "DTEND:20261201T160000Z"),
                (
                    "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org",
                    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org",
                ),
            ]))),
        },
        Case {
            name: "an attendee is invited while another declines: attendees merge by address",
            base: cal(BASE),
            theirs: cal(&edit(&[(
                "CATEGORIES:work",
                "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carol@example.org\nCATEGORIES:work",
            )])),
            ours: cal(&edit(&[(
                "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org",
                "ATTENDEE;PARTSTAT=DECLINED:MAILTO:Bob@example.org",
            )])),
            expected: Ok(cal(&edit(&[
                (
                    "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org",
                    "ATTENDEE;PARTSTAT=DECLINED:MAILTO:Bob@example.org",
                ),
                (
                    "CATEGORIES:work",
                    "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:carol@example.org\nCATEGORIES:work",
                ),
            ]))),
        },
        Case {
            name: "one attendee answered two ways",
            base: cal(BASE),
            theirs: cal(&edit(&[(
                "PARTSTAT=NEEDS-ACTION:mailto:bob",
                "PARTSTAT=ACCEPTED:mailto:bob",
            )])),
            ours: cal(&edit(&[(
                "PARTSTAT=NEEDS-ACTION:mailto:bob",
                "PARTSTAT=DECLINED:mailto:bob",
            )])),
            expected: Err("VEVENT: both edits changed ATTENDEE, differently"),
        },
        Case {
            name: "a new attendee on one side goes after the others",
            base: cal(BASE),
            theirs: cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Q3 planning")])),
            ours: cal(&edit(&[(
                "CATEGORIES:work",
                "CATEGORIES:work\nATTENDEE:mailto:dan@example.org",
            )])),
            expected: Ok(cal(&edit(&[
                ("SUMMARY:Planning", "SUMMARY:Q3 planning"),
                (
                    "mailto:bob@example.org\n",
                    "mailto:bob@example.org\nATTENDEE:mailto:dan@example.org\n",
                ),
            ]))),
        },
        Case {
            name: "categories merge as a set",
            base: cal(BASE),
            theirs: cal(&edit(&[("CATEGORIES:work", "CATEGORIES:work,urgent")])),
            ours: cal(&edit(&[("CATEGORIES:work", "CATEGORIES:work\nCATEGORIES:travel")])),
            expected: Ok(cal(&edit(&[(
                "CATEGORIES:work",
                "CATEGORIES:work,urgent,travel",
            )]))),
        },
        Case {
            name: "a category removed on one side and another added on the other",
            base: cal(&edit(&[("CATEGORIES:work", "CATEGORIES:work,travel")])),
            theirs: cal(&edit(&[("CATEGORIES:work", "CATEGORIES:work")])),
            ours: cal(&edit(&[("CATEGORIES:work", "CATEGORIES:work,travel,urgent")])),
            expected: Ok(cal(&edit(&[("CATEGORIES:work", "CATEGORIES:work,urgent")]))),
        },
        Case {
            name: "one adds an alarm, another accepts",
            base: cal(BASE),
            theirs: cal(&edit(&[(
                "PARTSTAT=NEEDS-ACTION:mailto:bob",
                "PARTSTAT=ACCEPTED:mailto:bob",
            )])),
            ours: cal(&edit(&[("END:VEVENT", &format!("{ALARM_A}END:VEVENT"))])),
            expected: Ok(cal(&edit(&[
                (
                    "PARTSTAT=NEEDS-ACTION:mailto:bob",
                    "PARTSTAT=ACCEPTED:mailto:bob",
                ),
                ("END:VEVENT", &format!("{ALARM_A}END:VEVENT")),
            ]))),
        },
        Case {
            name: "alarms merge as a set",
            base: cal(&edit(&[("END:VEVENT", &format!("{ALARM_A}END:VEVENT"))])),
            theirs: cal(&edit(&[(
                "END:VEVENT",
                &format!("{ALARM_A}{ALARM_B}END:VEVENT"),
            )])),
            ours: cal(BASE),
            expected: Ok(cal(&edit(&[("END:VEVENT", &format!("{ALARM_B}END:VEVENT"))]))),
        },
        Case {
            name: "edits to different instances of a series",
            base: cal(SERIES),
            theirs: cal(&SERIES.replace("SUMMARY:Standup moved", "SUMMARY:Standup moved again")),
            ours: cal(&format!("{SERIES}{INSTANCE_APRIL}")),
            expected: Ok(cal(&format!(
                "{}{INSTANCE_APRIL}",
                SERIES.replace("SUMMARY:Standup moved", "SUMMARY:Standup moved again")
            ))),
        },
        Case {
            name: "exceptions added on both sides merge as a set",
            base: cal(SERIES),
            theirs: cal(&SERIES.replace(
                "EXDATE;TZID=Europe/Berlin:20260319T090000",
                "EXDATE;TZID=Europe/Berlin:20260319T090000,20260409T090000",
            )),
            ours: cal(&SERIES.replace(
                "EXDATE;TZID=Europe/Berlin:20260319T090000",
                "EXDATE;TZID=Europe/Berlin:20260319T090000\nEXDATE;TZID=Europe/Berlin:20260416T090000",
            )),
            expected: Ok(cal(&SERIES.replace(
                "EXDATE;TZID=Europe/Berlin:20260319T090000",
                "EXDATE;TZID=Europe/Berlin:20260319T090000,20260409T090000,20260416T090000",
            ))),
        },
        Case {
            name: "an instance removed by one side and changed by the other",
            base: cal(SERIES),
            theirs: cal(SERIES.split("BEGIN:VEVENT").take(2).collect::<Vec<_>>().join("BEGIN:VEVENT").as_str()),
            ours: cal(&SERIES.replace("SUMMARY:Standup moved", "SUMMARY:Standup cancelled")),
            expected: Err(
                "VEVENT 20260326T090000: one edit removed it, the other changed it",
            ),
        },
        Case {
            name: "a property removed on one side, another changed on the other",
            base: cal(BASE),
            theirs: cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Q3 planning")])),
            ours: cal(&edit(&[("DESCRIPTION:Agenda tbd\n", "")])),
            expected: Ok(cal(&edit(&[
                ("SUMMARY:Planning", "SUMMARY:Q3 planning"),
                ("DESCRIPTION:Agenda tbd\n", ""),
            ]))),
        },
        Case {
            name: "the client that writes the merge names itself when both clients did",
            base: cal(BASE),
            theirs: cal(BASE).replace("PRODID:-//A//EN", "PRODID:-//B//EN"),
            ours: cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Q3 planning")]))
                .replace("PRODID:-//A//EN", "PRODID:-//C//EN"),
            expected: Ok(cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Q3 planning")]))
                .replace("PRODID:-//A//EN", "PRODID:-//C//EN")),
        },
        Case {
            name: "a long merged line is folded at 75 octets",
            base: cal(BASE),
            theirs: cal(&edit(&[("SUMMARY:Planning", "SUMMARY:Q3 planning")])),
            ours: cal(&edit(&[(
                "DESCRIPTION:Agenda tbd",
                &format!("DESCRIPTION:{}", "x".repeat(80)),
            )])),
            expected: Ok(cal(&edit(&[
                ("SUMMARY:Planning", "SUMMARY:Q3 planning"),
                (
                    "DESCRIPTION:Agenda tbd",
                    &format!("DESCRIPTION:{}\n {}", "x".repeat(63), "x".repeat(17)),
                ),
            ]))),
        },
    ]
}

#[test]
fn paired_edits_merge_to_exact_bytes_or_name_their_conflict() {
    let mut failures = Vec::new();
    for case in cases() {
        let got = merge(&case.base, &case.theirs, &case.ours);
        let got = match got {
            Ok(text) => Ok(text),
            Err(e @ MergeError::Conflict { .. }) => Err(e.to_string()),
            Err(other) => Err(format!("unexpected: {other}")),
        };
        let expected = case.expected.clone().map_err(str::to_owned);
        if got != expected {
            failures.push(format!(
                "{}:\n  expected {expected:?}\n  got      {got:?}",
                case.name
            ));
        }
        // The merge is symmetric in what it keeps: merging the other way round gives the
        // same content (the order may differ) or the same conflict.
        let reverse = merge(&case.base, &case.ours, &case.theirs);
        assert_eq!(
            reverse.is_ok(),
            case.expected.is_ok(),
            "{}: the reverse merge gave {reverse:?}",
            case.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_version_that_is_not_icalendar_is_named() {
    let err = merge("garbage", &cal(BASE), &cal(BASE)).unwrap_err();
    assert!(
        matches!(err, MergeError::Unreadable { which: "base", .. }),
        "{err}"
    );
}

#[test]
fn the_merged_object_is_valid_calendar_data() {
    let limits = ical::ValidationLimits {
        min_date_time: 0,
        max_date_time: 16_756_761_599,
    };
    for case in cases() {
        if let Ok(expected) = case.expected {
            assert!(
                ical::analyze(expected.as_bytes(), &limits).is_ok(),
                "{}",
                case.name
            );
        }
    }
}
