//! Writing responses: status lines, header lines, Apache's canned error pages, and a small
//! in-memory [`Response`] for everything that is not a file (errors, redirects, OPTIONS,
//! TRACE; later the status page and proxy errors).
//!
//! Heads are appended to a caller-owned, reused `Vec<u8>`: no allocation per response on the
//! hot path. Header order follows Apache's: Date, Server, handler headers, Content-Length,
//! Keep-Alive, Connection, Content-Type.

use crate::http::escape::push_html_escaped;
use crate::http::keepalive::{self, KeepAlive};

/// Apache's reason phrase for `status` (`status_lines` in http_protocol.c).
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        416 => "Requested Range Not Satisfiable",
        417 => "Expectation Failed",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        _ => "Unknown Reason",
    }
}

/// Appends `n` in decimal.
pub fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `n` in lower-case hex (a chunk size).
fn push_hex(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(n & 15) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Clears `out` and writes `HTTP/1.1 <status> <reason>` (Apache answers 1.0 clients with 1.1).
pub fn start_head(out: &mut Vec<u8>, status: u16) {
    start_head_with(out, status, reason(status));
}

/// [`start_head`] with a given reason phrase.
pub fn start_head_with(out: &mut Vec<u8>, status: u16, reason: &str) {
    out.clear();
    out.extend_from_slice(b"HTTP/1.1 ");
    push_u64(out, u64::from(status));
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `Name: value\r\n`.
pub fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// The headers every response starts with.
#[derive(Debug, Clone, Copy)]
pub struct CommonHeaders<'a> {
    /// IMF-fixdate of the request time.
    pub date: &'a [u8; 29],
    /// The complete `Server: ...\r\n` line (empty for none).
    pub server_line: &'a [u8],
}

impl CommonHeaders<'_> {
    /// Appends `Date` and `Server`.
    pub fn push(&self, out: &mut Vec<u8>) {
        push_header(out, "Date", self.date);
        out.extend_from_slice(self.server_line);
    }
}

/// How the end of an in-memory response's body is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` (the usual case).
    Length,
    /// `Transfer-Encoding: chunked`, one chunk (Apache's TRACE to an HTTP/1.1 client).
    Chunked,
    /// Neither: the body ends when the connection closes (TRACE to HTTP/1.0; Apache's pages
    /// for errors found while reading the request body).
    UntilClose,
}

/// A small response held in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header lines after Date and Server, in order (Location, Allow, ...).
    pub headers: Vec<(&'static str, String)>,
    /// Content-Type value, if any.
    pub content_type: Option<String>,
    /// Header lines after Content-Type (Content-Encoding, Content-Language: Apache's header
    /// filter adds them last).
    pub after_type: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub framing: Framing,
    /// The reason phrase when not the standard one for `status`.
    pub reason: Option<&'static str>,
}

