//! What to answer, decided without I/O: the in-memory responses (OPTIONS, TRACE, error pages)
//! and the small protocol decisions around them that the connection loop applies (does the
//! request body get read, is a refused head answered headers-only).
//!
//! Pure functions of the request, the reply and the site; `conn.rs` does the writing.

use crate::handlers::Reply;
use crate::http::Site;
use crate::http::error::HttpError;
use crate::http::request::{Request, TargetForm};
use crate::http::response::{ErrorContext, Response};

/// Whether Apache reads (and drops) the request body before it answers with `reply`, sending
/// `100 Continue` first if asked. Apache's default handler discards the body before it looks
/// at the file, so its answers (the file, 304, 412, 404 for a missing file, 405, 501, OPTIONS,
/// TRACE) come after the body; refusals made before the handler runs (DirectorySlash's 301,
/// 403s, 400s) are sent without reading it, and then the connection closes. (A 404 for an
/// encoded slash is also such an early refusal in Apache; here it counts with the handler's.)
pub fn reads_body_first(reply: &Reply<'_>) -> bool {
    match reply {
        Reply::Error { status, .. }
        | Reply::ErrorText { status, .. }
        | Reply::ErrorRecursive { status, .. } => matches!(status, 404 | 405 | 501),
        Reply::File(_)
        | Reply::Page(_)
        | Reply::Options { .. }
        | Reply::Trace
        | Reply::Generated(_)
        | Reply::Proxy(_) => true,
    }
}

/// Whether an error page for a head that did not parse is sent headers-only: Apache marks a
/// request HEAD as soon as it has read the method, so everything but a 414 (the line was never
/// read) goes without a body.
pub fn refusal_is_head_only(line: &[u8], err: &HttpError) -> bool {
    err.status != 414 && method_of(line) == "HEAD"
}

/// The first value of header `name` in a raw head, for error pages about heads that did not
/// parse.
pub fn raw_header<'h>(head: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        line[..colon]
            .eq_ignore_ascii_case(name)
            .then(|| line[colon + 1..].trim_ascii())
    })
}

/// The method token of a request line, for error pages about heads that did not parse.
pub fn method_of(line: &[u8]) -> &str {
    std::str::from_utf8(line.split(|&b| b == b' ').next().unwrap_or(b"")).unwrap_or("")
}

/// TRACE's body (Apache's `ap_send_http_trace`): the request line and the headers as stored
/// (folded lines joined), each with CRLF, then an empty line.
pub fn trace_body(req: &Request<'_, '_>) -> Vec<u8> {
    let mut body = Vec::with_capacity(req.head_len);
    body.extend_from_slice(req.request_line);
    body.extend_from_slice(b"\r\n");
    for h in req.headers {
        body.extend_from_slice(h.name.as_bytes());
        body.extend_from_slice(b": ");
        body.extend_from_slice(h.value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"\r\n");
    body
}

/// An error found while reading the request body, which replaces the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyFailure {
    /// Apache sends these pages without `Content-Length` (they end with the connection),
    /// except for a timeout's.
    pub no_length: bool,
    /// The answer decided before the body was read, if Apache mentions it on the page.
    pub replaced: Option<u16>,
}

impl BodyFailure {
    /// Reading the body for `reply` failed with `status`.
    pub fn new(status: u16, reply: &Reply<'_>) -> BodyFailure {
        BodyFailure {
            no_length: status != 408,
            replaced: (!reads_body_first(reply)).then(|| reply.status()),
        }
    }
}

