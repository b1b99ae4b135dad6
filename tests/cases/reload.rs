//! A reload (HUP, USR1) that brings a broken config keeps the server running on the old one and
//! says why in the error log; `-k graceful` refuses to signal with a broken config.

use std::thread::sleep;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::common::{ServerGuard, TestConfig, has_location, line_of, procs};

const RELOAD_FAILED: &str = "could not reload configuration";

/// The config with an unknown key in `[mpm]`; returns it and the key's line number.
fn broken(config: &str) -> (String, usize) {
    let text = config.replacen("[mpm]\n", "[mpm]\nmx_spare_servers = 3\n", 1);
    let line = line_of(&text, "mx_spare_servers");
    (text, line)
}

#[test]
fn reload_with_a_broken_config_keeps_serving_the_old_one() {
    let server = ServerGuard::start(&TestConfig::default());
    let master = server.master_pid();
    let good = server.config_text();
    let (bad, bad_line) = broken(&good);
    server.write_config(&bad);

    for (round, signal) in [Signal::SIGHUP, Signal::SIGUSR1].into_iter().enumerate() {
        server.signal(signal);
        server.wait_log_count(RELOAD_FAILED, round + 1);
        let log = server.error_log();
        assert!(
            has_location(&log, server.conf_path(), bad_line),
            "{signal}: error log does not name {}:{bad_line}:COL:\n{log}",
            server.conf_path().display()
        );
        assert!(
            log.contains("mx_spare_servers"),
            "{signal}: error log does not name the key:\n{log}"
        );
        assert!(procs::is_alive(master), "{signal}: master died");
        assert_eq!(server.pid_from_file(), Some(master));
        assert!(!server.children().is_empty(), "{signal}: no children left");
        assert_eq!(
            server.get("/index.html").status,
            200,
            "{signal}: not serving"
        );
    }

    // -k graceful checks the config first: exit 1, the error on stderr, no signal sent.
    let graceful_before = server.log_count("graceful restart requested");
    let failed_before = server.log_count(RELOAD_FAILED);
    let out = server.mpmd(&["-k", "graceful"]);
    assert_eq!(
        out.code(),
        Some(1),
        "-k graceful with a broken config: {out:?}"
    );
    assert!(
        has_location(&out.stderr, server.conf_path(), bad_line),
        "{out:?}"
    );
    // Proving a signal was *not* sent needs a pause; it bounds nothing else.
    sleep(Duration::from_millis(500));
    assert_eq!(
        server.log_count("graceful restart requested"),
        graceful_before,
        "-k graceful signalled anyway"
    );
    assert_eq!(
        server.log_count(RELOAD_FAILED),
        failed_before,
        "-k graceful signalled anyway"
    );

    // Fixed again, a graceful restart goes through.
    server.write_config(&good);
    let out = server.mpmd(&["-k", "graceful"]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    server.wait_log_count("graceful restart requested", graceful_before + 1);
    assert_eq!(server.get("/index.html").status, 200);
    assert!(procs::is_alive(master));
}
