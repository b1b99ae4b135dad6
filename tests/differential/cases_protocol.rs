//! Case rows for the protocol (scenario `core`): methods, versions, keep-alive, malformed
//! requests, limits, request bodies, `Expect`.

use crate::cases::{CORE, Case, case, get, req};
use crate::compare::Check::{Body, Header};
use crate::config::{
    LIMIT_REQUEST_BODY, LIMIT_REQUEST_FIELD_SIZE, LIMIT_REQUEST_FIELDS, LIMIT_REQUEST_LINE,
};

/// The rows for methods, versions, keep-alive, malformed requests, limits and bodies.
pub fn cases() -> Vec<Case> {
    let c = |name, send: String| case(CORE, name, send);
    let long_target = |len: usize| {
        // "GET " + target + " HTTP/1.1" is exactly `len` bytes. Short path segments, so the
        // answer is a 404 (a segment over NAME_MAX would be a 403 from the file system).
        let target: String = "/a"
            .repeat(len)
            .chars()
            .take(len - "GET  HTTP/1.1".len())
            .collect();
        format!("GET {target} HTTP/1.1\r\nHost: diff.test\r\n\r\n")
    };
    let field_of = |len: usize| format!("X-Pad: {}\r\n", "p".repeat(len - "X-Pad: ".len()));
    let many_fields = |n: usize| {
        (1..n)
            .map(|i| format!("X-F{i}: {i}\r\n"))
            .collect::<String>()
    };
    let body_of = |n: usize| "b".repeat(n);
    vec![
        c("GET a file", get("/hello.txt")).file(),
        c("HEAD a file", req("HEAD", "/hello.txt", "")).file(),
        c("GET / (index.html)", get("/")).file(),
        c("OPTIONS a file", req("OPTIONS", "/hello.txt", ""))
            .with(&[Header("Content-Length"), Body]),
        c("OPTIONS *", req("OPTIONS", "*", "")).with(&[Header("Content-Length"), Body]),
        c(
            "TRACE echoes the request",
            req("TRACE", "/hello.txt", "X-Test: 1\r\n"),
        )
        .with(&[Header("Content-Length"), Body]),
        c(
            "TRACE with a body",
            req("TRACE", "/hello.txt", "Content-Length: 5\r\n") + "hello",
        )
        .error(),
        c(
            "POST to a static file",
            req("POST", "/hello.txt", "Content-Length: 3\r\n") + "a=b",
        )
        .error(),
        c(
            "POST to a missing file",
            req("POST", "/missing.txt", "Content-Length: 3\r\n") + "a=b",
        )
        .error(),
        c(
            "PUT a file",
            req("PUT", "/hello.txt", "Content-Length: 3\r\n") + "new",
        )
        .error(),
        c("DELETE a file", req("DELETE", "/hello.txt", "")).error(),
        c("unknown method FOO", req("FOO", "/hello.txt", "")).error(),
        c("lower-case method get", req("get", "/hello.txt", "")).error(),
        c("GET a missing file", get("/missing.html")).error(),
        c("HEAD a missing file", req("HEAD", "/missing.html", "")).error(),
        // Versions and keep-alive.
        c(
            "HTTP/1.0 without Host",
            "GET /hello.txt HTTP/1.0\r\n\r\n".into(),
        )
        .file(),
        c(
            "HTTP/1.0 keep-alive",
            "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".into(),
        )
        .file(),
        c(
            "HTTP/1.0 keep-alive, 404",
            "GET /missing.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".into(),
        )
        .error(),
        c(
            "HTTP/1.1 Connection: keep-alive",
            req("GET", "/hello.txt", "Connection: keep-alive\r\n"),
        )
        .file(),
        c(
            "HTTP/1.1 Connection: close",
            req("GET", "/hello.txt", "Connection: close\r\n"),
        )
        .file(),
        c(
            "pipelined requests",
            req("GET", "/hello.txt", "Connection: keep-alive\r\n")
                + &req("GET", "/style.css", "Connection: keep-alive\r\n"),
        )
        .replies(2)
        .file(),
        c(
            "HTTP/1.1 without Host",
            "GET /hello.txt HTTP/1.1\r\n\r\n".into(),
        )
        .error(),
        c(
            "two Host headers",
            req("GET", "/hello.txt", "Host: other.test\r\n"),
        )
        .error(),
        c(
            "absolute URI",
            "GET http://diff.test/hello.txt HTTP/1.1\r\nHost: diff.test\r\n\r\n".into(),
        )
        .file(),
        c(
            "absolute URI, other host",
            "GET http://other.test/hello.txt HTTP/1.1\r\nHost: diff.test\r\n\r\n".into(),
        )
        .file(),
        c("HTTP/0.9 request", "GET /hello.txt\r\n".into()),
        c(
            "HTTP/2.0 in the request line",
            "GET /hello.txt HTTP/2.0\r\nHost: diff.test\r\n\r\n".into(),
        )
        .error(),
        c(
            "malformed version",
            "GET /hello.txt HTTP/1.x\r\nHost: diff.test\r\n\r\n".into(),
        )
        .error(),
        c(
            "blank lines before the request",
            format!("\r\n\r\n{}", get("/hello.txt")),
        )
        .file(),
        c(
            "bare LF line ends",
            "GET /hello.txt HTTP/1.1\nHost: diff.test\n\n".into(),
        )
        .file(),
        // Garbage.
        c("garbage word", "HELLO\r\n\r\n".into()).error(),
        c(
            "TLS client hello",
            String::from_utf8_lossy(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n")
                .into_owned(),
        )
        .error(),
        c(
            "extra token in the request line",
            "GET /hello.txt HTTP/1.1 extra\r\nHost: diff.test\r\n\r\n".into(),
        )
        .error(),
        c(
            "header line without a colon",
            req("GET", "/hello.txt", "NoColonHere\r\n"),
        )
        .error(),
        c(
            "space before the colon",
            req("GET", "/hello.txt", "X-Test : 1\r\n"),
        )
        .error(),
        c(
            "obs-fold continuation line",
            req("GET", "/hello.txt", "X-Test: a\r\n  b\r\n"),
        )
        .error(),
        // Limits.
        // Apache accepts one byte more than each limit (its line buffer holds limit + 2
        // bytes including the line end), so the boundary cases are limit, +1 and +2.
        c(
            "request line at LimitRequestLine",
            long_target(LIMIT_REQUEST_LINE),
        )
        .error(),
        c(
            "request line at LimitRequestLine + 1",
            long_target(LIMIT_REQUEST_LINE + 1),
        )
        .error(),
        c(
            "request line at LimitRequestLine + 2",
            long_target(LIMIT_REQUEST_LINE + 2),
        )
        .error(),
        c(
            "header field at LimitRequestFieldSize",
            req("GET", "/hello.txt", &field_of(LIMIT_REQUEST_FIELD_SIZE)),
        )
        .file(),
        c(
            "header field at LimitRequestFieldSize + 1",
            req("GET", "/hello.txt", &field_of(LIMIT_REQUEST_FIELD_SIZE + 1)),
        )
        .file(),
        c(
            "header field at LimitRequestFieldSize + 2",
            req("GET", "/hello.txt", &field_of(LIMIT_REQUEST_FIELD_SIZE + 2)),
        )
        .error(),
        c(
            "fields at LimitRequestFields",
            req("GET", "/hello.txt", &many_fields(LIMIT_REQUEST_FIELDS)),
        )
        .file(),
        c(
            "fields over LimitRequestFields",
            req("GET", "/hello.txt", &many_fields(LIMIT_REQUEST_FIELDS + 1)),
        )
        .error(),
        c(
            "body at LimitRequestBody",
            req(
                "GET",
                "/hello.txt",
                &format!("Content-Length: {LIMIT_REQUEST_BODY}\r\n"),
            ) + &body_of(LIMIT_REQUEST_BODY),
        )
        .file(),
        c(
            "body over LimitRequestBody",
            req(
                "GET",
                "/hello.txt",
                &format!("Content-Length: {}\r\n", LIMIT_REQUEST_BODY + 1),
            ) + &body_of(LIMIT_REQUEST_BODY + 1),
        )
        .error(),
        c(
            "POST body over LimitRequestBody",
            req(
                "POST",
                "/hello.txt",
                &format!("Content-Length: {}\r\n", 2 * LIMIT_REQUEST_BODY),
            ) + &body_of(2 * LIMIT_REQUEST_BODY),
        )
        .error(),
        c(
            "chunked body",
            req("GET", "/hello.txt", "Transfer-Encoding: chunked\r\n")
                + "5\r\nhello\r\n3;ext=1\r\n!!!\r\n0\r\n\r\n",
        )
        .file(),
        c(
            "chunked body with a trailer",
            req("GET", "/hello.txt", "Transfer-Encoding: chunked\r\n")
                + "2\r\nhi\r\n0\r\nX-Trailer: 1\r\n\r\n",
        )
        .file(),
        c(
            "chunk size not hex",
            req("GET", "/hello.txt", "Transfer-Encoding: chunked\r\n") + "zz\r\nhello\r\n0\r\n\r\n",
        )
        .error(),
        c(
            "chunked body over LimitRequestBody",
            req("GET", "/hello.txt", "Transfer-Encoding: chunked\r\n")
                + &format!("800\r\n{}\r\n0\r\n\r\n", body_of(0x800)),
        )
        .error(),
        c(
            "Transfer-Encoding gzip",
            req("GET", "/hello.txt", "Transfer-Encoding: gzip\r\n"),
        )
        .error(),
        c(
            "Transfer-Encoding and Content-Length",
            req(
                "GET",
                "/hello.txt",
                "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
            ) + "2\r\nhi\r\n0\r\n\r\n",
        )
        .file(),
        c(
            "Content-Length not a number",
            req("GET", "/hello.txt", "Content-Length: abc\r\n"),
        )
        .error(),
        c(
            "Content-Length negative",
            req("GET", "/hello.txt", "Content-Length: -1\r\n"),
        )
        .error(),
        c(
            "Expect: 100-continue, body after the 100",
            req(
                "GET",
                "/hello.txt",
                "Expect: 100-continue\r\nContent-Length: 5\r\n",
            ),
        )
        .after_continue(b"hello")
        .file(),
        c(
            "Expect: 100-continue, body sent at once",
            req(
                "GET",
                "/hello.txt",
                "Expect: 100-continue\r\nContent-Length: 5\r\n",
            ) + "hello",
        )
        .file(),
        c(
            "Expect: 100-continue on a PUT (405)",
            req(
                "PUT",
                "/hello.txt",
                "Expect: 100-continue\r\nContent-Length: 5\r\n",
            ),
        )
        .after_continue(b"hello")
        .error(),
        c(
            "Expect: something else",
            req("GET", "/hello.txt", "Expect: teapot\r\n"),
        )
        .error(),
        // HTTP/0.9 and the request line (Apache's HttpProtocolOptions Strict Allow0.9).
        c("HTTP/0.9 request for a missing file", "GET /missing.txt\r\n".into()),
        c("HTTP/0.9 request, one trailing space", "GET /hello.txt \r\n".into()),
        c("HTTP/0.9 request for a directory without slash", "GET /sub\r\n".into()),
        c("HTTP/0.9 HEAD", "HEAD /hello.txt\r\n".into()).error(),
        c("HTTP/0.9 POST", "POST /hello.txt\r\n".into()).error(),
        c(
            "HTTP/0.9 spelled out",
            "GET /hello.txt HTTP/0.9\r\nHost: diff.test\r\n\r\n".into(),
        )
        .error(),
        c(
            "HTTP/1.2 in the request line",
            "GET /hello.txt HTTP/1.2\r\nHost: diff.test\r\n\r\n".into(),
        )
        .file(),
        c(
            "HTTP/2.0 without Host",
            "GET /hello.txt HTTP/2.0\r\n\r\n".into(),
        )
        .error(),
        c(
            "space after the protocol",
            "GET /hello.txt HTTP/1.1 \r\nHost: diff.test\r\n\r\n".into(),
        )
        .error(),
        c(
            "two spaces after the method",
            "GET  /hello.txt HTTP/1.1\r\nHost: diff.test\r\n\r\n".into(),
        )
        .error(),
        c("word without a line end", "HELLO\r\n".into()).error(),
        c("fragment in the target", get("/hello.txt#top")).error(),
        c(
            "ten blank lines before the request",
            format!("{}{}", "\r\n".repeat(10), get("/hello.txt")),
        )
        .file(),
        c(
            "eleven blank lines before the request",
            format!("{}{}", "\r\n".repeat(11), get("/hello.txt")),
        )
        .error(),
        c(
            "bare LF ending one header line",
            "GET /hello.txt HTTP/1.1\r\nHost: diff.test\n\r\n".into(),
        )
        .error(),
        // Header fields.
        c(
            "obs-fold before the first field",
            "GET /hello.txt HTTP/1.1\r\n  b\r\nHost: diff.test\r\n\r\n".into(),
        )
        .error(),
        c(
            "obs-fold of whitespace only",
            req("GET", "/hello.txt", "X-Test: a\r\n \t\r\n"),
        )
        .error(),
        c(
            "TRACE shows folded and trimmed fields",
            req("TRACE", "/hello.txt", "X-Test: a  \r\n  b\r\n\tc  \r\nX-B:  v  \r\n"),
        )
        .with(&[Header("Content-Length"), Body]),
        c(
            "folded field at LimitRequestFieldSize - 2",
            req("GET", "/hello.txt", &(field_of(LIMIT_REQUEST_FIELD_SIZE - 4) + " q\r\n")),
        )
        .file(),
        c(
            "folded field at LimitRequestFieldSize - 1",
            req("GET", "/hello.txt", &(field_of(LIMIT_REQUEST_FIELD_SIZE - 3) + " q\r\n")),
        )
        .error(),
        c("empty Host on HTTP/1.1", "GET /hello.txt HTTP/1.1\r\nHost:\r\n\r\n".into())
            .error(),
        c("Host with two dots in a row", "GET /hello.txt HTTP/1.1\r\nHost: a..b\r\n\r\n".into())
            .error(),
        c("Host with port 99999", "GET /hello.txt HTTP/1.1\r\nHost: a:99999\r\n\r\n".into())
            .error(),
        // Methods.
        c("OPTIONS a missing file", req("OPTIONS", "/missing.txt", ""))
            .with(&[Header("Content-Length"), Body]),
        c("OPTIONS a directory index", req("OPTIONS", "/sub/", ""))
            .with(&[Header("Content-Length"), Body]),
        c("TRACE over HTTP/1.0", "TRACE /hello.txt HTTP/1.0\r\n\r\n".into())
            .with(&[Header("Content-Length"), Body]),
        c("POST to a directory index", req("POST", "/sub/", "Content-Length: 3\r\n") + "a=b")
            .file(),
        c(
            "POST to a directory without index",
            req("POST", "/noindex/", "Content-Length: 3\r\n") + "a=b",
        )
        .error(),
        // Expect.
        c(
            "Expect: 100-continue without a body",
            req("GET", "/hello.txt", "Expect: 100-continue\r\n"),
        )
        .file(),
        c(
            "Expect: 100-continue over HTTP/1.0",
            "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello".into(),
        )
        .file(),
        c(
            "Expect: 100-continue on a missing file",
            req("GET", "/missing.txt", "Expect: 100-continue\r\nContent-Length: 5\r\n"),
        )
        .after_continue(b"hello")
        .error(),
        c(
            "Expect: 100-continue on a directory without slash",
            req("GET", "/sub", "Expect: 100-continue\r\nContent-Length: 5\r\n"),
        )
        .after_continue(b"hello")
        .error(),
        c(
            "Expect: something else over HTTP/1.0 keep-alive",
            "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\nExpect: teapot\r\n\r\n".into(),
        )
        .error(),
        c(
            "HEAD with an unknown Expect",
            req("HEAD", "/hello.txt", "Expect: teapot\r\n"),
        )
        .error(),
        // Bodies Apache refuses while reading them: pages without a length.
        c(
            "body over LimitRequestBody on a directory without slash",
            req("GET", "/sub", &format!("Content-Length: {}\r\n", LIMIT_REQUEST_BODY + 1))
                + &body_of(LIMIT_REQUEST_BODY + 1),
        )
        .error(),
        c(
            "bad chunk on a .ht file",
            req("GET", "/.htpasswd", "Transfer-Encoding: chunked\r\n") + "zz\r\n",
        )
        .error(),
        c(
            "Expect: 100-continue on an unknown method",
            req("FOO", "/hello.txt", "Expect: 100-continue\r\nContent-Length: 5\r\n"),
        )
        .after_continue(b"hello")
        .error(),
        c(
            "bad chunk on a missing file",
            req("GET", "/missing.txt", "Transfer-Encoding: chunked\r\n") + "zz\r\n",
        )
        .error(),
        // Odd but legal-looking heads.
        c("HTTP/0.9 pipelined after HTTP/1.1", get("/style.css") + "GET /hello.txt\r\n")
            .replies(1),
        c(
            "absolute URI with the default port",
            "GET http://diff.test:80/hello.txt HTTP/1.1\r\nHost: diff.test\r\n\r\n".into(),
        )
        .file(),
        c(
            "absolute URI without a path",
            "OPTIONS http://diff.test HTTP/1.1\r\nHost: diff.test\r\n\r\n".into(),
        )
        .with(&[Header("Content-Length"), Body]),
        c(
            "scheme with one slash",
            "GET http:/hello.txt HTTP/1.1\r\nHost: diff.test\r\n\r\n".into(),
        )
        .error(),
        c(
            "CONNECT",
            "CONNECT diff.test:443 HTTP/1.1\r\nHost: diff.test\r\n\r\n".into(),
        )
        .error(),
        c("upper-case Host", "GET /sub HTTP/1.1\r\nHost: DIFF.Test\r\n\r\n".into()).error(),
        c(
            "Connection: keep-alive, close",
            req("GET", "/hello.txt", "Connection: keep-alive, close\r\n"),
        )
        .file(),
        c(
            "Transfer-Encoding: identity",
            req("GET", "/hello.txt", "Transfer-Encoding: identity\r\n"),
        )
        .error(),
        c(
            "Transfer-Encoding: chunked twice",
            req("GET", "/hello.txt", "Transfer-Encoding: chunked, chunked\r\n") + "0\r\n\r\n",
        )
        .error(),
        c(
            "chunked over HTTP/1.0",
            "POST /hello.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n".into(),
        )
        .file(),
        c(
            "obs-text in a header value",
            req("GET", "/hello.txt", "X-Test: caf\u{e9}\r\n"),
        )
        .file(),
        c("underscore in a header name", req("GET", "/hello.txt", "X_Test: 1\r\n")).file(),
        c("empty header value", req("GET", "/hello.txt", "X-Test:\r\n")).file(),
        c("header name only spaces", req("GET", "/hello.txt", ": v\r\n")).error(),
        c(
            "Content-Length with a plus",
            req("GET", "/hello.txt", "Content-Length: +1\r\n") + "x",
        )
        .error(),
        c(
            "Content-Length list",
            req("GET", "/hello.txt", "Content-Length: 1, 1\r\n") + "x",
        )
        .error(),
        c("TRACE *", "TRACE * HTTP/1.1\r\nHost: diff.test\r\n\r\n".into()).error(),
        c("OPTIONS * over HTTP/1.0", "OPTIONS * HTTP/1.0\r\n\r\n".into())
            .with(&[Header("Content-Length"), Body]),
        c("HEAD with a body", req("HEAD", "/hello.txt", "Content-Length: 3\r\n") + "abc")
            .file(),
        c("DELETE a missing file", req("DELETE", "/missing.txt", "")).error(),
        c("PROPFIND a file", req("PROPFIND", "/hello.txt", "")).error(),
        c("PATCH a file", req("PATCH", "/hello.txt", "")).error(),
    ]
}
