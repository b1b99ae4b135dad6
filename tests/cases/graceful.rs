//! Graceful restart (USR1, `-k graceful`) under continuous keep-alive load loses nothing, and
//! a hard restart (HUP, `-k restart`) brings up a whole new generation under the same master.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, sleep};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::common::{
    INDEX_HTML, KeepAliveClient, START_DEADLINE, ServerGuard, TestConfig, exclusive, procs,
    wait_until,
};

const CLIENTS: usize = 8;
const LOAD_FOR: Duration = Duration::from_secs(6);
const RESTARTS: usize = 5;
const RESTART_SPACING: Duration = Duration::from_millis(800);
/// Failure messages kept per client (the count is exact either way).
const KEEP_MESSAGES: usize = 20;

#[derive(Debug, Default)]
struct LoadStats {
    ok: u64,
    failed: u64,
    /// Connections the server closed after a complete response without announcing it, seen
    /// before the next request was sent (counted, not failed: nothing was in flight).
    unannounced_closes: u64,
    connects: u64,
    messages: Vec<String>,
}

/// Sets the flag when dropped, so the load threads stop even when the test panics.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// One client: keep-alive requests back to back until `stop`, counted the way `wrk` counts.
/// Reconnects after `Connection: close`, and when the server had already closed the connection
/// after a complete response (seen before the next request is sent). Everything else is a
/// failure: connect error, reset, end of file before a complete response (the request was in
/// flight: the Apache race a graceful restart must not have), a wrong status or body.
fn keep_alive_load(port: u16, stop: &AtomicBool, progress: &AtomicU64) -> LoadStats {
    let mut client = KeepAliveClient::new(port);
    let mut stats = LoadStats::default();
    while !stop.load(Ordering::SeqCst) {
        if client.drop_if_closed_by_server() {
            stats.unannounced_closes += 1;
        }
        let failure = match client.request("GET", "/index.html") {
            Ok(r) if r.status == 200 && r.body == INDEX_HTML.as_bytes() => None,
            Ok(r) => Some(format!(
                "status {} with {} body bytes",
                r.status,
                r.body.len()
            )),
            Err(e) => Some(e.to_string()),
        };
        match failure {
            None => {
                stats.ok += 1;
                progress.fetch_add(1, Ordering::Relaxed);
            }
            Some(message) => {
                stats.failed += 1;
                if stats.messages.len() < KEEP_MESSAGES {
                    stats.messages.push(message);
                }
            }
        }
    }
    stats.connects = u64::from(client.connects);
    stats
}

#[test]
fn graceful_restarts_under_keep_alive_load_lose_no_request() {
    let _serial = exclusive();
    // Ten children: every client gets one at once, with idle ones to spare.
    let server = ServerGuard::start(
        &TestConfig::default()
            .mpm("start_servers = 10\nmin_spare_servers = 2\nmax_spare_servers = 12\n"),
    );
    let master = server.master_pid();
    let port = server.port();
    let original = server.wait_children(10);
    let stop = AtomicBool::new(false);
    let progress = AtomicU64::new(0);

    let stats: Vec<LoadStats> = thread::scope(|scope| {
        let _stop_on_drop = StopOnDrop(&stop);
        let started = Instant::now();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| scope.spawn(|| keep_alive_load(port, &stop, &progress)))
            .collect();
        assert!(
            wait_until(START_DEADLINE, || progress.load(Ordering::Relaxed) >= 50),
            "load never got going"
        );
        for i in 0..RESTARTS {
            let before = server.log_count("graceful restart requested");
            if i % 2 == 0 {
                server.signal(Signal::SIGUSR1);
            } else {
                let out = server.mpmd(&["-k", "graceful"]);
                assert_eq!(out.code(), Some(0), "mpmd -k graceful: {out:?}");
            }
            server.wait_log_count("graceful restart requested", before + 1);
            sleep(RESTART_SPACING);
        }
        while started.elapsed() < LOAD_FOR {
            sleep(Duration::from_millis(50));
        }
        stop.store(true, Ordering::SeqCst);
        clients
            .into_iter()
            .map(|c| c.join().expect("load thread panicked"))
            .collect()
    });

    let ok: u64 = stats.iter().map(|s| s.ok).sum();
    let failed: u64 = stats.iter().map(|s| s.failed).sum();
    let unannounced: u64 = stats.iter().map(|s| s.unannounced_closes).sum();
    let connects: u64 = stats.iter().map(|s| s.connects).sum();
    eprintln!(
        "graceful under load: {ok} ok, {failed} failed, {connects} connections, \
         {unannounced} closed by the server without Connection: close"
    );
    let messages: Vec<&String> = stats.iter().flat_map(|s| &s.messages).collect();
    assert_eq!(
        failed, 0,
        "failed requests across {RESTARTS} graceful restarts: {messages:#?}"
    );
    assert!(ok > 500, "only {ok} requests in {LOAD_FOR:?}");
    assert!(procs::is_alive(master), "master {master} died");
    assert_eq!(server.pid_from_file(), Some(master), "master pid changed");
    assert!(server.log_count("graceful restart requested") >= RESTARTS);

    let mut lingering = Vec::new();
    let all_new = wait_until(START_DEADLINE, || {
        lingering = original
            .iter()
            .copied()
            .filter(|&pid| procs::is_alive(pid))
            .collect();
        lingering.is_empty()
    });
    assert!(
        all_new,
        "children of the first generation still alive: {lingering:?}"
    );
    assert!(
        !server.children().is_empty(),
        "no children after the restarts"
    );
    assert_eq!(server.get("/index.html").status, 200);
}

#[test]
fn hard_restart_replaces_every_child_under_the_same_master() {
    let server = ServerGuard::start(
        &TestConfig::default()
            .mpm("start_servers = 3\nmin_spare_servers = 1\nmax_spare_servers = 10\n"),
    );
    let master = server.master_pid();
    let port = server.port();
    let original = server.wait_children(3);
    let out = server.mpmd(&["-k", "restart"]);
    assert_eq!(out.code(), Some(0), "mpmd -k restart: {out:?}");

    let mut now = Vec::new();
    let replaced = wait_until(START_DEADLINE, || {
        now = server.children();
        now.len() == 3 && now.iter().all(|pid| !original.contains(pid))
    });
    assert!(replaced, "after HUP: children {now:?}, before {original:?}");
    assert!(procs::is_alive(master));
    assert_eq!(server.pid_from_file(), Some(master), "master pid changed");
    let ports = server.listening_ports();
    assert!(
        ports.iter().all(|&p| p == port),
        "listener moved across HUP: {ports:?}"
    );
    let served = wait_until(START_DEADLINE, || server.get("/index.html").status == 200);
    assert!(served, "not serving after HUP");
}
