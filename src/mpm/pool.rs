//! The hand-off between a threaded child's listener and its worker threads (Apache's fd queue
//! plus `queue_info`): a FIFO of work and a count of workers waiting for it.
//!
//! The listener accepts only while a worker is idle ([`Pool::has_idle_worker`]), so a
//! connection never waits in this queue behind busy threads while another child could take
//! it: it stays in the kernel's backlog instead. The event MPM also queues connections that
//! woke up in its poller; those may wait here for a worker (they belong to this process).
//!
//! Nothing here does I/O; the wake-up of a listener that waits in a poller is a callback, and
//! so is the event MPM's "there is work" ([`Pool::signalled`]): its workers wait in a poller
//! of connections, not on this pool's condvar.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};

struct State<T> {
    tasks: VecDeque<T>,
    /// Bumped by [`Pool::nudge`]: waiting workers return to look at their state.
    epoch: u64,
    /// Workers inside [`Pool::pop`].
    idle: usize,
    /// No new work: workers leave once the queue is empty.
    stopping: bool,
    /// The listener waits for a worker to become idle (condvar or callback).
    listener_waits: bool,
}

/// What a waiting worker got.
pub enum Popped<T> {
    Task(T),
    /// [`Pool::nudge`] was called.
    Nudged,
    /// The pool stopped and no work is left.
    Stop,
}

/// A work queue shared by one listener and the worker threads of a child.
pub struct Pool<T> {
    state: Mutex<State<T>>,
    /// Workers wait here for work.
    work: Condvar,
    /// The (worker MPM's) listener waits here for an idle worker.
    idler: Condvar,
    /// Called (outside the lock) when a worker becomes idle while the listener waits for one:
    /// the event MPM wakes its poller with it.
    on_idle: Option<Box<dyn Fn() + Send + Sync>>,
    /// Called (under the lock) when work is queued, and on a nudge or a stop, instead of
    /// waking the condvar: the event MPM's workers wait in a poller, not here.
    on_work: Option<Box<dyn Fn() + Send + Sync>>,
}

impl<T> Pool<T> {
    pub fn new(on_idle: Option<Box<dyn Fn() + Send + Sync>>) -> Pool<T> {
        Pool {
            state: Mutex::new(State {
                tasks: VecDeque::new(),
                epoch: 0,
                idle: 0,
                stopping: false,
                listener_waits: false,
            }),
            work: Condvar::new(),
            idler: Condvar::new(),
            on_idle,
            on_work: None,
        }
    }

    /// A pool whose workers wait elsewhere (the event MPM's poller): `on_work` tells them
    /// there is work or news ([`Pool::enter_idle`], [`Pool::take`]).
    pub fn signalled(
        on_idle: Box<dyn Fn() + Send + Sync>,
        on_work: Box<dyn Fn() + Send + Sync>,
    ) -> Pool<T> {
        let mut pool = Pool::new(Some(on_idle));
        pool.on_work = Some(on_work);
        pool
    }

    fn wake_workers(&self, count: usize) {
        match &self.on_work {
            Some(on_work) => on_work(),
            None => (0..count).for_each(|_| self.work.notify_one()),
        }
    }

    /// Worker of a signalled pool: it starts waiting (in its poller); counts as idle until
    /// [`Pool::take`] gives it something or [`Pool::leave_idle`]. Returns the nudge epoch to
    /// hand back to `take`.
    pub fn enter_idle(&self) -> u64 {
        let mut s = self.lock();
        s.idle += 1;
        if std::mem::take(&mut s.listener_waits) {
            self.idler.notify_one();
            if let Some(on_idle) = &self.on_idle {
                drop(s);
                on_idle();
                return self.lock().epoch;
            }
        }
        s.epoch
    }

