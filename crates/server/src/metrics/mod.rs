//! `/metrics` in the Prometheus text format (OpenMetrics, through `prometheus-client`):
//! requests by method and status, request latency by method, bytes in and out and active
//! connections ([`connection`]), store operation latency, the write group size and commit
//! (fsync) latency (from `store::observe`), failed and throttled sign-ins, and the users and
//! objects the store holds (read when scraped).
//!
//! Nothing here may slow a request measurably: counters and gauges are atomics, and the
//! per-method latency histograms are looked up by index in an array made at start-up, not
//! by label; only the request counter's (method, status) pair goes through the family's
//! map, a read lock and a hash of two words, with no allocation once the pair was seen.
//! The metrics are the process's ([`metrics`]): every server in it counts into them.

pub mod connection;

use std::sync::LazyLock;
use std::time::Duration;

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use store::observe::{Observer, Operation};
use store::Store;

/// The media type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Methods with a latency histogram of their own; the rest count as `OTHER`.
const METHODS: [&str; 16] = [
    "GET",
    "HEAD",
    "PUT",
    "DELETE",
    "OPTIONS",
    "PROPFIND",
    "PROPPATCH",
    "REPORT",
    "MKCOL",
    "MKCALENDAR",
    "COPY",
    "MOVE",
    "POST",
    "LOCK",
    "UNLOCK",
    "OTHER",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabel {
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabel {
    operation: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric of the process, in one registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: [Histogram; METHODS.len()],
    pub(crate) bytes_in: Counter,
    pub(crate) bytes_out: Counter,
    pub(crate) connections: Gauge,
    store_read: Histogram,
    store_write: Histogram,
    write_group: Histogram,
    commit: Histogram,
    auth_failures: Counter,
    throttled: Counter,
    users: Gauge,
    objects: Gauge,
}

/// The process's metrics; the first call also makes them the store's observer.
pub fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    let m: &'static Metrics = &METRICS;
    store::observe::set_observer(m);
    m
}

/// 1 ms to 16 s, doubling: requests and whole store writes.
fn request_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// 0.1 ms to 3.3 s, doubling: single store operations and commits.
fn store_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("calvault");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method and status",
            requests.clone(),
        );
        let latency_family: Histograms<MethodLabel> =
            Family::new_with_constructor(request_histogram);
        let latency =
            METHODS.map(|method| latency_family.get_or_create_owned(&MethodLabel { method }));
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's head to its answer, by method",
            latency_family,
        );
        let store_family: Histograms<OperationLabel> =
            Family::new_with_constructor(store_histogram);
        let store_op = |operation| store_family.get_or_create_owned(&OperationLabel { operation });
        let (store_read, store_write) = (store_op("read"), store_op("write"));
        registry.register(
            "store_operation_duration_seconds",
            "Store operations: reads, and write transactions from queueing to commit",
            store_family,
        );
        let write_group = Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]);
        registry.register(
            "store_write_group_size",
            "Writes committed together by SQLite's writer (one sync for all)",
            write_group.clone(),
        );
        let commit = store_histogram();
        registry.register(
            "store_commit_duration_seconds",
            "Commits of write transactions (SQLite: the sync of its WAL; PostgreSQL: COMMIT)",
            commit.clone(),
        );
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        Metrics {
            bytes_in: counter(
                &mut registry,
                "http_received_bytes",
                "Bytes read from clients",
            ),
            bytes_out: counter(&mut registry, "http_sent_bytes", "Bytes sent to clients"),
            connections: gauge(&mut registry, "http_connections", "Open client connections"),
            auth_failures: counter(
                &mut registry,
                "auth_failures",
                "Sign-ins refused for a wrong name, password or app password",
            ),
            throttled: counter(
                &mut registry,
                "auth_throttled",
                "Sign-ins refused unchecked because of too many failures (429)",
            ),
            users: gauge(&mut registry, "users", "Accounts in the store"),
            objects: gauge(
                &mut registry,
                "objects",
                "Calendar objects in live calendars",
            ),
            registry,
            requests,
            latency,
            store_read,
            store_write,
            write_group,
            commit,
        }
    }

    /// One answered request.
    pub fn request(&self, method: &Method, status: u16, took: Duration) {
        let index = METHODS
            .iter()
            .position(|m| *m == method.as_str())
            .unwrap_or(METHODS.len() - 1);
        let method = METHODS[index];
        self.requests
            .get_or_create(&RequestLabels { method, status })
            .inc();
        self.latency[index].observe(took.as_secs_f64());
    }

    pub fn auth_failure(&self) {
        self.auth_failures.inc();
    }

    pub fn throttled(&self) {
        self.throttled.inc();
    }

    /// The text a scrape gets; the store's totals are read now (left as they were when the
    /// store does not answer).
    pub async fn render(&self, store: &dyn Store) -> String {
        if let Ok(status) = store.status().await {
            self.users
                .set(i64::try_from(status.users).unwrap_or(i64::MAX));
            self.objects
                .set(i64::try_from(status.objects).unwrap_or(i64::MAX));
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Observer for Metrics {
    fn operation(&self, operation: Operation, took: Duration) {
        match operation {
            Operation::Read => self.store_read.observe(took.as_secs_f64()),
            Operation::Write => self.store_write.observe(took.as_secs_f64()),
        }
    }

    fn write_group(&self, writes: usize) {
        self.write_group.observe(writes as f64);
    }

    fn commit(&self, took: Duration) {
        self.commit.observe(took.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn requests_are_counted_by_method_and_status_with_their_latency() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_sqlite::open(&dir.path().join("db")).unwrap();
        let m = metrics();
        m.request(&Method::GET, 200, Duration::from_millis(3));
        m.request(
            &Method::from_bytes(b"BREW").unwrap(),
            501,
            Duration::from_millis(1),
        );
        m.auth_failure();
        let text = m.render(&store).await;
        assert!(
            text.contains("calvault_http_requests_total{method=\"GET\",status=\"200\"}"),
            "{text}"
        );
        assert!(text.contains("calvault_http_requests_total{method=\"OTHER\",status=\"501\"}"));
        assert!(
            text.contains(
                "calvault_http_request_duration_seconds_bucket{le=\"0.004\",method=\"GET\"}"
            ) || text.contains(
                "calvault_http_request_duration_seconds_bucket{method=\"GET\",le=\"0.004\"}"
            ),
            "{text}"
        );
        assert!(text.contains("calvault_auth_failures_total"));
        assert!(text.contains("calvault_users 0"), "{text}");
        assert!(text.contains("# EOF"));
    }
}
