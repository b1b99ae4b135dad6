//! One proxied request, end to end (mod_proxy_http's handler): admission against the shared
//! error state, a pooled or new backend connection, the request head and body to the backend,
//! the response head and body back to the client, the connection back to the pool.
//!
//! Blocking, in the serving thread, for every MPM. The decisions come from the pure modules
//! (`request_head`, `response_head`, `pool`, `shared`, `http::framing`); this file sequences
//! them and moves bytes. It never writes an error page itself: failures before anything was
//! sent to the client come back as [`Outcome::Refused`] for the connection loop to answer.

use std::io::{self, IoSlice};

use super::backend::{self, BackendConn};
use super::exchange::{exchange, stream_body};
use super::relay::relay;
use super::request_head::{self, BodyOut, HeadParams};
use super::rules::ReversePair;
use super::shared::Admission;
use super::{Proxy, ProxyJob, Worker};
use crate::http::body::{BodyDecoder, BodyError, BodyFraming, BodyReader};
use crate::http::request::{Expectation, Version};
use crate::scoreboard::now_us;

/// Body bytes read from the client before the request goes out (Apache's 16 KiB prefetch): a
/// body that fits is sent with a Content-Length and can be replayed on a fresh connection
/// when a reused one turns out closed.
const PREFETCH: usize = 16 * 1024;
/// Size of a backend read (Apache reads 8 KiB, ProxyIOBufferSize): kept by every thread that
/// proxied, so larger costs memory in the threaded MPMs (64 KiB: +6 MiB PSS over 6 children).
pub(super) const READ_SIZE: usize = 16 * 1024;

pub use super::outcome::{BodyUse, ClientEnd, ClientSide, Outcome, Refusal, RequestInfo, Target};

/// The buffers a proxied request works in: the connection loop's per-thread scratch
/// (`http::scratch::Work`), lent for the request, so a proxied request allocates none.
pub struct Buffers<'a> {
    /// The body prefetched before the request goes out.
    pub(super) pre: &'a mut Vec<u8>,
    /// Backend reads (the response head, then the body relayed through it).
    pub(super) read: &'a mut Vec<u8>,
    /// The request head sent to the backend.
    pub(super) head: &'a mut Vec<u8>,
}

impl<'a> Buffers<'a> {
    /// Lends `pre`, `head` and `read` (grown to a backend read if smaller).
    pub fn new(pre: &'a mut Vec<u8>, head: &'a mut Vec<u8>, read: &'a mut Vec<u8>) -> Self {
        if read.len() < READ_SIZE {
            read.resize(READ_SIZE, 0);
        }
        Buffers { pre, read, head }
    }
}

/// A pool slot held for one request; released (with the connection if marked reusable) on
/// drop, whatever path the request takes.
struct Slot<'w> {
    worker: &'w Worker,
    conn: Option<BackendConn>,
    reusable: bool,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let conn = self.conn.take().filter(|_| self.reusable);
        self.worker.pool.release(conn);
    }
}

/// Why an attempt on one backend connection failed.
pub(super) enum Failure {
    /// Answer this status (nothing sent to the client yet).
    Status(u16),
    /// The backend cannot be used: 503, another member may be tried.
    Unreachable,
    /// The backend did not answer in time: 502.
    Timeout,
    /// The reused connection was closed by the backend before answering: try a fresh one.
    Stale,
    /// The client failed while sending its body.
    Client(BodyError),
}

/// Forwards `job` and relays the answer. See the module doc.
pub fn forward(
    proxy: &Proxy,
    job: &ProxyJob,
    r: &RequestInfo<'_, '_, '_>,
    c: &mut ClientSide<'_, '_>,
    bufs: &mut Buffers<'_>,
) -> Outcome {
    if let Some(b) = job.balancer {
        return super::balanced::forward(proxy, &proxy.balancers[b], job, r, c, bufs);
    }
    let target = Target {
        path: &job.target,
        preserve_host: job.preserve_host,
    };
    match job.worker {
        Some(w) => attempt(proxy, &proxy.workers[w], target, true, r, c, bufs),
        None => Outcome::Refused {
            status: 503,
            body: BodyUse {
                unread: r.req.body != BodyFraming::None,
                ..BodyUse::default()
            },
            cause: Refusal::Other,
        },
    }
}

