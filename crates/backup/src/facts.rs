//! What the backup records about each object: UID, component, summary and start, read
//! from its data. Listings, diffs and `cat UID` show them; restores match objects by UID.

/// The facts a listing or a diff shows for an object.
#[derive(Clone, Debug, Default)]
pub struct ObjectFacts {
    pub uid: Option<String>,
    pub component: Option<String>,
    pub summary: Option<String>,
    pub start: Option<String>,
}

/// Reads an object's facts, and its parsed tree for the selection; data that is not
/// iCalendar yields none (it is still kept).
pub fn facts(data: &[u8]) -> (ObjectFacts, Option<ical::Component>) {
    let root = std::str::from_utf8(data)
        .ok()
        .and_then(|t| ical::parse(t).ok());
    let Some(root) = root else {
        return (ObjectFacts::default(), None);
    };
    let main = root
        .components
        .iter()
        .find(|c| ical::ComponentKind::from_name(&c.name).is_some());
    let described = dav::history::describe(data);
    let facts = ObjectFacts {
        uid: main
            .and_then(|c| c.property("UID"))
            .map(|p| p.value.clone()),
        component: main.map(|c| c.name.to_ascii_uppercase()),
        summary: described.summary,
        start: described.start,
    };
    (facts, Some(root))
}

/// The UID of calendar data, if it has one.
pub fn uid_of(data: &[u8]) -> Option<String> {
    facts(data).0.uid
}
