//! The `#[repr(C)]` records that live in shared memory.
//!
//! Every field is an atomic, so any process may read any record at any time without undefined
//! behaviour; all-zero bytes are a valid, empty state. There are no pointers in here.
//!
//! Who writes what (one writer per field, as in Apache's scoreboard):
//! - [`GlobalRecord`]: the master only.
//! - [`ProcessRecord`]: the master (pid, generation at fork, cleared at reap); the child sets
//!   `quiescing` and (event) the connection counters.
//! - [`WorkerRecord`]: the child (prefork) or thread (worker, event) that owns the slot; the
//!   master when it marks a slot `Starting` before fork and `Dead` after reaping. A threaded
//!   child's thread claims a slot by writing its pid into it, so the master can tell the
//!   threads of a new child from those of an exiting child on the same slot (worker squatting).
//!
//! Strings (request line, client, vhost, protocol) are written under the slot's sequence counter
//! `seq`: odd while a write is in progress. A reader copies the bytes and retries if `seq` was odd
//! or changed, so it never uses a torn string.

use std::sync::atomic::{AtomicI32, AtomicU8, AtomicU32, AtomicU64, Ordering};

/// Identifies a scoreboard written by this layout ("MPMDSB02"; bumped whenever a record
/// changes, so `mpmd -S` never misreads a file written by another version).
pub const MAGIC: u64 = 0x4d50_4d44_5342_3032;

/// Server-wide state.
#[repr(C)]
#[derive(Default)]
pub struct GlobalRecord {
    pub magic: AtomicU64,
    pub server_limit: AtomicU32,
    pub thread_limit: AtomicU32,
    /// The MPM generation that should be serving; a child of another generation exits.
    pub running_generation: AtomicU64,
    /// Incremented on every configuration read (1 after start-up, as Apache).
    pub config_generation: AtomicU64,
    /// Microseconds since the epoch of the last start or HUP (not changed by graceful restart).
    pub restart_time_us: AtomicU64,
    /// Master telemetry: the current idle spawn rate.
    pub idle_spawn_rate: AtomicU32,
    /// Master telemetry: 1 once max_request_workers was reached.
    pub max_workers_reached: AtomicU32,
    /// Master pid.
    pub master_pid: AtomicI32,
    /// 0 prefork, 1 worker, 2 event.
    pub mpm: AtomicU32,
    /// MaxRequestWorkers in processes (Apache's `AP_MPMQ_MAX_DAEMONS`): the status page prints
    /// one letter per slot below it.
    pub max_daemons: AtomicU32,
    /// ThreadsPerChild (1 for prefork).
    pub threads_per_child: AtomicU32,
    /// 1 when `extended_status` is on for the running generation.
    pub extended_status: AtomicU32,
    /// Master telemetry: spawning cycles left without doubling after a graceful restart.
    pub spawn_hold_off: AtomicU32,
    /// `sysconf(_SC_CLK_TCK)`: the unit of every `*_ticks` field.
    pub clock_tick: AtomicU32,
    /// The master's own CPU time and that of its reaped children (Apache's `global->times`),
    /// refreshed every loop iteration.
    pub cpu_user_ticks: AtomicU64,
    pub cpu_system_ticks: AtomicU64,
    pub cpu_children_user_ticks: AtomicU64,
    pub cpu_children_system_ticks: AtomicU64,
}

/// One child process. The names of the event counters are Apache's `process_score` fields.
#[repr(C)]
#[derive(Default)]
pub struct ProcessRecord {
    /// 0 = no process in this slot.
    pub pid: AtomicI32,
    /// 1 once the process stopped accepting to exit (worker/event); never set by prefork.
    pub quiescing: AtomicU32,
    /// The MPM generation the process was forked in.
    pub generation: AtomicU64,
    /// Connections accepted by this process so far.
    pub connections: AtomicU64,
    /// Connections open in this process (Apache's `process_score.connections`; event:
    /// refreshed by its listener; worker and prefork: 0, as Apache).
    pub open_connections: AtomicU64,
    /// event: 1 while the process stopped accepting (all workers busy, or too many
    /// connections for its idle workers: `async_request_worker_factor`).
    pub not_accepting: AtomicU32,
    /// event: connections parked between keep-alive requests.
    pub keep_alive: AtomicU32,
    /// event: connections whose last response body the listener is finishing (write
    /// completion: a file body the socket would not take without blocking).
    pub write_completion: AtomicU32,
    /// event: connections in lingering close, drained by the listener.
    pub lingering_close: AtomicU32,
    /// event: suspended connections (always 0: no module suspends one).
    pub suspended: AtomicU32,
    /// event: connections waiting for I/O in the listener (Apache 2.4.63's `wait_io`; 0).
    pub wait_io: AtomicU32,
}

