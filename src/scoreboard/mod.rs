//! The scoreboard: shared memory that tells the master (and `/server-status`) what every child
//! and worker is doing.
//!
//! The master creates it before the first fork and keeps it for its whole life: a graceful
//! restart keeps every counter and the restart time; a HUP restart [`Scoreboard::reset`]s it.
//! The layout (`layout.rs`) and who writes which field are documented there; `shm.rs` is the only
//! code that touches raw memory. Everything here is a safe API over atomics.

mod layout;
pub mod proxy_records;
mod shm;
pub mod snapshot;
mod status;
mod threads;

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{Ordering, fence};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use layout::{GlobalRecord, MAGIC, ProcessRecord, WorkerRecord};
pub use shm::{ProxyBlock, ShmError};
pub use snapshot::{
    AsyncConns, CpuTicks, GlobalSnapshot, ProcessSnapshot, Snapshot, WorkerSnapshot,
};
pub use status::WorkerStatus;

use shm::SharedBlock;

/// Microseconds since the Unix epoch (0 if the clock is before it).
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The shared scoreboard.
pub struct Scoreboard {
    block: SharedBlock,
}

impl Scoreboard {
    /// Creates a zeroed scoreboard, stamped with the limits, the restart time and the magic.
    pub fn create(
        server_limit: usize,
        thread_limit: usize,
        file: Option<&Path>,
    ) -> Result<Scoreboard, ShmError> {
        let block = SharedBlock::create(server_limit, thread_limit, file)?;
        let board = Scoreboard { block };
        board.stamp();
        Ok(board)
    }

    fn stamp(&self) {
        let g = self.global();
        g.server_limit
            .store(self.block.server_limit() as u32, Ordering::Relaxed);
        g.thread_limit
            .store(self.block.thread_limit() as u32, Ordering::Relaxed);
        g.restart_time_us.store(now_us(), Ordering::Relaxed);
        g.master_pid
            .store(std::process::id() as i32, Ordering::Relaxed);
        g.magic.store(MAGIC, Ordering::Release);
    }

    /// Zeroes every record (HUP restart): counters, slots and restart time start over. Generation
    /// counters are kept by the caller, who stores them again.
    pub fn reset(&self) {
        let g = self.global();
        g.running_generation.store(0, Ordering::Relaxed);
        g.config_generation.store(0, Ordering::Relaxed);
        g.idle_spawn_rate.store(0, Ordering::Relaxed);
        g.spawn_hold_off.store(0, Ordering::Relaxed);
        g.max_workers_reached.store(0, Ordering::Relaxed);
        for slot in 0..self.server_limit() {
            let p = self.process(slot);
            p.pid.store(0, Ordering::Relaxed);
            p.generation.store(0, Ordering::Relaxed);
            p.clear_child_fields();
            for thread in 0..self.thread_limit() {
                let w = self.worker(slot, thread);
                w.status.store(0, Ordering::Relaxed);
                w.pid.store(0, Ordering::Relaxed);
                w.generation.store(0, Ordering::Relaxed);
                for counter in [
                    &w.access_count,
                    &w.bytes_served,
                    &w.my_access_count,
                    &w.my_bytes_served,
                    &w.conn_bytes,
                    &w.start_time_us,
                    &w.stop_time_us,
                    &w.last_used_us,
                    &w.duration_us,
                    &w.last_duration_us,
                    &w.cpu_user_ticks,
                    &w.cpu_system_ticks,
                ] {
                    counter.store(0, Ordering::Relaxed);
                }
                w.conn_count.store(0, Ordering::Relaxed);
                write_texts(w, b"", b"", b"", b"");
            }
        }
        self.stamp();
    }

    pub fn server_limit(&self) -> usize {
        self.block.server_limit()
    }

    pub fn thread_limit(&self) -> usize {
        self.block.thread_limit()
    }

    pub fn global(&self) -> &GlobalRecord {
        self.block.global()
    }

    pub fn process(&self, slot: usize) -> &ProcessRecord {
        self.block.process(slot)
    }

    pub fn worker(&self, slot: usize, thread: usize) -> &WorkerRecord {
        self.block.worker(slot, thread)
    }

    /// The generation that should be serving now.
    pub fn running_generation(&self) -> u64 {
        self.global().running_generation.load(Ordering::Acquire)
    }

