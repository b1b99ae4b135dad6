//! `/server-status` (issue 4): Apache's `?auto` lines and HTML page, `?json`, `?metrics`,
//! `require` on locations, methods, counters across child replacement and restarts, `mpmd -S`.
//! The external tools (prometheus-apache-exporter, promtool, Chromium) are in `status_tools.rs`.

use nix::sys::signal::Signal;

use crate::common::http::{self, exchange, request_bytes};
use crate::common::{START_DEADLINE, ServerGuard, TestConfig, exclusive, wait_until};

/// The default configuration's status location.
pub const STATUS_LOCATION: &str = "[[location]]\npath = \"/server-status\"\n\
handler = \"server-status\"\nrequire = [\"local\"]\n";

/// `?auto` of a real Apache 2.4 prefork, captured with `anchors.sh status`.
const APACHE_AUTO: &str = include_str!("../fixtures/apache-2.4.71-prefork-server-status-auto.txt");

/// Lines that Apache itself leaves out when there is no uptime, CPU time or request yet.
const CONDITIONAL: [&str; 5] = [
    "CPULoad",
    "ReqPerSec",
    "BytesPerSec",
    "BytesPerReq",
    "DurationPerReq",
];

pub fn status_server(extra: &str) -> ServerGuard {
    ServerGuard::start(&TestConfig::default().sections(&format!("{STATUS_LOCATION}{extra}")))
}

/// `Key: value` lines of an `?auto` body (the bare first line is skipped).
pub fn auto_fields(body: &str) -> Vec<(String, String)> {
    body.lines()
        .skip(1)
        .filter_map(|l| l.split_once(": ").or_else(|| l.split_once(':')))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn auto_value(body: &str, key: &str) -> String {
    auto_fields(body)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {key} in:\n{body}"))
}

/// A top-level or nested integer field of the `?json` body, by name (first occurrence).
/// The start of a long body, for failure messages.
pub fn head(body: &str) -> &str {
    &body[..body.len().min(900)]
}

pub fn json_number(body: &str, key: &str) -> u64 {
    let needle = format!("\"{key}\":");
    let at = body
        .find(&needle)
        .unwrap_or_else(|| panic!("no {key} in {}", head(body)));
    body[at + needle.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {}", head(body)))
}

#[test]
fn auto_has_apaches_lines_in_apaches_order() {
    let server = status_server("");
    for _ in 0..3 {
        assert_eq!(server.get("/index.html").status, 200);
    }
    // A child counts a request after it has answered it: poll until the three are counted.
    let mut r = server.get("/server-status?auto");
    wait_until(START_DEADLINE, || {
        r = server.get("/server-status?auto");
        r.status == 200
            && auto_value(&r.text(), "Total Accesses")
                .parse::<u64>()
                .unwrap()
                >= 3
    });
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; charset=ISO-8859-1")
    );
    let body = r.text();
    assert_eq!(body.lines().next(), Some("localhost"), "{body}");
    let apache: Vec<(String, String)> = auto_fields(APACHE_AUTO);
    let ours = auto_fields(&body);
    // Every line Apache always prints is there; every line is one of Apache's, in its order.
    let mut at = 0;
    for (key, _) in &ours {
        let found = apache[at..].iter().position(|(k, _)| k == key);
        let Some(found) = found else {
            panic!("{key} is not an Apache line or is out of order:\n{body}");
        };
        for (skipped, _) in &apache[at..at + found] {
            assert!(
                CONDITIONAL.contains(&skipped.as_str()),
                "{skipped} missing:\n{body}"
            );
        }
        at += found + 1;
    }
    assert_eq!(at, apache.len(), "lines missing at the end:\n{body}");

    let version = auto_value(&body, "ServerVersion");
    assert!(
        version.starts_with("mpmd/") && version.ends_with(" (Unix)"),
        "{version}"
    );
    assert_eq!(auto_value(&body, "ServerMPM"), "prefork");
    let accesses: u64 = auto_value(&body, "Total Accesses").parse().unwrap();
    assert!(accesses >= 3, "{body}");
    let scoreboard = auto_value(&body, "Scoreboard");
    assert_eq!(scoreboard.len(), 256, "one letter per max_request_workers");
    assert!(
        scoreboard.contains('W'),
        "the status request's own slot: {scoreboard}"
    );
    assert!(auto_value(&body, "BusyWorkers").parse::<u64>().unwrap() >= 1);
}

#[test]
fn html_json_metrics_and_query_options() {
    let server = status_server("");
    let r = server.get("/server-status");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/html; charset=ISO-8859-1")
    );
    assert_eq!(r.header("refresh"), None);
    let page = r.text();
    for piece in [
        "<h1>mpmd Server Status for localhost (via 127.0.0.1)</h1>",
        "<dt>Server MPM: prefork</dt>",
        "requests currently being processed",
        "<dt>Master: idle spawn rate",
        "</dl><pre>",
        "Scoreboard Key:",
        "<table border=\"0\"><tr><th>Srv</th>",
        "GET /server-status HTTP/1.1",
    ] {
        assert!(page.contains(piece), "{piece:?} not in:\n{page}");
    }
    assert_eq!(
        server.get("/server-status?refresh=3").header("refresh"),
        Some("3")
    );
    assert_eq!(
        server.get("/server-status?refresh").header("refresh"),
        Some("10")
    );
    assert!(
        server
            .get("/server-status?notable")
            .text()
            .contains("<h2>Server Details</h2>")
    );
    // Below the location's path too; a longer word is not below it.
    assert_eq!(server.get("/server-status/x?auto").status, 200);
    assert_eq!(server.get("/server-statusx").status, 404);

    let json = server.get("/server-status?json");
    assert_eq!(json.header("content-type"), Some("application/json"));
    let text = json.text();
    assert!(
        text.starts_with("{\"schema\":1,\"server\":{"),
        "{}",
        head(&text)
    );
    assert_eq!(text.matches("\"state\":").count(), 256, "every worker slot");

    let metrics = server.get("/server-status?metrics");
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("text/plain; version=0.0.4")),
        "{metrics:?}"
    );
    let text = metrics.text();
    assert!(text.contains("\nmpmd_workers{state=\"busy\"} "), "{text}");
    assert!(text.contains("# TYPE mpmd_worker_state gauge\n"), "{text}");
    let prometheus = server.get("/server-status?prometheus");
    assert_eq!(
        prometheus.header("content-type"),
        metrics.header("content-type")
    );
}

