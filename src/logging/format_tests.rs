use super::*;

const COMMON: &str = "%h %l %u %t \"%r\" %>s %b";
const COMBINED: &str = "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"";

fn headers() -> Vec<httparse::Header<'static>> {
    vec![
        httparse::Header {
            name: "Host",
            value: b"Example.ORG:8080",
        },
        httparse::Header {
            name: "User-Agent",
            value: b"curl/8.0 \"quoted\"",
        },
        httparse::Header {
            name: "Cookie",
            value: b"a=1; session=xyz; b=2",
        },
        httparse::Header {
            name: "X-Bin",
            value: b"\x01\xff\\",
        },
    ]
}

fn record<'a>(hs: &'a [httparse::Header<'a>]) -> LogRecord<'a> {
    LogRecord {
        peer: "192.0.2.7:51234".parse().unwrap(),
        local: "127.0.0.1:8080".parse().unwrap(),
        remote_host: None,
        request_line: b"GET /a%20b/c.html?x=1 HTTP/1.1",
        method: b"GET",
        url_path: b"/a b/c.html",
        query: Some(b"x=1"),
        protocol: b"HTTP/1.1",
        request_headers: hs,
        response_head:
            b"HTTP/1.1 200 OK\r\nDate: x\r\nContent-Type: text/html\r\nETag: \"1-2\"\r\n\r\n",
        status: 200,
        body_bytes: 1024,
        bytes_in: 80,
        bytes_out: 1300,
        request_micros: 1_795_248_960_123_456,
        utc_offset: 0,
        zone: "UTC",
        duration: Duration::from_micros(2_345_678),
        keepalives: 3,
        conn_status: ConnStatus::KeepAlive,
        server_name: "www.example.org",
        host: Some("Example.ORG:8080"),
        pid: 4242,
        tid: 140_245_312_345_856,
        filename: b"/srv/www/a b/c.html",
    }
}

fn fmt_with(fmt: &str, tweak: impl FnOnce(&mut LogRecord<'_>)) -> String {
    let hs = headers();
    let mut r = record(&hs);
    tweak(&mut r);
    let mut out = Vec::new();
    LogFormat::compile(fmt).unwrap().format(&r, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn format_table() {
    type Tweak = fn(&mut LogRecord<'_>);
    let none: Tweak = |_| {};
    let cases: &[(&str, Tweak, &str)] = &[
        (
            COMMON,
            none,
            "192.0.2.7 - - [21/Nov/2026:08:16:00 +0000] \"GET /a%20b/c.html?x=1 HTTP/1.1\" 200 1024\n",
        ),
        (
            COMBINED,
            none,
            "192.0.2.7 - - [21/Nov/2026:08:16:00 +0000] \"GET /a%20b/c.html?x=1 HTTP/1.1\" 200 1024 \"-\" \"curl/8.0 \\\"quoted\\\"\"\n",
        ),
        (
            "%t",
            |r| r.utc_offset = -5 * 3600,
            "[21/Nov/2026:03:16:00 -0500]\n",
        ),
        ("%b|%B", |r| r.body_bytes = 0, "-|0\n"),
        (
            "%D %T %{ms}T %{us}T %{s}T",
            none,
            "2345678 2 2345 2345678 2\n",
        ),
        ("%{X-Bin}i", none, "\\x01\\xff\\\\\n"),
        ("%{x-missing}i", none, "-\n"),
        (
            "%{content-type}o|%{ETag}o|%{Nope}o",
            none,
            "text/html|\\\"1-2\\\"|-\n",
        ),
        ("%m %U %q %H", none, "GET /a b/c.html ?x=1 HTTP/1.1\n"),
        (
            "%U",
            |r| r.url_path = b"/caf\xc3\xa9/\"q\"",
            "/caf\\xc3\\xa9/\\\"q\\\"\n",
        ),
        ("[%q]", |r| r.query = Some(b""), "[?]\n"),
        ("[%q]", |r| r.query = None, "[]\n"),
        (
            "%v %V %p %{local}p %{remote}p %{canonical}p %{Local}p",
            none,
            "www.example.org example.org 80 8080 51234 80 8080\n",
        ),
        (
            "%p %{canonical}p",
            |r| r.server_name = "www.example.org:8443",
            "8443 8443\n",
        ),
        (
            "%{bogus}p %{bogus}P %{bogus}T %{MS}T",
            none,
            "bogus bogus bogus 2345\n",
        ),
        ("%{tid}P %{hextid}P", none, "140245312345856 7f8d68061700\n"),
        ("%{Date}o %{Server}o", none, "- -\n"),
        (
            "%{Content-Type}o",
            |r| {
                r.response_head =
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n"
            },
            "text/html\n",
        ),
        (
            "%{Content-Type}o",
            |r| {
                r.response_head =
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html;charset=ISO-8859-1\r\n\r\n"
            },
            "text/html\n",
        ),
        ("%{SESSION}C %{b}C", none, "xyz 2\n"),
        ("%{x}C", |r| r.request_headers = &[], "-\n"),
        ("%!!200{Host}i %!!404{Host}i", none, "Example.ORG:8080 -\n"),
        ("%{X}^ti %{X}^to", none, "- -\n"),
        ("a\\rb\\qc\\\\d", none, "a\rb\\qc\\d\n"),
        ("%V", |r| r.host = None, "www.example.org\n"),
        (
            "%a %{c}a %A %h",
            none,
            "192.0.2.7 192.0.2.7 127.0.0.1 192.0.2.7\n",
        ),
        (
            "%h",
            |r| r.remote_host = Some("client.example"),
            "client.example\n",
        ),
        (
            "%a",
            |r| r.peer = "[2001:db8::1]:9".parse().unwrap(),
            "2001:db8::1\n",
        ),
        ("%P %{pid}P", none, "4242 4242\n"),
        ("%X", none, "+\n"),
        ("%X", |r| r.conn_status = ConnStatus::Close, "-\n"),
        ("%X", |r| r.conn_status = ConnStatus::Aborted, "X\n"),
        ("%I %O %S %k", none, "80 1300 1380 3\n"),
        ("%f", none, "/srv/www/a b/c.html\n"),
        ("%{session}C %{nope}C", none, "xyz -\n"),
        ("%l %u %e %R", none, "- - - -\n"),
        ("%s %>s %<s", |r| r.status = 404, "404 404 404\n"),
        ("100%% done", none, "100% done\n"),
        ("%400,501{User-Agent}i", none, "-\n"),
        ("%200,304{User-Agent}i", none, "curl/8.0 \\\"quoted\\\"\n"),
        ("%!200{User-Agent}i", none, "-\n"),
        ("%!404{Host}i", none, "Example.ORG:8080\n"),
        ("\"%r\"", |r| r.request_line = b"", "\"-\"\n"),
        (
            "%r",
            |r| r.request_line = b"GET /\x1b[31m \"x\"",
            "GET /\\x1b[31m \\\"x\\\"\n",
        ),
        (
            "%{sec}t %{msec}t %{usec}t",
            none,
            "1795248960 1795248960123 1795248960123456\n",
        ),
        ("%{msec_frac}t %{usec_frac}t", none, "123 123456\n"),
        (
            "%{end:sec}t %{begin:usec_frac}t",
            none,
            "1795248962 123456\n",
        ),
        (
            "%{%Y-%m-%d %H:%M:%S %z %Z}t",
            none,
            "2026-11-21 08:16:00 +0000 UTC\n",
        ),
        (
            "%{end:%H:%M:%S}t %{begin:%s}t",
            none,
            "08:16:02 1795248960\n",
        ),
        ("%{begin}t", none, "[21/Nov/2026:08:16:00 +0000]\n"),
        ("%{end}t", none, "[21/Nov/2026:08:16:02 +0000]\n"),
        ("%{begin:}t", none, "[21/Nov/2026:08:16:00 +0000]\n"),
        (
            "%{end:msec}t %{end:msec_frac}t",
            none,
            "1795248962469 469\n",
        ),
        ("%{msecs}t|%{beginx}t", none, "msecs|beginx\n"),
        (
            "%{%a %d %b %Y %H:%M %Z}t",
            |r| {
                r.utc_offset = 3600;
                r.zone = "CET";
            },
            "Sat 21 Nov 2026 09:16 CET\n",
        ),
        ("a\\tb\\nc", none, "a\tb\nc\n"),
    ];
    for &(fmt, tweak, want) in cases {
        assert_eq!(fmt_with(fmt, tweak), want, "format {fmt:?}");
    }
}

#[test]
fn compile_errors() {
    let cases: &[(&str, &str)] = &[
        ("%Z", "unrecognized log_format directive %Z"),
        ("%", "ends in the middle"),
        ("%{Referer", "unterminated"),
        ("%i", "needs a {header} argument"),
        ("%^xx", "unrecognized log_format directive %^"),
    ];
    for &(fmt, want) in cases {
        let err = LogFormat::compile(fmt).unwrap_err();
        assert!(err.contains(want), "{fmt}: {err}");
    }
}

#[test]
fn uses_pid_only_with_percent_p() {
    assert!(!LogFormat::compile(COMBINED).unwrap().uses_pid());
    assert!(LogFormat::compile("%P").unwrap().uses_pid());
}

#[test]
fn writes_whole_lines() {
    use crate::logging::access::AccessLog;
    let path = std::env::temp_dir().join(format!("access-log-test-{}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    let log = AccessLog::new(LogFormat::compile(COMMON).unwrap(), file);
    log.write_line(b"one\n").unwrap();
    log.write_line(b"two\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn buffered_lines_reach_the_file_on_flush_and_drop() {
    use crate::logging::access::{AccessLog, flush_buffered};
    let _turn = crate::logging::buffer::TEST_SERIAL
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let path = std::env::temp_dir().join(format!("access-log-buf-{}", std::process::id()));
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap()
    };
    let log = AccessLog::with_buffering(LogFormat::compile(COMMON).unwrap(), open(), true);
    log.write_line(b"one\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    flush_buffered();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\n");
    log.write_line(b"two\n").unwrap();
    drop(log);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
    std::fs::remove_file(&path).unwrap();
}