/// One attempt on one worker. `admit`: check the worker's error state first (a balancer's
/// selection already did).
pub(super) fn attempt(
    proxy: &Proxy,
    worker: &Worker,
    job: Target<'_>,
    admit: bool,
    r: &RequestInfo<'_, '_, '_>,
    c: &mut ClientSide<'_, '_>,
    bufs: &mut Buffers<'_>,
) -> Outcome {
    let req = r.req;
    let has_body = req.body != BodyFraming::None;
    let unread = BodyUse {
        unread: has_body,
        ..BodyUse::default()
    };
    let s = &worker.settings;
    let admission = if admit {
        worker
            .shared
            .admit(now_us(), s.retry, s.connect_timeout + s.timeout)
    } else {
        Admission::Usable
    };
    if admit && admission == Admission::InError {
        log::error!(
            "proxy: HTTP: disabled connection for ({}:{})",
            worker.url.host,
            worker.url.port
        );
        return Outcome::Refused {
            status: 503,
            body: unread,
            cause: Refusal::Unreachable,
        };
    }
    let decoder = match BodyDecoder::new(req.body, r.body_limit) {
        Ok(d) => d,
        Err(e) => {
            return Outcome::Refused {
                status: e.status(),
                body: unread,
                cause: Refusal::Other,
            };
        }
    };
    let Some(pooled) = worker.pool.acquire() else {
        log::error!(
            "proxy: HTTP: failed to acquire connection for ({}:{})",
            worker.url.host,
            worker.url.port
        );
        return Outcome::Refused {
            status: 503,
            body: unread,
            cause: Refusal::Unreachable,
        };
    };
    let mut slot = Slot {
        worker,
        conn: pooled.filter(|conn| conn.still_usable()),
        reusable: false,
    };
    bufs.pre.clear();
    bufs.head.clear();
    run(
        worker,
        &job,
        proxy.reverse_pairs(),
        r,
        c,
        &mut slot,
        bufs,
        decoder,
    )
}

/// Gets a connection into the slot: the pooled one, or a new one (error state on failure).
fn ensure_conn(worker: &Worker, slot: &mut Slot<'_>) -> Result<bool, Failure> {
    if let Some(conn) = &slot.conn {
        return Ok(conn.used > 0);
    }
    match backend::connect(worker) {
        Ok(conn) => {
            worker.shared.succeeded();
            slot.conn = Some(conn);
            Ok(false)
        }
        Err(e) => {
            let retry = worker.settings.retry;
            log::error!(
                "proxy: HTTP: attempt to connect to {}:{} failed: {e}; disabling worker for {}s",
                worker.url.host,
                worker.url.port,
                retry.as_secs()
            );
            worker.shared.failed(now_us(), retry);
            Err(Failure::Unreachable)
        }
    }
}

/// Is a failed write or read on a reused connection the backend having closed it?
pub(super) fn is_stale(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
    )
}

/// Appends `data` to `out` chunk-framed (nothing for empty data).
pub(super) fn push_chunk_frame(out: &mut Vec<u8>, data_len: usize) {
    out.extend_from_slice(format!("{data_len:x}\r\n").as_bytes());
}

