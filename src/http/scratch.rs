//! Per-child (per-thread) buffers and caches that outlive connections: the read buffer, the
//! response and log buffers, the file cache, the `Date` and time-zone caches.
//!
//! They live in a thread-local, taken by `serve_connection` for one connection and put back
//! after, so a child in its steady state allocates nothing per request. In prefork there is
//! one per child; threaded MPMs get one per worker thread for free. Nothing here is ever
//! created in the master (it never serves), so nothing is inherited across fork.

use std::cell::RefCell;

use crate::handlers::RequestPaths;
use crate::handlers::file_cache::FileCache;
use crate::handlers::htaccess_cache::HtaccessCache;
use crate::http::date::DateCache;

/// First size of the read buffer; it grows (up to the head limit) only for huge heads.
const INITIAL_BUFFER: usize = 8 * 1024;
/// Size of the drain/read buffer.
const IO_BUFFER: usize = 4096;

/// The connection's read buffer: `data[start..end]` are received, unconsumed bytes.
#[derive(Debug, Default)]
pub struct InBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl InBuf {
    pub fn bytes(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Drops the first `n` unconsumed bytes.
    pub fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Makes free space after the data, compacting or growing (to about `max` at most).
    pub fn make_room(&mut self, max: usize) {
        if self.data.len() < INITIAL_BUFFER {
            self.data.resize(INITIAL_BUFFER, 0);
        }
        if self.end < self.data.len() {
            return;
        }
        if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.data.len() {
            let grown = (self.data.len() * 2).min(max.max(INITIAL_BUFFER) + INITIAL_BUFFER);
            self.data.resize(grown.max(self.data.len() + 1), 0);
        }
    }

    /// The free space after the data (call [`InBuf::make_room`] first).
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.data[self.end..]
    }

    /// `n` bytes were read into [`InBuf::spare`].
    pub fn filled(&mut self, n: usize) {
        self.end += n;
    }

    pub fn append(&mut self, bytes: &[u8]) {
        self.make_room(0);
        if self.data.len() - self.end < bytes.len() {
            self.data.resize(self.end + bytes.len(), 0);
        }
        self.data[self.end..self.end + bytes.len()].copy_from_slice(bytes);
        self.end += bytes.len();
    }
}

/// The local UTC offset and zone name, recomputed when the second changes.
#[derive(Debug, Default)]
pub struct TzCache {
    secs: i64,
    local: Option<crate::sys::time::LocalTime>,
}

impl TzCache {
    /// The offset at `secs` (then [`TzCache::zone`] is that instant's zone name).
    pub fn get(&mut self, secs: i64) -> i32 {
        match self.local {
            Some(t) if secs == self.secs => t.utc_offset as i32,
            _ => {
                self.secs = secs;
                let t = crate::sys::time::local_time(secs);
                self.local = Some(t);
                t.utc_offset as i32
            }
        }
    }

    /// The zone's abbreviation at the last [`TzCache::get`].
    pub fn zone(&self) -> &str {
        self.local.as_ref().map_or("", |t| t.zone())
    }
}

/// Everything but the read buffer (split so a request borrowing the read buffer can coexist
/// with mutable use of these).
#[derive(Debug, Default)]
pub struct Work {
    /// Response head (and small in-memory bodies).
    pub out: Vec<u8>,
    /// Socket reads while reading a body.
    pub spill: Vec<u8>,
    /// File reads (no mmap/sendfile), lingering-close drains and the proxy's backend reads.
    pub io_buf: Vec<u8>,
    /// The request head a proxied request sends to its backend.
    pub proxy_head: Vec<u8>,
    /// The request body a proxied request prefetches before sending.
    pub proxy_body: Vec<u8>,
    pub log_line: Vec<u8>,
    pub paths: RequestPaths,
    pub cache: FileCache,
    pub htaccess: HtaccessCache,
    pub negotiation: crate::handlers::negotiation::NegotiationCache,
    pub dates: DateCache,
    pub tz: TzCache,
}

impl Work {
    /// The drain buffer, at least 4 KiB.
    pub fn drain_buf(&mut self) -> &mut [u8] {
        if self.io_buf.len() < IO_BUFFER {
            self.io_buf.resize(IO_BUFFER, 0);
        }
        &mut self.io_buf
    }
}

/// The per-thread state.
#[derive(Debug, Default)]
pub struct Scratch {
    pub inbuf: InBuf,
    pub work: Work,
}

thread_local! {
    static SCRATCH: RefCell<Option<Box<Scratch>>> = const { RefCell::new(None) };
}

/// Takes this thread's scratch (a fresh one the first time).
pub fn take() -> Box<Scratch> {
    SCRATCH.with(|s| s.borrow_mut().take()).unwrap_or_default()
}

/// Buffers grown beyond this by an unusual request are freed when the connection ends, so a
/// child's memory (PSS) returns to its steady state.
const KEEP_BUFFER: usize = 64 * 1024;

fn trim(buf: &mut Vec<u8>) {
    if buf.capacity() > KEEP_BUFFER {
        *buf = Vec::new();
    }
}

/// Puts the scratch back for the next connection, dropping any unread input and any buffer
/// an unusual request made large.
pub fn give_back(mut scratch: Box<Scratch>) {
    scratch.inbuf.clear();
    trim(&mut scratch.inbuf.data);
    let w = &mut scratch.work;
    for buf in [
        &mut w.out,
        &mut w.spill,
        &mut w.io_buf,
        &mut w.proxy_head,
        &mut w.proxy_body,
        &mut w.log_line,
    ] {
        trim(buf);
    }
    SCRATCH.with(|s| *s.borrow_mut() = Some(scratch));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbuf_consume_compact_grow_append() {
        let mut b = InBuf::default();
        b.make_room(100);
        b.spare()[..5].copy_from_slice(b"hello");
        b.filled(5);
        b.consume(2);
        assert_eq!(b.bytes(), b"llo");
        b.consume(3);
        assert!(b.is_empty());
        // Fill completely, consume a little, then make room: compacts.
        let n = b.spare().len();
        b.filled(n);
        b.consume(10);
        b.make_room(100);
        assert_eq!(b.len(), n - 10);
        assert!(!b.spare().is_empty());
        // Full from the start: grows.
        let m = b.spare().len();
        b.filled(m);
        b.make_room(1 << 20);
        assert!(b.spare().len() >= INITIAL_BUFFER);
        b.clear();
        b.append(b"abc");
        assert_eq!(b.bytes(), b"abc");
    }
}
