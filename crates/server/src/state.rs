//! What every request handler shares: the engine, the authenticator, the limits, the
//! background verification's last result, and the web interface's sessions and settings.

use std::net::SocketAddr;
use std::path::PathBuf;

use dav::Engine;

use crate::auth::Authenticator;
use crate::session::Sessions;

/// The peer's address, put into each request's extensions by the accept loop.
#[derive(Clone, Copy, Debug)]
pub struct RemoteAddr(pub SocketAddr);

pub struct AppState {
    pub engine: Engine,
    pub auth: Authenticator,
    pub max_request_body: usize,
    /// The background verification's last result, for administrators.
    pub last_check: crate::verification::LastCheck,
    /// The web interface's sessions and settings.
    pub web: WebState,
    pub request_log: crate::logging::RequestLog,
    /// `/metrics` on this listener (for loopback callers): no `metrics_listen` is set.
    pub metrics_here: bool,
}

/// What the web interface keeps beside the engine.
pub struct WebState {
    pub sessions: Sessions,
    /// The server speaks TLS: cookies are Secure and device settings say https.
    pub secure: bool,
    /// Where the store is, for the administrators' status.
    pub store: String,
    /// The SQLite database file, whose size the status shows.
    pub database_file: Option<PathBuf>,
    /// The backup tool's last request to this node, for the status.
    pub last_backup: crate::backups_seen::LastBackup,
}

impl WebState {
    pub fn new(secure: bool, store: String, database_file: Option<PathBuf>) -> Self {
        WebState {
            sessions: Sessions::default(),
            secure,
            store,
            database_file,
            last_backup: Default::default(),
        }
    }
}
