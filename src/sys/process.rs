//! fork and the child's signal set-up.
//!
//! The master is single-threaded for its whole life precisely so that `fork` is sound: no other
//! thread can hold a lock (allocator, logger) at the moment of the fork.

use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::unistd::{ForkResult, Pid};

/// Which side of a fork we are on.
pub enum Forked {
    Parent(Pid),
    Child,
}

/// Forks the process.
///
/// # Safety contract (checked by the callers' design, not the type system)
/// Only the single-threaded master (or the start-up code before any thread exists) calls this.
pub fn fork() -> nix::Result<Forked> {
    // SAFETY: the caller is single-threaded (the master never starts a thread, see
    // `master/mod.rs`), so the child inherits no lock held by another thread and may run
    // arbitrary code, not only async-signal-safe functions.
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Parent { child } => Ok(Forked::Parent(child)),
        ForkResult::Child => Ok(Forked::Child),
    }
}

static GRACEFUL: AtomicBool = AtomicBool::new(false);
static STOP: AtomicBool = AtomicBool::new(false);
static NUDGED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_graceful(_: libc::c_int) {
    GRACEFUL.store(true, Ordering::SeqCst);
}

extern "C" fn on_stop(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

extern "C" fn on_nudge(_: libc::c_int) {
    NUDGED.store(true, Ordering::SeqCst);
}

/// Flags the child's signal handlers set; read them with [`ChildSignals`].
#[derive(Clone, Copy)]
pub struct ChildSignals;

impl ChildSignals {
    /// SIGUSR1 (or WINCH-initiated graceful) arrived: finish the request in hand, then exit.
    pub fn graceful(self) -> bool {
        GRACEFUL.load(Ordering::SeqCst)
    }
    /// SIGTERM/SIGHUP arrived in single-process mode (forked children die at once instead).
    pub fn stop(self) -> bool {
        STOP.load(Ordering::SeqCst)
    }
    /// SIGUSR2 arrived: the master wrote to the pipe of death and wants this child to look.
    pub fn take_nudge(self) -> bool {
        NUDGED.swap(false, Ordering::SeqCst)
    }
}

fn install(signal: Signal, handler: SigHandler) -> nix::Result<()> {
    // No SA_RESTART: a blocking accept/read is interrupted (EINTR) so the loop sees the flag.
    let action = SigAction::new(handler, SaFlags::empty(), SigSet::empty());
    // SAFETY: the handlers only store to static atomics (async-signal-safe), or are SIG_DFL /
    // SIG_IGN. This replaces every handler the master installed through signal-hook, so none of
    // the master's actions (which write to the master's wake pipe) can run in the child.
    unsafe { sigaction(signal, &action) }.map(|_| ())
}

/// A forked child's first act: replace the master's signal set-up with its own, as Apache's
/// prefork child does. TERM and HUP end it at once (Apache's `just_die`), INT is ignored (the
/// master handles ^C for the whole group), USR1 asks for a graceful exit, USR2 nudges it to read
/// the pipe of death.
pub fn set_child_signals() -> nix::Result<()> {
    install(Signal::SIGTERM, SigHandler::SigDfl)?;
    install(Signal::SIGHUP, SigHandler::SigDfl)?;
    install(Signal::SIGINT, SigHandler::SigIgn)?;
    install(Signal::SIGCHLD, SigHandler::SigDfl)?;
    install(Signal::SIGWINCH, SigHandler::SigDfl)?;
    install(Signal::SIGPIPE, SigHandler::SigIgn)?;
    install(Signal::SIGUSR1, SigHandler::Handler(on_graceful))?;
    install(Signal::SIGUSR2, SigHandler::Handler(on_nudge))
}

/// In a child with buffered access logs: TERM and HUP run `handler` (which writes the buffer
/// and then calls [`die_by_signal`]) instead of killing the child outright.
pub fn set_fatal_signal_handler(handler: extern "C" fn(libc::c_int)) -> nix::Result<()> {
    install(Signal::SIGTERM, SigHandler::Handler(handler))?;
    install(Signal::SIGHUP, SigHandler::Handler(handler))
}

/// Ends the process by `sig` with its default action, as if no handler had been installed
/// (the master sees the same death). Async-signal-safe: from a handler, the signal is
/// delivered the moment the handler returns.
pub fn die_by_signal(sig: libc::c_int) {
    // SAFETY: resetting a disposition to SIG_DFL and raising are async-signal-safe and take
    // no pointers but the sigaction, which lives on this stack for the call.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(sig, &action, std::ptr::null_mut());
        libc::raise(sig);
    }
}

/// Signal set-up for single-process mode (`-X`): TERM, INT and HUP stop the loop cleanly, USR1
/// is graceful (Apache does not catch HUP/USR1 there; we let them end the process cleanly).
pub fn set_single_process_signals() -> nix::Result<()> {
    install(Signal::SIGTERM, SigHandler::Handler(on_stop))?;
    install(Signal::SIGINT, SigHandler::Handler(on_stop))?;
    install(Signal::SIGHUP, SigHandler::Handler(on_stop))?;
    install(Signal::SIGPIPE, SigHandler::SigIgn)?;
    install(Signal::SIGUSR1, SigHandler::Handler(on_graceful))?;
    install(Signal::SIGUSR2, SigHandler::Handler(on_nudge))
}

/// The master ignores SIGPIPE (a client vanishing must not kill it) as Apache's parent does.
pub fn ignore_sigpipe() -> nix::Result<()> {
    install(Signal::SIGPIPE, SigHandler::SigIgn)
}

/// Ends the process at once: no atexit handlers, no flushing of stdio buffers. A forked child
/// must leave this way, or it could flush output it inherited from the master a second time.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and takes no pointers; nothing after it runs.
    unsafe { libc::_exit(code) }
}
