//! The server glue: configuration, authentication, TLS, the HTTP stack and logging around
//! the protocol engine, and the administrator's operations on the store (`admin`). This is
//! the only crate that knows axum and hyper.

pub mod admin;
mod api;
pub mod app;
pub mod auth;
pub mod backend;
pub mod backups_seen;
pub mod config;
mod framing;
mod health;
pub mod logging;
pub mod metrics;
pub mod password;
pub mod process;
mod retention;
mod serve;
pub mod session;
pub mod state;
mod tls;
pub mod tokens;
pub mod verification;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

pub use backend::{Backend, Location};
pub use config::Config;

/// Opens the configured store: SQLite under the data directory (created when missing), or
/// PostgreSQL when `database` is set.
pub async fn open_store(config: &Config) -> anyhow::Result<Backend> {
    Backend::open(&Location::of(config)?).await
}

/// Sets up the log as the config says (`logging::init`).
pub fn init_logging(config: &Config) -> anyhow::Result<()> {
    logging::init(config)
}

pub fn limits(config: &Config) -> dav::Limits {
    dav::Limits {
        max_resource_size: config.max_resource_size,
        max_instances: config.max_instances,
        max_multiget_hrefs: config.max_multiget_hrefs,
        max_attendees: config.max_attendees,
        max_inbox_items: config.max_inbox_items,
        default_quota: config.default_quota,
        max_lock_timeout_secs: config.max_lock_timeout_secs,
        principal_search: match config.principal_search {
            config::PrincipalSearch::All => dav::PrincipalSearch::All,
            config::PrincipalSearch::Groups => dav::PrincipalSearch::Groups,
            config::PrincipalSearch::None => dav::PrincipalSearch::None,
        },
        sharing_accept: match config.sharing_accept {
            config::SharingAccept::Auto => dav::SharingAccept::Auto,
            config::SharingAccept::Invite => dav::SharingAccept::Invite,
        },
        ..dav::Limits::default()
    }
}

/// The protocol engine on `store` as the config sets it up; the server and the commands
/// that write as a client would (imports, `imip receive`) use the same.
pub fn engine(store: Arc<dyn store::Store>, config: &Config) -> dav::Engine {
    dav::Engine::new(store, limits(config))
        .merging_concurrent_edits(config.merge_concurrent_edits)
        .sending_mail(config.smtp.is_some())
}

/// Starts the iMIP sender when `[smtp]` is set (`imip::sender`): it sends what the mail
/// outbox holds until the process ends.
fn spawn_mail_sender(engine: &dav::Engine, config: &Config) -> anyhow::Result<()> {
    let Some(smtp) = &config.smtp else {
        return Ok(());
    };
    let relay = smtp.transport()?;
    let endpoint = smtp.endpoint()?;
    tracing::info!(
        "sending invitations by e-mail through {}:{} as {}",
        endpoint.host,
        endpoint.port,
        smtp.from
    );
    tokio::spawn(imip::sender::run(
        engine.clone(),
        relay,
        imip::sender::Settings::of(smtp),
    ));
    Ok(())
}

/// Runs the server until `shutdown` resolves (or SIGINT/SIGTERM when None).
pub async fn run(config: Config) -> anyhow::Result<()> {
    let backend = open_store(&config).await?;
    let store = backend.store();
    if store.list_users().await?.is_empty() {
        let place = match backend.location() {
            Location::Sqlite(_) => format!("--data {}", config.data.display()),
            Location::Postgres(_) => "--database URL".to_owned(),
        };
        eprintln!(
            "calvault: there are no users yet. Add one (in another terminal) with:\n\n    \
             calvault user add NAME {place}\n"
        );
    }
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tokio_rustls::TlsAcceptor::from(tls::server_config(
            cert, key,
        )?)),
        (None, None) => None,
        _ => anyhow::bail!("TLS needs both tls_cert and tls_key (--tls-cert and --tls-key)"),
    };
    let tcp = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let local = tcp.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(
        "calvault listening on {scheme}://{local}/ (store: {})",
        backend.location().describe()
    );
    if let Some(days) = config.history_retention_days {
        tokio::spawn(retention::run(store.clone(), days));
    }
    let last_check = verification::LastCheck::default();
    if config.verify_interval_hours > 0 {
        let every = Duration::from_secs(config.verify_interval_hours.saturating_mul(3600));
        tokio::spawn(verification::run(store.clone(), every, last_check.clone()));
    }
    let engine = engine(store.clone(), &config);
    spawn_mail_sender(&engine, &config)?;
    let state = Arc::new(app::AppState {
        engine,
        auth: auth::Authenticator::new(
            store,
            Duration::from_secs(config.auth_cache_secs),
            auth::ThrottlePolicy::new(config.auth_max_failures),
        ),
        max_request_body: usize::try_from(config.max_request_body).unwrap_or(usize::MAX),
        last_check,
        web: state::WebState::new(
            tls.is_some(),
            backend.location().describe(),
            match backend.location() {
                Location::Sqlite(path) => Some(path.clone()),
                Location::Postgres(_) => None,
            },
        ),
        request_log: logging::RequestLog::of(&config)?,
        metrics_here: config.metrics_listen.is_none(),
    });
    let header_timeout = Duration::from_secs(config.header_timeout_secs);
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    if let Some(address) = &config.metrics_listen {
        let tcp = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address} (metrics_listen)"))?;
        tracing::info!("metrics on http://{}/metrics", tcp.local_addr()?);
        let listener = serve::Listener {
            tcp,
            tls: None,
            header_timeout,
            grace,
        };
        let router = app::metrics_router(state.clone());
        tokio::spawn(serve::serve(listener, router, serve::shutdown_signal()));
    }
    let router = app::router(state, Duration::from_secs(config.request_timeout_secs));
    let listener = serve::Listener {
        tcp,
        tls,
        header_timeout,
        grace,
    };
    serve::serve(listener, router, serve::shutdown_signal()).await;
    Ok(())
}
