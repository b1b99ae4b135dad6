//! Request head parsing: bytes in, `Partial` / a validated [`Request`] / an [`HttpError`] out.
//!
//! Pure: never touches a socket, never allocates on the common path (the header array lives on
//! the caller's stack; see [`HeaderSlots`]). Two stages, both following Apache 2.4's default
//! `HttpProtocolOptions Strict Allow0.9`:
//!
//! 1. [`HeadScanner`] walks the bytes line by line, incrementally across reads, and refuses a
//!    head as soon as a line breaks a rule, before the rest arrives: every line must end in
//!    CRLF; a line may be one byte longer than its limit (Apache's line buffer holds the limit
//!    plus CRLF; a request line over `limit_request_line + 1` -> 414, a header line over
//!    `limit_request_field_size + 1` -> 400); at most 10 empty lines before the request line;
//!    the request line is parsed as soon as it is complete (`request_line.rs`), so a malformed
//!    one is answered at once and an HTTP/0.9 one (no protocol) ends the head right there; more
//!    than `limit_request_fields` header fields -> 400; obs-fold continuation lines are joined
//!    to their field (Apache folds them), whose folded length must stay under the field limit.
//! 2. [`parse_request`] parses the header fields with httparse and applies HTTP semantics:
//!    target form, Host, Connection, Content-Length / Transfer-Encoding framing, Expect.
//!
//! [`parse`] chains both for callers (and tests) that hold the whole buffer.

use crate::config::HttpConfig;
use crate::http::body::BodyFraming;
use crate::http::error::{HttpError, NOTE_FIELD_TOO_LONG, NOTE_TOO_MANY_FIELDS};
use crate::http::fields::{scan_fields, valid_host};
use crate::http::request::{Method, Request, TargetForm, Version};
use crate::http::request_line::{RequestLine, parse_request_line};

/// Header slots kept on the stack; heads with more header fields use a heap array.
pub const STACK_HEADERS: usize = 100;
/// Empty lines tolerated before the request line (Apache's `DEFAULT_LIMIT_BLANK_LINES`).
const MAX_BLANK_LINES: usize = 10;
/// Bound on a whole head when `limit_request_fields` is 0 (unlimited).
const UNLIMITED_FIELDS_HEAD_CAP: usize = 1 << 20;

/// Apache's request limits (`LimitRequest*`), copied out of the config once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// LimitRequestLine: longest request line, without its line end (Apache takes one more).
    pub request_line: usize,
    /// LimitRequestFields: most header fields; 0 = unlimited.
    pub fields: usize,
    /// LimitRequestFieldSize: longest header line, without its line end (Apache takes one
    /// more).
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
    /// (Continuation lines padded with whitespace could make a head longer than this; such a
    /// head is refused with 400 where Apache, which does not keep the raw lines, would read on.)
    pub fn max_head_len(&self) -> usize {
        let line = self.request_line + 3 + MAX_BLANK_LINES * 2 + 2;
        if self.fields == 0 {
            line.saturating_add(UNLIMITED_FIELDS_HEAD_CAP)
        } else {
            line.saturating_add(self.fields.saturating_mul(self.field_size + 3))
        }
    }
}

/// Result of scanning for the end of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// More bytes are needed.
    Incomplete,
    /// The head ends after `head_len` bytes (its empty line included; for HTTP/0.9, the
    /// request line's CRLF).
    Complete { head_len: usize },
}

/// SP or HT (`OWS`).
fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_ows_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s
        && is_ows(*last)
    {
        s = rest;
    }
    s
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && is_ows(*first)
    {
        s = rest;
    }
    trim_ows_end(s)
}

