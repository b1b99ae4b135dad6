//! The event MPM's child: as worker, but a connection idle between keep-alive requests holds
//! no thread. It is parked (`event_table.rs` keeps it) in the workers' poller
//! (`event_poller.rs`): one epoll set that every idle worker waits in, so the client's next
//! request wakes one idle worker, which serves it itself. No thread stands between the
//! client and the worker: a keep-alive request costs one wake-up, not two (listener, then
//! worker through the pool), which is what kept this MPM at half of nginx's rate. Lingering
//! closes are drained by whichever idle worker their data wakes. The listener thread
//! (`event_listener.rs`) accepts (and hands new connections over through the pool, whose
//! signal is an eventfd in that same poller), keeps the connection cap and `not_accepting`,
//! sends the rest of a file body that the socket would not take without blocking (Apache's
//! write completion: it then parks or lingers the connection), and expires what waited too
//! long: the timeout queues are shared, under the table's lock.
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
//! workers' poller (edge-triggered) under that lock when it is first parked or lingers, and
//! stays registered until it is closed (while the listener writes its pending body it is in the
//! listener's poller too, and armed again in the workers' when it parks); an event that finds
//! its connection busy is noted in the table, and the worker parking it again serves it once
//! more instead (see `Shared::park`). So a wake-up is never lost, never delivered for a socket
//! that is gone (tokens carry a generation), and parking costs no `epoll_ctl` and no read.
//!
//! An idle worker first takes what is ready without blocking; only then does it block in the
//! poller, and at most one per CPU does (`Seats` in `event_poller.rs`; the others wait on a
//! bench and are promoted when the last sleeper leaves to serve). Without the cap every
//! request woke a sleeping worker while a busy one was about to look: ~1.4 context switches
//! per request at 50 and 200 clients; with it, 0.5-1.1, and +15-60% requests per second.
//!
//! Alternatives measured (interleaved wrk runs, 1 KiB file, 2 cores): a worker that keeps its
//! connection and `poll`s it for 2 ms before parking was slower (-10 to -40%: held connections
//! starve parked ones at 200 clients); this design was +35-50% at 50 clients, +27-50% at 200.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Interest, Poll, Registry, Token, Waker};

use super::event_poller::{Ready, Seats, WorkerPoller};
use super::event_table::{Table, Woken};
use super::pool::{Pool, Popped};
use super::prefork::is_transient;
use super::slot_observer::SlotObserver;
use super::threaded::{ListenerWake, ThreadedChild};
use crate::http::io::PendingWrite;
use crate::http::{Burst, ParkedConn, serve_ready};
use crate::scoreboard::WorkerStatus;

#[path = "event_listener.rs"]
mod listener;

