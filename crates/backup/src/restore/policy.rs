//! The conflict policy, object by object and property by property: what the plan writes
//! when the target holds nothing, the same content, or another version, and what
//! mirroring deletes. Plain decisions over what was read; no I/O.

use std::collections::HashSet;

use client::Fetched;

use super::content::{is_newer, same_content};
use super::held::Held;
use super::plan::{encode_segment, Action, CalendarPlan, ConflictKind, KeptBecause};
use super::{OnConflict, Options, SourceCalendar, SourceObject};
use crate::error::Result;

/// Every source object's write (or why there is none), then the mirror's deletions.
pub(super) fn plan_objects(
    plan: &mut CalendarPlan,
    source: &SourceCalendar,
    held: &Held,
    options: &Options,
) -> Result<()> {
    let by_uid = held.names_by_uid();
    let mut claimed = HashSet::new();
    for object in &source.objects {
        // The target's object of the same name, else the one with the same UID (a server
        // may have renamed it, and a second copy would be refused as a UID conflict).
        let same_uid = object.uid.as_deref().and_then(|u| by_uid.get(u).copied());
        let holder = held
            .objects
            .get(&object.name)
            .map(|_| object.name.as_str())
            .or(same_uid);
        let Some(holder) = holder else {
            let url = plan.url.join(&encode_segment(&object.name))?;
            let data = object.data.clone();
            plan.push(&object.name, Action::Create { url, data });
            continue;
        };
        claimed.insert(holder.to_owned());
        let current = &held.objects[holder].fetched;
        plan_replacement(plan, holder, current, object, options.on_conflict)?;
    }
    if options.mirror {
        plan_deletions(plan, held, &claimed)?;
    }
    Ok(())
}

/// The target holds `current` where the source has `object`.
fn plan_replacement(
    plan: &mut CalendarPlan,
    holder: &str,
    current: &Fetched,
    object: &SourceObject,
    on_conflict: OnConflict,
) -> Result<()> {
    if same_content(&current.data, &object.data) {
        plan.unchanged += 1;
        return Ok(());
    }
    let replace = match on_conflict {
        OnConflict::Overwrite => true,
        OnConflict::Newer => is_newer(&object.data, &current.data),
        OnConflict::Skip | OnConflict::Fail => false,
    };
    match (&current.etag, replace) {
        (Some(etag), true) => {
            let url = plan.url.join(&current.href)?;
            let (etag, data) = (etag.clone(), object.data.clone());
            plan.push(holder, Action::Update { url, etag, data });
        }
        _ => plan.conflict(ConflictKind::OtherVersion {
            object: holder.to_owned(),
            reason: match on_conflict {
                OnConflict::Newer => Some(KeptBecause::NotOlder),
                _ if current.etag.is_none() && replace => Some(KeptBecause::NoEtag),
                _ => None,
            },
        }),
    }
    Ok(())
}

/// `mirror`: the target's objects no source object claimed are deleted, each on the
/// version the plan saw.
fn plan_deletions(plan: &mut CalendarPlan, held: &Held, claimed: &HashSet<String>) -> Result<()> {
    for (name, held) in &held.objects {
        if claimed.contains(name) {
            continue;
        }
        match &held.fetched.etag {
            Some(etag) => {
                let url = plan.url.join(&held.fetched.href)?;
                let etag = etag.clone();
                plan.push(name, Action::Delete { url, etag });
            }
            None => plan.conflict(ConflictKind::NoEtagToDelete {
                object: name.clone(),
            }),
        }
    }
    Ok(())
}

/// Properties the target calendar lacks are set; ones it holds with another value are
/// conflicts, replaced only with `OnConflict::Overwrite`.
pub(super) fn plan_properties(
    plan: &mut CalendarPlan,
    ours: &client::CalendarProps,
    theirs: &client::CalendarProps,
    on_conflict: OnConflict,
) {
    let wanted_props = ours.text_props();
    let held_props = theirs.text_props();
    let mut conflicts = Vec::new();
    let set = plan.set_props.text_props_mut();
    for (at, (name, wanted)) in wanted_props.into_iter().enumerate() {
        let Some(wanted) = wanted else { continue };
        let held = held_props[at].1;
        let differs = held.as_ref().is_some_and(|h| h.trim() != wanted.trim());
        if held.is_none() || (differs && on_conflict == OnConflict::Overwrite) {
            *set[at].1 = Some(wanted.clone());
        } else if differs {
            conflicts.push(ConflictKind::Property {
                name,
                on_target: held.clone().unwrap_or_default(),
                in_source: wanted.clone(),
            });
        }
    }
    for kind in conflicts {
        plan.conflict(kind);
    }
}
