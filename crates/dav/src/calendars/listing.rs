//! A user's calendars at a glance: slug, display name, colour, components, how many
//! objects and bytes each holds, and when it last changed.

use std::fmt::{self, Display, Formatter};

use serde_json::{json, Value};
use store::{CollectionKind, Store, User};

use super::Looks;
use crate::history::rfc3339;

/// One calendar of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarSummary {
    /// Its path below the home (one segment for the calendars a client or the CLI makes).
    pub slug: String,
    pub looks: Looks,
    pub components: Vec<String>,
    pub objects: u64,
    pub bytes: u64,
    /// Its last change (ms).
    pub modified_at: i64,
}

/// The owner's live calendars, by slug.
pub async fn list(store: &dyn Store, owner: &User) -> store::Result<Vec<CalendarSummary>> {
    let mut calendars: Vec<_> = store
        .history_collections(Some(owner.id))
        .await?
        .into_iter()
        .filter(|c| c.deleted_at.is_none() && c.collection.kind == CollectionKind::Calendar)
        .map(|c| c.collection)
        .collect();
    calendars.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out = Vec::with_capacity(calendars.len());
    for c in calendars {
        let objects = store.objects(c.id).await?;
        out.push(CalendarSummary {
            looks: Looks::of(store, &c).await?,
            objects: objects.len() as u64,
            bytes: objects.iter().map(|o| o.size).sum(),
            slug: c.path,
            components: c.components,
            modified_at: c.modified_at,
        });
    }
    Ok(out)
}

impl CalendarSummary {
    pub fn to_json(&self) -> Value {
        json!({
            "slug": self.slug,
            "name": self.looks.name,
            "color": self.looks.color,
            "components": self.components,
            "objects": self.objects,
            "bytes": self.bytes,
            "modified_at": rfc3339(self.modified_at),
        })
    }
}

/// One calendar a line, tab-separated: slug, name, components, objects, bytes, last change.
pub struct CalendarList<'a> {
    pub owner: &'a str,
    pub calendars: &'a [CalendarSummary],
}

impl Display for CalendarList<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.calendars.is_empty() {
            return write!(
                f,
                "{} has no calendars; create one with `calvault calendar create {}/SLUG`",
                self.owner, self.owner
            );
        }
        writeln!(f, "SLUG\tNAME\tCOMPONENTS\tOBJECTS\tBYTES\tLAST CHANGE")?;
        for (i, c) in self.calendars.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}\t{}\t{}\t{}\t{}\t{}",
                c.slug,
                c.looks.name.as_deref().unwrap_or("-"),
                c.components.join(","),
                c.objects,
                c.bytes,
                rfc3339(c.modified_at)
            )?;
        }
        Ok(())
    }
}
