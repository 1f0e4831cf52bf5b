//! The snapshot tree: account -> calendars -> objects. Trees are JSON stored as Tree blobs,
//! so each tree's id is the keyed hash of its bytes and names its children by their ids:
//! reading a tree through its id checks the whole subtree (a Merkle tree).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::BlobId;
use crate::repo::Repo;
use crate::snapshot::Snapshot;
use crate::writer::PackWriter;

/// The root of a snapshot: one entry per calendar.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountTree {
    pub calendars: Vec<CalendarRef>,
}

/// A calendar as the root tree names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarRef {
    pub href: String,
    pub name: String,
    /// The [`CalendarTree`] blob.
    pub tree: BlobId,
    pub objects: u64,
}

/// A calendar's properties, as far as restoring it needs them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalendarProps {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub displayname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The calendar's VTIMEZONE text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Supported component names (VEVENT, VTODO, ...).
    pub components: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// Other dead properties, by `{namespace}name`.
    pub other: BTreeMap<String, String>,
}

/// One calendar in a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarTree {
    /// As on the source server, e.g. `/dav/calendars/ann/work/`.
    pub href: String,
    /// Last path segment, used to pick a calendar on the command line.
    pub name: String,
    pub props: CalendarProps,
    pub sync_token: Option<String>,
    pub ctag: Option<String>,
    /// Sorted by href. Stored in [`ObjectChunk`]s named by `chunks`; a calendar tree
    /// read back has them all here again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ObjectEntry>,
    /// The chunks holding `objects`, in order. Stored through `groups`; a calendar tree
    /// read back lists every chunk here (prune and verify walk them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<ChunkRef>,
    /// The [`ChunkGroup`]s naming the chunks, in order: a second level, so a run's new
    /// calendar node stays small however many chunks a large calendar has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<ChunkRef>,
    /// Who the calendar was shared with on the source server (its owner's view), for
    /// `restore --with-shares`. Left out when it was shared with no one, so trees of
    /// unshared calendars keep their bytes and ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sharees: Vec<Sharee>,
}

/// Someone a calendar was shared with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sharee {
    /// As the source server named them: `mailto:` or a principal's URL path.
    pub href: String,
    pub read_write: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
}

/// A run of a calendar's chunk references, stored as its own Tree blob.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkGroup {
    pub chunks: Vec<ChunkRef>,
}

/// A run of a calendar's objects, stored as its own Tree blob so that a few changes in a
/// large calendar rewrite a few chunks rather than the whole object list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectChunk {
    pub objects: Vec<ObjectEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRef {
    pub tree: BlobId,
    pub objects: u64,
}

/// A chunk ends after an object whose href hashes to 0 modulo this (so about this many
/// objects per chunk). Boundaries depend on the hrefs alone, not on positions: adding or
/// removing an object changes only the chunk it falls in.
const CHUNK_SPACING: u32 = 16;
/// No chunk grows past this many objects, whatever the hrefs hash to.
const CHUNK_MAX: usize = 64;

fn ends_chunk(href: &str) -> bool {
    let hash = blake3::hash(href.as_bytes());
    let b = hash.as_bytes();
    u32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_multiple_of(CHUNK_SPACING)
}

/// A group ends after a chunk whose blob id, read the same way, is a multiple of this (or
/// at `CHUNK_MAX` chunks): a changed chunk moves at most its own group's boundaries.
fn ends_group(chunk: &BlobId) -> bool {
    let b = chunk.0;
    u32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_multiple_of(CHUNK_SPACING)
}

/// One calendar object: where it was, what it was, and its bytes' blob.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectEntry {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    pub blob: BlobId,
    pub size: u64,
}

