//! The CalDAV operations the engine needs, as a trait: the real [`client::Client`]
//! implements it (below), and the tests implement it with a scripted, in-memory server.
//!
//! The values that cross it (URLs, members, fetched objects, write outcomes) are the
//! client crate's own types, so the engine reads exactly what a real server answered.

use async_trait::async_trait;
use bytes::Bytes;
use client::{
    CalendarProps, Discovery, Fetched, Member, MkcalendarOutcome, MultigetResult, Sharee,
    SyncChanges, Url, WriteCondition, WriteOutcome,
};

use crate::error::{Error, Result};

/// The real client for an account: `auth`, the public roots plus the CA certificate of a
/// self-signed server when one is given (a PEM file), and calvault-backup's User-Agent.
pub fn client_for(auth: client::Auth, ca_cert: Option<&std::path::Path>) -> Result<client::Client> {
    let extra_ca_pem = match ca_cert {
        Some(path) => Some(std::fs::read(path).map_err(|source| Error::CaCert {
            path: path.to_owned(),
            source,
        })?),
        None => None,
    };
    let options = client::ClientOptions {
        extra_ca_pem,
        // The server's Administration page recognises the tool by this prefix
        // (server::backups_seen::AGENT_PREFIX).
        user_agent: Some(format!("calvault-backup/{}", env!("CARGO_PKG_VERSION"))),
    };
    Ok(client::Client::new(auth, options)?)
}

/// Called with each batch of objects as it arrives, for progress.
pub type OnBatch<'a> = dyn FnMut(&[Fetched]) + Send + 'a;

/// A CalDAV account the engine reads from or writes to.
#[async_trait]
pub trait CalDav: Send + Sync {
    /// Every calendar reachable from `start` (a calendar's own URL yields just it).
    async fn discover(&self, start: &Url) -> client::Result<Discovery>;
    /// Every object of a calendar with its ETag.
    async fn list_members(&self, calendar: &Url) -> client::Result<Vec<Member>>;
    /// What changed since a sync token (RFC 6578); `SyncTokenRejected` when the server
    /// no longer knows the token.
    async fn sync_changes(&self, calendar: &Url, token: &str) -> client::Result<SyncChanges>;
    /// The objects at these hrefs, in batches.
    async fn fetch_objects(
        &self,
        calendar: &Url,
        hrefs: &[String],
        on_batch: &mut OnBatch<'_>,
    ) -> client::Result<MultigetResult>;
    async fn put(
        &self,
        url: &Url,
        data: Bytes,
        condition: &WriteCondition,
    ) -> client::Result<WriteOutcome>;
    async fn delete(&self, url: &Url, etag: Option<&str>) -> client::Result<WriteOutcome>;
    async fn mkcalendar(
        &self,
        url: &Url,
        props: &CalendarProps,
    ) -> client::Result<MkcalendarOutcome>;
    /// Sets each property on its own; returns the ones the server refused.
    async fn proppatch_each(&self, url: &Url, props: &CalendarProps)
        -> client::Result<Vec<String>>;
    /// Whether the server shares calendars the CalendarServer way (`CS:share`).
    async fn supports_sharing(&self, url: &Url) -> client::Result<bool>;
    /// Shares the calendar at `url` with `sharees`.
    async fn share(&self, url: &Url, sharees: &[Sharee]) -> client::Result<()>;
    /// Requests sent so far, for the summaries.
    fn requests(&self) -> u64;
}

#[async_trait]
impl CalDav for client::Client {
    async fn discover(&self, start: &Url) -> client::Result<Discovery> {
        client::Client::discover(self, start).await
    }

    async fn list_members(&self, calendar: &Url) -> client::Result<Vec<Member>> {
        client::Client::list_members(self, calendar).await
    }

    async fn sync_changes(&self, calendar: &Url, token: &str) -> client::Result<SyncChanges> {
        client::Client::sync_changes(self, calendar, token).await
    }

    async fn fetch_objects(
        &self,
        calendar: &Url,
        hrefs: &[String],
        on_batch: &mut OnBatch<'_>,
    ) -> client::Result<MultigetResult> {
        client::Client::fetch_objects(self, calendar, hrefs, on_batch).await
    }

    async fn put(
        &self,
        url: &Url,
        data: Bytes,
        condition: &WriteCondition,
    ) -> client::Result<WriteOutcome> {
        client::Client::put(self, url, data, condition).await
    }

    async fn delete(&self, url: &Url, etag: Option<&str>) -> client::Result<WriteOutcome> {
        client::Client::delete(self, url, etag).await
    }

    async fn mkcalendar(
        &self,
        url: &Url,
        props: &CalendarProps,
    ) -> client::Result<MkcalendarOutcome> {
        client::Client::mkcalendar(self, url, props).await
    }

    async fn proppatch_each(
        &self,
        url: &Url,
        props: &CalendarProps,
    ) -> client::Result<Vec<String>> {
        client::Client::proppatch_each(self, url, props).await
    }

    async fn supports_sharing(&self, url: &Url) -> client::Result<bool> {
        client::Client::supports_sharing(self, url).await
    }

    async fn share(&self, url: &Url, sharees: &[Sharee]) -> client::Result<()> {
        client::Client::share(self, url, sharees).await
    }

    fn requests(&self) -> u64 {
        client::Client::requests(self)
    }
}
