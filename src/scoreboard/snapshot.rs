//! A plain-data copy of the scoreboard, taken once per status request (or `mpmd -S`).
//!
//! The records in shared memory change under the reader's feet; renderers must not care. A
//! [`Snapshot`] is read field by field with relaxed loads (as Apache's `ap_copy_scoreboard_worker`
//! copies a record without a lock), strings through the slot's sequence counter so none is torn.
//! Everything the status outputs print is computed from a snapshot, never from live memory.
//!
//! This module must not write to the scoreboard: it is also used on a read-only mapping.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use super::layout::{GlobalRecord, ProcessRecord, WorkerRecord};
use super::{WorkerStatus, read_texts};

/// CPU time in clock ticks (`struct tms`), user and system, own and reaped children's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTicks {
    pub user: u64,
    pub system: u64,
    pub children_user: u64,
    pub children_system: u64,
}

impl CpuTicks {
    pub fn total(&self) -> u64 {
        self.user + self.system + self.children_user + self.children_system
    }
}

/// The global record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalSnapshot {
    pub server_limit: usize,
    pub thread_limit: usize,
    /// Processes the status page shows one letter per slot for (MaxRequestWorkers for prefork).
    pub max_daemons: usize,
    pub threads_per_child: usize,
    /// The MPM generation that should be serving.
    pub running_generation: u64,
    /// Configuration reads so far (1 after start-up).
    pub config_generation: u64,
    /// Start or last HUP, microseconds since the epoch.
    pub restart_time_us: u64,
    pub master_pid: i32,
    /// 0 prefork, 1 worker, 2 event.
    pub mpm: u32,
    pub extended_status: bool,
    /// Master telemetry: children the next spawning tick forks.
    pub idle_spawn_rate: u32,
    /// Master telemetry: spawning cycles left without doubling (after a graceful restart).
    pub spawn_hold_off: u32,
    /// Master telemetry: max_request_workers was reached at least once.
    pub max_workers_reached: bool,
    /// Ticks per second of every tick count.
    pub clock_tick: u32,
    /// The master's CPU time (children: reaped children).
    pub cpu: CpuTicks,
}

impl GlobalSnapshot {
    /// `prefork`, `worker` or `event`.
    pub fn mpm_name(&self) -> &'static str {
        match self.mpm {
            1 => "worker",
            2 => "event",
            _ => "prefork",
        }
    }
}

/// One process record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessSnapshot {
    pub slot: usize,
    /// 0 = no process.
    pub pid: i32,
    pub generation: u64,
    pub quiescing: bool,
    /// Connections accepted by this process.
    pub connections: u64,
    /// event: the process stopped accepting new connections for now (all workers busy, or
    /// its connection cap reached); always false for prefork and worker.
    pub not_accepting: bool,
    /// The event MPM's connection counters (0 for prefork and worker).
    pub async_conns: AsyncConns,
}

/// A process's connections as the event MPM counts them (Apache's `process_score` fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AsyncConns {
    /// Connections open in the process.
    pub open: u64,
    pub wait_io: u32,
    pub write_completion: u32,
    pub keep_alive: u32,
    pub lingering_close: u32,
}

/// One worker record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSnapshot {
    pub slot: usize,
    pub thread: usize,
    pub status: WorkerStatus,
    /// Set per thread by threaded MPMs; the process record's pid otherwise.
    pub pid: i32,
    pub generation: u64,
    pub access_count: u64,
    pub bytes_served: u64,
    pub my_access_count: u64,
    pub my_bytes_served: u64,
    pub conn_count: u64,
    pub conn_bytes: u64,
    pub start_time_us: u64,
    pub stop_time_us: u64,
    pub last_used_us: u64,
    pub duration_us: u64,
    pub last_duration_us: u64,
    /// CPU of the serving process as of its last request (user, system; no children).
    pub cpu_user_ticks: u64,
    pub cpu_system_ticks: u64,
    pub request: Vec<u8>,
    pub client: Vec<u8>,
    pub vhost: Vec<u8>,
    pub protocol: Vec<u8>,
}

/// The whole scoreboard as plain data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub global: GlobalSnapshot,
    /// One per process slot.
    pub processes: Vec<ProcessSnapshot>,
    /// `server_limit x thread_limit`, slot-major (`slot * thread_limit + thread`).
    pub workers: Vec<WorkerSnapshot>,
}

impl Snapshot {
    /// The worker records of process slot `slot`.
    pub fn workers_of(&self, slot: usize) -> &[WorkerSnapshot] {
        let n = self.global.thread_limit;
        let start = (slot * n).min(self.workers.len());
        let end = (start + n).min(self.workers.len());
        &self.workers[start..end]
    }

