//! Graceful stop (WINCH, `-k graceful-stop`): the master exits, children and pid file go with it.

use std::time::Duration;

use nix::sys::signal::Signal;

use crate::common::{START_DEADLINE, ServerGuard, TestConfig, procs, wait_until};

#[test]
fn winch_stops_gracefully_in_the_foreground() {
    let mut server = ServerGuard::start(&TestConfig::default());
    let children = server.wait_children(2);
    assert_eq!(server.get("/index.html").status, 200);
    server.signal(Signal::SIGWINCH);
    let status = server.wait_foreground_exit(START_DEADLINE);
    assert!(status.success(), "graceful stop exit status {status}");
    assert!(
        !server.pid_file().exists(),
        "pid file left after graceful stop"
    );
    let mut left = Vec::new();
    let gone = wait_until(Duration::from_secs(2), || {
        left = children
            .iter()
            .copied()
            .filter(|&pid| procs::is_alive(pid))
            .collect();
        left.is_empty()
    });
    assert!(gone, "children outlived the master: {left:?}");
}

#[test]
fn k_start_then_k_graceful_stop() {
    let mut server = ServerGuard::prepare(&TestConfig::default());
    let start = server.mpmd(&["-k", "start"]);
    assert_eq!(start.code(), Some(0), "-k start: {start:?}");
    server.adopt_daemon();
    let master = server.master_pid();
    let mut family = server.wait_children(2);
    family.push(master);
    assert_eq!(server.get("/index.html").status, 200);

    let stop = server.mpmd(&["-k", "graceful-stop"]);
    assert_eq!(stop.code(), Some(0), "-k graceful-stop: {stop:?}");
    assert!(
        !procs::is_alive(master),
        "-k graceful-stop returned before the master exited"
    );
    assert!(
        !server.pid_file().exists(),
        "pid file left after graceful stop"
    );
    let left: Vec<i32> = family
        .into_iter()
        .filter(|&pid| procs::is_alive(pid))
        .collect();
    assert!(
        left.is_empty(),
        "processes left after -k graceful-stop: {left:?}"
    );
    server.forget_processes();
}
