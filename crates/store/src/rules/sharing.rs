//! Where shared calendars appear in a sharee's home, and when they stay there.

use crate::Privilege;

/// A sharee keeps a shared calendar in their home while they may read it: a free-busy
/// grant alone lets them ask when the owner is busy, not see a calendar.
pub fn keeps_binding(privilege: Option<Privilege>) -> bool {
    privilege.is_some_and(|p| p >= Privilege::Read)
}

/// The path of the `n`th candidate for a binding of `owner`'s calendar at `path` in a
/// sharee's home: `ann-work`, then `ann-work-2`, ... (path segments joined by '-').
pub fn binding_slug(owner: &str, path: &str, n: u32) -> String {
    let leaf = path.replace('/', "-");
    match n {
        0 | 1 => format!("{owner}-{leaf}"),
        n => format!("{owner}-{leaf}-{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_are_named_after_owner_and_calendar_and_need_read() {
        assert_eq!(binding_slug("ann", "work", 1), "ann-work");
        assert_eq!(binding_slug("ann", "team/work", 3), "ann-team-work-3");
        assert!(!keeps_binding(None));
        assert!(!keeps_binding(Some(Privilege::FreeBusy)));
        assert!(keeps_binding(Some(Privilege::Read)));
        assert!(keeps_binding(Some(Privilege::Admin)));
    }
}
