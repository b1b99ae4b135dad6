//! Config errors name `FILE:LINE:COL` and the key, and stop the start with exit 1; `-t` checks.

use std::net::TcpListener;

use crate::common::{CmdOutput, ServerGuard, TestConfig, has_location, line_of};

struct BadConfig {
    name: &'static str,
    cfg: TestConfig,
    /// A text on the offending line of the generated config.
    line_with: &'static str,
    /// Texts the error message must contain.
    says: &'static [&'static str],
}

fn bad_configs() -> Vec<BadConfig> {
    let base = TestConfig::default;
    vec![
        BadConfig {
            name: "unknown key",
            cfg: base().mpm("start_servers = 2\nmx_spare_servers = 10\n"),
            line_with: "mx_spare_servers",
            says: &[
                "unknown key \"mx_spare_servers\"",
                "did you mean \"max_spare_servers\"",
            ],
        },
        BadConfig {
            name: "bad value type",
            cfg: base().mpm("start_servers = \"five\"\n"),
            line_with: "start_servers",
            says: &["start_servers"],
        },
        BadConfig {
            name: "bad listen address",
            cfg: base().listen(&["127.0.0.1:99999"]),
            line_with: "listen =",
            says: &["127.0.0.1:99999"],
        },
    ]
}

fn assert_reports(case: &BadConfig, server: &ServerGuard, how: &str, out: &CmdOutput) {
    let name = case.name;
    assert_eq!(out.code(), Some(1), "{name} ({how}): {out:?}");
    let line = line_of(&server.config_text(), case.line_with);
    assert!(
        has_location(&out.stderr, server.conf_path(), line),
        "{name} ({how}): stderr lacks {}:{line}:COL:\n{}",
        server.conf_path().display(),
        out.stderr
    );
    for text in case.says {
        assert!(
            out.stderr.contains(text),
            "{name} ({how}): stderr lacks {text:?}:\n{}",
            out.stderr
        );
    }
}

#[test]
fn config_errors_name_file_line_and_key_and_exit_1() {
    for case in bad_configs() {
        let server = ServerGuard::prepare(&case.cfg);
        assert_reports(&case, &server, "-t", &server.mpmd(&["-t"]));
        // A real (daemon) start fails the same way; if it wrongly started, the guard stops it.
        assert_reports(&case, &server, "start", &server.mpmd(&[]));
        assert!(
            !server.pid_file().exists(),
            "{}: pid file written by a failed start",
            case.name
        );
    }
}

#[test]
fn config_test_says_syntax_ok() {
    let server = ServerGuard::prepare(&TestConfig::default());
    let out = server.mpmd(&["-t"]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.all().contains("Syntax OK"), "{out:?}");
    assert!(!server.pid_file().exists(), "-t must not start anything");
}

#[test]
fn config_test_warns_about_clamped_values() {
    // max_request_workers above server_limit (256) is lowered to it, with Apache's warning.
    let server = ServerGuard::prepare(&TestConfig::default().mpm("max_request_workers = 300\n"));
    let out = server.mpmd(&["-t"]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    let all = out.all();
    assert!(all.contains("Syntax OK"), "{out:?}");
    let lower = all.to_lowercase();
    assert!(
        (lower.contains("max_request_workers") || lower.contains("maxrequestworkers"))
            && all.contains("300")
            && all.contains("256"),
        "no clamp warning naming max_request_workers 300 -> 256: {out:?}"
    );
}

#[test]
fn bind_failure_is_one_clear_line_and_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port to collide with");
    let addr = format!(
        "127.0.0.1:{}",
        taken.local_addr().expect("local addr").port()
    );
    let server = ServerGuard::prepare(&TestConfig::default().listen(&[&addr]));
    let want = format!("could not bind {addr}: address already in use");
    let daemon = server.mpmd(&[]);
    assert_eq!(daemon.code(), Some(1), "daemon start: {daemon:?}");
    assert!(
        daemon.stderr.contains(&want),
        "daemon start stderr lacks {want:?}: {daemon:?}"
    );
    let foreground = server.mpmd(&["-D", "FOREGROUND"]);
    assert_eq!(
        foreground.code(),
        Some(1),
        "foreground start: {foreground:?}"
    );
    assert!(
        foreground.stderr.contains(&want),
        "foreground stderr lacks {want:?}: {foreground:?}"
    );
    assert!(
        !server.pid_file().exists(),
        "pid file written by a failed start"
    );
    drop(taken);
}
