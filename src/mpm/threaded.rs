//! What worker and event children share: the start-up, the worker records claimed thread by
//! thread, the main thread that watches the pipe of death, and how a child stops.
//!
//! Thread layout (Apache's): the main thread reads the podx and the signal flags; one worker
//! thread per claimed worker record (`threads_per_child` of them); one listener thread
//! (`worker.rs` or `event.rs`) that owns the listening sockets and hands connections to idle
//! workers through a [`super::pool::Pool`]. All of them are scoped threads borrowing the state
//! the child inherited from the master across fork (scoreboard, listeners, site): a fork
//! happened before any thread existed, so none can hold a lock the child needs.
//!
//! Stopping: `'!'` in the podx, SIGUSR1, a generation change, `max_connections_per_child` or
//! a fatal accept error start a graceful stop: the child marks itself quiescing, the listener
//! stops accepting, every connection finishes its request in hand (its last response says
//! `Connection: close`), and the process exits once all threads are done. `'$'` (or SIGTERM)
//! ends the process at once.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{Builder, Scope};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::pthread::{Pthread, pthread_kill};
use nix::sys::signal::{SigSet, Signal};

use super::prefork::ChildContext;
use crate::config::MpmModule;
use crate::logging::{access, buffer};
use crate::master::exit::{EXIT_CHILDFATAL, EXIT_CHILDSICK};
use crate::sys::process::{self, ChildSignals};

/// Stack of each worker and listener thread. Serving never recurses deeply (buffers live on
/// the heap), and only touched pages count, so this only bounds a runaway.
const THREAD_STACK: usize = 512 * 1024;
/// How often a child waiting to take over worker records (squatting) looks again.
const CLAIM_RETRY: Duration = Duration::from_secs(1);
/// How often the main thread looks at the flags when nothing wakes it.
const WATCH_TICK: Duration = Duration::from_secs(1);

/// How the listener thread is woken when the child stops.
pub enum ListenerWake {
    /// worker: blocked in accept(2); SIGUSR2 makes it return EINTR.
    Signal(Pthread),
    /// event: blocked in its poller.
    Waker(std::sync::Arc<mio::Waker>),
}

/// Stop requests, shared by every thread of the child.
pub struct Control {
    stopping: AtomicBool,
    sick: AtomicBool,
    /// Connections this child accepted (event counts at accept) or completed (worker).
    pub connections: AtomicU64,
    wake_main: (OwnedFd, OwnedFd),
    listener: Mutex<Option<ListenerWake>>,
}

impl Control {
    fn new() -> nix::Result<Control> {
        let (read, write) = nix::unistd::pipe()?;
        for fd in [&read, &write] {
            let flags = nix::fcntl::OFlag::from_bits_truncate(nix::fcntl::fcntl(
                fd,
                nix::fcntl::FcntlArg::F_GETFL,
            )?);
            nix::fcntl::fcntl(
                fd,
                nix::fcntl::FcntlArg::F_SETFL(flags | nix::fcntl::OFlag::O_NONBLOCK),
            )?;
        }
        Ok(Control {
            stopping: AtomicBool::new(false),
            sick: AtomicBool::new(false),
            connections: AtomicU64::new(0),
            wake_main: (read, write),
            listener: Mutex::new(None),
        })
    }

    /// True once the child stops (gracefully).
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Any thread: the child must stop gracefully; `sick` = exit with "resource shortage".
    pub fn request_stop(&self, sick: bool) {
        if sick {
            self.sick.store(true, Ordering::Release);
        }
        if !self.stopping.swap(true, Ordering::AcqRel) {
            let _ = nix::unistd::write(&self.wake_main.1, b"x");
            self.wake_listener();
        }
    }

    /// The listener registers how to wake it (and `None` when it leaves, so no signal ever
    /// goes to a thread that is gone).
    pub fn set_listener(&self, wake: Option<ListenerWake>) {
        *self.listener.lock().unwrap_or_else(|p| p.into_inner()) = wake;
    }

    /// Wakes the listener if it waits (stop requests, and the event MPM's idle workers).
    pub fn wake_listener(&self) {
        let guard = self.listener.lock().unwrap_or_else(|p| p.into_inner());
        match &*guard {
            Some(ListenerWake::Signal(thread)) => {
                let _ = pthread_kill(*thread, Signal::SIGUSR2);
            }
            Some(ListenerWake::Waker(waker)) => {
                let _ = waker.wake();
            }
            None => {}
        }
    }
}

