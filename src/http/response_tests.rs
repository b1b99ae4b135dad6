//! Apache's pages byte for byte (captured from Apache 2.4.71, ServerSignature Off), and the
//! serializer.

use super::*;

fn ctx<'a>(method: &'a str) -> ErrorContext<'a> {
    ErrorContext {
        method,
        ..ErrorContext::default()
    }
}

fn page(status: u16, ctx: &ErrorContext<'_>) -> String {
    let mut out = Vec::new();
    error_page(status, ctx, &mut out);
    String::from_utf8(out).unwrap()
}

const HEAD: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n";

#[test]
fn pages_are_apaches_byte_for_byte() {
    let redirect = ErrorContext {
        location: Some("http://diff.test/sub/?a=1&b=<x>"),
        ..ctx("GET")
    };
    let expect = ErrorContext {
        expect: Some(b"te<a>&\"x"),
        ..ctx("GET")
    };
    let field_note = ErrorContext {
        note: Some(crate::http::error::NOTE_FIELD_TOO_LONG),
        ..ctx("GET")
    };
    let fields_note = ErrorContext {
        note: Some(crate::http::error::NOTE_TOO_MANY_FIELDS),
        ..ctx("GET")
    };
    let replaced = ErrorContext {
        recursive_error: Some(301),
        ..ctx("GET")
    };
    // (status, context, the page after the doctype line and `<html><head>`).
    let rows: Vec<(u16, ErrorContext, &str)> = vec![
        (
            301,
            redirect,
            "<title>301 Moved Permanently</title>\n</head><body>\n<h1>Moved Permanently</h1>\n<p>The document has moved <a href=\"http://diff.test/sub/?a=1&amp;b=&lt;x&gt;\">here</a>.</p>\n</body></html>\n",
        ),
        (
            400,
            ctx("GET"),
            "<title>400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n<p>Your browser sent a request that this server could not understand.<br />\n</p>\n</body></html>\n",
        ),
        (
            400,
            field_note,
            "<title>400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n<p>Your browser sent a request that this server could not understand.<br />\nSize of a request header field exceeds server limit.</p>\n</body></html>\n",
        ),
        (
            400,
            fields_note,
            "<title>400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n<p>Your browser sent a request that this server could not understand.<br />\nThe number of request header fields exceeds this server's limit.</p>\n</body></html>\n",
        ),
        (
            403,
            ctx("GET"),
            "<title>403 Forbidden</title>\n</head><body>\n<h1>Forbidden</h1>\n<p>You don't have permission to access this resource.</p>\n</body></html>\n",
        ),
        (
            404,
            ctx("GET"),
            "<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n",
        ),
        (
            405,
            ctx("PUT"),
            "<title>405 Method Not Allowed</title>\n</head><body>\n<h1>Method Not Allowed</h1>\n<p>The requested method PUT is not allowed for this URL.</p>\n</body></html>\n",
        ),
        (
            408,
            ctx("GET"),
            "<title>408 Request Timeout</title>\n</head><body>\n<h1>Request Timeout</h1>\n<p>Server timeout waiting for the HTTP request from the client.</p>\n</body></html>\n",
        ),
        (
            413,
            ctx("POST"),
            "<title>413 Request Entity Too Large</title>\n</head><body>\n<h1>Request Entity Too Large</h1>\nThe requested resource does not allow request data with POST requests, or the amount of data provided in\nthe request exceeds the capacity limit.\n</body></html>\n",
        ),
        (
            413,
            replaced,
            "<title>413 Request Entity Too Large</title>\n</head><body>\n<h1>Request Entity Too Large</h1>\nThe requested resource does not allow request data with GET requests, or the amount of data provided in\nthe request exceeds the capacity limit.\n<p>Additionally, a 301 Moved Permanently\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n</body></html>\n",
        ),
        (
            414,
            ctx("GET"),
            "<title>414 Request-URI Too Long</title>\n</head><body>\n<h1>Request-URI Too Long</h1>\n<p>The requested URL's length exceeds the capacity\nlimit for this server.<br />\n</p>\n</body></html>\n",
        ),
        (
            416,
            ctx("GET"),
            "<title>416 Requested Range Not Satisfiable</title>\n</head><body>\n<h1>Requested Range Not Satisfiable</h1>\n<p>None of the range-specifier values in the Range\nrequest-header field overlap the current extent\nof the selected resource.</p>\n</body></html>\n",
        ),
        (
            417,
            expect,
            "<title>417 Expectation Failed</title>\n</head><body>\n<h1>Expectation Failed</h1>\n<p>The expectation given in the Expect request-header\nfield could not be met by this server.\nThe client sent<pre>\n    Expect: te&lt;a&gt;&amp;&quot;x\n</pre>\n</p><p>Only the 100-continue expectation is supported.</p>\n</body></html>\n",
        ),
        (
            500,
            ctx("GET"),
            "<title>500 Internal Server Error</title>\n</head><body>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.</p>\n<p>Please contact the server administrator at \n [no address given] to inform them of the time this error occurred,\n and the actions you performed just before this error.</p>\n<p>More information about this error may be available\nin the server error log.</p>\n</body></html>\n",
        ),
        (
            501,
            ctx("FOO"),
            "<title>501 Not Implemented</title>\n</head><body>\n<h1>Not Implemented</h1>\n<p>FOO not supported for current URL.<br />\n</p>\n</body></html>\n",
        ),
    ];
    for (status, ctx, want) in rows {
        assert_eq!(page(status, &ctx), format!("{HEAD}{want}"), "{status}");
    }
}

