//! Ranges, conditionals, listings and buffered logs through `serve_connection` over loopback.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::Site;
use crate::http::test_support::*;

fn get_with(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: h\r\n{extra}\r\n").into_bytes()
}

/// The bytes of `big.bin` (`i % 251`).
fn big() -> Vec<u8> {
    (0..200 * 1024).map(|i| (i % 251) as u8).collect()
}

/// Reads a whole chunked body after its head.
fn read_chunked(h: &mut Harness) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            h.client.read_exact(&mut b).unwrap();
            line.push(b[0]);
        }
        let size = usize::from_str_radix(std::str::from_utf8(&line[..line.len() - 2]).unwrap(), 16)
            .unwrap();
        let mut chunk = vec![0u8; size + 2];
        h.client.read_exact(&mut chunk).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

fn sites(ts: &TestSite) -> Vec<(String, Arc<Site>)> {
    [(true, false), (false, true), (false, false)]
        .into_iter()
        .map(|(mmap, sendfile)| {
            let mut config = ts.config.clone();
            config.http.enable_mmap = mmap;
            config.http.enable_sendfile = sendfile;
            (
                format!("mmap={mmap} sendfile={sendfile}"),
                Arc::new(Site::new(&config, None).unwrap()),
            )
        })
        .collect()
}

#[test]
fn single_ranges_are_identical_on_every_send_path() {
    let ts = TestSite::new("ranges");
    let want = big();
    let len = want.len() as u64;
    let cases: &[(&str, u64, u64)] = &[
        ("bytes=0-0", 0, 0),
        ("bytes=100-199", 100, 199),
        ("bytes=65530-65545", 65530, 65545),
        ("bytes=70000-", 70000, len - 1),
        ("bytes=-1000", len - 1000, len - 1),
        ("bytes=0-", 0, len - 1),
        ("bytes=204700-999999", 204700, len - 1),
    ];
    for (name, site) in sites(&ts) {
        let mut h = Harness::start(site);
        for &(spec, start, end) in cases {
            h.send(&get_with("/big.bin", &format!("Range: {spec}\r\n")));
            let r = h.response(false);
            assert_eq!(r.status, 206, "{name} {spec}: {}", r.head);
            assert_eq!(
                r.header("content-range"),
                Some(format!("bytes {start}-{end}/{len}").as_str()),
                "{name} {spec}"
            );
            assert!(
                r.body == want[start as usize..=end as usize],
                "{name} {spec}: wrong bytes"
            );
        }
        // The small, mapped file too.
        h.send(&get_with("/index.html", "Range: bytes=1000-\r\n"));
        let r = h.response(false);
        assert_eq!((r.status, r.body.len()), (206, 24), "{name}");
    }
}