impl ProcessRecord {
    /// Zeroes everything the child reports (at fork and at reap).
    pub fn clear_child_fields(&self) {
        self.quiescing.store(0, Ordering::Relaxed);
        self.connections.store(0, Ordering::Relaxed);
        self.open_connections.store(0, Ordering::Relaxed);
        for counter in [
            &self.not_accepting,
            &self.keep_alive,
            &self.write_completion,
            &self.lingering_close,
            &self.suspended,
            &self.wait_io,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

/// Bytes of the request-line copy (Apache keeps 64 with the NUL).
pub const REQUEST_LEN: usize = 64;
/// Bytes of the client address copy.
pub const CLIENT_LEN: usize = 64;
/// Bytes of the vhost copy.
pub const VHOST_LEN: usize = 32;
/// Bytes of the protocol copy.
pub const PROTOCOL_LEN: usize = 16;

/// A fixed-size string stored as atomic words.
#[repr(C)]
pub struct AtomicText<const WORDS: usize> {
    words: [AtomicU64; WORDS],
}

impl<const WORDS: usize> Default for AtomicText<WORDS> {
    fn default() -> Self {
        AtomicText {
            words: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl<const WORDS: usize> AtomicText<WORDS> {
    /// Capacity in bytes.
    pub const CAPACITY: usize = WORDS * 8;

    /// Stores `text`, truncated to the capacity and zero-padded. Callers hold the slot's
    /// sequence counter odd while doing this.
    pub fn store(&self, text: &[u8]) {
        let mut chunk = [0u8; 8];
        for (i, word) in self.words.iter().enumerate() {
            let start = i * 8;
            chunk.fill(0);
            if start < text.len() {
                let end = (start + 8).min(text.len());
                chunk[..end - start].copy_from_slice(&text[start..end]);
            }
            word.store(u64::from_le_bytes(chunk), Ordering::Relaxed);
        }
    }

    /// Copies the stored bytes up to the first NUL, allocating only for a non-empty text (a
    /// status snapshot reads four texts of every slot, most of them never used).
    pub fn load(&self) -> Vec<u8> {
        let mut words = [[0u8; 8]; WORDS];
        for (bytes, word) in words.iter_mut().zip(&self.words) {
            *bytes = word.load(Ordering::Relaxed).to_le_bytes();
        }
        let all = words.as_flattened();
        let len = all.iter().position(|&b| b == 0).unwrap_or(all.len());
        all[..len].to_vec()
    }
}

/// One worker (a prefork child, or one thread of a threaded child).
#[repr(C)]
#[derive(Default)]
pub struct WorkerRecord {
    /// A [`super::WorkerStatus`] code.
    pub status: AtomicU8,
    /// Sequence counter guarding the strings below (odd = write in progress).
    pub seq: AtomicU32,
    /// Owning process (threaded MPMs set it per thread).
    pub pid: AtomicI32,
    pub generation: AtomicU64,
    /// Requests served by this slot since the scoreboard was created (survives child replacement).
    pub access_count: AtomicU64,
    /// Bytes served by this slot since the scoreboard was created.
    pub bytes_served: AtomicU64,
    /// Requests served by the current child in this slot.
    pub my_access_count: AtomicU64,
    /// Bytes served by the current child in this slot.
    pub my_bytes_served: AtomicU64,
    /// Requests on the current connection.
    pub conn_count: AtomicU32,
    /// Bytes on the current connection.
    pub conn_bytes: AtomicU64,
    /// Microseconds since the epoch: start of the current/last request.
    pub start_time_us: AtomicU64,
    /// Microseconds since the epoch: end of the last request.
    pub stop_time_us: AtomicU64,
    /// Microseconds since the epoch: last status change to ready or dead.
    pub last_used_us: AtomicU64,
    /// Sum of request durations, microseconds.
    pub duration_us: AtomicU64,
    /// Duration of the last request, microseconds.
    pub last_duration_us: AtomicU64,
    /// CPU time of the process serving this slot, as of its last request (clock ticks; reset
    /// when the slot's process is reaped, as Apache's `times`).
    pub cpu_user_ticks: AtomicU64,
    pub cpu_system_ticks: AtomicU64,
    pub request: AtomicText<{ REQUEST_LEN / 8 }>,
    pub client: AtomicText<{ CLIENT_LEN / 8 }>,
    pub vhost: AtomicText<{ VHOST_LEN / 8 }>,
    pub protocol: AtomicText<{ PROTOCOL_LEN / 8 }>,
}

/// Byte offsets of the three arrays inside the block, and its total size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLayout {
    pub processes_offset: usize,
    pub workers_offset: usize,
    pub total: usize,
}

const fn align8(n: usize) -> usize {
    (n + 7) & !7
}

impl BlockLayout {
    /// Global record, then `server_limit` process records, then `server_limit x thread_limit`
    /// worker records, each 8-byte aligned.
    pub fn new(server_limit: usize, thread_limit: usize) -> BlockLayout {
        let processes_offset = align8(size_of::<GlobalRecord>());
        let workers_offset = align8(processes_offset + server_limit * size_of::<ProcessRecord>());
        let total = workers_offset + server_limit * thread_limit * size_of::<WorkerRecord>();
        BlockLayout {
            processes_offset,
            workers_offset,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_truncates_pads_and_stops_at_nul() {
        let text: AtomicText<2> = AtomicText::default();
        text.store(b"GET / HTTP/1.1");
        assert_eq!(text.load(), b"GET / HTTP/1.1");
        text.store(b"0123456789abcdefXYZ");
        assert_eq!(text.load(), b"0123456789abcdef");
        text.store(b"ab");
        assert_eq!(text.load(), b"ab");
    }

    #[test]
    fn layout_is_aligned_and_sized() {
        let layout = BlockLayout::new(256, 1);
        assert_eq!(layout.processes_offset % 8, 0);
        assert_eq!(layout.workers_offset % 8, 0);
        assert_eq!(
            layout.total,
            layout.workers_offset + 256 * size_of::<WorkerRecord>()
        );
        assert_eq!(align_of::<WorkerRecord>(), 8);
    }
}