#[test]
fn page_lengths_match_apaches_content_length() {
    // Content-Length values Apache sent for these requests.
    let rows: &[(u16, &str, Option<&str>, usize)] = &[
        (301, "GET", Some("http://diff.test/sub/"), 269),
        (400, "GET", None, 266),
        (403, "GET", None, 239),
        (404, "GET", None, 236),
        (405, "PUT", None, 260),
        (405, "DELETE", None, 263),
        (408, "GET", None, 261),
        (413, "TRACE", None, 357),
        (414, "GET", None, 288),
        (416, "GET", None, 0x162),
        (500, "GET", None, 571),
        (501, "FOO", None, 242),
    ];
    for &(status, method, location, len) in rows {
        let c = ErrorContext {
            location,
            ..ctx(method)
        };
        assert_eq!(page(status, &c).len(), len, "{status} {method}");
    }
    let teapot = ErrorContext {
        expect: Some(b"teapot"),
        ..ctx("GET")
    };
    assert_eq!(page(417, &teapot).len(), 398);
}

#[test]
fn pages_escape_what_the_client_sent() {
    let cases: &[(u16, &str, &str)] = &[
        (
            501,
            "F<O",
            "<p>F&lt;O not supported for current URL.<br />\n</p>\n",
        ),
        (405, "P&T", "The requested method P&amp;T is not allowed"),
        (
            411,
            "POST",
            "<p>A request of the requested method POST requires a valid Content-length.<br />\n</p>\n",
        ),
        (505, "GET", "<title>505 HTTP Version Not Supported</title>"),
    ];
    for &(status, method, needle) in cases {
        let p = page(status, &ctx(method));
        assert!(p.contains(needle), "{status}: {p}");
    }
}

fn common() -> CommonHeaders<'static> {
    CommonHeaders {
        date: b"Sun, 06 Nov 1994 08:49:37 GMT",
        server_line: b"Server: mpmd\r\n",
    }
}

#[test]
fn serialize_table() {
    let put = ErrorContext {
        allow: Some("GET,HEAD"),
        ..ctx("PUT")
    };
    let error = Response::error(405, &put);
    let error_len = error.body.len();
    let mut chunked = Response::new(200);
    chunked.body = b"TRACE / HTTP/1.1\r\n\r\n".to_vec();
    chunked.framing = Framing::Chunked;
    let mut until_close = chunked.clone();
    until_close.framing = Framing::UntilClose;
    let mut empty_chunked = Response::new(200);
    empty_chunked.framing = Framing::Chunked;
    let persist = KeepAlive::Persist { header: None };
    let start = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: mpmd\r\n";
    let rows: Vec<(&str, &Response, KeepAlive, bool, String)> = vec![
        (
            "error page",
            &error,
            persist,
            false,
            format!(
                "HTTP/1.1 405 Method Not Allowed\r\n{start}Allow: GET,HEAD\r\nContent-Length: {error_len}\r\n\
                 Content-Type: text/html; charset=iso-8859-1\r\n\r\n{}",
                String::from_utf8_lossy(&error.body)
            ),
        ),
        (
            "HEAD: no body, no length",
            &error,
            KeepAlive::Close,
            true,
            format!(
                "HTTP/1.1 405 Method Not Allowed\r\n{start}Allow: GET,HEAD\r\nConnection: close\r\n\
                 Content-Type: text/html; charset=iso-8859-1\r\n\r\n"
            ),
        ),
        (
            "chunked",
            &chunked,
            persist,
            false,
            format!(
                "HTTP/1.1 200 OK\r\n{start}Transfer-Encoding: chunked\r\n\r\n14\r\nTRACE / HTTP/1.1\r\n\r\n\r\n0\r\n\r\n"
            ),
        ),
        (
            "chunked, empty",
            &empty_chunked,
            persist,
            false,
            format!("HTTP/1.1 200 OK\r\n{start}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ),
        (
            "until close",
            &until_close,
            KeepAlive::Close,
            false,
            format!("HTTP/1.1 200 OK\r\n{start}Connection: close\r\n\r\nTRACE / HTTP/1.1\r\n\r\n"),
        ),
    ];
    for (name, resp, ka, head_only, want) in rows {
        let mut out = Vec::new();
        resp.serialize(&mut out, &common(), ka, head_only);
        assert_eq!(String::from_utf8(out).unwrap(), want, "{name}");
    }
}

#[test]
fn number_formatting() {
    for n in [0u64, 7, 10, 1024, 0x162, u64::MAX] {
        let mut dec = Vec::new();
        push_u64(&mut dec, n);
        assert_eq!(dec, n.to_string().into_bytes());
        let mut hex = Vec::new();
        push_hex(&mut hex, n);
        assert_eq!(hex, format!("{n:x}").into_bytes());
    }
}

#[test]
fn failed_error_document_is_mentioned() {
    let mut out = Vec::new();
    let ctx = ErrorContext {
        method: "GET",
        recursive_error: Some(404),
        ..ErrorContext::default()
    };
    error_page(403, &ctx, &mut out);
    assert!(String::from_utf8(out).unwrap().ends_with(
        "<p>You don't have permission to access this resource.</p>\n<p>Additionally, a 404 \
         Not Found\nerror was encountered while trying to use an ErrorDocument to handle the \
         request.</p>\n</body></html>\n"
    ));
}