/// Incremental, limit-enforcing search for the end of a request head. Keep one per request
/// and feed it the growing buffer (always starting at the request's first byte).
#[derive(Debug, Clone, Default)]
pub struct HeadScanner {
    pos: usize,
    line_start: usize,
    blank_lines: usize,
    /// Start and end (exclusive, CRLF stripped) of the request line once seen.
    request_line: Option<(usize, usize)>,
    /// The request line's parts, once seen.
    parsed: Option<RequestLine>,
    /// Header fields seen so far (continuation lines not counted).
    fields: usize,
    /// Length of the current field as Apache stores it: trailing whitespace dropped, each
    /// continuation joined with one space.
    field_len: usize,
    /// A continuation line was seen: the head must be unfolded before httparse reads it.
    folded: bool,
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
            self.pos = nl + 1;
            let start = self.line_start;
            self.line_start = nl + 1;
            let crlf = nl > start && buf[nl - 1] == b'\r';
            let end = if crlf { nl - 1 } else { nl };
            if let Some(done) = self.line(buf, start, end, crlf, limits)? {
                return Ok(done);
            }
        }
        Ok(Scan::Incomplete)
    }

    /// One complete line, `buf[start..end]`, its line end after it.
    fn line(
        &mut self,
        buf: &[u8],
        start: usize,
        end: usize,
        crlf: bool,
        limits: &Limits,
    ) -> Result<Option<Scan>, HttpError> {
        let len = end - start;
        let head_end = end + if crlf { 2 } else { 1 };
        if self.request_line.is_none() {
            if len > limits.request_line + 1 {
                return Err(HttpError::new(414, "request line too long"));
            }
            if !crlf {
                return Err(HttpError::bad_request("request line not ending in CRLF"));
            }
            if len == 0 {
                self.blank_lines += 1;
                if self.blank_lines > MAX_BLANK_LINES {
                    return Err(HttpError::bad_request(
                        "too many empty lines before the request",
                    ));
                }
                return Ok(None);
            }
            self.request_line = Some((start, end));
            let parsed = parse_request_line(&buf[start..end])?;
            let http09 = parsed.version == Version::Http09;
            self.parsed = Some(parsed);
            return Ok(http09.then_some(Scan::Complete { head_len: head_end }));
        }
        if len > limits.field_size + 1 {
            return Err(HttpError::bad_request("request header field too long")
                .with_note(NOTE_FIELD_TOO_LONG));
        }
        if !crlf {
            return Err(HttpError::bad_request("header line not ending in CRLF"));
        }
        let line = &buf[start..end];
        match line.first() {
            None => return Ok(Some(Scan::Complete { head_len: head_end })),
            Some(&b) if is_ows(b) => {
                if self.fields == 0 {
                    return Err(HttpError::bad_request(
                        "continuation line before the first header field",
                    ));
                }
                let content = trim_ows(line);
                if content.is_empty() {
                    return Err(HttpError::bad_request("empty continuation line"));
                }
                self.field_len += 1 + content.len();
                if self.field_len + 1 >= limits.field_size {
                    return Err(HttpError::bad_request("folded header field too long")
                        .with_note(NOTE_FIELD_TOO_LONG));
                }
                self.folded = true;
            }
            Some(_) => {
                self.fields += 1;
                if limits.fields != 0 && self.fields > limits.fields {
                    return Err(HttpError::bad_request("too many request header fields")
                        .with_note(NOTE_TOO_MANY_FIELDS));
                }
                self.field_len = trim_ows_end(line).len();
            }
        }
        Ok(None)
    }

    /// An unfinished line may already be over its limit (+2: the extra byte Apache allows and
    /// a pending CR).
    fn check_open_line(&self, buf_len: usize, limits: &Limits) -> Result<(), HttpError> {
        let open = buf_len - self.line_start;
        if self.request_line.is_none() {
            if open > limits.request_line + 2 {
                return Err(HttpError::new(414, "request line too long"));
            }
        } else if open > limits.field_size + 2 {
            return Err(HttpError::bad_request("request header field too long")
                .with_note(NOTE_FIELD_TOO_LONG));
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

    /// Whether the whole request line has arrived (a timeout before it is not answered; a
    /// refused one counts as arrived).
    pub fn has_request_line(&self) -> bool {
        self.request_line.is_some()
    }

    /// Header fields seen so far (the size the header array must have).
    pub fn header_lines(&self) -> usize {
        self.fields
    }
}

/// Storage for httparse's header array: on the stack up to [`STACK_HEADERS`], else on the heap.
/// The size difference is the point: the common case must not allocate.
#[allow(clippy::large_enum_variant)]
pub enum HeaderSlots<'b> {
    Stack([httparse::Header<'b>; STACK_HEADERS]),
    Heap(Vec<httparse::Header<'b>>),
}

impl<'b> HeaderSlots<'b> {
    /// Room for `count` headers (the scanner's [`HeadScanner::header_lines`]).
    pub fn for_count(count: usize) -> HeaderSlots<'b> {
        if count <= STACK_HEADERS {
            HeaderSlots::Stack([httparse::EMPTY_HEADER; STACK_HEADERS])
        } else {
            HeaderSlots::Heap(vec![httparse::EMPTY_HEADER; count])
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [httparse::Header<'b>] {
        match self {
            HeaderSlots::Stack(a) => a,
            HeaderSlots::Heap(v) => v,
        }
    }
}

/// Writes `head` into `out` with every continuation line joined to its field: the field's
/// trailing whitespace and the continuation's surrounding whitespace become one SP (what
/// Apache stores, and so what TRACE echoes). `line_end` is where the request line ends.
pub fn unfold(head: &[u8], line_end: usize, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&head[..line_end + 2]);
    let mut rest = &head[line_end + 2..];
    let mut open_field = false;
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        let line = &rest[..i];
        rest = &rest[i + 2..];
        match line.first() {
            Some(&b) if is_ows(b) => {
                out.push(b' ');
                out.extend_from_slice(trim_ows(line));
                continue;
            }
            _ if open_field => out.extend_from_slice(b"\r\n"),
            _ => {}
        }
        if line.is_empty() {
            out.extend_from_slice(b"\r\n");
            break;
        }
        out.extend_from_slice(trim_ows_end(line));
        open_field = true;
    }
}

/// Appends `raw` with every byte >= 0x80 written as `%XX` (decoded back by the path resolver).
fn escape_non_ascii(raw: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in raw {
        if b < 0x80 {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

/// Parses a complete head (`head` = exactly the bytes the scanner reported, from the request's
/// first byte). `unfolded` is scratch space, used only when the head has continuation lines or
/// the target bytes that are not UTF-8.
pub fn parse_request<'h, 'b>(
    head: &'b [u8],
    scanner: &HeadScanner,
    slots: &'h mut [httparse::Header<'b>],
    unfolded: &'b mut Vec<u8>,
) -> Result<Request<'h, 'b>, HttpError> {
    let (Some((line_start, line_end)), Some(parts)) = (scanner.request_line, &scanner.parsed)
    else {
        return Err(HttpError::bad_request("incomplete request head"));
    };
    let line = &head[line_start..line_end];
    let ascii = |r: std::ops::Range<usize>| {
        // Method and protocol are tokens: ASCII, so UTF-8.
        std::str::from_utf8(&line[r]).map_err(|_| HttpError::bad_request("invalid request line"))
    };
    let method_str = ascii(parts.method.clone())?;
    let version = parts.version;
    // The scratch buffer holds, when needed, the unfolded head and then the target with its
    // non-ASCII bytes %-escaped (Apache takes raw bytes in a path; `Request` holds `&str`).
    let unfold_head = scanner.folded && version != Version::Http09;
    let raw_target = &line[parts.target.clone()];
    let target_text = std::str::from_utf8(raw_target).ok();
    unfolded.clear();
    if unfold_head {
        unfold(head, line_end, unfolded);
    }
    let escaped_at = unfolded.len();
    if target_text.is_none() {
        escape_non_ascii(raw_target, unfolded);
    }
    let scratch: &'b Vec<u8> = unfolded;
    let target = match target_text {
        Some(t) => t,
        None => std::str::from_utf8(&scratch[escaped_at..])
            .map_err(|_| HttpError::bad_request("invalid request target"))?,
    };
    let headers: &'h [httparse::Header<'b>] = if version == Version::Http09 {
        &[]
    } else {
        let src: &'b [u8] = if unfold_head {
            &scratch[..escaped_at]
        } else {
            head
        };
        match httparse::parse_headers(&src[line_end + 2..], slots) {
            Ok(httparse::Status::Complete((_, headers))) => headers,
            Ok(httparse::Status::Partial) => {
                return Err(HttpError::bad_request("incomplete request head"));
            }
            Err(httparse::Error::TooManyHeaders) => {
                return Err(HttpError::bad_request("too many request header fields")
                    .with_note(NOTE_TOO_MANY_FIELDS));
            }
            Err(_) => return Err(HttpError::bad_request("malformed request header field")),
        }
    };
    let method = Method::from_token(method_str.as_bytes());
    let (target_form, authority, path, query) = split_target(target, method)?;
    let fields = scan_fields(headers)?;
    // An HTTP/1.1 request needs a Host header, and a host name from it or the target.
    let host = authority.or(fields.host_header.filter(|h| !h.is_empty()));
    if version == Version::Http11 && (fields.host_header.is_none() || host.is_none()) {
        return Err(HttpError::bad_request("HTTP/1.1 request without Host"));
    }
    let body = match (fields.chunked, fields.content_length) {
        (true, _) => BodyFraming::Chunked,
        (false, Some(0)) | (false, None) => BodyFraming::None,
        (false, Some(n)) => BodyFraming::Length(n),
    };
    let protocol = match version {
        Version::Http09 => "HTTP/0.9",
        _ => ascii(parts.protocol.clone())?,
    };
    Ok(Request {
        method,
        method_str,
        target,
        target_form,
        path,
        query,
        version,
        protocol,
        request_line: line,
        headers,
        host,
        connection: fields.connection,
        body,
        expect: fields.expect,
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
/// across reads instead). `slots` must hold at least as many entries as the head has fields.
pub fn parse<'h, 'b>(
    buf: &'b [u8],
    limits: &Limits,
    slots: &'h mut [httparse::Header<'b>],
    unfolded: &'b mut Vec<u8>,
) -> Result<Parsed<'h, 'b>, HttpError> {
    let mut scanner = HeadScanner::new();
    match scanner.scan(buf, limits)? {
        Scan::Incomplete => Ok(Parsed::Partial),
        Scan::Complete { head_len } => {
            if scanner.header_lines() > slots.len() {
                return Err(HttpError::bad_request("too many request header fields"));
            }
            let req = parse_request(&buf[..head_len], &scanner, slots, unfolded)?;
            Ok(Parsed::Complete(req, head_len))
        }
    }
}

type TargetParts<'b> = (TargetForm, Option<&'b str>, &'b str, Option<&'b str>);

/// Splits the request target the way Apache's `ap_parse_uri` (with `apr_uri_parse`) reads it:
/// `*` (OPTIONS only); a path; an `http:`/`https:` URL, with or without an authority (an
/// empty one names no host); for CONNECT only, `host:port`. An OPTIONS URL without a path
/// means `*`. A fragment, user info, another scheme or a bad port is a 400.
fn split_target(target: &str, method: Method) -> Result<TargetParts<'_>, HttpError> {
    let bad = HttpError::bad_request;
    if target.contains('#') {
        return Err(bad("fragment in the request target"));
    }
    if method == Method::Connect {
        let (name, port) = target.rsplit_once(':').unwrap_or((target, ""));
        if name.is_empty() || port.is_empty() || name.contains('/') || !valid_host(target) {
            return Err(bad("CONNECT target is not host:port"));
        }
        return Ok((TargetForm::Authority, Some(target), "/", None));
    }
    if target == "*" {
        if method != Method::Options {
            return Err(bad("'*' target on a method other than OPTIONS"));
        }
        return Ok((TargetForm::Asterisk, None, "*", None));
    }
    let (form, authority, rest) = if target.starts_with('/') {
        (TargetForm::Origin, None, target)
    } else {
        let (scheme, after) = target.split_once(':').unwrap_or(("", target));
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(bad("request target is not a path or http URL"));
        }
        let (authority, rest) = match after.strip_prefix("//") {
            Some(a) => a.split_at(a.find(['/', '?']).unwrap_or(a.len())),
            None => ("", after),
        };
        if authority.contains('@') {
            return Err(bad("user info in the request target"));
        }
        if !valid_host(authority) {
            return Err(bad("invalid host in the request target"));
        }
        if !rest.is_empty() && !rest.starts_with(['/', '?']) {
            return Err(bad("URL path not starting with /"));
        }
        let authority = (!authority.is_empty()).then_some(authority);
        (TargetForm::Absolute, authority, rest)
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.is_empty() && method == Method::Options {
        return Ok((TargetForm::Asterisk, authority, "*", None));
    }
    let path = if path.is_empty() { "/" } else { path };
    Ok((form, authority, path, query))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
