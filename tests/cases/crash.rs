//! A child killed by a signal the master did not send is logged with the signal and replaced.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::common::{START_DEADLINE, ServerGuard, TestConfig, procs, wait_until};

#[test]
fn killed_child_is_logged_and_replaced() {
    // min_spare 3 = start_servers: losing one child leaves 2 idle, below the minimum, so the next
    // maintenance tick forks a replacement.
    let server = ServerGuard::start(
        &TestConfig::default()
            .mpm("start_servers = 3\nmin_spare_servers = 3\nmax_spare_servers = 10\n"),
    );
    let master = server.master_pid();
    let before = server.wait_children(3);
    let victim = before[1];
    kill(Pid::from_raw(victim), Signal::SIGKILL).expect("SIGKILL a child");

    let mut now = Vec::new();
    let replaced = wait_until(START_DEADLINE, || {
        now = server.children();
        now.len() == 3 && !now.contains(&victim)
    });
    assert!(
        replaced,
        "child {victim} not replaced: before {before:?}, now {now:?}"
    );
    assert!(!procs::is_alive(victim));
    assert!(
        now.iter().any(|pid| !before.contains(pid)),
        "no new pid in {now:?}"
    );
    server.wait_log_count(&format!("child pid {victim} exit signal Killed (9)"), 1);
    assert_eq!(server.master_pid(), master);
    assert!(procs::is_alive(master));
    assert_eq!(server.get("/index.html").status, 200);
}
