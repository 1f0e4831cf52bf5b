//! The component types a calendar object resource is built from (RFC 4791 §4.1), known to
//! validation, bounds, expansion and the instance index alike.

/// The component types a calendar object resource is built from
/// (RFC 4791 §4.1); VTIMEZONE only accompanies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentKind {
    Event,
    Todo,
    Journal,
    FreeBusy,
}

impl ComponentKind {
    pub fn name(self) -> &'static str {
        match self {
            ComponentKind::Event => "VEVENT",
            ComponentKind::Todo => "VTODO",
            ComponentKind::Journal => "VJOURNAL",
            ComponentKind::FreeBusy => "VFREEBUSY",
        }
    }

    /// Case-insensitive.
    pub fn from_name(s: &str) -> Option<Self> {
        [
            ComponentKind::Event,
            ComponentKind::Todo,
            ComponentKind::Journal,
            ComponentKind::FreeBusy,
        ]
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(s))
    }
}
