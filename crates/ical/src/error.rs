//! The crate's two error types: [`ParseError`] for text that is not
//! iCalendar at all, [`Invalid`] for an object a CalDAV server must refuse,
//! already sorted by the RFC 4791 precondition the server reports.

use thiserror::Error;

/// The text is not a well-formed RFC 5545 §3.1 content-line stream.
///
/// `line` is the 1-based physical line where the offending (unfolded)
/// content line starts, so a client can find it in what it sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

/// Why [`crate::analyze`] refused an object. Each variant maps to one
/// CalDAV precondition (RFC 4791 §5.3.2.1); the message names the problem
/// so the client (or its user) can fix it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Invalid {
    /// `CALDAV:valid-calendar-data`: not parseable iCalendar, or a value
    /// that does not follow its RFC 5545 grammar.
    #[error("invalid calendar data: {0}")]
    CalendarData(String),
    /// `CALDAV:valid-calendar-object-resource`: parseable, but breaks the
    /// one-object-per-resource rules of RFC 4791 §4.1.
    #[error("invalid calendar object resource: {0}")]
    ObjectResource(String),
    /// `CALDAV:min-date-time`: starts before the server's earliest date.
    #[error("date too early: {0}")]
    MinDateTime(String),
    /// `CALDAV:max-date-time`: starts after the server's latest date.
    #[error("date too late: {0}")]
    MaxDateTime(String),
}

impl From<ParseError> for Invalid {
    fn from(e: ParseError) -> Self {
        Invalid::CalendarData(e.to_string())
    }
}

/// Why recurrence expansion or a calendar-query filter could not be
/// evaluated ([`crate::instances`], [`crate::matches`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExpandError {
    /// More instances than the limit were generated while walking the
    /// recurrence set. The limit exists because a tiny RRULE
    /// (`FREQ=SECONDLY`) describes millions of instances; the server
    /// answers 403 with `CALDAV:max-instances` or similar.
    #[error(
        "the recurrence set generates more than {0} instances; narrow the time range \
         or ask for fewer instances"
    )]
    TooManyInstances(u32),
    /// An RRULE without COUNT or UNTIL was expanded with no end to the
    /// time range: the instance set is infinite.
    #[error("the recurrence rule has no end and the time range has no end either; give the range an end")]
    Unbounded,
    /// The object is not iCalendar, or a value needed for expansion does
    /// not follow its grammar (the message says which).
    #[error("cannot expand: {0}")]
    Invalid(String),
    /// A rule this crate cannot expand (RFC 7529 RSCALE other than
    /// GREGORIAN).
    #[error("cannot expand: {0}")]
    Unsupported(String),
}

impl From<ParseError> for ExpandError {
    fn from(e: ParseError) -> Self {
        ExpandError::Invalid(e.to_string())
    }
}
