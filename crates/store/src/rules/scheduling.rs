//! The scheduling collections of an account (RFC 6638 §2): every user has one inbox and one
//! outbox, made with their home (and by a migration for accounts older than scheduling), at
//! fixed paths below it. They are parts of the account, like the home: never deleted,
//! moved, copied or given members that are collections.

use crate::{CollectionKind, NewCollection, PrincipalId, Result, StoreError};

/// Where a user's scheduling inbox lives below their home.
pub const INBOX_PATH: &str = "inbox";
/// Where a user's scheduling outbox lives below their home.
pub const OUTBOX_PATH: &str = "outbox";

/// The collections every account gets besides its home.
pub fn collections_of(owner: PrincipalId) -> [NewCollection; 2] {
    let make = |path: &str, kind| NewCollection {
        owner,
        path: path.into(),
        kind,
        components: vec![],
        properties: vec![],
        target: None,
    };
    [
        make(INBOX_PATH, CollectionKind::ScheduleInbox),
        make(OUTBOX_PATH, CollectionKind::ScheduleOutbox),
    ]
}

/// True for the kinds that are fixed parts of an account.
pub fn is_fixed(kind: CollectionKind) -> bool {
    matches!(
        kind,
        CollectionKind::ScheduleInbox | CollectionKind::ScheduleOutbox
    )
}

/// RFC 6638 §2.1-§2.2: a scheduling collection stays where the account put it; deleting,
/// moving or copying one (or replacing it by a copy) is refused.
pub fn check_fixed(kind: CollectionKind) -> Result<()> {
    if is_fixed(kind) {
        return Err(StoreError::Conflict(
            "the scheduling inbox and outbox belong to the account and cannot be deleted, \
             moved or copied"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_and_outbox_are_fixed_and_nothing_else_is() {
        let [inbox, outbox] = collections_of(7);
        assert_eq!(
            (inbox.path.as_str(), inbox.kind),
            (INBOX_PATH, CollectionKind::ScheduleInbox)
        );
        assert_eq!(outbox.kind, CollectionKind::ScheduleOutbox);
        assert!(check_fixed(CollectionKind::ScheduleInbox).is_err());
        assert!(check_fixed(CollectionKind::ScheduleOutbox).is_err());
        for kind in [
            CollectionKind::Plain,
            CollectionKind::Calendar,
            CollectionKind::Shared,
        ] {
            assert!(check_fixed(kind).is_ok());
        }
    }
}