use listener::Listener;

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
    /// Where idle workers wait: parked and lingering connections, and the pool's signal.
    poller: Arc<WorkerPoller>,
    /// How many idle workers may block in `poller` at once (the rest wait on a bench).
    seats: Seats,
    /// The listener's poller (pending writes only, besides its own sockets).
    registry: Registry,
    waker: Arc<Waker>,
    /// Connections accepted and not closed yet, wherever they are.
    open: AtomicUsize,
    keep_alive_timeout: Duration,
    /// How long a pending write may wait for the client to read (`timeout`, as Apache's).
    write_timeout: Duration,
    /// The listener wants to hear about every connection that closes (it stopped accepting
    /// for the connection cap, or it is stopping and waits for the last one).
    wake_on_close: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A worker parks an idle connection (`index`: its entry, if it was parked before). Returns
    /// it again (with its entry) if its next request may be there already: the caller serves it.
    ///
    /// A connection stays registered in the poller, edge-triggered, from its first parking to
    /// its close. Its first registration reports data that is already there; after that, data
    /// that arrived while a worker had the connection produced an event that found the entry
    /// busy and was noted there ([`Table::park_unless_woken`]): no `epoll_ctl` and no read per
    /// parking, only the table's lock.
    fn park(&self, conn: Box<ParkedConn>, index: Option<u32>) -> Option<(Box<ParkedConn>, u32)> {
        let mut table = self.lock();
        let now = Instant::now();
        if let Some(index) = index {
            let again = table.park_unless_woken(index, conn, now, self.keep_alive_timeout);
            return again.map(|conn| (conn, index));
        }
        let index = table.allocate();
        let token = table.token(index);
        if self.watch_ready(&mut table, index, conn.stream(), token) {
            table.park(index, conn, now, self.keep_alive_timeout);
        }
        None
    }

    /// A worker leaves the lingering close to the listener (draining at once what is there).
    fn linger(&self, stream: TcpStream, index: Option<u32>) {
        if stream.set_nonblocking(true).is_err() {
            self.closed(index);
            return;
        }
        let mut table = self.lock();
        let first = index.is_none();
        let index = index.unwrap_or_else(|| table.allocate());
        let token = table.token(index);
        if first && !self.watch_ready(&mut table, index, &stream, token) {
            return;
        }
        table.linger(index, stream, Instant::now());
        if first {
            return;
        }
        if let Some(stream) = table.lingering_stream(index, Instant::now())
            && drained(stream, &mut [0u8; 512])
        {
            drop(table.free(index));
            drop(table);
            self.closed_one();
        }
    }

    /// A worker leaves the rest of a response body to the listener (Apache's write
    /// completion): the socket is watched for writability too until the body is out.
    fn write_later(
        &self,
        conn: Box<ParkedConn>,
        index: Option<u32>,
        pending: PendingWrite,
        close_after: bool,
    ) {
        let fd = conn.stream().as_raw_fd();
        let mut table = self.lock();
        let index = index.unwrap_or_else(|| table.allocate());
        let token = table.token(index);
        table.write_started();
        let due = Instant::now() + self.write_timeout;
        table.write_later(index, conn, pending, close_after, due);
        let mut source = SourceFd(&fd);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self.registry.register(&mut source, token, interest) {
            log::warn!("could not watch a connection in the poller: {e}; closing it");
            drop(table.free(index));
            self.closed_one();
        }
    }

    /// Watches the socket of entry `index` in the workers' poller (again: readiness is
    /// reported anew), under the table lock: an event for it can only be handled once the
    /// caller has put it in the table. Returns false if that failed: the entry is freed and
    /// the caller drops the socket.
    fn watch_ready(&self, table: &mut Table, index: u32, stream: &TcpStream, token: Token) -> bool {
        match self.poller.watch(stream, token) {
            Ok(()) => true,
            Err(e) => {
                log::warn!("could not watch a connection in the poller: {e}; closing it");
                drop(table.free(index));
                self.closed_one();
                false
            }
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
        Ok((poll, waker, registry, Arc::new(WorkerPoller::new()?)))
    });
    let (poll, waker, registry, poller) = match setup {
        Ok(parts) => parts,
        Err(e) => {
            log::error!("could not set up the event poller: {e}");
            child.control.request_stop(true);
            return;
        }
    };
    let shared = Shared {
        table: Mutex::new(Table::default()),
        poller: Arc::clone(&poller),
        seats: Seats::new(epoll_seats()),
        registry,
        waker: Arc::clone(&waker),
        open: AtomicUsize::new(0),
        keep_alive_timeout: child.ctx.site.http().keep_alive_timeout,
        write_timeout: child.ctx.site.http().timeout,
        wake_on_close: AtomicBool::new(false),
    };
    let idle_waker = Arc::clone(&waker);
    let pool: Pool<Task> = Pool::signalled(
        Box::new(move || {
            let _ = idle_waker.wake();
        }),
        Box::new(move || poller.signal()),
    );
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
        let (mut conn, mut index) = match next_work(shared, pool) {
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
        if index.is_none() {
            slot.connection_started(peer.ip(), ctx.vhost.as_bytes());
        } else {
            slot.connection_resumed(peer.ip(), ctx.vhost.as_bytes());
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
                Burst::Write {
                    pending,
                    close_after,
                } => {
                    shared.write_later(conn, index, pending, close_after);
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

/// An idle worker waits in the workers' poller for a connection that became readable (its
/// next request: it is served at once), a connection from the listener, or news; it drains
/// lingering connections that wake it on the way.
fn next_work(shared: &Shared, pool: &Pool<Task>) -> Popped<Task> {
    let epoch = pool.enter_idle();
    loop {
        // What is ready already is taken without sleeping; only then a seat, or the bench.
        let mut ready = shared.poller.wait(Duration::ZERO);
        if ready == Ready::Timeout {
            if !shared.seats.sit(LISTENER_TICK) {
                pool.leave_idle();
                return Popped::Nudged;
            }
            ready = shared.poller.wait(LISTENER_TICK);
            shared.seats.stand();
        }
        let token = match ready {
            Ready::Conn(token) => token,
            Ready::Pool => match pool.take(epoch, || shared.poller.drain()) {
                Some(popped) => return popped,
                None => continue,
            },
            Ready::Timeout => {
                // Look at the state now and then (an idle thread of a stopping child shows
                // `G`), also if a nudge was missed.
                pool.leave_idle();
                return Popped::Nudged;
            }
        };
        let mut table = shared.lock();
        match table.woken(token, false) {
            Woken::Request(conn, index) => {
                drop(table);
                pool.leave_idle();
                return Popped::Task(Task::Resume { conn, index });
            }
            Woken::Linger(index) => {
                if let Some(stream) = table.lingering_stream(index, Instant::now())
                    && drained(stream, &mut [0u8; 512])
                {
                    drop(table.free(index));
                    drop(table);
                    shared.closed_one();
                }
            }
            Woken::Write { .. } | Woken::Nothing => {}
        }
    }
}

/// How many idle workers block in the poller at once: one per CPU.
fn epoll_seats() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
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
