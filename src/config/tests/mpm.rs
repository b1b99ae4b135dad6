//! `[mpm]` clamps (reference apache-mpm.md §1, §2), as pure-function case tables.

use crate::config::mpm::*;
use crate::config::types::{MpmConfig, MpmModule};

/// Five counts a row checks.
type Five = (u32, u32, u32, u32, u32);

fn prefork(input: MpmInput) -> (MpmConfig, Vec<String>) {
    resolve_mpm(MpmModule::Prefork, &input, None)
}

#[test]
fn defaults_match_the_spec() {
    let (c, w) = prefork(MpmInput::default());
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(
        (c.start_servers, c.min_spare_servers, c.max_spare_servers),
        (5, 5, 10)
    );
    assert_eq!((c.server_limit, c.max_request_workers), (256, 256));
    assert_eq!(c.max_connections_per_child, 0);
    assert_eq!(
        (
            c.threads_per_child,
            c.thread_limit,
            c.min_spare_threads,
            c.max_spare_threads
        ),
        (25, 64, 75, 250)
    );
    for module in [MpmModule::Worker, MpmModule::Event] {
        let (c, w) = resolve_mpm(module, &MpmInput::default(), None);
        assert!(w.is_empty(), "{module:?}: {w:?}");
        assert_eq!(
            (c.start_servers, c.server_limit, c.max_request_workers),
            (3, 16, 400)
        );
        assert_eq!((c.min_spare_threads, c.max_spare_threads), (75, 250));
    }
}

/// One row: the input, the expected (start, min_spare, max_spare, server_limit,
/// max_request_workers), and the expected warnings.
#[test]
fn prefork_clamps() {
    let input = |f: fn(&mut MpmInput)| {
        let mut i = MpmInput::default();
        f(&mut i);
        i
    };
    let cases: Vec<(MpmInput, Five, Vec<&str>)> = vec![
        (
            input(|i| i.max_request_workers = Some(300)),
            (5, 5, 10, 256, 256),
            vec![
                "max_request_workers of 300 exceeds server_limit value of 256 servers, \
                 decreasing max_request_workers to 256. To increase, please see the \
                 server_limit key.",
            ],
        ),
        (
            input(|i| i.server_limit = Some(300_000)),
            (5, 5, 10, 200_000, 256),
            vec![
                "server_limit of 300000 exceeds compile-time limit of 200000 servers, \
                 decreasing to 200000.",
            ],
        ),
        (
            input(|i| i.server_limit = Some(0)),
            (1, 5, 10, 1, 1),
            vec![
                "server_limit of 0 not allowed, increasing to 1.",
                "max_request_workers of 256 exceeds server_limit value of 1 servers, \
                 decreasing max_request_workers to 1. To increase, please see the \
                 server_limit key.",
                "start_servers of 5 exceeds max_request_workers of 1, decreasing \
                 start_servers to 1.",
            ],
        ),
        (
            input(|i| i.max_request_workers = Some(0)),
            (1, 5, 10, 256, 1),
            vec![
                "max_request_workers of 0 not allowed, increasing to 1.",
                "start_servers of 5 exceeds max_request_workers of 1, decreasing \
                 start_servers to 1.",
            ],
        ),
        (
            input(|i| i.start_servers = Some(0)),
            (1, 5, 10, 256, 256),
            vec!["start_servers of 0 not allowed, increasing to 1."],
        ),
        (
            input(|i| i.min_spare_servers = Some(0)),
            (5, 1, 10, 256, 256),
            vec![
                "min_spare_servers of 0 not allowed, increasing to 1 to avoid almost \
                 certain server failure. Please read the documentation.",
            ],
        ),
        (
            input(|i| i.min_spare_servers = Some(20)),
            (5, 20, 21, 256, 256),
            vec!["max_spare_servers of 10 is less than min_spare_servers + 1, increasing to 21."],
        ),
        (
            input(|i| {
                i.min_spare_servers = Some(4);
                i.max_spare_servers = Some(4);
            }),
            (5, 4, 5, 256, 256),
            vec!["max_spare_servers of 4 is less than min_spare_servers + 1, increasing to 5."],
        ),
        (
            input(|i| {
                i.start_servers = Some(50);
                i.server_limit = Some(10);
                i.max_request_workers = Some(10);
            }),
            (10, 5, 10, 10, 10),
            vec![
                "start_servers of 50 exceeds max_request_workers of 10, decreasing \
                 start_servers to 10.",
            ],
        ),
        (
            input(|i| {
                i.server_limit = Some(1000);
                i.max_request_workers = Some(1000);
                i.max_connections_per_child = Some(7);
            }),
            (5, 5, 10, 1000, 1000),
            vec![],
        ),
        (
            input(|i| {
                i.threads_per_child = Some(10);
                i.min_spare_threads = Some(1);
            }),
            (5, 5, 10, 256, 256),
            vec![
                "threads_per_child is ignored by the prefork MPM",
                "min_spare_threads is ignored by the prefork MPM",
            ],
        ),
    ];
    for (input, expected, warnings) in cases {
        let (c, w) = prefork(input.clone());
        let got = (
            c.start_servers,
            c.min_spare_servers,
            c.max_spare_servers,
            c.server_limit,
            c.max_request_workers,
        );
        assert_eq!(got, expected, "{input:?}");
        assert_eq!(w, warnings, "{input:?}");
    }
}

