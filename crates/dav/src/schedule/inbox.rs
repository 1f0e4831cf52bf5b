//! The scheduling inbox (RFC 6638 §2.2, §4): the iTIP messages delivered to a user, one
//! item per meeting and kind (a newer REQUEST replaces the older, so an inbox holds what is
//! still news), at most `Limits::max_inbox_items` (the oldest goes first), and removed
//! when the user acts on the meeting.

use bytes::Bytes;
use store::rules::scheduling::INBOX_PATH;
use store::{Change, CollectionKind, Expect, ObjectIndex, PutObject, StoreError, User};

use crate::cx::Cx;
use crate::error::DavResult;

/// What an inbox item tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Request,
    Cancel,
    Reply,
}

impl Kind {
    fn suffix(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Cancel => "cancel",
            Kind::Reply => "reply",
        }
    }
}

/// The item's name: one per meeting and kind (and per replying attendee for replies).
pub fn item_name(uid: &str, kind: Kind, from: Option<&str>) -> String {
    let stem = &store::history::etag_of(uid.as_bytes())[..16];
    match from {
        Some(from) => {
            let who = &store::history::etag_of(from.as_bytes())[..8];
            format!("{stem}-{}-{who}.ics", kind.suffix())
        }
        None => format!("{stem}-{}.ics", kind.suffix()),
    }
}

/// Puts a message into `to`'s inbox. A user without an inbox (an account whose own
/// collection holds its path) gets none; their calendar copy is still written.
pub async fn deliver(
    cx: &Cx<'_>,
    to: &User,
    name: String,
    message: String,
    change: &Change,
) -> DavResult<()> {
    let store = &cx.engine.store;
    let Some(inbox) = store.collection(to.id, INBOX_PATH).await? else {
        return Ok(());
    };
    if inbox.kind != CollectionKind::ScheduleInbox {
        return Ok(());
    }
    let limit = cx.engine.limits.max_inbox_items;
    if store.object_count(inbox.id).await? >= limit
        && store.object(inbox.id, &name).await?.is_none()
    {
        let mut items = store.objects(inbox.id).await?;
        // The inbox's own sequence numbers order its writes exactly.
        items.sort_by_key(|m| m.modified_seq);
        let excess = (items.len() as u64 + 1).saturating_sub(limit);
        for old in items.iter().take(excess as usize) {
            match store
                .delete_object(inbox.id, &old.name, Expect::Anything, change)
                .await
            {
                Ok(()) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let put = PutObject {
        collection: inbox.id,
        name,
        data: Bytes::from(message),
        content_type: "text/calendar; charset=utf-8".into(),
        index: ObjectIndex::default(),
        instances: None,
        expect: Expect::Anything,
        quota: None,
        merge: None,
        mail: Vec::new(),
    };
    store.put_object(put, change).await?;
    Ok(())
}

/// Removes the REQUEST and CANCEL items about a meeting from `user`'s inbox: they have
/// acted on it (RFC 6638 §4: items may be removed once processed).
pub async fn acted_on(cx: &Cx<'_>, user: &User, uid: &str, change: &Change) -> DavResult<()> {
    let store = &cx.engine.store;
    let Some(inbox) = store.collection(user.id, INBOX_PATH).await? else {
        return Ok(());
    };
    if inbox.kind != CollectionKind::ScheduleInbox {
        return Ok(());
    }
    for kind in [Kind::Request, Kind::Cancel] {
        match store
            .delete_object(
                inbox.id,
                &item_name(uid, kind, None),
                Expect::Present,
                change,
            )
            .await
        {
            Ok(()) | Err(StoreError::NotFound) | Err(StoreError::PreconditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
