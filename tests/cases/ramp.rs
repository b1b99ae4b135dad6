//! Idle-server maintenance seen from outside: the exponential spawn ramp and the one-per-tick
//! retirement (reference/apache-mpm.md §1), observed by counting the master's children
//! (`common/sampling.rs`).

use std::time::Duration;

use crate::common::http::{Connection, request_bytes};
use crate::common::sampling::{
    MIN_HOLD, Step, assert_tick_spacing, describe, gap_bounds, held_for, sample_children,
    stable_steps,
};
use crate::common::{ServerGuard, TestConfig, exclusive};

fn ramp_config() -> TestConfig {
    TestConfig::default()
        .mpm(
            "start_servers = 1\nmin_spare_servers = 63\nmax_spare_servers = 128\n\
             max_request_workers = 256\n",
        )
        .http("keep_alive_timeout = 60\ntimeout = 60\n")
}

#[test]
fn idle_ramp_doubles_each_tick_up_to_min_spare() {
    let _serial = exclusive();
    let server = ServerGuard::start(&ramp_config());
    // Idle 64 >= min_spare 63 stops the ramp: 1 + 1 + 2 + 4 + 8 + 16 + 32.
    let expected = [1, 2, 4, 8, 16, 32, 64];
    let samples = sample_children(&server, Duration::from_secs(15), |s| {
        held_for(s, 64, Duration::from_millis(1500))
    });
    let steps: Vec<Step> = stable_steps(&samples, MIN_HOLD)
        .into_iter()
        .filter(|s| s.count > 0)
        .collect();
    let counts: Vec<usize> = steps.iter().map(|s| s.count).collect();
    assert_eq!(
        counts,
        expected,
        "child counts; series: {}",
        describe(&samples)
    );
    assert_tick_spacing(&steps, &samples);
    assert!(
        held_for(&samples, 64, Duration::from_millis(1500)),
        "did not stay at 64: {}",
        describe(&samples)
    );
    assert!(
        server.log_count("seems busy") >= 1,
        "no \"server seems busy\" info line at spawn rate >= 8"
    );
    assert_eq!(server.get("/index.html").status, 200);
}

#[test]
fn ramp_under_keep_alive_load_keeps_doubling() {
    let _serial = exclusive();
    let server = ServerGuard::start(&ramp_config());
    // Eight keep-alive connections, each parked in a child (state K, busy) once that child
    // exists. The spawn rate doubles whatever the load: 1, 2, 4, 8, 16, 32 children per tick.
    // At 64 children only 56 are idle (< 63), so one more tick forks 32 (the rate's cap): 96.
    let mut held: Vec<Connection> = (0..8)
        .map(|i| {
            let mut conn =
                Connection::open(server.port()).unwrap_or_else(|e| panic!("connection {i}: {e}"));
            conn.send_raw(&request_bytes("GET", "/index.html", false))
                .unwrap_or_else(|e| panic!("request {i}: {e}"));
            conn
        })
        .collect();
    let expected = [1, 2, 4, 8, 16, 32, 64, 96];
    let samples = sample_children(&server, Duration::from_secs(16), |s| {
        held_for(s, 96, Duration::from_millis(1500))
    });
    let steps: Vec<Step> = stable_steps(&samples, MIN_HOLD)
        .into_iter()
        .filter(|s| s.count > 0)
        .collect();
    let counts: Vec<usize> = steps.iter().map(|s| s.count).collect();
    let increments: Vec<usize> = counts
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .collect();
    assert_eq!(
        increments,
        [1, 2, 4, 8, 16, 32, 32],
        "spawns per tick; series: {}",
        describe(&samples)
    );
    assert_eq!(
        counts,
        expected,
        "child counts; series: {}",
        describe(&samples)
    );
    assert_tick_spacing(&steps, &samples);
    for (i, conn) in held.iter_mut().enumerate() {
        let response = conn
            .read(false)
            .unwrap_or_else(|e| panic!("held connection {i}: {e}"));
        assert_eq!(response.status, 200, "held connection {i}");
        assert!(!response.closes(), "held connection {i} was not kept alive");
    }
}

#[test]
fn idle_children_above_max_spare_retire_one_per_tick() {
    let _serial = exclusive();
    let server = ServerGuard::start(
        &TestConfig::default()
            .mpm("start_servers = 12\nmin_spare_servers = 1\nmax_spare_servers = 4\n"),
    );
    let samples = sample_children(&server, Duration::from_secs(20), |s| {
        held_for(s, 4, Duration::from_millis(1500))
    });
    let steps = stable_steps(&samples, MIN_HOLD);
    // Start-up forks 12 at once; from there one idle child leaves per tick down to max_spare.
    let from_full: Vec<Step> = steps
        .iter()
        .skip_while(|s| s.count != 12)
        .copied()
        .collect();
    let counts: Vec<usize> = from_full.iter().map(|s| s.count).collect();
    let expected: Vec<usize> = (4..=12).rev().collect();
    assert_eq!(
        counts,
        expected,
        "child counts; series: {}",
        describe(&samples)
    );
    for pair in from_full.windows(2) {
        let (_, longest) = gap_bounds(&pair[0], &pair[1]);
        assert!(
            longest >= Duration::from_millis(700),
            "{} -> {} within {longest:?}: more than one retirement per tick; series: {}",
            pair[0].count,
            pair[1].count,
            describe(&samples)
        );
    }
    assert!(
        held_for(&samples, 4, Duration::from_millis(1500)),
        "did not stay at 4: {}",
        describe(&samples)
    );
    assert_eq!(server.get("/index.html").status, 200);
}
