//! Propstat grouping: the values of the asked-for properties of one resource, and the names
//! of those it does not have (RFC 4918 §9.1: 200 for the found, 404 for the rest).

use dav_xml::{Element, PropFind};
use store::Property;

use super::env::PropEnv;
use super::live;
use crate::resource::Resource;

/// For properties a REPORT answers itself (calendar-data): Some(value, or None for a 404).
pub type Extra<'a> = dyn Fn(&Element) -> Option<Option<Element>> + 'a;

/// The [`Extra`] of a request that computes no property itself.
pub fn no_extra(_: &Element) -> Option<Option<Element>> {
    None
}

/// Whether the 200 and the 404 propstat are sent: the 404 one is left out for a minimal
/// answer (RFC 8144), and an empty property list still gets its (empty) 200.
pub fn propstats_to_send(found: &[Element], missing: &[Element], minimal: bool) -> (bool, bool) {
    (
        !found.is_empty() || missing.is_empty() || minimal,
        !missing.is_empty() && !minimal,
    )
}

/// The values of the asked-for properties of one resource into `found`, and the names of
/// those it does not have into `missing`.
pub fn collect(
    env: &PropEnv<'_>,
    resource: &Resource,
    dead: &[Property],
    propfind: &PropFind,
    extra: &Extra<'_>,
    found: &mut Vec<Element>,
    missing: &mut Vec<Element>,
) {
    match propfind {
        PropFind::PropName => found.extend(live::names(env, resource, dead)),
        PropFind::AllProp { include } => {
            found.extend(live::all(env, resource, dead));
            for name in include {
                if found.iter().any(|e| &e.name == name) {
                    continue;
                }
                match live::value(env, resource, name, dead) {
                    Some(v) => found.push(v),
                    None => missing.push(Element::new(name.clone())),
                }
            }
        }
        PropFind::Prop(wanted) => {
            for w in wanted {
                let value = match extra(w) {
                    Some(v) => v,
                    None => live::value(env, resource, &w.name, dead),
                };
                match value {
                    Some(v) => found.push(v),
                    None => missing.push(Element::new(w.name.clone())),
                }
            }
        }
    }
}
