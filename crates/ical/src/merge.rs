//! Three-way merge of two edits of one calendar object made from a common base: calvault's
//! opt-in answer to a PUT whose If-Match names an older version (docs/locks-and-merging.md).
//!
//! Each side's change from the base is taken property by property and per component:
//! the object's components are matched by type and RECURRENCE-ID (so edits to different
//! instances of a series are separate), VTIMEZONEs by TZID. Changes to different
//! properties combine; the same property changed two different ways is a [`MergeError::
//! Conflict`], never a silent choice. Where RFC 5545 lets a property repeat as a set, the
//! sets merge: ATTENDEE by calendar address (so one person's PARTSTAT and another's new
//! attendee both stay), CATEGORIES, EXDATE and RDATE by value, VALARMs by their UID
//! (RFC 9074) or else by their whole content. What every edit bumps merges to the later
//! value: DTSTAMP, LAST-MODIFIED and SEQUENCE; PRODID names the client that sent the merged
//! edit.
//!
//! The result is written as [`crate::split_calendar`] writes: each property's unfolded line
//! as it was, CRLF line ends, folded at 75 octets, in the current version's order with what
//! the edit added after its kin.

use std::collections::HashMap;

use thiserror::Error;

use crate::parse::{parse, Component, Property};
use crate::select::write_folded;

/// Why two edits do not merge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MergeError {
    /// One of the three versions is not iCalendar.
    #[error("the {which} version is not iCalendar: {message}")]
    Unreadable {
        which: &'static str,
        message: String,
    },
    /// Both edits changed the same thing, differently.
    #[error("{component}: {what}")]
    Conflict { component: String, what: String },
}

/// Merges `ours` (the edit being written) and `theirs` (the version written since), both
/// made from `base`.
pub fn merge(base: &str, theirs: &str, ours: &str) -> Result<String, MergeError> {
    let read = |which, text| {
        parse(text).map_err(|e| MergeError::Unreadable {
            which,
            message: e.to_string(),
        })
    };
    let (b, t, o) = (
        read("base", base)?,
        read("current", theirs)?,
        read("new", ours)?,
    );
    let merged = merge_content(&b, &t, &o, "VCALENDAR")?;
    let mut out = String::with_capacity(theirs.len() + ours.len() / 4);
    write_component(&merged, &mut out);
    Ok(out)
}

/// How a property merges.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// All lines of the name as one value.
    Whole,
    /// Each value its own member of a set (CATEGORIES, EXDATE, RDATE).
    Values,
    /// Both changed: the later value (DTSTAMP, LAST-MODIFIED, SEQUENCE).
    Latest,
    /// Both changed: the edit being written (PRODID: the client that wrote the merge).
    Ours,
}

fn rule(name: &str) -> Rule {
    match name {
        "CATEGORIES" | "EXDATE" | "RDATE" => Rule::Values,
        "DTSTAMP" | "LAST-MODIFIED" | "SEQUENCE" => Rule::Latest,
        "PRODID" => Rule::Ours,
        _ => Rule::Whole,
    }
}

/// Components whose members are merged one by one; any other (VTIMEZONE, VALARM) is
/// merged as a whole.
fn merges_inside(c: &Component) -> bool {
    matches!(
        c.name.as_str(),
        "VCALENDAR" | "VEVENT" | "VTODO" | "VJOURNAL" | "VFREEBUSY" | "VAVAILABILITY"
    )
}

/// The properties of one component grouped by what they merge as: all lines of a name
/// together, but each ATTENDEE on its own, keyed by its address.
fn property_groups(c: &Component) -> Keyed<'_, Vec<&Property>> {
    let mut groups: Keyed<'_, Vec<&Property>> = Keyed::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for p in &c.properties {
        let key = if p.name == "ATTENDEE" {
            let address = p.value.to_ascii_lowercase();
            let address = address.strip_prefix("mailto:").unwrap_or(&address);
            let n = seen.entry(format!("ATTENDEE {address}")).or_insert(0);
            *n += 1;
            format!("ATTENDEE {address} {n}")
        } else {
            p.name.clone()
        };
        groups.push_into(key, p.name.as_str(), p);
    }
    groups
}

/// Members of a component by key, in their order, with the name their kind goes by (for
/// placing a new member after its kin).
struct Keyed<'a, T> {
    order: Vec<(String, &'a str)>,
    items: HashMap<String, T>,
}

impl<T> Default for Keyed<'_, T> {
    fn default() -> Self {
        Keyed {
            order: Vec::new(),
            items: HashMap::new(),
        }
    }
}

impl<'a, T> Keyed<'a, Vec<T>> {
    fn push_into(&mut self, key: String, kind: &'a str, item: T) {
        if !self.items.contains_key(&key) {
            self.order.push((key.clone(), kind));
        }
        self.items.entry(key).or_default().push(item);
    }
}

