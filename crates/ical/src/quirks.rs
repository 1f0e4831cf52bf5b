//! Every place where reading iCalendar data bends RFC 5545 for a real client, gathered so
//! that `grep -rn quirks::` lists them (the protocol engine's own are in `dav::quirks`).
//! Each item names the client, the rule and the source. The rule for adding one: refuse
//! what would make stored data unusable or ambiguous, accept what only bends a SHOULD or
//! a grammar detail a reader can still interpret, and store the client's bytes unchanged.
//!
//! TZIDs as Outlook and Exchange (Windows names and display labels), Lightning, Evolution
//! and Citadel (vendor prefixes) write them are resolved in [`crate::tz::resolve_tzid`]:
//! RFC 5545 §3.2.19 leaves the names to the client, so that is interpretation, not a bent
//! rule. Outlook anchors VTIMEZONE observances in 1601, before `min-date-time`; date limits
//! are only checked on the object's own start (RFC 4791 §5.2.6), never in VTIMEZONE.
//!
//! An override whose RECURRENCE-ID names no instance of its master's recurrence set is
//! stored and is an occurrence of its own at its own DTSTART, as an RDATE would be
//! ([`crate::instances`] yields every override). RFC 5545 §3.8.4.4 means the RECURRENCE-ID
//! to name an instance but says nothing of one that does not; clients leave such
//! overrides behind when a series' rule is edited, and refusing them would stop the
//! series from syncing, dropping them would hide a meeting someone moved.

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

/// A DURATION may end in a `T` with no time after it: `P1DT` is read as `P1D`.
///
/// RFC 5545 §3.3.6 has `dur-time` hold at least one of hours, minutes and seconds, but
/// Apple's own CalDAV test material writes `DURATION:P1DT` in its alarm tests (fixture
/// `testdata/ics/apple/calvault-ccstester-put9-duration_p1dt.ics`) and a reader can
/// only take it one way. `PT` alone, with nothing on either side, is still refused.
pub(crate) const DURATION_MAY_END_IN_T: bool = true;

/// A VTODO's DUE may precede its DTSTART, or be a DATE while DTSTART is a DATE-TIME; the
/// object is stored as sent and reported in `ObjectInfo::warnings`.
///
/// RFC 5545 §3.8.2.3 wants DUE later than DTSTART and of the same value type, but such
/// tasks exist in real data and imports (Radicale and CalendarServer store them; fixture
/// `testdata/ics/todo-journal/calvault-ccs-reports104-due_before_dtstart.ics`). Refusing one stops
/// the client from syncing it at all. Queries follow RFC 4791 §9.9 with the values as
/// they are: the task's span runs from its DUE to its DTSTART. A negative DURATION on a
/// VTODO says the same and is stored likewise (indexed as due at its start); on a VEVENT
/// it is refused, as a DTEND before DTSTART is.
pub(crate) const TODO_DUE_MAY_PRECEDE_DTSTART: bool = true;

/// In a TEXT value, a backslash before a character RFC 5545 §3.3.11 does not list as an
/// escape (`\"` and `\:` among them) stands for that character.
///
/// RFC 5545 allows only `\\`, `\;`, `\,`, `\n` and `\N`, but Mozilla Sunbird wrote
/// `\"` around quoted words (`testdata/ics/thunderbird/ical4j-sunbird_sample.ics`), and
/// the character meant is plain. The bytes are stored as sent; only reading the text
/// (SUMMARY for the history, text-match in queries) drops the backslash.
pub(crate) const UNKNOWN_TEXT_ESCAPE_IS_THE_CHARACTER: bool = true;
