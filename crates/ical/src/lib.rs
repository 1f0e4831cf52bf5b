//! `ical`: the calendar-data domain of calvault, with no I/O.
//!
//! It owns reading RFC 5545 iCalendar text: parsing content lines into a
//! component tree ([`parse`]), deciding whether bytes a client PUT form a
//! valid RFC 4791 calendar object resource and what the index needs to know
//! about them ([`analyze`]), partial retrieval of calendar data
//! ([`select`], RFC 4791 §9.6), cutting a whole calendar into the objects an import
//! stores ([`split_calendar`]) and putting objects back into one calendar for an export
//! ([`CalendarAssembly`]), TZID resolution ([`tz`]), recurrence
//! expansion ([`instances`], [`expand_to_text`]) and exact evaluation of
//! calendar-query filters ([`matches`], RFC 4791 §9.7-§9.9), and the three-way merge of
//! two edits made from one version ([`merge`]).
//!
//! It must not know about HTTP, XML, storage or configuration: callers pass
//! bytes and limits in and get typed values or an [`Invalid`] carrying the
//! CalDAV precondition out. The server stores the client's exact bytes and
//! never re-serialises them; nothing here writes iCalendar except
//! [`select`], [`split_calendar`], [`CalendarAssembly`] and [`merge`], which reuse each
//! property's original line.
//!
//! Everything here is fed untrusted input, so nothing may panic: no
//! `unwrap` on input, checked or saturating arithmetic for dates and
//! durations, and a cap on component nesting.

mod assemble;
mod bounds;
mod error;
mod expand;
mod expand_output;
mod filter;
pub mod freebusy;
mod instance_index;
pub mod itip;
mod kind;
mod limit;
mod localtime;
mod merge;
mod parse;
mod quirks;
mod recur;
mod rrule;
mod select;
mod split;
mod timezone_object;
pub mod tz;
mod validate;
mod value;
mod windows_zones;
mod zones;

pub use assemble::CalendarAssembly;
pub use error::{ExpandError, Invalid, ParseError};
pub use expand::{instances, EvalContext, Instance, TimeRange};
pub use expand_output::expand_to_text;
pub use filter::{matches, Collation, CompFilter, ParamFilter, PropFilter, TextMatch};
pub use instance_index::{event_index, EventIndex, IndexLimits};
pub use kind::ComponentKind;
pub use limit::{limit_freebusy_set, limit_recurrence_set};
pub use merge::{merge, MergeError};
pub use parse::{parse, Component, Param, Property};
pub use select::{select, write_folded, CompSelection, CompSelector, PropSelection, PropSelector};
pub use split::{calendar_name, split_calendar, split_calendar_with, SplitObject};
pub use timezone_object::check_timezone_object;
pub use validate::{analyze, analyze_and_index, ObjectInfo, ValidationLimits};
pub use value::unescape_text;
