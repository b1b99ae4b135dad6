//! The event MPM's child: as worker, but a connection idle between keep-alive requests holds
//! no thread. It is parked in the listener thread's mio poller (`event_table.rs` keeps it)
//! and handed to a worker again when it becomes readable; the lingering close after the last
//! response is done by the listener too.
//!
//! Apache's rules (reference/apache-mpm.md §2): a new connection is accepted only while a
//! worker is idle and the process holds fewer than `threads_per_child + idle workers x
//! async_request_worker_factor` connections (lingering ones not counted); otherwise the
//! listening sockets leave the poller and the process reports `not_accepting` until that
//! changes. Unlike Apache, a parked connection is never closed because workers are busy or the
//! process is stopping: it waits for a worker, or (stopping) for its next request, which is
//! answered with `Connection: close`; only its keep-alive timeout closes it, as in prefork and
//! worker. `max_connections_per_child` counts accepted connections, exactly.
//!
//! Workers and the listener share the table under one lock. A connection is registered in the
//! poller (edge-triggered) under that lock when it is first parked and stays registered until
//! it is closed; a worker parking it again makes it visible as parked, then peeks once for data
//! that arrived meanwhile (see `Shared::park`). So a wake-up is never lost, never delivered for
//! a socket that is gone (tokens carry a generation), and parking costs no `epoll_ctl`.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use nix::sys::socket::MsgFlags;

use super::event_table::{RESERVED_TOKENS, Table, Woken};
use super::pool::{Pool, Popped, StopOnDrop};
use super::prefork::is_transient;
use super::slot_observer::SlotObserver;
use super::threaded::{ListenerWake, ThreadedChild};
use crate::config::WORKER_FACTOR_SCALE;
use crate::http::{Burst, ParkedConn, serve_ready};
use crate::scoreboard::WorkerStatus;

const WAKER: Token = Token(usize::MAX);
/// The longest the listener sleeps without looking at its flags and counters.
const LISTENER_TICK: Duration = Duration::from_secs(1);

fn listener_token(i: usize) -> Token {
    Token(usize::MAX - 1 - i)
}

/// Work for a worker thread.
enum Task {
    /// A connection just accepted.
    New {
        stream: TcpStream,
        peer: SocketAddr,
        local: SocketAddr,
    },
    /// A parked connection that became readable, and its table entry.
    Resume { conn: Box<ParkedConn>, index: u32 },
}

/// What the listener and the workers share.
struct Shared {
    table: Mutex<Table>,
    registry: Registry,
    waker: Arc<Waker>,
    /// Connections accepted and not closed yet, wherever they are.
    open: AtomicUsize,
    keep_alive_timeout: Duration,
    /// The listener wants to hear about every connection that closes (it stopped accepting
    /// for the connection cap, or it is stopping and waits for the last one).
    wake_on_close: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A worker parks an idle connection (`index`: its entry, if it was parked before). Returns
    /// it again (with its entry) if its next request is already there: the caller serves it.
    ///
    /// A connection stays registered in the poller, edge-triggered, from its first parking to
    /// its close. Its first registration reports data that is already there; after that, data
    /// that arrived while a worker had the connection produced an event the listener ignored
    /// (busy), so the worker looks once itself, after the connection is visible as parked:
    /// anything arriving later wakes the listener. No `epoll_ctl` per request.
    fn park(&self, conn: Box<ParkedConn>, index: Option<u32>) -> Option<(Box<ParkedConn>, u32)> {
        let fd = conn.stream().as_raw_fd();
        let mut table = self.lock();
        let first = index.is_none();
        let index = index.unwrap_or_else(|| table.allocate());
        let token = table.token(index);
        table.park(index, conn, Instant::now(), self.keep_alive_timeout);
        if first {
            self.register(&mut table, index, fd, token);
            return None;
        }
        drop(table);
        if !readable_now(fd) {
            return None;
        }
        self.lock().unpark(token).map(|conn| (conn, index))
    }

    /// A worker leaves the lingering close to the listener (draining at once what is there).
    fn linger(&self, stream: TcpStream, index: Option<u32>) {
        if stream.set_nonblocking(true).is_err() {
            self.closed(index);
            return;
        }
        let fd = stream.as_raw_fd();
        let mut table = self.lock();
        let first = index.is_none();
        let index = index.unwrap_or_else(|| table.allocate());
        let token = table.token(index);
        table.linger(index, stream, Instant::now());
        if first {
            self.register(&mut table, index, fd, token);
        } else if let Some(stream) = table.lingering_stream(index, Instant::now())
            && drained(stream, &mut [0u8; 512])
        {
            drop(table.free(index));
            drop(table);
            self.closed_one();
        }
    }

    /// Registers `fd` for readability, under the table lock (an event for it can only be
    /// handled once it is in the table).
    fn register(&self, table: &mut Table, index: u32, fd: i32, token: Token) {
        let mut source = SourceFd(&fd);
        if let Err(e) = self
            .registry
            .register(&mut source, token, Interest::READABLE)
        {
            log::warn!("could not watch a connection in the poller: {e}; closing it");
            drop(table.free(index));
            self.closed_one();
        }
    }

    /// A worker's connection ended (it dropped the socket).
    fn closed(&self, index: Option<u32>) {
        if let Some(index) = index {
            self.lock().free(index);
        }
        self.closed_one();
    }

