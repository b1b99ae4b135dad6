//! The middle of a proxied exchange: the backend's response head read (interim responses
//! relayed, `Expect: 100-continue` honoured, a reused connection closed before answering
//! reported as stale so the caller can replay on a fresh one), and the client's body streamed
//! to the backend. Blocking I/O only; the decisions are `response_head`'s.

use std::io::IoSlice;
use std::time::Duration;

use super::Worker;
use super::backend::{BackendConn, BackendRead};
use super::forward::{
    BodyUse, Buffers, ClientSide, Failure, READ_SIZE, RequestInfo, backend_write_failure, is_stale,
    push_chunk_frame,
};
use super::relay::client_head_params;
use super::request_head::BodyOut;
use super::response_head::{self, BackendHead, MAX_HEAD};
use crate::http::body::{BodyDecoder, BodyError, BodyReader};
use crate::http::framing::{Delimit, LAST_CHUNK};
use crate::http::keepalive::KeepAlive;
use crate::http::request::Version;

/// Reads the backend's final head, relaying interim responses (and sending the body after
/// a 100 when the client asked for 100-continue). Returns the head and how many bytes of
/// `bufs.read` are filled.
#[allow(clippy::too_many_arguments)]
pub(super) fn exchange(
    worker: &Worker,
    r: &RequestInfo<'_, '_, '_>,
    c: &mut ClientSide<'_, '_>,
    conn: &mut BackendConn,
    bufs: &mut Buffers<'_>,
    body: &mut BodyUse,
    body_out: BodyOut,
    expect: bool,
    decoder: &BodyDecoder,
    to_backend: &mut u64,
    may_be_stale: bool,
) -> Result<(BackendHead, usize), Failure> {
    let mut filled = 0;
    let mut waiting_continue = expect;
    let mut any_byte = false;
    loop {
        let head = loop {
            if filled > 0 {
                match response_head::parse(&bufs.read[..filled], r.req.is_head()) {
                    Ok(Some(h)) => break h,
                    Ok(None) => {}
                    Err(bad) => {
                        log::error!("proxy: bad response from {}: {}", worker.name, bad.0);
                        return Err(Failure::Status(502));
                    }
                }
            }
            if filled == bufs.read.len() {
                bufs.read.resize((filled * 2).min(MAX_HEAD + READ_SIZE), 0);
            }
            if waiting_continue && !any_byte {
                let _ = conn
                    .stream
                    .set_read_timeout(Some(CONTINUE_WAIT.min(worker.settings.timeout)));
            }
            let got = conn.read(&mut bufs.read[filled..]);
            if waiting_continue && !any_byte {
                restore_timeout(worker, conn);
            }
            match got {
                BackendRead::TimedOut if waiting_continue && !any_byte => {
                    // No 100 from the backend: tell the client ourselves and send the body.
                    waiting_continue = false;
                    c.io.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                        .map_err(|e| Failure::Client(BodyError::Io(e)))?;
                    send_after_continue(worker, r, c, conn, decoder, body_out, to_backend, body)?;
                    // The body is gone: whatever happens now cannot be replayed.
                    any_byte = true;
                }
                BackendRead::Data(n) => {
                    any_byte = true;
                    filled += n;
                }
                BackendRead::Eof if may_be_stale && !any_byte => return Err(Failure::Stale),
                BackendRead::Failed(e) if may_be_stale && !any_byte && is_stale(&e) => {
                    return Err(Failure::Stale);
                }
                BackendRead::TimedOut => {
                    log::error!("proxy: timeout reading status line from {}", worker.name);
                    return Err(Failure::Timeout);
                }
                BackendRead::Eof => {
                    log::error!(
                        "proxy: error reading status line from {}: connection closed",
                        worker.name
                    );
                    return Err(Failure::Status(502));
                }
                BackendRead::Failed(e) => {
                    log::error!("proxy: error reading status line from {}: {e}", worker.name);
                    return Err(Failure::Status(502));
                }
            }
        };
        if !(100..200).contains(&head.status) {
            return Ok((head, filled));
        }
        // An interim response: relay it to HTTP/1.1 clients, and after a 100 send the body.
        if r.req.version == Version::Http11 {
            let mut out = Vec::new();
            let ch = client_head_params(r, KeepAlive::Close, Delimit::Length);
            response_head::client_head(&mut out, &bufs.read[..head.head_len], &ch);
            c.io.write_all(&out)
                .map_err(|e| Failure::Client(BodyError::Io(e)))?;
        }
        bufs.read.copy_within(head.head_len..filled, 0);
        filled -= head.head_len;
        if head.status == 100 && waiting_continue {
            waiting_continue = false;
            restore_timeout(worker, conn);
            send_after_continue(worker, r, c, conn, decoder, body_out, to_backend, body)?;
        }
    }
}

/// How long a backend may take to answer `Expect: 100-continue` before the body is sent
/// anyway (RFC 9110 10.1.1: a client need not wait forever; not every server sends a 100).
const CONTINUE_WAIT: Duration = Duration::from_secs(1);

fn restore_timeout(worker: &Worker, conn: &BackendConn) {
    let _ = conn.stream.set_read_timeout(Some(worker.settings.timeout));
}

/// Reads the client's body (the client was told to continue) and sends it to the backend.
#[allow(clippy::too_many_arguments)]
fn send_after_continue(
    worker: &Worker,
    r: &RequestInfo<'_, '_, '_>,
    c: &mut ClientSide<'_, '_>,
    conn: &mut BackendConn,
    decoder: &BodyDecoder,
    body_out: BodyOut,
    to_backend: &mut u64,
    body: &mut BodyUse,
) -> Result<(), Failure> {
    let mut rd = BodyReader::new(
        decoder.clone(),
        c.buffered,
        c.spill,
        c.io,
        r.client_timeout,
        false,
    );
    let streamed = stream_body(worker, conn, &mut rd, body_out, to_backend);
    let left = rd.finish();
    *body = BodyUse {
        buffered_consumed: left.buffered_consumed,
        spill: left.spill,
        wire: left.wire,
        unread: streamed.is_err(),
    };
    streamed
}

/// Sends the rest of the body from the client to the backend (chunk-framed when chunked).
pub(super) fn stream_body(
    worker: &Worker,
    conn: &mut BackendConn,
    rd: &mut BodyReader<'_, '_>,
    body_out: BodyOut,
    to_backend: &mut u64,
) -> Result<(), Failure> {
    let chunked = body_out == BodyOut::Chunked;
    let mut frame = Vec::with_capacity(24);
    loop {
        let data = match rd.next_chunk() {
            Ok(Some(d)) => d,
            Ok(None) => break,
            Err(e) => return Err(Failure::Client(e)),
        };
        frame.clear();
        if chunked {
            push_chunk_frame(&mut frame, data.len());
        }
        let crlf: &[u8] = if chunked { b"\r\n" } else { b"" };
        conn.write_all(&mut [IoSlice::new(&frame), IoSlice::new(data), IoSlice::new(crlf)])
            .map_err(|e| backend_write_failure(worker, &e))?;
        *to_backend += (frame.len() + data.len() + crlf.len()) as u64;
    }
    if chunked {
        conn.write_all(&mut [IoSlice::new(LAST_CHUNK)])
            .map_err(|e| backend_write_failure(worker, &e))?;
        *to_backend += LAST_CHUNK.len() as u64;
    }
    Ok(())
}
