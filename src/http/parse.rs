//! Request head parsing: bytes in, `Partial` / a validated [`Request`] / an [`HttpError`] out.
//!
//! Pure: never touches a socket, never allocates on the common path (the header array lives on
//! the caller's stack; see [`HeaderSlots`]). Two stages:
//!
//! 1. [`HeadScanner`] walks the bytes line by line, incrementally across reads, applying
//!    Apache's per-line limits as soon as a line is too long (so an endless line is refused
//!    after `limit_request_line` bytes, not buffered): request line > `limit_request_line` ->
//!    414, a header line > `limit_request_field_size` -> 400, more than `limit_request_fields`
//!    header lines -> 400. It reports the head length once the empty line arrives.
//! 2. [`parse_request`] runs httparse over the complete head and applies HTTP semantics:
//!    version (1.0/1.1, other `HTTP/x.y` -> 505, none -> 400), method class, target form,
//!    Host, Connection, Content-Length / Transfer-Encoding framing, Expect.
//!
//! [`parse`] chains both for callers (and tests) that hold the whole buffer.

use std::mem::MaybeUninit;

use crate::config::HttpConfig;
use crate::http::body::BodyFraming;
use crate::http::error::HttpError;
use crate::http::request::{ConnectionTokens, Method, Request, TargetForm, Version};

/// Header slots kept on the stack; heads with more header lines use a heap array.
pub const STACK_HEADERS: usize = 100;
/// Leading empty lines tolerated before the request line (RFC 9112 §2.2 says "at least one").
const MAX_BLANK_LINES: usize = 100;
/// Bound on a whole head when `limit_request_fields` is 0 (unlimited).
const UNLIMITED_FIELDS_HEAD_CAP: usize = 1 << 20;

/// Apache's request limits (`LimitRequest*`), copied out of the config once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// LimitRequestLine: longest request line, without its line end.
    pub request_line: usize,
    /// LimitRequestFields: most header lines; 0 = unlimited.
    pub fields: usize,
    /// LimitRequestFieldSize: longest header line, without its line end.
    pub field_size: usize,
    /// LimitRequestBody: largest body; 0 = unlimited.
    pub body: u64,
}

impl Limits {
    pub fn from_config(http: &HttpConfig) -> Limits {
        Limits {
            request_line: http.limit_request_line,
            fields: http.limit_request_fields,
            field_size: http.limit_request_field_size,
            body: http.limit_request_body,
        }
    }

    /// The largest head the per-line limits allow: the read buffer never grows beyond this.
    pub fn max_head_len(&self) -> usize {
        let line = self.request_line + 2 + MAX_BLANK_LINES * 2 + 2;
        if self.fields == 0 {
            line.saturating_add(UNLIMITED_FIELDS_HEAD_CAP)
        } else {
            line.saturating_add(self.fields.saturating_mul(self.field_size + 2))
        }
    }
}

/// Result of scanning for the end of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// More bytes are needed.
    Incomplete,
    /// The head ends after `head_len` bytes (its empty line included).
    Complete { head_len: usize },
}

/// Incremental, limit-enforcing search for the end of a request head. Keep one per request
/// and feed it the growing buffer (always starting at the request's first byte).
#[derive(Debug, Clone, Default)]
pub struct HeadScanner {
    pos: usize,
    line_start: usize,
    blank_lines: usize,
    /// Start and end (exclusive, line end stripped) of the request line once seen.
    request_line: Option<(usize, usize)>,
    header_lines: usize,
}

impl HeadScanner {
    pub fn new() -> HeadScanner {
        HeadScanner::default()
    }

    /// Scans the bytes not seen yet. `buf` must begin with the bytes given before.
    pub fn scan(&mut self, buf: &[u8], limits: &Limits) -> Result<Scan, HttpError> {
        while self.pos < buf.len() {
            let Some(off) = buf[self.pos..].iter().position(|&b| b == b'\n') else {
                self.pos = buf.len();
                return self
                    .check_open_line(buf.len(), limits)
                    .map(|()| Scan::Incomplete);
            };
            let nl = self.pos + off;
            let end = if nl > self.line_start && buf[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            let len = end - self.line_start;
            self.pos = nl + 1;
            if self.request_line.is_none() {
                if len == 0 {
                    self.blank_lines += 1;
                    if self.blank_lines > MAX_BLANK_LINES {
                        return Err(HttpError::bad_request(
                            "too many empty lines before the request",
                        ));
                    }
                } else if len > limits.request_line {
                    return Err(HttpError::new(414, "request line too long"));
                } else {
                    self.request_line = Some((self.line_start, end));
                }
            } else if len == 0 {
                return Ok(Scan::Complete { head_len: nl + 1 });
            } else {
                if len > limits.field_size {
                    return Err(HttpError::bad_request("request header field too long"));
                }
                self.header_lines += 1;
                if limits.fields != 0 && self.header_lines > limits.fields {
                    return Err(HttpError::bad_request("too many request header fields"));
                }
            }
            self.line_start = nl + 1;
        }
        Ok(Scan::Incomplete)
    }

    /// An unfinished line may already be over its limit (+1 allows for a pending CR).
    fn check_open_line(&self, buf_len: usize, limits: &Limits) -> Result<(), HttpError> {
        let open = buf_len - self.line_start;
        if self.request_line.is_none() {
            if open > limits.request_line + 1 {
                return Err(HttpError::new(414, "request line too long"));
            }
        } else if open > limits.field_size + 1 {
            return Err(HttpError::bad_request("request header field too long"));
        }
        Ok(())
    }

    /// The request line if seen, else the start of the open first line (for logging errors).
    pub fn request_line<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        match self.request_line {
            Some((s, e)) => &buf[s..e],
            None => {
                let s = self.line_start.min(buf.len());
                let rest = &buf[s..];
                let e = rest
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(rest.len());
                &rest[..e]
            }
        }
    }

