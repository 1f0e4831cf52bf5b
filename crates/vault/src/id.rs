//! The 32-byte identifiers of the repository: blob ids (keyed BLAKE3 of a blob's plaintext),
//! snapshot ids and pack ids (SHA-256 of a file's bytes, which is also the file's name).
//! All print as 64 lower-case hex digits and serialize as that string in JSON.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::hex;

/// Text that is not an id: not 64 hex digits. Its own type, so that ids (which errors
/// name) do not depend on the crate's error type; [`crate::Error::BadId`] wraps it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a 64-digit hex id")]
pub struct InvalidId(pub String);

macro_rules! hash_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The full id as 64 hex digits.
            pub fn to_hex(self) -> String {
                hex::encode(&self.0)
            }

            /// The first 8 hex digits: enough to tell ids apart in listings.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..4])
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                hex::decode_32(s).map($name).ok_or_else(|| InvalidId(s.to_string()))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hash_id!(
    /// A blob's id: BLAKE3 keyed with the repository's id key over the blob's plaintext.
    /// Keyed so that ids reveal nothing about content to someone without the key, and
    /// checked on every read, which makes the snapshot trees a Merkle tree.
    BlobId
);

hash_id!(
    /// A snapshot's id: the SHA-256 of its (sealed) file, which is also the file's name.
    SnapshotId
);

hash_id!(
    /// A pack's id: the SHA-256 of the pack file, which is also the file's name.
    PackId
);

/// SHA-256 of some bytes: the name of every content-addressed file in the repository.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn display_parse_serde() {
        let id = BlobId([0xab; 32]);
        assert_eq!(id.to_string(), "ab".repeat(32));
        assert_eq!(id.short(), "abababab");
        assert_eq!(id.to_string().parse::<BlobId>().unwrap(), id);
        assert!("xyz".parse::<BlobId>().is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<BlobId>(&json).unwrap(), id);
    }
}
