//! A time zone given as calendar data: the value of `CALDAV:calendar-timezone` (RFC 4791
//! §5.2.2) and of a calendar-query's `CALDAV:timezone` (§9.8), both "an iCalendar object
//! containing exactly one valid VTIMEZONE component" (§5.2.10, §7.8 `valid-calendar-data`).

use crate::parse::parse;
use crate::value::date_of;
use crate::zones::Zones;

/// Checks that `text` is a VCALENDAR holding one VTIMEZONE and nothing else, with a TZID
/// and at least one STANDARD or DAYLIGHT observance, each with a DTSTART, TZOFFSETFROM and
/// TZOFFSETTO (RFC 5545 §3.6.5). Returns the TZID; the message of an error says what is
/// wrong.
pub fn check_timezone_object(text: &str) -> Result<String, String> {
    let root = parse(text.trim()).map_err(|e| e.to_string())?;
    if root.name != "VCALENDAR" {
        return Err(format!("a {} instead of a VCALENDAR", root.name));
    }
    let mut zones = Vec::new();
    for c in &root.components {
        if c.name != "VTIMEZONE" {
            return Err(format!("holds a {}; only one VTIMEZONE is allowed", c.name));
        }
        zones.push(c);
    }
    let [vtz] = zones.as_slice() else {
        return Err(format!(
            "holds {} VTIMEZONEs; exactly one is needed",
            zones.len()
        ));
    };
    let observances: Vec<_> = vtz
        .components
        .iter()
        .filter(|o| o.name == "STANDARD" || o.name == "DAYLIGHT")
        .collect();
    if observances.is_empty() {
        return Err("the VTIMEZONE has no STANDARD or DAYLIGHT observance".into());
    }
    for obs in observances {
        let start = obs
            .property("DTSTART")
            .ok_or_else(|| format!("a {} observance has no DTSTART", obs.name))?;
        date_of(start).map_err(|e| format!("{} DTSTART: {e}", obs.name))?;
    }
    // The TZID and both offsets of every observance.
    Zones::from_calendar(&root)?;
    Ok(vtz
        .property("TZID")
        .map(|p| p.value.clone())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERLIN: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTIMEZONE\r\n\
        TZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
        TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
        END:VCALENDAR\r\n";

    #[test]
    fn one_vtimezone_is_a_time_zone() {
        assert_eq!(
            check_timezone_object(BERLIN).as_deref(),
            Ok("Europe/Berlin")
        );
    }

    #[test]
    fn anything_else_is_not() {
        let two = BERLIN.replace(
            "END:VCALENDAR",
            "BEGIN:VTIMEZONE\r\nTZID:x\r\nEND:VTIMEZONE\r\nEND:VCALENDAR",
        );
        let event = BERLIN.replace(
            "END:VCALENDAR",
            "BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR",
        );
        let no_offset = BERLIN.replace("TZOFFSETTO:+0100\r\n", "");
        let no_start = BERLIN.replace("DTSTART:19701025T030000\r\n", "");
        let no_observance = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:x\r\nEND:VTIMEZONE\r\n\
            END:VCALENDAR\r\n";
        for bad in [
            "Europe/Berlin",
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            &two,
            &event,
            &no_offset,
            &no_start,
            no_observance,
        ] {
            assert!(check_timezone_object(bad).is_err(), "{bad}");
        }
    }
}