    /// The status of a worker slot.
    pub fn status(&self, slot: usize, thread: usize) -> WorkerStatus {
        WorkerStatus::from_u8(self.worker(slot, thread).status.load(Ordering::Relaxed))
    }

    /// Master, before fork: the slot now belongs to a starting child of `generation`.
    pub fn slot_starting(&self, slot: usize, generation: u64) {
        let w = self.worker(slot, 0);
        w.generation.store(generation, Ordering::Relaxed);
        w.pid.store(0, Ordering::Relaxed);
        w.status
            .store(WorkerStatus::Starting as u8, Ordering::Release);
        self.process(slot)
            .generation
            .store(generation, Ordering::Relaxed);
    }

    /// Master, after fork: record the child's pid (in the process record and, for prefork's
    /// single worker record, there too).
    pub fn slot_forked(&self, slot: usize, pid: i32) {
        self.process_forked(slot, pid);
        for thread in 0..self.thread_limit() {
            self.worker(slot, thread).pid.store(pid, Ordering::Relaxed);
        }
    }

    /// Master, after forking a threaded child: only the process record; each thread writes its
    /// own pid into the worker record it claims.
    pub fn process_forked(&self, slot: usize, pid: i32) {
        let p = self.process(slot);
        p.clear_child_fields();
        p.pid.store(pid, Ordering::Release);
    }

    /// Master, after reaping (or a failed fork): the slot is free again. Per-child counters reset;
    /// the slot's lifetime totals stay.
    pub fn slot_dead(&self, slot: usize) {
        let p = self.process(slot);
        p.pid.store(0, Ordering::Release);
        p.clear_child_fields();
        let now = now_us();
        for thread in 0..self.thread_limit() {
            worker_dead(self.worker(slot, thread), now);
        }
    }

    /// Master, graceful restart: mark an old child's slots `G` before telling it to finish.
    pub fn slot_graceful(&self, slot: usize) {
        for thread in 0..self.thread_limit() {
            let w = self.worker(slot, thread);
            if WorkerStatus::from_u8(w.status.load(Ordering::Relaxed)) != WorkerStatus::Dead {
                w.status
                    .store(WorkerStatus::Graceful as u8, Ordering::Release);
            }
        }
    }

    /// Master: what the status page needs to know about the running generation's settings.
    pub fn publish_settings(&self, settings: &BoardSettings) {
        let g = self.global();
        g.mpm.store(settings.mpm, Ordering::Relaxed);
        g.max_daemons.store(settings.max_daemons, Ordering::Relaxed);
        g.threads_per_child
            .store(settings.threads_per_child, Ordering::Relaxed);
        g.extended_status
            .store(u32::from(settings.extended_status), Ordering::Relaxed);
    }

    /// Master telemetry: the spawn policy's state after a maintenance tick.
    pub fn publish_spawn_state(&self, idle_spawn_rate: u32, hold_off: u32, reached: bool) {
        let g = self.global();
        g.idle_spawn_rate.store(idle_spawn_rate, Ordering::Relaxed);
        g.spawn_hold_off.store(hold_off, Ordering::Relaxed);
        g.max_workers_reached
            .store(u32::from(reached), Ordering::Relaxed);
    }

    /// Master, every loop iteration: its own CPU time and its reaped children's (Apache's
    /// `ap_update_global_status`).
    pub fn publish_master_cpu(&self, cpu: CpuTicks, clock_tick: u32) {
        let g = self.global();
        g.clock_tick.store(clock_tick, Ordering::Relaxed);
        g.cpu_user_ticks.store(cpu.user, Ordering::Relaxed);
        g.cpu_system_ticks.store(cpu.system, Ordering::Relaxed);
        g.cpu_children_user_ticks
            .store(cpu.children_user, Ordering::Relaxed);
        g.cpu_children_system_ticks
            .store(cpu.children_system, Ordering::Relaxed);
    }

    /// A plain-data copy of every record.
    pub fn snapshot(&self) -> Snapshot {
        snapshot_of(&self.block)
    }

    /// The handle a child (or worker thread) uses to update its own slot.
    pub fn worker_slot(&self, slot: usize, thread: usize) -> WorkerSlot<'_> {
        WorkerSlot {
            record: self.worker(slot, thread),
            process: self.process(slot),
            extended: true,
        }
    }
}