#[test]
fn multipart_bodies_are_identical_on_every_send_path() {
    let ts = TestSite::new("multipart");
    let want = big();
    let ranges: &[(usize, usize)] = &[(0, 9), (65530, 65545), (150_000, 150_999)];
    let spec = ranges
        .iter()
        .map(|(a, b)| format!("{a}-{b}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut bodies = Vec::new();
    for (name, site) in sites(&ts) {
        let boundary = site.multipart_boundary().to_string();
        let mut h = Harness::start(site);
        h.send(&get_with("/big.bin", &format!("Range: bytes={spec}\r\n")));
        let r = h.response(false);
        assert_eq!(r.status, 206, "{name}");
        assert_eq!(
            r.header("content-type"),
            Some(format!("multipart/byteranges; boundary={boundary}").as_str())
        );
        let mut expect = Vec::new();
        for &(a, b) in ranges {
            expect.extend_from_slice(
                format!(
                    "\r\n--{boundary}\r\nContent-type: application/octet-stream\r\nContent-range: bytes {a}-{b}/{}\r\n\r\n",
                    want.len()
                )
                .as_bytes(),
            );
            expect.extend_from_slice(&want[a..=b]);
        }
        expect.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        assert!(r.body == expect, "{name}: multipart body");
        // Each site has its own random boundary, whose hex may be shorter (no leading zeros):
        // compare the bodies with it taken out.
        bodies.push(r.body.len() - (ranges.len() + 1) * boundary.len());
        // Over 32 ranges: chunked, same parts.
        let many: Vec<String> = (0..40).map(|i| format!("{0}-{0}", i * 1000)).collect();
        h.send(&get_with(
            "/big.bin",
            &format!("Range: bytes={}\r\n", many.join(",")),
        ));
        let r = h.response(true);
        assert_eq!(r.header("transfer-encoding"), Some("chunked"), "{name}");
        assert_eq!(r.header("content-length"), None);
        let body = read_chunked(&mut h);
        assert!(body.ends_with(format!("\r\n--{boundary}--\r\n").as_bytes()));
        assert_eq!(
            body.windows(15).filter(|w| w == b"Content-range: ").count(),
            40
        );
        // The connection is still usable.
        h.send(&get_with("/plain.txt", ""));
        assert_eq!(h.response(false).body, b"plain\n");
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn unsatisfiable_ignored_and_if_range() {
    let ts = TestSite::new("unsat");
    let mut h = Harness::start(ts.site());
    // 416: Apache's page, chunked, no Content-Range, the connection stays.
    h.send(&get_with("/plain.txt", "Range: bytes=99-\r\n"));
    let r = h.response(true);
    assert_eq!(r.status, 416, "{}", r.head);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.header("content-range"), None);
    let body = String::from_utf8(read_chunked(&mut h)).unwrap();
    assert!(
        body.contains("None of the range-specifier values"),
        "{body}"
    );
    // Invalid or over the limits: the whole file.
    for spec in ["bytes=5-2", "bytes=x", "bytes= 0-1", "items=0-1"] {
        h.send(&get_with("/plain.txt", &format!("Range: {spec}\r\n")));
        let r = h.response(false);
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"plain\n"[..]),
            "{spec}"
        );
    }
    // If-Range with a non-matching validator: the whole file.
    h.send(&get_with(
        "/plain.txt",
        "Range: bytes=0-1\r\nIf-Range: \"nope\"\r\n",
    ));
    assert_eq!(h.response(false).status, 200);
    // HEAD gets the ranged headers.
    h.send(b"HEAD /plain.txt HTTP/1.1\r\nHost: h\r\nRange: bytes=1-2\r\n\r\n");
    let r = h.response(true);
    assert_eq!(
        (
            r.status,
            r.header("content-length"),
            r.header("content-range")
        ),
        (206, Some("2"), Some("bytes 1-2/6"))
    );
}

#[test]
fn max_ranges_none_advertises_none_and_sends_whole_files() {
    let mut ts = TestSite::new("noranges");
    ts.config.http.max_ranges = 0;
    let mut h = Harness::start(ts.site());
    h.send(&get_with("/plain.txt", "Range: bytes=0-1\r\n"));
    let r = h.response(false);
    assert_eq!((r.status, r.header("accept-ranges")), (200, Some("none")));
}

#[test]
fn precondition_failed_and_not_modified_look_like_apaches() {
    let ts = TestSite::new("412");
    let f = std::fs::File::options()
        .write(true)
        .open(ts.config.files.document_root.join("plain.txt"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let mut h = Harness::start(ts.site());
    h.send(&get_with("/plain.txt", "If-Match: \"nope\"\r\n"));
    let r = h.response(false);
    let names: Vec<&str> = r
        .head
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(r.status, 412);
    assert_eq!(
        names,
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
    assert_eq!(r.header("content-length"), Some("0"));
    h.send(b"HEAD /plain.txt HTTP/1.1\r\nHost: h\r\nIf-Match: \"nope\"\r\n\r\n");
    let r = h.response(true);
    assert_eq!((r.status, r.header("content-length")), (412, Some("6")));
    h.send(&get_with("/plain.txt", "If-None-Match: *\r\n"));
    let r = h.response(false);
    let names: Vec<&str> = r
        .head
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(
        (r.status, names.as_slice()),
        (
            304,
            &["Date", "Server", "Last-Modified", "ETag", "Accept-Ranges"][..]
        )
    );
}

#[test]
fn listing_when_indexes_is_on_else_403() {
    let mut ts = TestSite::new("listing");
    let mut h = Harness::start(ts.site());
    h.send(&get_with("/dir/", ""));
    assert_eq!(h.response(false).status, 403);
    ts.config.files.options.indexes = true;
    std::fs::write(ts.config.files.document_root.join("dir/a b.txt"), b"x").unwrap();
    std::fs::write(ts.config.files.document_root.join("dir/.htsecret"), b"x").unwrap();
    let mut h = Harness::start(ts.site());
    h.send(&get_with("/dir/", ""));
    let r = h.response(false);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/html;charset=ISO-8859-1")
    );
    let page = String::from_utf8(r.body).unwrap();
    assert!(page.contains("<title>Index of /dir</title>"), "{page}");
    assert!(page.contains("<li><a href=\"/\"> Parent Directory</a></li>\n"));
    assert!(page.contains("<li><a href=\"a%20b.txt\"> a b.txt</a></li>\n"));
    assert!(!page.contains("htsecret"));
    h.send(b"HEAD /dir/ HTTP/1.1\r\nHost: h\r\n\r\n");
    let r = h.response(true);
    assert_eq!((r.status, r.header("content-length")), (200, None));
    h.send(&get_with("/dir/", "Range: bytes=0-8\r\n"));
    let r = h.response(false);
    assert_eq!((r.status, r.body.as_slice()), (206, &b"<!DOCTYPE"[..]));
    h.send(b"POST /dir/ HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(h.response(false).status, 404);
}

#[test]
fn buffered_lines_are_written_when_the_connection_idles() {
    let _turn = crate::logging::buffer::TEST_SERIAL
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let mut ts = TestSite::new("buffered");
    ts.config.log.buffered_logs = true;
    ts.config.log.log_format = "%>s %U".to_string();
    let (site, path) = ts.site_with_log();
    let mut h = Harness::start(site);
    h.send(&get_with("/plain.txt", ""));
    h.response(false);
    h.send(&get_with("/missing", ""));
    h.response(false);
    // Buffered at first; written once the connection has idled for a second.
    let deadline = Instant::now() + WAIT;
    let log = loop {
        let log = std::fs::read_to_string(&path).unwrap_or_default();
        if !log.is_empty() || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(log, "200 /plain.txt\n404 /missing\n");
    h.finish();
}
