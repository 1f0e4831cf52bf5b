//! Stored properties after a PROPPATCH (RFC 4918 §9.2: all or nothing, applied in order).

use crate::{Property, PropertyPatch};

/// The property set after `patch`, sorted by namespace and name (byte order), as stores list
/// it; the history records it as one text.
pub fn patched(mut current: Vec<Property>, patch: &PropertyPatch) -> Vec<Property> {
    current.retain(|p| {
        !patch
            .remove
            .iter()
            .any(|(ns, name)| *ns == p.namespace && *name == p.name)
    });
    for set in &patch.set {
        current.retain(|p| !(p.namespace == set.namespace && p.name == set.name));
        current.push(set.clone());
    }
    sort(&mut current);
    current
}

/// Namespace, then name, compared as bytes (SQLite's BINARY, PostgreSQL's "C").
pub fn sort(properties: &mut [Property]) {
    properties.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
}

/// The whole property set of a resource as one text, for its history row.
pub fn snapshot(properties: &[Property]) -> String {
    properties
        .iter()
        .map(|p| p.xml.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn prop(ns: &str, name: &str, xml: &str) -> Property {
        Property {
            namespace: ns.into(),
            name: name.into(),
            xml: xml.into(),
        }
    }

    #[test]
    fn removals_then_sets_give_the_sorted_new_set() {
        let current = vec![prop("DAV:", "b", "<b/>"), prop("DAV:", "a", "<a/>")];
        let patch = PropertyPatch {
            collection: 1,
            object: None,
            set: vec![prop("DAV:", "b", "<b>2</b>"), prop("A:", "z", "<z/>")],
            remove: vec![("DAV:".into(), "a".into())],
        };
        let after = patched(current, &patch);
        assert_eq!(snapshot(&after), "<z/>\n<b>2</b>");
    }
}
