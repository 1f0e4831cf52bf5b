//! One version as `calvault history show` and `GET /api/history/V` present it: its row,
//! and for a merged edit (docs/locks-and-merging.md) the four states a merge joins: the
//! base both edits started from, the version the edit was merged with ("theirs"), what the
//! client sent ("ours"), and the stored result.

use std::fmt::{self, Display, Formatter};

use serde_json::{json, Value};
use store::{Merge, Version};

use super::text::VersionText;
use super::view::version_json;

/// A version, with its merge's parents when it is a merge.
#[derive(Clone, Debug)]
pub struct Shown {
    pub version: Version,
    pub merge: Option<MergeView>,
}

/// The states a merged version joined.
#[derive(Clone, Debug)]
pub struct MergeView {
    pub merge: Merge,
    /// The versions the parents' ETags name, while the history holds them.
    pub base: Option<Version>,
    pub theirs: Option<Version>,
}

/// `v` with what its merge joined, looked up by the parents' ETags among its object's
/// versions.
pub async fn show(store: &dyn store::Store, v: Version) -> store::Result<Shown> {
    let Some(merge) = v.merge.clone() else {
        return Ok(Shown {
            version: v,
            merge: None,
        });
    };
    let base = store
        .version_with_etag(v.collection, &v.name, &merge.base)
        .await?;
    let theirs = store
        .version_with_etag(v.collection, &v.name, &merge.theirs)
        .await?;
    Ok(Shown {
        version: v,
        merge: Some(MergeView {
            merge,
            base,
            theirs,
        }),
    })
}

fn text(data: Option<&[u8]>) -> Option<String> {
    data.map(|d| String::from_utf8_lossy(d).into_owned())
}

impl Shown {
    /// `calvault history show --json`, `GET /api/history/V`: the version's fields, and for
    /// a merge `merge: {base, theirs, ours, result}`.
    pub fn to_json(&self) -> Value {
        let mut out = version_json(&self.version);
        if let Some(m) = &self.merge {
            let parent = |etag: &str, v: &Option<Version>| {
                json!({"etag": etag, "version": v.as_ref().map(|v| v.id),
                    "data": text(v.as_ref().and_then(|v| v.data.as_deref()))})
            };
            out["merge"] = json!({
                "base": parent(&m.merge.base, &m.base),
                "theirs": parent(&m.merge.theirs, &m.theirs),
                "ours": {"data": text(Some(&m.merge.ours))},
                "result": {"etag": self.version.etag,
                    "data": text(self.version.data.as_deref())},
            });
        }
        out
    }
}

impl Display for Shown {
    /// The version as [`VersionText`] shows it; a merge then shows its four states.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Some(m) = &self.merge else {
            return VersionText(&self.version).fmt(f);
        };
        let v = &self.version;
        writeln!(f, "version  {} (a merge of two edits)", v.id)?;
        writeln!(f, "time     {}", super::rfc3339(v.at))?;
        writeln!(f, "what     {} {}", v.kind.as_str(), v.name)?;
        writeln!(f, "author   {}", v.change.author)?;
        writeln!(f, "client   {}", v.change.client.as_deref().unwrap_or("-"))?;
        writeln!(f, "address  {}", v.change.address.as_deref().unwrap_or("-"))?;
        let named = |v: &Option<Version>| match v {
            Some(v) => format!("version {}", v.id),
            None => "no longer in the history".to_owned(),
        };
        writeln!(
            f,
            "base     \"{}\" ({}): what both edits started from",
            m.merge.base,
            named(&m.base)
        )?;
        writeln!(
            f,
            "theirs   \"{}\" ({}): the version the edit was merged with",
            m.merge.theirs,
            named(&m.theirs)
        )?;
        write!(f, "ours     what the client sent, stored with this version")?;
        let sections = [
            ("base", m.base.as_ref().and_then(|v| v.data.as_deref())),
            ("theirs", m.theirs.as_ref().and_then(|v| v.data.as_deref())),
            ("ours", Some(m.merge.ours.as_slice())),
            ("result", v.data.as_deref()),
        ];
        for (name, data) in sections {
            write!(f, "\n\n--- {name} ---\n")?;
            match data {
                Some(d) => write!(f, "{}", String::from_utf8_lossy(d).trim_end())?,
                None => write!(f, "(data dropped by history retention)")?,
            }
        }
        Ok(())
    }
}
