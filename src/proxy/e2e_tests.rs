//! The proxy through the real keep-alive loop (`serve_connection`) against backends run by the
//! test on loopback threads, with hand-built configurations (no config parsing involved).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::{BackendUrl, DEFAULT_RETRY, ProxyConfig, ProxyRule, ProxyTarget, WorkerParams};
use crate::http::test_support::{Harness, TestSite, WAIT};

/// One request as the backend saw it.
#[derive(Debug, Clone)]
struct Seen {
    head: String,
    body: Vec<u8>,
    /// Requests that came before this one on its connection.
    nth: usize,
}

impl Seen {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

type Respond = dyn Fn(&Seen) -> Vec<u8> + Send + Sync;

/// A loopback HTTP/1.1 backend that records requests and counts connections.
struct Backend {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    conns: Arc<AtomicUsize>,
}

fn read_line(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if s.read(&mut b).ok()? == 0 {
            return None;
        }
        line.push(b[0]);
    }
    Some(line)
}

fn read_request(s: &mut TcpStream) -> Option<Seen> {
    let mut head = Vec::new();
    loop {
        let line = read_line(s)?;
        head.extend_from_slice(&line);
        if line == b"\r\n" {
            break;
        }
    }
    let mut seen = Seen {
        head: String::from_utf8(head).unwrap(),
        body: Vec::new(),
        nth: 0,
    };
    if seen
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    if let Some(n) = seen.header("content-length") {
        seen.body = vec![0; n.parse().unwrap()];
        s.read_exact(&mut seen.body).ok()?;
    } else if seen.header("transfer-encoding").is_some() {
        loop {
            let line = read_line(s)?;
            let size =
                usize::from_str_radix(std::str::from_utf8(&line[..line.len() - 2]).unwrap(), 16)
                    .unwrap();
            let mut chunk = vec![0; size + 2];
            s.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            seen.body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(seen)
}

impl Backend {
    fn start(respond: impl Fn(&Seen) -> Vec<u8> + Send + Sync + 'static) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let conns = Arc::new(AtomicUsize::new(0));
        let respond: Arc<Respond> = Arc::new(respond);
        let (seen2, conns2) = (seen.clone(), conns.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { return };
                conns2.fetch_add(1, Ordering::SeqCst);
                let (seen, respond) = (seen2.clone(), respond.clone());
                std::thread::spawn(move || {
                    s.set_read_timeout(Some(WAIT)).unwrap();
                    let mut nth = 0;
                    while let Some(mut req) = read_request(&mut s) {
                        req.nth = nth;
                        nth += 1;
                        seen.lock().unwrap().push(req.clone());
                        let resp = respond(&req);
                        if resp.is_empty() || s.write_all(&resp).is_err() {
                            return;
                        }
                        let text = String::from_utf8_lossy(&resp);
                        if text.contains("Connection: close") || text.contains("X-Then: close") {
                            return;
                        }
                    }
                });
            }
        });
        Backend { addr, seen, conns }
    }

    fn url(&self, path: &str) -> BackendUrl {
        BackendUrl {
            url: format!("http://{}{path}", self.addr),
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
            path: path.to_string(),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Backend: yes\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn rule(path: &str, target: ProxyTarget, worker: WorkerParams) -> ProxyRule {
    ProxyRule {
        path: path.into(),
        target,
        reverse: true,
        preserve_host: false,
        worker,
    }
}

fn params() -> WorkerParams {
    WorkerParams {
        retry: DEFAULT_RETRY,
        ..WorkerParams::default()
    }
}

fn site_with(rules: Vec<ProxyRule>) -> (TestSite, Arc<crate::http::Site>) {
    let mut t = TestSite::new("proxy");
    t.config.proxy = ProxyConfig {
        rules,
        balancers: vec![],
    };
    let site = t.site();
    (t, site)
}

#[test]
fn forwards_with_rewritten_headers_and_reuses_the_connection() {
    let b = Backend::start(|s| {
        if s.head.starts_with("GET /back/redirect") {
            let loc = "Location: http://backend.invalid/";
            format!("HTTP/1.1 302 Found\r\n{loc}\r\nContent-Length: 0\r\n\r\n").into_bytes()
        } else {
            ok("from backend")
        }
    });
    let mut url = b.url("/back/");
    url.url = "http://backend.invalid/".into();
    let mut real = b.url("/back/");
    real.url = format!("http://{}/back/", b.addr);
    let (_t, site) = site_with(vec![
        rule("/app/static", ProxyTarget::Exclude, params()),
        rule("/app/", ProxyTarget::Backend(real), params()),
        // Only for ProxyPassReverse of the redirect below (never matched: comes last).
        rule("/never/", ProxyTarget::Backend(url), params()),
    ]);
    let mut h = Harness::start(site);
    h.send(
        b"GET /app/x?q=1 HTTP/1.1\r\nHost: front.example:8080\r\nConnection: keep-alive, X-Hop\r\n\
X-Hop: 1\r\nTE: trailers\r\nX-Forwarded-For: 1.1.1.1\r\nAccept: */*\r\n\r\n",
    );
    let r = h.response(false);
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(r.body, b"from backend");
    assert_eq!(r.header("x-backend"), Some("yes"));
    assert_eq!(r.header("connection"), Some("Keep-Alive"));
    h.send(b"GET /app/redirect HTTP/1.1\r\nHost: front.example:8080\r\n\r\n");
    let r = h.response(false);
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("http://front.example:8080/never/")
    );
    // Excluded: the document tree answers (404 here).
    h.send(b"GET /app/static/x.css HTTP/1.1\r\nHost: f\r\n\r\n");
    assert_eq!(h.response(false).status, 404);
    let seen = b.seen();
    assert_eq!(seen.len(), 2);
    let first = &seen[0];
    assert!(
        first.head.starts_with("GET /back/x?q=1 HTTP/1.1\r\n"),
        "{}",
        first.head
    );
    assert_eq!(first.header("host"), Some(b.addr.to_string()));
    assert_eq!(
        first.header("x-forwarded-for").as_deref(),
        Some("1.1.1.1, 127.0.0.1")
    );
    assert_eq!(
        first.header("x-forwarded-host").as_deref(),
        Some("front.example:8080")
    );
    assert_eq!(
        first.header("x-forwarded-server").as_deref(),
        Some("test.example")
    );
    for gone in ["x-hop", "te"] {
        assert_eq!(first.header(gone), None, "{gone} forwarded");
    }
    assert_eq!(first.header("connection").as_deref(), Some("Keep-Alive"));
    assert_eq!(first.header("accept").as_deref(), Some("*/*"));
    assert_eq!(
        b.conns.load(Ordering::SeqCst),
        1,
        "backend connection reused"
    );
    drop(h.finish());
}

#[test]
fn bodies_both_ways_chunked_and_large() {
    let b = Backend::start(|s| {
        // Echo the body back, chunked, in 3 pieces.
        let mut out = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for part in s.body.chunks(s.body.len().div_ceil(3).max(1)) {
            out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    });
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(b.url("/")), params())]);
    let mut h = Harness::start(site);
    let big: Vec<u8> = (0..(1 << 20) + 17).map(|i| (i % 253) as u8).collect();
    // Content-Length upload of 1 MiB (streamed past the prefetch).
    let mut req = format!(
        "PUT /up HTTP/1.1\r\nHost: f\r\nContent-Length: {}\r\n\r\n",
        big.len()
    )
    .into_bytes();
    req.extend_from_slice(&big);
    h.send(&req);
    let r = h.response(false);
    assert_eq!(r.status, 201);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(r.body == big, "echoed body differs");
    // Chunked upload (small: sent with a Content-Length after the prefetch).
    h.send(b"POST /c HTTP/1.1\r\nHost: f\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    let r = h.response(false);
    assert_eq!(r.body, b"hello world");
    // Chunked upload of 1 MiB: forwarded chunked.
    let mut req = b"POST /c HTTP/1.1\r\nHost: f\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for part in big.chunks(70_000) {
        req.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        req.extend_from_slice(part);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    h.send(&req);
    let r = h.response(false);
    let first_diff = r.body.iter().zip(&big).position(|(a, b)| a != b);
    assert!(
        r.body == big,
        "chunked echo differs: {} bytes, want {}, first difference at {first_diff:?}",
        r.body.len(),
        big.len()
    );
    let seen = b.seen();
    assert_eq!(
        seen[0].header("content-length"),
        Some(big.len().to_string())
    );
    assert_eq!(seen[1].header("content-length").as_deref(), Some("11"));
    assert_eq!(
        seen[2].header("transfer-encoding").as_deref(),
        Some("chunked")
    );
    assert_eq!(b.conns.load(Ordering::SeqCst), 1);
    drop(h.finish());
}

#[test]
fn expect_100_continue_is_forwarded() {
    let b = Backend::start(|s| ok(&String::from_utf8_lossy(&s.body)));
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(b.url("/")), params())]);
    let mut h = Harness::start(site);
    h.send(b"POST /e HTTP/1.1\r\nHost: f\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    let interim = h.response(true);
    assert_eq!(interim.status, 100);
    h.send(b"data");
    let r = h.response(false);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"data"[..]));
    assert_eq!(
        b.seen()[0].header("expect").as_deref(),
        Some("100-continue")
    );
    drop(h.finish());
}

