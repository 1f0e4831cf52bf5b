//! The server's log: level and format from the config (`log_format = "text" | "json"`), and
//! one line per request, in calvault's own words or in the Apache Common Log Format
//! (`access_log_format = "common"`, as kcaldav and most web servers write it). Credentials
//! are never part of a line.

use std::net::SocketAddr;
use std::time::Instant;

use axum::http::{Method, StatusCode, Version};
use tracing_subscriber::filter::{filter_fn, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::Config;

/// The target of the per-request lines.
const REQUESTS: &str = "calvault::request";

/// How the request line is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequestLog {
    /// `ADDRESS USER METHOD PATH STATUS BYTESB MSms` after the time and level.
    #[default]
    Text,
    /// `ADDRESS - USER [TIME] "METHOD PATH HTTP/1.1" STATUS BYTES`, alone on its line.
    Common,
    /// A JSON object with each value a field.
    Json,
}

impl RequestLog {
    pub fn of(config: &Config) -> anyhow::Result<Self> {
        match (
            config.log_format.as_str(),
            config.access_log_format.as_str(),
        ) {
            ("json", "calvault" | "common") => Ok(RequestLog::Json),
            (_, "calvault") => Ok(RequestLog::Text),
            (_, "common") => Ok(RequestLog::Common),
            (_, other) => {
                anyhow::bail!("access_log_format must be \"calvault\" or \"common\", not {other:?}")
            }
        }
    }
}

/// Sets up the process's log on standard error: `log_format = "text"` (lines for people)
/// or `"json"` (one JSON object per line: each request's has time, method, path, status,
/// duration, user, client and bytes as fields).
pub fn init(config: &Config) -> anyhow::Result<()> {
    let level: tracing::Level = config.log_level.parse().map_err(|_| {
        anyhow::anyhow!(
            "log_level must be error, warn, info, debug or trace, not {:?}",
            config.log_level
        )
    })?;
    let level = LevelFilter::from_level(level);
    let common = RequestLog::of(config)? == RequestLog::Common;
    let (text, json, access) = match config.log_format.as_str() {
        "text" => {
            let text = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .with_filter(filter_fn(move |m| !(common && m.target() == REQUESTS)));
            // The Common Log Format is the whole line: no time or level before it.
            let access = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .without_time()
                .with_level(false)
                .with_target(false)
                .with_filter(filter_fn(|m| m.target() == REQUESTS));
            (Some(text), None, common.then_some(access))
        }
        "json" => {
            let json = tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_writer(std::io::stderr);
            (None, Some(json), None)
        }
        other => anyhow::bail!("log_format must be \"text\" or \"json\", not {other:?}"),
    };
    let _ = tracing_subscriber::registry()
        .with(text.with_filter(level))
        .with(json.with_filter(level))
        .with(access.with_filter(level))
        .try_init();
    Ok(())
}

/// What the log says about one request.
pub struct RequestLine<'a> {
    pub remote: Option<SocketAddr>,
    pub user: Option<&'a str>,
    pub client: Option<&'a str>,
    pub method: &'a Method,
    pub version: Version,
    pub path: &'a str,
    pub status: StatusCode,
    pub bytes: usize,
    pub started: Instant,
}

/// Writes the request's line in the configured format.
pub fn request(line: &RequestLine<'_>, format: RequestLog) {
    let address = line
        .remote
        .map(|r| r.ip().to_string())
        .unwrap_or_else(|| "-".into());
    let user = line.user.unwrap_or("-");
    let duration_ms = line.started.elapsed().as_millis() as u64;
    let (method, path) = (line.method.as_str(), line.path);
    let (status, bytes) = (line.status.as_u16(), line.bytes);
    match format {
        RequestLog::Text => tracing::info!(
            target: REQUESTS,
            "{address} {user} {method} {path} {status} {bytes}B {duration_ms}ms"
        ),
        RequestLog::Common => {
            let time = chrono::Utc::now().format("%d/%b/%Y:%H:%M:%S %z");
            let version = format!("{:?}", line.version);
            tracing::info!(
                target: REQUESTS,
                "{address} - {user} [{time}] \"{method} {path} {version}\" {status} {bytes}"
            )
        }
        RequestLog::Json => tracing::info!(
            target: REQUESTS,
            address,
            user = line.user,
            method,
            path,
            status,
            bytes,
            duration_ms,
            client = line.client,
            "request"
        ),
    }
}
