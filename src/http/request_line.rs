//! The request line, parsed the way Apache 2.4 does with its default
//! `HttpProtocolOptions Strict LenientMethods Allow0.9` (`ap_parse_request_line`).
//!
//! Pure: a line (without its CRLF) in, the method / target / protocol positions out. Kept apart
//! from the header parser because the line decides early what the rest of the head is: a line
//! without a protocol is an HTTP/0.9 request, which has no headers at all and is answered at
//! once, and a malformed line is refused before any header is read (as Apache does). httparse
//! is not used here: it knows only `HTTP/1.0` and `HTTP/1.1`, while Apache serves any
//! `HTTP/x.y` with x >= 1.
//!
//! Rules (each a 400 when broken): no whitespace before the method; the method is a token; one
//! SP (not a tab, not two) between method, target and protocol; the target is visible ASCII or
//! obs-text; nothing after the protocol, not even a space; the protocol is `HTTP/d.d` in upper
//! case with a major version of 1 to 9; an HTTP/0.9 request (no protocol) must be a GET.

use std::ops::Range;

use crate::http::error::HttpError;
use crate::http::request::Version;

/// Where the parts of a request line are (byte ranges into the line) and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    pub method: Range<usize>,
    pub target: Range<usize>,
    /// The protocol token as sent (empty for HTTP/0.9).
    pub protocol: Range<usize>,
    pub version: Version,
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Apache's `ap_scan_vchar_obstext`: visible ASCII and bytes >= 0x80.
fn is_vchar_obstext(b: u8) -> bool {
    matches!(b, 0x21..=0x7e | 0x80..=0xff)
}

/// Apache's `apr_isspace`: SP, HT, LF, VT, FF, CR.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The end of the run of bytes from `from` satisfying `pred`.
fn scan(line: &[u8], from: usize, pred: fn(u8) -> bool) -> usize {
    line[from..]
        .iter()
        .position(|&b| !pred(b))
        .map_or(line.len(), |n| from + n)
}

/// After a part ending at `at`: `Ok(Some(next part's start))` when exactly one SP follows and
/// more text after it, `Ok(None)` at the end of the line (or after one trailing SP), an error
/// for any other whitespace or byte.
fn single_space(line: &[u8], at: usize) -> Result<Option<usize>, HttpError> {
    match line.get(at) {
        None => Ok(None),
        Some(b' ') => match line.get(at + 1) {
            None => Ok(None),
            Some(&b) if is_space(b) => Err(HttpError::bad_request(
                "excess whitespace in the request line",
            )),
            Some(_) => Ok(Some(at + 1)),
        },
        Some(&b) if is_space(b) => Err(HttpError::bad_request(
            "whitespace other than one space in the request line",
        )),
        Some(_) => Err(HttpError::bad_request("invalid byte in the request line")),
    }
}

/// `HTTP/d.d` with a major version of 1 to 9: 1.0 is 1.0, anything later is served as 1.1.
fn version(protocol: &[u8]) -> Option<Version> {
    match *protocol {
        [
            b'H',
            b'T',
            b'T',
            b'P',
            b'/',
            major @ b'1'..=b'9',
            b'.',
            minor,
        ] if minor.is_ascii_digit() => Some(if major == b'1' && minor == b'0' {
            Version::Http10
        } else {
            Version::Http11
        }),
        _ => None,
    }
}

