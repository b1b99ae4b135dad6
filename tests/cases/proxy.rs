//! The reverse proxy (issue 6) against real backends started by the test (`proxy_backend.rs`):
//! `[[proxy]]` rules, header rewriting, bodies both ways, pooled backend connections, `acquire`
//! exhaustion, error state shared by every child and its `retry` expiry, stale pooled
//! connections. prefork, worker and event are each exercised.

use std::time::Duration;

use super::proxy_backend::{Backend, ok};
use crate::common::http::{Connection, KeepAliveClient, exchange, get, request_bytes};
use crate::common::{ServerGuard, TestConfig, wait_until};

fn proxy_rule(path: &str, url: &str, extra: &str) -> String {
    format!("[[proxy]]\npath = \"{path}\"\nurl = \"{url}\"\n{extra}\n")
}

const WORKER: &str = "module = \"worker\"\nstart_servers = 1\nmin_spare_threads = 1\n\
max_spare_threads = 8\nthreads_per_child = 4\nserver_limit = 1\nmax_request_workers = 4\n";
const EVENT: &str = "module = \"event\"\nstart_servers = 2\nmin_spare_threads = 1\n\
max_spare_threads = 16\nthreads_per_child = 4\nserver_limit = 2\nmax_request_workers = 8\n";

#[test]
fn prefix_rules_exclusions_and_headers_prefork() {
    let b = Backend::start(|s| {
        if s.request_line().contains("/redirect") {
            let loc = format!(
                "Location: http://{}/back/next",
                s.header("host").unwrap_or_default()
            );
            format!("HTTP/1.1 302 Found\r\n{loc}\r\nContent-Length: 0\r\n\r\n").into_bytes()
        } else {
            ok(&format!("backend saw {}", s.request_line()))
        }
    });
    let sections = format!(
        "{}{}",
        proxy_rule("/app/static", "!", ""),
        proxy_rule("/app", &b.url("/back"), "")
    );
    let server = ServerGuard::start(&TestConfig::default().sections(&sections));
    let port = server.port();

    let r = get(port, "/app/x?q=1");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "backend saw GET /back/x?q=1 HTTP/1.1");
    assert_eq!(r.header("x-backend"), Some("yes"));
    assert_eq!(get(port, "/app").text(), "backend saw GET /back HTTP/1.1");
    // Not a prefix match on a component: /appx is the document tree's.
    assert_eq!(get(port, "/appx").status, 404);
    // Excluded: the document tree answers.
    server.write_doc("app/static/s.txt", "static file\n");
    assert_eq!(get(port, "/app/static/s.txt").text(), "static file\n");
    // ProxyPassReverse on the redirect (the URL names the request's Host).
    let raw = format!("GET /app/redirect HTTP/1.1\r\nHost: front.test:{port}\r\n\r\n");
    let r = exchange(port, raw.as_bytes()).unwrap();
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some(format!("http://front.test:{port}/app/next").as_str())
    );
    // Header rewriting.
    let raw = format!(
        "GET /app/h HTTP/1.1\r\nHost: front.test:{port}\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n\
         Keep-Alive: 5\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: x\r\n\
         X-Forwarded-For: 10.9.8.7\r\nCookie: c=1\r\n\r\n"
    );
    assert_eq!(exchange(port, raw.as_bytes()).unwrap().status, 200);
    let seen = b.seen();
    let h = seen
        .iter()
        .find(|s| s.request_line().starts_with("GET /back/h "))
        .expect("header request forwarded");
    assert_eq!(h.header("host"), Some(b.addr.to_string()));
    assert_eq!(
        h.header("x-forwarded-for").as_deref(),
        Some("10.9.8.7, 127.0.0.1")
    );
    assert_eq!(
        h.header("x-forwarded-host"),
        Some(format!("front.test:{port}"))
    );
    assert!(h.header("x-forwarded-server").is_some());
    assert_eq!(h.header("cookie").as_deref(), Some("c=1"));
    for gone in ["x-hop", "keep-alive", "te", "upgrade", "proxy-connection"] {
        assert_eq!(h.header(gone), None, "{gone} was forwarded:\n{}", h.head);
    }
    // Our own, as Apache 2.4 sends it to a backend it keeps connections to.
    assert_eq!(h.header("connection").as_deref(), Some("Keep-Alive"));
    // The access log has the proxied requests with their status and body bytes.
    assert!(wait_until(Duration::from_secs(10), || server
        .access_log()
        .contains("GET /app/x?q=1 HTTP/1.1\" 200 36")));
}