#[test]
fn only_get_and_head_serve_the_page() {
    let server = status_server("");
    let port = server.port();
    let head = exchange(port, &request_bytes("HEAD", "/server-status?auto", true)).unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    for method in ["POST", "PUT", "DELETE"] {
        let r = exchange(port, &request_bytes(method, "/server-status", true)).unwrap();
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(
            r.header("allow"),
            Some("GET,HEAD,OPTIONS,TRACE"),
            "{method}"
        );
    }
    let r = exchange(port, &request_bytes("OPTIONS", "/server-status", true)).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("allow"), Some("GET,HEAD,OPTIONS,TRACE"));
    let r = exchange(port, &request_bytes("BREW", "/server-status", true)).unwrap();
    assert_eq!(r.status, 501);
}

#[test]
fn require_lines_guard_locations() {
    let server = ServerGuard::start(&TestConfig::default().sections(
        "[[location]]\npath = \"/server-status\"\nhandler = \"server-status\"\n\
         require = [\"ip 192.0.2.1\", \"ip 2001:db8::/32\"]\n\
         [[location]]\npath = \"/sub\"\nrequire = \"all denied\"\n\
         [[location]]\npath = \"/open-status\"\nhandler = \"server-status\"\n",
    ));
    assert_eq!(server.get("/server-status?auto").status, 403);
    assert_eq!(server.get("/sub/index.html").status, 403);
    assert_eq!(server.get("/sub/").status, 403);
    assert_eq!(server.get("/index.html").status, 200);
    assert_eq!(server.get("/open-status?auto").status, 200);
}

#[test]
fn without_extended_status_only_letters_and_counts() {
    let server = status_server("[status]\nextended_status = false\n");
    assert_eq!(server.get("/index.html").status, 200);
    let body = server.get("/server-status?auto").text();
    assert!(!body.contains("Total Accesses"), "{body}");
    assert!(auto_value(&body, "BusyWorkers").parse::<u64>().unwrap() >= 1);
    let page = server.get("/server-status").text();
    assert!(page.contains("PID Key: <br />"), "{page}");
    assert!(!page.contains("<th>Srv</th>"), "{page}");
}

#[test]
fn slot_totals_survive_child_replacement() {
    let server = ServerGuard::start(
        &TestConfig::default()
            .mpm("start_servers = 2\nmin_spare_servers = 2\nmax_spare_servers = 4\nmax_connections_per_child = 1\n")
            .sections(STATUS_LOCATION),
    );
    for i in 0..10 {
        let ok = wait_until(START_DEADLINE, || server.get("/index.html").status == 200);
        assert!(ok, "request {i}");
    }
    let mut body = String::new();
    let counted = wait_until(START_DEADLINE, || {
        body = server.get("/server-status?json").text();
        json_number(&body, "accesses") >= 10
    });
    assert!(
        counted,
        "slot totals lost with their children: {}",
        head(&body)
    );
}

