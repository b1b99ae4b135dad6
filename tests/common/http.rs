//! A tiny HTTP/1.1 client over `std::net::TcpStream`, strict enough to tell a complete response
//! from a truncated one.
//!
//! The tests must see exactly what the server sent: no retries, no redirects, no pooling behind
//! their back. `KeepAliveClient` only reconnects when the server said `Connection: close` or when
//! the caller asks it to after an error.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Connect timeout for every test connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Read and write timeout for every test connection.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Larger heads than this are treated as malformed.
const MAX_HEAD: usize = 64 * 1024;

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True when the server announced it closes the connection after this response.
    pub fn closes(&self) -> bool {
        self.header("connection").is_some_and(|v| {
            v.split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("close"))
        })
    }

    /// The body as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why an exchange failed. Each variant is a distinct failure mode the tests count.
#[derive(Debug)]
pub enum FetchError {
    Connect(io::Error),
    Write(io::Error),
    /// The server closed the connection before sending a single byte of the response.
    ClosedBeforeResponse,
    /// A read error: reset, timeout.
    Read(io::Error),
    /// The connection ended in the middle of a response (which part).
    Truncated(&'static str),
    Malformed(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Connect(e) => write!(f, "connect: {e}"),
            FetchError::Write(e) => write!(f, "write: {e}"),
            FetchError::ClosedBeforeResponse => {
                write!(f, "connection closed before any response byte")
            }
            FetchError::Read(e) => write!(f, "read: {e} ({:?})", e.kind()),
            FetchError::Truncated(part) => {
                write!(f, "connection closed in the middle of the {part}")
            }
            FetchError::Malformed(why) => write!(f, "malformed response: {why}"),
        }
    }
}

/// `127.0.0.1:port`.
pub fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A connected stream with the test timeouts set.
pub fn connect(port: u16) -> Result<TcpStream, FetchError> {
    let stream =
        TcpStream::connect_timeout(&local(port), CONNECT_TIMEOUT).map_err(FetchError::Connect)?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .map_err(FetchError::Connect)?;
    stream
        .set_write_timeout(Some(IO_TIMEOUT))
        .map_err(FetchError::Connect)?;
    stream.set_nodelay(true).map_err(FetchError::Connect)?;
    Ok(stream)
}

/// The bytes of a simple request. `close` adds `Connection: close`.
pub fn request_bytes(method: &str, path: &str, close: bool) -> Vec<u8> {
    let connection = if close { "Connection: close\r\n" } else { "" };
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: mpmd-tests\r\n{connection}\r\n"
    )
    .into_bytes()
}

fn read_line(
    r: &mut impl BufRead,
    line: &mut Vec<u8>,
    part: &'static str,
) -> Result<usize, FetchError> {
    line.clear();
    let n = r.read_until(b'\n', line).map_err(FetchError::Read)?;
    if n > 0 && !line.ends_with(b"\n") {
        return Err(FetchError::Truncated(part));
    }
    Ok(n)
}

/// Reads one response. `head_request`: the request was HEAD, so no body follows.
pub fn read_response(r: &mut impl BufRead, head_request: bool) -> Result<Response, FetchError> {
    let mut line = Vec::new();
    if read_line(r, &mut line, "status line")? == 0 {
        return Err(FetchError::ClosedBeforeResponse);
    }
    let status_line = String::from_utf8_lossy(&line).trim_end().to_string();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(FetchError::Malformed(format!(
            "status line {status_line:?}"
        )));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| FetchError::Malformed(format!("status line {status_line:?}")))?;

    let mut headers = Vec::new();
    let mut head_len = line.len();
    loop {
        if read_line(r, &mut line, "header")? == 0 {
            return Err(FetchError::Truncated("header"));
        }
        head_len += line.len();
        if head_len > MAX_HEAD {
            return Err(FetchError::Malformed("head larger than 64 KiB".into()));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| FetchError::Malformed(format!("header line {text:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };

    if head_request || status / 100 == 1 || status == 204 || status == 304 {
        return Ok(response);
    }
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        response.body = read_chunked(r)?;
    } else if let Some(len) = response.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| FetchError::Malformed(format!("Content-Length {len:?}")))?;
        let mut body = vec![0; len];
        r.read_exact(&mut body).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => FetchError::Truncated("body"),
            _ => FetchError::Read(e),
        })?;
        response.body = body;
    } else {
        r.read_to_end(&mut response.body)
            .map_err(FetchError::Read)?;
    }
    Ok(response)
}

