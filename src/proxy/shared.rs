//! The proxy's shared failure state and counters: a safe API over the shared records of
//! `crate::scoreboard::proxy_records`.
//!
//! The master maps the records once (the first time a configuration with proxies is loaded,
//! before that generation forks) and [`attach`]es each generation's workers to them by name,
//! so the state carries over graceful and HUP restarts. A worker refusing connections enters
//! error state for `retry`; then exactly one request (whichever process wins a
//! compare-exchange on `retry_at_us`) tries it again; success clears the state. This module
//! never does I/O; time comes in as an argument.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::scoreboard::ProxyBlock;
use crate::scoreboard::proxy_records::{NAME_BYTES, PROXY_RECORDS, ProxyRecord};

/// The process's proxy mapping (created by the master, inherited by children).
static BLOCK: OnceLock<ProxyBlock> = OnceLock::new();
/// Serialises [`attach`] (the master is single-threaded; unit tests are not); holds the epoch.
static ATTACH: Mutex<u64> = Mutex::new(0);

/// A worker's (or balancer's) shared record.
#[derive(Debug, Clone, Copy)]
pub struct SharedWorker {
    rec: &'static ProxyRecord,
}

/// What the error state allows for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Not in error: go ahead.
    Usable,
    /// In error, but this request is the one that tries it again.
    Retry,
    /// In error: answer 503 without connecting.
    InError,
}

