//! The numbers of a VEVENT time-range query on the instance index ([`crate::InstanceIndex`]),
//! worked out once for every backend, and how its two halves make one answer.

use std::collections::HashSet;

use bytes::Bytes;

use crate::{CollectionId, EventCandidates, EventRange, InstanceIndex, ObjectMeta};

/// Instance rows that overlap a range: they start in `[from, until)` and end after `after`.
/// No indexed instance is longer than [`InstanceIndex::MAX_SPAN`], so one that overlaps
/// starts at most that long before the range: `from` is the range's start moved back by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub until: i64,
    pub after: i64,
}

impl Window {
    fn over(start: i64, end: i64) -> Self {
        Window {
            from: start.saturating_sub(InstanceIndex::MAX_SPAN),
            until: end,
            after: start,
        }
    }
}

/// The query's parameters in the terms of the stored columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventQuery {
    pub collection: CollectionId,
    /// The range in UTC seconds.
    pub start: i64,
    pub end: i64,
    /// Instance rows of objects with UTC times.
    pub utc: Window,
    /// Instance rows of floating objects, in wall-clock seconds of the query's zone (empty
    /// when the zone has no constant offset over the range).
    pub floating: Window,
    /// The floating range's end: floating objects indexed up to before it are undecided.
    /// None when every floating object is undecided (no constant offset).
    pub floating_end: Option<i64>,
    /// Which slice of the answer: objects whose id is `part` modulo `of`.
    pub part: i64,
    pub of: i64,
    pub with_data: bool,
}

impl EventQuery {
    pub fn new(range: &EventRange) -> Self {
        let (floating_start, floating_end) = range.floating_range();
        EventQuery {
            collection: range.collection,
            start: range.start,
            end: range.end,
            utc: Window::over(range.start, range.end),
            floating: Window::over(floating_start, floating_end),
            floating_end: range.floating_offset.map(|_| floating_end),
            part: i64::from(range.slice.part),
            of: i64::from(range.slice.of.max(1)),
            with_data: range.with_data,
        }
    }
}

/// The certain matches from the index and the objects still to decide, each object once:
/// one indexed up to an instant inside the range can be both.
pub fn merge(
    matched: Vec<(ObjectMeta, Option<Bytes>)>,
    undecided: Vec<ObjectMeta>,
) -> EventCandidates {
    let found: HashSet<&str> = matched.iter().map(|(m, _)| m.name.as_str()).collect();
    let undecided = undecided
        .into_iter()
        .filter(|m| !found.contains(m.name.as_str()))
        .collect();
    EventCandidates { matched, undecided }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Slice;

    #[test]
    fn windows_look_back_one_span_and_floating_times_shift_by_the_offset() {
        let range = EventRange {
            collection: 3,
            start: 1_000_000,
            end: 2_000_000,
            floating_offset: Some(3_600),
            with_data: false,
            slice: Slice { part: 1, of: 2 },
        };
        let q = EventQuery::new(&range);
        assert_eq!(
            q.utc,
            Window {
                from: 1_000_000 - InstanceIndex::MAX_SPAN,
                until: 2_000_000,
                after: 1_000_000
            }
        );
        assert_eq!(q.floating.after, 1_003_600);
        assert_eq!(q.floating_end, Some(2_003_600));
        assert_eq!((q.part, q.of), (1, 2));
        let no_offset = EventQuery::new(&EventRange {
            floating_offset: None,
            ..range
        });
        assert_eq!(no_offset.floating_end, None);
        assert!(no_offset.floating.from >= no_offset.floating.until, "empty");
    }
}