#[test]
fn body_until_close_is_rechunked_and_head_has_no_body() {
    let b = Backend::start(|s| {
        if s.head.starts_with("HEAD") {
            b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n".to_vec()
        } else {
            b"HTTP/1.0 200 OK\r\nX-Then: close\r\n\r\nuntil the end".to_vec()
        }
    });
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(b.url("/")), params())]);
    let mut h = Harness::start(site);
    h.send(b"GET / HTTP/1.1\r\nHost: f\r\n\r\n");
    let r = h.response(false);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.body, b"until the end");
    h.send(b"HEAD / HTTP/1.1\r\nHost: f\r\n\r\n");
    let r = h.response(true);
    assert_eq!(r.header("content-length"), Some("42"));
    // HTTP/1.0 client: delimited by the close.
    h.send(b"GET / HTTP/1.0\r\n\r\n");
    let all = h.read_to_close();
    let text = String::from_utf8_lossy(&all);
    assert!(text.ends_with("\r\n\r\nuntil the end"), "{text}");
    assert!(text.contains("Connection: close"), "{text}");
    drop(h.finish());
}

#[test]
fn refused_backend_is_503_then_in_error_state() {
    // A bound socket that never listens: the port stays ours and refuses connections.
    let reserved =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    reserved.bind(&any.into()).unwrap();
    let port = reserved.local_addr().unwrap().as_socket().unwrap().port();
    let url = BackendUrl {
        url: format!("http://127.0.0.1:{port}/dead/"),
        host: "127.0.0.1".into(),
        port,
        path: "/".into(),
    };
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(url), params())]);
    let worker = site.proxy().unwrap().workers()[0].shared;
    let mut h = Harness::start(site.clone());
    h.send(b"GET / HTTP/1.1\r\nHost: f\r\n\r\n");
    let r = h.response(false);
    assert_eq!(r.status, 503);
    assert!(worker.in_error());
    drop(h.finish());
    let mut h = Harness::start(site);
    h.send(b"GET / HTTP/1.1\r\nHost: f\r\n\r\n");
    assert_eq!(h.response(false).status, 503);
    drop(h.finish());
}

