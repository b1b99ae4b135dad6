//! Threaded children (issue 5): the worker and event MPMs seen from outside. Thread layout
//! (`/proc/PID/task`), maintenance by idle threads, graceful restarts under keep-alive load,
//! `max_connections_per_child`, squatting (worker), parked keep-alive connections (event).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::http::{Connection, request_bytes};
use crate::common::load::{GracefulRun, graceful_restarts_under_load};
use crate::common::sampling::{
    MIN_HOLD, Step, assert_tick_spacing, describe, held_for, sample_children, stable_steps,
};
use crate::common::{
    INDEX_HTML, START_DEADLINE, ServerGuard, TestConfig, exclusive, procs, wait_until,
};

/// `[mpm]` for `module` plus `rest`.
fn mpm(module: &str, rest: &str) -> TestConfig {
    TestConfig::default().mpm(&format!("module = \"{module}\"\n{rest}"))
}

/// Waits until every child of `server` runs exactly `threads` threads; returns the children.
fn wait_threads(server: &ServerGuard, children: usize, threads: usize) -> Vec<i32> {
    let mut last = Vec::new();
    let ok = wait_until(START_DEADLINE, || {
        last = server
            .children()
            .into_iter()
            .map(|pid| (pid, procs::thread_count(pid)))
            .collect::<Vec<_>>();
        last.len() == children && last.iter().all(|&(_, n)| n == threads)
    });
    assert!(
        ok,
        "wanted {children} children of {threads} threads: {last:?}"
    );
    last.into_iter().map(|(pid, _)| pid).collect()
}

#[test]
fn each_child_runs_threads_per_child_workers_a_listener_and_its_main_thread() {
    for module in ["worker", "event"] {
        let server = ServerGuard::start(&mpm(
            module,
            "start_servers = 2\nthreads_per_child = 3\nmin_spare_threads = 1\n\
             max_spare_threads = 10\nserver_limit = 4\nmax_request_workers = 12\n",
        ));
        let children = wait_threads(&server, 2, 3 + 2);
        // A thread names itself once it runs: on a loaded machine /proc may show it a moment
        // earlier under its parent's name.
        let want = ["listener", "mpmd", "worker-0", "worker-1", "worker-2"];
        let mut names = Vec::new();
        let named = wait_until(START_DEADLINE, || {
            names = procs::thread_names(children[0]);
            names == want
        });
        assert!(named, "{module}: {names:?}");
        for _ in 0..5 {
            let response = server.get("/index.html");
            assert_eq!(response.status, 200, "{module}");
            assert_eq!(response.body, INDEX_HTML.as_bytes(), "{module}");
        }
        assert_eq!(
            server.log_count("[error]"),
            0,
            "{module}: {}",
            server.error_log()
        );
    }
}

#[test]
fn children_ramp_and_retire_by_idle_threads() {
    let _serial = exclusive();
    // 2 threads per child, min_spare_threads 9: 1 -> 2 -> 4 -> 8 children (1, 2, 4 forks per
    // tick). 16 idle threads > max_spare_threads 12: one child retires per tick, down to 6.
    let server = ServerGuard::start(&mpm(
        "worker",
        "start_servers = 1\nthreads_per_child = 2\nmin_spare_threads = 9\n\
         max_spare_threads = 12\nserver_limit = 8\nmax_request_workers = 16\n",
    ));
    let samples = sample_children(&server, Duration::from_secs(15), |s| {
        s.iter().any(|x| x.count == 8) && held_for(s, 6, Duration::from_millis(1500))
    });
    let steps: Vec<Step> = stable_steps(&samples, MIN_HOLD)
        .into_iter()
        .filter(|s| s.count > 0)
        .collect();
    let counts: Vec<usize> = steps.iter().map(|s| s.count).collect();
    assert_eq!(counts, [1, 2, 4, 8, 7, 6], "series: {}", describe(&samples));
    assert_tick_spacing(&steps, &samples);
    assert_eq!(server.get("/index.html").status, 200);
}