fn read_chunked(r: &mut impl BufRead) -> Result<Vec<u8>, FetchError> {
    let mut body = Vec::new();
    let mut line = Vec::new();
    loop {
        if read_line(r, &mut line, "chunk size")? == 0 {
            return Err(FetchError::Truncated("chunk size"));
        }
        let text = String::from_utf8_lossy(&line);
        let size_text = text.trim_end().split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| FetchError::Malformed(format!("chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, then the empty line.
            loop {
                if read_line(r, &mut line, "trailer")? == 0 {
                    return Err(FetchError::Truncated("trailer"));
                }
                if line == b"\r\n" || line == b"\n" {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])
            .map_err(|_| FetchError::Truncated("chunk"))?;
        read_line(r, &mut line, "chunk end")?;
    }
}

/// One connection that may carry several requests.
pub struct Connection {
    reader: BufReader<TcpStream>,
    /// Complete responses read on this connection so far.
    pub responses: u32,
}

impl Connection {
    pub fn open(port: u16) -> Result<Connection, FetchError> {
        Ok(Connection {
            reader: BufReader::new(connect(port)?),
            responses: 0,
        })
    }

    /// Writes raw bytes (a request, or part of one).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), FetchError> {
        let stream = self.reader.get_mut();
        stream
            .write_all(bytes)
            .and_then(|()| stream.flush())
            .map_err(FetchError::Write)
    }

    /// Reads the next response.
    pub fn read(&mut self, head_request: bool) -> Result<Response, FetchError> {
        let response = read_response(&mut self.reader, head_request)?;
        self.responses += 1;
        Ok(response)
    }

    /// Sends a keep-alive request and reads its response.
    pub fn request(&mut self, method: &str, path: &str) -> Result<Response, FetchError> {
        self.send_raw(&request_bytes(method, path, false))?;
        self.read(method == "HEAD")
    }

    /// True when the server has already closed this connection (end of file is waiting to be
    /// read), checked without blocking and without consuming anything.
    pub fn peer_closed(&mut self) -> bool {
        if !self.reader.buffer().is_empty() {
            return false;
        }
        let stream = self.reader.get_mut();
        if stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0u8; 1];
        let closed = matches!(stream.peek(&mut byte), Ok(0));
        let _ = stream.set_nonblocking(false);
        closed
    }

    /// True when the server has closed the connection (a read returns end of file) within
    /// `IO_TIMEOUT`. Any byte received instead is an error in the caller's eyes: `false`.
    pub fn closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.reader.read(&mut byte) {
            Ok(n) => n == 0,
            Err(e) => e.kind() == io::ErrorKind::ConnectionReset,
        }
    }
}

/// Sends `raw` on a fresh connection and reads one response.
pub fn exchange(port: u16, raw: &[u8]) -> Result<Response, FetchError> {
    let mut conn = Connection::open(port)?;
    conn.send_raw(raw)?;
    conn.read(raw.starts_with(b"HEAD "))
}

/// `GET path` with `Connection: close` on a fresh connection; panics on any transport error.
pub fn get(port: u16, path: &str) -> Response {
    exchange(port, &request_bytes("GET", path, true))
        .unwrap_or_else(|e| panic!("GET {path} on 127.0.0.1:{port}: {e}"))
}

/// A client that keeps one connection open across requests, as browsers and `wrk` do.
pub struct KeepAliveClient {
    port: u16,
    conn: Option<Connection>,
    /// Connections opened so far.
    pub connects: u32,
}

impl KeepAliveClient {
    pub fn new(port: u16) -> KeepAliveClient {
        KeepAliveClient {
            port,
            conn: None,
            connects: 0,
        }
    }

    /// Drops the open connection when the server has already closed it (after a complete
    /// response, before the next request was sent); true if it did. Such a close is not a
    /// failure: the next request simply goes over a new connection.
    pub fn drop_if_closed_by_server(&mut self) -> bool {
        let closed = self.conn.as_mut().is_some_and(Connection::peer_closed);
        if closed {
            self.conn = None;
        }
        closed
    }

    /// One request. Opens a connection if none is open; drops it after `Connection: close` or
    /// after any error, so the next call starts afresh.
    pub fn request(&mut self, method: &str, path: &str) -> Result<Response, FetchError> {
        if self.conn.is_none() {
            self.conn = Some(Connection::open(self.port)?);
            self.connects += 1;
        }
        let conn = self.conn.as_mut().expect("connection just opened");
        match conn.request(method, path) {
            Ok(response) => {
                if response.closes() {
                    self.conn = None;
                }
                Ok(response)
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_response_cases() {
        type Want = Result<(u16, &'static [u8]), &'static str>;
        let cases: &[(&[u8], bool, Want)] = &[
            (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false, Ok((200, b"hi"))),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, Ok((200, b""))),
            (b"HTTP/1.1 304 Not Modified\r\n\r\n", false, Ok((304, b""))),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n1;x=y\r\n!\r\n0\r\n\r\n", false, Ok((200, b"hi!"))),
            (b"HTTP/1.0 404 Not Found\r\n\r\ngone", false, Ok((404, b"gone"))),
            (b"", false, Err("closed")),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi", false, Err("truncated")),
            (b"HTTP/1.1 200 OK\r\nContent-Le", false, Err("truncated")),
            (b"HTTP/1.1 200 OK\r\n", false, Err("truncated")),
            (b"SSH-2.0-x\r\n\r\n", false, Err("malformed")),
        ];
        for (input, head, want) in cases {
            let got = read_response(&mut &input[..], *head);
            let got: Result<(u16, &[u8]), &str> = match &got {
                Ok(r) => Ok((r.status, r.body.as_slice())),
                Err(FetchError::ClosedBeforeResponse) => Err("closed"),
                Err(FetchError::Truncated(_)) => Err("truncated"),
                Err(FetchError::Malformed(_)) => Err("malformed"),
                Err(e) => panic!("unexpected {e}"),
            };
            assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn closes_reads_the_connection_tokens() {
        let cases: &[(&str, bool)] = &[
            ("close", true),
            ("Keep-Alive, Close", true),
            ("keep-alive", false),
        ];
        for (value, want) in cases {
            let r = Response {
                status: 200,
                headers: vec![("Connection".into(), value.to_string())],
                body: vec![],
            };
            assert_eq!(r.closes(), *want, "{value}");
        }
    }
}
