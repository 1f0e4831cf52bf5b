//! TZID strings to IANA zones, for TZIDs an object uses without defining
//! them in a VTIMEZONE (RFC 5545 §3.2.19 leaves the names to the client, so
//! this is best effort: an unknown name is not an error, the caller treats
//! the time as floating).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono_tz::Tz;

use crate::windows_zones::WINDOWS_ZONES;

/// Resolves a TZID to a zone. Understands, in this order:
///
/// * IANA names, case-insensitively (`Europe/Berlin`, `europe/berlin`,
///   backward links like `US/Eastern`);
/// * Windows names as Outlook and Exchange write them
///   (`W. Europe Standard Time`), from the CLDR mapping;
/// * Windows display labels (`(UTC+01:00) Amsterdam, Berlin, Bern, Rome,
///   Stockholm, Vienna`, older `(GMT+01.00) Amsterdam / Berlin / ...`, or
///   just the city list `Canberra, Melbourne, Sydney`);
/// * vendor-prefixed names ending in an IANA name, as written by
///   Lightning (`/mozilla.org/20050126_1/Europe/Berlin`), Evolution
///   (`/softwarestudio.org/Tzfile/America/Chicago`) or Citadel
///   (`/citadel.org/20190914_1/Europe/Berlin`).
pub fn resolve_tzid(tzid: &str) -> Option<Tz> {
    let t = tzid.trim().trim_matches('"').trim();
    if t.is_empty() {
        return None;
    }
    if let Some(tz) = iana(t) {
        return Some(tz);
    }
    if let Some(tz) = windows(t) {
        return Some(tz);
    }
    prefixed(t)
}

fn iana(name: &str) -> Option<Tz> {
    if let Ok(tz) = Tz::from_str(name) {
        return Some(tz);
    }
    static LOWER: OnceLock<HashMap<String, Tz>> = OnceLock::new();
    let map = LOWER.get_or_init(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| (tz.name().to_ascii_lowercase(), *tz))
            .collect()
    });
    map.get(&name.to_ascii_lowercase()).copied()
}

fn windows(name: &str) -> Option<Tz> {
    if let Some((_, zone, _)) = WINDOWS_ZONES
        .iter()
        .find(|(w, _, _)| w.eq_ignore_ascii_case(name))
    {
        return Tz::from_str(zone).ok();
    }
    let label = normalize_label(strip_offset_prefix(name));
    if label.is_empty() {
        return None;
    }
    // Old Outlook labels append regional notes after ';'
    // ("Pacific Time (US & Canada); Tijuana").
    let first_part = label.split(';').next().unwrap_or("").trim().to_string();
    WINDOWS_ZONES
        .iter()
        .find(|(_, _, l)| {
            let l = normalize_label(l);
            l == label || l == first_part
        })
        .and_then(|(_, zone, _)| Tz::from_str(zone).ok())
}

/// Drops a leading "(UTC+01:00) " / "(GMT+01.00) " / "(UTC) ".
fn strip_offset_prefix(s: &str) -> &str {
    let upper = s.get(..4).map(str::to_ascii_uppercase);
    if matches!(upper.as_deref(), Some("(UTC") | Some("(GMT")) {
        if let Some(close) = s.find(')') {
            return s[close + 1..].trim_start();
        }
    }
    s
}

/// Lower case, '/' separators read as ',', spaces collapsed, and the few
/// accented letters seen in labels ("Brasília") folded to ASCII.
fn normalize_label(s: &str) -> String {
    let folded: String = s
        .chars()
        .map(|c| match c {
            '/' => ',',
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'Á' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    folded
        .split(',')
        .map(|part| part.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Tries the trailing one to three '/'-separated parts as an IANA name,
/// longest first.
fn prefixed(name: &str) -> Option<Tz> {
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    let n = parts.len();
    if n < 2 {
        return None;
    }
    (1..=3.min(n - 1))
        .rev()
        .find_map(|k| iana(&parts[n - k..].join("/")))
}

/// Longest span [`constant_offset`] samples (about 400 days, 1,600 samples).
const MAX_SAMPLED_SPAN: i64 = 400 * 86_400;

/// The UTC offset (seconds east) of `zone` when it is the same throughout
/// `[from, to]` (UTC seconds); `None` when it changes (a DST transition) or
/// the instants are out of range. No zone is `None`: floating times read as
/// UTC. Sampled every six hours: no zone changes its offset twice within
/// that.
pub fn constant_offset(zone: Option<Tz>, from: i64, to: i64) -> Option<i64> {
    use chrono::{DateTime, Offset, TimeZone};
    let Some(zone) = zone else { return Some(0) };
    // Sampling is linear in the span: a long range is answered "varies" and
    // its floating events are evaluated exactly, which is always right.
    if to.saturating_sub(from) > MAX_SAMPLED_SPAN {
        return None;
    }
    let offset_at = |t: i64| {
        DateTime::from_timestamp(t, 0).map(|utc| {
            i64::from(
                zone.offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        })
    };
    let first = offset_at(from)?;
    let mut t = from;
    while t < to {
        t = t.saturating_add(6 * 3600).min(to);
        if offset_at(t)? != first {
            return None;
        }
    }
    Some(first)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;

    #[test]
    fn every_table_zone_exists_in_chrono_tz() {
        for (win, zone, _) in WINDOWS_ZONES {
            assert!(Tz::from_str(zone).is_ok(), "{win} -> {zone}");
        }
        assert!(WINDOWS_ZONES.len() >= 139);
    }

    #[test]
    fn label_normalization() {
        assert_eq!(
            normalize_label(" Amsterdam / Berlin /  Bern "),
            "amsterdam, berlin, bern"
        );
        assert_eq!(strip_offset_prefix("(GMT+01.00) x"), "x");
        assert_eq!(strip_offset_prefix("(UTC) x"), "x");
        assert_eq!(strip_offset_prefix("é"), "é");
    }
}