fn graceful_under_load(module: &str) {
    let _serial = exclusive();
    // 3 children x 4 threads: every client has a thread, with spares; keep-alive connections
    // idle at the moment of a restart must not see an error.
    let server = ServerGuard::start(&mpm(
        module,
        "start_servers = 3\nthreads_per_child = 4\nmin_spare_threads = 2\n\
         max_spare_threads = 16\nserver_limit = 16\nmax_request_workers = 32\n",
    ));
    let original = server.wait_children(3);
    let run = GracefulRun {
        clients: 8,
        load_for: Duration::from_secs(6),
        restarts: 5,
        spacing: Duration::from_millis(800),
    };
    let stats = graceful_restarts_under_load(&server, run);
    assert_eq!(
        stats.failed, 0,
        "{module}: failed requests across {} graceful restarts: {:#?}",
        run.restarts, stats.messages
    );
    assert!(stats.ok > 500, "{module}: only {} requests", stats.ok);
    let gone = wait_until(START_DEADLINE, || {
        original.iter().all(|&pid| !procs::is_alive(pid))
    });
    assert!(gone, "{module}: first-generation children still alive");
    assert!(!server.children().is_empty());
    assert_eq!(server.get("/index.html").status, 200);
}

#[test]
fn worker_graceful_restarts_under_keep_alive_load_lose_no_request() {
    graceful_under_load("worker");
}

#[test]
fn event_graceful_restarts_under_keep_alive_load_lose_no_request() {
    graceful_under_load("event");
}

/// The pid that served each access log line ("%P %>s").
fn connections_per_pid(server: &ServerGuard, lines: usize) -> BTreeMap<i32, usize> {
    let mut text = String::new();
    let logged = wait_until(START_DEADLINE, || {
        text = server.access_log();
        text.lines().count() >= lines
    });
    assert!(logged, "access log has fewer than {lines} lines:\n{text}");
    let mut per_pid = BTreeMap::new();
    for line in text.lines() {
        let pid: i32 = line
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no pid in {line:?}"));
        *per_pid.entry(pid).or_default() += 1;
    }
    per_pid
}

#[test]
fn max_connections_per_child_recycles_threaded_children() {
    // worker counts completed connections (up to threads_per_child more may be in hand);
    // event counts accepted ones, exactly.
    for (module, slack) in [("worker", 2), ("event", 0)] {
        let server = ServerGuard::start(
            &mpm(
                module,
                "start_servers = 2\nthreads_per_child = 2\nmin_spare_threads = 1\n\
                 max_spare_threads = 8\nserver_limit = 8\nmax_request_workers = 8\n\
                 max_connections_per_child = 3\n",
            )
            .log("log_format = \"%P %>s\"\n"),
        );
        let first = server.wait_children(2);
        const CONNECTIONS: usize = 12;
        for i in 0..CONNECTIONS {
            let ok = wait_until(START_DEADLINE, || {
                crate::common::http::exchange(
                    server.port(),
                    &request_bytes("GET", "/index.html", true),
                )
                .is_ok_and(|r| r.status == 200)
            });
            assert!(ok, "{module}: connection {i} failed");
        }
        let per_pid = connections_per_pid(&server, CONNECTIONS);
        assert!(
            per_pid.values().all(|&n| n <= 3 + slack),
            "{module}: a child served too many connections: {per_pid:?}"
        );
        assert!(per_pid.len() >= 4, "{module}: {per_pid:?}");
        let replaced = wait_until(START_DEADLINE, || {
            let now = server.children();
            !now.is_empty() && now.iter().all(|pid| !first.contains(pid))
        });
        assert!(replaced, "{module}: the first children were not replaced");
    }
}