#[test]
fn graceful_keeps_counters_and_restart_time_hup_resets_them() {
    let _serial = exclusive();
    let server = status_server("");
    let original = server.wait_children(2);
    for _ in 0..40 {
        assert_eq!(server.get("/index.html").status, 200);
    }
    // A child counts a request after answering it: wait until the 40 are in.
    let mut before = String::new();
    let counted = wait_until(START_DEADLINE, || {
        before = server.get("/server-status?json").text();
        json_number(&before, "accesses") >= 40
    });
    assert!(counted, "{}", head(&before));
    let (accesses, restart) = (
        json_number(&before, "accesses"),
        json_number(&before, "restart_time_us"),
    );

    server.signal(Signal::SIGUSR1);
    let replaced = wait_until(START_DEADLINE, || {
        let now = server.children();
        !now.is_empty() && now.iter().all(|pid| !original.contains(pid))
    });
    assert!(replaced, "old children still there after USR1");
    let after = server.get("/server-status?json").text();
    assert_eq!(
        json_number(&after, "restart_time_us"),
        restart,
        "{}",
        head(&after)
    );
    assert!(
        json_number(&after, "accesses") > accesses,
        "{}",
        head(&after)
    );
    assert!(
        after.contains("\"generations\":{\"config\":2,\"mpm\":1,"),
        "{}",
        head(&after)
    );
    let auto = server.get("/server-status?auto").text();
    assert_eq!(auto_value(&auto, "ParentServerMPMGeneration"), "1");

    let graceful_children = server.children();
    server.signal(Signal::SIGHUP);
    let replaced = wait_until(START_DEADLINE, || {
        let now = server.children();
        !now.is_empty() && now.iter().all(|pid| !graceful_children.contains(pid))
    });
    assert!(replaced, "children not replaced after HUP");
    let served = wait_until(START_DEADLINE, || {
        http::exchange(server.port(), &request_bytes("GET", "/index.html", true))
            .is_ok_and(|r| r.status == 200)
    });
    assert!(served, "not serving after HUP");
    let reset = server.get("/server-status?json").text();
    assert!(
        json_number(&reset, "restart_time_us") > restart,
        "{}",
        head(&reset)
    );
    assert!(
        json_number(&reset, "accesses") < 10,
        "not reset by HUP: {}",
        head(&reset)
    );
    assert!(reset.contains("\"mpm\":2,"), "{}", head(&reset));
}

#[test]
fn dash_s_prints_the_status_from_http_or_the_scoreboard_file() {
    // -S fetches from the configured port: this test needs a fixed one.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let server = ServerGuard::start(
        &TestConfig::default()
            .listen(&[&format!("127.0.0.1:{port}")])
            .sections(STATUS_LOCATION),
    );
    let out = server.mpmd(&["-S"]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        out.stdout.starts_with("127.0.0.1\nServerVersion: mpmd/"),
        "{out:?}"
    );
    assert_eq!(auto_value(&out.stdout, "ServerMPM"), "prefork");

    let mut filed = ServerGuard::prepare(&TestConfig::default());
    let path = filed.dir().join("scoreboard");
    let config = filed.render(&TestConfig::default().top(&format!(
        "scoreboard_file = \"{}\"\nserver_name = \"filed.example\"\n",
        path.display()
    )));
    filed.write_config(&config);
    filed.spawn_foreground();
    filed.wait_ready();
    filed.wait_children(2);
    let out = filed.mpmd(&["-S"]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        out.stdout
            .starts_with("filed.example\nServerVersion: mpmd/"),
        "{out:?}"
    );
    let scoreboard = auto_value(&out.stdout, "Scoreboard");
    assert_eq!(scoreboard.len(), 256);
    assert_eq!(scoreboard.matches(|c| c != '.').count(), 2, "{scoreboard}");

    // No location and no scoreboard file: nothing to read from.
    let bare = ServerGuard::start(&TestConfig::default());
    let out = bare.mpmd(&["-S"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.contains("handler = \"server-status\""),
        "{out:?}"
    );
    // A port chosen by the kernel cannot be fetched from.
    let zero = status_server("");
    let out = zero.mpmd(&["-S"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("port 0"), "{out:?}");
    // A stopped server's scoreboard file is stale.
    filed.signal(Signal::SIGTERM);
    filed.wait_foreground_exit(START_DEADLINE);
    let out = filed.mpmd(&["-S"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.contains("stale") || out.stderr.contains("is mpmd running"),
        "{out:?}"
    );
}
