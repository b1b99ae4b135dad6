//! The event MPM's counters in every status output (issue 5 with issue 4): connections held
//! idle show as kept alive in `?auto`, `?json`, `?metrics` and Apache's per-process HTML table,
//! and go away when the clients leave; a process at its connection cap says it is not accepting
//! before it serves anything more, and accepts again once a connection closes.

use super::status::{STATUS_LOCATION, auto_value};
use crate::common::http::Connection;
use crate::common::{START_DEADLINE, ServerGuard, TestConfig, wait_until};

/// An event server with `rest` in `[mpm]` and idle connections kept for 30 s.
fn event_server(rest: &str) -> ServerGuard {
    ServerGuard::start(
        &TestConfig::default()
            .mpm(&format!("module = \"event\"\n{rest}"))
            .http("keep_alive_timeout = 30\n")
            .sections(STATUS_LOCATION),
    )
}

/// `n` connections that each had one request answered and now wait, idle.
fn hold_idle(server: &ServerGuard, n: usize) -> Vec<Connection> {
    (0..n)
        .map(|i| {
            let mut conn = Connection::open(server.port()).expect("connect");
            let response = conn.request("GET", "/index.html").expect("response");
            assert_eq!(response.status, 200, "connection {i}");
            assert!(!response.closes(), "connection {i} was not kept alive");
            conn
        })
        .collect()
}

fn text(server: &ServerGuard, path: &str) -> String {
    let response = server.get(path);
    assert_eq!(response.status, 200, "{path}");
    response.text()
}