/// Parses one request line (without CRLF).
pub fn parse_request_line(line: &[u8]) -> Result<RequestLine, HttpError> {
    let method_end = scan(line, 0, is_tchar);
    if method_end == 0 {
        return Err(HttpError::bad_request("request line without a method"));
    }
    let Some(target_start) = single_space(line, method_end)? else {
        return Err(HttpError::bad_request("request line without a target"));
    };
    let target_end = scan(line, target_start, is_vchar_obstext);
    let (protocol, version) = match single_space(line, target_end)? {
        None => (target_end..target_end, Version::Http09),
        Some(start) => {
            let end = scan(line, start, is_vchar_obstext);
            if end != line.len() {
                return Err(HttpError::bad_request(
                    "text after the protocol in the request line",
                ));
            }
            let v = version(&line[start..end]).ok_or(HttpError::bad_request(
                "unrecognized protocol in the request line",
            ))?;
            (start..end, v)
        }
    };
    if version == Version::Http09 && &line[..method_end] != b"GET" {
        return Err(HttpError::bad_request("HTTP/0.9 request other than GET"));
    }
    Ok(RequestLine {
        method: 0..method_end,
        target: target_start..target_end,
        protocol,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Ok((method, target, protocol, version))` or `Err(status)`.
    type Want = Result<(&'static str, &'static str, &'static str, Version), u16>;

    #[test]
    fn request_line_table() {
        use Version::*;
        let rows: &[(&[u8], Want)] = &[
            (b"GET / HTTP/1.1", Ok(("GET", "/", "HTTP/1.1", Http11))),
            (
                b"GET /a?b HTTP/1.0",
                Ok(("GET", "/a?b", "HTTP/1.0", Http10)),
            ),
            (b"GET / HTTP/2.0", Ok(("GET", "/", "HTTP/2.0", Http11))),
            (b"GET / HTTP/1.2", Ok(("GET", "/", "HTTP/1.2", Http11))),
            (b"GET / HTTP/9.9", Ok(("GET", "/", "HTTP/9.9", Http11))),
            (b"FOO * HTTP/1.1", Ok(("FOO", "*", "HTTP/1.1", Http11))),
            (b"get / HTTP/1.1", Ok(("get", "/", "HTTP/1.1", Http11))),
            (
                b"M-SEARCH * HTTP/1.1",
                Ok(("M-SEARCH", "*", "HTTP/1.1", Http11)),
            ),
            (
                b"GET /\xc3\xa9 HTTP/1.1",
                Ok(("GET", "/\u{e9}", "HTTP/1.1", Http11)),
            ),
            // HTTP/0.9: no protocol, GET only; one trailing space is still 0.9.
            (b"GET /hello.txt", Ok(("GET", "/hello.txt", "", Http09))),
            (b"GET /hello.txt ", Ok(("GET", "/hello.txt", "", Http09))),
            (b"HEAD /hello.txt", Err(400)),
            (b"POST /", Err(400)),
            // Versions Apache does not take.
            (b"GET / HTTP/0.9", Err(400)),
            (b"GET / HTTP/1.10", Err(400)),
            (b"GET / HTTP/1", Err(400)),
            (b"GET / HTTP/2", Err(400)),
            (b"GET / http/1.1", Err(400)),
            (b"GET / HTTP/1.x", Err(400)),
            (b"GET / FOO", Err(400)),
            // Whitespace.
            (b"GET  / HTTP/1.1", Err(400)),
            (b"GET /  HTTP/1.1", Err(400)),
            (b"GET /  ", Err(400)),
            (b"GET\t/ HTTP/1.1", Err(400)),
            (b"GET /\tHTTP/1.1", Err(400)),
            (b" GET / HTTP/1.1", Err(400)),
            (b"GET / HTTP/1.1 ", Err(400)),
            (b"GET / HTTP/1.1 extra", Err(400)),
            // Missing parts, bad bytes.
            (b"GET", Err(400)),
            (b"GET ", Err(400)),
            (b"HELLO", Err(400)),
            (b"", Err(400)),
            (b"G(T / HTTP/1.1", Err(400)),
            (b"GET /a\x7fb HTTP/1.1", Err(400)),
            (b"GET /a\x01b HTTP/1.1", Err(400)),
            (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", Err(400)),
        ];
        for (line, want) in rows {
            let name = String::from_utf8_lossy(line);
            let got = parse_request_line(line).map(|r| {
                let s = |r: Range<usize>| String::from_utf8_lossy(&line[r]).into_owned();
                (s(r.method), s(r.target), s(r.protocol), r.version)
            });
            match (want, got) {
                (Ok((m, t, p, v)), Ok(g)) => {
                    assert_eq!(
                        g,
                        (m.to_string(), t.to_string(), p.to_string(), *v),
                        "{name}"
                    )
                }
                (Err(s), Err(e)) => assert_eq!(e.status, *s, "{name}"),
                (w, g) => panic!("{name}: want {w:?}, got {g:?}"),
            }
        }
    }
}