/// A worker record goes back to `Dead`: per-child counters reset, lifetime totals kept.
fn worker_dead(w: &WorkerRecord, now: u64) {
    w.status.store(WorkerStatus::Dead as u8, Ordering::Release);
    w.pid.store(0, Ordering::Relaxed);
    w.my_access_count.store(0, Ordering::Relaxed);
    w.my_bytes_served.store(0, Ordering::Relaxed);
    w.conn_count.store(0, Ordering::Relaxed);
    w.conn_bytes.store(0, Ordering::Relaxed);
    w.cpu_user_ticks.store(0, Ordering::Relaxed);
    w.cpu_system_ticks.store(0, Ordering::Relaxed);
    w.last_used_us.store(now, Ordering::Relaxed);
}

/// The generation settings the master publishes in the global record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardSettings {
    /// 0 prefork, 1 worker, 2 event.
    pub mpm: u32,
    /// MaxRequestWorkers in processes (prefork: MaxRequestWorkers).
    pub max_daemons: u32,
    /// ThreadsPerChild (1 for prefork).
    pub threads_per_child: u32,
    pub extended_status: bool,
}

fn snapshot_of(block: &SharedBlock) -> Snapshot {
    let server_limit = block.server_limit();
    let thread_limit = block.thread_limit();
    let mut global = snapshot::global(block.global());
    // The mapping's own limits are authoritative (the record could still be zero at start-up).
    global.server_limit = server_limit;
    global.thread_limit = thread_limit;
    let processes = (0..server_limit)
        .map(|slot| snapshot::process(slot, block.process(slot)))
        .collect();
    let mut workers = Vec::with_capacity(server_limit * thread_limit);
    for slot in 0..server_limit {
        for thread in 0..thread_limit {
            workers.push(snapshot::worker(slot, thread, block.worker(slot, thread)));
        }
    }
    Snapshot {
        global,
        processes,
        workers,
    }
}

/// A scoreboard file opened read-only from outside the server (`mpmd -S`). It can only be
/// read: the mapping is `PROT_READ`.
pub struct ScoreboardView {
    block: SharedBlock,
}

impl ScoreboardView {
    /// Maps `path`, written by a running master with `scoreboard_file` set.
    pub fn open(path: &Path) -> Result<ScoreboardView, ShmError> {
        Ok(ScoreboardView {
            block: SharedBlock::open_read_only(path)?,
        })
    }

    pub fn snapshot(&self) -> Snapshot {
        snapshot_of(&self.block)
    }
}

/// Runs `write` with the slot's sequence counter odd, so readers retry instead of using a
/// half-written string.
fn write_under_seq(w: &WorkerRecord, write: impl FnOnce(&WorkerRecord)) {
    let seq = w.seq.load(Ordering::Relaxed);
    w.seq.store(seq.wrapping_add(1) | 1, Ordering::Relaxed);
    fence(Ordering::Release);
    write(w);
    w.seq
        .store((seq.wrapping_add(1) | 1).wrapping_add(1), Ordering::Release);
}

fn write_texts(w: &WorkerRecord, request: &[u8], client: &[u8], vhost: &[u8], protocol: &[u8]) {
    write_under_seq(w, |w| {
        w.request.store(request);
        w.client.store(client);
        w.vhost.store(vhost);
        w.protocol.store(protocol);
    });
}

/// A consistent copy of a worker's strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkerTexts {
    pub request: Vec<u8>,
    pub client: Vec<u8>,
    pub vhost: Vec<u8>,
    pub protocol: Vec<u8>,
}

/// Reads a worker's strings under its sequence counter; never returns a torn copy. Gives up
/// (returning empty strings) if a writer keeps the slot busy for 100 attempts.
pub fn read_texts(w: &WorkerRecord) -> WorkerTexts {
    for _ in 0..100 {
        let before = w.seq.load(Ordering::Acquire);
        if before & 1 == 1 {
            std::hint::spin_loop();
            continue;
        }
        let texts = WorkerTexts {
            request: w.request.load(),
            client: w.client.load(),
            vhost: w.vhost.load(),
            protocol: w.protocol.load(),
        };
        fence(Ordering::Acquire);
        if w.seq.load(Ordering::Relaxed) == before {
            return texts;
        }
    }
    WorkerTexts::default()
}

