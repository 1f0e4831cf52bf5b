//! An exported calendar (one VCALENDAR with many components, as Google Calendar, Outlook,
//! Thunderbird and Apple Calendar write them) into a calendar collection: cut into one
//! object per UID by [`ical::split_calendar_with`] (overrides with their master, METHOD
//! left out, the VTIMEZONEs each object uses copied into it), and each object validated
//! and written as a PUT would write it ([`write_object`]). An object that fails is
//! reported with its UID and the reason, and the rest go on.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Display, Formatter};

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use store::{Change, Collection, Expect, ObjectMeta, Store, User};

use super::{create, NewCalendar};
use crate::error::{DavError, DavResult};
use crate::method::put::{write_object, ObjectWrite};
use crate::Engine;

/// Objects written at once: enough for SQLite's writer to commit them in groups and for
/// PostgreSQL to pipeline them, few enough to leave the server's other requests their turn.
const WRITES_IN_FLIGHT: usize = 16;

/// What to do with an object whose UID the calendar already holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnConflict {
    /// Keep what the calendar has.
    #[default]
    Skip,
    /// Write the file's version over it (unless they are the same bytes).
    Replace,
    /// Import nothing when any UID is already there.
    Fail,
}

impl OnConflict {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "skip" => Some(OnConflict::Skip),
            "replace" => Some(OnConflict::Replace),
            "fail" => Some(OnConflict::Fail),
            _ => None,
        }
    }
}

/// A file read and cut into objects.
#[derive(Clone, Debug)]
pub struct ImportFile {
    /// The calendar's name in the file (`X-WR-CALNAME`), for a calendar created for it.
    pub name: Option<String>,
    pub objects: Vec<ical::SplitObject>,
}

/// Reads an `.ics` file. A component without a UID (RFC 5545 requires one; some
/// exporters leave it out of tasks and journals) gets one made from its content, so that
/// importing the same file again finds it.
pub fn read_file(text: &str) -> DavResult<ImportFile> {
    // Outlook and some Windows tools start the file with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let unreadable = |e: ical::ParseError| {
        DavError::bad_request(format!("this is not an iCalendar (.ics) file: {e}"))
    };
    let objects = ical::split_calendar_with(text, |_, c| {
        let mut hash = blake3::Hasher::new();
        for p in &c.properties {
            hash.update(p.line.as_bytes());
            hash.update(b"\n");
        }
        Some(format!("calvault-{}", &hash.finalize().to_hex()[..32]))
    })
    .map_err(unreadable)?;
    let name = ical::calendar_name(text).map_err(unreadable)?;
    Ok(ImportFile { name, objects })
}

/// Where an import writes, and as whom.
pub struct Destination<'a> {
    /// The calendar's owner (named in the href of a UID conflict).
    pub owner: &'a User,
    pub collection: &'a Collection,
    pub on_conflict: OnConflict,
    /// The owner's quota; None imports regardless (the administrator).
    pub quota: Option<u64>,
    pub change: &'a Change,
}

/// The calendar at `slug` to import into: the one there, else a new one named as the file
/// names its calendar (else by its slug), recorded with `change`. True when it was made.
pub async fn calendar_for_import(
    store: &dyn Store,
    owner: &User,
    slug: &str,
    file_name: Option<&str>,
    change: &Change,
) -> DavResult<(Collection, bool)> {
    if let Some(existing) = store.collection(owner.id, slug).await? {
        if existing.kind != store::CollectionKind::Calendar {
            return Err(DavError::conflict(format!(
                "{slug:?} is a plain collection, not a calendar; import into a calendar"
            )));
        }
        return Ok((existing, false));
    }
    let new = NewCalendar {
        slug: slug.to_owned(),
        name: Some(file_name.unwrap_or(slug).to_owned()),
        ..NewCalendar::default()
    };
    Ok((create(store, owner, &new, change).await?, true))
}

