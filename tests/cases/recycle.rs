//! `max_connections_per_child`: a child leaves after N connections (not requests) and is replaced.

use std::collections::BTreeMap;

use crate::common::{START_DEADLINE, ServerGuard, TestConfig, wait_until};

#[test]
fn children_recycle_after_max_connections_per_child() {
    let server = ServerGuard::start(
        &TestConfig::default()
            .mpm(
                "start_servers = 2\nmin_spare_servers = 2\nmax_spare_servers = 4\n\
                 max_connections_per_child = 3\n",
            )
            .log("log_format = \"%h %P %>s %r\"\n"),
    );
    let first_children = server.wait_children(2);
    const CONNECTIONS: usize = 12;
    for i in 0..CONNECTIONS {
        let response = server.get("/index.html");
        assert_eq!(response.status, 200, "connection {i}: {response:?}");
    }

    let mut lines = Vec::new();
    let logged = wait_until(START_DEADLINE, || {
        lines = server.access_log().lines().map(str::to_owned).collect();
        lines.len() >= CONNECTIONS
    });
    assert!(
        logged,
        "access log has {} of {CONNECTIONS} lines:\n{}",
        lines.len(),
        lines.join("\n")
    );
    let mut per_pid: BTreeMap<i32, usize> = BTreeMap::new();
    for line in &lines {
        // "%h %P %>s %r": 127.0.0.1 PID 200 GET /index.html HTTP/1.1
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert!(
            fields.len() >= 4 && fields[2] == "200",
            "access log line {line:?}"
        );
        let pid: i32 = fields[1]
            .parse()
            .unwrap_or_else(|_| panic!("no pid in {line:?}"));
        *per_pid.entry(pid).or_default() += 1;
    }
    assert!(
        per_pid.values().all(|&n| n <= 3),
        "a child served more than 3 connections: {per_pid:?}"
    );
    assert!(
        per_pid.len() >= 4,
        "only {} children served {CONNECTIONS} connections: {per_pid:?}",
        per_pid.len()
    );
    // Replacements keep coming: the pool is back to at least min_spare, with new pids.
    let mut now = Vec::new();
    let refilled = wait_until(START_DEADLINE, || {
        now = server.children();
        now.len() >= 2
    });
    assert!(refilled, "pool not refilled: {now:?}");
    assert_ne!(now, first_children, "no child was ever replaced");
}
