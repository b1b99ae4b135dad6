//! BufferedLogs: access log lines kept in memory and written together, Apache's
//! `ap_buffered_log_writer` (a PIPE_BUF-sized buffer per process, flushed when the next line
//! would not fit; a longer line goes out on its own).
//!
//! Apache only flushes when the buffer fills and when the child exits. mpmd also writes a
//! line that has waited a second (checked when a line is added, when a child wakes up idle,
//! and while a keep-alive connection waits), so a quiet server's log is never stale.
//!
//! Nothing may be lost when a child leaves: the graceful ways out call [`flush`]; a child
//! killed by SIGTERM/SIGHUP (stop, restart) writes the buffer from the signal handler
//! [`flush_and_die`], then dies of the signal as before. That is safe because the handler
//! only `try_lock`s the buffer: if the interrupted code holds it, the handler leaves a note
//! and the holder flushes and dies as soon as it lets go. The buffer is a fixed array, so the
//! handler neither allocates nor blocks (beyond the bounded wait below).
//!
//! A request's line is added after its response went out, so a client may already have its
//! answer while the line is not in the buffer yet. In a threaded child the TERM/HUP handler
//! (which runs on the main thread, never a serving one) and the `'$'` exit first wait, at most
//! [`IN_FLIGHT_GRACE`], for the requests in flight ([`InFlight`]) to log themselves.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use crate::sys::fdio::write_all_fd;
use crate::sys::process::die_by_signal;

/// Apache's LOG_BUFSIZE: PIPE_BUF on Linux.
pub const LOG_BUFSIZE: usize = 4096;
/// Lines older than this are written at the next opportunity.
pub const MAX_AGE: Duration = Duration::from_secs(1);

struct Pending {
    /// The access log the bytes belong to (-1: none yet).
    fd: RawFd,
    len: usize,
    data: [u8; LOG_BUFSIZE],
    /// When the oldest buffered line was added.
    since: Option<Instant>,
}

impl Pending {
    /// Writes what is buffered. Safe to call from a signal handler (no allocation, no lock).
    fn write_out(&mut self) -> io::Result<()> {
        if self.len == 0 {
            return Ok(());
        }
        let result = write_all_fd(self.fd, &self.data[..self.len]);
        self.len = 0;
        self.since = None;
        result
    }
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    fd: -1,
    len: 0,
    data: [0; LOG_BUFSIZE],
    since: None,
});

/// The longest a stopping threaded child waits for requests in flight to log themselves.
pub const IN_FLIGHT_GRACE: Duration = Duration::from_millis(200);

/// Requests between their head and their log line, in this process.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Whether requests in flight are counted: only in a threaded child with buffered logs, where
/// the fatal-signal handler runs on a thread that serves no request (the main thread), so
/// waiting for [`IN_FLIGHT`] can end. Everywhere else nothing waits for the count, and its
/// two read-modify-writes per request on a line every serving thread shares are not paid.
static COUNTING: AtomicBool = AtomicBool::new(false);

/// Marks one request as in flight until dropped (after its log line was added), if counted.
pub struct InFlight(bool);

