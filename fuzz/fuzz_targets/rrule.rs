//! Recurrence rules and their expansion: the input is the lines of one VEVENT after its
//! UID (DTSTART, RRULE, EXDATE, RDATE, RECURRENCE-ID overrides...), expanded over a year
//! and over all time with the server's instance cap, as a calendar-query does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(lines) = std::str::from_utf8(data) else {
        return;
    };
    let text = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\nBEGIN:VEVENT\r\nUID:f\r\n\
         DTSTAMP:20260101T000000Z\r\n{lines}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let Ok(root) = ical::parse(&text) else {
        return;
    };
    let ctx = ical::EvalContext {
        floating_tz: ical::tz::resolve_tzid("Europe/Paris"),
        max_instances: 10_000,
    };
    let year = ical::TimeRange {
        start: Some(1_767_225_600),
        end: Some(1_798_761_600),
    };
    let _ = ical::instances(&root, None, year, &ctx);
    let _ = ical::instances(&root, None, ical::TimeRange::UNBOUNDED, &ctx);
    let index = ical::IndexLimits {
        horizon: 2_500_000_000,
        max_instances: 5_000,
        max_span: 400 * 86_400,
    };
    let _ = ical::event_index(&root, &index);
});
