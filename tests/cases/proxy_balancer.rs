//! Balancers through the real server (issue 6): byrequests with factors 1:1:2 in Apache's
//! exact order (Debian's Apache 2.4.71 answers `c a b c c a b c` for this configuration),
//! sticky routing by cookie and by URL parameter, `nofailover`, hot standby only when the
//! others are down, and the balancer-manager page and `?auto` lines that count the choices.
//!
//! The backends are small HTTP/1.1 servers on threads (`Backend`), each answering its own
//! name; a stopped backend closes its listener and every connection it accepted, so the
//! next connect is refused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::common::http::exchange;
use crate::common::{ServerGuard, TestConfig};

/// A backend answering `name` to every request, with keep-alive.
struct Backend {
    name: &'static str,
    port: u16,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Backend {
    fn start(name: &'static str) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a backend");
        let port = listener.local_addr().expect("backend address").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let (hits, stop, conns) = (hits.clone(), stop.clone(), conns.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    if let Ok(clone) = stream.try_clone() {
                        conns.lock().unwrap().push(clone);
                    }
                    let hits = hits.clone();
                    std::thread::spawn(move || serve(stream, name, &hits));
                }
            })
        };
        Backend {
            name,
            port,
            hits,
            stop,
            conns,
            acceptor: Some(acceptor),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Closes the listener and every accepted connection: connects are refused from now on.
    fn stop(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept; it sees the flag and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        let _ = acceptor.join();
        for conn in self.conns.lock().unwrap().drain(..) {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One connection: requests (head, then a Content-Length body if any) answered with `name`
/// until the peer closes or goes quiet for 10 s.
fn serve(stream: TcpStream, name: &str, hits: &AtomicUsize) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut close = false;
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let lower = header.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("connection:") && lower.contains("close") {
                close = true;
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        hits.fetch_add(1, Ordering::SeqCst);
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{name}",
            name.len()
        );
        if writer.write_all(response.as_bytes()).is_err() || close {
            return;
        }
    }
}

/// A port nothing listens on (bound, then released).
fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// A `[[balancer.member]]` section.
fn member(url: &str, extra: &str) -> String {
    format!("[[balancer.member]]\nurl = \"{url}\"\n{extra}\n")
}

/// mpmd proxying `/app/` to `balancer://cluster` with these balancer keys and members, and
/// the balancer manager and status page on `/balancer-manager` and `/server-status`.
fn server(balancer_keys: &str, members: &[String]) -> ServerGuard {
    let sections = format!(
        "[[location]]\npath = \"/server-status\"\nhandler = \"server-status\"\n\
         [[location]]\npath = \"/balancer-manager\"\nhandler = \"balancer-manager\"\n\
         [[proxy]]\npath = \"/app/\"\nurl = \"balancer://cluster/\"\n\
         [[balancer]]\nname = \"cluster\"\n{balancer_keys}\n{}",
        members.concat()
    );
    ServerGuard::start(&TestConfig::default().sections(&sections))
}

/// `GET target` with extra header lines; (status, body).
fn get(server: &ServerGuard, target: &str, headers: &str) -> (u16, String) {
    let raw =
        format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n");
    let response = exchange(server.port(), raw.as_bytes())
        .unwrap_or_else(|e| panic!("GET {target}: {e}\n{}", server.error_log()));
    (response.status, response.text())
}

/// The bodies of `n` plain requests to `/app/`, concatenated.
fn sequence(server: &ServerGuard, n: usize) -> String {
    (0..n)
        .map(|_| {
            let (status, body) = get(server, "/app/", "");
            assert_eq!(status, 200, "{body}");
            body
        })
        .collect()
}

#[test]
fn byrequests_follows_apaches_order() {
    let backends = [
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("c"),
    ];
    let server = server(
        "lbmethod = \"byrequests\"",
        &[
            member(&backends[0].url(), "loadfactor = 1"),
            member(&backends[1].url(), "loadfactor = 1"),
            member(&backends[2].url(), "loadfactor = 2"),
        ],
    );
    assert_eq!(sequence(&server, 8), "cabccabc");
    assert_eq!(sequence(&server, 4), "cabc");
    let hits: Vec<usize> = backends.iter().map(Backend::hits).collect();
    assert_eq!(hits, [3, 3, 6]);
}

#[test]
fn byrequests_one_one_one_two() {
    let backends = [
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("c"),
        Backend::start("d"),
    ];
    let members: Vec<String> = backends
        .iter()
        .map(|b| member(&b.url(), if b.name == "d" { "loadfactor = 2" } else { "" }))
        .collect();
    let server = server("", &members);
    assert_eq!(sequence(&server, 10), "dabcddabcd");
}

#[test]
fn sticky_sessions_by_cookie_and_url() {
    let backends = [
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("c"),
    ];
    let members: Vec<String> = backends
        .iter()
        .zip(["n1", "n2", "n3"])
        .map(|(b, route)| member(&b.url(), &format!("route = \"{route}\"")))
        .collect();
    let server = server("stickysession = \"JSESSIONID|jsessionid\"", &members);
    for _ in 0..3 {
        assert_eq!(
            get(&server, "/app/", "Cookie: JSESSIONID=abc.n2\r\n"),
            (200, "b".into())
        );
    }
    assert_eq!(
        get(
            &server,
            "/app/",
            "Cookie: theme=dark; JSESSIONID=x.n3; lang=en\r\n"
        ),
        (200, "c".into())
    );
    assert_eq!(
        get(&server, "/app/page?jsessionid=abc.n1", ""),
        (200, "a".into())
    );
    // The URL parameter wins over the cookie.
    assert_eq!(
        get(
            &server,
            "/app/?jsessionid=abc.n3",
            "Cookie: JSESSIONID=abc.n1\r\n"
        ),
        (200, "c".into())
    );
    // An unknown route is balanced like no route at all.
    let (status, body) = get(&server, "/app/", "Cookie: JSESSIONID=abc.n9\r\n");
    assert_eq!(status, 200);
    assert!(["a", "b", "c"].contains(&body.as_str()), "{body}");
}

#[test]
fn nofailover_refuses_a_route_whose_member_is_down() {
    let backends = [Backend::start("a"), Backend::start("b")];
    let dead = format!("http://127.0.0.1:{}/", dead_port());
    let members = [
        member(&backends[0].url(), "route = \"n1\""),
        member(&dead, "route = \"n2\""),
        member(&backends[1].url(), "route = \"n3\""),
    ];
    let server = server(
        "stickysession = \"JSESSIONID\"\nnofailover = true",
        &members,
    );
    for _ in 0..2 {
        let (status, _) = get(&server, "/app/", "Cookie: JSESSIONID=abc.n2\r\n");
        assert_eq!(status, 503);
    }
    // Other routes and route-less requests are served by the live members.
    assert_eq!(
        get(&server, "/app/", "Cookie: JSESSIONID=abc.n3\r\n"),
        (200, "b".into())
    );
    for _ in 0..4 {
        let (status, body) = get(&server, "/app/", "");
        assert_eq!(status, 200);
        assert!(body == "a" || body == "b", "{body}");
    }
}

#[test]
fn without_nofailover_a_dead_route_fails_over() {
    let backend = Backend::start("a");
    let dead = format!("http://127.0.0.1:{}/", dead_port());
    let members = [
        member(&dead, "route = \"n1\""),
        member(&backend.url(), "route = \"n2\""),
    ];
    let server = server("stickysession = \"JSESSIONID\"", &members);
    for _ in 0..3 {
        assert_eq!(
            get(&server, "/app/", "Cookie: JSESSIONID=abc.n1\r\n"),
            (200, "a".into())
        );
    }
}

#[test]
fn hot_standby_only_when_the_others_are_down() {
    let mut backends = [
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("h"),
    ];
    let members = [
        member(&backends[0].url(), "disablereuse = true"),
        member(&backends[1].url(), "disablereuse = true"),
        member(&backends[2].url(), "status = \"+H\"\ndisablereuse = true"),
    ];
    let server = server("", &members);
    assert_eq!(sequence(&server, 6), "ababab");
    assert_eq!(backends[2].hits(), 0);
    backends[0].stop();
    assert_eq!(sequence(&server, 3), "bbb");
    assert_eq!(backends[2].hits(), 0);
    backends[1].stop();
    // The first request may try a dead member first; failover reaches the standby.
    assert_eq!(sequence(&server, 4), "hhhh");
    assert_eq!(backends[2].hits(), 4);
}

#[test]
fn manager_page_and_auto_lines_count_the_choices() {
    let backends = [
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("c"),
    ];
    let server = server(
        "",
        &[
            member(&backends[0].url(), "route = \"n1\""),
            member(&backends[1].url(), "route = \"n2\""),
            member(&backends[2].url(), "route = \"n3\"\nloadfactor = 2"),
        ],
    );
    assert_eq!(sequence(&server, 8), "cabccabc");
    let (status, page) = get(&server, "/balancer-manager", "");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("LoadBalancer Status for balancer://cluster"),
        "{page}"
    );
    for (b, elected, factor) in [(&backends[0], 2, "1.00"), (&backends[2], 4, "2.00")] {
        let row = format!(
            "<td>{}</td><td>n{}</td><td></td><td>{factor}</td><td>0</td><td>Init Ok </td><td>{elected}</td>",
            b.url(),
            if b.name == "a" { 1 } else { 3 }
        );
        assert!(page.contains(&row), "no {row} in\n{page}");
    }
    let (status, auto) = get(&server, "/server-status?auto", "");
    assert_eq!(status, 200);
    for line in [
        "ProxyBalancer[0]Name: balancer://cluster".to_owned(),
        format!("ProxyBalancer[0]Worker[2]Name: {}", backends[2].url()),
        "ProxyBalancer[0]Worker[2]Status: Init Ok ".to_owned(),
        "ProxyBalancer[0]Worker[2]Elected: 4".to_owned(),
        "ProxyBalancer[0]Worker[1]Elected: 2".to_owned(),
        "ProxyBalancer[0]Worker[1]Busy: 0".to_owned(),
    ] {
        assert!(auto.lines().any(|l| l == line), "no {line:?} in\n{auto}");
    }
}
