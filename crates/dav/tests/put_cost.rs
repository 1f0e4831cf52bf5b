//! What a PUT costs the store when nothing is locked (issue 26: "the benchmark's PUT figures
//! are unchanged when no lock exists"): the operations the path's resolution and the write
//! always took, and no lookup of locks. The write reads its collection's `home_locked`
//! flag with the row it reads anyway, so the count of store operations is the whole cost.
//! Its own file: the store's observer is one per process.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::StatusCode;
use store::observe::{self, Observer, Operation};
use support::*;

#[derive(Default)]
struct Count {
    reads: AtomicUsize,
    writes: AtomicUsize,
}

impl Observer for Count {
    fn operation(&self, operation: Operation, _: Duration) {
        match operation {
            Operation::Read => self.reads.fetch_add(1, Ordering::SeqCst),
            Operation::Write => self.writes.fetch_add(1, Ordering::SeqCst),
        };
    }
    fn write_group(&self, _: usize) {}
    fn commit(&self, _: Duration) {}
}

static COUNT: Count = Count {
    reads: AtomicUsize::new(0),
    writes: AtomicUsize::new(0),
};

/// The store operations (reads, writes) `f` made.
async fn counted<F: std::future::Future<Output = http::Response<bytes::Bytes>>>(
    f: F,
) -> ((usize, usize), StatusCode) {
    let before = (
        COUNT.reads.load(Ordering::SeqCst),
        COUNT.writes.load(Ordering::SeqCst),
    );
    let status = f.await.status();
    let after = (
        COUNT.reads.load(Ordering::SeqCst),
        COUNT.writes.load(Ordering::SeqCst),
    );
    ((after.0 - before.0, after.1 - before.1), status)
}

#[tokio::test]
async fn a_put_where_nothing_is_locked_makes_no_lock_lookup() {
    assert!(observe::set_observer(&COUNT));
    let h = harness().await;
    let new = |name: &str| format!("{CAL}{name}.ics");
    // Resolution: the member lookup, then whether the path is a collection; one write.
    let (ops, status) = counted(h.ann("PUT", &new("a"), &[], &event("a", "first"))).await;
    assert_eq!((ops, status), ((2, 1), StatusCode::CREATED));
    // Replacing: the member lookup finds the object; one write.
    let (ops, status) = counted(h.ann("PUT", &new("a"), &[], &event("a", "second"))).await;
    assert_eq!((ops, status), ((1, 1), StatusCode::NO_CONTENT));

    // Another user's lock changes nothing for ann.
    let lockinfo = "<D:lockinfo xmlns:D='DAV:'><D:lockscope><D:exclusive/></D:lockscope>\
        <D:locktype><D:write/></D:locktype></D:lockinfo>";
    let r = h
        .send(
            &h.bob,
            "LOCK",
            "/dav/calendars/bob/calendar/",
            &[],
            lockinfo,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (ops, status) = counted(h.ann("PUT", &new("a"), &[], &event("a", "third"))).await;
    assert_eq!((ops, status), ((1, 1), StatusCode::NO_CONTENT));

    // A request that names a lock token costs the one lookup of its home's locks.
    let r = h.ann("LOCK", &new("b"), &[], lockinfo).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.headers()["lock-token"].to_str().unwrap().to_owned();
    let if_header = format!("({token})");
    let (ops, status) =
        counted(h.ann("PUT", &new("b"), &[("if", &if_header)], &event("b", "mine"))).await;
    assert_eq!((ops, status), ((3, 1), StatusCode::CREATED));
}