/// FNV-1a, 64 bits.
fn name_hash(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn name_words(name: &[u8]) -> [u64; NAME_BYTES / 8] {
    let mut words = [0u64; NAME_BYTES / 8];
    for (i, &b) in name.iter().take(NAME_BYTES).enumerate() {
        words[i / 8] |= u64::from(b) << (8 * (i % 8));
    }
    words
}

fn record_is(rec: &ProxyRecord, name: &[u8], hash: u64) -> bool {
    rec.used.load(Ordering::Acquire) == 1
        && rec.name_len.load(Ordering::Relaxed) as usize == name.len()
        && rec.name_hash.load(Ordering::Relaxed) == hash
        && name_words(name)
            .iter()
            .zip(&rec.name)
            .all(|(w, a)| *w == a.load(Ordering::Relaxed))
}

fn name_record(rec: &ProxyRecord, name: &[u8], hash: u64) {
    for counter in [
        &rec.error_time_us,
        &rec.retry_at_us,
        &rec.retries,
        &rec.busy,
        &rec.elected,
        &rec.transferred,
        &rec.read,
        &rec.connections_opened,
        &rec.requests,
    ] {
        counter.store(0, Ordering::Relaxed);
    }
    rec.lbstatus.store(0, Ordering::Relaxed);
    rec.lock.store(0, Ordering::Relaxed);
    rec.status_flags.store(0, Ordering::Relaxed);
    for (a, w) in rec.name.iter().zip(name_words(name)) {
        a.store(w, Ordering::Relaxed);
    }
    rec.name_len.store(name.len() as u32, Ordering::Relaxed);
    rec.name_hash.store(hash, Ordering::Relaxed);
    rec.used.store(1, Ordering::Release);
}

/// Finds or allocates the records for `names` in `block`, stamped with `epoch`. New names take
/// never-used records; once there are none, a record not used by this epoch nor the previous
/// one (whose children may still be finishing) is reused. Errors when the block is full.
pub fn attach_in(
    block: &'static ProxyBlock,
    names: &[&str],
    epoch: u64,
) -> Result<Vec<SharedWorker>, String> {
    let records = || (0..block.capacity()).map(|i| block.record(i));
    // First every name that has a record keeps it (stamped, so it is not taken below) ...
    let mut found: Vec<Option<&'static ProxyRecord>> = Vec::with_capacity(names.len());
    for name in names {
        let (bytes, hash) = (name.as_bytes(), name_hash(name.as_bytes()));
        let rec = records().find(|r| record_is(r, bytes, hash));
        if let Some(r) = rec {
            r.epoch.store(epoch, Ordering::Relaxed);
        }
        found.push(rec);
    }
    // ... then new names take free records.
    let mut out = Vec::with_capacity(names.len());
    for (name, rec) in names.iter().zip(found) {
        let rec = match rec {
            Some(r) => r,
            None => {
                let (bytes, hash) = (name.as_bytes(), name_hash(name.as_bytes()));
                // An earlier new name may be this one again.
                if let Some(r) = records().find(|r| record_is(r, bytes, hash)) {
                    out.push(SharedWorker { rec: r });
                    continue;
                }
                // Never-used records first; a stale one (not used by this configuration nor
                // the previous one, whose children may still be finishing) only when full.
                let free = records()
                    .find(|r| r.used.load(Ordering::Relaxed) == 0)
                    .or_else(|| records().find(|r| r.epoch.load(Ordering::Relaxed) + 1 < epoch));
                let Some(r) = free else {
                    return Err(format!(
                        "too many proxy workers and balancers (at most {}): cannot add {name}",
                        block.capacity()
                    ));
                };
                name_record(r, bytes, hash);
                r.epoch.store(epoch, Ordering::Relaxed);
                r
            }
        };
        out.push(SharedWorker { rec });
    }
    Ok(out)
}

/// Master (or a unit test): the shared records of this configuration's workers, by name.
/// Maps the block on first use.
pub fn attach(names: &[&str]) -> Result<Vec<SharedWorker>, String> {
    let block = match BLOCK.get() {
        Some(b) => b,
        None => {
            let b = ProxyBlock::create(PROXY_RECORDS).map_err(|e| e.to_string())?;
            BLOCK.get_or_init(|| b)
        }
    };
    let mut epoch = ATTACH.lock().unwrap_or_else(|p| p.into_inner());
    *epoch += 1;
    attach_in(block, names, *epoch)
}

impl SharedWorker {
    /// A record outside shared memory (unit tests of code that needs one).
    pub fn detached() -> SharedWorker {
        SharedWorker {
            rec: Box::leak(Box::default()),
        }
    }

    pub fn record(&self) -> &'static ProxyRecord {
        self.rec
    }

    /// May a request use the worker now? `retry` is the worker's retry period; `claim` how
    /// long the retrying request may take before another one may try instead (if it died).
    pub fn admit(&self, now_us: u64, retry: Duration, claim: Duration) -> Admission {
        if self.rec.error_time_us.load(Ordering::Acquire) == 0 {
            return Admission::Usable;
        }
        if retry.is_zero() {
            return Admission::Retry;
        }
        let at = self.rec.retry_at_us.load(Ordering::Acquire);
        if now_us < at {
            return Admission::InError;
        }
        let next = now_us + claim.as_micros() as u64;
        match self
            .rec
            .retry_at_us
            .compare_exchange(at, next, Ordering::AcqRel, Ordering::Relaxed)
        {
            Ok(_) => {
                self.rec.retries.fetch_add(1, Ordering::Relaxed);
                Admission::Retry
            }
            Err(_) => Admission::InError,
        }
    }

    /// The worker could not be reached: error state for `retry` from `now_us`.
    pub fn failed(&self, now_us: u64, retry: Duration) {
        self.rec
            .retry_at_us
            .store(now_us + retry.as_micros() as u64, Ordering::Release);
        self.rec
            .error_time_us
            .store(now_us.max(1), Ordering::Release);
    }

    /// The worker answered: clear any error state.
    pub fn succeeded(&self) {
        if self.rec.error_time_us.load(Ordering::Relaxed) != 0 {
            self.rec.error_time_us.store(0, Ordering::Release);
            self.rec.retries.store(0, Ordering::Relaxed);
            self.rec.retry_at_us.store(0, Ordering::Relaxed);
        }
    }

    pub fn in_error(&self) -> bool {
        self.rec.error_time_us.load(Ordering::Acquire) != 0
    }

    /// A new backend connection was opened.
    pub fn opened_connection(&self) {
        self.rec.connections_opened.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connections_opened(&self) -> u64 {
        self.rec.connections_opened.load(Ordering::Relaxed)
    }

    /// One request forwarded, with the bytes sent to and read from the backend.
    pub fn count_request(&self, to_backend: u64, from_backend: u64) {
        self.rec.requests.fetch_add(1, Ordering::Relaxed);
        self.rec
            .transferred
            .fetch_add(to_backend, Ordering::Relaxed);
        self.rec.read.fetch_add(from_backend, Ordering::Relaxed);
    }

    pub fn requests(&self) -> u64 {
        self.rec.requests.load(Ordering::Relaxed)
    }

    /// Takes the record's lock word (a balancer's), spinning politely; released on drop. The
    /// word holds the holder's pid, so a lock left by a process that died inside the (short,
    /// I/O-free) critical section is taken over instead of blocking every child forever.
    pub fn lock(&self) -> RecordLock {
        let me = std::process::id().max(1);
        let mut spins = 0u32;
        loop {
            let holder = match self.rec.lock.compare_exchange_weak(
                0,
                me,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(h) => h,
            };
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
                continue;
            }
            std::thread::yield_now();
            if spins.is_multiple_of(1024) && holder != 0 && holder != me && !process_alive(holder) {
                log::warn!("proxy: taking over a balancer lock left by dead process {holder}");
                let _ =
                    self.rec
                        .lock
                        .compare_exchange(holder, 0, Ordering::AcqRel, Ordering::Relaxed);
            }
        }
        RecordLock { rec: self.rec }
    }
}