/// A child's view of its own worker slot: the only writer of these fields.
pub struct WorkerSlot<'a> {
    record: &'a WorkerRecord,
    process: &'a ProcessRecord,
    /// `extended_status`: record counters, strings and CPU (Apache's `ap_extended_status`);
    /// off, only the status letter and the request start/stop times are kept.
    extended: bool,
}

impl WorkerSlot<'_> {
    pub fn set_status(&self, status: WorkerStatus) {
        let r = self.record;
        if matches!(status, WorkerStatus::Ready | WorkerStatus::Dead) {
            r.conn_count.store(0, Ordering::Relaxed);
            r.conn_bytes.store(0, Ordering::Relaxed);
            r.last_used_us.store(now_us(), Ordering::Relaxed);
        }
        r.status.store(status as u8, Ordering::Release);
    }

    pub fn status(&self) -> WorkerStatus {
        WorkerStatus::from_u8(self.record.status.load(Ordering::Relaxed))
    }

    /// The serving process's CPU time after a request (Apache's `times(&ws->times)`; only
    /// with extended status).
    pub fn record_cpu(&self, user_ticks: u64, system_ticks: u64) {
        if !self.extended {
            return;
        }
        let r = self.record;
        r.cpu_user_ticks.store(user_ticks, Ordering::Relaxed);
        r.cpu_system_ticks.store(system_ticks, Ordering::Relaxed);
    }

    /// Sets whether per-request details are recorded (default on).
    pub fn with_extended_status(mut self, on: bool) -> Self {
        self.extended = on;
        self
    }

    /// A connection was accepted from `client`.
    pub fn connection_started(&self, client: IpAddr, vhost: &[u8]) {
        self.process.connections.fetch_add(1, Ordering::Relaxed);
        self.show_client(client, vhost);
    }

    /// A parked connection (event MPM) came back to this worker for its next requests: the
    /// record shows its client again; it is not counted as a new connection.
    pub fn connection_resumed(&self, client: IpAddr, vhost: &[u8]) {
        self.show_client(client, vhost);
    }

    /// Records the connection's client and vhost (extended status only). The address is
    /// formatted on the stack: nothing is allocated per connection, or per burst of the event
    /// MPM, and nothing is formatted at all without extended status.
    fn show_client(&self, client: IpAddr, vhost: &[u8]) {
        if !self.extended {
            return;
        }
        // The longest address text (IPv6 with an IPv4 tail) has 45 bytes.
        let mut text = [0u8; 48];
        let mut cursor = std::io::Cursor::new(&mut text[..]);
        let _ = write!(cursor, "{client}");
        let len = cursor.position() as usize;
        write_texts(self.record, b"", &text[..len], vhost, b"");
    }

    /// A request line was read.
    pub fn request_started(&self, request_line: &[u8], protocol: &[u8]) {
        let r = self.record;
        r.start_time_us.store(now_us(), Ordering::Relaxed);
        if !self.extended {
            return;
        }
        // Only the request's strings change; client and vhost stay as the connection set them.
        write_under_seq(r, |w| {
            w.request.store(request_line);
            w.protocol.store(protocol);
        });
    }

    /// A request finished: Apache's `ap_increment_counts` plus the request timing.
    pub fn request_finished(&self, bytes: u64, duration: Duration) {
        let r = self.record;
        if !self.extended {
            r.stop_time_us.store(now_us(), Ordering::Relaxed);
            return;
        }
        r.access_count.fetch_add(1, Ordering::Relaxed);
        r.my_access_count.fetch_add(1, Ordering::Relaxed);
        r.conn_count.fetch_add(1, Ordering::Relaxed);
        r.bytes_served.fetch_add(bytes, Ordering::Relaxed);
        r.my_bytes_served.fetch_add(bytes, Ordering::Relaxed);
        r.conn_bytes.fetch_add(bytes, Ordering::Relaxed);
        let us = duration.as_micros() as u64;
        r.duration_us.fetch_add(us, Ordering::Relaxed);
        r.last_duration_us.store(us, Ordering::Relaxed);
        r.stop_time_us.store(now_us(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