#[test]
fn stale_pooled_connection_is_replaced() {
    // The backend closes every connection right after answering, without saying so.
    let b = Backend::start(|_| {
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Then: close\r\n\r\nok".to_vec()
    });
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(b.url("/")), params())]);
    let mut h = Harness::start(site);
    for _ in 0..5 {
        h.send(b"GET / HTTP/1.1\r\nHost: f\r\n\r\n");
        let r = h.response(false);
        assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
    }
    assert_eq!(b.conns.load(Ordering::SeqCst), 5);
    drop(h.finish());
}

#[test]
fn backend_dying_mid_body_closes_the_client() {
    let b = Backend::start(|_| {
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nX-Then: close\r\n\r\nshort".to_vec()
    });
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(b.url("/")), params())]);
    let mut h = Harness::start(site);
    h.send(b"GET / HTTP/1.1\r\nHost: f\r\n\r\n");
    let all = h.read_to_close();
    assert!(String::from_utf8_lossy(&all).ends_with("short"));
    drop(h.finish());
}

#[test]
fn acquire_timeout_is_503() {
    let b = Backend::start(|_| ok("x"));
    let p = WorkerParams {
        max: Some(1),
        acquire: Some(Duration::from_millis(50)),
        ..params()
    };
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(b.url("/")), p)]);
    let proxy = site.proxy().unwrap();
    // Hold the only slot.
    let held = proxy.workers()[0].pool.acquire();
    assert!(held.is_some());
    let mut h = Harness::start(site.clone());
    h.send(b"GET / HTTP/1.1\r\nHost: f\r\n\r\n");
    assert_eq!(h.response(false).status, 503);
    drop(h.finish());
    site.proxy().unwrap().workers()[0].pool.release(None);
    let mut h = Harness::start(site.clone());
    h.send(b"GET / HTTP/1.1\r\nHost: f\r\n\r\n");
    assert_eq!(h.response(false).status, 200);
    drop(h.finish());
}

