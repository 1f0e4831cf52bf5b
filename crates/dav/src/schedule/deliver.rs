//! Delivery to calendar users of this server (RFC 6638 §3.2.1, §4): the attendee's copy of
//! a meeting written into their calendar and the message into their inbox; a reply
//! recorded in the organizer's copy. Every write is a recorded change by the user whose
//! request caused it, with client "scheduling", so history and undo cover it.

use bytes::Bytes;
use ical::itip::{edit, message, write, Parties};
use ical::Component;
use store::{Change, Collection, CollectionKind, Expect, StoreError, StoredObject, User};

use super::default_calendar;
use super::inbox::{self, Kind};
use crate::cx::Cx;
use crate::error::DavResult;
use crate::method::put::{write_object, ObjectWrite};
use crate::path;

/// Attempts at a copy that another writer changes at the same moment.
pub(super) const ATTEMPTS: usize = 3;

/// The client a REPLY that came by e-mail is recorded with (`imip::receive_reply`).
pub const IMIP_CLIENT: &str = "imip";

/// The change scheduling records: who acted, from where, with the lock tokens they sent.
pub fn change_of(cx: &Cx<'_>) -> Change {
    // A REPLY that came by e-mail is recorded as the caller's change says (client "imip",
    // the attendee's address as author): `imip::receive_reply`.
    if cx.caller.change.client.as_deref() == Some(IMIP_CLIENT) {
        return cx.caller.change.clone();
    }
    Change {
        author: cx.caller.user.name.clone(),
        client: Some("scheduling".into()),
        address: cx.caller.change.address.clone(),
        // A lock another user holds on their calendar holds up deliveries too (logged).
        locks: cx.caller.change.locks.clone(),
    }
}

/// A user's copy of a meeting: the object in one of their calendars with this UID.
pub struct Copy {
    pub collection: Collection,
    pub object: StoredObject,
    pub root: Component,
}

/// `user`'s copy of the meeting `uid`, if they have one in a calendar; with `organizer`,
/// only a copy that this address organizes.
pub async fn copy_of(
    cx: &Cx<'_>,
    user: &User,
    uid: &str,
    organizer: Option<&str>,
) -> DavResult<Option<Copy>> {
    let store = &cx.engine.store;
    for object in store.objects_by_uid(user.id, uid).await? {
        let Some(collection) = store.collection_by_id(object.meta.collection).await? else {
            continue;
        };
        if collection.kind != CollectionKind::Calendar {
            continue;
        }
        let Some(root) = parse(&object.data) else {
            continue;
        };
        if let Some(key) = organizer {
            let organizes = ical::itip::parties(&root)
                .ok()
                .flatten()
                .is_some_and(|p| p.organizer.key == key);
            if !organizes {
                continue;
            }
        }
        return Ok(Some(Copy {
            collection,
            object,
            root,
        }));
    }
    Ok(None)
}

pub fn parse(data: &[u8]) -> Option<Component> {
    std::str::from_utf8(data)
        .ok()
        .and_then(|t| ical::parse(t).ok())
}

/// A name for a new copy in a calendar: the UID when it makes a plain file name.
fn new_name(uid: &str) -> String {
    let plain = !uid.is_empty()
        && uid.len() <= 100
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'));
    if plain {
        format!("{uid}.ics")
    } else {
        format!("{}.ics", &store::history::etag_of(uid.as_bytes())[..24])
    }
}

/// Writes `root` as `to`'s copy: over `existing` (expecting its ETag) or new in their
/// default calendar. Err(PreconditionFailed) when the copy changed in the meantime.
pub(super) async fn write_copy(
    cx: &Cx<'_>,
    to: &User,
    existing: Option<&Copy>,
    uid: &str,
    root: &Component,
    change: &Change,
) -> DavResult<bool> {
    let (collection, name, expect) = match existing {
        Some(c) => (
            c.collection.clone(),
            c.object.meta.name.clone(),
            Expect::Etag(c.object.meta.etag.clone()),
        ),
        None => {
            let Some(calendar) = default_calendar::of(cx.engine.store.as_ref(), to).await? else {
                tracing::info!(target: "calvault::scheduling", user = %to.name, "no calendar takes events: invitation kept in the inbox only");
                return Ok(false);
            };
            (calendar, new_name(uid), Expect::Absent)
        }
    };
    let write = ObjectWrite {
        collection: &collection,
        name,
        data: Bytes::from(write::calendar(root)),
        content_type: Some("text/calendar"),
        replaces_uid: Some(uid),
        expect,
        quota: cx.engine.limits.quota_for(to),
    };
    let href = path::collection_href(&to.name, &collection.path);
    write_object(cx.engine, write, &href, change).await?;
    Ok(true)
}

