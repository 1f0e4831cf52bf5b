//! Server configuration: defaults, then a TOML file, then `CALVAULT_*` environment
//! variables, then command-line flags (applied by the binary), each overriding the last.

use std::path::PathBuf;

use serde::Deserialize;

/// Every key of the config file; the environment variable of a key is `CALVAULT_` followed
/// by the key in upper case (e.g. `CALVAULT_LISTEN`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// Directory of the embedded SQLite store.
    pub data: PathBuf,
    /// A `postgres://user:password@host:port/dbname` URL puts the store in PostgreSQL
    /// (several nodes may share it) instead of SQLite under `data`.
    pub database: Option<String>,
    /// PEM certificate chain and private key: both set turns on HTTPS (and HTTP/2).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// error, warn, info, debug or trace.
    pub log_level: String,
    /// "text" (lines for people) or "json" (one JSON object per line, for log collectors).
    pub log_format: String,
    /// The request line in text logs: "calvault" or "common" (Apache Common Log Format).
    pub access_log_format: String,
    /// Address of a listener that serves only `/metrics`, `/healthz` and `/readyz`; unset,
    /// the main listener serves `/metrics` to loopback addresses only.
    pub metrics_listen: Option<String>,
    /// Largest request body accepted, in bytes (413 beyond).
    pub max_request_body: u64,
    /// Largest calendar object, in bytes (`dav::Limits::max_resource_size`).
    pub max_resource_size: u64,
    /// Most instances one recurrence expansion may produce (`dav::Limits::max_instances`).
    pub max_instances: u32,
    /// Most hrefs in one calendar-multiget (`dav::Limits::max_multiget_hrefs`).
    pub max_multiget_hrefs: usize,
    /// Most attendees one meeting may invite (`dav::Limits::max_attendees`).
    pub max_attendees: usize,
    /// Most messages a scheduling inbox keeps (`dav::Limits::max_inbox_items`).
    pub max_inbox_items: u64,
    /// Quota for users without their own, in bytes; unset means unlimited
    /// (`dav::Limits::default_quota`).
    pub default_quota: Option<u64>,
    /// Seconds a client may take to send request headers (also the keep-alive idle limit).
    pub header_timeout_secs: u64,
    /// Seconds a request may take from headers to response.
    pub request_timeout_secs: u64,
    /// Seconds a successful login is remembered, so a client's every-request Basic header
    /// does not cost an Argon2 verification each time.
    pub auth_cache_secs: u64,
    /// Failed logins of one user from one address within a minute before that user's
    /// password attempts are throttled (docs/security.md); ten times as many from all
    /// addresses together do the same.
    pub auth_max_failures: u32,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Days the data of replaced versions is kept in the history; unset keeps everything.
    /// The current state of every event and every sync token are never affected.
    pub history_retention_days: Option<u32>,
    /// Hours between background checks of every history chain and every served object
    /// against its history; 0 turns the check off.
    pub verify_interval_hours: u64,
    /// Longest WebDAV lock granted, in seconds (`dav::Limits::max_lock_timeout_secs`).
    pub max_lock_timeout_secs: u64,
    /// Merge a PUT whose If-Match names an older version with what changed since, instead
    /// of refusing it with 412, when the edits touch different properties (a calendar's
    /// own `merge-concurrent-edits` property overrides this; docs/locks-and-merging.md).
    pub merge_concurrent_edits: bool,
    /// Whom principal searches and listings show: "all" users, those in a user's "groups"
    /// and sharing with them, or "none" but the user (docs/sharing.md).
    pub principal_search: PrincipalSearch,
    /// "auto": a calendar shared with a user shows in their home at once; "invite": once
    /// they accept (docs/sharing.md).
    pub sharing_accept: SharingAccept,
    /// The mail relay through which attendees elsewhere get their invitations (iMIP,
    /// docs/scheduling.md): a `[smtp]` table, file only. Without it they get
    /// SCHEDULE-STATUS 3.7 and no e-mail.
    pub smtp: Option<imip::SmtpConfig>,
}

/// The `principal_search` key (`dav::PrincipalSearch`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalSearch {
    All,
    #[default]
    Groups,
    None,
}

/// The `sharing_accept` key (`dav::SharingAccept`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum SharingAccept {
    #[default]
    Auto,
    Invite,
}

impl Default for Config {
    /// The engine's limits default to `dav::Limits::default()`, where each is explained.
    fn default() -> Self {
        let limits = dav::Limits::default();
        Config {
            listen: "127.0.0.1:5232".into(),
            data: PathBuf::from("./calvault-data"),
            database: None,
            tls_cert: None,
            tls_key: None,
            log_level: "info".into(),
            log_format: "text".into(),
            access_log_format: "calvault".into(),
            metrics_listen: None,
            max_request_body: 20 * 1024 * 1024,
            max_resource_size: limits.max_resource_size,
            max_instances: limits.max_instances,
            max_multiget_hrefs: limits.max_multiget_hrefs,
            max_attendees: limits.max_attendees,
            max_inbox_items: limits.max_inbox_items,
            default_quota: limits.default_quota,
            header_timeout_secs: 30,
            request_timeout_secs: 300,
            auth_cache_secs: 60,
            auth_max_failures: 10,
            shutdown_grace_secs: 30,
            history_retention_days: None,
            verify_interval_hours: 24,
            max_lock_timeout_secs: limits.max_lock_timeout_secs,
            merge_concurrent_edits: false,
            principal_search: PrincipalSearch::default(),
            sharing_accept: SharingAccept::default(),
            smtp: None,
        }
    }
}