    /// Header lines seen so far (the size the header array must have).
    pub fn header_lines(&self) -> usize {
        self.header_lines
    }
}

/// Storage for httparse's header array: on the stack up to [`STACK_HEADERS`], else on the heap.
/// The size difference is the point: the common case must not allocate.
#[allow(clippy::large_enum_variant)]
pub enum HeaderSlots<'b> {
    Stack([MaybeUninit<httparse::Header<'b>>; STACK_HEADERS]),
    Heap(Vec<MaybeUninit<httparse::Header<'b>>>),
}

impl<'b> HeaderSlots<'b> {
    /// Room for `count` headers (the scanner's [`HeadScanner::header_lines`]).
    pub fn for_count(count: usize) -> HeaderSlots<'b> {
        if count <= STACK_HEADERS {
            HeaderSlots::Stack([const { MaybeUninit::uninit() }; STACK_HEADERS])
        } else {
            HeaderSlots::Heap((0..count).map(|_| MaybeUninit::uninit()).collect())
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [MaybeUninit<httparse::Header<'b>>] {
        match self {
            HeaderSlots::Stack(a) => a,
            HeaderSlots::Heap(v) => v,
        }
    }
}

/// Parses a complete head (`head` = exactly the bytes up to and including the empty line).
pub fn parse_request<'h, 'b>(
    head: &'b [u8],
    slots: &'h mut [MaybeUninit<httparse::Header<'b>>],
) -> Result<Request<'h, 'b>, HttpError> {
    let line = first_line(head);
    let version = check_version(line)?;
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(head, slots) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(HttpError::bad_request("incomplete request head"));
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(HttpError::bad_request("too many request header fields"));
        }
        Err(_) => return Err(HttpError::bad_request("malformed request head")),
    }
    let method_str = req.method.unwrap_or("");
    let target = req.path.unwrap_or("");
    let headers: &'h [httparse::Header<'b>] = req.headers;
    let method = Method::from_token(method_str.as_bytes());
    let (target_form, authority, path, query) = split_target(target, method)?;
    let fields = scan_fields(headers)?;
    if version == Version::Http11 && fields.host_header.is_none() {
        return Err(HttpError::bad_request("HTTP/1.1 request without Host"));
    }
    let body = match (fields.chunked, fields.content_length) {
        (true, _) => BodyFraming::Chunked,
        (false, Some(0)) | (false, None) => BodyFraming::None,
        (false, Some(n)) => BodyFraming::Length(n),
    };
    Ok(Request {
        method,
        method_str,
        target,
        target_form,
        path,
        query,
        version,
        request_line: line,
        headers,
        host: authority.or(fields.host_header),
        connection: fields.connection,
        body,
        expect_continue: fields.expect_continue,
        must_close: fields.chunked && fields.content_length.is_some(),
        head_len: head.len(),
    })
}

/// Outcome of [`parse`].
#[derive(Debug)]
pub enum Parsed<'h, 'b> {
    Partial,
    Complete(Request<'h, 'b>, usize),
}

/// Scans and parses `buf` in one go (a fresh scanner; the connection loop keeps its scanner
/// across reads instead). `slots` must hold at least [`STACK_HEADERS`] entries or as many as
/// `limits.fields`.
pub fn parse<'h, 'b>(
    buf: &'b [u8],
    limits: &Limits,
    slots: &'h mut [MaybeUninit<httparse::Header<'b>>],
) -> Result<Parsed<'h, 'b>, HttpError> {
    let mut scanner = HeadScanner::new();
    match scanner.scan(buf, limits)? {
        Scan::Incomplete => Ok(Parsed::Partial),
        Scan::Complete { head_len } => {
            if scanner.header_lines() > slots.len() {
                return Err(HttpError::bad_request("too many request header fields"));
            }
            let req = parse_request(&buf[..head_len], slots)?;
            Ok(Parsed::Complete(req, head_len))
        }
    }
}

