//! `tz::resolve_tzid`: the TZID spellings clients send.
#![allow(clippy::unwrap_used)] // tests may panic: that is how they fail

use chrono_tz::Tz;
use ical::tz::resolve_tzid;

#[test]
fn resolves() {
    let cases: &[(&str, Tz)] = &[
        ("Europe/Berlin", chrono_tz::Europe::Berlin),
        ("europe/berlin", chrono_tz::Europe::Berlin),
        ("\"Europe/Berlin\"", chrono_tz::Europe::Berlin),
        ("US/Eastern", chrono_tz::US::Eastern),
        ("UTC", chrono_tz::UTC),
        // Windows names (CLDR windowsZones, territory 001).
        ("W. Europe Standard Time", chrono_tz::Europe::Berlin),
        ("Pacific Standard Time", chrono_tz::America::Los_Angeles),
        ("pacific standard time", chrono_tz::America::Los_Angeles),
        ("Eastern Standard Time", chrono_tz::America::New_York),
        ("New Zealand Standard Time", chrono_tz::Pacific::Auckland),
        ("Arabian Standard Time", chrono_tz::Asia::Dubai),
        ("Tokyo Standard Time", chrono_tz::Asia::Tokyo),
        ("India Standard Time", chrono_tz::Asia::Calcutta),
        // Display labels, new and old style, and bare city lists.
        (
            "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
            chrono_tz::Europe::Berlin,
        ),
        (
            "(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna",
            chrono_tz::Europe::Berlin,
        ),
        (
            "(GMT-08:00) Pacific Time (US & Canada); Tijuana",
            chrono_tz::America::Los_Angeles,
        ),
        ("Canberra, Melbourne, Sydney", chrono_tz::Australia::Sydney),
        ("Kuala Lumpur, Singapore", chrono_tz::Asia::Singapore),
        ("(UTC-03:00) Brasília", chrono_tz::America::Sao_Paulo),
        // Vendor prefixes.
        (
            "/mozilla.org/20050126_1/Europe/Berlin",
            chrono_tz::Europe::Berlin,
        ),
        (
            "/mozilla.org/20070129_1/America/Argentina/Buenos_Aires",
            chrono_tz::America::Argentina::Buenos_Aires,
        ),
        (
            "/citadel.org/20190914_1/Europe/Berlin",
            chrono_tz::Europe::Berlin,
        ),
        (
            "/softwarestudio.org/Tzfile/America/Chicago",
            chrono_tz::America::Chicago,
        ),
    ];
    for (tzid, want) in cases {
        assert_eq!(resolve_tzid(tzid), Some(*want), "{tzid}");
    }
}

#[test]
fn unknown_names_are_none() {
    for tzid in [
        "",
        "Mars/Olympus",
        "Nowhere/Middle",
        "/Europe/CUSTOM",
        "Standard Time",
        "\"\"",
    ] {
        assert_eq!(resolve_tzid(tzid), None, "{tzid}");
    }
}
