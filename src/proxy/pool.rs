//! Per-child, per-worker backend connection pools (Apache's reslist: `min`, `smax`, `max`,
//! `ttl`, `acquire`).
//!
//! [`PoolState`] is the bookkeeping, generic over the connection type and driven with
//! explicit times (unit-tested with a fake clock): `max` slots, of which some hold an idle
//! connection. [`Pool`] wraps it in a Mutex + Condvar for threaded children; no lock is held
//! during I/O (a lease is taken, the connection used, then given back). In prefork `max` is 1
//! and nothing ever waits.
//!
//! `min` is only a memory preallocation in Apache (no connection is opened for it), so there is
//! nothing to do for it here. `smax` bounds the entries Apache's reslist maintenance closes
//! once idle past `ttl`; since an idle connection older than `ttl` is never reused anyway
//! (`apr_reslist_acquire` destroys it), every such connection is closed here when found, which
//! makes `smax` without effect beyond its clamp to `max`.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Pool limits, resolved from the worker parameters and the MPM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Connections (idle + in use) at most.
    pub max: u32,
    /// Idle connections above this many are closed once idle longer than `ttl`.
    pub smax: u32,
    /// Idle connections older than this are not reused (`None`: no limit).
    pub ttl: Option<Duration>,
}

/// An idle connection and when it was put back.
#[derive(Debug)]
struct Idle<C> {
    conn: C,
    since: Instant,
}

/// The bookkeeping of one pool.
#[derive(Debug)]
pub struct PoolState<C> {
    limits: PoolLimits,
    /// Slots handed out.
    in_use: u32,
    /// Idle connections, most recently used last.
    idle: Vec<Idle<C>>,
}

/// The result of trying to take a slot.
#[derive(Debug, PartialEq, Eq)]
pub enum Take<C> {
    /// A slot, with an idle connection if there was a fresh enough one.
    Slot(Option<C>),
    /// Every slot is in use.
    Full,
}

impl<C> PoolState<C> {
    pub fn new(limits: PoolLimits) -> PoolState<C> {
        PoolState {
            limits,
            in_use: 0,
            idle: Vec::new(),
        }
    }

    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    pub fn idle_count(&self) -> usize {
        self.idle.len()
    }

    /// Takes a slot and the most recently used idle connection within `ttl`. Expired idle
    /// connections are returned in `expired` (for the caller to close outside the lock).
    pub fn take(&mut self, now: Instant, expired: &mut Vec<C>) -> Take<C> {
        self.expire(now, expired);
        if self.in_use >= self.limits.max {
            return Take::Full;
        }
        self.in_use += 1;
        Take::Slot(self.idle.pop().map(|i| i.conn))
    }

    /// Returns a slot, with its connection if it may be reused.
    pub fn give_back(&mut self, conn: Option<C>, now: Instant, expired: &mut Vec<C>) {
        self.in_use = self.in_use.saturating_sub(1);
        if let Some(conn) = conn {
            self.idle.push(Idle { conn, since: now });
        }
        self.expire(now, expired);
    }

    /// Idle connections older than `ttl` are closed (Apache never reuses them), as are any
    /// beyond the free slots.
    fn expire(&mut self, now: Instant, expired: &mut Vec<C>) {
        if let Some(ttl) = self.limits.ttl {
            // Oldest first.
            while self
                .idle
                .first()
                .is_some_and(|i| now.saturating_duration_since(i.since) > ttl)
            {
                expired.push(self.idle.remove(0).conn);
            }
        }
        let room = self.limits.max.saturating_sub(self.in_use) as usize;
        while self.idle.len() > room {
            expired.push(self.idle.remove(0).conn);
        }
    }
}

/// A pool shared by a child's threads.
#[derive(Debug)]
pub struct Pool<C> {
    state: Mutex<PoolState<C>>,
    freed: Condvar,
    /// `acquire`: how long to wait for a slot (`None`: until one is released).
    acquire: Option<Duration>,
}

