//! The backend's response head: parsing it (httparse), deciding how its body is delimited and
//! whether the backend connection can be reused, and the head relayed to the client (hop-by-hop
//! headers removed, framing regenerated, ProxyPassReverse applied). Pure.

use crate::http::framing::Delimit;
use crate::http::keepalive::{self, KeepAlive};
use crate::http::response::push_u64;
use crate::proxy::request_head::{is_hop_by_hop, is_named_in_connection, named_in_connection};
use crate::proxy::rules::{ReversePair, reverse_map};

/// Most header lines accepted in a backend response.
const MAX_HEADERS: usize = 100;
/// Longest backend response head accepted.
pub const MAX_HEAD: usize = 64 * 1024;

/// How the backend delimits its response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendBody {
    /// No body (HEAD, 1xx, 204, 304).
    None,
    Length(u64),
    Chunked,
    /// Until the backend closes.
    UntilClose,
}

/// A complete backend response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendHead {
    pub status: u16,
    /// Bytes of the head, including the empty line.
    pub head_len: usize,
    pub body: BackendBody,
    /// The backend keeps the connection open after this response.
    pub reusable: bool,
}

/// Why a backend response cannot be relayed (502).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadResponse(pub &'static str);

fn has_token(headers: &[httparse::Header<'_>], name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Parses the head at the start of `buf`: `Ok(None)` while incomplete.
pub fn parse(buf: &[u8], head_request: bool) -> Result<Option<BackendHead>, BadResponse> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut slots);
    let head_len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => {
            return Err(BadResponse("response head too large"));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(BadResponse("invalid response head")),
    };
    let status = resp.code.unwrap_or(0);
    let http11 = resp.version == Some(1);
    let headers = resp.headers;
    if status == 101 {
        return Err(BadResponse("unexpected 101 Switching Protocols"));
    }
    let close = has_token(headers, "connection", "close");
    let mut reusable = if http11 {
        !close
    } else {
        has_token(headers, "connection", "keep-alive") && !close
    };
    let te: Vec<&[u8]> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("transfer-encoding"))
        .map(|h| h.value)
        .collect();
    let mut length: Option<u64> = None;
    for h in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-length"))
    {
        for v in h.value.split(|&b| b == b',') {
            let n = std::str::from_utf8(v.trim_ascii())
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or(BadResponse("invalid Content-Length"))?;
            if length.is_some_and(|l| l != n) {
                return Err(BadResponse("conflicting Content-Length"));
            }
            length = Some(n);
        }
    }
    let no_body = head_request || matches!(status, 100..=199 | 204 | 304);
    let body = if no_body {
        BackendBody::None
    } else if !te.is_empty() {
        // Both: Apache drops the length and closes the backend connection.
        if length.is_some() {
            reusable = false;
        }
        let last = te
            .last()
            .and_then(|v| v.split(|&b| b == b',').next_back())
            .map(|t| t.trim_ascii());
        if last.is_some_and(|t| t.eq_ignore_ascii_case(b"chunked")) {
            BackendBody::Chunked
        } else {
            reusable = false;
            BackendBody::UntilClose
        }
    } else if let Some(n) = length {
        BackendBody::Length(n)
    } else {
        reusable = false;
        BackendBody::UntilClose
    };
    Ok(Some(BackendHead {
        status,
        head_len,
        body,
        reusable,
    }))
}

/// What the client head needs beyond the backend's headers.
#[derive(Debug, Clone, Copy)]
pub struct ClientHead<'a> {
    /// Our Date value (used when the backend sent none).
    pub date: &'a [u8; 29],
    /// Our `Server: ...\r\n` line (used when the backend sent none).
    pub server_line: &'a [u8],
    pub ka: KeepAlive,
    pub delimit: Delimit,
    /// ProxyPassReverse pairs, and the host the rewritten URLs name.
    pub reverse: &'a [ReversePair],
    pub host: &'a str,
}

