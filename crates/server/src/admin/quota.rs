//! Quotas as people write them: `1500000` (bytes), `500MB`, `1.5 GiB`, or `default` (the
//! server's `default_quota`); the same text on `calvault user add --quota`, `calvault user
//! set --quota` and the Administration page, and back again ([`QuotaText`]) so a page can
//! show a quota in the form it is typed.

use std::fmt;

use store::{Store, StoreError};

use super::AdminError;

/// Units by their (lower-case) names: decimal ones as disks and RFC 4331 count, binary
/// ones as memory does.
const UNITS: [(&str, u64); 15] = [
    ("b", 1),
    ("byte", 1),
    ("bytes", 1),
    ("k", 1_000),
    ("kb", 1_000),
    ("m", 1_000_000),
    ("mb", 1_000_000),
    ("g", 1_000_000_000),
    ("gb", 1_000_000_000),
    ("t", 1_000_000_000_000),
    ("tb", 1_000_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
];

/// The word that gives an account the server's default quota back.
pub const DEFAULT_QUOTA: &str = "default";

/// A quota as typed: Some(bytes), or None for [`DEFAULT_QUOTA`].
pub fn parse_quota(text: &str) -> Result<Option<u64>, AdminError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case(DEFAULT_QUOTA) {
        return Ok(None);
    }
    parse_size(t)
        .map(Some)
        .ok_or_else(|| AdminError::BadSize(text.to_owned()))
}

/// A quota flag's value as the command line parses it ([`parse_quota`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaArg(pub Option<u64>);

impl std::str::FromStr for QuotaArg {
    type Err = AdminError;

    fn from_str(text: &str) -> Result<Self, AdminError> {
        parse_quota(text).map(QuotaArg)
    }
}

/// `1500000`, `500MB`, `1.5 GiB` as bytes; None for anything else (an empty text, a
/// negative number, an unknown unit, a size past what a quota can hold).
fn parse_size(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let scale = match unit.as_str() {
        "" => 1,
        u => UNITS.iter().find(|(name, _)| *name == u)?.1,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let whole: u64 = match whole {
        "" => 0,
        w => w.parse().ok()?,
    };
    // A fraction of a unit counts in whole bytes (1.5GiB exactly, 0.0001KB as 0); past
    // nine digits it says nothing a quota needs.
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let tenths: u128 = match fraction {
        "" => 0,
        f => f.parse().ok()?,
    };
    let part = u128::from(scale) * tenths / 10u128.pow(fraction.len() as u32);
    let bytes = u128::from(whole) * u128::from(scale) + part;
    u64::try_from(bytes).ok().filter(|b| *b <= MAX_QUOTA)
}

/// What the store's integer columns hold.
const MAX_QUOTA: u64 = i64::MAX as u64;

/// A quota in the largest unit that shows it exactly (`500 MB`, `2 GiB`, `1234 bytes`):
/// what the page puts in the field, and what [`parse_quota`] reads back.
pub struct QuotaText(pub u64);

impl fmt::Display for QuotaText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let shown = [
            ("TB", 1_000_000_000_000),
            ("TiB", 1 << 40),
            ("GB", 1_000_000_000),
            ("GiB", 1 << 30),
            ("MB", 1_000_000),
            ("MiB", 1 << 20),
            ("kB", 1_000),
            ("KiB", 1 << 10),
        ]
        .into_iter()
        .find(|(_, scale)| n > 0 && n.is_multiple_of(*scale));
        match shown {
            Some((unit, scale)) => write!(f, "{} {unit}", n / scale),
            None => write!(f, "{n} bytes"),
        }
    }
}

/// Sets an account's quota (None: the server's default); its next write is held to it.
pub async fn set_quota(
    store: &dyn Store,
    name: &str,
    quota: Option<u64>,
) -> Result<(), AdminError> {
    match store.set_quota(name, quota).await {
        Err(StoreError::NotFound) => Err(AdminError::NoSuchUser(name.to_owned())),
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sizes_read_as_bytes_with_decimal_and_binary_units() {
        assert_eq!(parse_quota("1500000").unwrap(), Some(1_500_000));
        assert_eq!(parse_quota("500MB").unwrap(), Some(500_000_000));
        assert_eq!(parse_quota(" 500 mb ").unwrap(), Some(500_000_000));
        assert_eq!(parse_quota("1.5GiB").unwrap(), Some(3 << 29));
        assert_eq!(parse_quota("2k").unwrap(), Some(2_000));
        assert_eq!(parse_quota("0.5 KB").unwrap(), Some(500));
        assert_eq!(parse_quota("Default").unwrap(), None);
        for bad in ["", "MB", "-5", "5 parsecs", "1.2.3", ".", "99999999999TB"] {
            let e = parse_quota(bad).unwrap_err().to_string();
            assert!(e.contains("is not a size"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_quota_is_shown_in_the_largest_exact_unit_and_reads_back() {
        for (n, text) in [
            (500_000_000, "500 MB"),
            (2 << 30, "2 GiB"),
            (1234, "1234 bytes"),
            (0, "0 bytes"),
            (3_000, "3 kB"),
        ] {
            assert_eq!(QuotaText(n).to_string(), text);
            assert_eq!(parse_quota(text).unwrap(), Some(n), "{text}");
        }
    }
}
