//! The server glue: configuration, authentication, TLS, the HTTP stack and logging around
//! the protocol engine. This is the only crate that knows axum and hyper.

mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod password;
mod retention;
mod serve;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use store::Store;
use store_sqlite::SqliteStore;

pub use config::Config;

/// Opens the embedded store of a data directory, creating both when missing.
pub fn open_store(config: &Config) -> anyhow::Result<SqliteStore> {
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("cannot create the data directory {}", config.data.display()))?;
    let path = config.database_path();
    SqliteStore::open(&path).with_context(|| format!("cannot open the database {}", path.display()))
}

pub fn init_logging(level: &str) -> anyhow::Result<()> {
    let level: tracing::Level = level.parse().map_err(|_| {
        anyhow::anyhow!("log_level must be error, warn, info, debug or trace, not {level:?}")
    })?;
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    Ok(())
}

pub fn limits(config: &Config) -> dav::Limits {
    dav::Limits {
        max_resource_size: config.max_resource_size,
        max_instances: config.max_instances,
        max_multiget_hrefs: config.max_multiget_hrefs,
        default_quota: config.default_quota,
        ..dav::Limits::default()
    }
}

/// Runs the server until `shutdown` resolves (or SIGINT/SIGTERM when None).
pub async fn run(config: Config) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::new(open_store(&config)?);
    if store.list_users().await?.is_empty() {
        eprintln!(
            "calvault: there are no users yet. Add one (in another terminal) with:\n\n    \
             calvault user add NAME --data {}\n",
            config.data.display()
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
        "calvault listening on {scheme}://{local}/ (data in {})",
        config.data.display()
    );
    if let Some(days) = config.history_retention_days {
        tokio::spawn(retention::run(store.clone(), days));
    }
    let state = Arc::new(app::AppState {
        engine: dav::Engine::new(store.clone(), limits(&config)),
        auth: auth::Authenticator::new(
            store,
            Duration::from_secs(config.auth_cache_secs),
            config.auth_max_failures,
        ),
        max_request_body: usize::try_from(config.max_request_body).unwrap_or(usize::MAX),
    });
    let router = app::router(state, Duration::from_secs(config.request_timeout_secs));
    serve::serve(
        serve::Listener {
            tcp,
            tls,
            header_timeout: Duration::from_secs(config.header_timeout_secs),
            grace: Duration::from_secs(config.shutdown_grace_secs),
        },
        router,
        serve::shutdown_signal(),
    )
    .await;
    Ok(())
}
