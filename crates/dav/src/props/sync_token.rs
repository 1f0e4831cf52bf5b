//! Sync tokens (RFC 6578 §3.2): the URI a collection's `DAV:sync-token` property and every
//! sync-collection answer carry, and that a sync-collection request hands back. It names the
//! collection and its change-log sequence number, so every token ever handed out stays valid.

use store::{Collection, CollectionId};

use crate::quirks;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncToken {
    pub collection: CollectionId,
    /// The collection's sequence number when the token was handed out.
    pub seq: i64,
}

impl SyncToken {
    /// The token for a collection's current state.
    pub fn of(collection: &Collection) -> Self {
        SyncToken {
            collection: collection.id,
            seq: collection.sync_seq,
        }
    }

    pub fn uri(&self) -> String {
        format!(
            "{}{}-{}",
            quirks::SYNC_TOKEN_PREFIX,
            self.collection,
            self.seq
        )
    }

    /// The token a URI names, or None when it is not one of this server's.
    pub fn parse(uri: &str) -> Option<Self> {
        let rest = uri.strip_prefix(quirks::SYNC_TOKEN_PREFIX)?;
        let (id, seq) = rest.split_once('-')?;
        Some(SyncToken {
            collection: id.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_as_itself_and_foreign_uris_are_not_tokens() {
        let token = SyncToken {
            collection: 12,
            seq: 34,
        };
        assert_eq!(token.uri(), "http://calvault.org/ns/sync/12-34");
        assert_eq!(SyncToken::parse(&token.uri()), Some(token));
        for foreign in [
            "",
            "12-34",
            "http://calvault.org/ns/sync/12",
            "http://calvault.org/ns/sync/x-1",
            "http://example.org/ns/sync/12-34",
        ] {
            assert_eq!(SyncToken::parse(foreign), None, "{foreign}");
        }
    }
}
