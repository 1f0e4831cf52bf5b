//! Implicit scheduling (RFC 6638 §3) for calendar users of this server: what a PUT or
//! DELETE of a scheduling object resource sends, decided before the write ([`plan_put`],
//! [`plan_delete`]: preconditions, the organizer's SCHEDULE-STATUS) and carried out after
//! it ([`PutPlan::deliver`]); the Schedule-Tag and If-Schedule-Tag-Match (§3.2.10, §8.3);
//! the inbox ([`inbox`]) and the outbox's free-busy lookup ([`outbox`]).
//!
//! A calendar object without ORGANIZER (in what is sent and what is stored) is no
//! scheduling object resource: PUT and DELETE of it cost nothing here, no store lookup.
//! The calendar user of a calendar is its owner, whoever writes to it (a delegate acts for
//! them); every write scheduling makes is recorded with the acting user as its author.
//!
//! Attendees elsewhere (no user of this server has their address) are sent the message by
//! e-mail when the server has a mail relay ([`imip`]: queued with the organizer's write,
//! SCHEDULE-STATUS 1.1 until the relay answered); without one they get SCHEDULE-STATUS 3.7
//! (docs/scheduling.md).

mod address;
pub mod default_calendar;
mod deliver;
pub mod imip;
pub mod inbox;
pub mod outbox;
mod tag_cache;

use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;
use ical::itip::{self, edit, tag, Agent, Parties};
use ical::Component;
use store::{CollectionKind, Expect, NewMail, User};

pub use address::{addresses_of, is_address_of, Directory};

use crate::condition::Condition;
use crate::cx::Cx;
use crate::error::{DavError, DavResult};
use crate::quirks;
use crate::resource::Seen;

/// RFC 6638 §3.2.9 status codes the server puts on the organizer's ATTENDEEs.
const DELIVERED: &str = "1.2";
const INVALID_USER: &str = "3.7";

/// True when calendar data may be a scheduling object resource: it names an ORGANIZER.
/// A byte search, so an ordinary PUT pays no parse for scheduling.
pub fn mentions_organizer(data: &[u8]) -> bool {
    const NEEDLE: &[u8] = b"ORGANIZER";
    // Only where an 'O' or 'o' stands (found a vector at a time) is the word compared.
    memchr::memchr2_iter(b'O', b'o', data).any(|i| {
        data.get(i..i + NEEDLE.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(NEEDLE))
    })
}

/// The Schedule-Tag of stored calendar data (RFC 6638 §3.2.10), quoted as the header
/// carries it; None for anything but a scheduling object resource.
pub fn schedule_tag(data: &[u8]) -> Option<String> {
    if !mentions_organizer(data) {
        return None;
    }
    tag_cache::cached(data, |data| {
        let root = deliver::parse(data)?;
        itip::parties(&root).ok().flatten()?;
        Some(tag_of(&root))
    })
}

fn tag_of(root: &Component) -> String {
    let content = tag::organizer_content(root);
    format!("\"{}\"", &store::history::etag_of(content.as_bytes())[..20])
}

/// RFC 6638 §8.3 If-Schedule-Tag-Match: the write goes ahead only while the stored object
/// has this Schedule-Tag; it is then made conditional on the object's current ETag, so an
/// organizer's change landing in between still refuses it (412, and the client fetches
/// again). Evaluated on its own, with or without If-Match: DAVx5 sends only this one.
pub fn check_tag_match(
    headers: &HeaderMap,
    current: Option<(&[u8], &str)>,
) -> DavResult<Option<Expect>> {
    let Some(wanted) = headers.get("if-schedule-tag-match") else {
        return Ok(None);
    };
    let wanted = wanted.to_str().unwrap_or("");
    let wanted = quirks::normalize_etag(wanted);
    let stale = |detail: &str| {
        Err(DavError::precondition_failed(format!(
            "If-Schedule-Tag-Match: {detail}; fetch the object again and apply your change to it"
        )))
    };
    let Some((data, etag)) = current else {
        return stale("there is no object at this URL");
    };
    match schedule_tag(data) {
        Some(tag) if quirks::normalize_etag(&tag) == wanted => {
            Ok(Some(Expect::Etag(etag.to_owned())))
        }
        Some(_) => stale("the organizer changed the meeting since you read it"),
        None => stale("the object at this URL is no scheduling object"),
    }
}

