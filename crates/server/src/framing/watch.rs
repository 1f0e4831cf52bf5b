//! A watch on the bytes of an HTTP/1.1 connection, for the one framing fault the HTTP
//! library hides: a request with both `Transfer-Encoding` and `Content-Length`. hyper reads
//! such a request by its Transfer-Encoding, drops the Content-Length header and closes the
//! connection afterwards (RFC 9112 §6.1 allows that), so the application never sees both.
//! We refuse it instead: this watch follows each request on the connection — its head, then
//! its body by Content-Length or chunk by chunk — and adds a [`MARK`] header to the head of
//! such a request, which the framing check answers with 400.
//!
//! A connection that starts with the HTTP/2 preface is passed through untouched (HTTP/2 has
//! no such framing), and so is anything the watch cannot follow (a head beyond
//! [`MAX_HEAD`], which hyper refuses itself).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The header the watch adds; a client sending it only gets itself a 400.
pub const MARK: &str = "x-calvault-framing";
/// Longer heads are passed on as they come: hyper refuses them anyway.
const MAX_HEAD: usize = 64 * 1024;
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n";
/// Bytes read from the connection at a time.
const READ_SIZE: usize = 16 * 1024;

#[derive(Debug)]
enum State {
    /// Reading a request head (the bytes so far).
    Head(Vec<u8>),
    /// This many body bytes are still to come.
    Body(u64),
    /// A chunked body: reading a chunk-size line.
    ChunkSize(Vec<u8>),
    /// In a chunk: this many bytes, then its CRLF.
    ChunkData(u64),
    /// After the last chunk: trailer lines until an empty one.
    Trailers(Vec<u8>),
    /// Not followed any more.
    Through,
}

/// The pure part: bytes in, the same bytes out, with [`MARK`] added where needed.
#[derive(Debug)]
pub struct Tracker {
    state: State,
    at_start: bool,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            state: State::Head(Vec::new()),
            at_start: true,
        }
    }
}

impl Tracker {
    pub fn passthrough() -> Self {
        Tracker {
            state: State::Through,
            at_start: false,
        }
    }

    /// Feeds bytes read from the client; appends what hyper should read to `out`.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            match &mut self.state {
                State::Through => {
                    out.extend_from_slice(input);
                    return;
                }
                State::Head(head) => {
                    // A client may send empty lines between requests (RFC 9112 §2.2).
                    if head.is_empty() && (input[0] == b'\r' || input[0] == b'\n') {
                        out.push(input[0]);
                        input = &input[1..];
                        continue;
                    }
                    let Some(end) = head_end(head, input) else {
                        head.extend_from_slice(input);
                        if self.at_start && starts_like(head, HTTP2_PREFACE)
                            || head.len() > MAX_HEAD
                        {
                            out.append(head);
                            self.state = State::Through;
                        }
                        return;
                    };
                    let (rest_of_head, after) = input.split_at(end);
                    input = after;
                    let mut whole = std::mem::take(head);
                    let complete: &[u8] = if whole.is_empty() {
                        rest_of_head
                    } else {
                        whole.extend_from_slice(rest_of_head);
                        &whole
                    };
                    if self.at_start && starts_like(complete, HTTP2_PREFACE) {
                        out.extend_from_slice(complete);
                        self.state = State::Through;
                        continue;
                    }
                    self.at_start = false;
                    self.state = after_head(complete, out);
                }
                State::Body(left) => {
                    let n = (*left).min(input.len() as u64) as usize;
                    out.extend_from_slice(&input[..n]);
                    input = &input[n..];
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = State::Head(Vec::new());
                    }
                }
                State::ChunkSize(line) => {
                    let taken = take_through(line, input, b"\r\n");
                    out.extend_from_slice(&input[..taken]);
                    input = &input[taken..];
                    if line.ends_with(b"\r\n") {
                        self.state = match chunk_size(line) {
                            Some(0) => State::Trailers(Vec::new()),
                            Some(n) => State::ChunkData(n.saturating_add(2)),
                            None => State::Through,
                        };
                    } else if line.len() > 1024 {
                        self.state = State::Through;
                    }
                }
                State::ChunkData(left) => {
                    let n = (*left).min(input.len() as u64) as usize;
                    out.extend_from_slice(&input[..n]);
                    input = &input[n..];
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = State::ChunkSize(Vec::new());
                    }
                }
                State::Trailers(line) => {
                    let taken = take_through(line, input, b"\r\n");
                    out.extend_from_slice(&input[..taken]);
                    input = &input[taken..];
                    if line.as_slice() == b"\r\n" {
                        self.state = State::Head(Vec::new());
                    } else if line.ends_with(b"\r\n") {
                        line.clear();
                    } else if line.len() > MAX_HEAD {
                        self.state = State::Through;
                    }
                }
            }
        }
    }
}

/// Where the head that `head` (the part read before) and `input` hold ends in `input`: just
/// after its empty line.
fn head_end(head: &[u8], input: &[u8]) -> Option<usize> {
    let tail = &head[head.len().saturating_sub(3)..];
    for (i, &b) in input.iter().enumerate() {
        if b != b'\n' {
            continue;
        }
        // The four bytes ending here, across the two parts.
        let mut last = [0u8; 4];
        let from_input = (i + 1).min(4);
        let from_tail = 4 - from_input;
        if tail.len() < from_tail {
            continue;
        }
        last[..from_tail].copy_from_slice(&tail[tail.len() - from_tail..]);
        last[from_tail..].copy_from_slice(&input[i + 1 - from_input..=i]);
        if &last == b"\r\n\r\n" {
            return Some(i + 1);
        }
    }
    None
}