impl<C> Pool<C> {
    pub fn new(limits: PoolLimits, acquire: Option<Duration>) -> Pool<C> {
        Pool {
            state: Mutex::new(PoolState::new(limits)),
            freed: Condvar::new(),
            acquire,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState<C>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits (up to `acquire`) for a slot: `Some(idle connection or None)`, or `None` when none
    /// came in time (503). Expired connections are dropped (closed) outside the lock.
    pub fn acquire(&self) -> Option<Option<C>> {
        let mut expired = Vec::new();
        let deadline = self.acquire.map(|a| Instant::now() + a);
        let mut state = self.lock();
        let got = loop {
            match state.take(Instant::now(), &mut expired) {
                Take::Slot(c) => break Some(c),
                Take::Full => {}
            }
            match deadline {
                None => state = self.freed.wait(state).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break None;
                    }
                    state = self
                        .freed
                        .wait_timeout(state, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
        };
        drop(state);
        drop(expired);
        got
    }

    /// Gives a slot back (with its connection when reusable) and wakes one waiter.
    pub fn release(&self, conn: Option<C>) {
        let mut expired = Vec::new();
        self.lock().give_back(conn, Instant::now(), &mut expired);
        self.freed.notify_one();
        drop(expired);
    }

    /// Slots in use and idle connections (for tests and status).
    pub fn counts(&self) -> (u32, usize) {
        let s = self.lock();
        (s.in_use(), s.idle_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: u32, ttl: Option<u64>) -> PoolLimits {
        PoolLimits {
            max,
            smax: max,
            ttl: ttl.map(Duration::from_secs),
        }
    }

    #[test]
    fn slots_and_reuse() {
        let t0 = Instant::now();
        let mut p: PoolState<u32> = PoolState::new(limits(2, None));
        let mut gone = Vec::new();
        assert_eq!(p.take(t0, &mut gone), Take::Slot(None));
        assert_eq!(p.take(t0, &mut gone), Take::Slot(None));
        assert_eq!(p.take(t0, &mut gone), Take::Full);
        p.give_back(Some(7), t0, &mut gone);
        p.give_back(None, t0, &mut gone);
        assert_eq!((p.in_use(), p.idle_count()), (0, 1));
        assert_eq!(p.take(t0, &mut gone), Take::Slot(Some(7)));
        assert_eq!(p.take(t0, &mut gone), Take::Slot(None));
        p.give_back(Some(1), t0, &mut gone);
        p.give_back(Some(2), t0, &mut gone);
        // Most recently used first.
        assert_eq!(p.take(t0, &mut gone), Take::Slot(Some(2)));
        assert!(gone.is_empty());
    }

    #[test]
    fn ttl_expires_idle_connections() {
        let t0 = Instant::now();
        let mut p: PoolState<u32> = PoolState::new(limits(3, Some(10)));
        let mut gone = Vec::new();
        for _ in 0..2 {
            assert_eq!(p.take(t0, &mut gone), Take::Slot(None));
        }
        p.give_back(Some(1), t0, &mut gone);
        p.give_back(Some(2), t0 + Duration::from_secs(5), &mut gone);
        // At 12 s the first is 12 s old (gone), the second 7 s (kept).
        assert_eq!(
            p.take(t0 + Duration::from_secs(12), &mut gone),
            Take::Slot(Some(2))
        );
        assert_eq!(gone, vec![1]);
        p.give_back(None, t0 + Duration::from_secs(12), &mut gone);
        assert_eq!(p.idle_count(), 0);
    }

    #[test]
    fn pool_waits_then_gives_up() {
        let pool: Pool<u32> = Pool::new(limits(1, None), Some(Duration::from_millis(20)));
        assert_eq!(pool.acquire(), Some(None));
        assert_eq!(pool.acquire(), None);
        pool.release(Some(3));
        assert_eq!(pool.acquire(), Some(Some(3)));
        pool.release(None);
        assert_eq!(pool.counts(), (0, 0));
    }

    #[test]
    fn release_wakes_a_waiter() {
        let pool: Pool<u32> = Pool::new(limits(1, None), None);
        assert_eq!(pool.acquire(), Some(None));
        std::thread::scope(|s| {
            let waiter = s.spawn(|| pool.acquire());
            pool.release(Some(9));
            assert_eq!(waiter.join().unwrap(), Some(Some(9)));
        });
    }
}
