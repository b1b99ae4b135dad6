//! The parsed request head: what handlers, the keep-alive decision and the access log read.
//!
//! A [`Request`] borrows the connection's read buffer and httparse's header array: nothing is
//! copied or allocated per request. The interesting headers (Host, Connection, Content-Length,
//! Transfer-Encoding, Expect, conditionals) are picked out once, in the same pass that
//! validates them (`parse.rs`); anything else is looked up on demand with [`Request::header`].

use crate::http::body::BodyFraming;

/// Request methods Apache knows (`ap_method_number_of`); anything else is `Unknown` (501).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
    /// A WebDAV/DeltaV method Apache registers (PROPFIND, MKCOL, ...): known, so 405 not 501.
    OtherKnown,
    /// Not a method Apache knows: 501 Not Implemented.
    Unknown,
}

const OTHER_KNOWN: &[&[u8]] = &[
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"VERSION-CONTROL",
    b"CHECKOUT",
    b"UNCHECKOUT",
    b"CHECKIN",
    b"UPDATE",
    b"LABEL",
    b"REPORT",
    b"MKWORKSPACE",
    b"MKACTIVITY",
    b"BASELINE-CONTROL",
    b"MERGE",
];

impl Method {
    /// Classifies a method token (case-sensitive, as HTTP and Apache are).
    pub fn from_token(token: &[u8]) -> Method {
        match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"CONNECT" => Method::Connect,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"PATCH" => Method::Patch,
            t if OTHER_KNOWN.contains(&t) => Method::OtherKnown,
            _ => Method::Unknown,
        }
    }

    /// GET or HEAD (Apache's `M_GET`).
    pub fn is_get_or_head(self) -> bool {
        matches!(self, Method::Get | Method::Head)
    }
}

/// How a request is served, by the protocol of its request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// No protocol: no headers, the answer is the body alone, then the connection closes.
    Http09,
    Http10,
    /// `HTTP/1.1` and any later `HTTP/x.y` (Apache serves `HTTP/2.0` in a request line as 1.1).
    Http11,
}

/// Tokens of the request's `Connection` header(s) that matter here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionTokens {
    /// `close` was present.
    pub close: bool,
    /// `keep-alive` was present (HTTP/1.0 style persistence; triggers the `Keep-Alive` reply).
    pub keep_alive: bool,
}

/// What the request's `Expect` header asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Expectation {
    /// No `Expect` (or an empty one).
    #[default]
    None,
    /// `100-continue` (any case): a `100 Continue` before the body is read (HTTP/1.1 only).
    Continue,
    /// Anything else: answered with 417, and the connection closes.
    Unsupported,
}

/// The form of the request target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetForm {
    /// `/path?query`
    Origin,
    /// `http://host/path?query`
    Absolute,
    /// `*` (only meaningful for OPTIONS; also an OPTIONS URL without a path)
    Asterisk,
    /// `host:port` (CONNECT only; refused with 405 as Apache does without a proxy)
    Authority,
}

/// A complete, validated request head.
#[derive(Debug)]
pub struct Request<'h, 'b> {
    pub method: Method,
    /// The method token as sent.
    pub method_str: &'b str,
    /// The request target as sent.
    pub target: &'b str,
    pub target_form: TargetForm,
    /// The path part of the target, still percent-encoded (`/` for `*`).
    pub path: &'b str,
    /// The query without `?`, if the target had one.
    pub query: Option<&'b str>,
    pub version: Version,
    /// The protocol as sent (`HTTP/2.0` stays `HTTP/2.0`; `HTTP/0.9` when there was none), for
    /// `%H`.
    pub protocol: &'b str,
    /// The first line, without the line end (for `%r`, the scoreboard and TRACE).
    pub request_line: &'b [u8],
    /// Every header, in order.
    pub headers: &'h [httparse::Header<'b>],
    /// Host from an absolute-form target, else from a non-empty Host header (`host[:port]`).
    pub host: Option<&'b str>,
    pub connection: ConnectionTokens,
    pub body: BodyFraming,
    /// The first non-empty `Expect` header's meaning.
    pub expect: Expectation,
    /// The connection must close after this request (e.g. both Content-Length and
    /// Transfer-Encoding were sent: Apache drops C-L and closes).
    pub must_close: bool,
    /// Total head length in bytes, including the final empty line (`%I` counts it).
    pub head_len: usize,
}

impl<'h, 'b> Request<'h, 'b> {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'b [u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// Whether the client asked for HEAD (headers only).
    pub fn is_head(&self) -> bool {
        self.method == Method::Head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_table() {
        let cases: &[(&[u8], Method)] = &[
            (b"GET", Method::Get),
            (b"HEAD", Method::Head),
            (b"POST", Method::Post),
            (b"PUT", Method::Put),
            (b"DELETE", Method::Delete),
            (b"CONNECT", Method::Connect),
            (b"OPTIONS", Method::Options),
            (b"TRACE", Method::Trace),
            (b"PATCH", Method::Patch),
            (b"PROPFIND", Method::OtherKnown),
            (b"BASELINE-CONTROL", Method::OtherKnown),
            (b"get", Method::Unknown),
            (b"FOO", Method::Unknown),
        ];
        for &(tok, want) in cases {
            assert_eq!(
                Method::from_token(tok),
                want,
                "{}",
                String::from_utf8_lossy(tok)
            );
        }
    }
}
