//! The master's effects: fork a child into a slot, signal children, write the pipe of death,
//! reap. No decisions are made here; `policy`, `reclaim` and `exit` decide.

use std::os::fd::OwnedFd;
use std::time::{SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::Master;
use crate::config::MpmModule;
use crate::mpm::prefork::recycle_limit;
use crate::sys::process::{Forked, fork};

/// The pipe of death: one byte written = one idle child leaves.
pub struct PipeOfDeath {
    pub read: OwnedFd,
    pub write: OwnedFd,
}

impl PipeOfDeath {
    pub fn new() -> nix::Result<PipeOfDeath> {
        let (read, write) = nix::unistd::pipe()?;
        for fd in [&read, &write] {
            let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
            fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
        }
        Ok(PipeOfDeath { read, write })
    }

    /// Writes one `'!'`.
    pub fn signal_one(&self) {
        self.signal(b'!', 1);
    }

    /// Writes `byte` `count` times (the pipe holds 64 KiB, more than `server_limit` bytes; a
    /// full pipe already says what another byte would).
    pub fn signal(&self, byte: u8, count: usize) {
        let bytes = vec![byte; count];
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            match nix::unistd::write(&self.write, rest) {
                Ok(n) if n > 0 => rest = &rest[n..],
                Err(Errno::EINTR) => {}
                _ => return,
            }
        }
    }

    /// Empties the pipe (bytes nobody consumed must not kill a child of the next generation).
    pub fn drain(&self) {
        let mut buf = [0u8; 256];
        while matches!(nix::unistd::read(&self.read, &mut buf), Ok(n) if n > 0) {}
    }
}

/// Sends `signal` to `pid`; a child that already exited is not an error.
pub fn signal(pid: Pid, signal: Signal) {
    match kill(pid, signal) {
        Ok(()) | Err(Errno::ESRCH) => {}
        Err(e) => log::warn!("could not send {signal} to child pid {pid}: {e}"),
    }
}

/// One exited child, or `None` when no (more) child has exited.
pub fn reap_one() -> Option<WaitStatus> {
    match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::StillAlive) | Err(_) => None,
        Ok(status) => Some(status),
    }
}

/// Forks a child into `slot`. In the child this never returns: it serves, then `_exit`s.
pub fn spawn(master: &mut Master, slot: usize) -> Result<Pid, Errno> {
    let generation = master.generation;
    let threaded = master.config.mpm.module != MpmModule::Prefork;
    if threaded && !master.board.threads_all_dead(slot) {
        // worker squatting: the exiting child keeps the records its threads still hold.
        master.board.slot_squatted(slot, generation);
    } else {
        master.board.slot_starting(slot, generation);
    }
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ ((slot as u64) << 32);
    let max_connections = recycle_limit(master.config.mpm.max_connections_per_child, seed);
    match fork() {
        Ok(Forked::Parent(pid)) => {
            if threaded {
                master.board.process_forked(slot, pid.as_raw());
            } else {
                master.board.slot_forked(slot, pid.as_raw());
            }
            Ok(pid)
        }
        Ok(Forked::Child) => {
            let ctx = master.child_context(slot, generation, max_connections, false);
            let code = crate::mpm::child_main(&ctx);
            // _exit: no atexit handlers, no flushing of stdio buffers copied from the master.
            crate::sys::process::exit_now(code)
        }
        Err(e) => {
            if threaded {
                master
                    .board
                    .threads_dead(slot, 0, master.children.get(slot).is_none());
            } else {
                master.board.slot_dead(slot);
            }
            Err(e)
        }
    }
}
