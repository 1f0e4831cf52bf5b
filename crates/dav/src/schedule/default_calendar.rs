//! Where invitations land (RFC 6638 §9.2 `schedule-default-calendar-URL`): the calendar the
//! user chose, set on their inbox by PROPPATCH, while it exists and takes events; else
//! their first such calendar ("calendar", the one every account starts with, first).

use dav_xml::{Element, QName, CALDAV, DAV};
use store::rules::scheduling::INBOX_PATH;
use store::{Collection, CollectionKind, Store, User};

use crate::condition::Condition;
use crate::cx::Cx;
use crate::error::DavResult;
use crate::path::{self, Target};
use crate::resource::Resource;

/// The property's name.
pub const NAME: &str = "schedule-default-calendar-URL";

/// True for the property's name.
pub fn is_it(name: &QName) -> bool {
    name.is(CALDAV, NAME)
}

fn takes_events(c: &Collection) -> bool {
    c.kind == CollectionKind::Calendar && c.components.iter().any(|k| k == "VEVENT")
}

/// The path below `user`'s home an href of the property names, if it is in their home.
pub fn path_in_home(href: &str, user: &User) -> Option<String> {
    match path::href_path(href, None).map(path::parse) {
        Some(Ok(Target::Home {
            user: owner,
            segments,
            ..
        })) if owner == user.name && !segments.is_empty() => Some(segments.join("/")),
        _ => None,
    }
}

/// The calendar invitations to `user` go to; None when they have none that takes events.
pub async fn of(store: &dyn Store, user: &User) -> DavResult<Option<Collection>> {
    if let Some(inbox) = store.collection(user.id, INBOX_PATH).await? {
        let props = store.properties(inbox.id, None).await?;
        let chosen = props
            .iter()
            .find(|p| p.namespace == CALDAV && p.name == NAME)
            .and_then(|p| dav_xml::parse_document(p.xml.as_bytes(), Default::default()).ok())
            .and_then(|e| e.child(DAV, "href").map(Element::text_content))
            .and_then(|href| path_in_home(&href, user));
        if let Some(path) = chosen {
            if let Some(c) = store.collection(user.id, &path).await? {
                if takes_events(&c) {
                    return Ok(Some(c));
                }
            }
        }
    }
    let mut calendars: Vec<Collection> = store
        .child_collections(user.id, "")
        .await?
        .into_iter()
        .filter(takes_events)
        .collect();
    calendars.sort_by_key(|c| (c.path != "calendar", c.path.clone()));
    Ok(calendars.into_iter().next())
}

/// The property's value for `user`'s inbox.
pub async fn value(store: &dyn Store, user: &User) -> DavResult<Option<Element>> {
    Ok(of(store, user).await?.map(|c| {
        Element::new(QName::caldav(NAME)).with_child(Element::text(
            QName::dav("href"),
            path::collection_href(&user.name, &c.path),
        ))
    }))
}

/// RFC 6638 §9.2: the property is set on one's own inbox, to one of one's own calendars
/// that takes events (`valid-schedule-default-calendar-URL`); Err names the condition a
/// PROPPATCH reports and why.
pub async fn check_set(
    cx: &Cx<'_>,
    resource: &Resource,
    e: &Element,
) -> DavResult<Result<(), (Condition, String)>> {
    let me = &cx.caller.user;
    let on_own_inbox = matches!(resource, Resource::Collection(c)
        if c.collection.kind == CollectionKind::ScheduleInbox && c.is_owned_by(&me.name));
    if !on_own_inbox {
        return Ok(Err((
            Condition::CannotModifyProtectedProperty,
            format!("{NAME} is set on your own scheduling inbox"),
        )));
    }
    let href = e.child(DAV, "href").map(Element::text_content);
    let path = href.as_deref().and_then(|h| path_in_home(h, me));
    let calendar = match &path {
        Some(path) => cx.engine.store.collection(me.id, path).await?,
        None => None,
    };
    if calendar.as_ref().is_some_and(takes_events) {
        return Ok(Ok(()));
    }
    Ok(Err((
        Condition::ValidScheduleDefaultCalendarUrl,
        format!(
            "{} is none of your calendars that take events; name one of them",
            href.unwrap_or_default()
        ),
    )))
}
