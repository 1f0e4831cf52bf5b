//! What a write may do to one object, given the object's current state.

use crate::{Expect, ObjectTransfer, Result, StoreError, TransferMode};

/// An object's stored state as a write reads it under its lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectState {
    pub etag: String,
    pub size: u64,
    pub uid: Option<String>,
}

impl Expect {
    /// Checks the expectation against the current ETag (None: the resource is absent).
    pub fn check(&self, current_etag: Option<&str>) -> Result<()> {
        let ok = match (self, current_etag) {
            (Expect::Anything, _) => true,
            (Expect::Absent, current) => current.is_none(),
            (Expect::Present, current) => current.is_some(),
            (Expect::Etag(want), Some(current)) => want == current,
            (Expect::Etag(_), None) => false,
        };
        if ok {
            Ok(())
        } else {
            Err(StoreError::PreconditionFailed)
        }
    }
}

/// RFC 4791 §5.3.2.1: a UID names one object per calendar. `holder` is another object of
/// the collection that already has the UID, if the read found one.
pub fn check_uid(uid: Option<&str>, holder: Option<String>) -> Result<()> {
    match (uid, holder) {
        (Some(uid), Some(existing_name)) => Err(StoreError::UidConflict {
            uid: uid.to_owned(),
            existing_name,
        }),
        _ => Ok(()),
    }
}

/// A PUT of `size` bytes over `existing`: refused unless the expectation holds; returns how
/// many bytes the owner's usage grows by (negative when it shrinks).
pub fn put(expect: &Expect, existing: Option<&ObjectState>, size: u64) -> Result<i64> {
    expect.check(existing.map(|e| e.etag.as_str()))?;
    Ok(bytes(size) - existing.map_or(0, |e| bytes(e.size)))
}

/// A DELETE of `existing`: a missing object is NotFound unless the request made its own
/// expectation about it (`If-Match: *` on a missing object is a failed precondition).
pub fn delete(expect: &Expect, existing: Option<&ObjectState>) -> Result<()> {
    if existing.is_none() && *expect == Expect::Anything {
        return Err(StoreError::NotFound);
    }
    expect.check(existing.map(|e| e.etag.as_str()))
}

/// The checks of a COPY or MOVE of one object that need only the request and whether the
/// source and destination exist (RFC 4918 §9.8.4, §9.9.3: Overwrite: F and an existing
/// destination is 412).
pub fn transfer(t: &ObjectTransfer, source_exists: bool, destination_exists: bool) -> Result<()> {
    if t.from == t.to && t.from_name == t.to_name {
        return Err(StoreError::Conflict(
            "source and destination are the same".into(),
        ));
    }
    if !source_exists {
        return Err(StoreError::NotFound);
    }
    if destination_exists && !t.overwrite {
        return Err(StoreError::PreconditionFailed);
    }
    Ok(())
}

/// A move within one collection keeps the object's UID where it is, so the UID check would
/// find the object itself.
pub fn transfer_checks_uid(t: &ObjectTransfer) -> bool {
    !(t.mode == TransferMode::Move && t.from == t.to)
}

/// The quota a transfer is held to: a copy adds bytes, and so does a move to another owner;
/// a move within one owner's calendars does not change their usage.
pub fn transfer_quota(t: &ObjectTransfer, same_owner: bool) -> Option<u64> {
    match (t.mode, same_owner) {
        (TransferMode::Move, true) => None,
        _ => t.quota,
    }
}

fn bytes(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn state(etag: &str, size: u64) -> ObjectState {
        ObjectState {
            etag: etag.into(),
            size,
            uid: None,
        }
    }

    #[test]
    fn expectations_decide_on_the_current_etag() {
        let a = state("a", 10);
        assert_eq!(put(&Expect::Anything, None, 5), Ok(5));
        assert_eq!(put(&Expect::Anything, Some(&a), 5), Ok(-5));
        assert_eq!(put(&Expect::Etag("a".into()), Some(&a), 12), Ok(2));
        for (expect, existing) in [
            (Expect::Absent, Some(&a)),
            (Expect::Present, None),
            (Expect::Etag("b".into()), Some(&a)),
            (Expect::Etag("a".into()), None),
        ] {
            assert_eq!(
                put(&expect, existing, 1),
                Err(StoreError::PreconditionFailed)
            );
        }
    }

    #[test]
    fn a_missing_object_is_not_found_unless_the_request_expected_something() {
        assert_eq!(delete(&Expect::Anything, None), Err(StoreError::NotFound));
        assert_eq!(
            delete(&Expect::Present, None),
            Err(StoreError::PreconditionFailed)
        );
        assert_eq!(delete(&Expect::Anything, Some(&state("a", 1))), Ok(()));
    }

    #[test]
    fn a_uid_held_elsewhere_is_a_conflict_naming_the_holder() {
        assert_eq!(check_uid(Some("u"), None), Ok(()));
        assert_eq!(check_uid(None, Some("x.ics".into())), Ok(()));
        assert_eq!(
            check_uid(Some("u"), Some("x.ics".into())),
            Err(StoreError::UidConflict {
                uid: "u".into(),
                existing_name: "x.ics".into()
            })
        );
    }

    #[test]
    fn transfers_refuse_the_same_place_and_unwanted_overwrites() {
        let mut t = ObjectTransfer {
            mode: TransferMode::Move,
            from: 1,
            from_name: "a.ics".into(),
            to: 1,
            to_name: "a.ics".into(),
            overwrite: true,
            quota: Some(100),
            reindex: None,
        };
        assert!(matches!(
            transfer(&t, true, true),
            Err(StoreError::Conflict(_))
        ));
        t.to_name = "b.ics".into();
        assert_eq!(transfer(&t, false, true), Err(StoreError::NotFound));
        assert_eq!(transfer(&t, true, true), Ok(()));
        assert!(!transfer_checks_uid(&t));
        assert_eq!(transfer_quota(&t, true), None);
        t.overwrite = false;
        assert_eq!(
            transfer(&t, true, true),
            Err(StoreError::PreconditionFailed)
        );
        t.mode = TransferMode::Copy;
        assert!(transfer_checks_uid(&t));
        assert_eq!(transfer_quota(&t, true), Some(100));
    }
}
