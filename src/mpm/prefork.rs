//! The prefork child: one connection at a time, blocking I/O, Apache's `child_main`.
//!
//! Loop: check whether to leave (graceful flag, stale generation, pipe-of-death byte,
//! `max_connections_per_child`) -> mark the slot ready -> accept -> serve the connection
//! (keep-alive included) -> repeat. Blocking `accept` wakes at least once a second (the
//! listeners' receive timeout) and at once on a signal, so a child never sleeps through a stop.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::slot_observer::SlotObserver;
use crate::config::MpmConfig;
use crate::http::{Site, serve_connection};
use crate::logging::access;
use crate::master::exit::EXIT_CHILDSICK;
use crate::net::Listeners;
use crate::scoreboard::{Scoreboard, WorkerSlot, WorkerStatus};
use crate::sys::privileges::Credentials;
use crate::sys::process::ChildSignals;

/// Everything a child needs, borrowed from the master's state it inherited across fork.
pub struct ChildContext<'a> {
    pub slot: usize,
    pub generation: u64,
    pub board: &'a Scoreboard,
    pub listeners: &'a Listeners,
    pub site: &'a Site,
    /// Read end of the pipe of death (non-blocking); `None` in single-process mode.
    pub pod: Option<BorrowedFd<'a>>,
    /// Connections before this child exits; 0 = never.
    pub max_connections: u64,
    /// Set when the master runs as root with `user`/`group`.
    pub credentials: Option<Credentials>,
    /// `-X`: the master itself runs this loop.
    pub single_process: bool,
    /// `server_name:port` for the scoreboard's vhost column.
    pub vhost: String,
    /// `extended_status`: record per-request details in the slot.
    pub extended_status: bool,
    /// The MPM settings (threaded children read theirs here).
    pub mpm: &'a MpmConfig,
}

/// The connection limit for one child: `max` minus up to 10 % of jitter, so children started
/// together do not all recycle in the same second (Apache has no jitter; its users ask for it).
/// Never above `max`; 0 stays 0 (unlimited).
pub fn recycle_limit(max: u64, seed: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let span = max / 10;
    // splitmix64 finaliser: a cheap, well-mixed hash of the seed.
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    max - z % (span + 1)
}

/// Why the accept loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leave {
    /// Graceful restart or stop requested (USR1, stale generation).
    Graceful,
    /// A pipe-of-death byte: the master has too many idle children.
    Retired,
    /// `max_connections_per_child` reached.
    Recycled,
    /// Single-process mode got TERM/INT/HUP.
    Stopped,
}

/// Runs the child until it should exit; returns the exit code. Whichever way the child
/// leaves, its buffered access log lines are written first (a child killed by TERM/HUP
/// writes them from its signal handler).
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
    let signals = ChildSignals;
    let slot = ctx
        .board
        .worker_slot(ctx.slot, 0)
        .with_extended_status(ctx.extended_status);
    let clock_tick = crate::sys::cpu::clock_tick();
    let mut connections: u64 = 0;
    let leave = loop {
        if let Some(leave) = should_leave(ctx, signals, connections) {
            break leave;
        }
        slot.set_status(WorkerStatus::Ready);
        let (stream, peer, local) = match accept(ctx.listeners) {
            Ok(accepted) => accepted,
            Err(e) if is_transient(&e) => {
                if signals.take_nudge() && pod_byte(ctx) {
                    break Leave::Retired;
                }
                // Idle (the listeners' 1 s timeout, or a signal): no line waits longer.
                if buffered_logs {
                    access::flush_buffered();
                }
                continue;
            }
            Err(e) => {
                log::error!("accept failed: {e}; this child exits and the master replaces it");
                return EXIT_CHILDSICK;
            }
        };
        connections += 1;
        serve(ctx, &slot, signals, clock_tick, (stream, peer, local));
        // The master nudges (SIGUSR2) the child it wants to read the pipe of death; a child
        // that was busy when nudged looks after its connection. No nudge, no read(2).
        if signals.take_nudge() && pod_byte(ctx) {
            break Leave::Retired;
        }
    };
    slot.set_status(if leave == Leave::Retired {
        WorkerStatus::Dead
    } else {
        WorkerStatus::Graceful
    });
    log::debug!("child leaving: {leave:?} after {connections} connections");
    0
}

