//! The event MPM's listener thread: accepts while the process may take connections (Apache's
//! `connections_above_limit`, published as `not_accepting`), finishes pending response bodies
//! (write completion), expires what waited too long, and publishes the process's counters.
//! It never serves a request itself. Its poller holds the listening sockets, its waker and the
//! connections whose body it writes; parked and lingering connections wait in the workers'
//! poller instead (`event_poller.rs`), so their events reach an idle worker directly (the
//! parked and lingering cases of [`Listener::handle`] only serve a connection that was in
//! this poller).

use std::io;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::time::Instant;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll};

use super::{LISTENER_TICK, Shared, Task, WAKER, drained, is_transient, listener_token};
use crate::config::WORKER_FACTOR_SCALE;
use crate::http::ParkedConn;
use crate::http::io::PendingWrite;
use crate::mpm::event_table::{RESERVED_TOKENS, Table, Woken};
use crate::mpm::pool::{Pool, StopOnDrop};
use crate::mpm::threaded::ThreadedChild;

/// What one pass of the listener left: the next timeout and the table's counts.
#[derive(Default)]
struct Pass {
    due: Option<Instant>,
    parked: usize,
    lingering: usize,
    writing: usize,
}

/// The listener thread's state.
pub(super) struct Listener<'a, 'c> {
    child: &'a ThreadedChild<'c>,
    shared: &'a Shared,
    pool: &'a Pool<Task>,
    poll: Poll,
    /// The listening sockets are in the poller.
    accepting: bool,
    /// A listening socket reported a connection that is not accepted yet.
    pending: bool,
    stop_seen: bool,
    drain: Vec<u8>,
}

impl<'a, 'c> Listener<'a, 'c> {
    pub(super) fn new(
        child: &'a ThreadedChild<'c>,
        shared: &'a Shared,
        pool: &'a Pool<Task>,
        poll: Poll,
    ) -> Self {
        Listener {
            child,
            shared,
            pool,
            poll,
            accepting: false,
            pending: true,
            stop_seen: false,
            drain: vec![0; 4096],
        }
    }