#[test]
fn chunked_and_large_bodies_both_ways_worker() {
    let b = Backend::start(|s| {
        let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for part in s.body.chunks(100_000) {
            out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    });
    let cfg = TestConfig::default()
        .mpm(WORKER)
        .sections(&proxy_rule("/", &b.url("/"), ""));
    let server = ServerGuard::start(&cfg);
    let big: Vec<u8> = (0..(3 << 19) + 5).map(|i| (i % 249) as u8).collect();
    let mut conn = Connection::open(server.port()).unwrap();
    // Content-Length upload.
    let mut raw = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        big.len()
    )
    .into_bytes();
    raw.extend_from_slice(&big);
    conn.send_raw(&raw).unwrap();
    let r = conn.read(false).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(r.body == big, "echo of the 1.5 MiB body differs");
    // Chunked upload.
    let mut raw = b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for part in big.chunks(33_333) {
        raw.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        raw.extend_from_slice(part);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    conn.send_raw(&raw).unwrap();
    let r = conn.read(false).unwrap();
    assert!(r.body == big, "echo of the chunked body differs");
    let seen = b.seen();
    assert_eq!(
        seen[0].header("content-length"),
        Some(big.len().to_string())
    );
    assert_eq!(
        seen[1].header("transfer-encoding").as_deref(),
        Some("chunked")
    );
    assert_eq!(seen[1].body.len(), big.len());
}

#[test]
fn backend_connections_are_pooled_event() {
    let b = Backend::start(|_| ok(&"x".repeat(1024)));
    let cfg = TestConfig::default()
        .mpm(EVENT)
        .sections(&proxy_rule("/", &b.url("/"), ""));
    let server = ServerGuard::start(&cfg);
    let mut clients: Vec<KeepAliveClient> = (0..4)
        .map(|_| KeepAliveClient::new(server.port()))
        .collect();
    for i in 0..200 {
        let r = clients[i % 4].request("GET", "/one-k").unwrap();
        assert_eq!((r.status, r.body.len()), (200, 1024));
    }
    assert_eq!(b.seen().len(), 200);
    // At most threads_per_child (4) per child, 2 children.
    assert!(
        b.connections() <= 8,
        "{} backend connections for 200 requests",
        b.connections()
    );
}

#[test]
fn acquire_exhaustion_is_503_worker() {
    let b = Backend::start(|_| ok("late"));
    let cfg = TestConfig::default().mpm(WORKER).sections(&proxy_rule(
        "/",
        &b.url("/"),
        "max = 1\nacquire = 200\n",
    ));
    let server = ServerGuard::start(&cfg);
    b.hold();
    let port = server.port();
    let first = std::thread::spawn(move || get(port, "/slow"));
    assert!(wait_until(Duration::from_secs(10), || b.held() == 1));
    let r = get(port, "/other");
    assert_eq!(r.status, 503);
    assert_eq!(b.seen().len(), 1, "the second request reached the backend");
    b.release();
    assert_eq!(first.join().unwrap().text(), "late");
    assert_eq!(get(port, "/again").status, 200);
    assert!(wait_until(Duration::from_secs(10), || server
        .access_log()
        .contains("GET /other HTTP/1.1\" 503")));
}

#[test]
fn killed_backend_is_in_error_for_every_child_until_retry_prefork() {
    let b = Backend::start(|_| ok("alive"));
    let cfg = TestConfig::default()
        .mpm("start_servers = 4\nmin_spare_servers = 4\nmax_spare_servers = 8\n")
        .sections(&proxy_rule("/", &b.url("/"), "retry = 4\n"));
    let server = ServerGuard::start(&cfg);
    let port = server.port();
    assert!(wait_until(Duration::from_secs(10), || server
        .children()
        .len()
        >= 4));
    // Warm every child's pool a little.
    for _ in 0..8 {
        assert_eq!(get(port, "/").status, 200);
    }
    b.kill();
    assert_eq!(get(port, "/").status, 503);
    let back = b.restart();
    // The backend is back, but the worker is in error for 4 s for every child: fresh
    // connections (spread over the 4 children) are refused without connecting.
    for i in 0..12 {
        assert_eq!(get(port, "/").status, 503, "request {i} after the failure");
    }
    assert_eq!(
        back.connections(),
        0,
        "a child connected during the retry period"
    );
    // After the retry period one request tries again and succeeds; all children follow.
    assert!(wait_until(Duration::from_secs(15), || get(port, "/")
        .status
        == 200));
    for _ in 0..12 {
        assert_eq!(get(port, "/").status, 200);
    }
    assert!(server.error_log().contains("disabling worker"));
}

#[test]
fn stale_pooled_connections_are_replaced_event() {
    // The backend closes each connection after one response without announcing it.
    let b = Backend::start_closing(|_| ok("fresh"));
    let cfg = TestConfig::default()
        .mpm(EVENT)
        .sections(&proxy_rule("/", &b.url("/"), ""));
    let server = ServerGuard::start(&cfg);
    let mut client = KeepAliveClient::new(server.port());
    for _ in 0..30 {
        let r = client.request("GET", "/").unwrap();
        assert_eq!((r.status, r.text().as_str()), (200, "fresh"));
    }
    assert_eq!(b.connections(), 30);
}

#[test]
fn expect_continue_and_head_through_the_proxy() {
    let b = Backend::start(|s| {
        if s.request_line().starts_with("HEAD") {
            b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n".to_vec()
        } else {
            ok(&String::from_utf8_lossy(&s.body))
        }
    });
    let server =
        ServerGuard::start(&TestConfig::default().sections(&proxy_rule("/", &b.url("/"), "")));
    let mut conn = Connection::open(server.port()).unwrap();
    conn.send_raw(&request_bytes("HEAD", "/h", false)).unwrap();
    let r = conn.read(true).unwrap();
    assert_eq!(r.header("content-length"), Some("1234"));
    conn.send_raw(
        b"PUT /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    let interim = conn.read(false).unwrap();
    assert_eq!(interim.status, 100);
    conn.send_raw(b"hello").unwrap();
    assert_eq!(conn.read(false).unwrap().text(), "hello");
}

#[test]
fn location_require_comes_before_the_proxy_and_status_counts_connections() {
    let b = Backend::start(|_| ok("proxied"));
    let sections = format!(
        "[[location]]\npath = \"/server-status\"\nhandler = \"server-status\"\n\
         [[location]]\npath = \"/app/private\"\nrequire = [\"all denied\"]\n{}",
        proxy_rule("/app", &b.url("/"), "")
    );
    let server = ServerGuard::start(&TestConfig::default().sections(&sections));
    let port = server.port();
    assert_eq!(get(port, "/app/private/x").status, 403);
    let mut client = KeepAliveClient::new(port);
    for _ in 0..10 {
        assert_eq!(client.request("GET", "/app/x").unwrap().text(), "proxied");
    }
    assert_eq!(b.seen().len(), 10);
    let json = get(port, "/server-status?json").text();
    let at = json
        .find("\"proxy_workers\":[")
        .expect("proxy_workers in ?json");
    let workers = &json[at..];
    assert!(workers.contains("\"requests\":10,"), "{workers}");
    let opened = format!("\"connections_opened\":{},", b.connections());
    assert!(workers.contains(&opened), "{workers}");
}

#[test]
fn error_state_survives_a_graceful_restart() {
    let b = Backend::start(|_| ok("back"));
    let cfg = TestConfig::default().sections(&proxy_rule("/", &b.url("/"), "retry = 60\n"));
    let server = ServerGuard::start(&cfg);
    let port = server.port();
    assert_eq!(get(port, "/").status, 200);
    b.kill();
    assert_eq!(get(port, "/").status, 503);
    let back = b.restart();
    let old = server.children();
    let out = server.mpmd(&["-k", "graceful"]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    server.wait_log_count("graceful restart requested", 1);
    assert!(wait_until(Duration::from_secs(10), || {
        let now = server.children();
        !now.is_empty() && now.iter().all(|pid| !old.contains(pid))
    }));
    // The new generation's children see the worker in error (shared records matched by
    // name), so nothing reaches the backend that came back.
    for _ in 0..6 {
        assert_eq!(get(port, "/").status, 503);
    }
    assert_eq!(back.connections(), 0);
}