    fn closed_one(&self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
        if self.wake_on_close.swap(false, Ordering::AcqRel) {
            let _ = self.waker.wake();
        }
    }
}

/// Runs the child's threads until it stops (called on the main thread).
pub fn run(child: &ThreadedChild<'_>) {
    let setup = Poll::new().and_then(|poll| {
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let registry = poll.registry().try_clone()?;
        Ok((poll, waker, registry))
    });
    let (poll, waker, registry) = match setup {
        Ok(parts) => parts,
        Err(e) => {
            log::error!("could not set up the event poller: {e}");
            child.control.request_stop(true);
            return;
        }
    };
    let shared = Shared {
        table: Mutex::new(Table::default()),
        registry,
        waker: Arc::clone(&waker),
        open: AtomicUsize::new(0),
        keep_alive_timeout: child.ctx.site.http().keep_alive_timeout,
        wake_on_close: AtomicBool::new(false),
    };
    let idle_waker = Arc::clone(&waker);
    let pool: Pool<Task> = Pool::new(Some(Box::new(move || {
        let _ = idle_waker.wake();
    })));
    child
        .control
        .set_listener(Some(ListenerWake::Waker(Arc::clone(&waker))));
    let worker = |thread: usize| worker_thread(child, &shared, &pool, thread);
    std::thread::scope(|scope| {
        child.start_workers(scope, &worker);
        child.start_listener(scope, || Listener::new(child, &shared, &pool, poll).run());
        child.watch();
    });
}

fn worker_thread(child: &ThreadedChild<'_>, shared: &Shared, pool: &Pool<Task>, thread: usize) {
    let ctx = child.ctx;
    let slot = ctx
        .board
        .worker_slot(ctx.slot, thread)
        .with_extended_status(ctx.extended_status);
    let clock_tick = crate::sys::cpu::clock_tick();
    let stopping = || child.stopping();
    loop {
        // An idle thread of a stopping child shows `G`, as Apache's.
        slot.set_status(if child.stopping() {
            WorkerStatus::Graceful
        } else {
            WorkerStatus::Ready
        });
        let (mut conn, mut index) = match pool.pop_or_nudged() {
            Popped::Task(Task::New {
                stream,
                peer,
                local,
            }) => (Box::new(ParkedConn::new(stream, peer, local)), None),
            Popped::Task(Task::Resume { conn, index }) => (conn, Some(index)),
            Popped::Nudged => continue,
            Popped::Stop => break,
        };
        let peer = conn.peer();
        slot.set_status(WorkerStatus::BusyRead);
        let client = peer.ip().to_string();
        if index.is_none() {
            slot.connection_started(client.as_bytes(), ctx.vhost.as_bytes());
        } else {
            slot.connection_resumed(client.as_bytes(), ctx.vhost.as_bytes());
        }
        let mut observer = SlotObserver {
            slot: &slot,
            board: ctx.board,
            clock_tick,
            extended_status: ctx.extended_status,
            stopping: &stopping,
        };
        loop {
            match serve_ready(ctx.site, &mut conn, &mut observer) {
                Burst::Park => match shared.park(conn, index) {
                    // The client was quick: its next request is there already.
                    Some((again, i)) => (conn, index) = (again, Some(i)),
                    None => break,
                },
                Burst::Linger => {
                    shared.linger(conn.into_stream(), index);
                    break;
                }
                Burst::Closed(end) => {
                    log::trace!("connection from {peer} ended: {end:?}");
                    drop(conn);
                    shared.closed(index);
                    break;
                }
            }
        }
    }
    slot.set_status(WorkerStatus::Dead);
}

/// True when a read would not block (data, or the client's end of file), without reading.
fn readable_now(fd: i32) -> bool {
    let mut byte = [0u8; 1];
    let flags = MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT;
    nix::sys::socket::recv(fd, &mut byte, flags).is_ok()
}

/// What one pass of the listener left: the next timeout and the table's counts.
#[derive(Default)]
struct Pass {
    due: Option<Instant>,
    parked: usize,
    lingering: usize,
}

/// Reads and drops what a lingering client still sends; true once it closed (or failed).
fn drained(mut stream: &TcpStream, buf: &mut [u8]) -> bool {
    loop {
        match stream.read(buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

/// The listener thread's state.
struct Listener<'a, 'c> {
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
    fn new(
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

    fn run(mut self) {
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

    /// One pass over what the poller reported and what timed out, under one lock of the table:
    /// readable parked connections go to the workers (in one batch), lingering ones are
    /// drained, expired ones closed.
    fn handle(&mut self, events: &Events) -> Pass {
        let mut resumed = Vec::new();
        let mut closed = Vec::new();
        let now = Instant::now();
        let mut table = self.shared.lock();
        for event in events {
            match event.token() {
                WAKER => {}
                t if t.0 >= RESERVED_TOKENS => self.pending = true,
                t => match table.woken(t) {
                    Woken::Request(conn, index) => resumed.push(Task::Resume { conn, index }),
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
        closed.extend(table.expire(now));
        let pass = Pass {
            due: table.next_due(),
            parked: table.parked,
            lingering: table.lingering,
        };
        drop(table);
        self.pool.push_all(resumed);
        for stream in closed {
            drop(stream);
            self.shared.closed_one();
        }
        pass
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
        p.not_accepting.store(
            u32::from(!self.would_accept_now(lingering)),
            Ordering::Relaxed,
        );
    }
}
