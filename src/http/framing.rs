//! How a response body is delimited, and the keep-alive decision that goes with it, for the
//! responses whose length Apache does not know up front: a multipart/byteranges body of more
//! than 32 ranges (sent in pieces, so the Content-Length is dropped) and the 416 page (made
//! while the original response was already being sent, so `ap_set_keepalive` runs twice and
//! the page goes out without a Content-Length). HTTP/1.1 gets chunked encoding; HTTP/1.0 a
//! body delimited by the close. Pure, over [`keepalive::decide`].

use crate::handlers::Reply;
use crate::handlers::range::MULTIPART_KNOWN_LENGTH_MAX;
use crate::http::keepalive::{self, KeepAlive, KeepAliveInput};
use crate::http::response::{Framing, push_u64};

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimit {
    /// `Content-Length` (or no body at all: HEAD, 304).
    Length,
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Neither: the body ends when the connection closes.
    Close,
}

/// The keep-alive answer and the framing for one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed {
    pub ka: KeepAlive,
    pub delimit: Delimit,
    /// How many keep-alive requests the response used up (Apache's `keepalives++`): 0, 1,
    /// or 2 for a 416 that persisted twice.
    pub keepalives_used: u32,
}

/// `ap_set_keepalive` for a response whose body length is (`has_length`) or is not known,
/// `head_only` for HEAD. `twice` is the 416 path. `input.length_known` is ignored: it is
/// derived here, as Apache does (header-only, a length, or HTTP/1.1 which can chunk).
pub fn decide(input: &KeepAliveInput, has_length: bool, head_only: bool, twice: bool) -> Framed {
    let length_known = head_only || has_length || input.http11;
    let decide_with = |kept: u32| {
        keepalive::decide(&KeepAliveInput {
            length_known,
            kept_alive_so_far: kept,
            ..*input
        })
    };
    // Apache sets `r->chunked` when its condition chain reaches the length test, even if a
    // later test then closes the connection.
    let chunks = !input.must_close && !input.awaiting_continue && input.http11;
    let unframed = |chunks: bool| {
        if head_only || has_length {
            Delimit::Length
        } else if chunks {
            Delimit::Chunked
        } else {
            Delimit::Close
        }
    };
    if !twice {
        let ka = decide_with(input.kept_alive_so_far);
        return Framed {
            ka,
            delimit: unframed(chunks),
            keepalives_used: u32::from(ka.persists()),
        };
    }
    let first = decide_with(input.kept_alive_so_far);
    if !first.persists() {
        // The connection is marked closing: the second decision stops at its first test.
        return Framed {
            ka: KeepAlive::Close,
            delimit: unframed(false),
            keepalives_used: 0,
        };
    }
    let second = decide_with(input.kept_alive_so_far + 1);
    Framed {
        ka: second,
        delimit: unframed(chunks),
        keepalives_used: 1 + u32::from(second.persists()),
    }
}

/// Whether Apache knows the body length of `reply` up front, and whether it decides
/// keep-alive twice for it: not for a multipart body of more than 32 ranges nor for TRACE;
/// neither for the 416 page.
pub fn length_of(reply: &Reply<'_>) -> (bool, bool) {
    let long_multipart =
        |status: u16, ranges: usize| status == 206 && ranges > MULTIPART_KNOWN_LENGTH_MAX;
    match reply {
        Reply::File(f) => (!long_multipart(f.status, f.ranges.len()), false),
        Reply::Page(p) => (!long_multipart(p.status, p.ranges.len()), false),
        Reply::Error { status: 416, .. } => (false, true),
        // Apache's TRACE body goes out without a length (ap_send_http_trace).
        Reply::Trace => (false, false),
        _ => (true, false),
    }
}

/// Length of the head at the start of `out` (through the empty line).
pub fn head_length(out: &[u8]) -> usize {
    out.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(out.len(), |i| i + 4)
}

/// Appends `data` as one chunk (nothing for empty data: that would end the body).
pub fn push_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The last chunk and the end of a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// The framing of an in-memory response delimited as `delimit`.
pub fn response_framing(delimit: Delimit) -> Framing {
    match delimit {
        Delimit::Length => Framing::Length,
        Delimit::Chunked => Framing::Chunked,
        Delimit::Close => Framing::UntilClose,
    }
}