/// A threaded child: its context, its limits and the shared stop control.
pub struct ThreadedChild<'a> {
    pub ctx: &'a ChildContext<'a>,
    pub control: Control,
    pub threads_per_child: usize,
    pub pid: i32,
    signals: ChildSignals,
}

impl ThreadedChild<'_> {
    /// True once this child's connections must end after their current request: a stop was
    /// requested or a newer generation runs.
    pub fn stopping(&self) -> bool {
        self.control.is_stopping()
            || self.signals.graceful()
            || self.signals.stop()
            || self.ctx.board.running_generation() != self.ctx.generation
    }

    /// Starts a worker thread (running `worker(thread)`) in every worker record this child can
    /// claim now. If an exiting child still holds some (the master forked this one onto its
    /// slot), a starter thread claims them as they are released, once a second.
    pub fn start_workers<'scope, F>(
        &'scope self,
        scope: &'scope Scope<'scope, '_>,
        worker: &'scope F,
    ) where
        F: Fn(usize) + Sync,
    {
        let mut pending = self.claim(scope, worker, 0..self.threads_per_child);
        if pending.is_empty() {
            return;
        }
        log::debug!(
            "pid {} taking over scoreboard slot {} (quiescing): {} of {} worker records free",
            self.pid,
            self.ctx.slot,
            self.threads_per_child - pending.len(),
            self.threads_per_child
        );
        let starter = move || {
            let mut loops = 0u32;
            while !pending.is_empty() && !self.stopping() {
                std::thread::sleep(CLAIM_RETRY);
                pending = self.claim(scope, worker, pending.into_iter());
                loops += 1;
                if loops.is_multiple_of(120) {
                    log::debug!(
                        "child {} isn't taking over slots very quickly ({} of {})",
                        self.pid,
                        self.threads_per_child - pending.len(),
                        self.threads_per_child
                    );
                }
            }
        };
        if let Err(e) = Builder::new()
            .name("starter".into())
            .stack_size(THREAD_STACK)
            .spawn_scoped(scope, starter)
        {
            log::error!("could not start the starter thread: {e}");
        }
    }

    /// Claims and starts what it can of `threads`; returns the records still held by others.
    fn claim<'scope, F>(
        &'scope self,
        scope: &'scope Scope<'scope, '_>,
        worker: &'scope F,
        threads: impl Iterator<Item = usize>,
    ) -> Vec<usize>
    where
        F: Fn(usize) + Sync,
    {
        let mut pending = Vec::new();
        for thread in threads {
            let claimed =
                self.ctx
                    .board
                    .claim_worker(self.ctx.slot, thread, self.pid, self.ctx.generation);
            if !claimed {
                pending.push(thread);
                continue;
            }
            let spawned = Builder::new()
                .name(format!("worker-{thread}"))
                .stack_size(THREAD_STACK)
                .spawn_scoped(scope, move || self.contain(|| worker(thread)));
            if let Err(e) = spawned {
                log::error!("could not start worker thread {thread}: {e}");
                self.ctx
                    .board
                    .worker_slot(self.ctx.slot, thread)
                    .set_status(crate::scoreboard::WorkerStatus::Dead);
            }
        }
        pending
    }

    /// Runs a thread's body; if it panics (a bug), the child stops gracefully and exits as
    /// "sick" instead of limping on without that thread.
    fn contain(&self, body: impl FnOnce()) {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).is_err() {
            log::error!("a thread of this child panicked; the child stops and is replaced");
            self.control.request_stop(true);
        }
    }

    /// Starts the listener thread running `listener`.
    pub fn start_listener<'scope, F>(&'scope self, scope: &'scope Scope<'scope, '_>, listener: F)
    where
        F: FnOnce() + Send + 'scope,
    {
        if let Err(e) = Builder::new()
            .name("listener".into())
            .stack_size(THREAD_STACK)
            .spawn_scoped(scope, move || self.contain(listener))
        {
            log::error!("could not start the listener thread: {e}");
            self.control.request_stop(true);
        }
    }

    /// The main thread: waits for a podx byte, a signal, a generation change or a stop request
    /// from another thread. Returns when the child must stop gracefully (after marking it
    /// quiescing); exits the process at once for `'$'`.
    pub fn watch(&self) {
        let _ = main_thread_signals().thread_unblock();
        let podx = self.ctx.pod;
        let wake = self.control.wake_main.0.as_fd();
        loop {
            if self.stopping() {
                break;
            }
            let mut fds = vec![PollFd::new(wake, PollFlags::POLLIN)];
            if let Some(fd) = podx {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            let timeout = PollTimeout::try_from(WATCH_TICK).unwrap_or(PollTimeout::MAX);
            let polled = poll(&mut fds, timeout);
            flush_stale_log_lines();
            if polled.is_err() {
                continue; // EINTR: a signal set a flag.
            }
            let podx_ready = fds
                .get(1)
                .and_then(PollFd::revents)
                .is_some_and(|r| !r.is_empty());
            if podx_ready && let Some(fd) = podx {
                let mut byte = [0u8; 1];
                match nix::unistd::read(fd, &mut byte) {
                    Ok(1) if byte[0] == b'$' => {
                        log::debug!("child exiting at once: the master asked ('$')");
                        buffer::wait_for_requests_in_flight();
                        access::flush_buffered();
                        process::exit_now(0);
                    }
                    // '!', or end of file (the master is gone): finish and leave.
                    Ok(_) => break,
                    // Another child took the byte.
                    Err(_) => {}
                }
            }
        }
        self.control.request_stop(false);
        // Apache's `ps->quiescing`: the master stops counting this child's idle threads and
        // may fork onto its slot (worker).
        self.ctx
            .board
            .process(self.ctx.slot)
            .quiescing
            .store(1, Ordering::Release);
    }
}

