//! Daemon mode and `-k start|stop` through the pid file (spec/cli.md).

use std::fs;
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::{INDEX_HTML, ServerGuard, TestConfig, procs};

fn pool_of_three() -> TestConfig {
    TestConfig::default().mpm("start_servers = 3\nmin_spare_servers = 1\nmax_spare_servers = 10\n")
}

#[test]
fn daemon_starts_serves_and_stops_with_k_stop() {
    let mut server = ServerGuard::start_daemon(&pool_of_three());
    let master = server.master_pid();
    assert_eq!(
        server.pid_from_file(),
        Some(master),
        "pid file names the master"
    );
    let me = std::process::id() as i32;
    assert_ne!(
        procs::stat(master).map(|s| s.ppid),
        Some(me),
        "the daemon did not detach"
    );

    // Exactly start_servers children, and it stays so: 3 idle is within [1, 10].
    let children = server.wait_children(3);
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        let now = server.children();
        assert_eq!(
            now.len(),
            3,
            "children changed from {children:?} to {now:?}"
        );
        sleep(Duration::from_millis(50));
    }

    let response = server.get("/index.html");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.text(), INDEX_HTML);
    let content_type = response.header("content-type").expect("Content-Type");
    assert!(
        content_type.starts_with("text/html"),
        "Content-Type {content_type}"
    );
    assert_eq!(
        response.header("content-length"),
        Some(INDEX_HTML.len().to_string().as_str())
    );
    let date = response.header("date").expect("Date header");
    let date = httpdate::parse_http_date(date).expect("Date is an HTTP date");
    let skew = date
        .duration_since(SystemTime::now())
        .unwrap_or_else(|e| e.duration());
    assert!(skew < Duration::from_secs(60), "Date is {skew:?} off");
    let server_header = response.header("server").expect("Server header");
    assert!(server_header.starts_with("mpmd"), "Server: {server_header}");
    let last_modified = response
        .header("last-modified")
        .expect("Last-Modified header");
    let last_modified =
        httpdate::parse_http_date(last_modified).expect("Last-Modified is an HTTP date");
    let mtime = fs::metadata(server.docroot().join("index.html"))
        .and_then(|m| m.modified())
        .expect("mtime");
    let mtime_secs = mtime
        .duration_since(UNIX_EPOCH)
        .expect("mtime after epoch")
        .as_secs();
    assert_eq!(
        last_modified,
        UNIX_EPOCH + Duration::from_secs(mtime_secs),
        "Last-Modified != file mtime"
    );

    // A second start finds the first.
    let again = server.mpmd(&["-k", "start"]);
    assert_eq!(again.code(), Some(0), "{again:?}");
    assert!(again.all().contains("already running"), "{again:?}");
    assert!(
        again.all().contains(&master.to_string()),
        "names the running pid: {again:?}"
    );
    assert_eq!(server.pid_from_file(), Some(master));

    // -k stop returns once the master is gone, with every child and the pid file.
    let mut family = server.children();
    family.push(master);
    let stop = server.mpmd(&["-k", "stop"]);
    assert_eq!(stop.code(), Some(0), "{stop:?}");
    assert!(
        !server.pid_file().exists(),
        "pid file left behind after -k stop"
    );
    let left: Vec<i32> = family
        .into_iter()
        .filter(|&pid| procs::is_alive(pid))
        .collect();
    assert!(
        left.is_empty(),
        "processes left after -k stop returned: {left:?}"
    );
    server.forget_processes();

    let not_running = server.mpmd(&["-k", "stop"]);
    assert_eq!(not_running.code(), Some(1), "{not_running:?}");
    assert!(not_running.all().contains("not running"), "{not_running:?}");
}

#[test]
fn version_flags() {
    let scratch = ServerGuard::prepare(&TestConfig::default());
    for flag in ["-v", "-V"] {
        let out = scratch.run(&[flag]);
        assert_eq!(out.code(), Some(0), "{flag}: {out:?}");
        assert!(
            out.all().contains(env!("CARGO_PKG_VERSION")),
            "{flag} prints the version: {out:?}"
        );
    }
    let detailed = scratch.run(&["-V"]);
    assert!(
        detailed.all().to_lowercase().contains("prefork"),
        "-V lists the MPMs: {detailed:?}"
    );
}