const KEYS: &[&str] = &[
    "listen",
    "data",
    "database",
    "tls_cert",
    "tls_key",
    "log_level",
    "log_format",
    "access_log_format",
    "metrics_listen",
    "max_request_body",
    "max_resource_size",
    "max_instances",
    "max_multiget_hrefs",
    "max_attendees",
    "max_inbox_items",
    "default_quota",
    "header_timeout_secs",
    "request_timeout_secs",
    "auth_cache_secs",
    "auth_max_failures",
    "shutdown_grace_secs",
    "history_retention_days",
    "verify_interval_hours",
    "max_lock_timeout_secs",
    "merge_concurrent_edits",
    "principal_search",
    "sharing_accept",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// Loads defaults, the optional file, then the environment (`env` gives variables).
    pub fn load(
        file: Option<&std::path::Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str::<toml::Table>(&text).map_err(|e| ConfigError::Invalid {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?
            }
            None => toml::Table::new(),
        };
        for key in KEYS {
            let var = format!("CALVAULT_{}", key.to_ascii_uppercase());
            if let Some(value) = env(&var) {
                table.insert((*key).to_owned(), env_value(&value));
            }
        }
        let source = file
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(environment)".into());
        Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Invalid {
            path: source,
            message: e.to_string(),
        })
    }

    /// `serve`'s flags, which override the file and the environment: the address, the
    /// certificate and key (given together), the log level.
    pub fn apply_flags(
        &mut self,
        listen: Option<String>,
        tls: Option<(PathBuf, PathBuf)>,
        log_level: Option<String>,
    ) {
        if let Some(listen) = listen {
            self.listen = listen;
        }
        if let Some((cert, key)) = tls {
            self.tls_cert = Some(cert);
            self.tls_key = Some(key);
        }
        if let Some(level) = log_level {
            self.log_level = level;
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data.join("calvault.db")
    }
}

/// Environment values are strings; numbers and booleans are recognised so that
/// `CALVAULT_MAX_INSTANCES=500` means the number.
fn env_value(raw: &str) -> toml::Value {
    if let Ok(n) = raw.parse::<i64>() {
        return toml::Value::Integer(n);
    }
    match raw {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(raw.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "listen = \"0.0.0.0:8000\"\nmax_instances = 5\n").unwrap();
        let env = |k: &str| (k == "CALVAULT_MAX_INSTANCES").then(|| "7".to_owned());
        let c = Config::load(Some(&path), env).unwrap();
        assert_eq!(c.listen, "0.0.0.0:8000");
        assert_eq!(c.max_instances, 7);
        assert_eq!(c.log_level, "info");
        assert!(!c.merge_concurrent_edits, "merging is off unless asked for");
        let env = |k: &str| (k == "CALVAULT_MERGE_CONCURRENT_EDITS").then(|| "true".to_owned());
        assert!(Config::load(None, env).unwrap().merge_concurrent_edits);
    }

    #[test]
    fn the_database_url_comes_from_the_file_or_the_environment() {
        assert_eq!(Config::load(None, |_| None).unwrap().database, None);
        let url = "postgres://cal:pw@db.internal:5432/calvault";
        let env = |k: &str| (k == "CALVAULT_DATABASE").then(|| url.to_owned());
        assert_eq!(
            Config::load(None, env).unwrap().database.as_deref(),
            Some(url)
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, format!("database = \"{url}\"\n")).unwrap();
        let c = Config::load(Some(&path), |_| None).unwrap();
        assert_eq!(c.database.as_deref(), Some(url));
    }

    #[test]
    fn unknown_keys_and_bad_types_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        let err = Config::load(Some(&path), |_| None).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
        let err = Config::load(None, |k| {
            (k == "CALVAULT_MAX_INSTANCES").then(|| "many".to_owned())
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("max_instances"), "{err}");
    }

    #[test]
    fn the_smtp_table_is_read_from_the_file_with_its_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        assert_eq!(Config::load(None, |_| None).unwrap().smtp, None);
        let text = "[smtp]\nurl = \"smtp://127.0.0.1:2525?tls=none\"\nfrom = \"cal@example.org\"\n";
        std::fs::write(&path, text).unwrap();
        let smtp = Config::load(Some(&path), |_| None).unwrap().smtp.unwrap();
        assert_eq!(
            (smtp.url.as_str(), smtp.from.as_str()),
            ("smtp://127.0.0.1:2525?tls=none", "cal@example.org")
        );
        assert!(smtp.max_attempts > 1, "retries unless told otherwise");
        std::fs::write(
            &path,
            "[smtp]\nurl = \"smtp://h\"\nfrom = \"a@b\"\nport = 25\n",
        )
        .unwrap();
        let err = Config::load(Some(&path), |_| None).unwrap_err().to_string();
        assert!(err.contains("port"), "{err}");
    }
}