/// Buffered access log lines that have waited [`buffer::MAX_AGE`] are written (the main
/// thread looks every [`WATCH_TICK`], so a quiet child's log is never stale).
fn flush_stale_log_lines() {
    if buffer::pending_since().is_some_and(|since| since.elapsed() >= buffer::MAX_AGE) {
        access::flush_buffered();
    }
}

/// The signals only the main thread takes (other threads inherit them blocked, so a signal
/// interrupts the main thread's wait): USR1 (graceful), and in single-process mode TERM, INT
/// and HUP. USR2 wakes the worker MPM's listener, which unblocks it for itself.
fn main_thread_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
    ] {
        set.add(signal);
    }
    set
}

/// The worker MPM's listener: lets SIGUSR2 interrupt its accept(2).
pub fn listener_takes_usr2() {
    let mut set = SigSet::empty();
    set.add(Signal::SIGUSR2);
    let _ = set.thread_unblock();
}

/// Runs a worker or event child until it should exit; returns the exit code. As a prefork
/// child, it writes its buffered access log lines whichever way it leaves (a child killed by
/// TERM/HUP writes them from its signal handler, taken by the main thread).
pub fn child_main(ctx: &ChildContext<'_>) -> i32 {
    let code = run_child(ctx);
    access::flush_buffered();
    code
}

fn run_child(ctx: &ChildContext<'_>) -> i32 {
    let buffered_logs = match super::set_up_child(ctx) {
        Ok(buffered_logs) => buffered_logs,
        Err(code) => return code,
    };
    let control = match Control::new() {
        Ok(control) => control,
        Err(e) => {
            log::error!("could not create the child's wake pipe: {e}");
            return EXIT_CHILDSICK;
        }
    };
    // Threads started from here on inherit these blocked.
    if let Err(e) = main_thread_signals().thread_block() {
        log::error!("could not block signals for the child's threads: {e}");
        return EXIT_CHILDFATAL;
    }
    // TERM/HUP now reach only the main thread, which serves no request: its handler may wait
    // for the serving threads' last log lines.
    if buffered_logs {
        buffer::count_requests_in_flight();
    }
    let threads_per_child = (ctx.mpm.threads_per_child as usize).min(ctx.board.thread_limit());
    // Each worker thread keeps its own file cache: share the child's descriptor budget.
    crate::handlers::file_cache::share_between_threads(threads_per_child);
    let child = ThreadedChild {
        ctx,
        control,
        threads_per_child,
        pid: std::process::id() as i32,
        signals: ChildSignals,
    };
    match ctx.mpm.module {
        MpmModule::Event => super::event::run(&child),
        _ => super::worker::run(&child),
    }
    let _ = main_thread_signals().thread_unblock();
    log::debug!(
        "child leaving after {} connections",
        child.control.connections.load(Ordering::Relaxed)
    );
    if child.control.sick.load(Ordering::Acquire) {
        EXIT_CHILDSICK
    } else {
        0
    }
}