/// What a PUT sends once its object is stored.
pub struct PutPlan {
    /// What is stored: the body, or the organizer's copy with SCHEDULE-STATUS added.
    pub data: Bytes,
    /// True when `data` is not the body as sent (the response then has no ETag: RFC 4791
    /// §5.3.4, the client must fetch what was stored).
    pub rewritten: bool,
    /// The Schedule-Tag of `data`.
    pub tag: String,
    /// E-mail to attendees elsewhere, to queue with the write (`imip`).
    pub mail: Vec<NewMail>,
    after: After,
}

enum After {
    Organizer {
        root: Component,
        parties: Parties,
        requests: Vec<(Arc<User>, String)>,
        cancels: Vec<(Arc<User>, String)>,
    },
    Attendee {
        owner: User,
        organizer: Option<Arc<User>>,
        parties: Parties,
        key: String,
        root: Component,
        /// RECURRENCE-ID keys of the components whose PARTSTAT changed.
        changed: Vec<Option<String>>,
    },
    Nothing,
}

/// The user whose calendar this is.
async fn owner_of(cx: &Cx<'_>, seen: &Seen) -> DavResult<User> {
    let owner = seen.collection.owner;
    if owner == cx.caller.user.id {
        return Ok(cx.caller.user.clone());
    }
    cx.engine
        .store
        .user_by_id(owner)
        .await?
        .ok_or_else(DavError::not_found)
}

fn parse_parties(root: &Component) -> DavResult<Option<Parties>> {
    itip::parties(root)
        .map_err(|e| DavError::condition(Condition::SameOrganizerInAllComponents, e.to_string()))
}

/// Decides what a PUT of `body` over `old` (the stored bytes, if any) at `name` in `seen`
/// sends, refusing what RFC 6638 §3.2.4 forbids; None when it is no scheduling object.
/// `tag_matched`: the request's If-Schedule-Tag-Match held ([`check_tag_match`]), so the
/// answers recorded since the client read the object are merged into what it sent.
pub async fn plan_put(
    cx: &Cx<'_>,
    seen: &Seen,
    name: &str,
    old: Option<&Bytes>,
    body: &Bytes,
    tag_matched: bool,
) -> DavResult<Option<PutPlan>> {
    if seen.collection.kind != CollectionKind::Calendar || !mentions_organizer(body) {
        return Ok(None);
    }
    let Some(root) = deliver::parse(body) else {
        // Not iCalendar: the validation that follows says what is wrong.
        return Ok(None);
    };
    let Some(parties) = parse_parties(&root)? else {
        return Ok(None);
    };
    let old_root = old
        .filter(|o| mentions_organizer(o))
        .and_then(|o| deliver::parse(o));
    let old_parties = old_root
        .as_ref()
        .and_then(|r| itip::parties(r).ok().flatten());
    let owner = owner_of(cx, seen).await?;
    if is_address_of(&parties.organizer.address, &owner) {
        let root = match (&old_root, tag_matched) {
            (Some(stored), true) => {
                edit::with_stored_partstats(&root, stored, |k| is_address_of(k, &owner))
            }
            _ => root,
        };
        return organizer_plan(
            cx,
            seen,
            name,
            &owner,
            body,
            root,
            parties,
            old_root,
            old_parties,
        )
        .await
        .map(Some);
    }
    let Some(key) = own_attendee_key(&parties, &owner) else {
        return Ok(Some(unchanged(body, &root)));
    };
    let changed: Vec<Option<String>> = match &old_root {
        Some(old) => edit::changed_partstats(old, &root, &key),
        None => root
            .components
            .iter()
            .filter(|c| edit::partstat_in(c, &key).is_some_and(|p| p != "NEEDS-ACTION"))
            .collect(),
    }
    .into_iter()
    .map(itip::recurrence_key)
    .collect();
    let organizer = match parties.organizer.agent {
        Agent::Server if !changed.is_empty() => Directory::load(cx.engine.store.as_ref())
            .await?
            .user(&parties.organizer.address),
        _ => None,
    };
    Ok(Some(PutPlan {
        tag: tag_of(&root),
        data: body.clone(),
        rewritten: false,
        mail: Vec::new(),
        after: After::Attendee {
            owner,
            organizer,
            parties,
            key,
            root,
            changed,
        },
    }))
}

