//! The header fields a request's meaning depends on (Host, Connection, Content-Length,
//! Transfer-Encoding, Expect), picked out and validated in one pass over httparse's array, with
//! Apache's rules for each. Pure; `parse.rs` calls it once the head is complete.

use crate::http::error::HttpError;
use crate::http::request::{ConnectionTokens, Expectation};

/// The header fields the server acts on, validated.
#[derive(Default)]
pub struct Fields<'b> {
    /// The Host header as sent (may be empty), checked against Apache's `fix_hostname`.
    pub host_header: Option<&'b str>,
    pub connection: ConnectionTokens,
    pub content_length: Option<u64>,
    /// Transfer-Encoding ends in `chunked` (anything else is refused).
    pub chunked: bool,
    pub expect: Expectation,
}

/// Picks out and checks the fields in `headers` (400 for a duplicate Host or Content-Length, a
/// bad Host, a bad Content-Length, a Transfer-Encoding not ending in chunked).
pub fn scan_fields<'b>(headers: &[httparse::Header<'b>]) -> Result<Fields<'b>, HttpError> {
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
        } else if name.eq_ignore_ascii_case(b"expect")
            && !h.value.is_empty()
            && f.expect == Expectation::None
        {
            // Apache: any Expect but 100-continue is refused (417, once the head is read);
            // 100-continue is remembered for every version (it blocks keep-alive until
            // answered) but only HTTP/1.1 gets a 100.
            f.expect = if h.value.eq_ignore_ascii_case(b"100-continue") {
                Expectation::Continue
            } else {
                Expectation::Unsupported
            };
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
/// letters, digits, `-`, `.`, `_` without `..`; either optionally followed by `:port`.
pub fn valid_host(host: &str) -> bool {
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
    let name_ok = !name.contains("..")
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
    // After `]` anything but `:digits` is wrong (and may not even start on a char boundary:
    // found by fuzzing).
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|c| c.is_ascii_digit()) && p.parse::<u16>().is_ok());
    name_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_table() {
        let cases: &[(&str, bool)] = &[
            ("", true),
            ("example.com", true),
            ("Example.COM:8080", true),
            ("diff.test.", true),
            (".a", true),
            ("a_b", true),
            ("[::1]", true),
            ("[::1]:80", true),
            ("1.2.3.4:65535", true),
            ("a..b", false),
            ("a:", false),
            ("a:99999", false),
            ("a:8x", false),
            ("a b", false),
            ("a/b", false),
            ("[::1", false),
            ("[]", false),
        ];
        for &(host, want) in cases {
            assert_eq!(valid_host(host), want, "{host}");
        }
    }
}