    /// Worker of a signalled pool, told that there is work or news: the next piece of work,
    /// the stop, or a nudge since `epoch` (each ends its idleness); `None` when there is
    /// nothing (it stays idle, and `drain` is called under the lock to clear the signal).
    pub fn take(&self, epoch: u64, drain: impl FnOnce()) -> Option<Popped<T>> {
        let mut s = self.lock();
        let popped = if let Some(task) = s.tasks.pop_front() {
            Popped::Task(task)
        } else if s.stopping {
            Popped::Stop
        } else if s.epoch != epoch {
            Popped::Nudged
        } else {
            drain();
            return None;
        };
        s.idle -= 1;
        Some(popped)
    }

    /// Worker of a signalled pool: it found work elsewhere and is not idle any more.
    pub fn leave_idle(&self) {
        self.lock().idle -= 1;
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A worker that panicked must not take the whole child down with a poisoned lock.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Worker: waits for work; `None` once the pool is stopping and the queue is empty.
    pub fn pop(&self) -> Option<T> {
        loop {
            match self.pop_or_nudged() {
                Popped::Task(task) => return Some(task),
                Popped::Stop => return None,
                Popped::Nudged => {}
            }
        }
    }

    /// Worker: like [`Pool::pop`], but also returns when [`Pool::nudge`] is called (so an idle
    /// worker can update its scoreboard status).
    pub fn pop_or_nudged(&self) -> Popped<T> {
        let mut s = self.lock();
        let epoch = s.epoch;
        s.idle += 1;
        if std::mem::take(&mut s.listener_waits) {
            self.idler.notify_one();
            if let Some(on_idle) = &self.on_idle {
                drop(s);
                on_idle();
                s = self.lock();
            }
        }
        let result = loop {
            if let Some(task) = s.tasks.pop_front() {
                break Popped::Task(task);
            }
            if s.stopping {
                break Popped::Stop;
            }
            if s.epoch != epoch {
                break Popped::Nudged;
            }
            s = self.work.wait(s).unwrap_or_else(|p| p.into_inner());
        };
        s.idle -= 1;
        result
    }

    /// Queues work for the next idle worker.
    pub fn push(&self, task: T) {
        let mut s = self.lock();
        s.tasks.push_back(task);
        if s.idle > 0 || self.on_work.is_some() {
            self.wake_workers(1);
        }
    }

    /// Queues several pieces of work at once (one lock, one wake-up per piece a waiting worker
    /// can take).
    pub fn push_all(&self, tasks: Vec<T>) {
        if tasks.is_empty() {
            return;
        }
        let mut s = self.lock();
        let wake = tasks.len().min(s.idle);
        s.tasks.extend(tasks);
        self.wake_workers(wake);
    }

    /// Idle workers not already spoken for by queued work.
    pub fn idle_workers(&self) -> usize {
        let s = self.lock();
        s.idle.saturating_sub(s.tasks.len())
    }

    /// Event listener: like [`Pool::idle_workers`] minus `reserved` (work about to be queued),
    /// and if none is left, asks to be called back (`on_idle`) when a worker becomes idle.
    pub fn idle_workers_or_notify(&self, reserved: usize) -> usize {
        let mut s = self.lock();
        let idle = s.idle.saturating_sub(s.tasks.len() + reserved);
        if idle == 0 {
            s.listener_waits = true;
        }
        idle
    }

    /// Worker listener: blocks until a worker is idle (true) or the pool stops (false).
    pub fn wait_for_idle_worker(&self) -> bool {
        let mut s = self.lock();
        loop {
            if s.stopping {
                return false;
            }
            if s.idle > s.tasks.len() {
                return true;
            }
            s.listener_waits = true;
            s = self.idler.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Wakes every waiting worker once ([`Popped::Nudged`]).
    pub fn nudge(&self) {
        let mut s = self.lock();
        s.epoch += 1;
        self.work.notify_all();
        if let Some(on_work) = &self.on_work {
            on_work();
        }
    }

    /// Graceful stop: queued work is still done, then every worker leaves.
    pub fn stop(&self) {
        let mut s = self.lock();
        s.stopping = true;
        self.work.notify_all();
        self.idler.notify_all();
        if let Some(on_work) = &self.on_work {
            on_work();
        }
    }
}

/// Stops the pool when dropped: the listener holds one, so the workers leave even if the
/// listener ends by a panic.
pub struct StopOnDrop<'a, T>(pub &'a Pool<T>);

impl<T> Drop for StopOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn workers_take_work_in_order_and_leave_after_stop() {
        let pool: Pool<u32> = Pool::new(None);
        assert_eq!(pool.idle_workers(), 0);
        let done = std::thread::scope(|s| {
            let worker = s.spawn(|| {
                let mut got = Vec::new();
                while let Some(n) = pool.pop() {
                    got.push(n);
                }
                got
            });
            assert!(pool.wait_for_idle_worker());
            for n in 1..=3 {
                pool.push(n);
            }
            pool.stop();
            worker.join().unwrap()
        });
        assert_eq!(done, [1, 2, 3], "queued work is done before leaving");
        assert!(!pool.wait_for_idle_worker());
    }

    #[test]
    fn a_batch_is_taken_in_order_and_a_nudge_wakes_an_idle_worker() {
        let pool: Pool<u32> = Pool::new(None);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            let worker = s.spawn(|| {
                let mut got = Vec::new();
                loop {
                    match pool.pop_or_nudged() {
                        Popped::Task(n) => got.push(n),
                        Popped::Nudged => tx.send(()).unwrap(),
                        Popped::Stop => return got,
                    }
                }
            });
            pool.push_all(vec![1, 2, 3]);
            while pool.idle_workers() == 0 {
                std::thread::yield_now();
            }
            pool.nudge();
            rx.recv_timeout(std::time::Duration::from_secs(10))
                .expect("the idle worker was not nudged");
            pool.stop();
            assert_eq!(worker.join().unwrap(), [1, 2, 3]);
        });
    }

    #[test]
    fn a_signalled_pool_signals_work_and_counts_workers_idle_until_they_take_some() {
        let signals = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&signals);
        let pool: Pool<u32> = Pool::signalled(
            Box::new(|| {}),
            Box::new(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            }),
        );
        let epoch = pool.enter_idle();
        assert_eq!(pool.idle_workers(), 1);
        let mut drained = 0;
        assert!(pool.take(epoch, || drained += 1).is_none(), "nothing yet");
        assert_eq!((drained, pool.idle_workers()), (1, 1), "still idle");
        pool.push(5);
        assert_eq!(signals.load(Ordering::SeqCst), 1);
        assert!(matches!(
            pool.take(epoch, || drained += 1),
            Some(Popped::Task(5))
        ));
        assert_eq!((drained, pool.idle_workers()), (1, 0), "busy now");
        // A nudge ends an idle wait once; a worker that found work elsewhere leaves too.
        let epoch = pool.enter_idle();
        pool.nudge();
        assert!(matches!(pool.take(epoch, || {}), Some(Popped::Nudged)));
        let epoch = pool.enter_idle();
        assert!(pool.take(epoch, || {}).is_none());
        pool.leave_idle();
        assert_eq!(pool.idle_workers(), 0);
        pool.stop();
        let epoch = pool.enter_idle();
        assert!(matches!(pool.take(epoch, || {}), Some(Popped::Stop)));
        assert_eq!(signals.load(Ordering::SeqCst), 3, "push, nudge, stop");
    }

    #[test]
    fn the_event_listener_is_called_back_when_a_worker_becomes_idle() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let pool: Pool<u32> = Pool::new(Some(Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })));
        assert_eq!(pool.idle_workers_or_notify(0), 0);
        std::thread::scope(|s| {
            s.spawn(|| while pool.pop().is_some() {});
            while calls.load(Ordering::SeqCst) == 0 {
                std::thread::yield_now();
            }
            assert_eq!(pool.idle_workers(), 1);
            assert_eq!(pool.idle_workers_or_notify(0), 1, "no call asked for");
            // The one idle worker is about to get a connection: none is left, so the
            // listener asks to be told when the worker is back.
            assert_eq!(pool.idle_workers_or_notify(1), 0);
            pool.push(7);
            while calls.load(Ordering::SeqCst) == 1 {
                std::thread::yield_now();
            }
            pool.push(8);
            pool.stop();
        });
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "one call per request to be told"
        );
    }
}
