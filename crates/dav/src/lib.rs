//! The protocol engine: WebDAV (RFC 4918) and CalDAV (RFC 4791) semantics as a function from
//! `http::Request<Bytes>` to `http::Response<Bytes>` over the [`store::Store`] trait.
//!
//! This crate never names a web framework or a database. The server authenticates the caller
//! and hands over a [`Caller`]; everything from here on is method semantics: resolve the
//! path (rights are checked there, in one place), parse the body into typed values, decide,
//! and write a typed response.

mod access;
mod answer_buffer;
pub mod calendars;
mod condition;
mod conditional;
mod cx;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod history;
mod limits;
mod lock;
mod method;
pub mod path;
mod principal_href;
mod props;
pub mod quirks;
mod resolve;
mod resource;
mod schedule;

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response};
use store::{Change, LockClaim, Store, User};

pub use access::PrincipalSearch;
pub use condition::Condition;
pub use error::{DavError, DavResult};
pub use limits::{Limits, SharingAccept};
pub use method::put::{write_object, ObjectWrite};
pub use schedule::imip;

/// The authenticated user of a request and what to record about it in history.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: User,
    pub change: Change,
    /// Signed in with a read-only app password: may read what the user may, change nothing.
    pub read_only: bool,
}

impl Caller {
    /// A signed-in user's request: its writes are WebDAV writes, which locks they do not
    /// hold keep out (`store::Change::locks`; the engine adds the tokens the request's If
    /// header submits).
    pub fn new(user: User, mut change: Change, read_only: bool) -> Self {
        change.locks = Some(LockClaim {
            principal: user.id,
            tokens: Vec::new(),
        });
        Caller {
            user,
            change,
            read_only,
        }
    }
}

