//! Every place where reading iCalendar data bends RFC 5545 for a real client, gathered so
//! that `grep -rn quirks::` lists them (the protocol engine's own are in `dav::quirks`).
//! Each item names the client, the rule and the source.
//!
//! TZIDs as Outlook and Exchange (Windows names and display labels), Lightning, Evolution
//! and Citadel (vendor prefixes) write them are resolved in [`crate::tz::resolve_tzid`]:
//! RFC 5545 §3.2.19 leaves the names to the client, so that is interpretation, not a bent
//! rule. Outlook anchors VTIMEZONE observances in 1601, before `min-date-time`; date limits
//! are only checked on the object's own start (RFC 4791 §5.2.6), never in VTIMEZONE.

/// Spaces before a quoted parameter value are skipped.
///
/// RFC 5545 §3.2 has the quote follow the '=' directly, but khal folds
/// `DELEGATED-FROM=` CRLF two spaces `"mailto:..."`, so that after unfolding one space
/// precedes the quote. Returns the position of the quote, or `pos` when none follows.
pub(crate) fn skip_space_before_quoted_value(line: &str, pos: usize) -> usize {
    let rest = &line[pos..];
    let ws = rest.len() - rest.trim_start_matches(' ').len();
    if ws > 0 && line.as_bytes().get(pos + ws) == Some(&b'"') {
        pos + ws
    } else {
        pos
    }
}

/// A backslash in an unquoted parameter value protects the next character from being read
/// as a separator; the raw text is kept as is.
///
/// RFC 5545 §3.2 knows no escapes in parameter values, but Apple Calendar (iOS 26) writes
/// `X-TITLE=Hauptstraße 1-5\; 4041 Linz`: a TEXT-style escape inside a parameter.
pub(crate) const BACKSLASH_PROTECTS_PARAMETER_SEPARATORS: bool = true;

/// A DURATION may mix weeks with days and times (`-P1W6DT15H`).
///
/// RFC 5545 §3.3.6 allows weeks only alone (`dur-week`), but Nextcloud writes the mixed
/// form and its meaning is unambiguous.
pub(crate) const DURATION_WEEKS_MIX_WITH_DAYS: bool = true;

/// The UTC-OFFSET `-0000` is read as UTC.
///
/// RFC 5545 §3.3.14 forbids it, but Zimbra writes it, and it can only mean UTC.
pub(crate) const NEGATIVE_ZERO_OFFSET_IS_UTC: bool = true;