#[allow(clippy::too_many_arguments)]
fn run(
    worker: &Worker,
    job: &Target<'_>,
    reverse: &[ReversePair],
    r: &RequestInfo<'_, '_, '_>,
    c: &mut ClientSide<'_, '_>,
    slot: &mut Slot<'_>,
    bufs: &mut Buffers<'_>,
    decoder: BodyDecoder,
) -> Outcome {
    let req = r.req;
    let has_body = req.body != BodyFraming::None;
    let expect = has_body && req.expect == Expectation::Continue && req.version == Version::Http11;
    let mut body = BodyUse {
        unread: has_body,
        ..BodyUse::default()
    };
    // Connect first: a backend that cannot be reached is known before the client's body is
    // read, so a balancer can still give the request to another member.
    if let Err(f) = ensure_conn(worker, slot) {
        return refused(f, body);
    }
    let mut to_backend = 0u64;
    let mut complete = !has_body;
    let mut body_out = if has_body {
        BodyOut::Chunked
    } else {
        BodyOut::None
    };
    // Prefetch (not with 100-continue: the client waits for the backend's 100), send, and
    // stream the rest, while the body reader holds the client connection.
    let sent = if has_body && !expect {
        let mut rd = BodyReader::new(
            decoder.clone(),
            c.buffered,
            c.spill,
            c.io,
            r.client_timeout,
            false,
        );
        let mut failed = None;
        loop {
            match rd.next_chunk() {
                Ok(Some(d)) => {
                    bufs.pre.extend_from_slice(d);
                    if bufs.pre.len() >= PREFETCH {
                        break;
                    }
                }
                Ok(None) => {
                    complete = true;
                    break;
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        body_out = match (complete, req.body) {
            (true, _) => BodyOut::Length(bufs.pre.len() as u64),
            (false, BodyFraming::Length(n)) => BodyOut::Length(n),
            (false, _) => BodyOut::Chunked,
        };
        build_head(worker, job, r, bufs, body_out, expect);
        let sent = match failed {
            Some(e) => Err(Failure::Client(e)),
            None => send_request(worker, slot, bufs, body_out, Some(&mut rd), &mut to_backend),
        };
        let left = rd.finish();
        body = BodyUse {
            buffered_consumed: left.buffered_consumed,
            spill: left.spill,
            wire: left.wire,
            unread: sent.is_err(),
        };
        sent
    } else {
        if has_body {
            body_out = match req.body {
                BodyFraming::Length(n) => BodyOut::Length(n),
                _ => BodyOut::Chunked,
            };
        }
        build_head(worker, job, r, bufs, body_out, expect);
        send_request(worker, slot, bufs, body_out, None, &mut to_backend)
    };
    // The request is out: a reused connection that closes before answering is replaced once
    // if the body can be sent again (it was all held in memory, or, with 100-continue, not
    // read yet).
    let mut may_retry = match sent {
        Ok(reused) => reused && (complete || expect),
        Err(Failure::Client(e)) => {
            slot.conn = None;
            return client_failure_after(e, body);
        }
        Err(f) => return refused(f, body),
    };
    let (head, filled) = loop {
        let conn = slot.conn.as_mut().expect("connection in use");
        let step = exchange(
            worker,
            r,
            c,
            conn,
            bufs,
            &mut body,
            body_out,
            expect,
            &decoder,
            &mut to_backend,
            may_retry,
        );
        match step {
            Ok(done) => break done,
            Err(Failure::Stale) => {
                log::debug!("proxy: reused backend connection was closed; retrying on a new one");
                slot.conn = None;
                may_retry = false;
                if let Err(f) = send_request(worker, slot, bufs, body_out, None, &mut to_backend) {
                    slot.conn = None;
                    return refused(f, body);
                }
            }
            Err(Failure::Client(e)) => {
                slot.conn = None;
                return client_failure_after(e, body);
            }
            Err(f) => {
                slot.conn = None;
                return refused(f, body);
            }
        }
    };
    let Slot { conn, reusable, .. } = slot;
    let conn = conn.as_mut().expect("connection in use");
    relay(
        worker, reverse, r, c, conn, reusable, bufs, head, filled, body, to_backend,
    )
}

/// The backend request head, into `bufs.head`.
fn build_head(
    worker: &Worker,
    job: &Target<'_>,
    r: &RequestInfo<'_, '_, '_>,
    bufs: &mut Buffers<'_>,
    body: BodyOut,
    expect: bool,
) {
    let req = r.req;
    let host = match (job.preserve_host, req.host) {
        (true, Some(h)) => h,
        _ => worker.host_header.as_str(),
    };
    request_head::build(
        bufs.head,
        req.headers,
        &HeadParams {
            method: req.method_str,
            target: job.path,
            host,
            client_ip: r.client_ip,
            client_host: req.header("host"),
            server_name: r.server_name,
            body,
            expect_continue: expect,
            close: worker.settings.disablereuse,
        },
    );
}

/// Sends the head and the prefetched body on the slot's connection (opening one if needed;
/// a reused one that turns out closed is replaced once), then streams the rest of the body
/// from `rd`. `Ok(reused)`: whether the connection had served requests before.
fn send_request(
    worker: &Worker,
    slot: &mut Slot<'_>,
    bufs: &Buffers<'_>,
    body_out: BodyOut,
    mut rd: Option<&mut BodyReader<'_, '_>>,
    to_backend: &mut u64,
) -> Result<bool, Failure> {
    let mut frame = Vec::new();
    if body_out == BodyOut::Chunked && !bufs.pre.is_empty() {
        push_chunk_frame(&mut frame, bufs.pre.len());
    }
    let crlf: &[u8] = if frame.is_empty() { b"" } else { b"\r\n" };
    let mut attempt = 0;
    let reused = loop {
        attempt += 1;
        let reused = ensure_conn(worker, slot)?;
        let conn = slot.conn.as_mut().expect("connection just ensured");
        let sent = conn.write_all(&mut [
            IoSlice::new(bufs.head),
            IoSlice::new(&frame),
            IoSlice::new(bufs.pre),
            IoSlice::new(crlf),
        ]);
        match sent {
            Ok(()) => {
                conn.used += 1;
                *to_backend += (bufs.head.len() + frame.len() + bufs.pre.len() + crlf.len()) as u64;
                break reused;
            }
            Err(e) if reused && attempt == 1 && is_stale(&e) => slot.conn = None,
            Err(e) => {
                slot.conn = None;
                return Err(backend_write_failure(worker, &e));
            }
        }
    };
    if let Some(rd) = rd.as_mut() {
        let conn = slot.conn.as_mut().expect("connection in use");
        if let Err(f) = stream_body(worker, conn, rd, body_out, to_backend) {
            slot.conn = None;
            return Err(f);
        }
    }
    Ok(reused)
}

fn refused(f: Failure, body: BodyUse) -> Outcome {
    // Another member may only take the request if nothing of its body was read yet.
    let untouched = body.wire == 0 && body.buffered_consumed == 0;
    let (status, cause) = match f {
        Failure::Status(s) => (s, Refusal::Other),
        Failure::Unreachable if untouched => (503, Refusal::Unreachable),
        Failure::Unreachable => (503, Refusal::Other),
        Failure::Timeout => (502, Refusal::Timeout),
        Failure::Stale => (502, Refusal::Other),
        Failure::Client(e) => (e.status(), Refusal::Other),
    };
    Outcome::Refused {
        status,
        body,
        cause,
    }
}

pub(super) fn backend_write_failure(worker: &Worker, e: &io::Error) -> Failure {
    log::error!(
        "proxy: pass request body failed to {}:{}: {e}",
        worker.url.host,
        worker.url.port
    );
    if e.kind() == io::ErrorKind::TimedOut {
        Failure::Status(504)
    } else {
        Failure::Status(502)
    }
}

fn client_failure_after(e: BodyError, body: BodyUse) -> Outcome {
    match e {
        BodyError::Closed => Outcome::ClientGone { error: None, body },
        BodyError::Io(e) => Outcome::ClientGone {
            error: Some(e),
            body,
        },
        other => Outcome::Refused {
            cause: Refusal::Other,
            status: other.status(),
            body: BodyUse {
                unread: true,
                ..body
            },
        },
    }
}
