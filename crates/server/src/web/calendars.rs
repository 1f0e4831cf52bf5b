//! The signed-in user's calendars as the pages show them: display name and colour (the
//! DAV:displayname and Apple calendar-color properties clients set), object count, size
//! and last change; the deleted ones that "Recently deleted" can bring back; and the
//! bindings of calendars others share with the user, which the pages list apart from the
//! user's own (`web::shares`).

use store::{Collection, CollectionKind, Privilege, Property, Store, User};

use super::error::WebError;

/// The colour a calendar without one is shown in.
pub const DEFAULT_COLOUR: &str = "#2f6fde";

#[derive(Clone, Debug)]
pub struct CalendarInfo {
    pub collection: Collection,
    pub name: String,
    pub colour: String,
    pub objects: usize,
    pub bytes: u64,
}

impl CalendarInfo {
    pub fn href(&self, user: &str) -> String {
        dav::path::collection_href(user, &self.collection.path)
    }

    pub fn holds_events(&self) -> bool {
        self.collection.components.iter().any(|c| c == "VEVENT")
    }

    pub fn holds_tasks(&self) -> bool {
        self.collection.components.iter().any(|c| c == "VTODO")
    }
}

/// Stored calendar data as a component tree; None for what is not iCalendar (a plain
/// collection's files, or bytes stored before a parser change).
pub fn parsed(data: &[u8]) -> Option<ical::Component> {
    std::str::from_utf8(data)
        .ok()
        .and_then(|t| ical::parse(t).ok())
}

/// The text of a stored property element, e.g. `<D:displayname>Work</D:displayname>`.
pub fn property_text(props: &[Property], ns: &str, name: &str) -> Option<String> {
    let p = props.iter().find(|p| p.namespace == ns && p.name == name)?;
    let root = dav_xml::parse_document(p.xml.as_bytes(), dav_xml::XmlLimits::default()).ok()?;
    let text = root.text_content().trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// `#rrggbb` from what clients store (`#RRGGBB`, Apple's `#RRGGBBAA`), else None: only a
/// checked colour ever reaches a page.
pub fn clean_colour(text: &str) -> Option<String> {
    let hex = text.trim().strip_prefix('#')?;
    let ok = (hex.len() == 6 || hex.len() == 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| format!("#{}", hex[..6].to_ascii_lowercase()))
}

/// The calendar's name for people: its displayname, else its path.
pub async fn describe(store: &dyn Store, c: Collection) -> Result<CalendarInfo, WebError> {
    let props = store.properties(c.id, None).await?;
    let objects = store.objects(c.id).await?;
    let name = property_text(&props, dav_xml::DAV, "displayname").unwrap_or_else(|| c.path.clone());
    let colour = property_text(&props, dav_xml::APPLE_ICAL, "calendar-color")
        .and_then(|t| clean_colour(&t))
        .unwrap_or_else(|| DEFAULT_COLOUR.into());
    Ok(CalendarInfo {
        name,
        colour,
        objects: objects.len(),
        bytes: objects.iter().map(|o| o.size).sum(),
        collection: c,
    })
}

/// A collection's name for people: its displayname, else its path.
pub async fn display_name(store: &dyn Store, c: &Collection) -> Result<String, WebError> {
    let props = store.properties(c.id, None).await?;
    Ok(property_text(&props, dav_xml::DAV, "displayname").unwrap_or_else(|| c.path.clone()))
}

/// The calendars others share with the user as they appear in the user's home (bindings
/// are made at the top of a home, `OWNER-CALENDAR`): what each stands for, and where.
pub async fn bindings(store: &dyn Store, user: &User) -> Result<Vec<Collection>, WebError> {
    let mut all = store.child_collections(user.id, "").await?;
    all.retain(|c| c.kind == CollectionKind::Shared);
    Ok(all)
}

/// Every calendar of the user, also those inside plain collections, by name.
pub async fn list(store: &dyn Store, user: &User) -> Result<Vec<CalendarInfo>, WebError> {
    let mut out = Vec::new();
    let mut parents = vec![String::new()];
    // Homes are shallow: calendars sit at the top or inside a folder or two.
    for _depth in 0..4 {
        let mut next = Vec::new();
        for parent in &parents {
            for c in store.child_collections(user.id, parent).await? {
                match c.kind {
                    CollectionKind::Calendar => out.push(describe(store, c).await?),
                    CollectionKind::Plain => next.push(c.path.clone()),
                    // Calendars shared with the user are listed apart (`web::shares`); the
                    // scheduling inbox and outbox hold no calendars.
                    CollectionKind::Shared
                    | CollectionKind::ScheduleInbox
                    | CollectionKind::ScheduleOutbox => {}
                }
            }
        }
        if next.is_empty() {
            break;
        }
        parents = next;
    }
    out.sort_by_key(|c| c.name.to_lowercase());
    Ok(out)
}

/// One of the user's calendars by its path.
pub async fn find(store: &dyn Store, user: &User, path: &str) -> Result<CalendarInfo, WebError> {
    match store.collection(user.id, path.trim_matches('/')).await? {
        Some(c) if c.kind == CollectionKind::Calendar => describe(store, c).await,
        _ => Err(WebError::not_found(format!(
            "You have no calendar {path:?}."
        ))),
    }
}

/// A calendar the user may read: their own (`owner` empty or theirs), or another user's
/// they have at least read access to through a share or delegation (the store's
/// [`store::Sharing::privilege`], the grant DAV itself answers by). Free/busy alone shows no
/// events, so it opens nothing; a calendar one may not read is reported as absent, as DAV
/// does, so a page reveals no other user's calendar names.
pub async fn find_readable(
    store: &dyn Store,
    user: &User,
    owner: &str,
    path: &str,
) -> Result<(CalendarInfo, Privilege), WebError> {
    if owner.is_empty() || owner == user.name {
        return Ok((find(store, user, path).await?, Privilege::Owner));
    }
    let absent = || {
        WebError::not_found(format!(
            "No calendar {path:?} of {owner} is shared with you."
        ))
    };
    let Some(o) = store.account_by_name(owner).await? else {
        return Err(absent());
    };
    let Some(c) = store.collection(o.id, path.trim_matches('/')).await? else {
        return Err(absent());
    };
    match store.privilege(user.id, c.id).await? {
        Some(p) if p >= Privilege::Read && c.kind == CollectionKind::Calendar => {
            Ok((describe(store, c).await?, p))
        }
        _ => Err(absent()),
    }
}

/// The user's deleted calendars, newest deletion first, with the objects each would bring
/// back (`dav::history::deleted_calendars`).
pub async fn deleted(
    store: &dyn Store,
    user: &User,
) -> Result<Vec<dav::history::DeletedCalendar>, WebError> {
    let mut all = dav::history::deleted_calendars(store, user.id).await?;
    all.sort_by_key(|d| std::cmp::Reverse(d.calendar.deleted_at));
    Ok(all)
}

/// A path segment for a new calendar named `name`: its letters and digits, lower case.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            s.push(ch.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').chars().take(40).collect::<String>();
    match s.is_empty() {
        true => "calendar".into(),
        false => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_checked_and_slugs_are_plain() {
        assert_eq!(clean_colour("#FF8800FF").as_deref(), Some("#ff8800"));
        assert_eq!(clean_colour("#ff8800").as_deref(), Some("#ff8800"));
        assert_eq!(clean_colour("red\" onload=\"x"), None);
        assert_eq!(slug("Work & Play 2027"), "work-play-2027");
        assert_eq!(slug("Ärger"), "rger");
        assert_eq!(slug("!!!"), "calendar");
    }
}
