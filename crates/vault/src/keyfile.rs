//! Key files (`keys/<sha256>`): the master key sealed by a key derived from a passphrase with
//! Argon2id. Plaintext JSON so that the KDF parameters are readable before anything can be
//! decrypted; several key files may open the same repository.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::crypto::{self, MasterKey, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::error::{Error, Result};
use crate::hex;
use crate::time;

/// Associated data of the sealed master key: binds it to its purpose and format version.
const KEY_AAD: &[u8] = b"calvault key v1";
const SALT_LEN: usize = 32;
/// Argon2 version 0x13 (1.3), the only one written.
const ARGON2_VERSION: u32 = 0x13;
/// Environment variable that selects cheap KDF parameters for tests.
pub const TEST_KDF_ENV: &str = "CALVAULT_TEST_KDF";

/// Argon2id cost parameters, recorded in every key file so that opening always uses the
/// parameters the key was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// What real repositories use: 64 MiB, 3 passes, 1 lane (about a third of a second).
    pub const DEFAULT: KdfParams = KdfParams {
        m: 64 * 1024,
        t: 3,
        p: 1,
    };

    /// Cheap parameters for tests only: 8 MiB, 1 pass.
    pub const FAST: KdfParams = KdfParams {
        m: 8 * 1024,
        t: 1,
        p: 1,
    };

    /// [`KdfParams::FAST`] when `CALVAULT_TEST_KDF=fast` is set, otherwise the default.
    pub fn from_env() -> KdfParams {
        match std::env::var(TEST_KDF_ENV) {
            Ok(v) if v == "fast" => KdfParams::FAST,
            _ => KdfParams::DEFAULT,
        }
    }

    /// Limits for parameters read from a file: a damaged or hostile key file must not make
    /// us allocate terabytes or spin for hours.
    fn plausible(&self) -> bool {
        (8..=4 * 1024 * 1024).contains(&self.m)
            && (1..=100).contains(&self.t)
            && (1..=64).contains(&self.p)
    }
}

/// The JSON of a key file.
#[derive(Serialize, Deserialize)]
struct KeyFileJson {
    kdf: String,
    argon2_version: u32,
    m: u32,
    t: u32,
    p: u32,
    salt: String,
    nonce: String,
    sealed: String,
    created: String,
}

fn derive(params: KdfParams, passphrase: &str, salt: &[u8]) -> Result<[u8; KEY_LEN]> {
    let argon_params = argon2::Params::new(params.m, params.t, params.p, Some(KEY_LEN))
        .map_err(|e| Error::Kdf(e.to_string()))?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut out = [0u8; KEY_LEN];
    argon
        .hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| Error::Kdf(e.to_string()))?;
    Ok(out)
}

/// The bytes of a new key file sealing `master` under `passphrase`.
pub(crate) fn create(params: KdfParams, passphrase: &str, master: &MasterKey) -> Result<Vec<u8>> {
    let salt: [u8; SALT_LEN] = crypto::random_bytes()?;
    let wrapping = derive(params, passphrase, &salt)?;
    let sealed = crypto::seal(&wrapping, &master.to_bytes(), KEY_AAD)?;
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let json = KeyFileJson {
        kdf: "argon2id".into(),
        argon2_version: ARGON2_VERSION,
        m: params.m,
        t: params.t,
        p: params.p,
        salt: hex::encode(&salt),
        nonce: hex::encode(nonce),
        sealed: hex::encode(ciphertext),
        created: time::format(&Utc::now()),
    };
    serde_json::to_vec_pretty(&json).map_err(|e| Error::Encode {
        what: "key file",
        detail: e.to_string(),
    })
}

/// Tries a passphrase on a key file. `Err` (with a reason) when the file itself is not a
/// valid key file, `Ok(None)` when it is valid but the passphrase is not the right one.
pub(crate) fn unlock(
    bytes: &[u8],
    passphrase: &str,
) -> std::result::Result<Option<MasterKey>, String> {
    let json: KeyFileJson =
        serde_json::from_slice(bytes).map_err(|e| format!("not a key file: {e}"))?;
    if json.kdf != "argon2id" || json.argon2_version != ARGON2_VERSION {
        return Err(format!(
            "unknown key derivation {} version {}",
            json.kdf, json.argon2_version
        ));
    }
    let params = KdfParams {
        m: json.m,
        t: json.t,
        p: json.p,
    };
    if !params.plausible() {
        return Err(format!("implausible Argon2id parameters {params:?}"));
    }
    let salt = hex::decode(&json.salt)
        .filter(|s| s.len() >= 8)
        .ok_or("salt is not hex of at least 8 bytes")?;
    let nonce = hex::decode(&json.nonce)
        .filter(|n| n.len() == NONCE_LEN)
        .ok_or("nonce is not 24 bytes of hex")?;
    let ciphertext = hex::decode(&json.sealed)
        .filter(|c| c.len() == 2 * KEY_LEN + TAG_LEN)
        .ok_or("sealed key is not 80 bytes of hex")?;
    let wrapping = derive(params, passphrase, &salt).map_err(|e| e.to_string())?;
    let mut sealed = nonce;
    sealed.extend_from_slice(&ciphertext);
    Ok(crypto::open(&wrapping, &sealed, KEY_AAD).and_then(|plain| MasterKey::from_bytes(&plain)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn wrap_unwrap() {
        let master = MasterKey::generate().unwrap();
        let file = create(KdfParams::FAST, "secret", &master).unwrap();
        let opened = unlock(&file, "secret").unwrap().unwrap();
        assert_eq!(opened.to_bytes(), master.to_bytes());
        assert!(unlock(&file, "wrong").unwrap().is_none());
        assert!(unlock(b"{}", "secret").is_err());
        let text = String::from_utf8(file).unwrap();
        assert!(text.contains("\"m\": 8192"));
    }
}
