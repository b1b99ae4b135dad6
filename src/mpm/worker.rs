//! The worker MPM's child: one listener thread, `threads_per_child` worker threads, each
//! serving one whole connection (keep-alive included) at a time.
//!
//! The listener waits for an idle worker *before* it accepts (Apache's
//! `ap_queue_info_wait_for_idler`), so a child whose threads are all busy leaves new
//! connections in the kernel's backlog for its siblings. With one listening socket it blocks
//! in accept(2) (the kernel wakes one waiter, no thundering herd); SIGUSR2 from the main
//! thread interrupts it when the child stops.
//!
//! `max_connections_per_child` is counted as Apache's worker does: completed connections,
//! checked by the listener before it waits for the next idle worker, so up to
//! `threads_per_child` connections more may already be in hand.

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::Ordering;

use nix::sys::pthread::pthread_self;

use super::pool::{Pool, StopOnDrop};
use super::prefork::{accept, is_transient};
use super::slot_observer::SlotObserver;
use super::threaded::{ListenerWake, ThreadedChild, listener_takes_usr2};
use crate::http::serve_connection;
use crate::scoreboard::WorkerStatus;

/// An accepted connection on its way to a worker.
struct Accepted {
    stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
}

/// Runs the child's threads until it stops (called on the main thread).
pub fn run(child: &ThreadedChild<'_>) {
    let pool: Pool<Accepted> = Pool::new(None);
    let worker = |thread: usize| worker_thread(child, &pool, thread);
    std::thread::scope(|scope| {
        child.start_workers(scope, &worker);
        child.start_listener(scope, || listener(child, &pool));
        child.watch();
    });
}

fn listener(child: &ThreadedChild<'_>, pool: &Pool<Accepted>) {
    // Connections already handed over are still served; then the workers leave.
    let _stop_workers = StopOnDrop(pool);
    listener_takes_usr2();
    child
        .control
        .set_listener(Some(ListenerWake::Signal(pthread_self())));
    let max = child.ctx.max_connections;
    loop {
        if child.stopping() || !pool.wait_for_idle_worker() {
            break;
        }
        if max != 0 && child.control.connections.load(Ordering::Acquire) >= max {
            log::debug!("stopping: max_connections_per_child ({max}) reached");
            child.control.request_stop(false);
            break;
        }
        match accept(child.ctx.listeners) {
            Ok((stream, peer, local)) => pool.push(Accepted {
                stream,
                peer,
                local,
            }),
            Err(e) if is_transient(&e) => {}
            Err(e) => {
                log::error!("accept failed: {e}; this child exits and the master replaces it");
                child.control.request_stop(true);
                break;
            }
        }
    }
    child.control.set_listener(None);
}

fn worker_thread(child: &ThreadedChild<'_>, pool: &Pool<Accepted>, thread: usize) {
    let ctx = child.ctx;
    let slot = ctx
        .board
        .worker_slot(ctx.slot, thread)
        .with_extended_status(ctx.extended_status);
    let clock_tick = crate::sys::cpu::clock_tick();
    loop {
        slot.set_status(WorkerStatus::Ready);
        let Some(conn) = pool.pop() else { break };
        slot.set_status(WorkerStatus::BusyRead);
        slot.connection_started(conn.peer.ip(), ctx.vhost.as_bytes());
        let mut observer = SlotObserver {
            slot: &slot,
            board: ctx.board,
            clock_tick,
            extended_status: ctx.extended_status,
            stopping: &|| child.stopping(),
        };
        let end = serve_connection(ctx.site, conn.stream, conn.peer, conn.local, &mut observer);
        log::trace!("connection from {} ended: {end:?}", conn.peer);
        child.control.connections.fetch_add(1, Ordering::AcqRel);
    }
    // The last write to this record: a child forked onto the slot may now claim it.
    slot.set_status(WorkerStatus::Dead);
}
