//! Typed values of RFC 5545 §3.3: DATE, DATE-TIME, DURATION, PERIOD,
//! UTC-OFFSET and TEXT unescaping. Pure functions; every number is checked
//! so that absurd input yields an error or a saturated value, never a panic.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::parse::Property;
use crate::quirks;

/// A DATE or DATE-TIME value before any time zone is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateValue {
    /// RFC 5545 §3.3.4: a calendar day, floating by nature.
    Date(NaiveDate),
    /// RFC 5545 §3.3.5: local (floating or TZID-relative) or UTC ("Z").
    DateTime { local: NaiveDateTime, utc: bool },
}

impl DateValue {
    pub(crate) fn is_date(self) -> bool {
        matches!(self, DateValue::Date(_))
    }

    /// The wall-clock time, midnight for a DATE.
    pub(crate) fn naive(self) -> NaiveDateTime {
        match self {
            DateValue::Date(d) => d.and_time(NaiveTime::MIN),
            DateValue::DateTime { local, .. } => local,
        }
    }
}

/// What the `VALUE` parameter allows for a date property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateKind {
    Date,
    DateTime,
    /// No VALUE parameter: DATE-TIME is the default, but a bare DATE is
    /// common enough in the wild to accept.
    Either,
}

impl DateKind {
    pub(crate) fn from_param(value: Option<&str>) -> Self {
        match value {
            Some(v) if v.eq_ignore_ascii_case("DATE") => DateKind::Date,
            Some(v) if v.eq_ignore_ascii_case("DATE-TIME") => DateKind::DateTime,
            _ => DateKind::Either,
        }
    }
}

/// Parses one DATE (`YYYYMMDD`) or DATE-TIME (`YYYYMMDDTHHMMSS[Z]`).
pub(crate) fn parse_date_value(s: &str, kind: DateKind) -> Result<DateValue, String> {
    let s = s.trim();
    match (s.len(), kind) {
        (8, DateKind::Date | DateKind::Either) => parse_date(s).map(DateValue::Date),
        (15 | 16, DateKind::DateTime | DateKind::Either) => parse_date_time(s),
        (_, DateKind::Date) => Err(format!("{s:?} is not a DATE (YYYYMMDD)")),
        _ => Err(format!("{s:?} is not a DATE-TIME (YYYYMMDDTHHMMSS[Z])")),
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let bad = || format!("{s:?} is not a valid DATE (YYYYMMDD)");
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let y = digits(&s[0..4]).ok_or_else(bad)?;
    let m = digits(&s[4..6]).ok_or_else(bad)?;
    let d = digits(&s[6..8]).ok_or_else(bad)?;
    NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(bad)
}

fn parse_date_time(s: &str) -> Result<DateValue, String> {
    let bad = || format!("{s:?} is not a valid DATE-TIME (YYYYMMDDTHHMMSS[Z])");
    let (body, utc) = match s.strip_suffix(['Z', 'z']) {
        Some(b) => (b, true),
        None => (s, false),
    };
    if body.len() != 15 || !body.is_ascii() || !body[8..9].eq_ignore_ascii_case("T") {
        return Err(bad());
    }
    let date = parse_date(&body[..8]).map_err(|_| bad())?;
    let t = &body[9..];
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let h = digits(&t[0..2]).ok_or_else(bad)?;
    let m = digits(&t[2..4]).ok_or_else(bad)?;
    // RFC 5545 §3.3.12 allows second 60 for a leap second; chrono would
    // need a special form for it and the difference is irrelevant here.
    let sec = digits(&t[4..6]).ok_or_else(bad)?;
    if sec > 60 {
        return Err(bad());
    }
    let time = NaiveTime::from_hms_opt(h, m, sec.min(59)).ok_or_else(bad)?;
    Ok(DateValue::DateTime {
        local: date.and_time(time),
        utc,
    })
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a DURATION (RFC 5545 §3.3.6) to signed seconds.
///
/// Also accepts weeks mixed with days and times
/// ([`quirks::DURATION_WEEKS_MIX_WITH_DAYS`]). Huge values saturate instead of overflowing.
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("{s:?} is not a valid DURATION (e.g. PT1H30M, -P1D, P2W)");
    let t = s.trim();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let rest = rest
        .strip_prefix(['P', 'p'])
        .ok_or_else(bad)?
        .to_ascii_uppercase();
    let mut total: i64 = 0;
    let mut in_time = false;
    let mut any = false;
    let mut num: Option<i64> = None;
    // Units must come in this order; `rank` enforces it.
    let mut rank = 0;
    let mut weeks = false;
    for c in rest.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = num.unwrap_or(0);
            num = Some(
                n.checked_mul(10)
                    .and_then(|n| n.checked_add(i64::from(d)))
                    .ok_or_else(bad)?,
            );
            continue;
        }
        if c == 'T' {
            if in_time || num.is_some() {
                return Err(bad());
            }
            in_time = true;
            continue;
        }
        let n = num.take().ok_or_else(bad)?;
        let (unit, r) = match (c, in_time) {
            ('W', false) => (604_800, 1),
            ('D', false) => (86_400, 2),
            ('H', true) => (3_600, 3),
            ('M', true) => (60, 4),
            ('S', true) => (1, 5),
            _ => return Err(bad()),
        };
        if r <= rank {
            return Err(bad());
        }
        rank = r;
        weeks |= c == 'W';
        total = total.saturating_add(n.saturating_mul(unit));
        any = true;
    }
    if !any || num.is_some() {
        return Err(bad());
    }
    // A 'T' with no time part after it: `P1DT` (RFC 5545 §3.3.6 has `dur-time` need
    // one). Read as `P1D`, see `quirks::DURATION_MAY_END_IN_T`.
    if in_time && rank < 3 && !(rank > 0 && quirks::DURATION_MAY_END_IN_T) {
        return Err(bad());
    }
    if weeks && rank > 1 && !quirks::DURATION_WEEKS_MIX_WITH_DAYS {
        return Err(bad());
    }
    Ok(if neg { -total } else { total })
}