/// Appends `Content-Length: n`.
pub fn push_content_length(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(b"Content-Length: ");
    push_u64(out, n);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn input(http11: bool, keep_alive: bool, close: bool, kept: u32) -> KeepAliveInput {
        KeepAliveInput {
            enabled: true,
            timeout: Duration::from_secs(5),
            max_requests: 100,
            kept_alive_so_far: kept,
            http11,
            client_close: close,
            client_keep_alive: keep_alive,
            status: 416,
            length_known: true,
            awaiting_continue: false,
            must_close: false,
            stopping: false,
        }
    }

    /// What Apache 2.4.71 answered (Connection / Keep-Alive / Transfer-Encoding, and the
    /// `max` of the next response on the connection).
    #[test]
    fn apache_416_and_long_multipart_table() {
        use Delimit::*;
        let persist = |max: u32| KeepAlive::Persist {
            header: Some((5, Some(max))),
        };
        let quiet = KeepAlive::Persist { header: None };
        type Row = (KeepAliveInput, bool, bool, bool, KeepAlive, Delimit, u32);
        let cases: Vec<Row> = vec![
            // 416, HTTP/1.1 keep-alive: chunked, max=99 (two keep-alives used up).
            (
                input(true, true, false, 0),
                false,
                false,
                true,
                persist(99),
                Chunked,
                2,
            ),
            // 416, HTTP/1.1 plain: chunked, persists.
            (
                input(true, false, false, 0),
                false,
                false,
                true,
                quiet,
                Chunked,
                2,
            ),
            // 416, HTTP/1.1 Connection: close: neither length nor chunks, closes.
            (
                input(true, false, true, 0),
                false,
                false,
                true,
                KeepAlive::Close,
                Close,
                0,
            ),
            // 416, HTTP/1.0 with keep-alive: closes.
            (
                input(false, true, false, 0),
                false,
                false,
                true,
                KeepAlive::Close,
                Close,
                0,
            ),
            // 416 to HEAD: no body, persists.
            (
                input(true, false, false, 0),
                false,
                true,
                true,
                quiet,
                Length,
                2,
            ),
            // 416 as the last allowed request: chunked, then closes.
            (
                input(true, false, false, 99),
                false,
                false,
                true,
                KeepAlive::Close,
                Chunked,
                1,
            ),
            // Over 32 ranges: chunked for HTTP/1.1, close-delimited for HTTP/1.0.
            (
                input(true, false, false, 0),
                false,
                false,
                false,
                quiet,
                Chunked,
                1,
            ),
            (
                input(false, false, false, 0),
                false,
                false,
                false,
                KeepAlive::Close,
                Close,
                0,
            ),
            (
                input(false, true, false, 0),
                false,
                false,
                false,
                KeepAlive::Close,
                Close,
                0,
            ),
            // Known length: as before.
            (
                input(false, true, false, 0),
                true,
                false,
                false,
                persist(100),
                Length,
                1,
            ),
        ];
        for (i, (inp, has_length, head_only, twice, ka, delimit, used)) in
            cases.into_iter().enumerate()
        {
            let got = decide(&inp, has_length, head_only, twice);
            assert_eq!(
                got,
                Framed {
                    ka,
                    delimit,
                    keepalives_used: used
                },
                "case {i}"
            );
        }
    }

    #[test]
    fn unframed_416_page() {
        use crate::http::response::{CommonHeaders, Response};
        let mut r = Response::new(416);
        r.content_type = Some("text/html; charset=iso-8859-1".into());
        r.body = b"<p>x</p>\n".to_vec();
        let common = CommonHeaders {
            date: b"Sat, 21 Nov 2026 08:56:37 GMT",
            server_line: b"Server: mpmd\r\n",
        };
        let framed = Framed {
            ka: KeepAlive::Persist {
                header: Some((5, Some(99))),
            },
            delimit: Delimit::Chunked,
            keepalives_used: 2,
        };
        r.framing = response_framing(framed.delimit);
        let mut out = Vec::new();
        r.serialize(&mut out, &common, framed.ka, false);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 416 Requested Range Not Satisfiable\r\nDate: Sat, 21 Nov 2026 08:56:37 GMT\r\n\
             Server: mpmd\r\nKeep-Alive: timeout=5, max=99\r\nConnection: Keep-Alive\r\n\
             Transfer-Encoding: chunked\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n\
             9\r\n<p>x</p>\n\r\n0\r\n\r\n"
        );
    }
}
