//! Run modes and process-level keys: `-X`, `user`/`group`, `scoreboard_file`,
//! `graceful_shutdown_timeout`, and immediate replacement of a crashed child.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, Uid, User};

use crate::common::http::Connection;
use crate::common::{START_DEADLINE, ServerGuard, TestConfig, procs, wait_until};

/// The real uid of a process, from /proc/PID/status.
fn uid_of(pid: i32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn single_process_mode_serves_without_children_and_stops_on_term() {
    let mut server = ServerGuard::prepare(&TestConfig::default());
    server.spawn_with(&["-X"]);
    server.wait_ready();
    let master = server.master_pid();
    assert_eq!(server.get("/index.html").status, 200);
    assert_eq!(server.get("/hello.txt").status, 200);
    assert!(
        procs::children_of(master).is_empty(),
        "-X forked children: {:?}",
        procs::children_of(master)
    );
    assert!(server.access_log().contains("GET /index.html"));
    server.signal(Signal::SIGTERM);
    let status = server.wait_foreground_exit(START_DEADLINE);
    assert!(status.success(), "-X exit status {status}");
    assert!(!server.pid_file().exists(), "pid file left behind by -X");
}

#[test]
fn children_run_as_user_when_started_as_root() {
    let nobody = User::from_name("nobody")
        .expect("look up nobody")
        .expect("the nobody user exists on Debian");
    let server = ServerGuard::start(&TestConfig::default().top("user = \"nobody\"\n"));
    let master = server.master_pid();
    let children = server.wait_children(2);
    assert_eq!(
        server.get("/index.html").status,
        200,
        "children must still serve"
    );
    let me = Uid::current().as_raw();
    assert_eq!(uid_of(master), Some(me), "the master keeps its identity");
    // Apache applies User only when started as root; otherwise children keep our uid.
    let expected = if Uid::effective().is_root() {
        nobody.uid.as_raw()
    } else {
        me
    };
    for child in children {
        assert_eq!(uid_of(child), Some(expected), "uid of child {child}");
    }
}

#[test]
fn scoreboard_file_holds_the_shared_scoreboard() {
    let mut server = ServerGuard::prepare(&TestConfig::default());
    let path = server.dir().join("scoreboard");
    let config = server
        .render(&TestConfig::default().top(&format!("scoreboard_file = \"{}\"\n", path.display())));
    server.write_config(&config);
    server.spawn_foreground();
    server.wait_ready();
    server.wait_children(2);
    let bytes = std::fs::read(&path).expect("scoreboard file exists while running");
    // The first field of the global record is the layout's magic, "MPMDSB02" little-endian.
    assert_eq!(&bytes[..8], &0x4d50_4d44_5342_3032u64.to_le_bytes());
    let pid = u32::from_le_bytes(bytes[48..52].try_into().unwrap());
    assert_eq!(
        pid as i32,
        server.master_pid(),
        "master pid field of the global record"
    );
}

#[test]
fn graceful_stop_is_bounded_by_graceful_shutdown_timeout() {
    let mut server = ServerGuard::start(
        &TestConfig::default()
            .top("graceful_shutdown_timeout = 1\n")
            .http("timeout = 60\n"),
    );
    let children = server.wait_children(2);
    // A client that sends half a request keeps one child busy for up to `timeout` (60 s).
    let mut slow = Connection::open(server.port()).expect("connect");
    slow.send_raw(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")
        .expect("send half a request");
    let started = Instant::now();
    server.signal(Signal::SIGWINCH);
    let status = server.wait_foreground_exit(Duration::from_secs(15));
    let took = started.elapsed();
    assert!(status.success(), "exit status {status}");
    assert!(
        took >= Duration::from_millis(900),
        "the busy child was not waited for: exited after {took:?}"
    );
    assert!(
        took < Duration::from_secs(12),
        "graceful_shutdown_timeout = 1 did not bound the stop: {took:?}"
    );
    let left: Vec<i32> = children
        .into_iter()
        .filter(|&p| procs::is_alive(p))
        .collect();
    assert!(left.is_empty(), "children left: {left:?}");
    assert!(
        server
            .error_log()
            .contains("graceful_shutdown_timeout reached")
    );
    drop(slow);
}

#[test]
fn crashed_child_is_replaced_at_once_even_with_enough_spares() {
    // min_spare 1: maintenance alone would not replace it (two idle remain); mpmd replaces a
    // crashed child of the running generation immediately.
    let server = ServerGuard::start(
        &TestConfig::default()
            .mpm("start_servers = 3\nmin_spare_servers = 1\nmax_spare_servers = 10\n"),
    );
    let before = server.wait_children(3);
    let victim = before[0];
    // SIGABRT, not SIGSEGV: a SIGSEGV sent by kill(2) is swallowed once by the Rust runtime's
    // stack-overflow handler (a real fault re-triggers and kills).
    kill(Pid::from_raw(victim), Signal::SIGABRT).expect("SIGABRT a child");
    let mut now = Vec::new();
    let replaced = wait_until(START_DEADLINE, || {
        now = server.children();
        now.len() == 3 && !now.contains(&victim)
    });
    assert!(
        replaced,
        "child {victim} not replaced: before {before:?}, now {now:?}"
    );
    server.wait_log_count(&format!("child pid {victim} exit signal Aborted (6)"), 1);
    // It stays at 3: the replacement is not undone or doubled.
    assert!(!wait_until(Duration::from_millis(1500), || server
        .children()
        .len()
        != 3));
}
