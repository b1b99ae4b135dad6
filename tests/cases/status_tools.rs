//! `/server-status` checked by outside tools, as the issue judges it: Debian's
//! prometheus-apache-exporter scraping `?auto`, `promtool check metrics` on `?metrics`, and the
//! HTML page rendered by headless Chromium. scripts/test.sh installs them with apt-get; a
//! missing tool fails its test loudly. Only where apt has no such package does test.sh set
//! `MPMD_NO_PROMTOOL=1` / `MPMD_NO_CHROMIUM=1`, and those two tests then skip, leaving the unit
//! tests' own format checkers (src/status/checks.rs). The exporter is never optional. Every
//! tool run is bounded in time and killed by its own pid.

use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::cases::status::{STATUS_LOCATION, status_server};
use crate::common::http::{Connection, exchange, request_bytes};
use crate::common::{POLL, START_DEADLINE, ServerGuard, TestConfig, wait_until};

const EXPORTER: &str = "prometheus-apache-exporter";
const PROMTOOL: &str = "promtool";
const CHROMIUM: &str = "chromium";
const TOOL_DEADLINE: Duration = Duration::from_secs(90);

/// The tool's path on PATH; `None` (with a note) only when test.sh found no package for it and
/// said so in `skip_env`; otherwise a missing tool is a loud failure.
fn require_tool(name: &str, package: &str, skip_env: Option<&str>) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    if found.is_none()
        && let Some(var) = skip_env
        && std::env::var_os(var).is_some()
    {
        eprintln!("NOTE: `{name}` is not available ({var} set): this check is skipped");
        return None;
    }
    Some(found.unwrap_or_else(|| {
        panic!("`{name}` is not installed: scripts/test.sh installs it (apt-get install {package})")
    }))
}