/// The ATTENDEE of the meeting that is `owner`, by address key.
fn own_attendee_key(parties: &Parties, owner: &User) -> Option<String> {
    parties
        .attendee_keys()
        .into_iter()
        .find(|k| is_address_of(k, owner))
        .map(str::to_owned)
}

fn unchanged(body: &Bytes, root: &Component) -> PutPlan {
    PutPlan {
        data: body.clone(),
        rewritten: false,
        tag: tag_of(root),
        mail: Vec::new(),
        after: After::Nothing,
    }
}

#[allow(clippy::too_many_arguments)]
async fn organizer_plan(
    cx: &Cx<'_>,
    seen: &Seen,
    name: &str,
    owner: &User,
    body: &Bytes,
    root: Component,
    parties: Parties,
    old_root: Option<Component>,
    old_parties: Option<Parties>,
) -> DavResult<PutPlan> {
    if let Some(old) = &old_parties {
        if old.organizer.key != parties.organizer.key
            && !is_address_of(&old.organizer.address, owner)
        {
            return Err(DavError::condition(
                Condition::AllowedOrganizerSchedulingObjectChange,
                format!(
                    "this meeting is organized by {}; its copy cannot be taken over",
                    old.organizer.address
                ),
            ));
        }
    }
    let keys = parties.attendee_keys();
    let limit = cx.engine.limits.max_attendees;
    if keys.len() > limit {
        return Err(DavError::condition(
            Condition::MaxAttendeesPerInstance,
            format!(
                "the meeting invites {} attendees; this server takes at most {limit}",
                keys.len()
            ),
        ));
    }
    if old_root.is_none() {
        unique_in_calendars(cx, owner, seen, name, &parties.uid).await?;
    }
    let directory = Directory::load(cx.engine.store.as_ref()).await?;
    let meeting_changed = old_root
        .as_ref()
        .is_none_or(|o| tag::organizer_content(o) != tag::organizer_content(&root));
    let mut requests = Vec::new();
    let mut mailed = Vec::new();
    let mut statuses: Vec<(String, String)> = Vec::new();
    let sends_mail = cx.engine.sends_mail;
    for key in &keys {
        if is_address_of(key, owner) {
            continue;
        }
        let Some(attendee) = parties.attendee(key) else {
            continue;
        };
        if attendee.agent != Agent::Server {
            continue;
        }
        let was_invited = old_parties
            .as_ref()
            .and_then(|o| o.attendee(key))
            .is_some_and(|a| a.agent == Agent::Server);
        let forced = attendee.force_send.as_deref() == Some("REQUEST");
        let sends = !was_invited || meeting_changed || forced;
        match directory.user(&attendee.address) {
            Some(user) => {
                if sends {
                    requests.push((user, key.to_string()));
                }
                statuses.push((key.to_string(), DELIVERED.into()));
            }
            None if sends_mail && imip::mail_address(&attendee.address).is_some() => {
                if sends {
                    mailed.push(key.to_string());
                    statuses.push((key.to_string(), imip::QUEUED.into()));
                } else if let Some(was) = old_root
                    .as_ref()
                    .and_then(|o| edit::schedule_status_in(o, key))
                {
                    // Nothing new to send: what the last message came to stays.
                    statuses.push((key.to_string(), was));
                }
            }
            None => statuses.push((key.to_string(), INVALID_USER.into())),
        }
    }
    let mut cancels = Vec::new();
    let mut mail = Vec::new();
    if let (Some(old), Some(old_root)) = (&old_parties, &old_root) {
        for key in old.attendee_keys() {
            let gone = !keys.contains(key);
            let was_server = old.attendee(key).is_some_and(|a| a.agent == Agent::Server);
            if gone && was_server && !is_address_of(key, owner) {
                if let Some(user) = directory.user(key) {
                    cancels.push((user, key.to_owned()));
                } else if sends_mail && imip::is_outside(&directory, old, key) {
                    mail.push(imip::cancel(owner, old, old_root, key));
                }
            }
        }
    }
    let stored = edit::organizer_copy(&root, |k| {
        statuses
            .iter()
            .find(|(s, _)| s == k)
            .map(|(_, status)| status.clone())
    });
    mail.extend(
        mailed
            .iter()
            .map(|key| imip::request(owner, &parties, &stored, key)),
    );
    let text = itip::write::calendar(&stored);
    let rewritten = text.as_bytes() != body.as_ref();
    Ok(PutPlan {
        data: if rewritten {
            Bytes::from(text)
        } else {
            body.clone()
        },
        rewritten,
        tag: tag_of(&stored),
        mail,
        after: After::Organizer {
            root: stored,
            parties,
            requests,
            cancels,
        },
    })
}

