//! Collections are slash-separated paths below their owner's home (the home is ""): where
//! one may be created, moved or brought back.

use crate::{Collection, CollectionKind, CollectionTransfer, Result, StoreError};

/// How many segments a path has ("" has none).
pub fn segments(path: &str) -> usize {
    if path.is_empty() {
        0
    } else {
        path.split('/').count()
    }
}

/// The path of the collection that holds `path`.
pub fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

/// `path` below `from` moved below `to`.
pub fn rebase(path: &str, from: &str, to: &str) -> String {
    format!("{to}{}", &path[from.len()..])
}

/// The members of a tree (from [`crate::db::Statements::collection_tree`]) directly below
/// `parent`.
pub fn children(tree: Vec<Collection>, parent: &str) -> Vec<Collection> {
    let depth = segments(parent) + 1;
    tree.into_iter()
        .filter(|c| segments(&c.path) == depth)
        .collect()
}

/// A new collection needs a parent, and only plain collections hold others (RFC 4791
/// §4.2: a calendar collection contains no collections; nor does a shared one).
pub fn check_parent(parent: Option<&Collection>) -> Result<()> {
    match parent {
        None => Err(StoreError::ParentMissing),
        Some(p) if matches!(p.kind, CollectionKind::Calendar | CollectionKind::Shared) => Err(
            StoreError::Conflict("a calendar collection cannot contain other collections".into()),
        ),
        Some(_) => Ok(()),
    }
}

/// Creating (or bringing back) a collection at a path: nothing live may be there, and it
/// needs a parent unless it is the home.
pub fn check_create(path: &str, live_at_path: bool, parent: Option<&Collection>) -> Result<()> {
    if live_at_path {
        return Err(StoreError::AlreadyExists);
    }
    if path.is_empty() {
        return Ok(());
    }
    check_parent(parent)
}

/// The home holds the account together: it cannot be deleted.
pub fn check_delete(path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(StoreError::Conflict(
            "the calendar home cannot be deleted".into(),
        ));
    }
    Ok(())
}

/// The requests no store may carry out, whatever is stored.
pub fn check_transfer(t: &CollectionTransfer) -> Result<()> {
    let refuse = |why: &str| Err(StoreError::Conflict(why.into()));
    if t.from.is_empty() || t.to.is_empty() {
        return refuse("the calendar home cannot be copied or moved");
    }
    if t.from == t.to {
        return refuse("source and destination are the same");
    }
    if t.to.starts_with(&format!("{}/", t.from)) {
        return refuse("a collection cannot be copied or moved into itself");
    }
    Ok(())
}

/// RFC 4918 §9.8.4 / §9.9.3: an existing destination is replaced only with Overwrite: T.
pub fn check_overwrite(t: &CollectionTransfer, destination: &[Collection]) -> Result<bool> {
    let replaced = !destination.is_empty();
    if replaced && !t.overwrite {
        return Err(StoreError::PreconditionFailed);
    }
    Ok(replaced)
}

/// Only a deleted collection can be brought back.
pub fn check_restore(deleted_at: Option<i64>) -> Result<()> {
    match deleted_at {
        Some(_) => Ok(()),
        None => Err(StoreError::Conflict("the collection is not deleted".into())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(path: &str, kind: CollectionKind) -> Collection {
        Collection {
            id: 1,
            owner: 1,
            path: path.into(),
            kind,
            components: vec![],
            sync_seq: 0,
            created_at: 0,
            modified_at: 0,
            target: None,
        }
    }

    #[test]
    fn paths_split_into_parents_and_rebase_below_a_new_root() {
        assert_eq!(segments(""), 0);
        assert_eq!(segments("a/b"), 2);
        assert_eq!(parent_of("a/b"), "a");
        assert_eq!(parent_of("a"), "");
        assert_eq!(rebase("a/b/c", "a/b", "x"), "x/c");
        let tree = vec![
            at("a", CollectionKind::Plain),
            at("a/b", CollectionKind::Plain),
            at("a/b/c", CollectionKind::Plain),
        ];
        let below: Vec<String> = children(tree, "a").into_iter().map(|c| c.path).collect();
        assert_eq!(below, ["a/b"]);
    }

    #[test]
    fn collections_live_below_plain_collections_only() {
        let plain = at("a", CollectionKind::Plain);
        let calendar = at("c", CollectionKind::Calendar);
        assert_eq!(check_create("a/x", false, Some(&plain)), Ok(()));
        assert_eq!(check_create("", false, None), Ok(()));
        assert_eq!(
            check_create("a/x", true, Some(&plain)),
            Err(StoreError::AlreadyExists)
        );
        assert_eq!(
            check_create("a/x", false, None),
            Err(StoreError::ParentMissing)
        );
        assert!(matches!(
            check_create("c/x", false, Some(&calendar)),
            Err(StoreError::Conflict(_))
        ));
    }

    #[test]
    fn a_transfer_into_itself_or_of_the_home_is_refused() {
        let t = |from: &str, to: &str| CollectionTransfer {
            mode: crate::TransferMode::Move,
            owner: 1,
            from: from.into(),
            to: to.into(),
            overwrite: false,
            shallow: false,
            quota: None,
        };
        assert!(check_transfer(&t("a", "b")).is_ok());
        assert!(check_transfer(&t("a", "ab")).is_ok());
        for (from, to) in [("", "b"), ("a", ""), ("a", "a"), ("a", "a/b")] {
            assert!(check_transfer(&t(from, to)).is_err(), "{from} -> {to}");
        }
        let existing = [at("b", CollectionKind::Plain)];
        assert_eq!(
            check_overwrite(&t("a", "b"), &existing),
            Err(StoreError::PreconditionFailed)
        );
        assert_eq!(check_overwrite(&t("a", "b"), &[]), Ok(false));
    }
}
