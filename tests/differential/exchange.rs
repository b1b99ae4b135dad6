//! Sends one case's raw bytes to one server and records everything observable: each reply
//! (interim 1xx statuses, the final response, or raw non-HTTP bytes), how the exchange ended,
//! and whether the connection stayed open afterwards (a probe request on the same connection).
//!
//! Bytes go out exactly as the case wrote them. Every read has a deadline; a server that waits
//! for more input shows up as `timeout`, the same way for both servers.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::common::http::{FetchError, Response, read_response};

/// Connect deadline.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Read deadline for each reply and for the probe. Shorter than the servers' `Timeout`.
pub const READ_TIMEOUT: Duration = Duration::from_secs(3);
/// Raw (non-HTTP) replies are kept up to this many bytes.
const RAW_LIMIT: u64 = 4096;

/// What the case sends.
#[derive(Debug, Clone)]
pub struct Script {
    /// Written at once on a fresh connection.
    pub send: Vec<u8>,
    /// Written after the first reply if that was an interim (1xx) response
    /// (`Expect: 100-continue`); never written otherwise.
    pub after_continue: Option<Vec<u8>>,
    /// Final responses to read (more than one for pipelined requests).
    pub replies: usize,
    /// Send a probe request afterwards to learn whether the connection stayed open.
    pub probe: bool,
}

/// One reply.
#[derive(Debug, Clone)]
pub enum Reply {
    Http {
        /// 1xx responses that came before the final one.
        interim: Vec<u16>,
        response: Response,
    },
    /// Bytes that are not an HTTP/1.x response (an HTTP/0.9 answer, say), up to 4 KiB.
    Raw(Vec<u8>),
}

/// Everything one server did with one case.
#[derive(Debug, Clone)]
pub struct Observed {
    pub replies: Vec<Reply>,
    /// Why fewer replies than expected arrived (`closed`, `timeout`, `truncated ...`).
    pub failure: Option<String>,
    /// After the replies: `open` (the probe was answered), `closed`, `timeout`; `None` when no
    /// probe was sent.
    pub after: Option<&'static str>,
}

/// The probe: a complete, harmless request.
const PROBE: &[u8] = b"GET /hello.txt HTTP/1.1\r\nHost: diff.test\r\nConnection: close\r\n\r\n";

/// Runs `script` against 127.0.0.1:`port`.
pub fn run(port: u16, script: &Script) -> Observed {
    let mut observed = Observed {
        replies: Vec::new(),
        failure: None,
        after: None,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let stream = match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
        Ok(s) => s,
        Err(e) => {
            observed.failure = Some(format!("connect: {e}"));
            return observed;
        }
    };
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream);
    // A server may answer and close before it read everything (a 413, say): a failed write is
    // not the outcome; what can be read afterwards is.
    let _ = write(&mut reader, &with_port(&script.send, port));
    let head_first = script.send.starts_with(b"HEAD ");
    let after_continue = script.after_continue.as_ref().map(|b| with_port(b, port));
    let mut continue_pending = after_continue.as_deref();
    while observed.replies.len() < script.replies {
        let head = head_first && observed.replies.is_empty();
        let mut interim = Vec::new();
        let reply = loop {
            match read_one(&mut reader, head) {
                Ok(Reply::Http { response, .. }) if response.status / 100 == 1 => {
                    interim.push(response.status);
                    if let Some(rest) = continue_pending.take()
                        && let Err(e) = write(&mut reader, rest)
                    {
                        break Err(format!("write after 100: {}", kind(&e)));
                    }
                }
                Ok(Reply::Http { response, .. }) => break Ok(Reply::Http { interim, response }),
                Ok(raw) => break Ok(raw),
                Err(e) => break Err(e),
            }
        };
        match reply {
            Ok(reply) => {
                let raw = matches!(reply, Reply::Raw(_));
                observed.replies.push(reply);
                if raw {
                    break;
                }
            }
            Err(e) => {
                observed.failure = Some(e);
                break;
            }
        }
    }
    if script.probe && observed.failure.is_none() && observed.replies.len() == script.replies {
        let closed_by_reply = matches!(observed.replies.last(), Some(Reply::Raw(_)));
        observed.after = Some(if closed_by_reply {
            "closed"
        } else {
            probe(&mut reader)
        });
    }
    observed
}

/// The placeholder a case writes where the server's own port goes (`Host: localhost:@PORT@`).
pub const PORT_PLACEHOLDER: &str = "@PORT@";

/// `bytes` with every `@PORT@` replaced by `port`.
fn with_port(bytes: &[u8], port: u16) -> Vec<u8> {
    let needle = PORT_PLACEHOLDER.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(needle) {
            out.extend_from_slice(port.to_string().as_bytes());
            i += needle.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn write(reader: &mut BufReader<TcpStream>, bytes: &[u8]) -> io::Result<()> {
    let stream = reader.get_mut();
    stream.write_all(bytes)?;
    stream.flush()
}

/// Reads one reply: an HTTP/1.x response (1xx included), or raw bytes up to end of file.
fn read_one(reader: &mut BufReader<TcpStream>, head: bool) -> Result<Reply, String> {
    let start = match reader.fill_buf() {
        Ok(buf) => buf.to_vec(),
        Err(e) => return Err(kind(&e)),
    };
    if start.is_empty() {
        return Err("closed".into());
    }
    if !b"HTTP/".starts_with(&start[..start.len().min(5)]) {
        let mut raw = Vec::new();
        let _ = reader.by_ref().take(RAW_LIMIT).read_to_end(&mut raw);
        return Ok(Reply::Raw(raw));
    }
    match read_response(reader, head) {
        Ok(response) => Ok(Reply::Http {
            interim: Vec::new(),
            response,
        }),
        Err(FetchError::Read(e)) => Err(kind(&e)),
        Err(FetchError::ClosedBeforeResponse) => Err("closed".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// `open` when the probe got a response, `closed` when the connection ended, `timeout` when
/// nothing came back in time.
fn probe(reader: &mut BufReader<TcpStream>) -> &'static str {
    if write(reader, PROBE).is_err() {
        return "closed";
    }
    match read_one(reader, false) {
        Ok(_) => "open",
        Err(e) if e == "timeout" => "timeout",
        Err(_) => "closed",
    }
}

/// A short, stable name for an I/O error (no OS-specific wording).
fn kind(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => "timeout".into(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => "closed".into(),
        io::ErrorKind::BrokenPipe => "closed".into(),
        other => format!("{other:?}"),
    }
}