/// The integer after `"key":` at each occurrence in `body`, in order.
fn json_numbers(body: &str, key: &str) -> Vec<u64> {
    let needle = format!("\"{key}\":");
    body.match_indices(&needle)
        .filter_map(|(at, _)| {
            body[at + needle.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        })
        .collect()
}

/// The `processes` array of a `?json` body, split per process object.
fn json_processes(body: &str) -> Vec<&str> {
    let list = &body[body.find("\"processes\":[").expect("processes")..];
    let list = &list[..list.find("],\"workers\"").expect("end of processes")];
    list.split("{\"slot\":").skip(1).collect()
}

fn metric(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The cells of the HTML table's row that starts with `first` (`Sum` or a slot number).
fn html_row(page: &str, first: &str) -> Option<Vec<String>> {
    let start = page.find(&format!("<tr><td>{first}</td>"))?;
    let row = &page[start..start + page[start..].find("</tr>")?];
    Some(
        row.split("<td>")
            .skip(1)
            .map(|c| c.trim_end_matches("</td>").to_string())
            .collect(),
    )
}

#[test]
fn event_idle_connections_show_as_kept_alive_in_every_status_output() {
    const HELD: usize = 6;
    let server = event_server(
        "start_servers = 2\nthreads_per_child = 4\nmin_spare_threads = 1\n\
         max_spare_threads = 16\nserver_limit = 4\nmax_request_workers = 16\n",
    );
    server.wait_children(2);
    let held = hold_idle(&server, HELD);
    // The listeners publish at their next pass: wait for all six to be seen.
    let mut auto = String::new();
    let seen = wait_until(START_DEADLINE, || {
        auto = text(&server, "/server-status?auto");
        auto_value(&auto, "ConnsAsyncKeepAlive") == HELD.to_string()
    });
    assert!(seen, "ConnsAsyncKeepAlive never reached {HELD}:\n{auto}");
    let total: usize = auto_value(&auto, "ConnsTotal").parse().unwrap();
    assert!(total >= HELD, "ConnsTotal {total} < {HELD}:\n{auto}");
    assert_eq!(auto_value(&auto, "ConnsAsyncWriting"), "0", "{auto}");
    assert_eq!(auto_value(&auto, "Processes"), "2", "{auto}");

    let json = text(&server, "/server-status?json");
    assert_eq!(json_numbers(&json, "conns_async_keep_alive"), [HELD as u64]);
    assert!(
        json_numbers(&json, "conns_total")[0] >= HELD as u64,
        "{json}"
    );
    let per_process: u64 = json_processes(&json)
        .iter()
        .map(|p| json_numbers(p, "keep_alive")[0])
        .sum();
    assert_eq!(per_process, HELD as u64, "{json}");

    let metrics = text(&server, "/server-status?metrics");
    assert_eq!(
        metric(&metrics, "mpmd_connections{state=\"keepalive\"}"),
        Some(HELD as f64),
        "{metrics}"
    );

    let page = text(&server, "/server-status");
    let sum = html_row(&page, "Sum").unwrap_or_else(|| panic!("no Sum row:\n{page}"));
    // Sum, processes, stopping, total, &nbsp;, busy, graceful, idle, wait-io, writing,
    // keep-alive, closing.
    assert_eq!(sum.len(), 12, "{sum:?}");
    assert_eq!((sum[1].as_str(), sum[2].as_str()), ("2", "0"), "{sum:?}");
    assert_eq!(sum[10], HELD.to_string(), "{page}");
    assert!(sum[3].parse::<usize>().unwrap() >= HELD, "{sum:?}");

    // The clients leave: the counters follow.
    drop(held);
    let gone = wait_until(START_DEADLINE, || {
        auto = text(&server, "/server-status?auto");
        auto_value(&auto, "ConnsAsyncKeepAlive") == "0"
    });
    assert!(gone, "the closed connections still count:\n{auto}");
}

#[test]
fn event_process_at_its_cap_says_not_accepting_then_accepts_again() {
    // One child of four workers, async_request_worker_factor 1 (the least allowed): the cap is
    // 4 + one per idle worker (lingering connections not counted).
    let server = event_server(
        "start_servers = 1\nthreads_per_child = 4\nmin_spare_threads = 1\n\
         max_spare_threads = 6\nserver_limit = 1\nmax_request_workers = 4\n\
         async_request_worker_factor = 1\n",
    );
    server.wait_children(1);
    // Six held plus the status request's own, with three workers left idle: the seventh
    // connection reaches the cap (4 + 3), and the process says so before it answers it.
    let mut held = hold_idle(&server, 6);
    let mut json = String::new();
    let at_cap = wait_until(START_DEADLINE, || {
        json = text(&server, "/server-status?json");
        let p = json_processes(&json)[0];
        json_numbers(p, "keep_alive")[0] == 6 && p.contains("\"accepting\":false")
    });
    assert!(at_cap, "never shown at its cap:\n{json}");
    // The HTML row: not stopping, the six and the status request open (the previous status
    // connection may still be closing), not accepting.
    let mut page = String::new();
    let shown = wait_until(START_DEADLINE, || {
        page = text(&server, "/server-status");
        let row = html_row(&page, "0").unwrap_or_else(|| panic!("no row for slot 0:\n{page}"));
        (row[2].as_str(), row[3].as_str(), row[4].as_str()) == ("no", "7", "no")
    });
    assert!(shown, "stopping, total, accepting not no, 7, no:\n{page}");
    let metrics = text(&server, "/server-status?metrics");
    let pid = json_numbers(json_processes(&json)[0], "pid")[0];
    assert_eq!(
        metric(
            &metrics,
            &format!("mpmd_process_accepting{{slot=\"0\",pid=\"{pid}\"}}")
        ),
        Some(0.0),
        "{metrics}"
    );

    // One client leaves: five held plus the status request stay under the cap.
    drop(held.pop());
    let accepting = wait_until(START_DEADLINE, || {
        json = text(&server, "/server-status?json");
        let p = json_processes(&json)[0];
        json_numbers(p, "keep_alive")[0] == 5 && p.contains("\"accepting\":true")
    });
    assert!(accepting, "never accepting again:\n{json}");
    // The held connections were never closed under their clients.
    for (i, conn) in held.iter_mut().enumerate() {
        let response = conn.request("GET", "/index.html").expect("response");
        assert_eq!(response.status, 200, "held connection {i}");
    }
}
