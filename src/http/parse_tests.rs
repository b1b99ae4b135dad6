//! One row per input, httparse's `req!{}` style.

use super::*;
use crate::http::request::TargetForm;

fn apache() -> Limits {
    Limits {
        request_line: 8190,
        fields: 100,
        field_size: 8190,
        body: 1 << 30,
    }
}

fn small() -> Limits {
    Limits {
        request_line: 20,
        fields: 3,
        field_size: 20,
        body: 100,
    }
}

/// What a row expects of a successful parse (unset fields are not checked).
#[derive(Default, Clone)]
struct Check {
    method: Option<Method>,
    form: Option<TargetForm>,
    path: Option<&'static str>,
    query: Option<Option<&'static str>>,
    version: Option<Version>,
    head_len: Option<usize>,
    body: Option<BodyFraming>,
    host: Option<Option<&'static str>>,
    close: Option<bool>,
    keep_alive: Option<bool>,
    expect: Option<bool>,
    must_close: Option<bool>,
    headers: Option<usize>,
}

enum Want {
    Partial,
    Err(u16),
    Ok(Check),
}

fn ok() -> Check {
    Check::default()
}

fn run(limits: &Limits, input: &[u8]) -> Result<Option<(Check, usize)>, u16> {
    let mut slots = vec![MaybeUninit::uninit(); limits.fields.max(STACK_HEADERS) + 1];
    match parse(input, limits, &mut slots) {
        Err(e) => Err(e.status),
        Ok(Parsed::Partial) => Ok(None),
        Ok(Parsed::Complete(r, n)) => Ok(Some((
            Check {
                method: Some(r.method),
                form: Some(r.target_form),
                path: Some(r.path.to_string().leak()),
                query: Some(r.query.map(|q| &*q.to_string().leak())),
                version: Some(r.version),
                head_len: Some(n),
                body: Some(r.body),
                host: Some(r.host.map(|h| &*h.to_string().leak())),
                close: Some(r.connection.close),
                keep_alive: Some(r.connection.keep_alive),
                expect: Some(r.expect_continue),
                must_close: Some(r.must_close),
                headers: Some(r.headers.len()),
            },
            n,
        ))),
    }
}

macro_rules! check_field {
    ($name:expr, $got:expr, $want:expr, $field:ident) => {
        if let Some(w) = $want.$field {
            assert_eq!($got.$field.unwrap(), w, "{}: {}", $name, stringify!($field));
        }
    };
}

fn headers(n: usize) -> String {
    (0..n).map(|i| format!("X-H{i}: v\r\n")).collect()
}