/// Called after each object with (objects done, objects in all).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// An object that was not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failed {
    pub uid: Option<String>,
    pub reason: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub replaced: usize,
    /// Already there (kept as they were, or the same bytes).
    pub skipped: usize,
    pub failed: Vec<Failed>,
}

/// Writes the file's objects into the calendar, one recorded write each.
pub async fn import(
    engine: &Engine,
    to: &Destination<'_>,
    file: &ImportFile,
    progress: Progress<'_>,
) -> DavResult<ImportReport> {
    let store = engine.store().as_ref();
    let existing: Vec<ObjectMeta> = store.objects(to.collection.id).await?;
    let mut names: HashSet<String> = existing.iter().map(|m| m.name.clone()).collect();
    let by_uid: HashMap<&str, &ObjectMeta> = existing
        .iter()
        .filter_map(|m| Some((m.index.uid.as_deref()?, m)))
        .collect();
    let held = |o: &ical::SplitObject| o.uid.as_deref().and_then(|u| by_uid.get(u).copied());
    let conflicts: Vec<&str> = file
        .objects
        .iter()
        .filter(|o| held(o).is_some())
        .filter_map(|o| o.uid.as_deref())
        .collect();
    if to.on_conflict == OnConflict::Fail && !conflicts.is_empty() {
        return Err(DavError::conflict(format!(
            "nothing was imported: {} of the file's UIDs are already in the calendar ({}); \
             import with on-conflict skip or replace",
            conflicts.len(),
            abbreviated(&conflicts)
        )));
    }
    let current = match to.on_conflict {
        OnConflict::Replace => current_data(store, to.collection, &file.objects, &held).await?,
        _ => HashMap::new(),
    };
    // Decided in file order (names included), then written several at a time: SQLite's
    // writer commits the writes that wait together, one sync for the group.
    let plans: Vec<Option<(String, Expect)>> = file
        .objects
        .iter()
        .map(|object| match held(object) {
            Some(_) if to.on_conflict != OnConflict::Replace => None,
            Some(meta)
                if current
                    .get(&meta.name)
                    .is_some_and(|d| d == object.text.as_bytes()) =>
            {
                None
            }
            Some(meta) => Some((meta.name.clone(), Expect::Etag(meta.etag.clone()))),
            None => {
                let name = free_name(object.uid.as_deref(), &names);
                names.insert(name.clone());
                Some((name, Expect::Absent))
            }
        })
        .collect();
    let writes: Vec<_> = file
        .objects
        .iter()
        .zip(plans)
        .map(|(object, plan)| write_one(engine, to, object, plan))
        .collect();
    let mut written = futures_util::stream::iter(writes).buffered(WRITES_IN_FLIGHT);
    let (mut report, mut done) = (ImportReport::default(), 0);
    while let Some(outcome) = written.next().await {
        match outcome {
            None => report.skipped += 1,
            Some((_, true, Ok(_))) => report.replaced += 1,
            Some((_, false, Ok(_))) => report.created += 1,
            Some((uid, _, Err(e))) => report.failed.push(Failed {
                uid,
                reason: e.detail,
            }),
        }
        done += 1;
        progress(done, file.objects.len());
    }
    Ok(report)
}

/// Writes one planned object (None: nothing to write); its UID, whether it replaced one,
/// and how the write went.
async fn write_one(
    engine: &Engine,
    to: &Destination<'_>,
    object: &ical::SplitObject,
    plan: Option<(String, Expect)>,
) -> Option<(Option<String>, bool, DavResult<store::PutOutcome>)> {
    let (name, expect) = plan?;
    let replacing = expect != Expect::Absent;
    let put = ObjectWrite {
        collection: to.collection,
        name,
        data: Bytes::copy_from_slice(object.text.as_bytes()),
        content_type: Some("text/calendar"),
        replaces_uid: object.uid.as_deref().filter(|_| replacing),
        expect,
        quota: to.quota,
    };
    let href = crate::path::collection_href(&to.owner.name, &to.collection.path);
    let written = write_object(engine, put, &href, to.change).await;
    Some((object.uid.clone(), replacing, written))
}