impl Repo {
    /// Stores a calendar tree: its objects in chunks, then the calendar's own node.
    pub fn save_calendar(writer: &mut PackWriter<'_>, tree: &CalendarTree) -> Result<BlobId> {
        let mut chunks = Vec::new();
        let mut current = ObjectChunk::default();
        for (i, object) in tree.objects.iter().enumerate() {
            current.objects.push(object.clone());
            let last = i + 1 == tree.objects.len();
            if last || ends_chunk(&object.href) || current.objects.len() >= CHUNK_MAX {
                chunks.push(ChunkRef {
                    tree: writer.add_tree(&current)?,
                    objects: current.objects.len() as u64,
                });
                current = ObjectChunk::default();
            }
        }
        let mut groups = Vec::new();
        let mut current = ChunkGroup::default();
        for (i, chunk) in chunks.iter().enumerate() {
            current.chunks.push(chunk.clone());
            let last = i + 1 == chunks.len();
            if last || ends_group(&chunk.tree) || current.chunks.len() >= CHUNK_MAX {
                groups.push(ChunkRef {
                    tree: writer.add_tree(&current)?,
                    objects: current.chunks.iter().map(|c| c.objects).sum(),
                });
                current = ChunkGroup::default();
            }
        }
        let node = CalendarTree {
            objects: Vec::new(),
            chunks: Vec::new(),
            groups,
            ..tree.clone()
        };
        writer.add_tree(&node)
    }

    /// Stores a tree as a Tree blob (same as [`PackWriter::add_tree`]).
    pub fn save_tree<T: Serialize>(writer: &mut PackWriter<'_>, tree: &T) -> Result<BlobId> {
        writer.add_tree(tree)
    }

    /// Reads a tree blob (its id is checked) and parses its JSON.
    pub fn read_tree<T: DeserializeOwned>(&self, id: &BlobId) -> Result<T> {
        let bytes = self.read_blob(id)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::corrupt(
                format!("tree {id}"),
                format!("not the expected tree JSON: {e}"),
            )
        })
    }

    /// Reads a snapshot's root tree and every calendar tree, checking every id on the way,
    /// and returns the root.
    pub fn load_tree(&self, snapshot: &Snapshot) -> Result<AccountTree> {
        Ok(self.load_calendars(snapshot)?.0)
    }

    /// The root tree and every calendar tree (in the root's order), each checked against
    /// its id and against what the root says about it.
    pub fn load_calendars(&self, snapshot: &Snapshot) -> Result<(AccountTree, Vec<CalendarTree>)> {
        let root: AccountTree = self.read_tree(&snapshot.root)?;
        let mut calendars = Vec::with_capacity(root.calendars.len());
        for calendar in &root.calendars {
            calendars.push(self.load_calendar(calendar)?);
        }
        Ok((root, calendars))
    }

    /// One calendar tree, checked against its reference in the root tree.
    pub fn load_calendar(&self, calendar: &CalendarRef) -> Result<CalendarTree> {
        let mut tree: CalendarTree = self.read_tree(&calendar.tree)?;
        for group in &tree.groups {
            let part: ChunkGroup = self.read_tree(&group.tree)?;
            let objects: u64 = part.chunks.iter().map(|c| c.objects).sum();
            if objects != group.objects {
                return Err(Error::corrupt(
                    format!("tree {}", group.tree),
                    format!(
                        "the group's chunks hold {objects} objects, its calendar says {}",
                        group.objects
                    ),
                ));
            }
            tree.chunks.extend(part.chunks);
        }
        for chunk in &tree.chunks {
            let part: ObjectChunk = self.read_tree(&chunk.tree)?;
            if part.objects.len() as u64 != chunk.objects {
                return Err(Error::corrupt(
                    format!("tree {}", chunk.tree),
                    format!(
                        "the chunk holds {} objects, its calendar says {}",
                        part.objects.len(),
                        chunk.objects
                    ),
                ));
            }
            tree.objects.extend(part.objects);
        }
        if tree.href != calendar.href || tree.objects.len() as u64 != calendar.objects {
            return Err(Error::corrupt(
                format!("tree {}", calendar.tree),
                format!(
                    "calendar tree says {} with {} objects, the root says {} with {}",
                    tree.href,
                    tree.objects.len(),
                    calendar.href,
                    calendar.objects
                ),
            ));
        }
        Ok(tree)
    }
}
