//! Choosing and opening the store: SQLite under the data directory by default, PostgreSQL
//! when a `postgres://` URL is configured.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use store::dump::Dump;
use store::Store;

use crate::Config;

/// Where a store lives, as named on the command line or in the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// An SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Location {
    /// The store a server configuration names.
    pub fn of(config: &Config) -> anyhow::Result<Location> {
        match config.database.as_deref() {
            None | Some("") => Ok(Location::Sqlite(config.database_path())),
            Some(url) => Location::parse(url),
        }
    }

    /// `sqlite:PATH` (a database file, or a data directory holding `calvault.db`) or a
    /// `postgres://` / `postgresql://` URL.
    pub fn parse(text: &str) -> anyhow::Result<Location> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Location::Postgres(text.to_owned()));
        }
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = Path::new(path);
            return Ok(Location::Sqlite(if path.is_dir() {
                path.join("calvault.db")
            } else {
                path.to_owned()
            }));
        }
        bail!(
            "{text:?} names no store: use sqlite:PATH (a database file or data directory) or a \
             postgres://user:password@host:port/database URL"
        )
    }

    /// A description without the password, for messages and logs.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(path) => format!("SQLite database {}", path.display()),
            Location::Postgres(url) => format!("PostgreSQL {}", without_password(url)),
        }
    }
}

/// `postgres://user:secret@host/db` as `postgres://user@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{}", &rest[at + 1..])
        }
        None => url.to_owned(),
    }
}

/// An open store, usable as `&dyn Store`, with its whole-row interface for copies.
#[derive(Clone)]
pub struct Backend {
    store: Arc<dyn Store>,
    dump: Arc<dyn Dump>,
    location: Location,
}

impl Backend {
    /// Opens (creating when missing) the store at `location` and brings its schema up to
    /// date; several nodes may do so at once on one PostgreSQL database.
    pub async fn open(location: &Location) -> anyhow::Result<Backend> {
        let (store, dump): (Arc<dyn Store>, Arc<dyn Dump>) = match location {
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("cannot create the data directory {}", dir.display())
                    })?;
                }
                let store = store_sqlite::open(path)
                    .with_context(|| format!("cannot open the database {}", path.display()))?;
                (Arc::new(store.clone()), Arc::new(store))
            }
            Location::Postgres(url) => {
                let store = store_postgres::connect(url)
                    .await
                    .with_context(|| format!("cannot open {}", location.describe()))?;
                (Arc::new(store.clone()), Arc::new(store))
            }
        };
        Ok(Backend {
            store,
            dump,
            location: location.clone(),
        })
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn dump(&self) -> &dyn Dump {
        &*self.dump
    }

    pub fn location(&self) -> &Location {
        &self.location
    }
}

impl std::ops::Deref for Backend {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn locations_are_parsed_and_described_without_passwords() {
        let pg = Location::parse("postgres://cal:s3cret@db.example:5432/calvault").unwrap();
        assert_eq!(
            pg.describe(),
            "PostgreSQL postgres://cal@db.example:5432/calvault"
        );
        let dir = tempfile::tempdir().unwrap();
        let from_dir = Location::parse(&format!("sqlite:{}", dir.path().display())).unwrap();
        assert_eq!(from_dir, Location::Sqlite(dir.path().join("calvault.db")));
        let file = Location::parse("sqlite:/srv/cal.db").unwrap();
        assert_eq!(file, Location::Sqlite("/srv/cal.db".into()));
        let err = Location::parse("mysql://x").unwrap_err().to_string();
        assert!(err.contains("sqlite:PATH"), "{err}");
        let config = Config {
            database: Some("postgresql://h/db".into()),
            ..Config::default()
        };
        assert_eq!(
            Location::of(&config).unwrap(),
            Location::Postgres("postgresql://h/db".into())
        );
    }
}