/// Parses a UTC-OFFSET (RFC 5545 §3.3.14) to seconds east of UTC.
///
/// `-0000` means UTC ([`quirks::NEGATIVE_ZERO_OFFSET_IS_UTC`]).
pub(crate) fn parse_utc_offset(s: &str) -> Result<i32, String> {
    let t = s.trim();
    let bad = || format!("{t:?} is not a valid UTC offset (+HHMM or -HHMM[SS])");
    let sign = match t.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(bad()),
    };
    let d = &t[1..];
    if !(d.len() == 4 || d.len() == 6) || !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let h = digits(&d[0..2]).ok_or_else(bad)?;
    let m = digits(&d[2..4]).ok_or_else(bad)?;
    let sec = if d.len() == 6 {
        digits(&d[4..6]).ok_or_else(bad)?
    } else {
        0
    };
    if h > 23 || m > 59 || sec > 59 {
        return Err(bad());
    }
    if sign < 0 && h + m + sec == 0 && !quirks::NEGATIVE_ZERO_OFFSET_IS_UTC {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60 + sec) as i32)
}

/// One PERIOD (RFC 5545 §3.3.9): start plus either an explicit end or a
/// duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeriodEnd {
    End(DateValue),
    Duration(i64),
}

pub(crate) fn parse_period(s: &str) -> Result<(DateValue, PeriodEnd), String> {
    let bad = || format!("{s:?} is not a valid PERIOD (start/end or start/duration)");
    let (a, b) = s.trim().split_once('/').ok_or_else(bad)?;
    let start = parse_date_value(a, DateKind::DateTime)?;
    let end = if b.trim_start_matches(['+', '-']).starts_with(['P', 'p']) {
        PeriodEnd::Duration(parse_duration(b)?)
    } else {
        PeriodEnd::End(parse_date_value(b, DateKind::DateTime)?)
    };
    Ok((start, end))
}

