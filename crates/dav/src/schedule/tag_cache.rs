//! Schedule-Tags already computed, by the bytes they were computed from.
//!
//! A tag is a function of the stored calendar data alone, but computing it parses the whole
//! object: paid on every GET of a meeting and on every object of a multiget that asks for
//! `schedule-tag` (DAVx5 always does). The key is the bytes' BLAKE3 hash (what ETags are
//! made of, so no object can be made to collide with another); the map is cleared when
//! full, which bounds its memory without bookkeeping per entry.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

/// At most this many tags are kept (each about 100 bytes with its key).
const ENTRIES: usize = 16_384;

static TAGS: LazyLock<Mutex<HashMap<[u8; 32], Option<String>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The tag of `data`, computed by `compute` only the first time these bytes are seen.
pub fn cached(data: &[u8], compute: impl FnOnce(&[u8]) -> Option<String>) -> Option<String> {
    let key = *blake3::hash(data).as_bytes();
    let lock = || TAGS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(hit) = lock().get(&key) {
        return hit.clone();
    }
    let tag = compute(data);
    let mut tags = lock();
    if tags.len() >= ENTRIES {
        tags.clear();
    }
    tags.insert(key, tag.clone());
    tag
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_are_computed_once_and_other_bytes_anew() {
        let mut calls = 0;
        let mut tag_of = |data: &[u8]| {
            cached(data, |d| {
                calls += 1;
                Some(format!("{}", d.len()))
            })
        };
        let a = b"tag-cache test object a".as_slice();
        let b = b"tag-cache test object bb".as_slice();
        assert_eq!(tag_of(a).as_deref(), Some("23"));
        assert_eq!(tag_of(a).as_deref(), Some("23"));
        assert_eq!(tag_of(b).as_deref(), Some("24"));
        assert_eq!(calls, 2);
    }
}
