//! `[mpm]`: Apache's defaults and clamps for the process and thread limits, as a pure function.
//!
//! Ports `prefork_check_config` plus the silent run-time adjustments of `prefork_run` (reference
//! `apache-mpm.md` §1) and `worker_check_config`/`event_check_config` (§2), with one listen
//! bucket. Apache's warning texts are kept, with our key names. Where Apache adjusts silently
//! (`max_spare_servers`, capping `start_servers`) we warn too: the operator should know.
//! No I/O here; the caller logs the warnings.

use super::types::{MpmConfig, MpmModule};

/// `[mpm]` as given: `None` = not set (use the module's default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MpmInput {
    pub start_servers: Option<u32>,
    pub min_spare_servers: Option<u32>,
    pub max_spare_servers: Option<u32>,
    pub server_limit: Option<u32>,
    pub max_request_workers: Option<u32>,
    pub max_connections_per_child: Option<u64>,
    pub threads_per_child: Option<u32>,
    pub thread_limit: Option<u32>,
    pub min_spare_threads: Option<u32>,
    pub max_spare_threads: Option<u32>,
    /// Already checked to be > 0 (a config error otherwise).
    pub async_request_worker_factor: Option<f64>,
}

/// Values that cannot change across a restart (Apache keeps them in retained data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retained {
    pub module: MpmModule,
    pub server_limit: u32,
    pub thread_limit: u32,
}

/// Apache's `WORKER_FACTOR_SCALE`: AsyncRequestWorkerFactor is stored in sixteenths.
pub const WORKER_FACTOR_SCALE: u32 = 16;

/// prefork `MAX_SERVER_LIMIT`.
pub const PREFORK_MAX_SERVER_LIMIT: u32 = 200_000;
/// worker and event `MAX_SERVER_LIMIT`.
pub const THREADED_MAX_SERVER_LIMIT: u32 = 20_000;
/// worker `MAX_THREAD_LIMIT`.
pub const WORKER_MAX_THREAD_LIMIT: u32 = 20_000;
/// event `MAX_THREAD_LIMIT`.
pub const EVENT_MAX_THREAD_LIMIT: u32 = 100_000;

/// Defaults of the module (spec table; Apache's `mpm_default.h`).
pub fn defaults(module: MpmModule) -> MpmConfig {
    let threaded = module != MpmModule::Prefork;
    MpmConfig {
        module,
        start_servers: if threaded { 3 } else { 5 },
        min_spare_servers: 5,
        max_spare_servers: 10,
        server_limit: if threaded { 16 } else { 256 },
        max_request_workers: if threaded { 400 } else { 256 },
        max_connections_per_child: 0,
        threads_per_child: 25,
        thread_limit: 64,
        min_spare_threads: 75,
        max_spare_threads: 250,
        async_request_worker_factor_16ths: 2 * WORKER_FACTOR_SCALE,
    }
}

/// Applies defaults and clamps; returns the values and the warnings, in Apache's order.
pub fn resolve_mpm(
    module: MpmModule,
    input: &MpmInput,
    previous: Option<Retained>,
) -> (MpmConfig, Vec<String>) {
    let mut warnings = Vec::new();
    // The MPM is loaded once (Apache cannot swap it on a restart either), and the scoreboard's
    // shape depends on it.
    let module = match previous {
        Some(old) if old.module != module => {
            warnings.push(format!(
                "changing mpm.module to \"{}\" from original value of \"{}\" not allowed \
                 during restart",
                module_name(module),
                module_name(old.module)
            ));
            old.module
        }
        _ => module,
    };
    let d = defaults(module);
    let mut c = MpmConfig {
        module,
        start_servers: input.start_servers.unwrap_or(d.start_servers),
        min_spare_servers: input.min_spare_servers.unwrap_or(d.min_spare_servers),
        max_spare_servers: input.max_spare_servers.unwrap_or(d.max_spare_servers),
        server_limit: input.server_limit.unwrap_or(d.server_limit),
        max_request_workers: input.max_request_workers.unwrap_or(d.max_request_workers),
        max_connections_per_child: input.max_connections_per_child.unwrap_or(0),
        threads_per_child: input.threads_per_child.unwrap_or(d.threads_per_child),
        thread_limit: input.thread_limit.unwrap_or(d.thread_limit),
        min_spare_threads: input.min_spare_threads.unwrap_or(d.min_spare_threads),
        max_spare_threads: input.max_spare_threads.unwrap_or(d.max_spare_threads),
        async_request_worker_factor_16ths: d.async_request_worker_factor_16ths,
    };
    async_factor(&mut c, input, &mut warnings);
    match module {
        MpmModule::Prefork => clamp_prefork(&mut c, input, previous, &mut warnings),
        MpmModule::Worker | MpmModule::Event => {
            clamp_threaded(&mut c, input, previous, &mut warnings)
        }
    }
    (c, warnings)
}