#[test]
fn reused_connection_closed_before_answering_is_retried_on_a_fresh_one() {
    // Each backend connection answers its first request, then reads the second and closes
    // without a byte: the pooled connection looked fine when it was peeked.
    let b = Backend::start(|s| if s.nth == 0 { ok("first") } else { Vec::new() });
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(b.url("/")), params())]);
    let mut h = Harness::start(site);
    for _ in 0..3 {
        h.send(b"POST / HTTP/1.1\r\nHost: f\r\nContent-Length: 3\r\n\r\nabc");
        let r = h.response(false);
        assert_eq!((r.status, r.body.as_slice()), (200, &b"first"[..]));
    }
    // Requests 2 and 3 each went out twice: on the reused connection, then on a new one.
    assert_eq!(b.conns.load(Ordering::SeqCst), 3);
    assert_eq!(b.seen().len(), 5);
    assert!(b.seen().iter().all(|s| s.body == b"abc"));
    drop(h.finish());
}

#[test]
fn disablereuse_closes_after_each_request() {
    let b = Backend::start(|_| ok("x"));
    let p = WorkerParams {
        disablereuse: true,
        ..params()
    };
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(b.url("/")), p)]);
    let mut h = Harness::start(site);
    for _ in 0..3 {
        h.send(b"GET / HTTP/1.1\r\nHost: f\r\n\r\n");
        assert_eq!(h.response(false).status, 200);
    }
    assert_eq!(b.conns.load(Ordering::SeqCst), 3);
    assert!(
        b.seen()
            .iter()
            .all(|s| s.header("connection").as_deref() == Some("close"))
    );
    drop(h.finish());
}

#[test]
fn backend_closing_without_answer_is_apaches_502() {
    let b = Backend::start(|_| Vec::new());
    let (_t, site) = site_with(vec![rule("/", ProxyTarget::Backend(b.url("/")), params())]);
    let mut h = Harness::start(site);
    h.send(b"GET /x HTTP/1.1\r\nHost: f\r\n\r\n");
    let r = h.response(false);
    // Byte for byte what Apache 2.4.71 sends (but Date and Server).
    assert!(
        r.head.starts_with("HTTP/1.1 502 Proxy Error\r\n"),
        "{}",
        r.head
    );
    assert_eq!(r.header("content-length"), Some("381"));
    let body = String::from_utf8(r.body).unwrap();
    assert_eq!(
        body,
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n\
<html><head>\n<title>502 Proxy Error</title>\n</head><body>\n<h1>Proxy Error</h1>\n\
<p>The proxy server received an invalid\r\nresponse from an upstream server.<br />\r\n\
The proxy server could not handle the request<p>Reason: <strong>Error reading from remote server</strong></p></p>\n\
</body></html>\n"
    );
    // The connection stays open, as Apache's does.
    h.send(b"GET /y HTTP/1.1\r\nHost: f\r\n\r\n");
    assert_eq!(h.response(false).status, 502);
    drop(h.finish());
}
