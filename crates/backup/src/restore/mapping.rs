//! `--calendar A[:B]`: which source calendars a restore writes, and under which name.

use super::SourceCalendar;
use crate::error::{Error, Result};

/// Source calendar A (URL name or display name) into target calendar B.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub source: String,
    pub target: String,
}

impl Mapping {
    /// `A[:B]`; `A` and `A:` keep the name.
    pub fn parse(spec: &str) -> Mapping {
        let (source, target) = match spec.split_once(':') {
            Some((a, b)) if !b.is_empty() => (a, b),
            Some((a, _)) => (a, a),
            None => (spec, spec),
        };
        Mapping {
            source: source.to_owned(),
            target: target.to_owned(),
        }
    }

    fn names(&self, name: &str, displayname: Option<&str>) -> bool {
        self.source == name || Some(self.source.as_str()) == displayname
    }
}

/// Whether the mappings select a calendar (all do when there are none).
pub(super) fn selected(mappings: &[Mapping], name: &str, displayname: Option<&str>) -> bool {
    mappings.is_empty() || mappings.iter().any(|m| m.names(name, displayname))
}

/// Every mapping names a calendar the source has.
pub(super) fn check_all_named(mappings: &[Mapping], sources: &[SourceCalendar]) -> Result<()> {
    for mapping in mappings {
        if !sources
            .iter()
            .any(|s| mapping.names(&s.name, s.props.displayname.as_deref()))
        {
            return Err(Error::NotInSnapshot {
                name: mapping.source.clone(),
                available: sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(())
}

/// The target calendar name for a source calendar.
pub(super) fn target_name(mappings: &[Mapping], source: &SourceCalendar) -> String {
    mappings
        .iter()
        .find(|m| m.names(&source.name, source.props.displayname.as_deref()))
        .map_or_else(|| source.name.clone(), |m| m.target.clone())
}

/// No two source calendars go into one target calendar.
pub(super) fn check_distinct_targets(
    mappings: &[Mapping],
    sources: &[SourceCalendar],
) -> Result<()> {
    let mut targets: Vec<(String, &str)> = Vec::new();
    for source in sources {
        let name = target_name(mappings, source);
        if let Some((_, other)) = targets.iter().find(|(t, _)| *t == name) {
            return Err(Error::SameTarget {
                first: (*other).to_owned(),
                second: source.name.clone(),
                target: name,
            });
        }
        targets.push((name, &source.name));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_without_a_target_keeps_the_name() {
        let parsed = |s: &str| {
            let m = Mapping::parse(s);
            (m.source, m.target)
        };
        assert_eq!(parsed("work:office"), ("work".into(), "office".into()));
        assert_eq!(parsed("work"), ("work".into(), "work".into()));
        assert_eq!(parsed("work:"), ("work".into(), "work".into()));
    }
}