/// Passes a complete head on (marked if it frames its body twice) and says what follows.
/// The header lines are only scanned, not parsed: hyper parses the head after this and
/// refuses what is malformed.
fn after_head(head: &[u8], out: &mut Vec<u8>) -> State {
    let (mut chunked, mut length, mut lengths, mut unreadable) = (false, None, 0u32, false);
    for line in head.split(|&b| b == b'\n').skip(1) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"content-length") {
            lengths += 1;
            let this = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok());
            // hyper takes repeated equal lengths and refuses differing or unreadable ones.
            unreadable |= this.is_none() || length.is_some_and(|l| Some(l) != this);
            length = this;
        }
    }
    if chunked && lengths > 0 {
        out.extend_from_slice(&head[..head.len() - 2]);
        out.extend_from_slice(MARK.as_bytes());
        out.extend_from_slice(b": transfer-encoding-and-content-length\r\n\r\n");
        // hyper closes the connection after this request: nothing more to follow.
        return State::Through;
    }
    out.extend_from_slice(head);
    match (chunked, length) {
        (true, _) => State::ChunkSize(Vec::new()),
        // hyper refuses the request: nothing after it is read.
        (false, _) if unreadable => State::Through,
        (false, Some(0) | None) => State::Head(Vec::new()),
        (false, Some(n)) => State::Body(n),
    }
}

/// Moves bytes from `input` into `buf` up to and including the first `end` that the two
/// together hold; returns how many were taken.
fn take_through(buf: &mut Vec<u8>, input: &[u8], end: &[u8]) -> usize {
    for (i, &b) in input.iter().enumerate() {
        buf.push(b);
        if buf.ends_with(end) {
            return i + 1;
        }
    }
    input.len()
}

fn starts_like(bytes: &[u8], prefix: &[u8]) -> bool {
    let n = bytes.len().min(prefix.len());
    n > 0 && bytes[..n] == prefix[..n] && bytes.len() >= prefix.len()
}

/// The size of a chunk from its `size[;extensions]\r\n` line.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(line).ok()?;
    let size = text.trim_end().split(';').next()?.trim();
    u64::from_str_radix(size, 16).ok()
}

/// A connection's stream, read through a [`Tracker`].
pub struct Watched<S> {
    inner: S,
    tracker: Tracker,
    /// Bytes ready for hyper, and how many of them it has taken.
    ready: Vec<u8>,
    taken: usize,
    /// Where reads land before the tracker sees them: made (and zeroed) once per
    /// connection, since zeroing 16 KB on every read was half of a GET's instructions.
    scratch: Vec<u8>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, tracker: Tracker) -> Self {
        Watched {
            inner,
            tracker,
            ready: Vec::new(),
            taken: 0,
            scratch: vec![0; READ_SIZE],
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.taken < this.ready.len() {
                let n = (this.ready.len() - this.taken).min(buf.remaining());
                buf.put_slice(&this.ready[this.taken..this.taken + n]);
                this.taken += n;
                if this.taken == this.ready.len() {
                    this.ready.clear();
                    this.taken = 0;
                }
                return Poll::Ready(Ok(()));
            }
            let mut read = ReadBuf::new(&mut this.scratch);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            let got = read.filled();
            if got.is_empty() {
                // End of stream, with a head left unfinished: hyper sees what there was.
                if let State::Head(head) = &mut this.tracker.state {
                    let rest = std::mem::take(head);
                    if !rest.is_empty() {
                        this.ready = rest;
                        continue;
                    }
                }
                return Poll::Ready(Ok(()));
            }
            this.tracker.feed(got, &mut this.ready);
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(chunks: &[&[u8]]) -> Vec<u8> {
        let mut t = Tracker::default();
        let mut out = Vec::new();
        for c in chunks {
            t.feed(c, &mut out);
        }
        out
    }

    #[test]
    fn requests_pass_unchanged_however_they_are_split() {
        let stream: &[u8] = b"PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
            POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
            5;ext=1\r\nhello\r\n0\r\nTrailer: y\r\n\r\n\
            GET /c HTTP/1.1\r\nHost: x\r\n\r\n";
        for split in 1..stream.len() {
            let (a, b) = stream.split_at(split);
            assert_eq!(through(&[a, b]), stream, "split at {split}");
        }
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(through(&bytes), stream);
    }

    #[test]
    fn a_body_framed_twice_is_marked_even_after_a_kept_alive_request() {
        let stream: &[u8] = b"GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi\
            PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let out = String::from_utf8(through(&[stream])).unwrap_or_default();
        assert!(out.starts_with("GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiPUT"));
        assert!(out
            .contains("x-calvault-framing: transfer-encoding-and-content-length\r\n\r\n0\r\n\r\n"));
        // A body that only looks like a head is a body.
        let body = "GET /b HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        let hidden = format!(
            "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        assert_eq!(through(&[hidden.as_bytes()]), hidden.as_bytes());
    }

    #[test]
    fn http2_passes_through() {
        let preface: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04";
        assert_eq!(through(&[&preface[..5], &preface[5..]]), preface);
    }
}
