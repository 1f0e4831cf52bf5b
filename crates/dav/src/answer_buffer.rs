//! Buffers for multistatus answers, kept for the next answer once one has been sent.
//!
//! The server's allocator gives freed memory back to the system at once (that keeps RSS
//! flat; see `tune_allocator` in the calvault binary), so an answer of several megabytes
//! written into a fresh buffer pays a page fault and a zeroed page for every 4 KB it fills,
//! and its free pays a `madvise`. A few buffers are kept here instead: the memory this holds
//! is bounded by [`KEPT`] × [`MAX_KEPT_CAPACITY`].

use std::sync::Mutex;

use bytes::Bytes;

/// Buffers kept at most: one per request the two-core target machine writes at once.
const KEPT: usize = 2;
/// Smaller buffers are cheap to allocate afresh and are not kept.
const MIN_KEPT_CAPACITY: usize = 64 << 10;
/// Larger buffers are freed: holding on to them would cost more memory than their page
/// faults cost time (a 50,000-object PROPFIND answer is about 13 MB).
const MAX_KEPT_CAPACITY: usize = 8 << 20;

static KEPT_BUFFERS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A multistatus writer over a kept buffer (see [`take`]); its answer goes to [`into_body`].
pub fn multistatus() -> dav_xml::MultistatusWriter {
    dav_xml::MultistatusWriter::in_buffer(take())
}

/// A buffer to write an answer into: a kept one when there is one, else a new empty one.
pub fn take() -> String {
    KEPT_BUFFERS
        .lock()
        .ok()
        .and_then(|mut kept| kept.pop())
        .unwrap_or_default()
}

/// The response body for a written answer; its buffer comes back here once it is sent.
pub fn into_body(answer: String) -> Bytes {
    if (MIN_KEPT_CAPACITY..=MAX_KEPT_CAPACITY).contains(&answer.capacity()) {
        Bytes::from_owner(SentAnswer(answer))
    } else {
        Bytes::from(answer)
    }
}

struct SentAnswer(String);

impl AsRef<[u8]> for SentAnswer {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Drop for SentAnswer {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.0);
        if let Ok(mut kept) = KEPT_BUFFERS.lock() {
            if kept.len() < KEPT {
                kept.push(buffer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_answer_buffer_is_kept_after_its_body_is_dropped() {
        let mut answer = String::with_capacity(MIN_KEPT_CAPACITY * 2);
        answer.push_str("<D:multistatus/>");
        let capacity = answer.capacity();
        let body = into_body(answer);
        assert_eq!(&body[..], b"<D:multistatus/>");
        drop(body);
        // Other tests may take or keep buffers at the same time: look for ours among all.
        let kept: Vec<String> = std::iter::from_fn(|| {
            let b = take();
            (b.capacity() > 0).then_some(b)
        })
        .take(KEPT)
        .collect();
        assert!(kept.iter().any(|b| b.capacity() == capacity), "not kept");
    }

    #[test]
    fn small_and_huge_answers_are_not_kept() {
        for capacity in [16, MAX_KEPT_CAPACITY + 1] {
            let answer = String::with_capacity(capacity);
            let body = into_body(answer);
            // A plain body: its buffer goes back to the allocator, not to the pool.
            assert!(body.is_unique());
        }
    }
}
