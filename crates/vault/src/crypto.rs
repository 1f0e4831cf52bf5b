//! The repository's cryptography in one place: the master key, the sealed-box format
//! (`nonce || XChaCha20-Poly1305(plaintext)`), zstd compression and randomness. Nothing else
//! in the crate touches a cipher directly, so the byte format documented in
//! docs/backup-format.md is defined here.

use std::fmt;
use std::io::Read;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::error::{Error, Result};
use crate::id::BlobId;

pub(crate) const KEY_LEN: usize = 32;
pub(crate) const NONCE_LEN: usize = 24;
pub(crate) const TAG_LEN: usize = 16;
/// Bytes a sealed box adds to its plaintext.
pub(crate) const SEAL_OVERHEAD: usize = NONCE_LEN + TAG_LEN;
/// zstd level for everything compressed: fast, and calendar text compresses well at 3.
const ZSTD_LEVEL: i32 = 3;

/// The secret behind a repository: one key seals everything, the other keys blob ids.
/// Separate keys so that knowing an id never helps against the cipher, and random (not
/// derived from the passphrase) so that the passphrase can change without re-encrypting.
#[derive(Clone)]
pub(crate) struct MasterKey {
    pub(crate) encryption: [u8; KEY_LEN],
    pub(crate) id: [u8; KEY_LEN],
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub(crate) fn generate() -> Result<MasterKey> {
        Ok(MasterKey {
            encryption: random_bytes()?,
            id: random_bytes()?,
        })
    }

    /// The 64 bytes stored (sealed) in key files: encryption key, then id key.
    pub(crate) fn to_bytes(&self) -> [u8; 2 * KEY_LEN] {
        let mut out = [0u8; 2 * KEY_LEN];
        out[..KEY_LEN].copy_from_slice(&self.encryption);
        out[KEY_LEN..].copy_from_slice(&self.id);
        out
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<MasterKey> {
        if bytes.len() != 2 * KEY_LEN {
            return None;
        }
        let encryption = bytes[..KEY_LEN].try_into().ok()?;
        let id = bytes[KEY_LEN..].try_into().ok()?;
        Some(MasterKey { encryption, id })
    }

    pub(crate) fn blob_id(&self, plaintext: &[u8]) -> BlobId {
        BlobId(*blake3::keyed_hash(&self.id, plaintext).as_bytes())
    }

    /// Compresses, then seals: the form of every blob, pack header, index and snapshot.
    pub(crate) fn seal_compressed(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        seal(&self.encryption, &compress(plaintext)?, aad)
    }

    /// Opens and decompresses; the output may not exceed `limit` bytes. The error text says
    /// which step failed (tag or compression), for verify's reports.
    pub(crate) fn open_compressed(
        &self,
        sealed: &[u8],
        aad: &[u8],
        limit: u64,
    ) -> std::result::Result<Vec<u8>, String> {
        let compressed = open(&self.encryption, sealed, aad)
            .ok_or_else(|| "authentication tag does not match (damaged or altered)".to_string())?;
        decompress(&compressed, limit)
    }
}

/// Fills an array from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).map_err(|e| Error::Random(e.to_string()))?;
    Ok(out)
}

/// `nonce (24 random bytes) || ciphertext || tag (16)`. A random 192-bit nonce never repeats
/// in practice, so one key can seal every file of a repository.
pub(crate) fn seal(key: &[u8; KEY_LEN], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|e| Error::Crypto(e.to_string()))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Opens a box made by [`seal`]; `None` when it is too short or its tag does not verify.
pub(crate) fn open(key: &[u8; KEY_LEN], sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < SEAL_OVERHEAD {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

pub(crate) fn compress(data: &[u8]) -> Result<Vec<u8>> {
    zstd::bulk::compress(data, ZSTD_LEVEL).map_err(|e| Error::Encode {
        what: "data (zstd)",
        detail: e.to_string(),
    })
}

/// Streams the decompression so a bad length field cannot make us allocate gigabytes, and
/// refuses output beyond `limit`.
pub(crate) fn decompress(data: &[u8], limit: u64) -> std::result::Result<Vec<u8>, String> {
    let decoder =
        zstd::stream::read::Decoder::with_buffer(data).map_err(|e| format!("zstd decoder: {e}"))?;
    let mut out = Vec::new();
    decoder
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("zstd data is damaged: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "decompresses to more than the expected {limit} bytes"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal_compressed(b"hello hello hello", b"aad").unwrap();
        assert_eq!(
            key.open_compressed(&sealed, b"aad", 100).unwrap(),
            b"hello hello hello"
        );
        assert!(key.open_compressed(&sealed, b"other", 100).is_err());
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(key.open_compressed(&bad, b"aad", 100).is_err());
        assert!(key.open_compressed(&sealed, b"aad", 5).is_err());
        let round = MasterKey::from_bytes(&key.to_bytes()).unwrap();
        assert_eq!(round.blob_id(b"x"), key.blob_id(b"x"));
    }
}