/// RFC 6638 §3.2.4.1: a calendar user keeps one scheduling object resource per UID, in
/// whichever calendar; a second one elsewhere is refused, naming the first.
async fn unique_in_calendars(
    cx: &Cx<'_>,
    owner: &User,
    seen: &Seen,
    name: &str,
    uid: &str,
) -> DavResult<()> {
    let store = &cx.engine.store;
    for object in store.objects_by_uid(owner.id, uid).await? {
        if object.meta.collection == seen.id() && object.meta.name == name {
            continue;
        }
        let Some(c) = store.collection_by_id(object.meta.collection).await? else {
            continue;
        };
        if c.kind == CollectionKind::Calendar && object.meta.collection != seen.id() {
            let href = crate::path::object_href(&owner.name, &c.path, &object.meta.name);
            return Err(DavError::condition(
                Condition::UniqueSchedulingObjectResource { href: href.clone() },
                format!("you have this meeting (UID {uid:?}) already, at {href}; change that copy instead"),
            ));
        }
    }
    Ok(())
}

impl PutPlan {
    /// Sends what the stored object means: REQUESTs and CANCELs of the organizer, the
    /// REPLY of an attendee. The PUT has succeeded whatever happens here; a delivery that
    /// fails (an attendee's quota, a store error) is logged and the others still go (the
    /// organizer's SCHEDULE-STATUS said delivered).
    pub async fn deliver(self, cx: &Cx<'_>) {
        match self.after {
            After::Organizer {
                root,
                parties,
                requests,
                cancels,
            } => {
                for (user, key) in &requests {
                    let sent = deliver::request(cx, user, key, &root, &parties).await;
                    logged(sent, "REQUEST", &user.name, &parties.uid);
                }
                for (user, _) in &cancels {
                    let sent = deliver::cancel(cx, user, &root, &parties).await;
                    logged(sent, "CANCEL", &user.name, &parties.uid);
                }
            }
            After::Attendee {
                owner,
                organizer,
                parties,
                key,
                root,
                changed,
            } => {
                if changed.is_empty() {
                    return;
                }
                let change = deliver::change_of(cx);
                let cleared = inbox::acted_on(cx, &owner, &parties.uid, &change).await;
                logged(cleared, "inbox clean-up", &owner.name, &parties.uid);
                if let Some(organizer) = organizer {
                    let components = edit::components_for(&root, &changed);
                    let sent =
                        deliver::reply(cx, &organizer, &parties, &key, &root, &components).await;
                    logged(sent, "REPLY", &organizer.name, &parties.uid);
                }
            }
            After::Nothing => {}
        }
    }
}

fn logged(result: DavResult<()>, what: &str, to: &str, uid: &str) {
    if let Err(e) = result {
        tracing::warn!(
            target: "calvault::scheduling",
            to, uid, detail = %e.detail,
            "the {what} could not be delivered"
        );
    }
}

/// What a DELETE of a scheduling object resource sends (RFC 6638 §3.2.1.3, §3.2.2.3).
pub struct DeletePlan {
    /// CANCELs by e-mail, to queue with the removal (`imip`).
    pub mail: Vec<NewMail>,
    after: After,
}

