//! `serve_connection` over real loopback sockets against a temporary document root.

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::http::test_support::*;
use crate::http::{ConnEnd, Phase, Site};

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: h:80\r\n\r\n").into_bytes()
}

pub(crate) const NOT_FOUND_BODY: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n\
<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n\
<p>The requested URL was not found on this server.</p>\n</body></html>\n";

#[test]
fn get_then_head_on_one_connection() {
    let ts = TestSite::new("get");
    let mut h = Harness::start(ts.site());
    h.send(&get("/index.html"));
    let r = h.response(false);
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(r.body, vec![b'x'; 1024]);
    assert_eq!(r.header("content-length"), Some("1024"));
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(
        r.header("server"),
        Some(format!("mpmd/{} (Unix)", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert!(r.header("date").is_some_and(|d| d.ends_with(" GMT")));
    assert!(r.header("last-modified").is_some());
    let etag = r.header("etag").unwrap();
    assert!(etag.starts_with('"') || etag.starts_with("W/\""), "{etag}");
    assert!(etag.contains("400-"), "{etag}");
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("connection"), None);
    let lines: Vec<&str> = r
        .head
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        lines[1..8],
        [
            "Date",
            "Server",
            "Last-Modified",
            "ETag",
            "Accept-Ranges",
            "Content-Length",
            "Content-Type"
        ]
    );

    h.send(b"HEAD /index.html HTTP/1.1\r\nHost: h\r\n\r\n");
    let hr = h.response(true);
    assert_eq!(hr.status, 200);
    assert_eq!(hr.header("content-length"), Some("1024"));
    assert_eq!(hr.header("etag"), Some(etag));

    h.send(&get("/noext"));
    let n = h.response(false);
    assert_eq!(
        (n.status, n.header("content-type"), n.body.as_slice()),
        (200, None, &b"data"[..])
    );
    let (end, rec) = h.finish();
    assert!(matches!(end, ConnEnd::ClientClosed), "{end:?}");
    assert_eq!(
        rec.request_lines,
        vec![
            b"GET /index.html HTTP/1.1".to_vec(),
            b"HEAD /index.html HTTP/1.1".to_vec(),
            b"GET /noext HTTP/1.1".to_vec()
        ]
    );
    assert_eq!(rec.finished, vec![1024, 0, 4]);
    assert_eq!(
        rec.phases[..3],
        [Phase::Reading, Phase::Writing, Phase::KeepAlive]
    );
}

#[test]
fn errors_keep_the_connection_when_apache_does() {
    let ts = TestSite::new("errors");
    let mut h = Harness::start(ts.site());
    let cases: &[(&[u8], u16, Option<&str>)] = &[
        (b"GET /missing HTTP/1.1\r\nHost: h\r\n\r\n", 404, None),
        (b"GET /.htaccess HTTP/1.1\r\nHost: h\r\n\r\n", 403, None),
        (b"GET /dir/ HTTP/1.1\r\nHost: h\r\n\r\n", 403, None),
        (b"GET /sub HTTP/1.1\r\nHost: h:80\r\n\r\n", 301, None),
        (
            b"PUT /index.html HTTP/1.1\r\nHost: h\r\n\r\n",
            405,
            Some("GET,HEAD,POST,OPTIONS,TRACE"),
        ),
        (b"POST /missing HTTP/1.1\r\nHost: h\r\n\r\n", 404, None),
        (
            b"DELETE /missing HTTP/1.1\r\nHost: h\r\n\r\n",
            405,
            Some("GET,HEAD,POST,OPTIONS,TRACE"),
        ),
        (
            b"GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n",
            400,
            None,
        ),
    ];
    for &(req, status, allow) in cases {
        h.send(req);
        let r = h.response(false);
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(req));
        assert_eq!(r.header("allow"), allow);
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=iso-8859-1")
        );
        if status == 404 {
            assert_eq!(String::from_utf8(r.body.clone()).unwrap(), NOT_FOUND_BODY);
        }
        if status == 301 {
            assert_eq!(r.header("location"), Some("http://h/sub/"));
            assert!(
                String::from_utf8_lossy(&r.body).contains("<a href=\"http://h/sub/\">here</a>")
            );
        }
        if status == 400 {
            assert_eq!(r.header("connection"), Some("close"));
            assert!(h.read_to_close().is_empty());
            return;
        }
        assert_eq!(
            r.header("connection"),
            None,
            "{}",
            String::from_utf8_lossy(req)
        );
    }
    unreachable!("the 400 row ends the connection");
}