/// Writes the head for the client into `out` (cleared) from the backend head `head` (complete,
/// as [`parse`] accepted it). A 1xx is relayed as is (minus hop-by-hop headers).
pub fn client_head(out: &mut Vec<u8>, head: &[u8], c: &ClientHead<'_>) {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut slots);
    let _ = resp.parse(head);
    let status = resp.code.unwrap_or(502);
    let reason = resp
        .reason
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| crate::http::response::reason(status));
    let headers = resp.headers;
    out.clear();
    out.extend_from_slice(b"HTTP/1.1 ");
    push_u64(out, u64::from(status));
    out.push(b' ');
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
    let interim = (100..200).contains(&status);
    let find = |name: &str| headers.iter().find(|h| h.name.eq_ignore_ascii_case(name));
    if !interim {
        out.extend_from_slice(b"Date: ");
        out.extend_from_slice(find("date").map_or(&c.date[..], |h| h.value));
        out.extend_from_slice(b"\r\n");
        match find("server") {
            Some(h) => {
                out.extend_from_slice(b"Server: ");
                out.extend_from_slice(h.value);
                out.extend_from_slice(b"\r\n");
            }
            None => out.extend_from_slice(c.server_line),
        }
    }
    let named = named_in_connection(headers);
    let mut length: Option<&[u8]> = None;
    for h in headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            length = length.or(Some(h.value));
            continue;
        }
        if is_hop_by_hop(name)
            || is_named_in_connection(&named, name)
            || (!interim
                && (name.eq_ignore_ascii_case("date") || name.eq_ignore_ascii_case("server")))
        {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        let rewrite = ["location", "content-location", "uri"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n));
        match rewrite
            .then(|| reverse_map(c.reverse, h.value, c.host))
            .flatten()
        {
            Some(v) => out.extend_from_slice(v.as_bytes()),
            None => out.extend_from_slice(h.value),
        }
        out.extend_from_slice(b"\r\n");
    }
    if interim {
        out.extend_from_slice(b"\r\n");
        return;
    }
    if c.delimit == Delimit::Length
        && !matches!(status, 204)
        && let Some(v) = length
    {
        out.extend_from_slice(b"Content-Length: ");
        out.extend_from_slice(v.split(|&b| b == b',').next().unwrap_or(v).trim_ascii());
        out.extend_from_slice(b"\r\n");
    }
    keepalive::push_headers(out, c.ka);
    if c.delimit == Delimit::Chunked {
        out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_table() {
        use BackendBody::*;
        type Case = (&'static str, bool, Option<(u16, BackendBody, bool)>);
        let cases: &[Case] = &[
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                false,
                Some((200, Length(5), true)),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                false,
                Some((200, Chunked, true)),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
                false,
                Some((200, Chunked, false)),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                false,
                Some((200, UntilClose, false)),
            ),
            (
                "HTTP/1.1 200 OK\r\n\r\n",
                false,
                Some((200, UntilClose, false)),
            ),
            (
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n",
                false,
                Some((200, Length(1), false)),
            ),
            (
                "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n",
                false,
                Some((200, Length(1), false)),
            ),
            (
                "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n",
                false,
                Some((200, Length(1), true)),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
                true,
                Some((200, None, true)),
            ),
            (
                "HTTP/1.1 304 Not Modified\r\n\r\n",
                false,
                Some((304, None, true)),
            ),
            (
                "HTTP/1.1 204 No Content\r\n\r\n",
                false,
                Some((204, None, true)),
            ),
            (
                "HTTP/1.1 100 Continue\r\n\r\n",
                false,
                Some((100, None, true)),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
                false,
                Some((200, Length(5), true)),
            ),
            ("HTTP/1.1 200 OK\r\nContent-", false, Option::None),
        ];
        for &(head, head_req, want) in cases {
            let got = parse(head.as_bytes(), head_req).unwrap();
            assert_eq!(
                got.map(|h| (h.status, h.body, h.reusable)),
                want,
                "{head:?}"
            );
        }
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "HTTP/2.0 200 OK\r\n\r\n",
            "garbage\r\n\r\n",
        ] {
            assert!(parse(bad.as_bytes(), false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn client_head_filters_and_rewrites() {
        let head = b"HTTP/1.1 302 Found here\r\nServer: backend/1\r\nConnection: X-Drop\r\n\
X-Drop: 1\r\nKeep-Alive: timeout=3\r\nLocation: http://b:8080/app/next\r\nContent-Length: 0\r\n\
Set-Cookie: a=b\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\r\n\r\n";
        let date = *b"Sat, 21 Nov 2026 10:00:00 GMT";
        let reverse = [ReversePair {
            backend: "http://b:8080/app/".into(),
            local: "/front/".into(),
        }];
        let c = ClientHead {
            date: &date,
            server_line: b"Server: mpmd\r\n",
            ka: KeepAlive::Persist { header: None },
            delimit: Delimit::Length,
            reverse: &reverse,
            host: "me:81",
        };
        let mut out = Vec::new();
        client_head(&mut out, head, &c);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "HTTP/1.1 302 Found here\r\nDate: Sat, 21 Nov 2026 10:00:00 GMT\r\nServer: backend/1\r\n\
Location: http://me:81/front/next\r\nSet-Cookie: a=b\r\nContent-Length: 0\r\n\r\n"
        );
        let head = b"HTTP/1.1 200 \r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n";
        let c = ClientHead {
            ka: KeepAlive::Close,
            delimit: Delimit::Chunked,
            ..c
        };
        client_head(&mut out, head, &c);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nServer: mpmd\r\n\
Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
    }
}
