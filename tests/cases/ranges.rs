//! Byte ranges, conditional requests and buffered access logs over the real binary.

use std::time::{Duration, SystemTime};

use nix::sys::signal::Signal;

use crate::common::http::{Connection, exchange};
use crate::common::{HELLO_TXT, START_DEADLINE, ServerGuard, TestConfig, wait_until};

fn request(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n")
        .into_bytes()
}

/// `hello.txt` made an hour old, so its ETag and Last-Modified are strong validators.
fn aged(server: &ServerGuard) {
    let f = std::fs::File::options()
        .write(true)
        .open(server.docroot().join("hello.txt"))
        .unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

#[test]
fn single_multiple_unsatisfiable_and_ignored_ranges() {
    let server = ServerGuard::start(&TestConfig::default());
    let port = server.port();
    let get = |extra: &str| exchange(port, &request("/hello.txt", extra)).expect("exchange");

    let r = get("Range: bytes=0-4\r\n");
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(r.header("content-range"), Some("bytes 0-4/13"));
    assert_eq!(r.header("content-length"), Some("5"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.text(), "hello");

    let r = get("Range: bytes=-6\r\n");
    assert_eq!((r.status, r.text().as_str()), (206, "world\n"));

    let r = get("Range: bytes=0-1,7-11\r\n");
    assert_eq!(r.status, 206);
    let ct = r.header("content-type").unwrap().to_string();
    let boundary = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("{ct}"));
    assert!(
        boundary.bytes().all(|b| b.is_ascii_hexdigit()),
        "{boundary}"
    );
    let want = format!(
        "\r\n--{boundary}\r\nContent-type: text/plain\r\nContent-range: bytes 0-1/13\r\n\r\nhe\
         \r\n--{boundary}\r\nContent-type: text/plain\r\nContent-range: bytes 7-11/13\r\n\r\nworld\
         \r\n--{boundary}--\r\n"
    );
    assert_eq!(r.text(), want);
    assert_eq!(
        r.header("content-length"),
        Some(want.len().to_string().as_str())
    );

    // Overlapping ranges merge.
    let r = get("Range: bytes=0-3,2-4\r\n");
    assert_eq!(
        (r.status, r.header("content-range")),
        (206, Some("bytes 0-4/13"))
    );

    // Unsatisfiable: Apache's 416 page, no Content-Range.
    let r = get("Range: bytes=13-\r\n");
    assert_eq!(r.status, 416, "{r:?}");
    assert_eq!(r.header("content-range"), None);
    assert!(r.text().contains("None of the range-specifier values"));

    // Invalid syntax: the whole file.
    for spec in ["bytes=4-2", "bytes=abc", "bytes=0-1, 3-4", "pages=1"] {
        let r = get(&format!("Range: {spec}\r\n"));
        assert_eq!(
            (r.status, r.text().as_str()),
            (200, HELLO_TXT),
            "Range: {spec}"
        );
    }
}

#[test]
fn max_ranges_limits_and_none() {
    let server = ServerGuard::start(&TestConfig::default().http("max_ranges = 1\n"));
    let port = server.port();
    let r = exchange(port, &request("/hello.txt", "Range: bytes=0-1,5-6\r\n")).unwrap();
    assert_eq!((r.status, r.header("accept-ranges")), (200, Some("bytes")));
    let r = exchange(port, &request("/hello.txt", "Range: bytes=0-1\r\n")).unwrap();
    assert_eq!(r.status, 206);
    drop(server);

    let server = ServerGuard::start(&TestConfig::default().http("max_ranges = 0\n"));
    let r = exchange(
        server.port(),
        &request("/hello.txt", "Range: bytes=0-1\r\n"),
    )
    .unwrap();
    assert_eq!((r.status, r.header("accept-ranges")), (200, Some("none")));
}

#[test]
fn if_range_and_conditionals() {
    let server = ServerGuard::start(&TestConfig::default());
    aged(&server);
    let port = server.port();
    let get = |extra: &str| exchange(port, &request("/hello.txt", extra)).expect("exchange");
    let first = get("");
    let etag = first.header("etag").unwrap().to_string();
    let lm = first.header("last-modified").unwrap().to_string();
    assert!(etag.starts_with('"'), "{etag}");

    let ranged = |if_range: &str| get(&format!("Range: bytes=0-4\r\nIf-Range: {if_range}\r\n"));
    assert_eq!(ranged(&etag).status, 206);
    assert_eq!(ranged(&lm).status, 206);
    assert_eq!(ranged("\"other\"").status, 200);
    assert_eq!(ranged(&format!("W/{etag}")).status, 200);
    assert_eq!(ranged("Thu, 01 Jan 2015 00:00:00 GMT").status, 200);

    // 304 and 412 in Apache's order.
    let r = get(&format!("If-None-Match: {etag}\r\n"));
    assert_eq!((r.status, r.header("content-length")), (304, None));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(get(&format!("If-Modified-Since: {lm}\r\n")).status, 304);
    assert_eq!(
        get("If-Modified-Since: Thu, 01 Jan 2015 00:00:00 GMT\r\n").status,
        200
    );
    let r = get("If-Match: \"nope\"\r\n");
    assert_eq!(
        (r.status, r.header("content-length"), r.header("etag")),
        (412, Some("0"), Some(etag.as_str()))
    );
    assert_eq!(
        get("If-Unmodified-Since: Thu, 01 Jan 2015 00:00:00 GMT\r\n").status,
        412
    );
    assert_eq!(get(&format!("If-Unmodified-Since: {lm}\r\n")).status, 200);
    // If-Match passes, If-None-Match matches: 304.
    assert_eq!(
        get(&format!("If-Match: {etag}\r\nIf-None-Match: {etag}\r\n")).status,
        304
    );
    // A Range with If-Range is never answered 304.
    let r = get(&format!(
        "Range: bytes=0-4\r\nIf-Range: {etag}\r\nIf-None-Match: {etag}\r\n"
    ));
    assert_eq!(r.status, 206);
}

/// The document tree's per-directory features meet ranges and conditionals: an ErrorDocument's
/// file keeps its error status and its whole body whatever Range or validator the request
/// carries; a directory's mod_mime settings reach 206 heads and the multipart part heads.
#[test]
fn error_documents_and_per_directory_mime_with_ranges() {
    let cfg = TestConfig::default()
        .files("error_document = { \"404\" = \"/errors/404.html\" }\n")
        .sections(
            "[[directory]]\npath = \"htdocs/typed\"\n\
             add_charset = { \"UTF-8\" = [\".txt\"] }\nadd_language = { \"en\" = [\".txt\"] }\n",
        );
    let server = ServerGuard::start(&cfg);
    server.write_doc("errors/404.html", "<h1>custom</h1>\n");
    server.write_doc("typed/digits.txt", "0123456789");
    let port = server.port();
    let get = |path: &str, extra: &str| exchange(port, &request(path, extra)).expect("exchange");

    for extra in [
        "Range: bytes=0-3\r\n",
        "Range: bytes=0-1,5-6\r\n",
        "Range: bytes=100-\r\n",
        "If-None-Match: *\r\n",
        "If-Match: \"nope\"\r\n",
        "If-Modified-Since: Thu, 01 Jan 2037 00:00:00 GMT\r\n",
    ] {
        let r = get("/missing", extra);
        assert_eq!(
            (r.status, r.text().as_str()),
            (404, "<h1>custom</h1>\n"),
            "{extra}"
        );
        assert_eq!(r.header("content-range"), None, "{extra}");
        assert_eq!(r.header("content-length"), Some("16"), "{extra}");
    }

    let r = get("/typed/digits.txt", "Range: bytes=2-4\r\n");
    assert_eq!((r.status, r.text().as_str()), (206, "234"), "{r:?}");
    assert_eq!(r.header("content-range"), Some("bytes 2-4/10"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.header("content-language"), Some("en"));

    let r = get("/typed/digits.txt", "Range: bytes=0-1,8-9\r\n");
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(r.header("content-language"), Some("en"));
    let ct = r.header("content-type").unwrap().to_string();
    let boundary = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("{ct}"));
    let want = format!(
        "\r\n--{boundary}\r\nContent-type: text/plain; charset=utf-8\r\nContent-range: bytes 0-1/10\r\n\r\n01\
         \r\n--{boundary}\r\nContent-type: text/plain; charset=utf-8\r\nContent-range: bytes 8-9/10\r\n\r\n89\
         \r\n--{boundary}--\r\n"
    );
    assert_eq!(r.text(), want);
    assert_eq!(
        r.header("content-length"),
        Some(want.len().to_string().as_str())
    );

    let r = get("/typed/digits.txt", "If-Match: \"nope\"\r\n");
    assert_eq!((r.status, r.header("content-length")), (412, Some("0")));
}

/// An unsatisfiable range is an error like any other: the directory's ErrorDocument answers
/// it (Apache's byterange filter hands `ap_die` a 416), a local one with the 416 status and
/// its whole body, a message as the body; a generated listing is no different.
#[test]
fn unsatisfiable_range_gets_its_error_document() {
    let cfg = TestConfig::default()
        .files("error_document = { \"416\" = \"/errors/416.html\" }\n")
        .sections(
            "[[directory]]\npath = \"htdocs/said\"\noptions = \"+Indexes\"\n\
             error_document = { \"416\" = \"Out of range, sorry\" }\n",
        );
    let server = ServerGuard::start(&cfg);
    server.write_doc("errors/416.html", "<h1>no such bytes</h1>\n");
    server.write_doc("said/digits.txt", "0123456789");
    let port = server.port();
    let get =
        |path: &str| exchange(port, &request(path, "Range: bytes=100000-\r\n")).expect("exchange");

    let r = get("/hello.txt");
    assert_eq!(
        (r.status, r.text().as_str()),
        (416, "<h1>no such bytes</h1>\n"),
        "{r:?}"
    );
    assert_eq!(r.header("content-range"), None);
    assert_eq!(r.header("content-length"), Some("23"));

    for path in ["/said/digits.txt", "/said/"] {
        let r = get(path);
        assert_eq!(
            (r.status, r.text().as_str()),
            (416, "Out of range, sorry"),
            "{path}"
        );
    }

    // A satisfiable range is untouched by it.
    let r = exchange(port, &request("/hello.txt", "Range: bytes=0-4\r\n")).unwrap();
    assert_eq!((r.status, r.text().as_str()), (206, "hello"));
}

fn buffered() -> TestConfig {
    TestConfig::default()
        .mpm("start_servers = 1\nmin_spare_servers = 1\nmax_spare_servers = 2\n")
        .log("buffered_logs = true\nlog_format = \"%>s %U %q\"\n")
}

/// Sends `n` requests on one keep-alive connection (`?tag-i`), reading every response.
fn burst(server: &ServerGuard, tag: &str, n: usize) {
    let mut conn = Connection::open(server.port()).expect("connect");
    for i in 0..n {
        let raw = format!("GET /hello.txt?{tag}-{i} HTTP/1.1\r\nHost: localhost\r\n\r\n");
        conn.send_raw(raw.as_bytes()).expect("send");
        assert_eq!(conn.read(false).expect("response").status, 200);
    }
}

fn logged(server: &ServerGuard, tag: &str) -> usize {
    server
        .access_log()
        .lines()
        .filter(|l| l.contains(&format!("?{tag}-")))
        .count()
}

#[test]
fn buffered_logs_survive_a_graceful_restart() {
    let server = ServerGuard::start(&buffered());
    burst(&server, "before", 20);
    // Graceful restart at once: the old child writes its lines as it leaves.
    server.signal(Signal::SIGUSR1);
    assert!(
        wait_until(START_DEADLINE, || logged(&server, "before") == 20),
        "lines lost over a graceful restart:\n{}",
        server.access_log()
    );
    burst(&server, "after", 5);
    assert!(wait_until(START_DEADLINE, || logged(&server, "after") == 5));
    let log = server.access_log();
    assert!(
        log.lines().all(|l| l.starts_with("200 /hello.txt ?")),
        "{log}"
    );
}

#[test]
fn buffered_logs_survive_a_stop() {
    // A daemon, so `-k stop` can see the master go (a foreground master would wait for this
    // test to reap it).
    let mut server = ServerGuard::start_daemon(&buffered());
    burst(&server, "stop", 30);
    let out = server.mpmd(&["-k", "stop"]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    server.forget_processes();
    assert_eq!(logged(&server, "stop"), 30, "{}", server.access_log());
}

#[test]
fn buffered_logs_reach_the_file_while_the_server_idles() {
    let server = ServerGuard::start(&buffered());
    burst(&server, "idle", 3);
    assert!(
        wait_until(START_DEADLINE, || logged(&server, "idle") == 3),
        "an idle child never wrote its lines:\n{}",
        server.access_log()
    );
}
