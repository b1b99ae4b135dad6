//! The scoreboard: shared memory that tells the master (and `/server-status`) what every child
//! and worker is doing.
//!
//! The master creates it before the first fork and keeps it for its whole life: a graceful
//! restart keeps every counter and the restart time; a HUP restart [`Scoreboard::reset`]s it.
//! The layout (`layout.rs`) and who writes which field are documented there; `shm.rs` is the only
//! code that touches raw memory. Everything here is a safe API over atomics.

mod layout;
mod shm;
pub mod snapshot;
mod status;

use std::path::Path;
use std::sync::atomic::{Ordering, fence};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use layout::{GlobalRecord, MAGIC, ProcessRecord, WorkerRecord};
pub use shm::ShmError;
pub use snapshot::{CpuTicks, GlobalSnapshot, ProcessSnapshot, Snapshot, WorkerSnapshot};
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
            p.quiescing.store(0, Ordering::Relaxed);
            p.generation.store(0, Ordering::Relaxed);
            p.connections.store(0, Ordering::Relaxed);
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
        w.status
            .store(WorkerStatus::Starting as u8, Ordering::Release);
        self.process(slot)
            .generation
            .store(generation, Ordering::Relaxed);
    }

    /// Master, after fork: record the child's pid.
    pub fn slot_forked(&self, slot: usize, pid: i32) {
        let p = self.process(slot);
        p.connections.store(0, Ordering::Relaxed);
        p.quiescing.store(0, Ordering::Relaxed);
        p.pid.store(pid, Ordering::Release);
        for thread in 0..self.thread_limit() {
            self.worker(slot, thread).pid.store(pid, Ordering::Relaxed);
        }
    }

    /// Master, after reaping (or a failed fork): the slot is free again. Per-child counters reset;
    /// the slot's lifetime totals stay.
    pub fn slot_dead(&self, slot: usize) {
        let p = self.process(slot);
        p.pid.store(0, Ordering::Release);
        p.quiescing.store(0, Ordering::Relaxed);
        let now = now_us();
        for thread in 0..self.thread_limit() {
            let w = self.worker(slot, thread);
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

fn write_texts(w: &WorkerRecord, request: &[u8], client: &[u8], vhost: &[u8], protocol: &[u8]) {
    let seq = w.seq.load(Ordering::Relaxed);
    w.seq.store(seq.wrapping_add(1) | 1, Ordering::Relaxed);
    fence(Ordering::Release);
    w.request.store(request);
    w.client.store(client);
    w.vhost.store(vhost);
    w.protocol.store(protocol);
    w.seq
        .store((seq.wrapping_add(1) | 1).wrapping_add(1), Ordering::Release);
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
    pub fn connection_started(&self, client: &[u8], vhost: &[u8]) {
        self.process.connections.fetch_add(1, Ordering::Relaxed);
        if self.extended {
            write_texts(self.record, b"", client, vhost, b"");
        }
    }

    /// A request line was read.
    pub fn request_started(&self, request_line: &[u8], protocol: &[u8]) {
        let r = self.record;
        r.start_time_us.store(now_us(), Ordering::Relaxed);
        if !self.extended {
            return;
        }
        let client = r.client.load();
        let vhost = r.vhost.load();
        write_texts(r, request_line, &client, &vhost, protocol);
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
mod tests {
    use super::*;

    #[test]
    fn counters_survive_child_replacement_and_reset_clears_them() {
        let board = Scoreboard::create(4, 1, None).unwrap();
        assert_eq!(board.global().magic.load(Ordering::Relaxed), MAGIC);
        board.slot_starting(2, 1);
        board.slot_forked(2, 4242);
        let slot = board.worker_slot(2, 0);
        slot.set_status(WorkerStatus::Ready);
        slot.connection_started(b"127.0.0.1", b"localhost:80");
        slot.request_started(b"GET / HTTP/1.1", b"HTTP/1.1");
        slot.request_finished(100, Duration::from_millis(2));
        assert_eq!(board.status(2, 0), WorkerStatus::Ready);
        let texts = read_texts(board.worker(2, 0));
        assert_eq!(texts.request, b"GET / HTTP/1.1");
        assert_eq!(texts.client, b"127.0.0.1");

        board.slot_dead(2);
        let w = board.worker(2, 0);
        assert_eq!(board.status(2, 0), WorkerStatus::Dead);
        assert_eq!(board.process(2).pid.load(Ordering::Relaxed), 0);
        assert_eq!(w.access_count.load(Ordering::Relaxed), 1);
        assert_eq!(w.bytes_served.load(Ordering::Relaxed), 100);
        assert_eq!(w.my_access_count.load(Ordering::Relaxed), 0);

        board.reset();
        assert_eq!(w.access_count.load(Ordering::Relaxed), 0);
        assert_eq!(read_texts(w), WorkerTexts::default());
    }

    #[test]
    fn file_backed_scoreboard_is_shared_through_the_file() {
        let dir = std::env::temp_dir().join(format!("mpmd-sb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scoreboard");
        let board = Scoreboard::create(2, 1, Some(&path)).unwrap();
        board
            .global()
            .running_generation
            .store(7, Ordering::Release);
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(len >= size_of::<GlobalRecord>() as u64);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], &MAGIC.to_le_bytes());
        drop(board);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn snapshot_copies_every_record_and_a_file_view_sees_the_same() {
        let dir = std::env::temp_dir().join(format!("mpmd-sb-view-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scoreboard");
        let board = Scoreboard::create(3, 1, Some(&path)).unwrap();
        board.publish_settings(&BoardSettings {
            mpm: 0,
            max_daemons: 2,
            threads_per_child: 1,
            extended_status: true,
        });
        board.publish_spawn_state(4, 7, true);
        board.publish_master_cpu(
            CpuTicks {
                user: 1,
                system: 2,
                children_user: 3,
                children_system: 4,
            },
            100,
        );
        board
            .global()
            .running_generation
            .store(1, Ordering::Release);
        for (slot, generation, pid) in [(0, 0, 11), (1, 1, 12)] {
            board.slot_starting(slot, generation);
            board.slot_forked(slot, pid);
        }
        let w = board.worker_slot(1, 0);
        w.set_status(WorkerStatus::Ready);
        w.connection_started(b"10.0.0.1", b"h:80");
        w.request_started(b"GET /x HTTP/1.1", b"http/1.1");
        w.request_finished(512, Duration::from_micros(1500));
        w.record_cpu(30, 5);
        board.slot_graceful(0);

        let s = board.snapshot();
        assert_eq!((s.global.server_limit, s.global.thread_limit), (3, 1));
        assert_eq!((s.global.max_daemons, s.global.threads_per_child), (2, 1));
        assert_eq!(
            (
                s.global.idle_spawn_rate,
                s.global.spawn_hold_off,
                s.global.max_workers_reached
            ),
            (4, 7, true)
        );
        assert_eq!(
            (s.global.cpu.children_system, s.global.clock_tick),
            (4, 100)
        );
        assert_eq!(s.global.mpm_name(), "prefork");
        assert_eq!(s.processes.len(), 3);
        assert_eq!(s.workers.len(), 3);
        let w = &s.workers[1];
        assert_eq!(
            (w.status, w.pid, w.generation),
            (WorkerStatus::Ready, 12, 1)
        );
        assert_eq!(
            (w.access_count, w.bytes_served, w.duration_us),
            (1, 512, 1500)
        );
        assert_eq!((w.cpu_user_ticks, w.cpu_system_ticks), (30, 5));
        assert_eq!(w.request, b"GET /x HTTP/1.1");
        assert_eq!(s.workers[0].status, WorkerStatus::Graceful);
        assert_eq!(s.live_children(), 2);
        assert_eq!(
            s.children_per_generation().into_iter().collect::<Vec<_>>(),
            [(0, 1), (1, 1)]
        );
        assert_eq!(s.quiescing_children(), 1);
        assert_eq!(s.workers_of(1).len(), 1);

        let view = ScoreboardView::open(&path).unwrap();
        assert_eq!(view.snapshot(), s);

        // Reaping resets the child's counters and CPU, not the slot's totals.
        board.slot_dead(1);
        let w = &board.snapshot().workers[1];
        assert_eq!(
            (w.access_count, w.my_access_count, w.cpu_user_ticks),
            (1, 0, 0)
        );

        std::fs::write(dir.join("short"), b"MPMD").unwrap();
        assert!(ScoreboardView::open(&dir.join("short")).is_err());
        let mut foreign = std::fs::read(&path).unwrap();
        foreign[0] ^= 0xff;
        std::fs::write(dir.join("foreign"), &foreign).unwrap();
        let err = ScoreboardView::open(&dir.join("foreign")).err().unwrap();
        assert!(err.to_string().contains("not an mpmd scoreboard"), "{err}");
        let mut truncated = std::fs::read(&path).unwrap();
        truncated.pop();
        std::fs::write(dir.join("truncated"), &truncated).unwrap();
        assert!(ScoreboardView::open(&dir.join("truncated")).is_err());
        drop(board);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn without_extended_status_only_times_are_kept() {
        let board = Scoreboard::create(1, 1, None).unwrap();
        let w = board.worker_slot(0, 0).with_extended_status(false);
        w.connection_started(b"10.0.0.1", b"h:80");
        w.request_started(b"GET / HTTP/1.1", b"http/1.1");
        w.request_finished(100, Duration::from_millis(1));
        w.record_cpu(9, 9);
        let s = board.snapshot();
        let r = &s.workers[0];
        assert_eq!(
            (r.access_count, r.bytes_served, r.cpu_user_ticks),
            (0, 0, 0)
        );
        assert!(r.request.is_empty() && r.client.is_empty());
        assert!(r.start_time_us > 0 && r.stop_time_us >= r.start_time_us);
        assert_eq!(s.processes[0].connections, 1);
    }

    #[test]
    fn graceful_marks_only_live_slots() {
        let board = Scoreboard::create(2, 1, None).unwrap();
        board.slot_starting(0, 0);
        board.slot_graceful(0);
        board.slot_graceful(1);
        assert_eq!(board.status(0, 0), WorkerStatus::Graceful);
        assert_eq!(board.status(1, 0), WorkerStatus::Dead);
    }
}
