//! One row per input, httparse's `req!{}` style.

use super::*;
use crate::http::request::{Expectation, TargetForm};

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
    expect: Option<Expectation>,
    must_close: Option<bool>,
    headers: Option<usize>,
    /// The value of header `X` as parsed (after unfolding).
    x: Option<Option<&'static str>>,
    protocol: Option<&'static str>,
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
    let mut slots = vec![httparse::EMPTY_HEADER; limits.fields.max(STACK_HEADERS) + 1];
    let mut unfolded = Vec::new();
    match parse(input, limits, &mut slots, &mut unfolded) {
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
                expect: Some(r.expect),
                must_close: Some(r.must_close),
                headers: Some(r.headers.len()),
                x: Some(
                    r.header("x")
                        .map(|v| &*String::from_utf8_lossy(v).into_owned().leak()),
                ),
                protocol: Some(r.protocol.to_string().leak()),
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
    // "GET /" + n bytes + " HTTP/1.1" is a request line of n + 14 bytes.
    let line_of = |len: usize| format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(len - 14));
    let long_line = line_of(8190 + 14);
    let max_line = line_of(8190);
    let max_line_1 = line_of(8191);
    let max_line_2 = line_of(8192);
    // "X: " + n bytes is a header line of n + 3 bytes.
    let field_of = |len: usize| {
        format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "v".repeat(len - 3)
        )
    };
    let field_max = field_of(8190);
    let field_max_1 = field_of(8191);
    let field_max_2 = field_of(8192);
    let field_trailing_ws = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}  \r\n\r\n",
        "v".repeat(8190 - 3)
    );
    // Folded: "X: " + n bytes, then " q": n + 3 + 2 bytes once joined; Apache wants the folded
    // field shorter than the limit minus one.
    let folded_of = |len: usize| {
        format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n q\r\n\r\n",
            "v".repeat(len - 3)
        )
    };
    let folded_max = folded_of(8190 - 4);
    let folded_over = folded_of(8190 - 3);
    let long_field = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
        "v".repeat(8190)
    );
    let open_long_field = format!("GET / HTTP/1.1\r\nX: {}", "v".repeat(8200));
    let open_long_line = format!("GET /{}", "a".repeat(8200));
    let h100 = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", headers(99));
    let h101 = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", headers(100));
    let blank_lines = format!("{}GET / HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n".repeat(11));
    let ten_blank_lines = format!("{}GET / HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n".repeat(10));
    let rows: Vec<(&str, Limits, &[u8], Want)> = vec![
        ("simple get", apache(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check {
            method: Some(Method::Get), path: Some("/"), query: Some(None), version: Some(Version::Http11),
            head_len: Some(27), body: Some(BodyFraming::None), host: Some(Some("a")), headers: Some(1), ..ok() })),
        ("http/1.0 without host", apache(), b"GET /x HTTP/1.0\r\n\r\n", Want::Ok(Check {
            version: Some(Version::Http10), host: Some(None), path: Some("/x"), ..ok() })),
        ("http/1.1 without host", apache(), b"GET / HTTP/1.1\r\n\r\n", Want::Err(400)),
        ("empty host on 1.1", apache(), b"GET / HTTP/1.1\r\nHost:\r\n\r\n", Want::Err(400)),
        ("empty host on 1.0 is no host", apache(), b"GET / HTTP/1.0\r\nHost:\r\n\r\n", Want::Ok(Check { host: Some(None), ..ok() })),
        ("empty host, absolute target", apache(), b"GET http://h/ HTTP/1.1\r\nHost:\r\n\r\n", Want::Ok(Check { host: Some(Some("h")), ..ok() })),
        ("partial headers", apache(), b"GET / HTTP/1.1\r\nHost: a\r\n", Want::Partial),
        ("partial request line", apache(), b"GET / HTT", Want::Partial),
        ("nothing yet", apache(), b"", Want::Partial),
        ("bare lf", apache(), b"GET / HTTP/1.1\nHost: a\n\n", Want::Err(400)),
        ("bare lf in a header line", apache(), b"GET / HTTP/1.1\r\nHost: a\n\r\n", Want::Err(400)),
        ("bare lf ending the head", apache(), b"GET / HTTP/1.1\r\nHost: a\r\n\n", Want::Err(400)),
        ("bare lf before the request", apache(), b"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("bare lf line is refused before the head ends", apache(), b"GET / HTTP/1.1\n", Want::Err(400)),
        ("leading empty lines", apache(), b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { head_len: Some(31), ..ok() })),
        ("10 leading empty lines", apache(), ten_blank_lines.as_bytes(), Want::Ok(Check { head_len: Some(47), ..ok() })),
        ("11 leading empty lines", apache(), blank_lines.as_bytes(), Want::Err(400)),
        ("pipelined: first head only", apache(), b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
            Want::Ok(Check { path: Some("/1"), head_len: Some(28), ..ok() })),
        ("pipelined after a body", apache(), b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n",
            Want::Ok(Check { method: Some(Method::Post), head_len: Some(48), body: Some(BodyFraming::Length(3)), ..ok() })),
        ("query", apache(), b"GET /a?b=c&d HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { path: Some("/a"), query: Some(Some("b=c&d")), ..ok() })),
        ("empty query", apache(), b"GET /a? HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { path: Some("/a"), query: Some(Some("")), ..ok() })),
        ("fragment", apache(), b"GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("user info", apache(), b"GET http://u:p@h/ HTTP/1.1\r\nHost: h\r\n\r\n", Want::Err(400)),
        ("absolute form", apache(), b"GET http://Example.com:8080/x?y HTTP/1.1\r\nHost: other\r\n\r\n", Want::Ok(Check {
            form: Some(TargetForm::Absolute), path: Some("/x"), query: Some(Some("y")), host: Some(Some("Example.com:8080")), ..ok() })),
        ("absolute form without path", apache(), b"GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n", Want::Ok(Check { path: Some("/"), host: Some(Some("h")), ..ok() })),
        ("absolute form needs host header on 1.1", apache(), b"GET http://h/ HTTP/1.1\r\n\r\n", Want::Err(400)),
        ("http: without an authority", apache(), b"GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check {
            form: Some(TargetForm::Absolute), path: Some("/x"), host: Some(Some("a")), ..ok() })),
        ("empty authority", apache(), b"GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { path: Some("/x"), host: Some(Some("a")), ..ok() })),
        ("nothing after http://", apache(), b"GET http:// HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { path: Some("/"), host: Some(Some("a")), ..ok() })),
        ("http: with a relative path", apache(), b"GET http:x HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("bad port in the URL", apache(), b"GET http://h:abc/ HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("other scheme without slashes", apache(), b"GET foo:/x HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("options url without a path is *", apache(), b"OPTIONS http://h?x HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check {
            form: Some(TargetForm::Asterisk), path: Some("*"), host: Some(Some("h")), query: Some(None), ..ok() })),
        ("connect host:port", apache(), b"CONNECT h:443 HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check {
            method: Some(Method::Connect), form: Some(TargetForm::Authority), path: Some("/"), host: Some(Some("h:443")), ..ok() })),
        ("connect without a port", apache(), b"CONNECT h HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("connect a path", apache(), b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("connect *", apache(), b"CONNECT * HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("other scheme", apache(), b"GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", Want::Err(400)),
        ("relative target", apache(), b"GET foo HTTP/1.1\r\nHost: h\r\n\r\n", Want::Err(400)),
        ("options *", apache(), b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", Want::Ok(Check {
            method: Some(Method::Options), form: Some(TargetForm::Asterisk), ..ok() })),
        ("get *", apache(), b"GET * HTTP/1.1\r\nHost: h\r\n\r\n", Want::Err(400)),
        ("http/0.9 ends at its line", apache(), b"GET /x\r\nHost: a\r\n\r\n", Want::Ok(Check {
            version: Some(Version::Http09), protocol: Some("HTTP/0.9"), head_len: Some(8), headers: Some(0), host: Some(None), path: Some("/x"), ..ok() })),
        ("http/0.9 is answered without waiting", apache(), b"GET /x\r\n", Want::Ok(Check { version: Some(Version::Http09), ..ok() })),
        ("http/0.9 absolute target", apache(), b"GET http://h/x\r\n", Want::Ok(Check { host: Some(Some("h")), path: Some("/x"), ..ok() })),
        ("http/0.9 head", apache(), b"HEAD /x\r\n", Want::Err(400)),
        ("http/0.9 bare lf", apache(), b"GET /x\n", Want::Err(400)),
        ("no space is refused at once", apache(), b"HELLO\r\n", Want::Err(400)),
        ("http/2.0 served as 1.1", apache(), b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", Want::Ok(Check { version: Some(Version::Http11), protocol: Some("HTTP/2.0"), ..ok() })),
        ("http/1.2", apache(), b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", Want::Ok(Check { version: Some(Version::Http11), ..ok() })),
        ("http/2.0 needs a host", apache(), b"GET / HTTP/2.0\r\n\r\n", Want::Err(400)),
        ("http/0.9 spelled out", apache(), b"GET / HTTP/0.9\r\n\r\n", Want::Err(400)),
        ("http/1", apache(), b"GET / HTTP/1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("lower-case protocol", apache(), b"GET / http/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("unknown method parses (501 later)", apache(), b"FOO / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { method: Some(Method::Unknown), ..ok() })),
        ("lower-case get is unknown", apache(), b"get / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { method: Some(Method::Unknown), ..ok() })),
        ("webdav method is known", apache(), b"PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { method: Some(Method::OtherKnown), ..ok() })),
        ("request line at the limit", apache(), max_line.as_bytes(), Want::Ok(ok())),
        ("request line at the limit + 1", apache(), max_line_1.as_bytes(), Want::Ok(ok())),
        ("request line at the limit + 2", apache(), max_line_2.as_bytes(), Want::Err(414)),
        ("request line over the limit", apache(), long_line.as_bytes(), Want::Err(414)),
        ("open request line over the limit", apache(), open_long_line.as_bytes(), Want::Err(414)),
        ("small limit line", small(), b"GET /0123456789abcdef HTTP/1.1\r\n", Want::Err(414)),
        ("header field over the limit", apache(), long_field.as_bytes(), Want::Err(400)),
        ("header field at the limit", apache(), field_max.as_bytes(), Want::Ok(ok())),
        ("header field at the limit + 1", apache(), field_max_1.as_bytes(), Want::Ok(ok())),
        ("header field at the limit + 2", apache(), field_max_2.as_bytes(), Want::Err(400)),
        ("trailing whitespace counts", apache(), field_trailing_ws.as_bytes(), Want::Err(400)),
        ("folded field at its limit", apache(), folded_max.as_bytes(), Want::Ok(ok())),
        ("folded field over its limit", apache(), folded_over.as_bytes(), Want::Err(400)),
        ("open header field over the limit", apache(), open_long_field.as_bytes(), Want::Err(400)),
        ("100 header lines", apache(), h100.as_bytes(), Want::Ok(Check { headers: Some(100), ..ok() })),
        ("101 header lines", apache(), h101.as_bytes(), Want::Err(400)),
        ("small limit fields", small(), b"GET / HTTP/1.0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", Want::Err(400)),
        ("double space", apache(), b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("header without colon", apache(), b"GET / HTTP/1.1\r\nHost a\r\n\r\n", Want::Err(400)),
        ("space before colon", apache(), b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", Want::Err(400)),
        ("obs-fold", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", Want::Ok(Check { x: Some(Some("1 2")), headers: Some(2), ..ok() })),
        ("obs-fold whitespace collapses", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nX: a  \r\n  b\r\n\tc  \r\nY: 1\r\n\r\n",
            Want::Ok(Check { x: Some(Some("a b c")), headers: Some(3), ..ok() })),
        ("obs-fold keeps inner whitespace", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n  x  y  \r\n\r\n", Want::Ok(Check { x: Some(Some("1 x  y")), ..ok() })),
        ("obs-fold of an empty value", apache(), b"GET / HTTP/1.1\r\nX:\r\n h\r\nHost:\r\n a\r\n\r\n", Want::Ok(Check { x: Some(Some("h")), host: Some(Some("a")), ..ok() })),
        ("obs-fold before any field", apache(), b"GET / HTTP/1.1\r\n x\r\nHost: a\r\n\r\n", Want::Err(400)),
        ("obs-fold of whitespace only", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n \t\r\n\r\n", Want::Err(400)),
        ("continuations are not fields", small(), b"GET / HTTP/1.0\r\nA: 1\r\n 2\r\n 3\r\nB: 2\r\nC: 3\r\n\r\n", Want::Ok(Check { headers: Some(3), ..ok() })),
        ("control char in value", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", Want::Err(400)),
        ("non-utf8 target is escaped", apache(), b"GET /\xff?\xfe HTTP/1.1\r\nHost: a\r\n\r\n", Want::Ok(Check { path: Some("/%FF"), query: Some(Some("%FE")), ..ok() })),
        ("non-utf8 target with folded fields", apache(), b"GET /a\xe9 HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n",
            Want::Ok(Check { path: Some("/a%E9"), x: Some(Some("1 2")), ..ok() })),
        ("utf8 target kept", apache(), "GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n".as_bytes(), Want::Ok(Check { path: Some("/caf\u{e9}"), ..ok() })),
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
        ("expect 100-continue", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", Want::Ok(Check { expect: Some(Expectation::Continue), ..ok() })),
        ("other expectation (417 later)", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", Want::Ok(Check { expect: Some(Expectation::Unsupported), ..ok() })),
        ("first expectation counts", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: teapot\r\n\r\n", Want::Ok(Check { expect: Some(Expectation::Continue), ..ok() })),
        ("no expectation", apache(), b"POST / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n", Want::Ok(Check { expect: Some(Expectation::None), ..ok() })),
        ("two hosts", apache(), b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Want::Err(400)),
        ("host with slash", apache(), b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", Want::Err(400)),
        ("host with bad port", apache(), b"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", Want::Err(400)),
        ("host with double dot", apache(), b"GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", Want::Err(400)),
        ("host with port over 65535", apache(), b"GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n", Want::Err(400)),
        ("host with empty port", apache(), b"GET / HTTP/1.1\r\nHost: a:\r\n\r\n", Want::Err(400)),
        ("ipv6 host", apache(), b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", Want::Ok(Check { host: Some(Some("[::1]:8080")), ..ok() })),
        // Found by the fuzzer: a multi-byte character where a scheme would end panicked.
        ("non-ASCII where the scheme ends", apache(), "GET htt$:/=\u{452}:1105/x?y HTTP/1.1\r\nHost: a\r\n\r\n".as_bytes(), Want::Err(400)),
        // (`http:/path` is served as Apache does: an http URL without an authority.)
        ("non-ASCII inside the scheme", apache(), "GET http:/\u{452}/x HTTP/1.1\r\nHost: a\r\n\r\n".as_bytes(), Want::Ok(Check {
            form: Some(TargetForm::Absolute), path: Some("/\u{452}/x"), ..ok() })),
        ("non-ASCII right after the scheme", apache(), "GET ht\u{452}tp://h/x HTTP/1.1\r\nHost: a\r\n\r\n".as_bytes(), Want::Err(400)),
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
                check_field!(name, g, w, x);
                check_field!(name, g, w, protocol);
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