#[test]
fn worker_forks_onto_the_slot_of_a_child_that_is_still_finishing() {
    let _serial = exclusive();
    // Two slots only (max_request_workers = 2 x 2) and three idle keep-alive connections: one
    // old child holds two (no thread free), the other one (one thread busy, one free). After a
    // graceful restart both old children wait for their connections (keep-alive timeout 8 s),
    // so no slot is empty: the new generation must start on the half-free slot (squatting),
    // claim the released worker record, serve, and take the rest once the old child is gone.
    let server = ServerGuard::start(
        &mpm(
            "worker",
            "start_servers = 2\nthreads_per_child = 2\nmin_spare_threads = 1\n\
             max_spare_threads = 5\nserver_limit = 2\nmax_request_workers = 4\n",
        )
        .http("keep_alive_timeout = 8\n"),
    );
    let old = server.wait_children(2);
    let mut held: Vec<Connection> = Vec::new();
    for i in 0..3 {
        let mut conn = Connection::open(server.port()).expect("connect");
        let response = conn.request("GET", "/index.html").expect("request");
        assert_eq!(response.status, 200, "held connection {i}");
        held.push(conn);
    }
    server.signal(nix::sys::signal::Signal::SIGUSR1);
    server.wait_log_count("graceful restart requested", 1);
    let mut squatter = None;
    let found = wait_until(START_DEADLINE, || {
        squatter = server.children().into_iter().find(|pid| !old.contains(pid));
        squatter.is_some()
    });
    assert!(found, "no new child while the old ones finish");
    let squatter = squatter.unwrap();
    assert!(
        old.iter().all(|&pid| procs::is_alive(pid)),
        "old children left while their connections were open"
    );
    let served = wait_until(START_DEADLINE, || server.get("/index.html").status == 200);
    assert!(served);
    // Until the old child leaves, the squatter runs only the worker it could claim (plus its
    // starter thread, which waits for the other record).
    assert_eq!(
        procs::thread_count(squatter),
        1 + 2 + 1,
        "{:?}",
        procs::thread_names(squatter)
    );
    // A held connection's next request is answered by its old child, which then closes it.
    let response = held[0].request("GET", "/index.html").expect("held request");
    assert_eq!(response.status, 200);
    assert!(
        response.closes(),
        "the old child's last response must close"
    );
    drop(held);
    let gone = wait_until(START_DEADLINE, || {
        old.iter().all(|&pid| !procs::is_alive(pid))
    });
    assert!(
        gone,
        "old children did not leave once their connections ended"
    );
    let full = wait_until(START_DEADLINE, || procs::thread_count(squatter) == 2 + 2);
    assert!(
        full,
        "squatter threads: {:?}",
        procs::thread_names(squatter)
    );
}

/// Raises this process's open-file limit (inherited by the server it starts) to `want`, or
/// as far as the hard limit allows.
fn raise_nofile(want: u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < want
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, want.min(hard), hard);
    }
}

