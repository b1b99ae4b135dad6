//! The response side of a proxied request: the head relayed to the client with its framing
//! and keep-alive decision, and the body streamed from the backend (Content-Length, chunked
//! or until close; re-chunked for HTTP/1.1 clients when the length is unknown) without
//! holding it whole. A backend dying mid-body aborts the client connection.

use std::io::{self, IoSlice};

use super::Worker;
use super::backend::{BackendConn, BackendRead};
use super::forward::{BodyUse, Buffers, ClientEnd, ClientSide, Outcome, RequestInfo};
use super::response_head::{self, BackendBody, BackendHead, ClientHead};
use super::rules::ReversePair;
use crate::http::body::{BodyDecoder, BodyFraming};
use crate::http::framing::{self, Delimit, LAST_CHUNK};
use crate::http::keepalive::{KeepAlive, KeepAliveInput};
use crate::http::request::{Method, Version};

pub(super) fn client_head_params<'a>(
    r: &'a RequestInfo<'_, '_, '_>,
    ka: KeepAlive,
    delimit: Delimit,
) -> ClientHead<'a> {
    ClientHead {
        date: r.date,
        server_line: r.server_line,
        ka,
        delimit,
        reverse: &[],
        host: r.public_host,
    }
}

/// Writes the response head and relays the body.
#[allow(clippy::too_many_arguments)]
pub(super) fn relay(
    worker: &Worker,
    reverse: &[ReversePair],
    r: &RequestInfo<'_, '_, '_>,
    c: &mut ClientSide<'_, '_>,
    conn: &mut BackendConn,
    reusable: &mut bool,
    bufs: &mut Buffers<'_>,
    head: BackendHead,
    filled: usize,
    body: BodyUse,
    to_backend: u64,
) -> Outcome {
    let req = r.req;
    let head_only = req.method == Method::Head;
    let http09 = req.version == Version::Http09;
    let has_length = matches!(head.body, BackendBody::None | BackendBody::Length(_));
    let ka_input = KeepAliveInput {
        status: head.status,
        must_close: r.ka.must_close || body.unread || http09,
        ..r.ka
    };
    let framed = framing::decide(&ka_input, has_length, head_only, false);
    let delimit = if head.body == BackendBody::None {
        Delimit::Length
    } else {
        framed.delimit
    };
    let ch = ClientHead {
        reverse,
        ..client_head_params(r, framed.ka, delimit)
    };
    c.out.clear();
    if !http09 {
        response_head::client_head(c.out, &bufs.read[..head.head_len], &ch);
    }
    let head_end = c.out.len();
    let mut from_backend = filled as u64;
    let mut sender = ClientBody {
        head: head_end,
        chunked: delimit == Delimit::Chunked,
        body_bytes: 0,
    };
    let relayed = relay_body(
        conn,
        c,
        &mut sender,
        bufs,
        head,
        filled,
        &mut from_backend,
        worker,
    );
    worker.shared.count_request(to_backend, from_backend);
    let end = match relayed {
        Ok(backend_clean) => {
            *reusable = backend_clean && head.reusable && !worker.settings.disablereuse;
            if framed.ka.persists() {
                ClientEnd::Persist
            } else {
                ClientEnd::Close
            }
        }
        Err(e) => ClientEnd::Abort(e),
    };
    Outcome::Relayed {
        status: head.status,
        body_bytes: sender.body_bytes,
        head_end,
        end,
        keepalives_used: framed.keepalives_used,
        body,
    }
}

/// Writes body pieces to the client: the head (still in `out[..head]`) goes with the first.
struct ClientBody {
    head: usize,
    chunked: bool,
    body_bytes: u64,
}