#[test]
fn restart_keeps_server_limit() {
    let old = Retained {
        module: MpmModule::Prefork,
        server_limit: 256,
        thread_limit: 64,
    };
    let input = MpmInput {
        server_limit: Some(512),
        max_request_workers: Some(512),
        ..MpmInput::default()
    };
    let (c, w) = resolve_mpm(MpmModule::Prefork, &input, Some(old));
    assert_eq!((c.server_limit, c.max_request_workers), (256, 256));
    assert_eq!(
        w[0],
        "changing server_limit to 512 from original value of 256 not allowed during restart"
    );
    assert!(w[1].starts_with("max_request_workers of 512 exceeds server_limit value of 256"));
    // The same value again: no warning.
    let same = MpmInput {
        server_limit: Some(256),
        ..MpmInput::default()
    };
    assert!(
        resolve_mpm(MpmModule::Prefork, &same, Some(old))
            .1
            .is_empty()
    );

    let threaded = MpmInput {
        server_limit: Some(32),
        thread_limit: Some(128),
        ..MpmInput::default()
    };
    let old = Retained {
        module: MpmModule::Event,
        server_limit: 16,
        thread_limit: 64,
    };
    let (c, w) = resolve_mpm(MpmModule::Event, &threaded, Some(old));
    assert_eq!((c.server_limit, c.thread_limit), (16, 64));
    assert_eq!(
        w,
        [
            "changing server_limit to 32 from original value of 16 not allowed during restart",
            "changing thread_limit to 128 from original value of 64 not allowed during restart"
        ]
    );
}