/// RFC 6638 §8.1 `Schedule-Reply: F`: the attendee's client answers (or not) itself.
fn no_reply(headers: &HeaderMap) -> bool {
    headers
        .get("schedule-reply")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("F"))
}

/// The organizer deleting the meeting cancels it for everyone; an attendee deleting their
/// copy declines it (unless `Schedule-Reply: F`).
pub async fn plan_delete(
    cx: &Cx<'_>,
    seen: &Seen,
    data: Option<&Bytes>,
    headers: &HeaderMap,
) -> DavResult<Option<DeletePlan>> {
    let Some(data) = data.filter(|d| mentions_organizer(d)) else {
        return Ok(None);
    };
    if seen.collection.kind != CollectionKind::Calendar {
        return Ok(None);
    }
    let Some(root) = deliver::parse(data) else {
        return Ok(None);
    };
    let Some(parties) = itip::parties(&root).ok().flatten() else {
        return Ok(None);
    };
    let owner = owner_of(cx, seen).await?;
    let directory = Directory::load(cx.engine.store.as_ref()).await?;
    if is_address_of(&parties.organizer.address, &owner) {
        let cancels = parties
            .attendee_keys()
            .into_iter()
            .filter(|k| !is_address_of(k, &owner))
            .filter(|k| {
                parties
                    .attendee(k)
                    .is_some_and(|a| a.agent == Agent::Server)
            })
            .filter_map(|k| directory.user(k).map(|u| (u, k.to_owned())))
            .collect();
        let mail = match cx.engine.sends_mail {
            true => parties
                .attendee_keys()
                .into_iter()
                .filter(|k| !is_address_of(k, &owner) && imip::is_outside(&directory, &parties, k))
                .map(|k| imip::cancel(&owner, &parties, &root, k))
                .collect(),
            false => Vec::new(),
        };
        return Ok(Some(DeletePlan {
            mail,
            after: After::Organizer {
                root,
                parties,
                requests: Vec::new(),
                cancels,
            },
        }));
    }
    let Some(key) = own_attendee_key(&parties, &owner) else {
        return Ok(None);
    };
    if no_reply(headers) || parties.organizer.agent != Agent::Server {
        return Ok(None);
    }
    let declined = edit::with_partstat(&root, &key, "DECLINED");
    let changed = declined
        .components
        .iter()
        .filter(|c| edit::partstat_in(c, &key).is_some())
        .map(itip::recurrence_key)
        .collect();
    Ok(Some(DeletePlan {
        mail: Vec::new(),
        after: After::Attendee {
            owner,
            organizer: directory.user(&parties.organizer.address),
            parties,
            key,
            root: declined,
            changed,
        },
    }))
}

impl DeletePlan {
    /// Sends the CANCELs or the REPLY once the object is gone.
    pub async fn deliver(self, cx: &Cx<'_>) {
        let plan = PutPlan {
            data: Bytes::new(),
            rewritten: false,
            tag: String::new(),
            mail: Vec::new(),
            after: self.after,
        };
        plan.deliver(cx).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_data_naming_an_organizer_is_looked_at_and_tagged() {
        assert!(mentions_organizer(
            b"BEGIN:VEVENT\r\nORGANIZER:mailto:a@b\r\n"
        ));
        assert!(mentions_organizer(b"x\norganizer;CN=A:mailto:a@b"));
        // A mere mention costs a parse, nothing more: it is no scheduling object.
        let mention = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:organizer\r\n\
            END:VEVENT\r\nEND:VCALENDAR\r\n";
        assert!(mentions_organizer(mention));
        assert_eq!(schedule_tag(mention), None);
        assert!(!mentions_organizer(b"ORGANIZE"));
        let plain = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(schedule_tag(plain), None);
        let meeting = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nORGANIZER:mailto:a@b\r\n\
            END:VEVENT\r\nEND:VCALENDAR\r\n";
        let tag = schedule_tag(meeting).unwrap();
        assert!(
            tag.starts_with('"') && tag.ends_with('"') && tag.len() == 22,
            "{tag}"
        );
    }
}
