//! Threaded children (issue 5) with what issues 3 and 4 brought: the event MPM's async block in
//! `/server-status?auto`, and buffered access logs written by worker and event children as
//! they leave or idle.

use nix::sys::signal::Signal;

use super::status::{STATUS_LOCATION, auto_value};
use crate::common::http::Connection;
use crate::common::{START_DEADLINE, ServerGuard, TestConfig, wait_until};

/// `[mpm]` for `module`: two small children.
fn threaded(module: &str) -> TestConfig {
    TestConfig::default().mpm(&format!(
        "module = \"{module}\"\nstart_servers = 2\nthreads_per_child = 4\n\
         min_spare_threads = 1\nmax_spare_threads = 16\nserver_limit = 4\nmax_request_workers = 16\n"
    ))
}

#[test]
fn event_status_auto_counts_parked_connections_worker_has_no_async_block() {
    let server = ServerGuard::start(&threaded("event").sections(STATUS_LOCATION));
    server.wait_children(2);
    // One keep-alive connection, served once, then silent: parked in its child's poller.
    let mut idle = Connection::open(server.port()).expect("connect");
    assert_eq!(
        idle.request("GET", "/index.html").expect("response").status,
        200
    );
    let mut last = String::new();
    let parked = wait_until(START_DEADLINE, || {
        last = String::from_utf8_lossy(&server.get("/server-status?auto").body).into_owned();
        auto_value(&last, "ConnsAsyncKeepAlive") == "1"
    });
    assert!(
        parked,
        "the idle connection never showed as parked:\n{last}"
    );
    assert_eq!(auto_value(&last, "ServerMPM"), "event");
    assert_eq!(auto_value(&last, "Processes"), "2", "{last}");
    assert_eq!(auto_value(&last, "Stopping"), "0", "{last}");
    assert_eq!(auto_value(&last, "ConnsAsyncWriting"), "0", "{last}");
    let total: u32 = auto_value(&last, "ConnsTotal").parse().expect("ConnsTotal");
    assert!(total >= 1, "{last}");
    // Apache's order: the async block between IdleWorkers and Scoreboard.
    let keys: Vec<&str> = last.lines().filter_map(|l| l.split(':').next()).collect();
    let at = |k: &str| keys.iter().position(|x| *x == k).expect(k);
    assert!(at("IdleWorkers") < at("Processes") && at("ConnsAsyncClosing") < at("Scoreboard"));
    drop(idle);

    let server = ServerGuard::start(&threaded("worker").sections(STATUS_LOCATION));
    server.wait_children(2);
    let body = String::from_utf8_lossy(&server.get("/server-status?auto").body).into_owned();
    assert_eq!(auto_value(&body, "ServerMPM"), "worker");
    assert!(
        !body.contains("Processes:") && !body.contains("ConnsTotal"),
        "{body}"
    );
}

/// Sends `n` requests on one keep-alive connection (`?tag-i`).
fn burst(server: &ServerGuard, tag: &str, n: usize) {
    let mut conn = Connection::open(server.port()).expect("connect");
    for i in 0..n {
        let path = format!("/index.html?{tag}-{i}");
        assert_eq!(conn.request("GET", &path).expect("response").status, 200);
    }
}

fn logged(server: &ServerGuard, tag: &str) -> usize {
    let needle = format!("?{tag}-");
    server
        .access_log()
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

#[test]
fn threaded_children_write_buffered_logs_when_idle_restarted_and_stopped() {
    for module in ["worker", "event"] {
        let cfg = threaded(module).log("buffered_logs = true\nlog_format = \"%>s %U %q\"\n");
        let server = ServerGuard::start(&cfg);
        burst(&server, "idle", 3);
        assert!(
            wait_until(START_DEADLINE, || logged(&server, "idle") == 3),
            "{module}: an idle child never wrote its lines:\n{}",
            server.access_log()
        );
        burst(&server, "restart", 20);
        server.signal(Signal::SIGUSR1);
        assert!(
            wait_until(START_DEADLINE, || logged(&server, "restart") == 20),
            "{module}: lines lost over a graceful restart:\n{}",
            server.access_log()
        );
        drop(server);

        let mut server = ServerGuard::start_daemon(&cfg);
        burst(&server, "stop", 30);
        let out = server.mpmd(&["-k", "stop"]);
        assert_eq!(out.code(), Some(0), "{module}: {out:?}");
        server.forget_processes();
        assert_eq!(
            logged(&server, "stop"),
            30,
            "{module}: {}",
            server.access_log()
        );
    }
}