/// The key value of `module`.
pub fn module_name(module: MpmModule) -> &'static str {
    match module {
        MpmModule::Prefork => "prefork",
        MpmModule::Worker => "worker",
        MpmModule::Event => "event",
    }
}

/// `async_request_worker_factor`: Apache's `set_worker_factor` (values below 1 become 1) plus a
/// warning where another MPM ignores it.
fn async_factor(c: &mut MpmConfig, input: &MpmInput, w: &mut Vec<String>) {
    let Some(factor) = input.async_request_worker_factor else {
        return;
    };
    if c.module != MpmModule::Event {
        w.push(format!(
            "async_request_worker_factor is ignored by the {} MPM",
            module_name(c.module)
        ));
        return;
    }
    let scaled = (factor * f64::from(WORKER_FACTOR_SCALE)).min(f64::from(u32::MAX));
    if scaled < f64::from(WORKER_FACTOR_SCALE) {
        w.push(format!(
            "async_request_worker_factor of {factor} is less than 1, increasing to 1."
        ));
        c.async_request_worker_factor_16ths = WORKER_FACTOR_SCALE;
    } else {
        c.async_request_worker_factor_16ths = scaled as u32;
    }
}

fn clamp_server_limit(
    c: &mut MpmConfig,
    max: u32,
    previous: Option<Retained>,
    w: &mut Vec<String>,
) {
    if c.server_limit > max {
        w.push(format!(
            "server_limit of {} exceeds compile-time limit of {max} servers, decreasing to {max}.",
            c.server_limit
        ));
        c.server_limit = max;
    } else if c.server_limit < 1 {
        w.push(format!(
            "server_limit of {} not allowed, increasing to 1.",
            c.server_limit
        ));
        c.server_limit = 1;
    }
    if let Some(old) = previous
        && c.server_limit != old.server_limit
    {
        w.push(format!(
            "changing server_limit to {} from original value of {} not allowed during restart",
            c.server_limit, old.server_limit
        ));
        c.server_limit = old.server_limit;
    }
}

fn clamp_prefork(
    c: &mut MpmConfig,
    input: &MpmInput,
    previous: Option<Retained>,
    w: &mut Vec<String>,
) {
    clamp_server_limit(c, PREFORK_MAX_SERVER_LIMIT, previous, w);
    // prefork ignores thread_limit, but the scoreboard layout must not change on a restart.
    if let Some(old) = previous {
        c.thread_limit = old.thread_limit;
    }
    if c.max_request_workers > c.server_limit {
        w.push(format!(
            "max_request_workers of {} exceeds server_limit value of {} servers, decreasing \
             max_request_workers to {}. To increase, please see the server_limit key.",
            c.max_request_workers, c.server_limit, c.server_limit
        ));
        c.max_request_workers = c.server_limit;
    } else if c.max_request_workers < 1 {
        w.push(format!(
            "max_request_workers of {} not allowed, increasing to 1.",
            c.max_request_workers
        ));
        c.max_request_workers = 1;
    }
    if c.start_servers < 1 {
        w.push(format!(
            "start_servers of {} not allowed, increasing to 1.",
            c.start_servers
        ));
        c.start_servers = 1;
    }
    if c.min_spare_servers < 1 {
        w.push(format!(
            "min_spare_servers of {} not allowed, increasing to 1 to avoid almost certain \
             server failure. Please read the documentation.",
            c.min_spare_servers
        ));
        c.min_spare_servers = 1;
    }
    // prefork_run, one bucket: MaxSpareServers >= MinSpareServers + 1 (Apache is silent).
    let floor = c.min_spare_servers.saturating_add(1);
    if c.max_spare_servers < floor {
        w.push(format!(
            "max_spare_servers of {} is less than min_spare_servers + 1, increasing to {floor}.",
            c.max_spare_servers
        ));
        c.max_spare_servers = floor;
    }
    // prefork_run: StartServers capped at MaxRequestWorkers (Apache is silent).
    if c.start_servers > c.max_request_workers {
        w.push(format!(
            "start_servers of {} exceeds max_request_workers of {}, decreasing start_servers to {}.",
            c.start_servers, c.max_request_workers, c.max_request_workers
        ));
        c.start_servers = c.max_request_workers;
    }
    for (key, set) in [
        ("threads_per_child", input.threads_per_child),
        ("thread_limit", input.thread_limit),
        ("min_spare_threads", input.min_spare_threads),
        ("max_spare_threads", input.max_spare_threads),
    ] {
        if set.is_some() {
            w.push(format!("{key} is ignored by the prefork MPM"));
        }
    }
}

