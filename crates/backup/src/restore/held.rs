//! What a target calendar holds: every object with its ETag and UID, read once while
//! planning.

use std::collections::HashMap;

use client::{Fetched, Url};

use crate::caldav::CalDav;
use crate::discover::object_name;
use crate::error::Result;
use crate::facts::uid_of;

/// What the target calendar holds, by object name.
#[derive(Default)]
pub(super) struct Held {
    pub(super) objects: HashMap<String, HeldObject>,
}

pub(super) struct HeldObject {
    pub(super) fetched: Fetched,
    pub(super) uid: Option<String>,
}

impl Held {
    pub(super) async fn read(target: &dyn CalDav, calendar: &Url) -> Result<Held> {
        let hrefs: Vec<String> = target
            .list_members(calendar)
            .await?
            .into_iter()
            .map(|m| m.href)
            .collect();
        let mut held = Held::default();
        for fetched in target
            .fetch_objects(calendar, &hrefs, &mut |_| {})
            .await?
            .found
        {
            let uid = uid_of(&fetched.data);
            let name = object_name(&fetched.path).to_owned();
            held.objects.insert(name, HeldObject { fetched, uid });
        }
        Ok(held)
    }

    /// Object names by UID.
    pub(super) fn names_by_uid(&self) -> HashMap<&str, &str> {
        self.objects
            .iter()
            .filter_map(|(name, o)| o.uid.as_deref().map(|u| (u, name.as_str())))
            .collect()
    }
}
