//! The administrator's access to the store: the flags every command that opens it shares
//! (flags override `CALVAULT_*` environment variables, which override the config file).
//! What the commands then do is `server::admin`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use server::Config;

/// Where the data lives. Global: the flags may follow the command group's name or its
/// subcommand (`calvault user --data D list`, `calvault user list --data D`).
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Data directory of the embedded store [default: ./calvault-data].
    #[arg(long, value_name = "DIR", global = true)]
    pub data: Option<PathBuf>,
    /// Use PostgreSQL instead: postgres://user:password@host:port/database (also the
    /// `database` config key and CALVAULT_DATABASE).
    #[arg(long, value_name = "URL", global = true)]
    pub database: Option<String>,
    /// TOML config file; every key can also be set as a CALVAULT_* environment variable.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

/// A group of commands on the store (`calvault user ...`): one of them, and where the
/// data lives.
#[derive(Args, Debug)]
pub struct OnStore<C: Subcommand> {
    #[command(subcommand)]
    pub command: C,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub fn load_config(args: &StoreArgs) -> anyhow::Result<Config> {
    let mut config = Config::load(args.config.as_deref(), |k| std::env::var(k).ok())?;
    if let Some(data) = &args.data {
        config.data = data.clone();
    }
    if let Some(url) = &args.database {
        config.database = Some(url.clone());
    }
    Ok(config)
}

pub async fn open_store(args: &StoreArgs) -> anyhow::Result<server::Backend> {
    server::open_store(&load_config(args)?).await
}

/// An engine on the store, for writes that are validated as a PUT's (imports).
pub async fn open_engine(args: &StoreArgs) -> anyhow::Result<dav::Engine> {
    let config = load_config(args)?;
    let backend = server::open_store(&config).await?;
    Ok(server::engine(backend.store(), &config))
}