#[test]
fn request_table() {
    let long_line = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(8190));
    let max_line = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(8190 - 14));
    let long_field = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(8190)
    );
    let open_long_field = format!("GET / HTTP/1.1\r\nX: {}", "v".repeat(8200));
    let open_long_line = format!("GET /{}", "a".repeat(8200));
    let h100 = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", headers(99));
    let h101 = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", headers(100));
    let blank_lines = format!("{}GET / HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n".repeat(101));
    let rows: Vec<(&str, Limits, &[u8], Want)> = vec![
        ("simple get", apache(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check {
            method: Some(Method::Get), path: Some("/"), query: Some(None), version: Some(Version::Http11),
            head_len: Some(27), body: Some(BodyFraming::None), host: Some(Some("a")), headers: Some(1), ..ok() })),
        ("http/1.0 without host", apache(), b"GET /x HTTP/1.0\r\n\r\n", Want::Ok(Check {
            version: Some(Version::Http10), host: Some(None), path: Some("/x"), ..ok() })),
        ("http/1.1 without host", apache(), b"GET / HTTP/1.1\r\n\r\n", Want::Err(400)),
        ("empty host is a host", apache(), b"GET / HTTP/1.1\r\nHost:\r\n\r\n", Want::Ok(Check { host: Some(Some("")), ..ok() })),
        ("partial headers", apache(), b"GET / HTTP/1.1\r\nHost: a\r\n", Want::Partial),
        ("partial request line", apache(), b"GET / HTT", Want::Partial),
        ("nothing yet", apache(), b"", Want::Partial),
        ("bare lf", apache(), b"GET / HTTP/1.1\nHost: a\n\n", Want::Ok(Check { head_len: Some(24), ..ok() })),
        ("leading empty lines", apache(), b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { head_len: Some(31), ..ok() })),
        ("too many leading empty lines", apache(), blank_lines.as_bytes(), Want::Err(400)),
        ("pipelined: first head only", apache(), b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
            Want::Ok(Check { path: Some("/1"), head_len: Some(28), ..ok() })),
        ("pipelined after a body", apache(), b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n",
            Want::Ok(Check { method: Some(Method::Post), head_len: Some(48), body: Some(BodyFraming::Length(3)), ..ok() })),
        ("query", apache(), b"GET /a?b=c&d HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { path: Some("/a"), query: Some(Some("b=c&d")), ..ok() })),
        ("empty query", apache(), b"GET /a? HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { path: Some("/a"), query: Some(Some("")), ..ok() })),
        ("fragment dropped", apache(), b"GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { path: Some("/a"), query: Some(None), ..ok() })),
        ("absolute form", apache(), b"GET http://Example.com:8080/x?y HTTP/1.1\r\nHost: other\r\n\r\n", Want::Ok(Check {
            form: Some(TargetForm::Absolute), path: Some("/x"), query: Some(Some("y")), host: Some(Some("Example.com:8080")), ..ok() })),
        ("absolute form without path", apache(), b"GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n", Want::Ok(Check { path: Some("/"), host: Some(Some("h")), ..ok() })),
        ("absolute form needs host header on 1.1", apache(), b"GET http://h/ HTTP/1.1\r\n\r\n", Want::Err(400)),
        ("other scheme", apache(), b"GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", Want::Err(400)),
        ("relative target", apache(), b"GET foo HTTP/1.1\r\nHost: h\r\n\r\n", Want::Err(400)),
        ("options *", apache(), b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", Want::Ok(Check {
            method: Some(Method::Options), form: Some(TargetForm::Asterisk), ..ok() })),
        ("get *", apache(), b"GET * HTTP/1.1\r\nHost: h\r\n\r\n", Want::Err(400)),
        ("http/0.9", apache(), b"GET /\r\n\r\n", Want::Err(400)),
        ("http/2.0", apache(), b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", Want::Err(505)),
        ("http/1.2", apache(), b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", Want::Err(505)),
        ("http/1", apache(), b"GET / HTTP/1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("lower-case protocol", apache(), b"GET / http/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("unknown method parses (501 later)", apache(), b"FOO / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { method: Some(Method::Unknown), ..ok() })),
        ("lower-case get is unknown", apache(), b"get / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { method: Some(Method::Unknown), ..ok() })),
        ("webdav method is known", apache(), b"PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { method: Some(Method::OtherKnown), ..ok() })),
        ("request line at the limit", apache(), max_line.as_bytes(), Want::Ok(ok())),
        ("request line over the limit", apache(), long_line.as_bytes(), Want::Err(414)),
        ("open request line over the limit", apache(), open_long_line.as_bytes(), Want::Err(414)),
        ("small limit line", small(), b"GET /0123456789abcdef HTTP/1.1\r\n", Want::Err(414)),
        ("header field over the limit", apache(), long_field.as_bytes(), Want::Err(400)),
        ("open header field over the limit", apache(), open_long_field.as_bytes(), Want::Err(400)),
        ("100 header lines", apache(), h100.as_bytes(), Want::Ok(Check { headers: Some(100), ..ok() })),
        ("101 header lines", apache(), h101.as_bytes(), Want::Err(400)),
        ("small limit fields", small(), b"GET / HTTP/1.0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", Want::Err(400)),
        ("double space", apache(), b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("header without colon", apache(), b"GET / HTTP/1.1\r\nHost a\r\n\r\n", Want::Err(400)),
        ("space before colon", apache(), b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", Want::Err(400)),
        ("obs-fold", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", Want::Err(400)),
        ("control char in value", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", Want::Err(400)),
        ("non-utf8 target", apache(), b"GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("content-length", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", Want::Ok(Check { body: Some(BodyFraming::Length(5)), ..ok() })),
        ("content-length 0", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", Want::Ok(Check { body: Some(BodyFraming::None), ..ok() })),
        ("content-length letters", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\n", Want::Err(400)),
        ("content-length negative", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", Want::Err(400)),
        ("content-length twice", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", Want::Err(400)),
        ("content-length overflow", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", Want::Err(400)),
        ("chunked", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", Want::Ok(Check { body: Some(BodyFraming::Chunked), must_close: Some(false), ..ok() })),
        ("gzip, chunked", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", Want::Ok(Check { body: Some(BodyFraming::Chunked), ..ok() })),
        ("te not ending in chunked", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", Want::Err(400)),
        ("te and cl", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            Want::Ok(Check { body: Some(BodyFraming::Chunked), must_close: Some(true), ..ok() })),
        ("connection close", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", Want::Ok(Check { close: Some(true), keep_alive: Some(false), ..ok() })),
        ("connection keep-alive", apache(), b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", Want::Ok(Check { close: Some(false), keep_alive: Some(true), ..ok() })),
        ("connection list", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", Want::Ok(Check { close: Some(true), ..ok() })),
        ("expect 100-continue", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", Want::Ok(Check { expect: Some(true), ..ok() })),
        ("other expectation", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", Want::Err(417)),
        ("two hosts", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Want::Err(400)),
        ("host with slash", apache(), b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", Want::Err(400)),
        ("host with bad port", apache(), b"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", Want::Err(400)),
        ("ipv6 host", apache(), b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", Want::Ok(Check { host: Some(Some("[::1]:8080")), ..ok() })),
        // Found by the fuzzer: a multi-byte character where a scheme would end panicked.
        ("non-ASCII where the scheme ends", apache(), "GET htt$:/=\u{452}:1105/x?y HTTP/1.1\r\nHost: a\r\n\r\n".as_bytes(), Want::Err(400)),
        ("non-ASCII inside the scheme", apache(), "GET http:/\u{452}/x HTTP/1.1\r\nHost: a\r\n\r\n".as_bytes(), Want::Err(400)),
        // Found by the fuzzer: a multi-byte character right after `]` panicked.
        ("ipv6 host, junk after ]", apache(), "GET / HTTP/1.1\r\nHost: [::1]\u{1bd}0\r\n\r\n".as_bytes(), Want::Err(400)),
        ("ipv6 host, letter after ]", apache(), b"GET / HTTP/1.1\r\nHost: [::1]x80\r\n\r\n", Want::Err(400)),
    ];
    assert!(rows.len() >= 30);
    for (name, limits, input, want) in rows {
        let got = run(&limits, input);
        match (want, got) {
            (Want::Partial, Ok(None)) => {}
            (Want::Err(s), Err(g)) => assert_eq!(g, s, "{name}"),
            (Want::Ok(w), Ok(Some((g, _)))) => {
                check_field!(name, g, w, method);
                check_field!(name, g, w, form);
                check_field!(name, g, w, path);
                check_field!(name, g, w, query);
                check_field!(name, g, w, version);
                check_field!(name, g, w, head_len);
                check_field!(name, g, w, body);
                check_field!(name, g, w, host);
                check_field!(name, g, w, close);
                check_field!(name, g, w, keep_alive);
                check_field!(name, g, w, expect);
                check_field!(name, g, w, must_close);
                check_field!(name, g, w, headers);
            }
            (_, got) => panic!("{name}: unexpected {:?}", got.map(|o| o.map(|(_, n)| n))),
        }
    }
}

#[test]
fn scanner_is_incremental_and_equivalent_byte_by_byte() {
    let input = b"GET /a HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\nrest";
    let mut sc = HeadScanner::new();
    let limits = apache();
    let mut done = None;
    for end in 1..=input.len() {
        if let Scan::Complete { head_len } = sc.scan(&input[..end], &limits).unwrap() {
            done = Some((end, head_len));
            break;
        }
    }
    assert_eq!(done, Some((34, 34)));
    assert_eq!(sc.header_lines(), 2);
    assert_eq!(sc.request_line(input), b"GET /a HTTP/1.1");
}

#[test]
fn scanner_reports_partial_first_line_for_logging() {
    let mut sc = HeadScanner::new();
    let _ = sc.scan(b"\r\nGET /partial", &apache()).unwrap();
    assert_eq!(sc.request_line(b"\r\nGET /partial"), b"GET /partial");
}

#[test]
fn header_slots_spill_to_heap() {
    assert!(matches!(HeaderSlots::for_count(100), HeaderSlots::Stack(_)));
    let mut big = HeaderSlots::for_count(150);
    assert_eq!(big.as_mut_slice().len(), 150);
}

#[test]
fn max_head_len_bounds() {
    assert!(apache().max_head_len() >= 8190 + 100 * 8192);
    let unlimited = Limits {
        fields: 0,
        ..apache()
    };
    assert!(unlimited.max_head_len() > 1 << 20);
}
