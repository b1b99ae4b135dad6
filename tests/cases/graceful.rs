//! Graceful restart (USR1, `-k graceful`) under continuous keep-alive load loses nothing, and
//! a hard restart (HUP, `-k restart`) brings up a whole new generation under the same master.

use std::time::Duration;

use crate::common::load::{GracefulRun, graceful_restarts_under_load};
use crate::common::{START_DEADLINE, ServerGuard, TestConfig, exclusive, procs, wait_until};

const RUN: GracefulRun = GracefulRun {
    clients: 8,
    load_for: Duration::from_secs(6),
    restarts: 5,
    spacing: Duration::from_millis(800),
};

#[test]
fn graceful_restarts_under_keep_alive_load_lose_no_request() {
    let _serial = exclusive();
    // Ten children: every client gets one at once, with idle ones to spare.
    let server = ServerGuard::start(
        &TestConfig::default()
            .mpm("start_servers = 10\nmin_spare_servers = 2\nmax_spare_servers = 12\n"),
    );
    let master = server.master_pid();
    let original = server.wait_children(10);
    let stats = graceful_restarts_under_load(&server, RUN);
    assert_eq!(
        stats.failed, 0,
        "failed requests across {} graceful restarts: {:#?}",
        RUN.restarts, stats.messages
    );
    assert!(
        stats.ok > 500,
        "only {} requests in {:?}",
        stats.ok,
        RUN.load_for
    );
    assert!(procs::is_alive(master), "master {master} died");
    assert_eq!(server.pid_from_file(), Some(master), "master pid changed");
    assert!(server.log_count("graceful restart requested") >= RUN.restarts);

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