/// worker/event (reference §2): (input, expected (tpc, max_request_workers, start,
/// min_spare_threads, max_spare_threads), warnings).
#[test]
fn threaded_clamps() {
    let input = |f: fn(&mut MpmInput)| {
        let mut i = MpmInput::default();
        f(&mut i);
        i
    };
    let cases: Vec<(MpmModule, MpmInput, Five, Vec<&str>)> = vec![
        (
            MpmModule::Worker,
            input(|i| i.threads_per_child = Some(100)),
            (64, 384, 3, 75, 250),
            vec![
                "threads_per_child of 100 exceeds thread_limit of 64 threads, decreasing to \
                 64. To increase, please see the thread_limit key.",
                "max_request_workers of 400 is not an integer multiple of threads_per_child \
                 of 64, decreasing to nearest multiple 384, for a maximum of 6 servers.",
            ],
        ),
        (
            MpmModule::Worker,
            input(|i| i.max_request_workers = Some(10)),
            (25, 25, 1, 75, 250),
            vec![
                "max_request_workers of 10 is less than threads_per_child of 25, increasing \
                 to 25. max_request_workers must be at least as large as the number of \
                 threads in a single server.",
                "start_servers of 3 exceeds the 1 servers max_request_workers allows, \
                 decreasing start_servers to 1.",
            ],
        ),
        (
            MpmModule::Event,
            input(|i| i.max_request_workers = Some(1000)),
            (25, 400, 3, 75, 250),
            vec![
                "max_request_workers of 1000 would require 40 servers and would exceed \
                 server_limit of 16, decreasing to 400. To increase, please see the \
                 server_limit key.",
            ],
        ),
        (
            MpmModule::Event,
            input(|i| {
                i.thread_limit = Some(200_000);
                i.threads_per_child = Some(0);
                i.min_spare_threads = Some(0);
                i.max_spare_threads = Some(0);
            }),
            (1, 16, 3, 1, 3),
            vec![
                "thread_limit of 200000 exceeds compile-time limit of 100000 threads, \
                 decreasing to 100000.",
                "threads_per_child of 0 not allowed, increasing to 1.",
                "max_request_workers of 400 would require 400 servers and would exceed \
                 server_limit of 16, decreasing to 16. To increase, please see the \
                 server_limit key.",
                "min_spare_threads of 0 not allowed, increasing to 1 to avoid almost \
                 certain server failure. Please read the documentation.",
                "max_spare_threads of 0 is less than min_spare_threads + threads_per_child \
                 + 1, increasing to 3.",
            ],
        ),
        (
            MpmModule::Worker,
            input(|i| {
                i.server_limit = Some(30_000);
                i.thread_limit = Some(0);
                i.min_spare_servers = Some(2);
            }),
            (1, 400, 3, 75, 250),
            vec![
                "server_limit of 30000 exceeds compile-time limit of 20000 servers, \
                 decreasing to 20000.",
                "thread_limit of 0 not allowed, increasing to 1.",
                "threads_per_child of 25 exceeds thread_limit of 1 threads, decreasing to \
                 1. To increase, please see the thread_limit key.",
                "min_spare_servers is ignored by the worker MPM",
            ],
        ),
    ];
    for (module, input, expected, warnings) in cases {
        let (c, w) = resolve_mpm(module, &input, None);
        let got = (
            c.threads_per_child,
            c.max_request_workers,
            c.start_servers,
            c.min_spare_threads,
            c.max_spare_threads,
        );
        assert_eq!(got, expected, "{module:?} {input:?}");
        assert_eq!(w, warnings, "{module:?} {input:?}");
    }
}

#[test]
fn async_request_worker_factor_is_stored_in_sixteenths() {
    let with = |module, factor| {
        let input = MpmInput {
            async_request_worker_factor: Some(factor),
            ..MpmInput::default()
        };
        let (c, w) = resolve_mpm(module, &input, None);
        (c.async_request_worker_factor_16ths, w)
    };
    let cases: &[(MpmModule, f64, u32, &[&str])] = &[
        (MpmModule::Event, 2.0, 32, &[]),
        (MpmModule::Event, 1.5, 24, &[]),
        (MpmModule::Event, 40.0, 640, &[]),
        (
            MpmModule::Event,
            0.5,
            16,
            &["async_request_worker_factor of 0.5 is less than 1, increasing to 1."],
        ),
        (
            MpmModule::Worker,
            3.0,
            32,
            &["async_request_worker_factor is ignored by the worker MPM"],
        ),
        (
            MpmModule::Prefork,
            3.0,
            32,
            &["async_request_worker_factor is ignored by the prefork MPM"],
        ),
    ];
    for &(module, factor, sixteenths, warnings) in cases {
        let (got, w) = with(module, factor);
        assert_eq!(got, sixteenths, "{module:?} {factor}");
        assert_eq!(w, warnings, "{module:?} {factor}");
    }
    let (c, _) = resolve_mpm(MpmModule::Event, &MpmInput::default(), None);
    assert_eq!(c.async_request_worker_factor_16ths, 2 * WORKER_FACTOR_SCALE);
}

#[test]
fn restart_keeps_the_module_and_its_defaults() {
    let old = Retained {
        module: MpmModule::Prefork,
        server_limit: 256,
        thread_limit: 64,
    };
    let (c, w) = resolve_mpm(MpmModule::Event, &MpmInput::default(), Some(old));
    assert_eq!(c.module, MpmModule::Prefork);
    assert_eq!((c.server_limit, c.max_request_workers), (256, 256));
    assert_eq!(
        w,
        [
            "changing mpm.module to \"event\" from original value of \"prefork\" not allowed \
          during restart"
        ]
    );
}