/// Splits a multi-valued property value on its commas (DATE, DATE-TIME and
/// PERIOD lists contain no escaped commas).
pub(crate) fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',')
}

/// Unescapes TEXT (RFC 5545 §3.3.11): `\\`, `\;`, `\,`, `\n`/`\N`.
pub fn unescape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some(c @ ('\\' | ';' | ',')) => out.push(c),
            // RFC 5545 §3.3.11 knows no other escape.
            Some(other) if quirks::UNKNOWN_TEXT_ESCAPE_IS_THE_CHARACTER => out.push(other),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The DATE or DATE-TIME value of a property, honouring its VALUE parameter.
pub(crate) fn date_of(p: &Property) -> Result<DateValue, String> {
    parse_date_value(&p.value, DateKind::from_param(p.param("VALUE")))
        .map_err(|e| format!("{}: {e}", p.name))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic: that is how they fail
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(parse_date_value("20240229", DateKind::Either).is_ok());
        assert!(parse_date_value("20230229", DateKind::Either).is_err());
        assert!(parse_date_value("20171032", DateKind::Either).is_err());
        assert!(parse_date_value("2006717T080000Z", DateKind::Either).is_err());
        assert!(parse_date_value("20171101T2300", DateKind::Either).is_err());
        assert!(parse_date_value("20200101T100000", DateKind::Date).is_err());
        assert!(parse_date_value("20200101", DateKind::DateTime).is_err());
        assert_eq!(
            parse_date_value("20200101T100060Z", DateKind::DateTime)
                .unwrap()
                .naive()
                .to_string(),
            "2020-01-01 10:00:59"
        );
        assert!(parse_date_value("2020é101", DateKind::Either).is_err());
        assert!(parse_date_value("20200101é00000", DateKind::Either).is_err());
    }

    #[test]
    fn durations() {
        let cases = [
            ("PT1H30M", Some(5400)),
            ("-P1D", Some(-86400)),
            ("P2W", Some(1_209_600)),
            ("-P0DT0H10M0S", Some(-600)),
            ("-P1W6DT15H", Some(-(604_800 + 6 * 86_400 + 15 * 3600))),
            ("P999999999999999999W", Some(i64::MAX)),
            ("P99999999999999999999W", None),
            ("PT", None),
            ("P", None),
            ("P1H", None),
            ("PT1D", None),
            // Issue 20, item 9: a trailing 'T' with no time (quirks::DURATION_MAY_END_IN_T).
            ("P1DT", Some(86_400)),
            ("-P2DT", Some(-172_800)),
            ("1D", None),
            ("PT10M1H", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration(s).ok(), want, "{s}");
        }
    }

    #[test]
    fn unknown_text_escapes_stand_for_the_character() {
        // quirks::UNKNOWN_TEXT_ESCAPE_IS_THE_CHARACTER (Mozilla Sunbird's \").
        assert_eq!(
            unescape_text(r#"say \"hi\"\, then\; \\ \n\Nend\"#),
            "say \"hi\", then; \\ \n\nend\\"
        );
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_utc_offset("+0100"), Ok(3600));
        assert_eq!(parse_utc_offset("-0000"), Ok(0));
        assert_eq!(parse_utc_offset("-053028"), Ok(-(5 * 3600 + 30 * 60 + 28)));
        assert!(parse_utc_offset("+5744").is_err());
        assert!(parse_utc_offset("+5328").is_err());
        assert!(parse_utc_offset("0100").is_err());
        assert!(parse_utc_offset("+01:00").is_err());
    }

    #[test]
    fn periods_and_text() {
        assert!(matches!(
            parse_period("19970101T180000Z/PT5H30M"),
            Ok((_, PeriodEnd::Duration(19800)))
        ));
        assert!(matches!(
            parse_period("19970101T180000Z/19970102T070000Z"),
            Ok((_, PeriodEnd::End(_)))
        ));
        assert!(parse_period("19970101T180000Z").is_err());
        assert_eq!(unescape_text(r"a\, b\; c\nd\\"), "a, b; c\nd\\");
    }
}
