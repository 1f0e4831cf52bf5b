//! The plaintext `config` file: marks a directory as a calvault backup repository and says
//! which format version it uses, so that a future format is refused rather than misread.

use std::path::Path;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{Error, Result};
use crate::files;
use crate::hex;
use crate::time;

pub(crate) const FORMAT_NAME: &str = "calvault-backup";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Config {
    pub(crate) format: String,
    pub(crate) version: u32,
    /// Random; tells repositories apart (e.g. in logs), never secret.
    pub(crate) id: String,
    pub(crate) created: String,
}

impl Config {
    pub(crate) fn new() -> Result<Config> {
        let id: [u8; 16] = crypto::random_bytes()?;
        Ok(Config {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            id: hex::encode(&id),
            created: time::format(&Utc::now()),
        })
    }

    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self).map_err(|e| Error::Encode {
            what: "config",
            detail: e.to_string(),
        })
    }

    /// Reads and checks `PATH/config`: a missing or foreign file means "not a repository",
    /// another version means "unsupported", checked before the rest of the shape so that a
    /// future version with other fields still gets the clear message.
    pub(crate) fn load(root: &Path) -> Result<Config> {
        let not_repo = || Error::NotARepository(root.to_path_buf());
        let path = root.join(files::CONFIG);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_repo()),
            Err(e) => return Err(Error::Io { path, source: e }),
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| not_repo())?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT_NAME) {
            return Err(not_repo());
        }
        let version = value
            .get("version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| Error::corrupt(files::CONFIG, "it has no version number"))?;
        if version != u64::from(FORMAT_VERSION) {
            return Err(Error::UnsupportedVersion(
                u32::try_from(version).unwrap_or(u32::MAX),
            ));
        }
        serde_json::from_value(value).map_err(|e| Error::corrupt(files::CONFIG, e.to_string()))
    }
}