impl InFlight {
    pub fn enter() -> InFlight {
        let counted = COUNTING.load(Ordering::Relaxed);
        if counted {
            IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        }
        InFlight(counted)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0 {
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A threaded child with buffered logs, before its serving threads start: count requests in
/// flight, and have the fatal-signal handler (on the main thread, which serves none) wait
/// for them.
pub fn count_requests_in_flight() {
    COUNTING.store(true, Ordering::SeqCst);
}

/// Waits, at most [`IN_FLIGHT_GRACE`], until no request of this process is between its
/// head and its log line. Only sleeps and reads an atomic: safe in a signal handler.
pub fn wait_for_requests_in_flight() {
    let step = Duration::from_millis(1);
    let mut waited = Duration::ZERO;
    while IN_FLIGHT.load(Ordering::SeqCst) > 0 && waited < IN_FLIGHT_GRACE {
        std::thread::sleep(step);
        waited += step;
    }
}

/// A fatal signal that arrived while the buffer was locked (0: none).
static DEFERRED_SIGNAL: AtomicI32 = AtomicI32::new(0);

fn lock() -> MutexGuard<'static, Pending> {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Unlocks, then carries out a fatal signal that came in meanwhile.
fn release(guard: MutexGuard<'static, Pending>) {
    drop(guard);
    let sig = DEFERRED_SIGNAL.load(Ordering::SeqCst);
    if sig != 0 {
        let _ = lock().write_out();
        die_by_signal(sig);
    }
}

/// Adds `line` (newline included) for the log open as `file`, at time `now`.
pub fn append(file: &File, line: &[u8], now: Instant) -> io::Result<()> {
    let fd = file.as_raw_fd();
    let mut p = lock();
    let mut result = Ok(());
    if p.len > 0 && (p.fd != fd || p.len + line.len() > LOG_BUFSIZE) {
        result = p.write_out();
    }
    if line.len() >= LOG_BUFSIZE {
        let direct = write_all_fd(fd, line);
        release(p);
        return result.and(direct);
    }
    let at = p.len;
    p.data[at..at + line.len()].copy_from_slice(line);
    p.len += line.len();
    p.fd = fd;
    let since = *p.since.get_or_insert(now);
    if now.saturating_duration_since(since) >= MAX_AGE {
        result = result.and(p.write_out());
    }
    release(p);
    result
}

/// Writes whatever is buffered.
pub fn flush() -> io::Result<()> {
    let mut p = lock();
    let result = p.write_out();
    release(p);
    result
}

/// Writes the buffer of the log open as `file`, if it holds any (before that file closes).
pub fn flush_file(file: &File) -> io::Result<()> {
    let mut p = lock();
    let result = if p.fd == file.as_raw_fd() {
        p.write_out()
    } else {
        Ok(())
    };
    release(p);
    result
}

/// When the oldest buffered line was added, if any line is buffered.
pub fn pending_since() -> Option<Instant> {
    lock().since
}

/// The handler for SIGTERM / SIGHUP in a child with buffered logs: write the buffer, then
/// die of the signal. If the buffer is locked by the code it interrupted, that code finishes
/// the job when it unlocks.
pub extern "C" fn flush_and_die(sig: libc::c_int) {
    if COUNTING.load(Ordering::SeqCst) {
        wait_for_requests_in_flight();
    }
    let mut p = match PENDING.try_lock() {
        Ok(p) => p,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => {
            DEFERRED_SIGNAL.store(sig, Ordering::SeqCst);
            return;
        }
    };
    let _ = p.write_out();
    drop(p);
    die_by_signal(sig);
}

/// The buffer is process-wide: tests that use it take turns.
#[cfg(test)]
pub(crate) static TEST_SERIAL: Mutex<()> = Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn temp_log(tag: &str) -> (File, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!("mpmd-buf-{tag}-{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        (file, path)
    }

    fn contents(path: &std::path::Path) -> String {
        let mut s = String::new();
        File::open(path).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn batches_until_full_old_or_flushed() {
        let _turn = TEST_SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        flush().unwrap();
        let (file, path) = temp_log("batch");
        let t0 = Instant::now();
        append(&file, b"one\n", t0).unwrap();
        append(&file, b"two\n", t0).unwrap();
        assert_eq!(contents(&path), "", "buffered");
        assert_eq!(pending_since(), Some(t0));
        // A line that would overflow the buffer flushes what is there first.
        let long = vec![b'x'; LOG_BUFSIZE - 8];
        let mut long_line = long.clone();
        long_line.push(b'\n');
        append(&file, &long_line, t0).unwrap();
        assert_eq!(contents(&path), "one\ntwo\n");
        // A line of LOG_BUFSIZE or more goes out at once, after what was buffered.
        let huge = vec![b'y'; LOG_BUFSIZE];
        append(&file, &huge, t0).unwrap();
        let c = contents(&path);
        assert_eq!(c.len(), 8 + long_line.len() + LOG_BUFSIZE);
        assert!(c.ends_with('y'));
        // A second later the next line writes everything.
        append(&file, b"three\n", t0).unwrap();
        append(&file, b"four\n", t0 + MAX_AGE).unwrap();
        assert!(contents(&path).ends_with("three\nfour\n"));
        assert_eq!(pending_since(), None);
        append(&file, b"five\n", t0).unwrap();
        flush_file(&file).unwrap();
        assert!(contents(&path).ends_with("four\nfive\n"));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn switching_files_flushes_the_other_one() {
        let _turn = TEST_SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        flush().unwrap();
        let (a, pa) = temp_log("a");
        let (b, pb) = temp_log("b");
        let now = Instant::now();
        append(&a, b"for a\n", now).unwrap();
        append(&b, b"for b\n", now).unwrap();
        assert_eq!(contents(&pa), "for a\n");
        assert_eq!(contents(&pb), "");
        flush_file(&a).unwrap();
        assert_eq!(
            contents(&pb),
            "",
            "flush_file only writes its own file's lines"
        );
        flush().unwrap();
        assert_eq!(contents(&pb), "for b\n");
        std::fs::remove_file(&pa).unwrap();
        std::fs::remove_file(&pb).unwrap();
    }
}