fn clamp_threaded(
    c: &mut MpmConfig,
    input: &MpmInput,
    previous: Option<Retained>,
    w: &mut Vec<String>,
) {
    let max_thread_limit = if c.module == MpmModule::Event {
        EVENT_MAX_THREAD_LIMIT
    } else {
        WORKER_MAX_THREAD_LIMIT
    };
    clamp_server_limit(c, THREADED_MAX_SERVER_LIMIT, previous, w);
    if c.thread_limit > max_thread_limit {
        w.push(format!(
            "thread_limit of {} exceeds compile-time limit of {max_thread_limit} threads, \
             decreasing to {max_thread_limit}.",
            c.thread_limit
        ));
        c.thread_limit = max_thread_limit;
    } else if c.thread_limit < 1 {
        w.push(format!(
            "thread_limit of {} not allowed, increasing to 1.",
            c.thread_limit
        ));
        c.thread_limit = 1;
    }
    if let Some(old) = previous
        && c.thread_limit != old.thread_limit
    {
        w.push(format!(
            "changing thread_limit to {} from original value of {} not allowed during restart",
            c.thread_limit, old.thread_limit
        ));
        c.thread_limit = old.thread_limit;
    }
    if c.threads_per_child > c.thread_limit {
        w.push(format!(
            "threads_per_child of {} exceeds thread_limit of {} threads, decreasing to {}. \
             To increase, please see the thread_limit key.",
            c.threads_per_child, c.thread_limit, c.thread_limit
        ));
        c.threads_per_child = c.thread_limit;
    } else if c.threads_per_child < 1 {
        w.push(format!(
            "threads_per_child of {} not allowed, increasing to 1.",
            c.threads_per_child
        ));
        c.threads_per_child = 1;
    }
    let tpc = c.threads_per_child;
    if c.max_request_workers < tpc {
        w.push(format!(
            "max_request_workers of {} is less than threads_per_child of {tpc}, increasing to \
             {tpc}. max_request_workers must be at least as large as the number of threads in \
             a single server.",
            c.max_request_workers
        ));
        c.max_request_workers = tpc;
    }
    let mut processes = c.max_request_workers / tpc;
    if !c.max_request_workers.is_multiple_of(tpc) {
        let rounded = processes * tpc;
        w.push(format!(
            "max_request_workers of {} is not an integer multiple of threads_per_child of \
             {tpc}, decreasing to nearest multiple {rounded}, for a maximum of {processes} \
             servers.",
            c.max_request_workers
        ));
        c.max_request_workers = rounded;
    }
    if processes > c.server_limit {
        let capped = c.server_limit * tpc;
        w.push(format!(
            "max_request_workers of {} would require {processes} servers and would exceed \
             server_limit of {}, decreasing to {capped}. To increase, please see the \
             server_limit key.",
            c.max_request_workers, c.server_limit
        ));
        processes = c.server_limit;
        c.max_request_workers = capped;
    }
    if c.start_servers < 1 {
        w.push(format!(
            "start_servers of {} not allowed, increasing to 1.",
            c.start_servers
        ));
        c.start_servers = 1;
    }
    if c.min_spare_threads < 1 {
        w.push(format!(
            "min_spare_threads of {} not allowed, increasing to 1 to avoid almost certain \
             server failure. Please read the documentation.",
            c.min_spare_threads
        ));
        c.min_spare_threads = 1;
    }
    // worker_run/event_run, one bucket: MaxSpareThreads >= MinSpareThreads + TPC + 1.
    let floor = c.min_spare_threads.saturating_add(tpc).saturating_add(1);
    if c.max_spare_threads < floor {
        w.push(format!(
            "max_spare_threads of {} is less than min_spare_threads + threads_per_child + 1, \
             increasing to {floor}.",
            c.max_spare_threads
        ));
        c.max_spare_threads = floor;
    }
    if c.start_servers > processes {
        w.push(format!(
            "start_servers of {} exceeds the {processes} servers max_request_workers allows, \
             decreasing start_servers to {processes}.",
            c.start_servers
        ));
        c.start_servers = processes;
    }
    let name = module_name(c.module);
    for (key, set) in [
        ("min_spare_servers", input.min_spare_servers),
        ("max_spare_servers", input.max_spare_servers),
    ] {
        if set.is_some() {
            w.push(format!("{key} is ignored by the {name} MPM"));
        }
    }
}
