//! The scoreboard: shared memory that tells the master (and `/server-status`) what every child
//! and worker is doing.
//!
//! The master creates it before the first fork and keeps it for its whole life: a graceful
//! restart keeps every counter and the restart time; a HUP restart [`Scoreboard::reset`]s it.
//! The layout (`layout.rs`) and who writes which field are documented there; `shm.rs` is the only
//! code that touches raw memory. Everything here is a safe API over atomics.

mod layout;
mod shm;
mod status;
mod threads;

use std::path::Path;
use std::sync::atomic::{Ordering, fence};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use layout::{GlobalRecord, MAGIC, ProcessRecord, WorkerRecord};
pub use shm::ShmError;
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

    /// The handle a child (or worker thread) uses to update its own slot.
    pub fn worker_slot(&self, slot: usize, thread: usize) -> WorkerSlot<'_> {
        WorkerSlot {
            record: self.worker(slot, thread),
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
    w.last_used_us.store(now, Ordering::Relaxed);
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

    /// A connection was accepted from `client`.
    pub fn connection_started(&self, client: &[u8], vhost: &[u8]) {
        write_texts(self.record, b"", client, vhost, b"");
    }

    /// A request line was read.
    pub fn request_started(&self, request_line: &[u8], protocol: &[u8]) {
        let r = self.record;
        r.start_time_us.store(now_us(), Ordering::Relaxed);
        let client = r.client.load();
        let vhost = r.vhost.load();
        write_texts(r, request_line, &client, &vhost, protocol);
    }

    /// A request finished: Apache's `ap_increment_counts` plus the request timing.
    pub fn request_finished(&self, bytes: u64, duration: Duration) {
        let r = self.record;
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
    fn graceful_marks_only_live_slots() {
        let board = Scoreboard::create(2, 1, None).unwrap();
        board.slot_starting(0, 0);
        board.slot_graceful(0);
        board.slot_graceful(1);
        assert_eq!(board.status(0, 0), WorkerStatus::Graceful);
        assert_eq!(board.status(1, 0), WorkerStatus::Dead);
    }
}
