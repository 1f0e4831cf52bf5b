//! Attendees elsewhere, by e-mail (iMIP, RFC 6047), as the scheduling engine sees it: which
//! attendees the mail outbox serves and the iTIP messages queued for them with the
//! organizer's write ([`request`], [`cancel`]); the SCHEDULE-STATUS the organizer's copy
//! gets once the relay answered ([`record_status`]); and a REPLY that came back by e-mail,
//! checked and applied as an attendee's answer on this server is ([`receive_reply`]).
//!
//! No SMTP here: the `imip` crate sends what the store's outbox holds and reads messages.

use ical::itip::{self, address_key, edit, message, Parties};
use ical::Component;
use store::{Change, NewMail, User};

use super::address::Directory;
use super::deliver::{self, copy_of};
use crate::error::{DavError, DavResult};
use crate::method::Cx;
use crate::{Caller, Engine};

/// The client iMIP's writes are recorded with.
pub use super::deliver::IMIP_CLIENT as CLIENT;

/// RFC 6638 §3.2.9 SCHEDULE-STATUS values of a message sent by e-mail: queued, accepted by
/// the relay, refused for good.
pub const QUEUED: &str = "1.1";
pub const SENT: &str = "2.0";
pub const FAILED: &str = "5.1";

/// The e-mail address of a calendar user address, if it is a `mailto:` one.
pub fn mail_address(address: &str) -> Option<&str> {
    let trimmed = address.trim();
    let (scheme, rest) = trimmed.split_at_checked(7)?;
    let plain = scheme.eq_ignore_ascii_case("mailto:") && rest.contains('@');
    plain.then_some(rest)
}

fn mail(owner: &User, parties: &Parties, key: &str, method: &str, calendar: String) -> NewMail {
    let recipient = parties
        .attendee(key)
        .map_or_else(|| key.to_owned(), |a| a.address.clone());
    NewMail {
        organizer: owner.id,
        uid: parties.uid.clone(),
        method: method.into(),
        sender: parties.organizer.address.clone(),
        recipient,
        calendar,
    }
}

/// RFC 6047 §2, RFC 5546 §3.2.2: the meeting `root` (the organizer's copy) invites
/// attendee `key`, as a REQUEST without the server's parameters.
pub fn request(owner: &User, parties: &Parties, root: &Component, key: &str) -> NewMail {
    let text = message::request(&edit::attendee_copy(root, key, None));
    mail(owner, parties, key, "REQUEST", text)
}

/// RFC 5546 §3.2.5: the meeting is off for attendee `key` (removed, or deleted).
pub fn cancel(owner: &User, parties: &Parties, root: &Component, key: &str) -> NewMail {
    let text = message::cancel(&edit::attendee_copy(root, key, None));
    mail(owner, parties, key, "CANCEL", text)
}

/// A change iMIP records: on behalf of `author`, from no address, holding no locks.
fn change(author: &str) -> Change {
    Change {
        author: author.to_owned(),
        client: Some(CLIENT.into()),
        address: None,
        locks: None,
    }
}

fn cx_of<'a>(engine: &'a Engine, caller: &'a Caller) -> Cx<'a> {
    Cx {
        engine,
        caller,
        if_tokens: Default::default(),
    }
}

/// Sets `status` on the recipient's ATTENDEE in the organizer's copy of the meeting that
/// `sent` was about (RFC 6638 §3.2.9), as a recorded change by the organizer with client
/// "imip". Nothing when the copy or the attendee is gone, or the status already says so.
pub async fn record_status(engine: &Engine, sent: &NewMail, status: &str) -> DavResult<()> {
    let Some(organizer) = engine.store.user_by_id(sent.organizer).await? else {
        return Ok(());
    };
    let caller = Caller {
        user: organizer.clone(),
        change: change(&organizer.name),
        read_only: false,
    };
    let cx = cx_of(engine, &caller);
    let (org_key, key) = (address_key(&sent.sender), address_key(&sent.recipient));
    for _ in 0..deliver::ATTEMPTS {
        let Some(copy) = copy_of(&cx, &organizer, &sent.uid, Some(&org_key)).await? else {
            return Ok(());
        };
        let current = edit::schedule_status_in(&copy.root, &key);
        if current.is_none() || current.as_deref() == Some(status) {
            return Ok(());
        }
        let marked = edit::organizer_copy(&copy.root, |k| (k == key).then(|| status.to_owned()));
        let written = deliver::write_copy(
            &cx,
            &organizer,
            Some(&copy),
            &sent.uid,
            &marked,
            &caller.change,
        )
        .await;
        match written {
            Err(e) if deliver::is_retry(&e) => continue,
            other => return other.map(drop),
        }
    }
    Ok(())
}