#[derive(Clone)]
pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) limits: Limits,
    /// Whether a PUT whose If-Match names an older version is merged with what changed
    /// since (`merge_concurrent_edits`; a calendar may say otherwise, see `method::put::merge`).
    pub(crate) merge_edits: bool,
    /// Whether attendees elsewhere are sent their messages by e-mail (a mail relay is
    /// configured: `schedule::imip`); without, they get SCHEDULE-STATUS 3.7.
    pub(crate) sends_mail: bool,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, limits: Limits) -> Self {
        Engine {
            store,
            limits,
            merge_edits: false,
            sends_mail: false,
        }
    }

    /// Sends attendees elsewhere their invitations by e-mail through the store's mail
    /// outbox (`schedule::imip`; the server runs the sender).
    pub fn sending_mail(mut self, on: bool) -> Self {
        self.sends_mail = on;
        self
    }

    /// Turns the three-way merge of concurrent edits on for every calendar that does not
    /// say otherwise (docs/locks-and-merging.md).
    pub fn merging_concurrent_edits(mut self, on: bool) -> Self {
        self.merge_edits = on;
        self
    }

    /// The quota that applies to `user`: their own, else the server's default.
    pub fn quota_for(&self, user: &User) -> Option<u64> {
        self.limits.quota_for(user)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Answers one request of an authenticated caller. Never fails: every error becomes its
    /// response here.
    pub async fn handle(&self, req: Request<Bytes>, caller: &Caller) -> Response<Bytes> {
        let cx = method::Cx {
            engine: self,
            caller,
            if_tokens: Default::default(),
        };
        let result = self.decide_and_dispatch(&cx, &req).await;
        let mut response = result.unwrap_or_else(DavError::into_response);
        if req.method() == Method::HEAD {
            head_of(&mut response);
        }
        response
    }

    /// The request path is looked up and the access decision made before the body is
    /// even parsed: a request without the privilege learns nothing from how its body
    /// would have been read.
    async fn decide_and_dispatch(
        &self,
        cx: &method::Cx<'_>,
        req: &Request<Bytes>,
    ) -> DavResult<Response<Bytes>> {
        if req.method() == Method::OPTIONS {
            return Ok(method::options::handle());
        }
        let target = resolve::resolve(cx, req.uri().path()).await?;
        if let Some(need) = access::required(req.method(), &target) {
            access::check(&target, need)?;
        }
        let home = target.lock_home(&cx.caller.user);
        self.with_locks(cx, req, target, home.as_ref())
            .await
            .map_err(|e| match &home {
                Some(home) => lock::place_roots(e, home),
                None => e,
            })
    }

    /// The request with what it holds against locks: the If header's tokens are looked up
    /// once, and a write's change carries the tokens it submits, so that the store checks
    /// them inside the write's transaction.
    async fn with_locks(
        &self,
        cx: &method::Cx<'_>,
        req: &Request<Bytes>,
        target: resource::Resolved,
        home: Option<&lock::Home>,
    ) -> DavResult<Response<Bytes>> {
        let held = lock::held(self, req, home).await?;
        let caller = cx.caller;
        // Most writes submit no token, and a caller made with `Caller::new` already holds
        // that empty claim: only a request that submits tokens needs its own.
        let claims_nothing = caller
            .change
            .locks
            .as_ref()
            .is_some_and(|c| c.principal == caller.user.id && c.tokens.is_empty());
        if !changes_something(req.method()) || (claims_nothing && held.submitted.is_empty()) {
            let cx = method::Cx {
                engine: self,
                caller,
                if_tokens: held.matches,
            };
            return self.dispatch(&cx, req, target).await;
        }
        let caller = Caller {
            user: caller.user.clone(),
            change: Change {
                locks: Some(LockClaim {
                    principal: caller.user.id,
                    tokens: held.submitted,
                }),
                ..caller.change.clone()
            },
            read_only: caller.read_only,
        };
        let cx = method::Cx {
            engine: self,
            caller: &caller,
            if_tokens: held.matches,
        };
        self.dispatch(&cx, req, target).await
    }

    async fn dispatch(
        &self,
        cx: &method::Cx<'_>,
        req: &Request<Bytes>,
        target: resource::Resolved,
    ) -> DavResult<Response<Bytes>> {
        use store::TransferMode::{Copy, Move};
        match req.method().as_str() {
            "GET" | "HEAD" => method::get::handle(cx, req, target.found()?).await,
            "PUT" => method::put::handle(cx, req, target).await,
            "DELETE" => method::delete::handle(cx, req, target.found()?).await,
            "PROPFIND" => method::propfind::handle(cx, req, target.found()?).await,
            "PROPPATCH" => match target.found()? {
                // Members of delegate groups and of groups are their own property set.
                r @ (resource::Resource::Proxy { .. } | resource::Resource::Group(_)) => {
                    method::group_members::handle(cx, req, r).await
                }
                r => method::proppatch::handle(cx, req, r).await,
            },
            "MKCOL" => method::mkcol::handle(cx, req, target, false).await,
            "MKCALENDAR" => method::mkcol::handle(cx, req, target, true).await,
            "COPY" => method::copy_move::handle(cx, req, target.found()?, Copy).await,
            "MOVE" => method::copy_move::handle(cx, req, target.found()?, Move).await,
            "REPORT" => method::report::handle(cx, req, target.found()?).await,
            "POST" => method::post::handle(cx, req, target.found()?).await,
            "LOCK" => method::lock::handle(cx, req, target).await,
            "UNLOCK" => method::unlock::handle(cx, req, target).await,
            _ => Err(DavError::new(
                http::StatusCode::NOT_IMPLEMENTED,
                format!("the {} method is not supported here", req.method()),
            )),
        }
    }

    /// OPTIONS needs no authentication: clients probe it before they have credentials.
    pub fn options(&self) -> Response<Bytes> {
        method::options::handle()
    }
}

/// Whether a method may change something, and so is held up by locks it does not hold
/// (the reads of RFC 9110 §9.2.1 and WebDAV are not).
fn changes_something(method: &Method) -> bool {
    !matches!(
        method.as_str(),
        "GET" | "HEAD" | "OPTIONS" | "PROPFIND" | "REPORT"
    )
}

/// A HEAD answer is the GET answer without its body (RFC 9110 §9.3.2), and its
/// Content-Length is the length GET would send (§8.6): Thunderbird sends HEAD to
/// collections, `/` and missing URLs while it detects calendars. The body itself goes: sent
/// after HEAD it would corrupt the next response on a keep-alive connection.
fn head_of(response: &mut Response<Bytes>) {
    let length = response.body().len();
    let headers = response.headers_mut();
    if !headers.contains_key(http::header::CONTENT_LENGTH) {
        headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from(length),
        );
    }
    *response.body_mut() = Bytes::new();
}
