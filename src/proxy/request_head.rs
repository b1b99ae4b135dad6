//! The request head sent to a backend (Apache's `ap_proxy_create_hdrbrgd`). Pure.
//!
//! HTTP/1.1 request line with the backend target; the client's headers minus the hop-by-hop
//! ones (Connection and every header it names, Keep-Alive, TE, Trailer, Upgrade, Proxy-*),
//! minus the framing (Content-Length / Transfer-Encoding, regenerated for the body as it is
//! sent) and Host (set per ProxyPreserveHost); X-Forwarded-For / -Host / -Server appended to
//! whatever the client sent (comma-merged). `Expect: 100-continue` is kept when it is
//! forwarded (Apache's Proxy100Continue On).

use std::net::IpAddr;

/// How the body goes to the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyOut {
    /// No body, no length header.
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// What the head needs beyond the client's headers.
#[derive(Debug, Clone, Copy)]
pub struct HeadParams<'a> {
    pub method: &'a str,
    /// Path and query for the request line.
    pub target: &'a str,
    /// The Host value to send.
    pub host: &'a str,
    pub client_ip: IpAddr,
    /// The client's Host header, for X-Forwarded-Host.
    pub client_host: Option<&'a [u8]>,
    /// Our ServerName, for X-Forwarded-Server.
    pub server_name: &'a str,
    pub body: BodyOut,
    /// Forward `Expect: 100-continue`.
    pub expect_continue: bool,
    /// Ask the backend to close after the response (disablereuse).
    pub close: bool,
}

/// The Host header for a backend: `host[:port]`, port omitted when 80, IPv6 bracketed.
pub fn backend_host(host: &str, port: u16) -> String {
    let bracketed = host.contains(':');
    match (bracketed, port) {
        (true, 80) => format!("[{host}]"),
        (true, p) => format!("[{host}]:{p}"),
        (false, 80) => host.to_string(),
        (false, p) => format!("{host}:{p}"),
    }
}