/// What [`receive_reply`] applied.
#[derive(Debug, PartialEq, Eq)]
pub struct Received {
    /// The organizer, a user of this server.
    pub organizer: String,
    pub uid: String,
    /// The attendee's address as the REPLY gives it.
    pub attendee: String,
    /// The PARTSTAT the REPLY gives (of its first component).
    pub partstat: String,
}

fn refused(detail: String) -> DavError {
    DavError::forbidden(detail)
}

/// RFC 6047 §3, RFC 5546 §3.2.3: a REPLY that came by e-mail from `from` (the message's
/// sender address), applied to the organizer's copy as an attendee's answer on this server
/// is (`deliver::reply`: the copy records the PARTSTAT, the organizer's inbox gets the
/// REPLY), recorded with client "imip" and the attendee's address as author. Refused
/// (403, saying why) unless it is a REPLY naming one attendee, sent from that attendee's
/// address, about a meeting that a user of this server organizes and that invites them.
pub async fn receive_reply(engine: &Engine, calendar: &str, from: &str) -> DavResult<Received> {
    let root = ical::parse(calendar)
        .map_err(|e| refused(format!("the text/calendar part is no iCalendar: {e}")))?;
    let method = root
        .property("METHOD")
        .map(|p| p.value.trim().to_ascii_uppercase());
    if method.as_deref() != Some("REPLY") {
        return Err(refused(format!(
            "only METHOD:REPLY is taken by e-mail; this message has {}",
            method.as_deref().unwrap_or("no METHOD")
        )));
    }
    let parties = itip::parties(&root)
        .map_err(|e| refused(format!("the REPLY is not one meeting: {e}")))?
        .ok_or_else(|| refused("the REPLY names no ORGANIZER".into()))?;
    let keys = parties.attendee_keys();
    let [key] = keys.iter().copied().collect::<Vec<_>>()[..] else {
        return Err(refused(format!(
            "a REPLY answers for exactly one ATTENDEE; this one names {}",
            keys.len()
        )));
    };
    let sender = address_key(&format!("mailto:{}", from.trim()));
    if sender != key {
        return Err(refused(format!(
            "forged reply: it answers for {key} but was sent by {from}; only the attendee \
             may answer for themselves"
        )));
    }
    let directory = Directory::load(engine.store.as_ref()).await?;
    let Some(organizer) = directory.user(&parties.organizer.address) else {
        return Err(refused(format!(
            "the ORGANIZER {} is no user of this server",
            parties.organizer.address
        )));
    };
    let caller = Caller {
        user: (*organizer).clone(),
        change: change(from.trim()),
        read_only: false,
    };
    let cx = cx_of(engine, &caller);
    let org_key = parties.organizer.key.as_str();
    let Some(copy) = copy_of(&cx, &organizer, &parties.uid, Some(org_key)).await? else {
        return Err(refused(format!(
            "{} has no meeting with UID {:?} that they organize",
            organizer.name, parties.uid
        )));
    };
    let invited = itip::parties(&copy.root)
        .ok()
        .flatten()
        .filter(|p| p.attendee(key).is_some());
    let Some(invited) = invited else {
        return Err(refused(format!(
            "{key} is not invited to the meeting {:?} of {}",
            parties.uid, organizer.name
        )));
    };
    let components: Vec<&Component> = root
        .components
        .iter()
        .filter(|c| matches!(c.name.as_str(), "VEVENT" | "VTODO" | "VJOURNAL"))
        .collect();
    let partstat = components
        .first()
        .and_then(|c| edit::partstat_in(c, key))
        .unwrap_or_else(|| "NEEDS-ACTION".into());
    deliver::reply(&cx, &organizer, &invited, key, &root, &components).await?;
    Ok(Received {
        organizer: organizer.name.clone(),
        uid: parties.uid.clone(),
        attendee: parties
            .attendee(key)
            .map_or_else(|| key.to_owned(), |a| a.address.clone()),
        partstat,
    })
}

/// The attendees of `parties` that the mail outbox serves: `SCHEDULE-AGENT=SERVER` (or
/// none), a `mailto:` address, and no user of this server.
pub fn is_outside(directory: &Directory, parties: &Parties, key: &str) -> bool {
    parties
        .attendee(key)
        .is_some_and(|a| a.agent == itip::Agent::Server && mail_address(&a.address).is_some())
        && directory.user(key).is_none()
}