/// The first non-empty line, without its line end.
fn first_line(head: &[u8]) -> &[u8] {
    let start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(head.len());
    let rest = &head[start..];
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = &rest[..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Apache's protocol check, done before httparse (which only knows 1.0 and 1.1).
fn check_version(line: &[u8]) -> Result<Version, HttpError> {
    let spaces = line.iter().filter(|&&b| b == b' ').count();
    if spaces < 2 {
        return Err(HttpError::bad_request("HTTP/0.9 or malformed request line"));
    }
    let proto = &line[line.iter().rposition(|&b| b == b' ').map_or(0, |i| i + 1)..];
    match proto {
        b"HTTP/1.1" => Ok(Version::Http11),
        b"HTTP/1.0" => Ok(Version::Http10),
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Err(HttpError::new(505, "unsupported HTTP version"))
        }
        _ => Err(HttpError::bad_request("malformed protocol in request line")),
    }
}

type TargetParts<'b> = (TargetForm, Option<&'b str>, &'b str, Option<&'b str>);

fn split_target(target: &str, method: Method) -> Result<TargetParts<'_>, HttpError> {
    if target == "*" {
        if method != Method::Options {
            return Err(HttpError::bad_request(
                "'*' target on a method other than OPTIONS",
            ));
        }
        return Ok((TargetForm::Asterisk, None, "*", None));
    }
    let (form, authority, rest) = if target.starts_with('/') {
        (TargetForm::Origin, None, target)
    } else {
        // Compared as bytes: the target may have a multi-byte character where the scheme
        // would end (an ASCII match leaves `&target[s.len()..]` on a char boundary).
        let lower_scheme = |s: &str| {
            target.len() > s.len()
                && target.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes())
        };
        let after = if lower_scheme("http://") {
            &target[7..]
        } else if lower_scheme("https://") {
            &target[8..]
        } else {
            return Err(HttpError::bad_request(
                "request target is not a path or http URL",
            ));
        };
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        if end == 0 {
            return Err(HttpError::bad_request("absolute URL without a host"));
        }
        (TargetForm::Absolute, Some(&after[..end]), &after[end..])
    };
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    Ok((form, authority, path, query))
}

#[derive(Default)]
struct Fields<'b> {
    host_header: Option<&'b str>,
    connection: ConnectionTokens,
    content_length: Option<u64>,
    chunked: bool,
    expect_continue: bool,
}

fn scan_fields<'b>(headers: &[httparse::Header<'b>]) -> Result<Fields<'b>, HttpError> {
    let mut f = Fields::default();
    let mut transfer_encoding: Option<&[u8]> = None;
    for h in headers {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"host") {
            if f.host_header.is_some() {
                return Err(HttpError::bad_request("more than one Host header"));
            }
            let host =
                std::str::from_utf8(h.value).map_err(|_| HttpError::bad_request("invalid Host"))?;
            if !valid_host(host) {
                return Err(HttpError::bad_request("invalid Host"));
            }
            f.host_header = Some(host);
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in tokens(h.value) {
                if token.eq_ignore_ascii_case(b"close") {
                    f.connection.close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    f.connection.keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            if f.content_length.is_some() {
                return Err(HttpError::bad_request("more than one Content-Length"));
            }
            f.content_length = Some(parse_content_length(h.value)?);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            transfer_encoding = Some(h.value);
        } else if name.eq_ignore_ascii_case(b"expect") && !h.value.is_empty() {
            // Apache: any Expect but 100-continue is refused; 100-continue is remembered for
            // every version (it blocks keep-alive until answered) but only HTTP/1.1 gets a 100.
            if h.value.eq_ignore_ascii_case(b"100-continue") {
                f.expect_continue = true;
            } else {
                return Err(HttpError::new(417, "unsupported Expect"));
            }
        }
    }
    if let Some(te) = transfer_encoding {
        match tokens(te).last() {
            Some(last) if last.eq_ignore_ascii_case(b"chunked") => f.chunked = true,
            _ => {
                return Err(HttpError::bad_request(
                    "Transfer-Encoding not ending in chunked",
                ));
            }
        }
    }
    Ok(f)
}

/// Comma-separated list elements, trimmed, empty ones skipped.
pub fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(|t| t.trim_ascii())
        .filter(|t| !t.is_empty())
}

fn parse_content_length(v: &[u8]) -> Result<u64, HttpError> {
    let bad = HttpError::bad_request("invalid Content-Length");
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err(bad);
    }
    v.iter()
        .try_fold(0u64, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or(bad)
}

/// Apache's `fix_hostname` rules, simplified: empty, a bracketed IPv6 literal, or a name of
/// letters, digits, `-`, `.`, `_`; either optionally followed by `:digits`.
fn valid_host(host: &str) -> bool {
    let b = host.as_bytes();
    let (name, port) = if b.first() == Some(&b'[') {
        let Some(close) = host.find(']') else {
            return false;
        };
        let inner = &host[1..close];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
        {
            return false;
        }
        ("", &host[close + 1..])
    } else {
        match host.find(':') {
            Some(i) => (&host[..i], &host[i..]),
            None => (host, ""),
        }
    };
    let name_ok = name
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
    // After `]` anything but `:digits` is wrong (and may not even start on a char boundary).
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    name_ok && port_ok
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