/// The sub-components by key: events by RECURRENCE-ID, zones by TZID, alarms by UID or
/// content, others by their place among their kind.
fn child_groups(c: &Component) -> Keyed<'_, &Component> {
    let mut keyed: Keyed<'_, &Component> = Keyed::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for child in &c.components {
        let identity = match child.name.as_str() {
            "VTIMEZONE" => child.property("TZID").map(|p| p.value.clone()),
            "VALARM" => Some(match child.property("UID") {
                Some(uid) => format!("uid {}", uid.value),
                None => format!("content {}", content(child)),
            }),
            _ if merges_inside(child) => Some(
                child
                    .property("RECURRENCE-ID")
                    .map(|p| p.line[p.name.len()..].to_owned())
                    .unwrap_or_default(),
            ),
            _ => None,
        };
        let base = format!("{} {}", child.name, identity.unwrap_or_default());
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let key = format!("{base} #{n}");
        keyed.order.push((key.clone(), child.name.as_str()));
        keyed.items.insert(key, child);
    }
    keyed
}

fn content(c: &Component) -> String {
    let mut out = String::new();
    write_component(c, &mut out);
    out
}

/// The label a conflict names a component by: its type, and its RECURRENCE-ID for an
/// instance of a series.
fn label_of(c: &Component) -> String {
    match c.property("RECURRENCE-ID") {
        Some(rid) => format!("{} {}", c.name, rid.value),
        None => c.name.clone(),
    }
}

/// Merges the properties and sub-components of three versions of one component.
fn merge_content(
    b: &Component,
    t: &Component,
    o: &Component,
    label: &str,
) -> Result<Component, MergeError> {
    let conflict = |what: &str| MergeError::Conflict {
        component: label.to_owned(),
        what: what.to_owned(),
    };
    let (bp, tp, op) = (property_groups(b), property_groups(t), property_groups(o));
    let mut properties: Vec<(String, Property)> = Vec::new();
    for (key, kind) in placed(&tp, &op) {
        let (bg, tg, og) = (
            bp.items.get(&key).cloned(),
            tp.items.get(&key).cloned(),
            op.items.get(&key).cloned(),
        );
        let merged = merge_property(kind, bg, tg, og)
            .ok_or_else(|| conflict(&format!("both edits changed {kind}, differently")))?;
        insert_after_kin(
            &mut properties,
            kind,
            merged.into_iter().map(|p| (kind.to_owned(), p)),
            tp.items.contains_key(&key),
        );
    }
    let (bc, tc, oc) = (child_groups(b), child_groups(t), child_groups(o));
    let mut components: Vec<(String, Component)> = Vec::new();
    for (key, kind) in placed(&tc, &oc) {
        let (bg, tg, og) = (
            bc.items.get(&key).copied(),
            tc.items.get(&key).copied(),
            oc.items.get(&key).copied(),
        );
        if let Some(child) = merge_child(bg, tg, og)? {
            insert_after_kin(
                &mut components,
                kind,
                [(kind.to_owned(), child)],
                tc.items.contains_key(&key),
            );
        }
    }
    Ok(Component {
        name: t.name.clone(),
        properties: properties.into_iter().map(|(_, p)| p).collect(),
        components: components.into_iter().map(|(_, c)| c).collect(),
    })
}

/// The keys of the merged component in output order: the current version's, then those
/// only the new edit has.
fn placed<'a, T>(t: &Keyed<'a, T>, o: &Keyed<'a, T>) -> Vec<(String, &'a str)> {
    let mut keys = t.order.clone();
    keys.extend(
        o.order
            .iter()
            .filter(|(k, _)| !t.items.contains_key(k))
            .cloned(),
    );
    keys
}

/// Adds members in place: one the current version had stays where it was, one only the
/// edit added goes after the last member of its kind (else at the end).
fn insert_after_kin<T>(
    out: &mut Vec<(String, T)>,
    kind: &str,
    items: impl IntoIterator<Item = (String, T)>,
    in_current: bool,
) {
    let at = match in_current {
        true => out.len(),
        false => out
            .iter()
            .rposition(|(k, _)| k == kind)
            .map_or(out.len(), |i| i + 1),
    };
    let tail = out.split_off(at);
    out.extend(items);
    out.extend(tail);
}

/// The three-way rule on one value: what a side changed wins, the same change once; None
/// when both changed it differently.
fn three_way<T: PartialEq + Clone>(b: &T, t: &T, o: &T) -> Option<T> {
    if t == o || o == b {
        Some(t.clone())
    } else if t == b {
        Some(o.clone())
    } else {
        None
    }
}

fn lines(group: &Option<Vec<&Property>>) -> Vec<String> {
    group.iter().flatten().map(|p| p.line.clone()).collect()
}

/// One property group's merged lines (empty: removed); None for a conflict.
fn merge_property(
    name: &str,
    b: Option<Vec<&Property>>,
    t: Option<Vec<&Property>>,
    o: Option<Vec<&Property>>,
) -> Option<Vec<Property>> {
    let (bl, tl, ol) = (lines(&b), lines(&t), lines(&o));
    let keep = |side: &Option<Vec<&Property>>| -> Vec<Property> {
        side.iter().flatten().map(|p| (*p).clone()).collect()
    };
    if let Some(same) = three_way(&bl, &tl, &ol) {
        return Some(if same == tl { keep(&t) } else { keep(&o) });
    }
    match rule(name) {
        Rule::Whole => None,
        Rule::Ours => Some(keep(&o)),
        Rule::Latest => {
            let later = match name {
                "SEQUENCE" => number(&t) >= number(&o),
                _ => first_value(&t) >= first_value(&o),
            };
            Some(if later { keep(&t) } else { keep(&o) })
        }
        Rule::Values => Some(merge_values(name, &b, &t, &o)),
    }
}

