//! Finding an account's calendars and picking the ones a command names.

use client::{Calendar, Discovery, Url};

use crate::caldav::CalDav;
use crate::error::{Error, Result};

/// The account's calendars, as a source to read from; `named` is the URL as the user
/// gave it, for the message when discovery fails.
pub async fn source_calendars(client: &dyn CalDav, start: &Url, named: &str) -> Result<Discovery> {
    client
        .discover(start)
        .await
        .map_err(|source| Error::DiscoverSource {
            url: named.to_owned(),
            source,
        })
}

/// The account's calendars, as a target to write to.
pub async fn target_calendars(client: &dyn CalDav, start: &Url) -> Result<Discovery> {
    client
        .discover(start)
        .await
        .map_err(|source| Error::DiscoverTarget {
            url: start.to_string(),
            source,
        })
}

/// The calendars `wanted` names (by URL name or display name), or all of them when it
/// names none.
pub fn pick_calendars(found: Vec<Calendar>, wanted: &[String]) -> Result<Vec<Calendar>> {
    if found.is_empty() {
        return Err(Error::NoCalendars);
    }
    if wanted.is_empty() {
        return Ok(found);
    }
    let matches =
        |c: &Calendar, name: &str| c.name == name || c.props.displayname.as_deref() == Some(name);
    if let Some(missing) = wanted.iter().find(|w| !found.iter().any(|c| matches(c, w))) {
        return Err(Error::NoSuchCalendar {
            name: missing.clone(),
            available: found
                .iter()
                .map(|c| match &c.props.displayname {
                    Some(d) if *d != c.name => format!("{} ({d})", c.name),
                    _ => c.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(found
        .into_iter()
        .filter(|c| wanted.iter().any(|w| matches(c, w)))
        .collect())
}

/// A calendar's properties as the repository records them.
pub fn props_to_vault(p: &client::CalendarProps) -> vault::CalendarProps {
    vault::CalendarProps {
        displayname: p.displayname.clone(),
        color: p.color.clone(),
        description: p.description.clone(),
        timezone: p.timezone.clone(),
        components: p.components.clone(),
        order: p.order.clone(),
        other: Default::default(),
    }
}

/// Recorded properties as a restore sets them.
pub fn props_from_vault(p: &vault::CalendarProps) -> client::CalendarProps {
    client::CalendarProps {
        displayname: p.displayname.clone(),
        color: p.color.clone(),
        description: p.description.clone(),
        timezone: p.timezone.clone(),
        components: p.components.clone(),
        order: p.order.clone(),
    }
}

/// A sharee as the repository records them.
pub fn sharee_to_vault(s: &client::Sharee) -> vault::Sharee {
    vault::Sharee {
        href: s.href.clone(),
        read_write: s.read_write,
        common_name: s.common_name.clone(),
    }
}

/// A recorded sharee as a restore shares with them.
pub fn sharee_from_vault(s: &vault::Sharee) -> client::Sharee {
    client::Sharee {
        href: s.href.clone(),
        read_write: s.read_write,
        common_name: s.common_name.clone(),
    }
}

/// The last path segment of an href: an object's file name.
pub fn object_name(href: &str) -> &str {
    href.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(href)
}