    /// Live processes per generation (master telemetry: how many children of each generation
    /// are still around after graceful restarts).
    pub fn children_per_generation(&self) -> BTreeMap<u64, usize> {
        let mut counts = BTreeMap::new();
        for p in self.processes.iter().filter(|p| p.pid != 0) {
            *counts.entry(p.generation).or_insert(0) += 1;
        }
        counts
    }

    /// Live processes that are on their way out: quiescing (worker/event), or of an older
    /// generation (finishing their last request after a graceful restart).
    pub fn quiescing_children(&self) -> usize {
        self.processes
            .iter()
            .filter(|p| {
                p.pid != 0 && (p.quiescing || p.generation != self.global.running_generation)
            })
            .count()
    }

    /// Live processes.
    pub fn live_children(&self) -> usize {
        self.processes.iter().filter(|p| p.pid != 0).count()
    }
}

/// Reads the global record.
pub fn global(g: &GlobalRecord) -> GlobalSnapshot {
    let r = Ordering::Relaxed;
    GlobalSnapshot {
        server_limit: g.server_limit.load(r) as usize,
        thread_limit: g.thread_limit.load(r) as usize,
        max_daemons: g.max_daemons.load(r) as usize,
        threads_per_child: g.threads_per_child.load(r).max(1) as usize,
        running_generation: g.running_generation.load(Ordering::Acquire),
        config_generation: g.config_generation.load(r),
        restart_time_us: g.restart_time_us.load(r),
        master_pid: g.master_pid.load(r),
        mpm: g.mpm.load(r),
        extended_status: g.extended_status.load(r) != 0,
        idle_spawn_rate: g.idle_spawn_rate.load(r),
        spawn_hold_off: g.spawn_hold_off.load(r),
        max_workers_reached: g.max_workers_reached.load(r) != 0,
        clock_tick: g.clock_tick.load(r),
        cpu: CpuTicks {
            user: g.cpu_user_ticks.load(r),
            system: g.cpu_system_ticks.load(r),
            children_user: g.cpu_children_user_ticks.load(r),
            children_system: g.cpu_children_system_ticks.load(r),
        },
    }
}

/// Reads one process record.
pub fn process(slot: usize, p: &ProcessRecord) -> ProcessSnapshot {
    let r = Ordering::Relaxed;
    ProcessSnapshot {
        slot,
        pid: p.pid.load(Ordering::Acquire),
        generation: p.generation.load(r),
        quiescing: p.quiescing.load(r) != 0,
        connections: p.connections.load(r),
        not_accepting: p.not_accepting.load(r) != 0,
        async_conns: AsyncConns {
            open: p.open_connections.load(r),
            wait_io: p.wait_io.load(r),
            write_completion: p.write_completion.load(r),
            keep_alive: p.keep_alive.load(r),
            lingering_close: p.lingering_close.load(r),
        },
    }
}

/// Reads one worker record (strings torn-free).
pub fn worker(slot: usize, thread: usize, w: &WorkerRecord) -> WorkerSnapshot {
    let r = Ordering::Relaxed;
    let texts = read_texts(w);
    WorkerSnapshot {
        slot,
        thread,
        status: WorkerStatus::from_u8(w.status.load(Ordering::Acquire)),
        pid: w.pid.load(r),
        generation: w.generation.load(r),
        access_count: w.access_count.load(r),
        bytes_served: w.bytes_served.load(r),
        my_access_count: w.my_access_count.load(r),
        my_bytes_served: w.my_bytes_served.load(r),
        conn_count: u64::from(w.conn_count.load(r)),
        conn_bytes: w.conn_bytes.load(r),
        start_time_us: w.start_time_us.load(r),
        stop_time_us: w.stop_time_us.load(r),
        last_used_us: w.last_used_us.load(r),
        duration_us: w.duration_us.load(r),
        last_duration_us: w.last_duration_us.load(r),
        cpu_user_ticks: w.cpu_user_ticks.load(r),
        cpu_system_ticks: w.cpu_system_ticks.load(r),
        request: texts.request,
        client: texts.client,
        vhost: texts.vhost,
        protocol: texts.protocol,
    }
}

#[cfg(test)]
impl WorkerSnapshot {
    /// An empty (dead, never used) slot, for renderer tests.
    pub fn empty(slot: usize, thread: usize) -> WorkerSnapshot {
        WorkerSnapshot {
            slot,
            thread,
            status: WorkerStatus::Dead,
            pid: 0,
            generation: 0,
            access_count: 0,
            bytes_served: 0,
            my_access_count: 0,
            my_bytes_served: 0,
            conn_count: 0,
            conn_bytes: 0,
            start_time_us: 0,
            stop_time_us: 0,
            last_used_us: 0,
            duration_us: 0,
            last_duration_us: 0,
            cpu_user_ticks: 0,
            cpu_system_ticks: 0,
            request: Vec::new(),
            client: Vec::new(),
            vhost: Vec::new(),
            protocol: Vec::new(),
        }
    }
}