/// OPTIONS, TRACE, error and generated replies; `failure` when the reply is a body-reading
/// error. The caller sets the framing.
pub fn in_memory_response(
    site: &Site,
    req: &Request<'_, '_>,
    reply: Reply<'_>,
    failure: Option<BodyFailure>,
) -> Response {
    match reply {
        Reply::Options { content_type } => {
            let mut r = Response::new(200);
            if req.target_form != TargetForm::Asterisk {
                r.headers.push(("Allow", site.allow().to_string()));
            }
            r.content_type = content_type;
            r
        }
        Reply::Trace => {
            let mut r = Response::new(200);
            r.content_type = Some("message/http".to_string());
            r.body = trace_body(req);
            r
        }
        Reply::Error {
            status,
            location,
            err_headers,
        } => {
            let ctx = ErrorContext {
                method: req.method_str,
                location: location.as_deref(),
                allow: Some(site.allow()),
                expect: req.header("expect"),
                recursive_error: failure.and_then(|f| f.replaced),
                ..ErrorContext::default()
            };
            Response::error(status, &ctx).after_err_headers(err_headers)
        }
        Reply::ErrorRecursive {
            status,
            recursive,
            err_headers,
        } => {
            let ctx = ErrorContext {
                method: req.method_str,
                allow: Some(site.allow()),
                recursive_error: Some(recursive),
                ..ErrorContext::default()
            };
            Response::error(status, &ctx).after_err_headers(err_headers)
        }
        Reply::ErrorText {
            status,
            text,
            err_headers,
        } => {
            let ctx = ErrorContext {
                method: req.method_str,
                allow: Some(site.allow()),
                ..ErrorContext::default()
            };
            let mut r = Response::error(status, &ctx).after_err_headers(err_headers);
            r.body = text.into_bytes();
            r
        }
        Reply::Generated(response) => response,
        Reply::File(_) | Reply::Page(_) => unreachable!("files and pages are sent by send.rs"),
        Reply::Proxy(_) => unreachable!("proxied requests are run by conn_proxy.rs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_read_for_the_handlers_answers_only() {
        let cases: &[(Reply<'static>, bool)] = &[
            (Reply::Options { content_type: None }, true),
            (Reply::Trace, true),
            (Reply::error(404), true),
            (Reply::error(405), true),
            (Reply::error(501), true),
            (Reply::error(403), false),
            (Reply::error(400), false),
            (Reply::redirect(301, "http://h/d/".into()), false),
        ];
        for (reply, want) in cases {
            assert_eq!(reads_body_first(reply), *want, "{reply:?}");
        }
    }

    #[test]
    fn body_failures() {
        let redirect = Reply::redirect(301, "http://h/d/".into());
        let cases: &[(u16, Reply<'static>, BodyFailure)] = &[
            (
                413,
                Reply::error(404),
                BodyFailure {
                    no_length: true,
                    replaced: None,
                },
            ),
            (
                400,
                Reply::error(405),
                BodyFailure {
                    no_length: true,
                    replaced: None,
                },
            ),
            (
                408,
                Reply::error(404),
                BodyFailure {
                    no_length: false,
                    replaced: None,
                },
            ),
            (
                413,
                redirect,
                BodyFailure {
                    no_length: true,
                    replaced: Some(301),
                },
            ),
            (
                413,
                Reply::error(403),
                BodyFailure {
                    no_length: true,
                    replaced: Some(403),
                },
            ),
        ];
        for (status, reply, want) in cases {
            assert_eq!(
                BodyFailure::new(*status, reply),
                *want,
                "{status} after {reply:?}"
            );
        }
    }

    #[test]
    fn refusals_of_head_requests_have_no_body() {
        let cases: &[(&[u8], u16, bool)] = &[
            (b"HEAD /x HTTP/1.1", 400, true),
            (b"HEAD /x", 400, true),
            (b"HEAD /x HTTP/1.1", 408, true),
            (b"HEAD /xxxxxxxx", 414, false),
            (b"GET /x HTTP/1.1", 400, false),
            (b"HEADER /x HTTP/1.1", 400, false),
        ];
        for &(line, status, want) in cases {
            let err = HttpError::new(status, "test");
            assert_eq!(
                refusal_is_head_only(line, &err),
                want,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn raw_header_and_method() {
        let head = b"GET /x HTTP/1.1\r\nHost: h\r\nExpect:  tea \r\n\r\n";
        assert_eq!(raw_header(head, b"expect"), Some(&b"tea"[..]));
        assert_eq!(raw_header(head, b"range"), None);
        assert_eq!(method_of(b"PUT /x HTTP/1.1"), "PUT");
        assert_eq!(method_of(b""), "");
    }
}
