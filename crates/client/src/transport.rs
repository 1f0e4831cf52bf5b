//! HTTP/1.1 with keep-alive over TCP or TLS, redirects, authentication and a request count.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::{Error, Result};

/// Redirects followed before giving up (RFC 6764 discovery needs one or two).
const MAX_REDIRECTS: usize = 8;
/// A server that says nothing for this long is treated as gone.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Idle connections kept per origin.
const MAX_IDLE: usize = 8;

/// An absolute http(s) URL, split into what a request needs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Url {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, always starting with '/'.
    pub path: String,
}

impl Url {
    pub fn parse(text: &str) -> Result<Url> {
        let invalid = |reason: &str| Error::InvalidUrl {
            url: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (tls, rest) = if let Some(rest) = text.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(invalid("it must start with http:// or https://"));
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        if authority.is_empty() {
            return Err(invalid("it has no host"));
        }
        let default_port = if tls { 443 } else { 80 };
        // An IPv6 literal is bracketed: its colons are not the port's.
        let host_end = if authority.starts_with('[') {
            authority
                .find(']')
                .map(|at| at + 1)
                .ok_or_else(|| invalid("unclosed '['"))?
        } else {
            authority.find(':').unwrap_or(authority.len())
        };
        let (host, rest) = authority.split_at(host_end);
        let port = match rest.strip_prefix(':') {
            Some(port) => port
                .parse()
                .map_err(|_| invalid("the port is not a number"))?,
            None if rest.is_empty() => default_port,
            None => return Err(invalid("unexpected text after the host")),
        };
        Ok(Url {
            tls,
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }

    /// The URL an href (absolute URL, absolute path or relative path) names from here.
    pub fn join(&self, href: &str) -> Result<Url> {
        if href.starts_with("http://") || href.starts_with("https://") {
            return Url::parse(href);
        }
        let mut url = self.clone();
        if href.starts_with('/') {
            url.path = href.to_owned();
        } else {
            let base = self.path.split('?').next().unwrap_or("/");
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            url.path = format!("{dir}{href}");
        }
        Ok(url)
    }

    pub fn origin(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        let default_port = if self.tls { 443 } else { 80 };
        if self.port == default_port {
            format!("{scheme}://{}", self.host)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    fn host_header(&self) -> String {
        self.origin()
            .split_once("://")
            .map(|(_, h)| h.to_owned())
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.origin(), self.path)
    }
}

#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
}

impl Auth {
    fn header(&self) -> Option<HeaderValue> {
        let text = match self {
            Auth::None => return None,
            Auth::Basic { user, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            ),
            Auth::Bearer(token) => format!("Bearer {token}"),
        };
        HeaderValue::from_str(&text).ok()
    }
}

#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// PEM certificates trusted besides the public roots (a self-signed server's CA).
    pub extra_ca_pem: Option<Vec<u8>>,
    /// The User-Agent sent with every request.
    pub user_agent: Option<String>,
}

/// A finished response: the body is read whole (DAV answers are bounded by the batch size).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Where the request finally went, after redirects.
    pub url: Url,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Sender = SendRequest<Full<Bytes>>;

/// A CalDAV/HTTP client. Cheap to clone; clones share connections and the request count.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    auth: Auth,
    tls: TlsConnector,
    user_agent: String,
    idle: Mutex<HashMap<String, Vec<Sender>>>,
    requests: AtomicU64,
}

impl Client {
    pub fn new(auth: Auth, options: ClientOptions) -> Result<Client> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = &options.extra_ca_pem {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| Error::Connect {
                    origin: "(extra CA certificate)".into(),
                    reason: format!("cannot read the PEM certificate: {e}"),
                })?;
                roots.add(cert).map_err(|e| Error::Connect {
                    origin: "(extra CA certificate)".into(),
                    reason: format!("the certificate is not usable as a CA: {e}"),
                })?;
            }
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Connect {
                origin: String::new(),
                reason: format!("TLS setup failed: {e}"),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Client {
            inner: Arc::new(Inner {
                auth,
                tls: TlsConnector::from(Arc::new(config)),
                user_agent: options
                    .user_agent
                    .unwrap_or_else(|| format!("calvault/{}", env!("CARGO_PKG_VERSION"))),
                idle: Mutex::new(HashMap::new()),
                requests: AtomicU64::new(0),
            }),
        })
    }

    /// Requests sent so far (each redirect and retry counts).
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Sends a request, following redirects, and reads the whole answer. Statuses are not
    /// errors here (callers decide), except 401, which no caller can do anything with.
    pub async fn send(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<Response> {
        let start = url.to_string();
        let mut url = url.clone();
        let mut method = method.to_owned();
        let mut body = body;
        // Credentials go only where the user pointed us, or to another host of the same
        // site (iCloud sends accounts on to pNN-caldav.icloud.com).
        let mut with_auth = true;
        for _ in 0..=MAX_REDIRECTS {
            let response = self
                .send_once(&method, &url, headers, body.clone(), with_auth)
                .await?;
            if response.status == 401 {
                return Err(unauthorized(&method, &url, &response));
            }
            let redirect = matches!(response.status, 301 | 302 | 303 | 307 | 308);
            match response.header("location") {
                Some(location) if redirect => {
                    let next = url.join(location)?;
                    if next == url {
                        return Ok(response);
                    }
                    if url.tls && !next.tls {
                        return Err(Error::Transport {
                            method,
                            url: url.to_string(),
                            reason: format!(
                                "the server redirects to {next}, which is not HTTPS; not \
                                 followed, so the password is not sent in clear (fix the \
                                 server's redirect or give the https URL it should use)"
                            ),
                        });
                    }
                    if !same_site(&url.host, &next.host) {
                        with_auth = false;
                    }
                    if response.status == 303 {
                        method = "GET".into();
                        body = Bytes::new();
                    }
                    url = next;
                }
                _ => return Ok(response),
            }
        }
        Err(Error::TooManyRedirects {
            url: start,
            to: url.to_string(),
        })
    }

    async fn send_once(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
        body: Bytes,
        with_auth: bool,
    ) -> Result<Response> {
        let transport_error = |reason: String| Error::Transport {
            method: method.to_owned(),
            url: url.to_string(),
            reason,
        };
        let request = self
            .build_request(method, url, headers, body.clone(), with_auth)
            .map_err(|e| transport_error(e.to_string()))?;
        let (mut sender, reused) = self.connection(url).await?;
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let sent = tokio::time::timeout(REQUEST_TIMEOUT, sender.send_request(request)).await;
        let response = match sent {
            Ok(Ok(response)) => response,
            // A kept-alive connection the server had closed: once more on a new one.
            Ok(Err(_)) if reused => {
                let request = self
                    .build_request(method, url, headers, body, with_auth)
                    .map_err(|e| transport_error(e.to_string()))?;
                sender = self.connect(url).await?;
                self.inner.requests.fetch_add(1, Ordering::Relaxed);
                tokio::time::timeout(REQUEST_TIMEOUT, sender.send_request(request))
                    .await
                    .map_err(|_| transport_error("no answer within 300 s".into()))?
                    .map_err(|e| transport_error(e.to_string()))?
            }
            Ok(Err(e)) => return Err(transport_error(e.to_string())),
            Err(_) => return Err(transport_error("no answer within 300 s".into())),
        };
        let (parts, incoming) = response.into_parts();
        let body = tokio::time::timeout(REQUEST_TIMEOUT, incoming.collect())
            .await
            .map_err(|_| transport_error("the answer did not finish within 300 s".into()))?
            .map_err(|e| transport_error(format!("reading the answer: {e}")))?
            .to_bytes();
        self.release(url, sender);
        Ok(Response {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            url: url.clone(),
        })
    }

    fn build_request(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, String)],
        body: Bytes,
        with_auth: bool,
    ) -> std::result::Result<Request<Full<Bytes>>, http::Error> {
        let method = Method::from_bytes(method.as_bytes()).map_err(http::Error::from)?;
        let mut builder = Request::builder()
            .method(method)
            .uri(url.path.as_str())
            .header("host", url.host_header())
            .header("user-agent", self.inner.user_agent.as_str());
        if let Some(auth) = self.inner.auth.header().filter(|_| with_auth) {
            builder = builder.header("authorization", auth);
        }
        for (name, value) in headers {
            builder = builder.header(*name, value.as_str());
        }
        builder.body(Full::new(body))
    }

    async fn connection(&self, url: &Url) -> Result<(Sender, bool)> {
        let origin = url.origin();
        loop {
            let idle = {
                let mut pool = self.inner.idle.lock().unwrap_or_else(|e| e.into_inner());
                pool.get_mut(&origin).and_then(Vec::pop)
            };
            match idle {
                Some(mut sender) => {
                    if sender.ready().await.is_ok() {
                        return Ok((sender, true));
                    }
                }
                None => return Ok((self.connect(url).await?, false)),
            }
        }
    }

    fn release(&self, url: &Url, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut pool = self.inner.idle.lock().unwrap_or_else(|e| e.into_inner());
        let idle = pool.entry(url.origin()).or_default();
        if idle.len() < MAX_IDLE {
            idle.push(sender);
        }
    }

    async fn connect(&self, url: &Url) -> Result<Sender> {
        let connect_error = |reason: String| Error::Connect {
            origin: url.origin(),
            reason,
        };
        let tcp = tokio::time::timeout(
            CONNECT_TIMEOUT,
            TcpStream::connect((url.host.trim_matches(['[', ']']), url.port)),
        )
        .await
        .map_err(|_| connect_error("no connection within 30 s".into()))?
        .map_err(|e| connect_error(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Io> = if url.tls {
            let name = ServerName::try_from(url.host.trim_matches(['[', ']']).to_owned())
                .map_err(|e| connect_error(format!("invalid TLS server name: {e}")))?;
            let tls = self
                .inner
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| connect_error(format!("TLS handshake failed: {e}")))?;
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// Whether two hosts belong to the same site (the same last two labels): a redirect there
/// keeps the credentials.
fn same_site(a: &str, b: &str) -> bool {
    let site = |h: &str| {
        let labels: Vec<&str> = h.trim_end_matches('.').rsplit('.').take(2).collect();
        labels.join(".").to_ascii_lowercase()
    };
    a.eq_ignore_ascii_case(b) || site(a) == site(b)
}

/// A 401, saying which scheme the server wants when it is not one we speak.
fn unauthorized(method: &str, url: &Url, response: &Response) -> Error {
    let challenge = response.header("www-authenticate").unwrap_or("");
    let scheme = challenge.split_whitespace().next().unwrap_or("");
    if !scheme.is_empty()
        && !scheme.eq_ignore_ascii_case("basic")
        && !scheme.eq_ignore_ascii_case("bearer")
    {
        return Error::Status {
            method: method.to_owned(),
            url: url.to_string(),
            status: 401,
            detail: format!(
                ": the server asks for {scheme} authentication, which calvault does not speak \
                 (only Basic and Bearer); switch the server to Basic authentication over HTTPS"
            ),
        };
    }
    Error::Unauthorized {
        method: method.to_owned(),
        url: url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_and_joins_urls() {
        let url = Url::parse("https://dav.example.com/remote.php/dav/").unwrap();
        assert!(url.tls);
        assert_eq!((url.host.as_str(), url.port), ("dav.example.com", 443));
        assert_eq!(url.join("/a/b/").unwrap().path, "/a/b/");
        assert_eq!(url.join("c.ics").unwrap().path, "/remote.php/dav/c.ics");
        let local = Url::parse("http://127.0.0.1:5232").unwrap();
        assert_eq!((local.port, local.path.as_str()), (5232, "/"));
        assert_eq!(local.to_string(), "http://127.0.0.1:5232/");
        assert_eq!(local.join("http://x:1/y").unwrap().origin(), "http://x:1");
        assert!(Url::parse("ftp://x/").is_err());
        assert!(same_site("caldav.icloud.com", "p42-caldav.icloud.com"));
        assert!(!same_site("cloud.example.com", "evil.test"));
        assert!(Url::parse("http://h:port/").is_err());
        let v6 = Url::parse("http://[::1]:8080/dav/").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("[::1]", 8080));
        assert_eq!(Url::parse("https://[::1]/").unwrap().port, 443);
    }
}
