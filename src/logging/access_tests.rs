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
        duration: Duration::from_micros(2_345_678),
        keepalives: 3,
        conn_status: ConnStatus::KeepAlive,
        server_name: "www.example.org",
        host: Some("Example.ORG:8080"),
        pid: 4242,
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
        ("%m %U %q %H", none, "GET /a%20b/c.html ?x=1 HTTP/1.1\n"),
        ("[%q]", |r| r.query = None, "[]\n"),
        (
            "%v %V %p %{local}p %{remote}p %{canonical}p",
            none,
            "www.example.org example.org 8080 8080 51234 8080\n",
        ),
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
        ("%{%Y}t", "strftime formats are not supported yet"),
        ("%{min}T", "unit must be s, ms or us"),
        ("%{tid}P", "not supported yet"),
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
