//! A user's calendars as whole things, shared by the administrator's `calvault calendar`
//! commands, the `/api/` endpoints and GET of a calendar collection: listing them, creating
//! one with a name, colour and component set, exporting one as a single `.ics` file, and
//! importing such a file (Google Calendar's, Outlook's, Thunderbird's, Apple's) as one
//! object per UID, each written exactly as a PUT writes it (`method::put::write_object`).
//! Every view is JSON and text, so every front end words it alike.

mod create;
mod export;
mod import;
mod listing;

pub use create::{check_slug, create, NewCalendar, DEFAULT_COMPONENTS};
pub use export::{export, export_etag, Export};
pub use import::{
    calendar_for_import, import, read_file, Destination, Failed, ImportFile, ImportReport,
    OnConflict, Progress,
};
pub use listing::{list, CalendarList, CalendarSummary};

use dav_xml::{APPLE_ICAL, DAV};
use store::{Collection, Property, Store};

/// The client an import's writes are recorded with, whoever runs it: one
/// `rollback --client "calvault import"` undoes an import.
pub const IMPORT_CLIENT: &str = "calvault import";

/// A calendar's display name and colour, from its stored properties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Looks {
    pub name: Option<String>,
    pub color: Option<String>,
}

impl Looks {
    pub async fn of(store: &dyn Store, collection: &Collection) -> store::Result<Looks> {
        let properties = store.properties(collection.id, None).await?;
        Ok(Looks {
            name: text_of(&properties, DAV, "displayname"),
            color: text_of(&properties, APPLE_ICAL, "calendar-color"),
        })
    }
}

fn text_of(properties: &[Property], ns: &str, local: &str) -> Option<String> {
    let p = properties
        .iter()
        .find(|p| p.namespace == ns && p.name == local)?;
    let element = dav_xml::parse_document(p.xml.as_bytes(), Default::default()).ok()?;
    Some(element.text_content().trim().to_owned()).filter(|t| !t.is_empty())
}