/// The stored bytes of the objects the file would replace, by name: the same bytes again
/// are no change.
async fn current_data<'m>(
    store: &dyn Store,
    collection: &Collection,
    objects: &[ical::SplitObject],
    held: &impl Fn(&ical::SplitObject) -> Option<&'m ObjectMeta>,
) -> store::Result<HashMap<String, Bytes>> {
    let names: Vec<String> = objects
        .iter()
        .filter_map(|o| held(o).map(|m| m.name.clone()))
        .collect();
    let mut out = HashMap::with_capacity(names.len());
    for chunk in names.chunks(500) {
        for o in store.objects_by_name(collection.id, chunk).await? {
            out.insert(o.meta.name, o.data);
        }
    }
    Ok(out)
}

/// `UID.ics` when the UID is a plain file name (most are: `…@google.com`), else a name
/// made from it; either way another name when the calendar has that one already.
fn free_name(uid: Option<&str>, taken: &HashSet<String>) -> String {
    let uid = uid.unwrap_or("");
    let plain = (1..=120).contains(&uid.len())
        && !uid.starts_with('.')
        && uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    let hashed = || blake3::hash(uid.as_bytes()).to_hex()[..32].to_owned();
    let stem = if plain { uid.to_owned() } else { hashed() };
    (0..)
        .map(|n| match n {
            0 => format!("{stem}.ics"),
            n => format!("{stem}-{n}.ics"),
        })
        .find(|name| !taken.contains(name))
        .unwrap_or_default()
}

fn abbreviated(uids: &[&str]) -> String {
    let shown: Vec<String> = uids.iter().take(5).map(|u| format!("{u:?}")).collect();
    match uids.len() > shown.len() {
        true => format!("{}, …", shown.join(", ")),
        false => shown.join(", "),
    }
}

impl ImportReport {
    /// One line per object that was not imported: its UID and why.
    pub fn failures(&self) -> Vec<String> {
        self.failed
            .iter()
            .map(|f| match &f.uid {
                Some(uid) => format!("UID {uid:?} not imported: {}", f.reason),
                None => format!("an object without UID not imported: {}", f.reason),
            })
            .collect()
    }

    pub fn to_json(&self) -> Value {
        let failed: Vec<Value> = self
            .failed
            .iter()
            .map(|f| json!({ "uid": f.uid, "reason": f.reason }))
            .collect();
        json!({
            "created": self.created,
            "replaced": self.replaced,
            "skipped": self.skipped,
            "failed": failed,
        })
    }
}

impl Display for ImportReport {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created, {} replaced, {} skipped (already there), {} failed",
            self.created,
            self.replaced,
            self.skipped,
            self.failed.len()
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_come_from_plain_uids_and_never_collide() {
        let mut taken = HashSet::new();
        assert_eq!(
            free_name(Some("abc@google.com"), &taken),
            "abc@google.com.ics"
        );
        taken.insert("abc@google.com.ics".to_owned());
        assert_eq!(
            free_name(Some("abc@google.com"), &taken),
            "abc@google.com-1.ics"
        );
        let odd = free_name(Some("{a/b c}"), &taken);
        assert_eq!(odd.len(), 36, "{odd}");
        assert!(odd.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'));
    }

    #[test]
    fn a_component_without_uid_gets_the_same_one_each_time() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Tasks\r\nBEGIN:VTODO\r\n\
                    SUMMARY:milk\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        let (a, b) = (read_file(text).unwrap(), read_file(text).unwrap());
        assert_eq!(a.name.as_deref(), Some("Tasks"));
        let uid = a.objects[0].uid.clone().unwrap();
        assert!(uid.starts_with("calvault-"), "{uid}");
        assert_eq!(b.objects[0].uid.as_deref(), Some(uid.as_str()));
        assert!(read_file("not a calendar").is_err());
    }
}
