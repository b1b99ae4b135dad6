//! The event MPM's worker poller: one epoll instance that every idle worker of the child
//! waits in, holding the connections that wait for their client (parked between keep-alive
//! requests, or lingering after the last response), plus an eventfd that says "the pool has
//! work for you" (a connection just accepted) or "look at your state" (stopping).
//!
//! A connection is registered once, edge-triggered, when it is first parked or lingers, and
//! stays until it is closed. Several workers blocked in `epoll_wait` on one instance are woken
//! one per event (the kernel queues them as exclusive waiters), so a client's next request
//! wakes one idle worker, which serves it at once: no other thread in between.
//!
//! The eventfd is level-triggered: it stays readable while the pool has work (or is
//! stopping), so every worker that waits sees it; only the pool drains it, under its lock,
//! when its queue is empty.
//!
//! [`Seats`] caps how many idle workers block in `epoll_wait` at once (about one per CPU);
//! the others wait on a condvar "bench". The kernel wakes a sleeping waiter for every event,
//! even when a busy worker would take it microseconds later; with fewer sleepers, a worker
//! that finishes a request finds the next event ready more often and takes it without
//! sleeping (it always looks, without blocking, before taking a seat). So that no ready
//! connection waits behind a busy worker while others idle, the last sleeper to leave
//! `epoll_wait` promotes a benched worker (hands it its seat): whenever a worker is benched,
//! one is in (or on its way into) `epoll_wait`.

use std::io;
use std::os::fd::AsFd;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use mio::Token;
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};

/// The eventfd's data in the epoll set (connection tokens stay below `1 << 63`).
const WAKE: u64 = u64::MAX;

/// What a worker's wait returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Ready {
    /// The pool's eventfd: take work, or look at the state.
    Pool,
    /// A connection (its table token) can be read: its next request, or its end.
    Conn(Token),
    /// Nothing within the timeout (or a signal interrupted the wait).
    Timeout,
}

/// One epoll set for the idle workers, and the pool's eventfd in it.
pub struct WorkerPoller {
    epoll: Epoll,
    wake: EventFd,
}

impl WorkerPoller {
    pub fn new() -> io::Result<WorkerPoller> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        let wake = EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?;
        epoll.add(&wake, EpollEvent::new(EpollFlags::EPOLLIN, WAKE))?;
        Ok(WorkerPoller { epoll, wake })
    }

    /// Watches a connection for readability, edge-triggered, under `token`. A connection
    /// watched already is armed again, which reports data that is there now.
    pub fn watch<F: AsFd>(&self, fd: F, token: Token) -> io::Result<()> {
        let flags = EpollFlags::EPOLLIN | EpollFlags::EPOLLRDHUP | EpollFlags::EPOLLET;
        let event = EpollEvent::new(flags, token.0 as u64);
        match self.epoll.add(&fd, event) {
            Err(Errno::EEXIST) => Ok(self.epoll.modify(&fd, &mut { event })?),
            result => Ok(result?),
        }
    }

    /// Blocks until one thing is ready, or `timeout`.
    pub fn wait(&self, timeout: Duration) -> Ready {
        let mut events = [EpollEvent::empty()];
        let timeout = EpollTimeout::try_from(timeout).unwrap_or(EpollTimeout::MAX);
        match self.epoll.wait(&mut events, timeout) {
            Ok(1) if events[0].data() == WAKE => Ready::Pool,
            Ok(1) => Ready::Conn(Token(events[0].data() as usize)),
            _ => Ready::Timeout,
        }
    }

    /// Makes the eventfd readable (every waiting worker will see it until [`Self::drain`]).
    pub fn signal(&self) {
        let _ = self.wake.write(1);
    }

    /// Makes the eventfd unreadable again.
    pub fn drain(&self) {
        let _ = self.wake.read();
    }
}

/// Who may block in the poller: at most `cap` workers, the rest on the bench.
pub struct Seats {
    state: Mutex<SeatState>,
    bench: Condvar,
    cap: usize,
}

#[derive(Default)]
struct SeatState {
    /// Workers holding a seat (blocked in `epoll_wait`, or promoted and on their way).
    seated: usize,
    /// Workers on the bench.
    benched: usize,
    /// Seats handed to benched workers and not yet picked up.
    handed: usize,
}

impl Seats {
    pub fn new(cap: usize) -> Seats {
        Seats {
            state: Mutex::new(SeatState::default()),
            bench: Condvar::new(),
            cap: cap.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SeatState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a seat (true), waiting on the bench while all are taken; false if no seat came
    /// within `timeout` (the caller looks at its state and comes back).
    pub fn sit(&self, timeout: Duration) -> bool {
        let mut s = self.lock();
        if s.seated < self.cap {
            s.seated += 1;
            return true;
        }
        s.benched += 1;
        let (mut s, _) = self
            .bench
            .wait_timeout_while(s, timeout, |s| s.handed == 0)
            .unwrap_or_else(|p| p.into_inner());
        s.benched -= 1;
        if s.handed > 0 {
            s.handed -= 1;
            return true;
        }
        false
    }

    /// Gives the seat back after `epoll_wait` returned; the last sleeper to leave hands its
    /// seat to a benched worker.
    pub fn stand(&self) {
        let mut s = self.lock();
        if s.seated == 1 && s.benched > s.handed {
            s.handed += 1;
            self.bench.notify_one();
        } else {
            s.seated -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    const NOW: Duration = Duration::ZERO;

    #[test]
    fn a_readable_connection_and_the_signal_are_reported_then_cleared() {
        let poller = WorkerPoller::new().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let token = Token(7 << 32 | 3);
        poller.watch(&server, token).unwrap();
        assert_eq!(poller.wait(NOW), Ready::Timeout, "nothing sent yet");
        client.write_all(b"GET").unwrap();
        let deadline = Duration::from_secs(10);
        assert_eq!(poller.wait(deadline), Ready::Conn(token));
        assert_eq!(
            poller.wait(NOW),
            Ready::Timeout,
            "edge-triggered: reported once"
        );
        // Watching it again (as after a pending write) reports the unread data anew.
        poller.watch(&server, token).unwrap();
        assert_eq!(poller.wait(NOW), Ready::Conn(token));
        // The signal stays until drained, for every waiter.
        poller.signal();
        assert_eq!(poller.wait(NOW), Ready::Pool);
        assert_eq!(poller.wait(NOW), Ready::Pool, "level-triggered");
        poller.drain();
        assert_eq!(poller.wait(NOW), Ready::Timeout);
    }

    #[test]
    fn seats_are_capped_and_the_last_sleeper_hands_its_seat_to_the_bench() {
        let seats = Seats::new(1);
        assert!(seats.sit(NOW), "one seat");
        assert!(!seats.sit(NOW), "the second waits on the bench, in vain");
        std::thread::scope(|s| {
            let benched = s.spawn(|| seats.sit(Duration::from_secs(60)));
            while seats.lock().benched == 0 {
                std::thread::yield_now();
            }
            // The last sleeper leaves: the benched worker gets its seat.
            seats.stand();
            assert!(benched.join().unwrap(), "promoted");
        });
        let s = seats.lock();
        assert_eq!((s.seated, s.benched, s.handed), (1, 0, 0));
    }
}