#[test]
fn event_parks_1000_idle_keep_alive_connections_without_a_thread_each() {
    let _serial = exclusive();
    raise_nofile(4096);
    const CONNECTIONS: usize = 1000;
    const TPC: usize = 10;
    // Two children of 10 workers; async_request_worker_factor 60 lets each hold 10 + 10 x 60
    // connections, so the thousand fit in the two.
    let server = ServerGuard::start(
        &mpm(
            "event",
            "start_servers = 2\nthreads_per_child = 10\nmin_spare_threads = 1\n\
             max_spare_threads = 40\nserver_limit = 4\nmax_request_workers = 40\n\
             async_request_worker_factor = 60\n",
        )
        .http("keep_alive_timeout = 60\n"),
    );
    wait_threads(&server, 2, TPC + 2);
    let mut conns = Vec::with_capacity(CONNECTIONS);
    for i in 0..CONNECTIONS {
        let mut conn =
            Connection::open(server.port()).unwrap_or_else(|e| panic!("connection {i}: {e}"));
        let response = conn
            .request("GET", "/index.html")
            .unwrap_or_else(|e| panic!("request on connection {i}: {e}"));
        assert_eq!(response.status, 200, "connection {i}");
        assert!(!response.closes(), "connection {i} was not kept alive");
        conns.push(conn);
    }
    // Every connection is idle now, and no child runs more than its workers, its listener
    // and its main thread.
    for pid in server.children() {
        assert_eq!(
            procs::thread_count(pid),
            TPC + 2,
            "child {pid}: {:?}",
            procs::thread_names(pid)
        );
    }
    // All of them send at once; every one is answered on its own connection.
    for (i, conn) in conns.iter_mut().enumerate() {
        conn.send_raw(&request_bytes("GET", "/index.html", false))
            .unwrap_or_else(|e| panic!("second request on connection {i}: {e}"));
    }
    for (i, conn) in conns.iter_mut().enumerate() {
        let response = conn
            .read(false)
            .unwrap_or_else(|e| panic!("second response on connection {i}: {e}"));
        assert_eq!(response.status, 200, "connection {i}");
        assert_eq!(response.body, INDEX_HTML.as_bytes());
    }
    assert_eq!(server.log_count("[error]"), 0, "{}", server.error_log());
}

#[test]
fn graceful_stop_answers_the_next_request_on_an_idle_connection_then_exits() {
    for module in ["worker", "event"] {
        let mut server = ServerGuard::start(&mpm(
            module,
            "start_servers = 2\nthreads_per_child = 2\nmin_spare_threads = 1\n\
             max_spare_threads = 5\nserver_limit = 4\nmax_request_workers = 8\n",
        ));
        let children = server.wait_children(2);
        let mut conn = Connection::open(server.port()).expect("connect");
        assert_eq!(
            conn.request("GET", "/index.html").expect("first").status,
            200
        );
        server.signal(nix::sys::signal::Signal::SIGWINCH);
        server.wait_log_count("shutting down gracefully", 1);
        // The idle connection is not cut: its next request is served, and closes it. (The
        // master logs once it has told the children; a child's main thread may learn it a
        // moment later on a loaded machine, so one request may still be answered keep-alive
        // before the closing one.)
        let mut response = conn.request("GET", "/index.html").expect("after WINCH");
        if !response.closes() {
            assert_eq!(response.status, 200, "{module}");
            response = conn
                .request("GET", "/index.html")
                .expect("after WINCH, again");
        }
        assert_eq!(response.status, 200, "{module}");
        assert!(response.closes(), "{module}: the last response must close");
        let status = server.wait_foreground_exit(START_DEADLINE);
        assert!(status.success(), "{module}: {status}");
        assert!(
            children.iter().all(|&pid| !procs::is_alive(pid)),
            "{module}: children left behind"
        );
    }
}

#[test]
fn stop_ends_busy_threaded_children_at_once() {
    for module in ["worker", "event"] {
        let mut server = ServerGuard::start(
            &mpm(
                module,
                "start_servers = 1\nthreads_per_child = 2\nmin_spare_threads = 1\n\
             max_spare_threads = 5\nserver_limit = 4\nmax_request_workers = 8\n",
            )
            .http("keep_alive_timeout = 30\n"),
        );
        let children = server.wait_children(1);
        let mut conn = Connection::open(server.port()).expect("connect");
        assert_eq!(
            conn.request("GET", "/index.html").expect("request").status,
            200
        );
        server.signal(nix::sys::signal::Signal::SIGTERM);
        let status = server.wait_foreground_exit(START_DEADLINE);
        assert!(status.success(), "{module}: {status}");
        assert!(
            children.iter().all(|&pid| !procs::is_alive(pid)),
            "{module}"
        );
        assert!(
            conn.closed_by_server(),
            "{module}: the connection was left open"
        );
        // No escalation was needed: the children left on '$' / SIGTERM at once.
        assert_eq!(server.log_count("still did not exit"), 0, "{module}");
    }
}
