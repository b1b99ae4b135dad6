//! `serve_connection` over loopback sockets: the protocol corners matched against Apache 2.4
//! (HTTP/0.9, limits, `Expect`, bodies that cannot be read, HEAD errors).

use crate::http::ConnEnd;
use crate::http::conn_tests::NOT_FOUND_BODY;
use crate::http::test_support::*;

#[test]
fn limits_answer_414_400_413_and_close() {
    let mut ts = TestSite::new("limits");
    ts.config.http.limit_request_line = 64;
    ts.config.http.limit_request_field_size = 32;
    ts.config.http.limit_request_body = 10;
    let site = ts.site();
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(100)).into_bytes(), 414),
        (format!("GET / HTTP/1.1\r\nHost: h\r\nX-Long: {}\r\n\r\n", "v".repeat(40)).into_bytes(), 400),
        (b"POST /index.html HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n01234567890".to_vec(), 413),
        (b"POST /index.html HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nB\r\n01234567890\r\n0\r\n\r\n".to_vec(), 413),
        (b"POST /index.html HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(), 400),
        (b"GET / HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"GET / HTTP/0.9\r\nHost: h\r\n\r\n".to_vec(), 400),
        (b"GET / HTTP/1.1\nHost: h\n\n".to_vec(), 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(), 400),
    ];
    for (req, status) in cases {
        let mut h = Harness::start(site.clone());
        h.send(&req);
        let r = h.response(false);
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&req));
        assert_eq!(r.header("connection"), Some("close"));
        // Apache's pages for errors in a body end with the connection, without a length.
        let in_body =
            req.ends_with(b"0\r\n\r\n") || req.ends_with(b"zz\r\n") || req.ends_with(b"890");
        assert_eq!(
            r.header("content-length").is_none(),
            in_body,
            "{}",
            String::from_utf8_lossy(&req)
        );
        assert!(String::from_utf8_lossy(&r.body).ends_with("</body></html>\n"));
        assert!(h.read_to_close().is_empty());
        assert!(matches!(h.wait_end().0, ConnEnd::ServerClosed));
    }
}

#[test]
fn expect_100_continue() {
    let ts = TestSite::new("expect");
    let mut h = Harness::start(ts.site());
    h.send(b"OPTIONS /index.html HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    let c = h.response(true);
    assert_eq!(c.status, 100);
    h.send(b"hello");
    let r = h.response(false);
    assert_eq!((r.status, r.header("connection")), (200, None));
    // Apache sends the 100 even when the body came with the head.
    h.send(b"POST /index.html HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(h.response(true).status, 100);
    let r = h.response(false);
    assert_eq!((r.status, r.header("connection")), (200, None));
    // The default handler's 405 comes after the body: 100 first, and the connection stays.
    h.send(
        b"PUT /index.html HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    );
    assert_eq!(h.response(true).status, 100);
    h.send(b"hello");
    let r = h.response(false);
    assert_eq!((r.status, r.header("connection")), (405, None));
    // No body, or HTTP/1.0 (no 100 is ever sent): the unanswered expectation closes.
    h.send(b"GET /plain.txt HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n");
    let r = h.response(false);
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(h.read_to_close().is_empty());

    // An unknown method is the default handler's answer too (100 first), then it closes.
    let mut h = Harness::start(ts.site());
    h.send(
        b"FOO /plain.txt HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    );
    assert_eq!(h.response(true).status, 100);
    h.send(b"hello");
    let r = h.response(false);
    assert_eq!((r.status, r.header("connection")), (501, Some("close")));
    assert!(h.read_to_close().is_empty());

    // A body too large for a redirect: Apache's 413 page mentions the 301 it replaced.
    let mut small = TestSite::new("expect-small");
    small.config.http.limit_request_body = 10;
    let mut h = Harness::start(small.site());
    h.send(b"GET /sub HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n");
    let r = h.response(false);
    assert_eq!((r.status, r.header("location")), (413, None));
    assert!(
        String::from_utf8_lossy(&r.body).contains("<p>Additionally, a 301 Moved Permanently\n")
    );
    assert!(h.read_to_close().is_empty());

    // A refusal made before the handler (DirectorySlash) sends no 100 and closes.
    let mut h = Harness::start(ts.site());
    h.send(b"GET /sub HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    let r = h.response(false);
    assert_eq!((r.status, r.header("connection")), (301, Some("close")));
    assert!(h.read_to_close().is_empty());

    // An unknown expectation: 417 with the headers of a kept connection, then closed.
    let mut h = Harness::start(ts.site());
    h.send(b"GET /plain.txt HTTP/1.0\r\nConnection: keep-alive\r\nExpect: tea\r\n\r\n");
    let r = h.response(false);
    assert_eq!(
        (r.status, r.header("connection"), r.header("keep-alive")),
        (417, Some("Keep-Alive"), Some("timeout=5, max=100"))
    );
    assert!(String::from_utf8_lossy(&r.body).contains("Expect: tea\n"));
    assert!(h.read_to_close().is_empty());
    assert!(matches!(h.wait_end().0, ConnEnd::ServerClosed));
}

#[test]
fn http09_gets_the_body_alone_then_close() {
    let ts = TestSite::new("http09");
    let site = ts.site();
    // (request, bytes answered): the file or the error page, no status line, no headers.
    let cases: &[(&[u8], &[u8])] = &[
        (b"GET /plain.txt\r\n", b"plain\n"),
        (b"GET /plain.txt \r\n", b"plain\n"),
        (b"GET /plain.txt\r\nHost: ignored\r\n\r\n", b"plain\n"),
        (b"GET /missing\r\n", NOT_FOUND_BODY.as_bytes()),
    ];
    for &(req, want) in cases {
        let mut h = Harness::start(site.clone());
        h.send(req);
        assert_eq!(h.read_to_close(), want, "{}", String::from_utf8_lossy(req));
        let (end, rec) = h.wait_end();
        assert!(matches!(end, ConnEnd::ServerClosed));
        assert_eq!(rec.request_lines.len(), 1);
    }
    // Anything but GET: a 400 in HTTP/1.1 form; for HEAD, headers only and no length.
    for (req, body) in [
        (&b"POST /plain.txt\r\n"[..], true),
        (b"HEAD /plain.txt\r\n", false),
    ] {
        let mut h = Harness::start(site.clone());
        h.send(req);
        let r = h.response(!body);
        assert_eq!((r.status, r.header("connection")), (400, Some("close")));
        assert_eq!(r.header("content-length").is_some(), body);
        assert!(h.read_to_close().is_empty());
    }
}

#[test]
fn head_errors_have_no_length() {
    let ts = TestSite::new("headerr");
    let mut h = Harness::start(ts.site());
    for req in [
        &b"HEAD /missing HTTP/1.1\r\nHost: h\r\n\r\n"[..],
        b"HEAD /sub HTTP/1.1\r\nHost: h\r\n\r\n",
    ] {
        h.send(req);
        let r = h.response(true);
        assert_eq!(r.header("content-length"), None, "{}", r.head);
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=iso-8859-1")
        );
        assert_eq!(r.header("connection"), None);
    }
    h.send(b"HEAD /plain.txt HTTP/1.1\r\n\r\n");
    let r = h.response(true);
    assert_eq!((r.status, r.header("content-length")), (400, None));
    assert!(h.read_to_close().is_empty());
}