/// The comma-separated tokens of every `Connection` header, lower-cased.
fn connection_tokens(headers: &[httparse::Header<'_>]) -> Vec<String> {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("connection"))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .map(|t| String::from_utf8_lossy(t.trim_ascii()).to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Whether a header is hop-by-hop in either direction (beyond those `Connection` names).
pub fn is_hop_by_hop(name: &str) -> bool {
    const HOP: [&str; 6] = [
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "transfer-encoding",
    ];
    HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
        || (name.len() >= 6 && name[..6].eq_ignore_ascii_case("proxy-"))
}

/// The names a header set's `Connection` headers list, for filtering with
/// [`is_named_in_connection`].
pub fn named_in_connection(headers: &[httparse::Header<'_>]) -> Vec<String> {
    connection_tokens(headers)
}

pub fn is_named_in_connection(named: &[String], name: &str) -> bool {
    named.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Appends `name: v1, v2, ..., extra` with the values of every header `name` (Apache's
/// `apr_table_mergen`), `extra` left out when `None`.
fn push_merged(
    out: &mut Vec<u8>,
    headers: &[httparse::Header<'_>],
    name: &str,
    extra: Option<&[u8]>,
) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    let mut first = true;
    for h in headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)) {
        if !first {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(h.value);
        first = false;
    }
    if let Some(extra) = extra {
        if !first {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(extra);
    }
    out.extend_from_slice(b"\r\n");
}

const FORWARDED: [&str; 3] = ["X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Server"];

/// Writes the backend request head into `out` (cleared), in Apache 2.4's order: request line,
/// Host, the client's headers in order (an X-Forwarded-* header the client sent carries the
/// merged value where it stood), the X-Forwarded-* headers it did not send, the body's
/// length or chunking, `Connection: Keep-Alive` (or `close`).
pub fn build(out: &mut Vec<u8>, headers: &[httparse::Header<'_>], p: &HeadParams<'_>) {
    out.clear();
    out.extend_from_slice(p.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(p.target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(p.host.as_bytes());
    out.extend_from_slice(b"\r\n");
    let named = connection_tokens(headers);
    let ip = p.client_ip.to_string();
    let ours: [Option<&[u8]>; 3] = [
        Some(ip.as_bytes()),
        p.client_host,
        Some(p.server_name.as_bytes()),
    ];
    let mut done = [false; 3];
    for h in headers {
        if is_hop_by_hop(h.name)
            || ["host", "content-length"]
                .iter()
                .any(|r| h.name.eq_ignore_ascii_case(r))
            || is_named_in_connection(&named, h.name)
            || (h.name.eq_ignore_ascii_case("expect") && !p.expect_continue)
        {
            continue;
        }
        if let Some(i) = FORWARDED
            .iter()
            .position(|f| h.name.eq_ignore_ascii_case(f))
        {
            if !done[i] {
                done[i] = true;
                push_merged(out, headers, FORWARDED[i], ours[i]);
            }
            continue;
        }
        out.extend_from_slice(h.name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(h.value);
        out.extend_from_slice(b"\r\n");
    }
    for i in 0..3 {
        if let (false, Some(v)) = (done[i], ours[i]) {
            push_merged(out, &[], FORWARDED[i], Some(v));
        }
    }
    match p.body {
        BodyOut::None => {}
        BodyOut::Length(n) => {
            out.extend_from_slice(b"Content-Length: ");
            out.extend_from_slice(n.to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        BodyOut::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
    }
    out.extend_from_slice(if p.close {
        b"Connection: close\r\n"
    } else {
        b"Connection: Keep-Alive\r\n"
    });
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr<'a>(name: &'a str, value: &'a str) -> httparse::Header<'a> {
        httparse::Header {
            name,
            value: value.as_bytes(),
        }
    }

    fn params<'a>() -> HeadParams<'a> {
        HeadParams {
            method: "GET",
            target: "/b/x?q=1",
            host: "backend:8080",
            client_ip: "10.0.0.9".parse().unwrap(),
            client_host: Some(b"front.example"),
            server_name: "front",
            body: BodyOut::None,
            expect_continue: false,
            close: false,
        }
    }

    #[test]
    fn hop_by_hop_removed_and_forwarded_headers_merged() {
        let headers = [
            hdr("Host", "front.example"),
            hdr("Connection", "keep-alive, X-Secret"),
            hdr("X-Secret", "s"),
            hdr("Keep-Alive", "timeout=5"),
            hdr("TE", "trailers"),
            hdr("Trailer", "x"),
            hdr("Upgrade", "h2c"),
            hdr("Proxy-Connection", "keep-alive"),
            hdr("Proxy-Authorization", "Basic x"),
            hdr("Accept", "*/*"),
            hdr("X-Forwarded-For", "1.2.3.4"),
            hdr("Cookie", "a=b"),
            hdr("Content-Length", "5"),
            hdr("Expect", "100-continue"),
        ];
        let mut out = Vec::new();
        build(&mut out, &headers, &params());
        let text = String::from_utf8(out).unwrap();
        // As Apache 2.4.71 sends it: X-Forwarded-For merged where the client had it.
        assert_eq!(
            text,
            "GET /b/x?q=1 HTTP/1.1\r\nHost: backend:8080\r\nAccept: */*\r\n\
             X-Forwarded-For: 1.2.3.4, 10.0.0.9\r\nCookie: a=b\r\n\
             X-Forwarded-Host: front.example\r\nX-Forwarded-Server: front\r\n\
             Connection: Keep-Alive\r\n\r\n"
        );
    }

    #[test]
    fn body_framing_expect_and_close() {
        let cases: &[(BodyOut, bool, bool, &str)] = &[
            (BodyOut::Length(12), false, false, "Content-Length: 12\r\n"),
            (
                BodyOut::Chunked,
                false,
                false,
                "Transfer-Encoding: chunked\r\n",
            ),
            (BodyOut::Length(3), true, false, "Expect: 100-continue\r\n"),
            (BodyOut::None, false, false, "Connection: Keep-Alive\r\n"),
            (BodyOut::None, false, true, "Connection: close\r\n"),
        ];
        for &(body, expect_continue, close, want) in cases {
            let mut out = Vec::new();
            let p = HeadParams {
                body,
                expect_continue,
                close,
                client_host: None,
                ..params()
            };
            let headers = [
                hdr("Transfer-Encoding", "chunked"),
                hdr("Expect", "100-continue"),
            ];
            build(&mut out, &headers, &p);
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains(want), "{text}");
            assert!(!text.contains("X-Forwarded-Host"), "{text}");
            assert_eq!(text.contains("Expect"), expect_continue, "{text}");
            assert_eq!(
                text.matches("Transfer-Encoding").count(),
                usize::from(body == BodyOut::Chunked)
            );
        }
    }

    #[test]
    fn backend_host_table() {
        let cases: &[(&str, u16, &str)] = &[
            ("example.com", 80, "example.com"),
            ("127.0.0.1", 8080, "127.0.0.1:8080"),
            ("::1", 80, "[::1]"),
            ("::1", 8080, "[::1]:8080"),
        ];
        for &(h, p, want) in cases {
            assert_eq!(backend_host(h, p), want);
        }
    }
}