fn should_leave(ctx: &ChildContext<'_>, signals: ChildSignals, connections: u64) -> Option<Leave> {
    if signals.stop() {
        return Some(Leave::Stopped);
    }
    if signals.graceful() || ctx.board.running_generation() != ctx.generation {
        return Some(Leave::Graceful);
    }
    if ctx.max_connections != 0 && connections >= ctx.max_connections {
        return Some(Leave::Recycled);
    }
    None
}

/// Reads one byte from the pipe of death, if there is one.
fn pod_byte(ctx: &ChildContext<'_>) -> bool {
    let Some(fd) = ctx.pod else { return false };
    let mut byte = [0u8; 1];
    matches!(nix::unistd::read(fd, &mut byte), Ok(1))
}

pub(crate) fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock
            | io::ErrorKind::TimedOut
            | io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) || matches!(
        e.raw_os_error(),
        Some(libc::EPROTO | libc::ENOPROTOOPT | libc::EHOSTDOWN | libc::ENONET)
            | Some(libc::EHOSTUNREACH | libc::EOPNOTSUPP | libc::ENETUNREACH)
    )
}

/// Accepts one connection: blocking accept on a single listener, poll + non-blocking accept
/// over several (Apache's prefork does the same).
pub(crate) fn accept(listeners: &Listeners) -> io::Result<(TcpStream, SocketAddr, SocketAddr)> {
    let list = &listeners.list;
    let listener = if list.len() == 1 {
        &list[0]
    } else {
        let mut fds: Vec<PollFd<'_>> = list
            .iter()
            .map(|l| PollFd::new(l.socket.as_fd(), PollFlags::POLLIN))
            .collect();
        let ready = poll(&mut fds, PollTimeout::from(1000u16)).map_err(io::Error::from)?;
        if ready == 0 {
            return Err(io::ErrorKind::TimedOut.into());
        }
        let index = fds
            .iter()
            .position(|fd| fd.revents().is_some_and(|r| r.contains(PollFlags::POLLIN)))
            .ok_or(io::ErrorKind::WouldBlock)?;
        &list[index]
    };
    // socket2, not std: std's accept retries on EINTR, which would hide the master's nudge
    // (SIGUSR2) and graceful signal (SIGUSR1) until the next connection arrives.
    let (socket, peer) = socket2::SockRef::from(&listener.socket).accept()?;
    let peer = peer.as_socket().ok_or(io::ErrorKind::InvalidInput)?;
    let stream: TcpStream = socket.into();
    if list.len() > 1 {
        // Accepted sockets do not inherit O_NONBLOCK on Linux, but be explicit where the
        // listeners are non-blocking.
        stream.set_nonblocking(false)?;
    }
    Ok((stream, peer, listener.local))
}

fn serve(
    ctx: &ChildContext<'_>,
    slot: &WorkerSlot<'_>,
    signals: ChildSignals,
    clock_tick: u32,
    (stream, peer, local): (TcpStream, SocketAddr, SocketAddr),
) {
    slot.set_status(WorkerStatus::BusyRead);
    slot.connection_started(peer.ip(), ctx.vhost.as_bytes());
    let stopping =
        || signals.graceful() || signals.stop() || ctx.board.running_generation() != ctx.generation;
    let mut observer = SlotObserver {
        slot,
        board: ctx.board,
        clock_tick,
        extended_status: ctx.extended_status,
        stopping: &stopping,
    };
    let end = serve_connection(ctx.site, stream, peer, local, &mut observer);
    log::trace!("connection from {peer} ended: {end:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycle_limit_jitters_down_by_at_most_a_tenth() {
        assert_eq!(recycle_limit(0, 42), 0);
        assert_eq!(
            recycle_limit(3, 42),
            3,
            "below 10 there is no room for jitter"
        );
        let limits: Vec<u64> = (0..200).map(|seed| recycle_limit(1000, seed)).collect();
        assert!(limits.iter().all(|&l| (900..=1000).contains(&l)));
        let distinct: std::collections::BTreeSet<_> = limits.iter().collect();
        assert!(
            distinct.len() > 20,
            "children started together get different limits"
        );
    }
}