fn first_value<'a>(side: &'a Option<Vec<&Property>>) -> &'a str {
    side.as_ref()
        .and_then(|g| g.first())
        .map_or("", |p| p.value.as_str())
}

fn number(side: &Option<Vec<&Property>>) -> i64 {
    first_value(side).trim().parse().unwrap_or(0)
}

/// A value of a multi-valued property with what precedes the values on its line (name and
/// parameters: EXDATE;TZID=... values are only equal under the same zone).
type Member = (String, String);

fn members(side: &Option<Vec<&Property>>) -> Vec<Member> {
    let mut out: Vec<Member> = Vec::new();
    for p in side.iter().flatten() {
        let head = p.line.get(..p.value_offset()).unwrap_or(&p.line);
        for v in split_values(&p.value) {
            let m = (head.to_owned(), v);
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// The set rule: a value stays unless a side removed it, and a value either side added
/// joins. The lines are one side's own when the merged set is that side's; otherwise one
/// line per name-and-parameters, the current version's values first.
fn merge_values(
    name: &str,
    b: &Option<Vec<&Property>>,
    t: &Option<Vec<&Property>>,
    o: &Option<Vec<&Property>>,
) -> Vec<Property> {
    let (bm, tm, om) = (members(b), members(t), members(o));
    let mut merged: Vec<Member> = Vec::new();
    for m in tm.iter().chain(&om) {
        let keep = (tm.contains(m) && om.contains(m)) || !bm.contains(m);
        if keep && !merged.contains(m) {
            merged.push(m.clone());
        }
    }
    let same_set =
        |side: &[Member]| side.len() == merged.len() && side.iter().all(|m| merged.contains(m));
    if same_set(&tm) {
        return t.iter().flatten().map(|p| (*p).clone()).collect();
    }
    if same_set(&om) {
        return o.iter().flatten().map(|p| (*p).clone()).collect();
    }
    let mut heads: Vec<&str> = Vec::new();
    for (head, _) in &merged {
        if !heads.contains(&head.as_str()) {
            heads.push(head);
        }
    }
    heads
        .into_iter()
        .map(|head| {
            let values: Vec<&str> = merged
                .iter()
                .filter(|(h, _)| h == head)
                .map(|(_, v)| v.as_str())
                .collect();
            let value = values.join(",");
            Property {
                name: name.to_owned(),
                params: Vec::new(),
                line: format!("{head}{value}"),
                value,
            }
        })
        .collect()
}

/// The values of a comma-separated list, each as written (a TEXT value's `\,` is part of
/// it, not a separator).
fn split_values(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for ch in value.chars() {
        match (escaped, ch) {
            (true, _) => {
                current.push(ch);
                escaped = false;
            }
            (false, '\\') => {
                current.push(ch);
                escaped = true;
            }
            (false, ',') => out.push(std::mem::take(&mut current)),
            _ => current.push(ch),
        }
    }
    out.push(current);
    out.retain(|v| !v.is_empty());
    out
}

/// One sub-component across the three versions: kept, changed, added or removed by either
/// side; None when it is gone from the merge.
fn merge_child(
    b: Option<&Component>,
    t: Option<&Component>,
    o: Option<&Component>,
) -> Result<Option<Component>, MergeError> {
    let any = t.or(o).or(b);
    let label = any.map(label_of).unwrap_or_default();
    let conflict = |what: &str| MergeError::Conflict {
        component: label.clone(),
        what: what.to_owned(),
    };
    match (b, t, o) {
        (Some(b), Some(t), Some(o)) if merges_inside(t) => merge_content(b, t, o, &label).map(Some),
        (Some(b), Some(t), Some(o)) => three_way(b, t, o)
            .map(Some)
            .ok_or_else(|| conflict("both edits changed it, differently")),
        // Removed by one side: gone, unless the other changed it.
        (Some(b), None, Some(o)) if o == b => Ok(None),
        (Some(b), Some(t), None) if t == b => Ok(None),
        (Some(_), None, Some(_)) | (Some(_), Some(_), None) => {
            Err(conflict("one edit removed it, the other changed it"))
        }
        (_, None, None) => Ok(None),
        (None, Some(t), None) => Ok(Some(t.clone())),
        (None, None, Some(o)) => Ok(Some(o.clone())),
        (None, Some(t), Some(o)) if t == o => Ok(Some(t.clone())),
        (None, Some(_), Some(_)) => Err(conflict("both edits added it, differently")),
    }
}

fn write_component(c: &Component, out: &mut String) {
    write_folded(&format!("BEGIN:{}", c.name), out);
    for p in &c.properties {
        write_folded(&p.line, out);
    }
    for child in &c.components {
        write_component(child, out);
    }
    write_folded(&format!("END:{}", c.name), out);
}