/// Whether process `pid` exists (signal 0).
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
        Err(nix::errno::Errno::ESRCH)
    )
}

/// A held lock word (see [`SharedWorker::lock`]).
pub struct RecordLock {
    rec: &'static ProxyRecord,
}

impl Drop for RecordLock {
    fn drop(&mut self) {
        self.rec.lock.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    #[test]
    fn error_state_then_one_retry() {
        let w = SharedWorker::detached();
        let retry = Duration::from_secs(60);
        let claim = Duration::from_secs(5);
        assert_eq!(w.admit(10 * S, retry, claim), Admission::Usable);
        w.failed(10 * S, retry);
        assert!(w.in_error());
        // (now, expected) in order: refused until 70 s, then exactly one retry.
        let steps = [
            (11 * S, Admission::InError),
            (69 * S, Admission::InError),
            (70 * S, Admission::Retry),
            (70 * S, Admission::InError),
            (74 * S, Admission::InError),
            // The retrying request vanished: after the claim window another may try.
            (75 * S, Admission::Retry),
            (75 * S, Admission::InError),
        ];
        for (now, want) in steps {
            assert_eq!(w.admit(now, retry, claim), want, "at {}", now / S);
        }
        w.succeeded();
        assert_eq!(w.admit(76 * S, retry, claim), Admission::Usable);
        assert!(!w.in_error());
    }

    #[test]
    fn retry_zero_always_retries() {
        let w = SharedWorker::detached();
        w.failed(S, Duration::ZERO);
        for _ in 0..3 {
            assert_eq!(
                w.admit(S, Duration::ZERO, Duration::from_secs(1)),
                Admission::Retry
            );
        }
    }

    #[test]
    fn failed_retry_restarts_the_period() {
        let w = SharedWorker::detached();
        let retry = Duration::from_secs(10);
        w.failed(0, retry);
        assert_eq!(w.admit(10 * S, retry, retry), Admission::Retry);
        w.failed(10 * S, retry);
        assert_eq!(w.admit(19 * S, retry, retry), Admission::InError);
        assert_eq!(w.admit(20 * S, retry, retry), Admission::Retry);
    }

    #[test]
    fn a_lock_left_by_a_dead_process_is_taken_over() {
        let w = SharedWorker::detached();
        drop(w.lock());
        assert_eq!(w.record().lock.load(Ordering::Relaxed), 0);
        // A pid that cannot exist (above pid_max) holds it.
        w.record().lock.store(u32::MAX >> 1, Ordering::Relaxed);
        let held = w.lock();
        assert_eq!(w.record().lock.load(Ordering::Relaxed), std::process::id());
        drop(held);
    }

    #[test]
    fn attach_matches_by_name_and_recycles_old_records() {
        let block: &'static ProxyBlock = Box::leak(Box::new(ProxyBlock::create(3).unwrap()));
        let a = attach_in(block, &["http://a/", "http://b/"], 1).unwrap();
        a[0].failed(5, Duration::from_secs(1));
        // Reload: same names get the same records (state kept), a new name a free one.
        let b = attach_in(block, &["http://b/", "http://a/", "http://c/"], 2).unwrap();
        assert!(std::ptr::eq(b[1].record(), a[0].record()));
        assert!(b[1].in_error());
        assert!(std::ptr::eq(b[0].record(), a[1].record()));
        // Full: a fourth name fails while every record is recent.
        assert!(attach_in(block, &["http://d/"], 3).is_err());
        // Two epochs later the unused records are free again.
        let d = attach_in(block, &["http://d/"], 5).unwrap();
        assert!(!d[0].in_error());
    }

    #[test]
    fn long_names_differ_by_hash() {
        let block: &'static ProxyBlock = Box::leak(Box::new(ProxyBlock::create(4).unwrap()));
        let base = "x".repeat(NAME_BYTES);
        let (n1, n2) = (format!("{base}1"), format!("{base}2"));
        let r = attach_in(block, &[&n1, &n2, &n1], 1).unwrap();
        assert!(!std::ptr::eq(r[0].record(), r[1].record()));
        assert!(std::ptr::eq(r[0].record(), r[2].record()));
    }
}
