//! A new calendar from a slug, a display name, a colour and a component set, as MKCALENDAR
//! with those properties makes one (RFC 4791 §5.3.1), for callers that are not a client.

use http::StatusCode;
use store::{Change, Collection, CollectionKind, NewCollection, Property, Store, StoreError, User};

use crate::error::{DavError, DavResult};
use crate::method::calendar_values::KNOWN_COMPONENTS;

/// What a new calendar holds when nobody says (RFC 4791 §5.2.3: any the server supports;
/// free-busy objects are rarely wanted as calendar content). MKCALENDAR uses it too.
pub const DEFAULT_COMPONENTS: [&str; 3] = ["VEVENT", "VTODO", "VJOURNAL"];

/// A calendar to create below its owner's home.
#[derive(Clone, Debug, Default)]
pub struct NewCalendar {
    /// The calendar's one URL segment.
    pub slug: String,
    /// Its display name (DAV:displayname); None leaves it unnamed.
    pub name: Option<String>,
    /// `#RRGGBB` (or `#RRGGBBAA`, as Apple writes it), the `calendar-color` clients show.
    pub color: Option<String>,
    /// Component types it accepts; empty: [`DEFAULT_COMPONENTS`].
    pub components: Vec<String>,
}

/// Slugs become URL segments and file names: 1-64 letters, digits, '-', '_' or '.', not
/// starting with '.'.
pub fn check_slug(slug: &str) -> DavResult<()> {
    let ok = (1..=64).contains(&slug.len())
        && !slug.starts_with('.')
        && slug
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    match ok {
        true => Ok(()),
        false => Err(DavError::bad_request(format!(
            "a calendar's slug is 1-64 letters, digits, '-', '_' or '.' (not starting with \
             '.'); {slug:?} is not"
        ))),
    }
}

fn check_color(color: &str) -> DavResult<()> {
    let hex = color.strip_prefix('#').unwrap_or("");
    match matches!(hex.len(), 6 | 8) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        true => Ok(()),
        false => Err(DavError::bad_request(format!(
            "a colour is written #RRGGBB, like #1e90ff; {color:?} is not"
        ))),
    }
}

fn component_set(asked: &[String]) -> DavResult<Vec<String>> {
    if asked.is_empty() {
        return Ok(DEFAULT_COMPONENTS.iter().map(|c| c.to_string()).collect());
    }
    let mut set = Vec::new();
    for name in asked.iter().map(|c| c.trim().to_ascii_uppercase()) {
        if !KNOWN_COMPONENTS.contains(&name.as_str()) {
            return Err(DavError::bad_request(format!(
                "unknown component {name:?}; a calendar may hold {}",
                KNOWN_COMPONENTS.join(", ")
            )));
        }
        if !set.contains(&name) {
            set.push(name);
        }
    }
    Ok(set)
}

/// Creates the calendar (recorded in its history like a MKCALENDAR).
pub async fn create(
    store: &dyn Store,
    owner: &User,
    new: &NewCalendar,
    change: &Change,
) -> DavResult<Collection> {
    check_slug(&new.slug)?;
    let mut properties = Vec::new();
    if let Some(name) = new.name.as_deref().filter(|n| !n.trim().is_empty()) {
        properties.push(Property::displayname(name));
    }
    if let Some(color) = &new.color {
        check_color(color)?;
        let element = dav_xml::Element::text(
            dav_xml::QName::new(dav_xml::APPLE_ICAL, "calendar-color"),
            color.clone(),
        );
        properties.push(Property {
            namespace: dav_xml::APPLE_ICAL.into(),
            name: "calendar-color".into(),
            xml: dav_xml::fragment(&element),
        });
    }
    let collection = NewCollection {
        owner: owner.id,
        path: new.slug.clone(),
        kind: CollectionKind::Calendar,
        components: component_set(&new.components)?,
        properties,
        target: None,
    };
    store
        .create_collection(collection, change)
        .await
        .map_err(|e| match e {
            StoreError::AlreadyExists => DavError::new(
                StatusCode::CONFLICT,
                format!("{} already has a calendar {:?}", owner.name, new.slug),
            ),
            other => other.into(),
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn slugs_colours_and_components_are_checked() {
        assert!(check_slug("work-2026").is_ok());
        for bad in ["", ".hidden", "a/b", "with space", &"x".repeat(65)] {
            assert!(check_slug(bad).is_err(), "{bad:?}");
        }
        assert!(check_color("#1e90ff").is_ok() && check_color("#1E90FFCC").is_ok());
        assert!(check_color("blue").is_err() && check_color("#12345").is_err());
        let set = component_set(&["vtodo".into(), "VEVENT".into(), "VTODO".into()]).unwrap();
        assert_eq!(set, ["VTODO", "VEVENT"]);
        assert_eq!(component_set(&[]).unwrap(), DEFAULT_COMPONENTS);
        assert!(component_set(&["VCARD".into()]).is_err());
    }
}