impl ClientBody {
    fn send(&mut self, c: &mut ClientSide<'_, '_>, data: &[u8]) -> io::Result<()> {
        let mut frame = [0u8; 20];
        let mut n = 0;
        if self.chunked && !data.is_empty() {
            let s = format!("{:x}\r\n", data.len());
            frame[..s.len()].copy_from_slice(s.as_bytes());
            n = s.len();
        }
        let crlf: &[u8] = if self.chunked && !data.is_empty() {
            b"\r\n"
        } else {
            b""
        };
        c.io.write_all_vectored(&mut [
            IoSlice::new(&c.out[..self.head]),
            IoSlice::new(&frame[..n]),
            IoSlice::new(data),
            IoSlice::new(crlf),
        ])?;
        self.head = 0;
        self.body_bytes += data.len() as u64;
        Ok(())
    }

    fn finish(&mut self, c: &mut ClientSide<'_, '_>) -> io::Result<()> {
        let last: &[u8] = if self.chunked { LAST_CHUNK } else { b"" };
        if self.head == 0 && last.is_empty() {
            return Ok(());
        }
        c.io.write_all_vectored(&mut [IoSlice::new(&c.out[..self.head]), IoSlice::new(last)])?;
        self.head = 0;
        Ok(())
    }
}

fn backend_gone(worker: &Worker, what: &str) -> io::Error {
    log::error!(
        "proxy: {what} while reading the response body from {}",
        worker.name
    );
    io::Error::new(io::ErrorKind::UnexpectedEof, format!("backend {what}"))
}

/// Relays the body; `Ok(true)` when the backend connection is left clean (reusable).
#[allow(clippy::too_many_arguments)]
fn relay_body(
    conn: &mut BackendConn,
    c: &mut ClientSide<'_, '_>,
    sender: &mut ClientBody,
    bufs: &mut Buffers<'_>,
    head: BackendHead,
    filled: usize,
    from_backend: &mut u64,
    worker: &Worker,
) -> io::Result<bool> {
    let read = &mut *bufs.read;
    let mut start = head.head_len;
    let mut end = filled;
    let mut more = |conn: &mut BackendConn, read: &mut Vec<u8>| -> io::Result<Option<usize>> {
        match conn.read(&mut read[..]) {
            BackendRead::Data(n) => {
                *from_backend += n as u64;
                Ok(Some(n))
            }
            BackendRead::Eof => Ok(None),
            BackendRead::TimedOut => Err(backend_gone(worker, "timeout")),
            BackendRead::Failed(e) => Err(backend_gone(worker, &e.to_string())),
        }
    };
    match head.body {
        BackendBody::None => {
            sender.finish(c)?;
            Ok(start == end)
        }
        BackendBody::Length(mut left) => {
            loop {
                let n = ((end - start) as u64).min(left) as usize;
                if n > 0 || left == 0 {
                    sender.send(c, &read[start..start + n])?;
                    left -= n as u64;
                    start += n;
                }
                if left == 0 {
                    break;
                }
                match more(conn, read)? {
                    Some(n) => (start, end) = (0, n),
                    None => return Err(backend_gone(worker, "connection closed")),
                }
            }
            sender.finish(c)?;
            Ok(start == end)
        }
        BackendBody::Chunked => {
            let mut dec = BodyDecoder::new(BodyFraming::Chunked, 0).expect("no limit");
            loop {
                while start < end && !dec.is_done() {
                    let d = dec
                        .decode(&read[start..end])
                        .map_err(|_| backend_gone(worker, "bad chunked framing"))?;
                    if !d.data.is_empty() {
                        sender.send(c, &read[start + d.data.start..start + d.data.end])?;
                    }
                    start += d.consumed;
                }
                if dec.is_done() {
                    break;
                }
                match more(conn, read)? {
                    Some(n) => (start, end) = (0, n),
                    None => return Err(backend_gone(worker, "connection closed")),
                }
            }
            sender.finish(c)?;
            Ok(start == end)
        }
        BackendBody::UntilClose => {
            loop {
                if start < end {
                    sender.send(c, &read[start..end])?;
                }
                match more(conn, read)? {
                    Some(n) => (start, end) = (0, n),
                    None => break,
                }
            }
            sender.finish(c)?;
            Ok(false)
        }
    }
}
