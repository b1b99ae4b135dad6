//! Request handling basics on the wire: 404, 400, no escape from the document root, directory
//! redirect, HEAD, keep-alive.

use crate::common::http::{Connection, exchange, request_bytes};
use crate::common::{
    HELLO_TXT, INDEX_HTML, SECRET, START_DEADLINE, SUB_INDEX_HTML, ServerGuard, TestConfig,
    wait_until,
};

/// One child only, so "the same child keeps serving" is observable; `%P` logs the serving pid.
fn single_child() -> TestConfig {
    TestConfig::default()
        .mpm("start_servers = 1\nmin_spare_servers = 1\nmax_spare_servers = 2\n")
        .log("log_format = \"%h %P %>s %r\"\n")
}

#[test]
fn missing_file_is_404_and_files_are_served() {
    let server = ServerGuard::start(&TestConfig::default());
    let cases: &[(&str, u16, Option<&str>)] = &[
        ("/missing.html", 404, None),
        ("/sub/missing", 404, None),
        ("/index.html", 200, Some(INDEX_HTML)),
        ("/", 200, Some(INDEX_HTML)),
        ("/sub/", 200, Some(SUB_INDEX_HTML)),
        ("/hello.txt", 200, Some(HELLO_TXT)),
    ];
    for &(path, status, body) in cases {
        let response = server.get(path);
        assert_eq!(response.status, status, "GET {path}: {response:?}");
        if let Some(body) = body {
            assert_eq!(response.text(), body, "GET {path}");
        }
    }
    let txt = server.get("/hello.txt");
    let content_type = txt.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain"),
        "hello.txt served as {content_type:?}"
    );
}

#[test]
fn garbage_gets_400_and_the_child_keeps_serving() {
    let server = ServerGuard::start(&single_child());
    let child = server.wait_children(1);

    let mut conn = Connection::open(server.port()).expect("connect");
    conn.send_raw(b"GARBAGE\r\n\r\n").expect("send garbage");
    let response = conn.read(false).expect("a response to garbage");
    assert_eq!(response.status, 400, "{response:?}");
    assert!(conn.closed_by_server(), "connection not closed after a 400");
    // Close our side at once: the child lingers (drains) until the client closes, and while it
    // is busy the master may legitimately fork a spare.
    drop(conn);

    let response = server.get("/index.html");
    assert_eq!(response.status, 200);
    let children = server.children();
    assert!(
        children.contains(&child[0]),
        "the child did not survive the bad request: {children:?} (was {child:?})"
    );
    if children == child {
        // The line is written after the response is sent: wait for it.
        wait_until(START_DEADLINE, || {
            server.access_log().contains("GET /index.html")
        });
        let log = server.access_log();
        let served_by = log
            .lines()
            .find(|l| l.contains("GET /index.html"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|pid| pid.parse::<i32>().ok());
        assert_eq!(served_by, Some(child[0]), "access log:\n{log}");
    }
}

#[test]
fn no_path_escapes_the_document_root() {
    let server = ServerGuard::start(&TestConfig::default());
    let attempts = [
        "/../secret.txt",
        "/../../../../../../etc/passwd",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/./../secret.txt",
        "/sub/..%2f..%2fsecret.txt",
        "/..\\secret.txt",
    ];
    for path in attempts {
        let response = exchange(server.port(), &request_bytes("GET", path, true))
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let body = response.text();
        assert!(
            matches!(response.status, 400 | 403 | 404),
            "GET {path} answered {}: {body:?}",
            response.status
        );
        assert!(
            !body.contains(SECRET.trim()) && !body.contains("root:"),
            "GET {path} leaked a file: {body:?}"
        );
    }
    assert_eq!(
        server.get("/hello.txt").text(),
        HELLO_TXT,
        "not serving after the attempts"
    );
}

#[test]
fn directory_without_slash_redirects() {
    let server = ServerGuard::start(&TestConfig::default());
    let response = server.get("/sub");
    assert_eq!(response.status, 301, "{response:?}");
    let location = response.header("location").expect("Location header");
    assert!(location.ends_with("/sub/"), "Location: {location}");
}

#[test]
fn head_has_the_headers_of_get_and_no_body() {
    let server = ServerGuard::start(&TestConfig::default());
    let mut conn = Connection::open(server.port()).expect("connect");
    let head = conn.request("HEAD", "/index.html").expect("HEAD");
    // A body after the HEAD response would break the next response on the same connection.
    let get = conn.request("GET", "/index.html").expect("GET after HEAD");
    assert_eq!(head.status, 200);
    assert_eq!(get.status, 200);
    assert_eq!(get.text(), INDEX_HTML, "GET after HEAD got a stray body");
    for name in ["content-type", "content-length", "last-modified"] {
        assert!(head.header(name).is_some(), "HEAD lacks {name}");
        assert_eq!(
            head.header(name),
            get.header(name),
            "{name} differs between HEAD and GET"
        );
    }
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let server = ServerGuard::start(&single_child());
    let mut conn = Connection::open(server.port()).expect("connect");
    for i in 0..5 {
        let response = conn
            .request("GET", "/index.html")
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(response.status, 200, "request {i}");
        assert_eq!(response.text(), INDEX_HTML, "request {i}");
        assert!(!response.closes(), "request {i} closed the connection");
    }
    assert_eq!(conn.responses, 5);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = ServerGuard::start(&TestConfig::default());
    let mut conn = Connection::open(server.port()).expect("connect");
    // Pipelined: two requests in one write, two responses in order.
    let mut both = request_bytes("GET", "/hello.txt", false);
    both.extend(request_bytes("GET", "/index.html", true));
    conn.send_raw(&both).expect("pipelined requests");
    assert_eq!(conn.read(false).expect("first pipelined").text(), HELLO_TXT);
    let last = conn.read(false).expect("second pipelined");
    assert_eq!(last.text(), INDEX_HTML);
    assert!(last.closes(), "Connection: close not honoured");
    assert!(
        conn.closed_by_server(),
        "connection left open after Connection: close"
    );
}
