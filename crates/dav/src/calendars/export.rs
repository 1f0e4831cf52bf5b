//! A whole calendar as one `.ics` document (one VCALENDAR, each VTIMEZONE once): what
//! `calvault calendar export` writes, `/api/` hands out and GET of a calendar collection
//! answers, so that a read-only iCalendar subscription to the calendar's URL works.

use store::{Collection, Store};

use super::Looks;

/// Objects read per round trip while a calendar is exported.
const PAGE: usize = 500;

/// Changes whenever the assembled document could change for the same calendar state: a
/// server that writes exports differently must not answer an old ETag.
const FORMAT: &str = "calvault-export-1";

/// A calendar assembled into one document.
#[derive(Clone, Debug)]
pub struct Export {
    pub text: String,
    /// The strong ETag of `text` ([`export_etag`]).
    pub etag: String,
    pub objects: usize,
    /// Components written (VEVENTs with their overrides, VTODOs...), zones aside.
    pub components: usize,
    /// Objects left out because they are not readable iCalendar (e.g. stored before a
    /// validation rule existed), by name.
    pub unreadable: Vec<String>,
}

/// The ETag of the calendar's export as the calendar is now: every change of an object or
/// property moves the calendar's sequence number (its sync token), and the name goes into
/// the document, so the pair says when the document changes without assembling it (a
/// subscription that polls gets its 304 for one lookup).
pub fn export_etag(collection: &Collection, looks: &Looks) -> String {
    let mut hash = blake3::Hasher::new();
    hash.update(FORMAT.as_bytes());
    hash.update(&collection.id.to_le_bytes());
    hash.update(&collection.sync_seq.to_le_bytes());
    hash.update(looks.name.as_deref().unwrap_or("").as_bytes());
    format!("ics-{}", &hash.finalize().to_hex()[..32])
}

/// Assembles every object of the calendar, in name order, under its display name.
pub async fn export(
    store: &dyn Store,
    collection: &Collection,
    looks: &Looks,
) -> store::Result<Export> {
    let mut calendar = ical::CalendarAssembly::new();
    let mut unreadable = Vec::new();
    let mut after = None;
    loop {
        let page = store.objects_page(collection.id, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.name.clone());
        let names: Vec<String> = page.into_iter().map(|m| m.name).collect();
        let mut objects = store.objects_by_name(collection.id, &names).await?;
        objects.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
        for o in objects {
            let added = std::str::from_utf8(&o.data)
                .ok()
                .map(|text| calendar.add(text));
            if !matches!(added, Some(Ok(()))) {
                tracing::warn!(
                    calendar = %collection.path,
                    object = %o.meta.name,
                    "left out of the export: not readable as iCalendar"
                );
                unreadable.push(o.meta.name);
            }
        }
    }
    let (objects, components) = (calendar.objects(), calendar.components());
    Ok(Export {
        text: calendar.finish(looks.name.as_deref()),
        etag: export_etag(collection, looks),
        objects,
        components,
        unreadable,
    })
}

impl std::fmt::Display for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} objects ({} components) exported",
            self.objects, self.components
        )?;
        if !self.unreadable.is_empty() {
            write!(
                f,
                "; {} left out, not readable as iCalendar: {}",
                self.unreadable.len(),
                self.unreadable.join(", ")
            )?;
        }
        Ok(())
    }
}
