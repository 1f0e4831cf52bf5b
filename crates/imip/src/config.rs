//! The `[smtp]` section of the server's configuration: the relay, how to reach it, who the
//! messages are from, and the retry schedule.
//!
//! ```toml
//! [smtp]
//! url = "smtp://mail.example.org:587"   # STARTTLS (required); smtps://host:465 for TLS
//! from = "calendar@example.org"
//! username = "calendar@example.org"
//! password_file = "/etc/calvault/smtp-password"
//! ```
//!
//! `smtp://host:port?tls=none` speaks plain SMTP, for a relay on the same machine only.

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use serde::Deserialize;
use store::rules::mail::Backoff;

use crate::ImipError;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// `smtp://HOST[:PORT]` (STARTTLS, port 587 unless given), `smtps://HOST[:PORT]` (TLS
    /// from the start, port 465), `?tls=none` for plain SMTP to a local relay (port 25).
    pub url: String,
    /// The address messages are From (the organizer's name shown with it; replies go to
    /// the organizer through Reply-To).
    pub from: String,
    /// Sign in to the relay as this user (with `password` or `password_file`).
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// A file holding the password (its first line), kept out of the config file.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Seconds before the first retry of a message the relay did not take; each next
    /// retry waits twice as long, up to `retry_max_secs`.
    #[serde(default = "defaults::retry_first_secs")]
    pub retry_first_secs: u64,
    #[serde(default = "defaults::retry_max_secs")]
    pub retry_max_secs: u64,
    /// Attempts before a message is given up (SCHEDULE-STATUS 5.1 on the organizer's copy).
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    /// Seconds between two looks at the outbox for messages that are due.
    #[serde(default = "defaults::poll_secs")]
    pub poll_secs: u64,
    /// Seconds one SMTP command may take before the attempt counts as failed.
    #[serde(default = "defaults::timeout_secs")]
    pub timeout_secs: u64,
}

mod defaults {
    use store::rules::mail::Backoff;

    pub fn retry_first_secs() -> u64 {
        (Backoff::default().first_ms / 1000).unsigned_abs()
    }
    pub fn retry_max_secs() -> u64 {
        (Backoff::default().max_ms / 1000).unsigned_abs()
    }
    pub fn max_attempts() -> u32 {
        Backoff::default().max_attempts
    }
    pub fn poll_secs() -> u64 {
        10
    }
    pub fn timeout_secs() -> u64 {
        60
    }
}

/// How the relay is reached, from [`SmtpConfig::url`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`smtps://`, RFC 8314).
    Tls,
    /// STARTTLS, refusing a relay that does not offer it (`smtp://`, RFC 3207).
    StartTls,
    /// Plain SMTP (`?tls=none`): for a relay on this machine.
    None,
}

fn invalid(detail: impl std::fmt::Display) -> ImipError {
    ImipError::Config(detail.to_string())
}

impl SmtpConfig {
    pub fn endpoint(&self) -> Result<Endpoint, ImipError> {
        let uri: http::Uri = self
            .url
            .parse()
            .map_err(|e| invalid(format!("url {:?}: {e}", self.url)))?;
        let plain = match uri.query() {
            None => false,
            Some("tls=none") => true,
            Some(other) => {
                return Err(invalid(format!(
                    "url {:?}: unknown option {other:?} (only tls=none)",
                    self.url
                )))
            }
        };
        let (security, default_port) = match (uri.scheme_str(), plain) {
            (Some("smtps"), false) => (Security::Tls, 465),
            (Some("smtp"), false) => (Security::StartTls, 587),
            (Some("smtp"), true) => (Security::None, 25),
            _ => {
                return Err(invalid(format!(
                    "url {:?}: say smtp://HOST:PORT (STARTTLS), smtps://HOST:PORT (TLS) or \
                     smtp://HOST:PORT?tls=none",
                    self.url
                )))
            }
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid(format!("url {:?} names no host", self.url)))?;
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(invalid(
                "put the credentials in username and password_file, not in the url",
            ));
        }
        Ok(Endpoint {
            host: host.trim_matches(['[', ']']).to_owned(),
            port: uri.port_u16().unwrap_or(default_port),
            security,
        })
    }

    /// The password from `password` or the first line of `password_file`.
    fn password(&self) -> Result<Option<String>, ImipError> {
        match (&self.password, &self.password_file) {
            (Some(_), Some(_)) => Err(invalid("give password or password_file, not both")),
            (Some(p), None) => Ok(Some(p.clone())),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map(|t| Some(t.lines().next().unwrap_or("").to_owned()))
                .map_err(|e| invalid(format!("password_file {}: {e}", path.display()))),
            (None, None) => Ok(None),
        }
    }

    pub fn backoff(&self) -> Backoff {
        let ms = |secs: u64| i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        Backoff {
            first_ms: ms(self.retry_first_secs),
            max_ms: ms(self.retry_max_secs),
            max_attempts: self.max_attempts.max(1),
        }
    }

    pub fn poll(&self) -> Duration {
        Duration::from_secs(self.poll_secs.max(1))
    }

    /// The relay as lettre reaches it (connections are made per message).
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, ImipError> {
        let endpoint = self.endpoint()?;
        crate::message::mailbox(None, &self.from)
            .map_err(|e| invalid(format!("from {:?}: {e}", self.from)))?;
        let params = || TlsParameters::new(endpoint.host.clone()).map_err(invalid);
        let tls = match endpoint.security {
            Security::Tls => Tls::Wrapper(params()?),
            Security::StartTls => Tls::Required(params()?),
            Security::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&endpoint.host)
            .port(endpoint.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(self.timeout_secs.max(1))));
        match (&self.username, self.password()?) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password));
            }
            (None, None) => {}
            _ => return Err(invalid("username and a password go together")),
        }
        Ok(builder.build())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config(url: &str) -> SmtpConfig {
        toml::from_str(&format!("url = {url:?}\nfrom = \"cal@example.org\"")).unwrap()
    }

    #[test]
    fn urls_say_how_the_relay_is_reached() {
        let e = config("smtp://mail.example.org").endpoint().unwrap();
        assert_eq!((e.port, e.security), (587, Security::StartTls));
        let e = config("smtps://mail.example.org").endpoint().unwrap();
        assert_eq!((e.port, e.security), (465, Security::Tls));
        let e = config("smtp://127.0.0.1:2525?tls=none").endpoint().unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.security),
            ("127.0.0.1", 2525, Security::None)
        );
        for bad in [
            "http://x",
            "smtp://",
            "smtps://h?tls=none",
            "smtp://h?tls=maybe",
            "smtp://u:p@h",
        ] {
            assert!(config(bad).endpoint().is_err(), "{bad}");
        }
        let c = config("smtp://h");
        assert_eq!(c.backoff(), Backoff::default());
        assert!(c.transport().is_ok());
    }
}
