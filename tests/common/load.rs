//! Keep-alive load with graceful restarts in the middle: the client side of the "a graceful
//! restart loses no request" tests (prefork in `graceful.rs`, worker and event in
//! `threads.rs`).
//!
//! Each client sends keep-alive requests back to back, counted the way `wrk` counts: a
//! `Connection: close` or a connection the server had already closed after a complete response
//! (seen before the next request is sent) just means reconnecting; everything else is a
//! failure: connect error, reset, end of file before a complete response (the request was in
//! flight: the race a graceful restart must not have), a wrong status or body.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, sleep};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::{INDEX_HTML, KeepAliveClient, START_DEADLINE, ServerGuard, wait_until};

/// Failure messages kept per client (the count is exact either way).
const KEEP_MESSAGES: usize = 20;

/// What the clients saw, summed.
#[derive(Debug, Default)]
pub struct LoadStats {
    pub ok: u64,
    pub failed: u64,
    /// Connections the server closed after a complete response without announcing it, seen
    /// before the next request was sent (counted, not failed: nothing was in flight).
    pub unannounced_closes: u64,
    pub connects: u64,
    pub messages: Vec<String>,
}

/// How a run goes: `clients` connections for `load_for`, with `restarts` graceful restarts
/// (alternately SIGUSR1 and `mpmd -k graceful`) `spacing` apart once the load got going.
#[derive(Debug, Clone, Copy)]
pub struct GracefulRun {
    pub clients: usize,
    pub load_for: Duration,
    pub restarts: usize,
    pub spacing: Duration,
}

/// Sets the flag when dropped, so the load threads stop even when the test panics.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

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

/// Runs the load and the restarts against `server`; returns the clients' sums.
pub fn graceful_restarts_under_load(server: &ServerGuard, run: GracefulRun) -> LoadStats {
    let port = server.port();
    let stop = AtomicBool::new(false);
    let progress = AtomicU64::new(0);
    let per_client: Vec<LoadStats> = thread::scope(|scope| {
        let _stop_on_drop = StopOnDrop(&stop);
        let started = Instant::now();
        let clients: Vec<_> = (0..run.clients)
            .map(|_| scope.spawn(|| keep_alive_load(port, &stop, &progress)))
            .collect();
        assert!(
            wait_until(START_DEADLINE, || progress.load(Ordering::Relaxed) >= 50),
            "load never got going"
        );
        for i in 0..run.restarts {
            let before = server.log_count("graceful restart requested");
            if i % 2 == 0 {
                server.signal(Signal::SIGUSR1);
            } else {
                let out = server.mpmd(&["-k", "graceful"]);
                assert_eq!(out.code(), Some(0), "mpmd -k graceful: {out:?}");
            }
            server.wait_log_count("graceful restart requested", before + 1);
            sleep(run.spacing);
        }
        while started.elapsed() < run.load_for {
            sleep(Duration::from_millis(50));
        }
        stop.store(true, Ordering::SeqCst);
        clients
            .into_iter()
            .map(|c| c.join().expect("load thread panicked"))
            .collect()
    });
    let mut total = LoadStats::default();
    for s in per_client {
        total.ok += s.ok;
        total.failed += s.failed;
        total.unannounced_closes += s.unannounced_closes;
        total.connects += s.connects;
        total.messages.extend(s.messages);
    }
    eprintln!(
        "graceful under load: {} ok, {} failed, {} connections, {} closed by the server \
         without Connection: close",
        total.ok, total.failed, total.connects, total.unannounced_closes
    );
    total
}