/// Content-Type of Apache's generated pages.
pub const ERROR_CONTENT_TYPE: &str = "text/html; charset=iso-8859-1";

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            content_type: None,
            after_type: Vec::new(),
            body: Vec::new(),
            framing: Framing::Length,
            reason: None,
        }
    }

    /// Adds a header line (builder style).
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// The response with `err_headers` (Apache's `err_headers_out`) before its own header
    /// lines, as Apache's error responses send them.
    pub fn after_err_headers(mut self, mut err_headers: Vec<(&'static str, String)>) -> Response {
        if !err_headers.is_empty() {
            err_headers.append(&mut self.headers);
            self.headers = err_headers;
        }
        self
    }

    /// Apache's canned page for `status` (see [`error_page`]), with `Location` for redirects
    /// and `Allow` for 405/501.
    pub fn error(status: u16, ctx: &ErrorContext<'_>) -> Response {
        let mut r = Response::new(status);
        r.reason = ctx.reason;
        if let Some(loc) = ctx.location {
            r.headers.push(("Location", loc.to_string()));
        }
        if matches!(status, 405 | 501)
            && let Some(allow) = ctx.allow
        {
            r.headers.push(("Allow", allow.to_string()));
        }
        if !matches!(status, 204 | 304) {
            r.content_type = Some(ERROR_CONTENT_TYPE.to_string());
            error_page(status, ctx, &mut r.body);
        }
        r
    }

    /// Serializes head and (unless `head_only` or a 1xx/204/304) body into `out` (cleared).
    /// A HEAD (`head_only`) gets no `Content-Length`: Apache generates no body for it, so
    /// there is nothing to measure.
    pub fn serialize(
        &self,
        out: &mut Vec<u8>,
        common: &CommonHeaders<'_>,
        ka: KeepAlive,
        head_only: bool,
    ) {
        start_head_with(out, self.status, self.reason.unwrap_or(reason(self.status)));
        common.push(out);
        for (name, value) in &self.headers {
            push_header(out, name, value.as_bytes());
        }
        let with_body = !head_only && !matches!(self.status, 100..=199 | 204 | 304);
        if with_body && self.framing == Framing::Length {
            out.extend_from_slice(b"Content-Length: ");
            push_u64(out, self.body.len() as u64);
            out.extend_from_slice(b"\r\n");
        }
        keepalive::push_headers(out, ka);
        // Apache adds Transfer-Encoding after ap_set_keepalive's headers.
        if with_body && self.framing == Framing::Chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        if let Some(ct) = &self.content_type {
            push_header(out, "Content-Type", ct.as_bytes());
        }
        for (name, value) in &self.after_type {
            push_header(out, name, value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        if with_body {
            self.push_body(out);
        }
    }

    /// Appends the body as it goes on the wire (chunked if so framed).
    pub fn push_body(&self, out: &mut Vec<u8>) {
        if self.framing != Framing::Chunked {
            out.extend_from_slice(&self.body);
            return;
        }
        if !self.body.is_empty() {
            push_hex(out, self.body.len() as u64);
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&self.body);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    }
}

/// What the canned pages mention.
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorContext<'a> {
    /// The request method (405, 413, 501 texts).
    pub method: &'a str,
    /// Redirect target (3xx).
    pub location: Option<&'a str>,
    /// The Allow value for 405/501.
    pub allow: Option<&'a str>,
    /// The Expect value the client sent (417).
    pub expect: Option<&'a [u8]>,
    /// Apache's `error-notes`: a sentence some 400s add ("Size of a request header field
    /// exceeds server limit."); for a 300 or 406, mod_negotiation's list of variants.
    pub note: Option<&'a str>,
    /// Apache's `r->status_line` reason when it is not the standard one (mod_proxy's
    /// `502 Proxy Error`): the status line, the title and the heading say it.
    pub reason: Option<&'static str>,
    /// Apache's `recursive_error`: the answer this page replaced (a 301 or 403 made before the
    /// request body was read, which then failed to read), or the status an ErrorDocument
    /// failed with. Mentioned at the end of the page.
    pub recursive_error: Option<u16>,
}

/// The first line of Apache 2.4's generated pages (`DOCTYPE_HTML_4_01`).
const DOCTYPE: &[u8] =
    b"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n";

/// Appends Apache 2.4's built-in error document for `status` (ServerSignature Off),
/// byte for byte (`ap_send_error_response` with `get_canned_error_string`).
pub fn error_page(status: u16, ctx: &ErrorContext<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(DOCTYPE);
    let title = ctx.reason.unwrap_or(reason(status));
    out.extend_from_slice(b"<html><head>\n<title>");
    push_u64(out, u64::from(status));
    out.push(b' ');
    out.extend_from_slice(title.as_bytes());
    out.extend_from_slice(b"</title>\n</head><body>\n<h1>");
    out.extend_from_slice(title.as_bytes());
    out.extend_from_slice(b"</h1>\n");
    let method = ctx.method;
    match status {
        301 | 302 | 307 | 308 => {
            out.extend_from_slice(b"<p>The document has moved <a href=\"");
            push_html_escaped(out, ctx.location.unwrap_or("").as_bytes());
            out.extend_from_slice(b"\">here</a>.</p>\n");
        }
        400 => {
            out.extend_from_slice(
                b"<p>Your browser sent a request that this server could not understand.<br />\n",
            );
            out.extend_from_slice(ctx.note.unwrap_or("").as_bytes());
            out.extend_from_slice(b"</p>\n");
        }
        // mod_negotiation's list of variants is the note of a 300 or 406.
        300 => out.extend_from_slice(ctx.note.unwrap_or("").as_bytes()),
        406 => {
            out.extend_from_slice(
                b"<p>An appropriate representation of the requested resource could not be found on this server.</p>\n",
            );
            out.extend_from_slice(ctx.note.unwrap_or("").as_bytes());
        }
        403 => out.extend_from_slice(b"<p>You don't have permission to access this resource.</p>\n"),
        404 => out.extend_from_slice(b"<p>The requested URL was not found on this server.</p>\n"),
        405 => {
            out.extend_from_slice(b"<p>The requested method ");
            push_html_escaped(out, method.as_bytes());
            out.extend_from_slice(b" is not allowed for this URL.</p>\n");
        }
        408 => out.extend_from_slice(b"<p>Server timeout waiting for the HTTP request from the client.</p>\n"),
        411 => {
            out.extend_from_slice(b"<p>A request of the requested method ");
            push_html_escaped(out, method.as_bytes());
            out.extend_from_slice(b" requires a valid Content-length.<br />\n</p>\n");
        }
        412 => out.extend_from_slice(b"<p>The precondition on the request for this URL evaluated to false.</p>\n"),
        416 => out.extend_from_slice(
            b"<p>None of the range-specifier values in the Range\nrequest-header field overlap the current extent\nof the selected resource.</p>\n",
        ),
        413 => {
            out.extend_from_slice(b"The requested resource does not allow request data with ");
            push_html_escaped(out, method.as_bytes());
            out.extend_from_slice(
                b" requests, or the amount of data provided in\nthe request exceeds the capacity limit.\n",
            );
        }
        414 => out.extend_from_slice(
            b"<p>The requested URL's length exceeds the capacity\nlimit for this server.<br />\n</p>\n",
        ),
        417 => {
            out.extend_from_slice(
                b"<p>The expectation given in the Expect request-header\nfield could not be met by this server.\nThe client sent<pre>\n    Expect: ",
            );
            push_html_escaped(out, ctx.expect.unwrap_or(b""));
            out.extend_from_slice(b"\n</pre>\n</p><p>Only the 100-continue expectation is supported.</p>\n");
        }
        501 => {
            out.extend_from_slice(b"<p>");
            push_html_escaped(out, method.as_bytes());
            out.extend_from_slice(b" not supported for current URL.<br />\n</p>\n");
        }
        502 => {
            out.extend_from_slice(
                b"<p>The proxy server received an invalid\r\nresponse from an upstream server.<br />\r\n",
            );
            out.extend_from_slice(ctx.note.unwrap_or("").as_bytes());
            out.extend_from_slice(b"</p>\n");
        }
        504 => out.extend_from_slice(
            b"<p>The gateway did not receive a timely response\nfrom the upstream server or application.</p>\n",
        ),
        // httpd 2.4.71 leaves the URI out.
        506 => out.extend_from_slice(
            b"<p>A variant for the requested resource\n<pre>\n\n</pre>\nis itself a negotiable resource. This indicates a configuration error.</p>\n",
        ),
        503 => out.extend_from_slice(
            b"<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>\n",
        ),
        _ => out.extend_from_slice(
            b"<p>The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.</p>\n<p>Please contact the server administrator at \n [no address given] to inform them of the time this error occurred,\n and the actions you performed just before this error.</p>\n<p>More information about this error may be available\nin the server error log.</p>\n",
        ),
    }
    if let Some(recursive) = ctx.recursive_error {
        out.extend_from_slice(b"<p>Additionally, a ");
        push_u64(out, u64::from(recursive));
        out.push(b' ');
        out.extend_from_slice(reason(recursive).as_bytes());
        out.extend_from_slice(
            b"\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n",
        );
    }
    out.extend_from_slice(b"</body></html>\n");
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