/// A child process killed (by its pid) and reaped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Waits for the exit, killing the process after `deadline`.
    fn wait(&mut self, deadline: Duration) -> ExitStatus {
        let until = Instant::now() + deadline;
        loop {
            if let Some(status) = self.0.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < until,
                "tool did not finish within {deadline:?}"
            );
            std::thread::sleep(POLL);
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn get_body(port: u16, path: &str) -> Option<String> {
    exchange(port, &request_bytes("GET", path, true))
        .ok()
        .filter(|r| r.status == 200)
        .map(|r| r.text())
}

/// The value of the sample line that starts with `series` (name and labels).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The status location on a server running `module` (small threaded children for worker and
/// event, the default prefork pool otherwise).
fn status_server_for(module: &str) -> ServerGuard {
    if module == "prefork" {
        return status_server("");
    }
    ServerGuard::start(
        &TestConfig::default()
            .mpm(&format!(
                "module = \"{module}\"\nstart_servers = 2\nthreads_per_child = 4\n\
                 min_spare_threads = 1\nmax_spare_threads = 16\nserver_limit = 4\n\
                 max_request_workers = 16\n"
            ))
            .sections(STATUS_LOCATION),
    )
}

#[test]
fn prometheus_apache_exporter_scrapes_prefork_without_failures() {
    exporter_scrapes_without_failures("prefork");
}

#[test]
fn prometheus_apache_exporter_scrapes_worker_without_failures() {
    exporter_scrapes_without_failures("worker");
}

#[test]
fn prometheus_apache_exporter_scrapes_event_without_failures() {
    exporter_scrapes_without_failures("event");
}

/// The exporter scrapes `?auto` of a server running `module`: up, the counters it reads, the
/// MPM in `apache_info`, accesses counted, no scrape failure, no error in its log. With the
/// event MPM, also the connection gauges it reads from the async block (one connection held
/// idle shows as kept alive).
fn exporter_scrapes_without_failures(module: &str) {
    let exporter = require_tool(EXPORTER, "prometheus-apache-exporter", None).unwrap();
    let server = status_server_for(module);
    let port = free_port();
    let log = server.dir().join("exporter.log");
    let mut running = Running(
        Command::new(exporter)
            .arg(format!("--telemetry.address=127.0.0.1:{port}"))
            .arg(format!(
                "--scrape_uri=http://127.0.0.1:{}/server-status?auto",
                server.port()
            ))
            .stdin(Stdio::null())
            .stdout(File::create(&log).unwrap())
            .stderr(File::create(server.dir().join("exporter.err")).unwrap())
            .spawn()
            .expect("start the exporter"),
    );
    let mut first = String::new();
    let up = wait_until(START_DEADLINE, || {
        first = get_body(port, "/metrics").unwrap_or_default();
        !first.is_empty()
    });
    assert!(up, "the exporter never answered on 127.0.0.1:{port}");
    assert_eq!(sample(&first, "apache_up"), Some(1.0), "{first}");
    let accesses = sample(&first, "apache_accesses_total").expect("apache_accesses_total");
    for series in [
        "apache_workers{state=\"busy\"}",
        "apache_workers{state=\"idle\"}",
        "apache_scoreboard{state=\"idle\"}",
        "apache_scoreboard{state=\"open_slot\"}",
        "apache_scoreboard{state=\"reply\"}",
        "apache_uptime_seconds_total",
        "apache_sent_kilobytes_total",
        "apache_cpuload",
    ] {
        assert!(
            sample(&first, series).is_some() || series == "apache_cpuload",
            "{series} missing:\n{first}"
        );
    }
    let version = env!("CARGO_PKG_VERSION");
    let info = format!("apache_info{{mpm=\"{module}\",version=\"mpmd/{version} (Unix)\"}}");
    assert_eq!(sample(&first, &info), Some(1.0), "{first}");
    assert!(sample(&first, "apache_version").is_some(), "{first}");

    for _ in 0..5 {
        assert_eq!(server.get("/index.html").status, 200);
    }
    // A child counts a request once it has answered it: scrape until the five are in.
    let mut second = String::new();
    let mut later = 0.0;
    wait_until(START_DEADLINE, || {
        second = get_body(port, "/metrics").expect("scrape");
        later = sample(&second, "apache_accesses_total").expect("apache_accesses_total");
        later >= accesses + 5.0
    });
    assert!(later >= accesses + 5.0, "accesses {accesses} -> {later}");
    let mut texts = vec![first, second];
    if module == "event" {
        texts.push(event_connection_gauges(&server, port));
    } else {
        assert!(
            !texts[1].contains("apache_connections{"),
            "{module} has no async block:\n{}",
            texts[1]
        );
    }
    for text in &texts {
        assert!(
            sample(text, "apache_exporter_scrape_failures_total").unwrap_or(0.0) == 0.0,
            "scrape failures:\n{text}"
        );
    }
    let _ = running.0.kill();
    running.wait(START_DEADLINE);
    let log_text = std::fs::read_to_string(&log).unwrap_or_default()
        + &std::fs::read_to_string(server.dir().join("exporter.err")).unwrap_or_default();
    assert!(!log_text.contains("Error scraping"), "{log_text}");
}

/// Event only: one connection served and then held idle is parked; the exporter's gauges from
/// the async block show it (`keepalive` and `total` at least 1, two processes, none stopping).
/// Returns the scrape that showed it.
fn event_connection_gauges(server: &ServerGuard, port: u16) -> String {
    let mut idle = Connection::open(server.port()).expect("connect");
    assert_eq!(
        idle.request("GET", "/index.html").expect("response").status,
        200
    );
    let mut text = String::new();
    let seen = wait_until(START_DEADLINE, || {
        text = get_body(port, "/metrics").expect("scrape");
        sample(&text, "apache_connections{state=\"keepalive\"}").unwrap_or(0.0) >= 1.0
    });
    assert!(
        seen,
        "the idle connection never showed as keepalive:\n{text}"
    );
    assert!(sample(&text, "apache_connections{state=\"total\"}").unwrap_or(0.0) >= 1.0);
    assert_eq!(
        sample(&text, "apache_connections{state=\"writing\"}"),
        Some(0.0),
        "{text}"
    );
    assert!(
        sample(&text, "apache_connections{state=\"closing\"}").is_some(),
        "{text}"
    );
    assert_eq!(
        sample(&text, "apache_processes{state=\"all\"}"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "apache_processes{state=\"stopping\"}"),
        Some(0.0),
        "{text}"
    );
    drop(idle);
    text
}

#[test]
fn promtool_accepts_the_metrics() {
    for module in ["prefork", "worker", "event"] {
        promtool_accepts_the_metrics_of(module);
    }
}

/// `promtool check metrics` finds nothing to say about `?metrics` of a server running `module`.
fn promtool_accepts_the_metrics_of(module: &str) {
    let Some(promtool) = require_tool(PROMTOOL, "prometheus", Some("MPMD_NO_PROMTOOL")) else {
        return;
    };
    let server = status_server_for(module);
    assert_eq!(server.get("/index.html").status, 200);
    let metrics = get_body(server.port(), "/server-status?metrics").expect("metrics");
    let out_path = server.dir().join("promtool.out");
    let mut running = Running(
        Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(File::create(&out_path).unwrap())
            .stderr(File::create(server.dir().join("promtool.err")).unwrap())
            .spawn()
            .expect("start promtool"),
    );
    running
        .0
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let status = running.wait(TOOL_DEADLINE);
    let said = std::fs::read_to_string(&out_path).unwrap_or_default()
        + &std::fs::read_to_string(server.dir().join("promtool.err")).unwrap_or_default();
    assert!(
        status.success(),
        "{module}: promtool check metrics: {said}\n{metrics}"
    );
    assert!(said.trim().is_empty(), "{module}: promtool lint: {said}");
}

/// The DOM headless Chromium builds from `/server-status` of `server` (`None`: no Chromium
/// on this machine, as test.sh said).
fn chromium_dom(server: &ServerGuard) -> Option<String> {
    let chromium = require_tool(CHROMIUM, "chromium", Some("MPMD_NO_CHROMIUM"))?;
    let profile = server.dir().join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let dom_path = server.dir().join("dom.html");
    let mut running = Running(
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(format!("http://127.0.0.1:{}/server-status", server.port()))
            .stdin(Stdio::null())
            .stdout(File::create(&dom_path).unwrap())
            .stderr(File::create(server.dir().join("chromium.err")).unwrap())
            .spawn()
            .expect("start chromium"),
    );
    let status = running.wait(TOOL_DEADLINE);
    assert!(
        status.success(),
        "chromium failed: {}",
        read(&server.dir().join("chromium.err"))
    );
    Some(std::fs::read_to_string(&dom_path).unwrap_or_default())
}

#[test]
fn chromium_renders_the_event_process_table() {
    let server = status_server_for("event");
    server.wait_children(2);
    let Some(dom) = chromium_dom(&server) else {
        return;
    };
    for piece in [
        "<table rules=\"all\" cellpadding=\"1%\">",
        "<th colspan=\"4\">Async connections</th>",
        "<th>accepting</th>",
        "<th>keep-alive</th>",
        "<td>Sum</td><td>2</td><td>0</td>",
        "<td>&nbsp;</td>",
        "Scoreboard Key:",
    ] {
        assert!(
            dom.contains(piece),
            "{piece:?} not in the rendered DOM:\n{dom}"
        );
    }
    // Two processes of four threads shown (slots beyond max_request_workers are omitted).
    let pre = dom
        .split("<pre>")
        .nth(1)
        .and_then(|p| p.split("</pre>").next())
        .unwrap();
    assert_eq!(pre.trim().len(), 16, "{pre}");
}

#[test]
fn chromium_renders_the_scoreboard() {
    let server = status_server("");
    assert_eq!(server.get("/index.html").status, 200);
    let Some(dom) = chromium_dom(&server) else {
        return;
    };
    for piece in [
        "<title>mpmd Status</title>",
        "<h1>mpmd Server Status for 127.0.0.1 (via 127.0.0.1)</h1>",
        "<pre>",
        "Scoreboard Key:",
        "<table border=\"0\">",
        "<th>Srv</th>",
        "GET /server-status HTTP/1.1",
    ] {
        assert!(
            dom.contains(piece),
            "{piece:?} not in the rendered DOM:\n{dom}"
        );
    }
    // The scoreboard inside <pre>: 256 letters in lines of 64.
    let pre = dom
        .split("<pre>")
        .nth(1)
        .and_then(|p| p.split("</pre>").next())
        .unwrap();
    let lines: Vec<&str> = pre.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{pre}");
    assert!(lines.iter().all(|l| l.len() == 64), "{pre}");
    assert_eq!(pre.matches('W').count(), 1, "{pre}");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