    pub(super) fn run(mut self) {
        // Queued work is still done; then the workers leave (also if this thread panics).
        let _stop_workers = StopOnDrop(self.pool);
        for l in &self.child.ctx.listeners.list {
            if let Err(e) = l.socket.set_nonblocking(true) {
                log::error!("could not make {} non-blocking: {e}", l.local);
                self.child.control.request_stop(true);
            }
        }
        let mut events = Events::with_capacity(1024);
        let mut pass = Pass::default();
        loop {
            if self.child.stopping() {
                if !self.stop_seen {
                    self.stop_seen = true;
                    self.set_accepting(false);
                    self.pool.nudge();
                }
                self.shared.wake_on_close.store(true, Ordering::Release);
                if self.shared.open.load(Ordering::Acquire) == 0 {
                    break;
                }
            } else if self.pending || !self.accepting {
                // Accepting with nothing pending: nothing to decide until a connection comes
                // (asking now would only arm wake-ups for idle workers we do not need).
                self.accept_what_we_may(pass.lingering);
            }
            self.publish(&pass);
            let timeout = pass.due.map_or(LISTENER_TICK, |d| {
                d.saturating_duration_since(Instant::now())
                    .min(LISTENER_TICK)
            });
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                log::error!("event poll failed: {e}");
                self.child.control.request_stop(true);
            }
            pass = self.handle(&events);
        }
        self.publish(&pass);
        self.child.control.set_listener(None);
    }

    /// One pass over what the poller reported and what timed out, under one lock of the table
    /// (two when bodies are pending: they are written outside it): pending bodies are
    /// continued, expired connections closed. (Parked and lingering connections wait in the
    /// workers' poller; should one report here, it goes to the workers or is drained.)
    fn handle(&mut self, events: &Events) -> Pass {
        let mut resumed = Vec::new();
        let mut closed = Vec::new();
        let mut writes = Vec::new();
        let now = Instant::now();
        let mut table = self.shared.lock();
        for event in events {
            let writable = event.is_writable() || event.is_error() || event.is_write_closed();
            match event.token() {
                WAKER => {}
                t if t.0 >= RESERVED_TOKENS => self.pending = true,
                t => match table.woken(t, writable) {
                    Woken::Request(conn, index) => resumed.push(Task::Resume { conn, index }),
                    Woken::Write {
                        conn,
                        pending,
                        close_after,
                        index,
                    } => writes.push((conn, pending, close_after, index)),
                    Woken::Linger(index) => {
                        if let Some(stream) = table.lingering_stream(index, now)
                            && drained(stream, &mut self.drain)
                        {
                            closed.extend(table.free(index));
                        }
                    }
                    Woken::Nothing => {}
                },
            }
        }
        if !writes.is_empty() {
            // Pending bodies: as much as each socket takes now, outside the lock.
            drop(table);
            let written: Vec<_> = writes
                .into_iter()
                .map(|(conn, mut pending, close_after, index)| {
                    let result = pending.resume(conn.stream());
                    (conn, pending, close_after, index, result)
                })
                .collect();
            table = self.shared.lock();
            for (conn, pending, close_after, index, result) in written {
                let failed =
                    self.after_write(&mut table, conn, pending, close_after, index, result);
                closed.extend(failed);
            }
        }
        closed.extend(table.expire(now));
        let pass = Pass {
            due: table.next_due(),
            parked: table.parked,
            lingering: table.lingering,
            writing: table.writing,
        };
        drop(table);
        self.pool.push_all(resumed);
        for stream in closed {
            drop(stream);
            self.shared.closed_one();
        }
        pass
    }

    /// Where a connection goes after the listener wrote some of its pending body: back to
    /// wait for writability, or (all sent) to wait for its next request or to its lingering
    /// close, in the workers' poller (out of this one). Returns the socket to close on failure.
    fn after_write(
        &self,
        table: &mut Table,
        conn: Box<ParkedConn>,
        pending: PendingWrite,
        close_after: bool,
        index: u32,
        result: io::Result<bool>,
    ) -> Option<TcpStream> {
        let now = Instant::now();
        let fd = conn.stream().as_raw_fd();
        let token = table.token(index);
        let shared = self.shared;
        match result {
            Ok(false) => {
                let due = now + shared.write_timeout;
                table.write_later(index, conn, pending, close_after, due);
                return None;
            }
            Ok(true) => table.write_done(),
            Err(e) => {
                log::debug!("a pending response could not be written: {e}");
                table.write_done();
                table.free(index);
                return Some(conn.into_stream());
            }
        }
        // Back to the workers' poller, out of this one. Readiness is reported again on
        // re-registration: a request (or FIN) that came while the body was going out is not
        // missed.
        let _ = shared.registry.deregister(&mut SourceFd(&fd));
        if close_after {
            let stream = conn.into_stream();
            if stream.shutdown(std::net::Shutdown::Write).is_err() {
                table.free(index);
                return Some(stream);
            }
            if shared.watch_ready(table, index, &stream, token) {
                table.linger(index, stream, now);
            }
        } else {
            if conn.stream().set_nonblocking(false).is_err() {
                table.free(index);
                return Some(conn.into_stream());
            }
            if shared.watch_ready(table, index, conn.stream(), token) {
                table.park(index, conn, now, shared.keep_alive_timeout);
            }
        }
        None
    }

    /// Apache's `connections_above_limit`: may this process take another connection?
    /// `handing_over`: connections accepted but not queued for a worker yet (they will take
    /// an idle worker each). A "no" arms the wake-ups that make the listener look again.
    fn may_accept(&self, lingering: usize, handing_over: usize) -> bool {
        let idle = self.pool.idle_workers_or_notify(handing_over);
        if idle == 0 {
            return false;
        }
        if self.under_cap(idle, lingering) {
            return true;
        }
        // Hear about the next close to look again.
        self.shared.wake_on_close.store(true, Ordering::Release);
        false
    }

    /// The connection cap with `idle` idle workers: `threads_per_child + idle x factor`
    /// connections, lingering ones not counted.
    fn under_cap(&self, idle: usize, lingering: usize) -> bool {
        let open = self.shared.open.load(Ordering::Acquire);
        let factor = self.child.ctx.mpm.async_request_worker_factor_16ths as usize;
        let limit = self.child.threads_per_child + idle * factor / WORKER_FACTOR_SCALE as usize;
        open.saturating_sub(lingering) < limit
    }

    /// Would this process take a connection now? Asked without arming any wake-up, on every
    /// pass, for the published flag only: the listening sockets stay where they are (Apache
    /// too looks again only when a connection comes), but the master and the status page see
    /// at once that resumed connections took the last idle worker or the cap is reached.
    fn would_accept_now(&self, lingering: usize) -> bool {
        if !self.accepting {
            return false;
        }
        let idle = self.pool.idle_workers();
        idle > 0 && self.under_cap(idle, lingering)
    }

    fn accept_what_we_may(&mut self, lingering: usize) {
        if !self.may_accept(lingering, 0) {
            self.set_accepting(false);
            return;
        }
        if !self.accepting {
            self.set_accepting(true);
        }
        let max = self.child.ctx.max_connections;
        while self.pending {
            let mut accepted = None;
            for l in &self.child.ctx.listeners.list {
                match l.socket.accept() {
                    Ok((stream, peer)) => {
                        accepted = Some((stream, peer, l.local));
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if is_transient(&e) => {}
                    Err(e) => {
                        log::error!(
                            "accept failed: {e}; this child exits and the master replaces it"
                        );
                        self.child.control.request_stop(true);
                        return;
                    }
                }
            }
            let Some((stream, peer, local)) = accepted else {
                // Every listening socket said "would block": wait for the next edge.
                self.pending = false;
                return;
            };
            self.shared.open.fetch_add(1, Ordering::AcqRel);
            // Decide about the next one before this one reaches a worker, so that a process
            // at its cap says so (not_accepting) before it serves anything more, even the
            // request that asks for its status.
            let more = self.may_accept(lingering, 1);
            if !more {
                self.set_accepting(false);
            }
            self.pool.push(Task::New {
                stream,
                peer,
                local,
            });
            let count = self
                .child
                .control
                .connections
                .fetch_add(1, Ordering::AcqRel)
                + 1;
            if max != 0 && count >= max {
                log::debug!("stopping: max_connections_per_child ({max}) reached");
                self.child.control.request_stop(false);
                return;
            }
            if !more {
                return;
            }
        }
    }

    /// Puts the listening sockets into the poller or takes them out (Apache's
    /// `enable_listensocks` / `disable_listensocks`).
    fn set_accepting(&mut self, on: bool) {
        if on == self.accepting {
            return;
        }
        let registry = self.poll.registry();
        for (i, l) in self.child.ctx.listeners.list.iter().enumerate() {
            let fd = l.socket.as_raw_fd();
            let mut source = SourceFd(&fd);
            let result = if on {
                registry.register(&mut source, listener_token(i), Interest::READABLE)
            } else {
                registry.deregister(&mut source)
            };
            if let Err(e) = result {
                log::warn!("could not change the poller's watch of {}: {e}", l.local);
            }
        }
        self.accepting = on;
        // Published at once (not only at the end of the pass): see `accept_what_we_may`.
        self.child
            .ctx
            .board
            .process(self.child.ctx.slot)
            .not_accepting
            .store(u32::from(!on), Ordering::Relaxed);
        // A socket put back may hold connections that arrived meanwhile (the registration
        // reports them too); look at once.
        self.pending = on;
        if on {
            log::trace!(
                "accepting new connections again: {} active conns, {} idle workers",
                self.shared.open.load(Ordering::Relaxed),
                self.pool.idle_workers()
            );
        } else if !self.stop_seen {
            log::trace!(
                "not accepting new conns in this process ({} open connections)",
                self.shared.open.load(Ordering::Relaxed)
            );
        }
    }

    /// The process record's event counters (Apache refreshes them in its listener too).
    fn publish(&self, pass: &Pass) {
        let p = self.child.ctx.board.process(self.child.ctx.slot);
        let (parked, lingering) = (pass.parked, pass.lingering);
        p.open_connections.store(
            self.shared.open.load(Ordering::Relaxed) as u64,
            Ordering::Relaxed,
        );
        p.keep_alive.store(parked as u32, Ordering::Relaxed);
        p.lingering_close.store(lingering as u32, Ordering::Relaxed);
        p.write_completion
            .store(pass.writing as u32, Ordering::Relaxed);
        p.not_accepting.store(
            u32::from(!self.would_accept_now(lingering)),
            Ordering::Relaxed,
        );
    }
}