#[test]
fn index_options_trace_and_unknown_method() {
    let ts = TestSite::new("misc");
    let mut h = Harness::start(ts.site());
    h.send(b"GET /sub/ HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(h.response(false).body, b"<p>sub</p>\n");
    // (request, Allow, Content-Type): Apache names no methods for `*`, and gives the type of
    // what the path names (a missing name in an existing directory included).
    let allow = Some("GET,HEAD,POST,OPTIONS,TRACE");
    let options: &[(&[u8], Option<&str>, Option<&str>)] = &[
        (b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", None, None),
        (
            b"OPTIONS /index.html HTTP/1.1\r\nHost: h\r\n\r\n",
            allow,
            Some("text/html"),
        ),
        (
            b"OPTIONS /sub/ HTTP/1.1\r\nHost: h\r\n\r\n",
            allow,
            Some("text/html"),
        ),
        (
            b"OPTIONS /missing.txt HTTP/1.1\r\nHost: h\r\n\r\n",
            allow,
            Some("text/plain"),
        ),
        (
            b"OPTIONS /nodir/missing.txt HTTP/1.1\r\nHost: h\r\n\r\n",
            allow,
            None,
        ),
        (b"OPTIONS /missing HTTP/1.1\r\nHost: h\r\n\r\n", allow, None),
    ];
    for &(req, allow, ct) in options {
        h.send(req);
        let o = h.response(false);
        let got = (
            o.status,
            o.header("allow"),
            o.header("content-type"),
            o.header("content-length"),
        );
        assert_eq!(
            got,
            (200, allow, ct, Some("0")),
            "{}",
            String::from_utf8_lossy(req)
        );
    }
    // TRACE echoes the head as stored (folded lines joined), chunked to HTTP/1.1.
    h.send(b"TRACE /x HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  2\r\n\r\n");
    let t = h.response(false);
    assert_eq!(
        (
            t.status,
            t.header("content-type"),
            t.header("transfer-encoding")
        ),
        (200, Some("message/http"), Some("chunked"))
    );
    assert_eq!(t.body, b"TRACE /x HTTP/1.1\r\nHost: h\r\nX-A: 1 2\r\n\r\n");
    h.send(b"FOO /index.html HTTP/1.1\r\nHost: h\r\n\r\n");
    let f = h.response(false);
    assert_eq!((f.status, f.header("connection")), (501, Some("close")));
    assert!(
        String::from_utf8_lossy(&f.body).contains("<p>FOO not supported for current URL.<br />")
    );
    assert!(h.read_to_close().is_empty());
    assert!(matches!(h.wait_end().0, ConnEnd::ServerClosed));
}

#[test]
fn trace_disabled_is_405() {
    let mut ts = TestSite::new("notrace");
    ts.config.http.trace_enable = false;
    let mut h = Harness::start(ts.site());
    h.send(b"TRACE / HTTP/1.1\r\nHost: h\r\n\r\n");
    let r = h.response(false);
    assert_eq!(
        (r.status, r.header("allow")),
        (405, Some("GET,HEAD,POST,OPTIONS"))
    );
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let ts = TestSite::new("pipeline");
    let mut h = Harness::start(ts.site());
    let mut batch = get("/plain.txt");
    batch.extend_from_slice(b"HEAD /index.html HTTP/1.1\r\nHost: h\r\n\r\n");
    batch.extend_from_slice(b"POST /missing HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
    batch.extend_from_slice(b"POST /missing HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    batch.extend_from_slice(&get("/missing"));
    batch.extend_from_slice(&get("/sub/"));
    h.send(&batch);
    let got: Vec<u16> = [false, true, false, false, false, false]
        .iter()
        .map(|&ho| h.response(ho).status)
        .collect();
    assert_eq!(got, [200, 200, 404, 404, 404, 200]);
    let (_, rec) = h.finish();
    assert_eq!(rec.request_lines.len(), 6);
}

#[test]
fn keep_alive_max_and_http10() {
    let mut ts = TestSite::new("kamax");
    ts.config.http.max_keep_alive_requests = 2;
    let mut h = Harness::start(ts.site());
    let req = b"GET /plain.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    let mut seen = Vec::new();
    for _ in 0..3 {
        h.send(req);
        let r = h.response(false);
        seen.push((
            r.header("keep-alive").map(str::to_string),
            r.header("connection").map(str::to_string),
        ));
    }
    assert_eq!(
        seen,
        vec![
            (
                Some("timeout=5, max=2".to_string()),
                Some("Keep-Alive".to_string())
            ),
            (
                Some("timeout=5, max=1".to_string()),
                Some("Keep-Alive".to_string())
            ),
            (None, Some("close".to_string())),
        ]
    );
    assert!(h.read_to_close().is_empty());
    assert!(matches!(h.wait_end().0, ConnEnd::ServerClosed));

    let mut h = Harness::start(ts.site());
    h.send(b"GET /plain.txt HTTP/1.0\r\n\r\n");
    assert_eq!(h.response(false).header("connection"), Some("close"));
    assert!(h.read_to_close().is_empty());
}

#[test]
fn partial_request_times_out_with_408_and_idle_connection_silently() {
    let mut ts = TestSite::new("timeouts");
    ts.config.http.timeout = Duration::from_millis(200);
    ts.config.http.keep_alive_timeout = Duration::from_millis(100);
    let site = ts.site();
    let mut h = Harness::start(site.clone());
    h.send(b"GET /index.html HTTP/1.1\r\nHost: h");
    let r = h.response(false);
    assert_eq!((r.status, r.header("connection")), (408, Some("close")));
    assert!(h.read_to_close().is_empty());
    assert!(matches!(h.wait_end().0, ConnEnd::ReadTimeout));

    // Apache sends no 408 before the request line is complete.
    let mut h = Harness::start(site.clone());
    h.send(b"GET /index.html HT");
    assert!(h.read_to_close().is_empty());
    assert!(matches!(h.wait_end().0, ConnEnd::ReadTimeout));

    let mut h = Harness::start(site.clone());
    h.send(&get("/plain.txt"));
    assert_eq!(h.response(false).status, 200);
    assert!(
        h.read_to_close().is_empty(),
        "idle keep-alive closes without a response"
    );
    assert!(matches!(h.wait_end().0, ConnEnd::KeepAliveTimeout));

    let h = Harness::start(site);
    assert!(
        matches!(h.wait_end().0, ConnEnd::ReadTimeout),
        "a silent new connection is closed"
    );
}

#[test]
fn stopping_marks_the_next_response_as_last_but_never_drops_idle_requests() {
    let ts = TestSite::new("stopping");
    let mut h = Harness::start(ts.site());
    h.send(&get("/plain.txt"));
    assert_eq!(h.response(false).header("connection"), None);
    // Stop while idle: the connection stays open; the next request is still answered.
    h.stop.store(true, Ordering::SeqCst);
    h.send(&get("/plain.txt"));
    let r = h.response(false);
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(h.read_to_close().is_empty());
    assert!(matches!(h.wait_end().0, ConnEnd::ServerClosed));
}

#[test]
fn conditional_get_gives_304() {
    let ts = TestSite::new("cond");
    // Make the file old enough for a strong ETag.
    let f = std::fs::File::options()
        .write(true)
        .open(ts.config.files.document_root.join("plain.txt"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let mut h = Harness::start(ts.site());
    h.send(&get("/plain.txt"));
    let r = h.response(false);
    let etag = r.header("etag").unwrap().to_string();
    let lm = r.header("last-modified").unwrap().to_string();
    assert!(etag.starts_with('"'), "{etag}");
    h.send(
        format!("GET /plain.txt HTTP/1.1\r\nHost: h\r\nIf-None-Match: {etag}\r\n\r\n").as_bytes(),
    );
    let nm = h.response(false);
    assert_eq!(
        (nm.status, nm.header("etag"), nm.header("content-length")),
        (304, Some(etag.as_str()), None)
    );
    // Apache keeps Last-Modified on a 304 (and sends no Content-Type).
    assert_eq!(
        (nm.header("last-modified"), nm.header("content-type")),
        (Some(lm.as_str()), None)
    );
    h.send(
        format!("GET /plain.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: {lm}\r\n\r\n").as_bytes(),
    );
    assert_eq!(h.response(false).status, 304);
    // A 412 has the file's headers and no body: Content-Length 0, but a HEAD keeps the length.
    h.send(b"GET /plain.txt HTTP/1.1\r\nHost: h\r\nIf-Match: \"nope\"\r\n\r\n");
    let pf = h.response(false);
    assert_eq!(
        (
            pf.status,
            pf.header("content-length"),
            pf.header("etag"),
            pf.header("last-modified"),
            pf.header("content-type"),
        ),
        (
            412,
            Some("0"),
            Some(etag.as_str()),
            Some(lm.as_str()),
            Some("text/plain")
        )
    );
    h.send(b"HEAD /plain.txt HTTP/1.1\r\nHost: h\r\nIf-Match: \"nope\"\r\n\r\n");
    let hpf = h.response(true);
    assert_eq!((hpf.status, hpf.header("content-length")), (412, Some("6")));
    // POST: a matching If-None-Match fails the precondition instead of a 304.
    h.send(
        format!("POST /plain.txt HTTP/1.1\r\nHost: h\r\nIf-None-Match: {etag}\r\n\r\n").as_bytes(),
    );
    assert_eq!(h.response(false).status, 412);
    h.send(&get("/plain.txt"));
    assert_eq!(h.response(false).body, b"plain\n");
}

#[test]
fn all_send_paths_give_identical_bytes() {
    let ts = TestSite::new("sendpaths");
    let want = std::fs::read(ts.config.files.document_root.join("big.bin")).unwrap();
    for (mmap, sendfile) in [(true, false), (false, true), (false, false), (true, true)] {
        let mut config = ts.config.clone();
        config.http.enable_mmap = mmap;
        config.http.enable_sendfile = sendfile;
        let mut h = Harness::start(std::sync::Arc::new(Site::new(&config, None).unwrap()));
        for path in ["/big.bin", "/index.html", "/big.bin"] {
            h.send(&get(path));
            let r = h.response(false);
            let expect = if path == "/big.bin" {
                want.clone()
            } else {
                vec![b'x'; 1024]
            };
            assert!(r.body == expect, "mmap={mmap} sendfile={sendfile} {path}");
        }
    }
}

#[test]
fn access_log_line_per_request() {
    let mut ts = TestSite::new("log");
    ts.config.log.log_format = "%a \"%r\" %>s %b %X %k %U%q".to_string();
    let (site, path) = ts.site_with_log();
    let mut h = Harness::start(site);
    h.send(b"GET /index.html?a=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /missing HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    h.response(false);
    h.response(false);
    assert!(h.read_to_close().is_empty());
    h.wait_end();
    let log = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        log,
        "127.0.0.1 \"GET /index.html?a=1 HTTP/1.1\" 200 1024 + 0 /index.html?a=1\n\
         127.0.0.1 \"GET /missing HTTP/1.1\" 404 236 - 0 /missing\n"
    );
}

#[test]
fn scratch_survives_a_bad_connection_on_the_same_thread() {
    let ts = TestSite::new("reuse");
    let site = ts.site();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let mut ends = Vec::new();
        for _ in 0..2 {
            let (s, peer) = listener.accept().unwrap();
            let local = s.local_addr().unwrap();
            ends.push(crate::http::serve_connection(
                &site,
                s,
                peer,
                local,
                &mut Recorder::default(),
            ));
        }
        ends
    });
    let mut c1 = std::net::TcpStream::connect(addr).unwrap();
    c1.set_read_timeout(Some(WAIT)).unwrap();
    // A body cut short, pipelined bytes left over: none of it may leak into the next connection.
    c1.write_all(b"GET /plain.txt HTTP/1.1\r\nHost: h\r\n\r\nGET /x HTTP/1.1\r\nHost")
        .unwrap();
    assert_eq!(read_response(&mut c1, false).status, 200);
    drop(c1);
    let mut c2 = std::net::TcpStream::connect(addr).unwrap();
    c2.set_read_timeout(Some(WAIT)).unwrap();
    c2.write_all(&get("/index.html")).unwrap();
    let r = read_response(&mut c2, false);
    assert_eq!((r.status, r.body.len()), (200, 1024));
    drop(c2);
    let ends = server.join().unwrap();
    assert!(
        ends.iter().all(|e| matches!(e, ConnEnd::ClientClosed)),
        "{ends:?}"
    );
}

#[test]
fn signals_interrupting_reads_neither_drop_nor_end_the_connection() {
    use nix::sys::signal::{SigEvent, SigevNotify, Signal};
    use nix::sys::time::{TimeSpec, TimeValLike};
    use nix::sys::timer::{Expiration, Timer, TimerSetTimeFlags};
    use nix::time::ClockId;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    // A handled SIGUSR1 (as a child's graceful-restart signal is) makes blocking socket reads
    // with SO_RCVTIMEO fail with EINTR: they must be retried, not treated as errors.
    let delivered = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGUSR1, delivered.clone()).unwrap();
    let mut ts = TestSite::new("eintr");
    ts.config.http.keep_alive_timeout = Duration::from_millis(500);
    let site = ts.site();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        // Signal this thread (only) every 10 ms while it serves.
        let target = SigevNotify::SigevThreadId {
            signal: Signal::SIGUSR1,
            thread_id: nix::unistd::gettid().as_raw(),
            si_value: 0,
        };
        let mut timer = Timer::new(ClockId::CLOCK_MONOTONIC, SigEvent::new(target)).unwrap();
        let every = TimeSpec::milliseconds(10);
        timer
            .set(Expiration::Interval(every), TimerSetTimeFlags::empty())
            .unwrap();
        let (s, peer) = listener.accept().unwrap();
        let local = s.local_addr().unwrap();
        let end = crate::http::serve_connection(&site, s, peer, local, &mut Recorder::default());
        drop(timer);
        end
    });
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(WAIT)).unwrap();
    for _ in 0..3 {
        c.write_all(&get("/plain.txt")).unwrap();
        assert_eq!(read_response(&mut c, false).status, 200);
    }
    // Idle now: the keep-alive wait is interrupted ~50 times and must still end as a timeout.
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut c, &mut rest).unwrap();
    assert!(rest.is_empty());
    let end = server.join().unwrap();
    assert!(matches!(end, ConnEnd::KeepAliveTimeout), "{end:?}");
    assert!(delivered.load(Ordering::SeqCst));
}