pub(super) fn is_retry(e: &crate::error::DavError) -> bool {
    e.status == http::StatusCode::PRECONDITION_FAILED
}

/// RFC 6638 §3.2.1.1: the organizer invites (or updates) attendee `key`, the user `to`.
pub async fn request(
    cx: &Cx<'_>,
    to: &User,
    key: &str,
    org: &Component,
    parties: &Parties,
) -> DavResult<()> {
    let change = change_of(cx);
    let organizer = Some(parties.organizer.key.as_str());
    let mut root = edit::attendee_copy(org, key, None);
    for _ in 0..ATTEMPTS {
        let existing = copy_of(cx, to, &parties.uid, organizer).await?;
        root = edit::attendee_copy(org, key, existing.as_ref().map(|c| &c.root));
        match write_copy(cx, to, existing.as_ref(), &parties.uid, &root, &change).await {
            Err(e) if is_retry(&e) => continue,
            other => {
                other?;
                break;
            }
        }
    }
    let name = inbox::item_name(&parties.uid, Kind::Request, None);
    inbox::deliver(cx, to, name, message::request(&root), &change).await
}

/// RFC 6638 §3.2.1.3: the meeting is off for `to` (they were removed, or it was deleted):
/// their copy is marked cancelled, and the inbox says so.
pub async fn cancel(cx: &Cx<'_>, to: &User, org: &Component, parties: &Parties) -> DavResult<()> {
    let change = change_of(cx);
    let organizer = Some(parties.organizer.key.as_str());
    let mut root = edit::cancelled(org);
    for _ in 0..ATTEMPTS {
        let Some(existing) = copy_of(cx, to, &parties.uid, organizer).await? else {
            break;
        };
        root = edit::cancelled(&existing.root);
        match write_copy(cx, to, Some(&existing), &parties.uid, &root, &change).await {
            Err(e) if is_retry(&e) => continue,
            other => {
                other?;
                break;
            }
        }
    }
    let name = inbox::item_name(&parties.uid, Kind::Cancel, None);
    inbox::deliver(cx, to, name, message::cancel(&root), &change).await?;
    let request = inbox::item_name(&parties.uid, Kind::Request, None);
    match cx
        .engine
        .store
        .collection(to.id, store::rules::scheduling::INBOX_PATH)
        .await?
    {
        Some(inbox) => match cx
            .engine
            .store
            .delete_object(inbox.id, &request, Expect::Present, &change)
            .await
        {
            Ok(()) | Err(StoreError::NotFound) | Err(StoreError::PreconditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        },
        None => Ok(()),
    }
}

/// RFC 6638 §3.2.2: attendee `key` answered for `components` of their copy `theirs`: the
/// organizer's copy records it (its Schedule-Tag stays: only PARTSTATs change) and the
/// organizer's inbox gets the REPLY.
pub async fn reply(
    cx: &Cx<'_>,
    organizer: &User,
    parties: &Parties,
    key: &str,
    theirs: &Component,
    components: &[&Component],
) -> DavResult<()> {
    let change = change_of(cx);
    let org_key = parties.organizer.key.as_str();
    for _ in 0..ATTEMPTS {
        let Some(copy) = copy_of(cx, organizer, &parties.uid, Some(org_key)).await? else {
            break;
        };
        let Some(recorded) = edit::with_reply(&copy.root, key, components) else {
            break;
        };
        match write_copy(cx, organizer, Some(&copy), &parties.uid, &recorded, &change).await {
            Err(e) if is_retry(&e) => continue,
            other => {
                other?;
                break;
            }
        }
    }
    let name = inbox::item_name(&parties.uid, Kind::Reply, Some(key));
    let text = message::reply(theirs, key, components);
    inbox::deliver(cx, organizer, name, text, &change).await
}
