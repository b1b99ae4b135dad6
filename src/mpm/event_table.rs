//! The event MPM's table of connections that no thread holds: parked between keep-alive
//! requests, or lingering after our last response. Plus their timeout queues.
//!
//! Each entry is known to the poller by a token made of its index and a generation, so an
//! event that was already on its way when the entry was freed and reused is recognised as
//! stale. An entry is `Busy` while a worker serves its connection; only the worker touches
//! the connection then. An event for a busy entry is only noted (`woken`): the worker that
//! parks the connection again serves it once more instead ([`Table::park_unless_woken`]), so
//! data that came while it was busy is never left waiting for an event that already went by.
//!
//! Timeouts use Apache's queues: intrusive lists threaded through the entries, in expiry
//! order. Every parked connection has the same timeout (`keep_alive_timeout`), so appending at
//! park time keeps the list sorted; a lingering connection gets 2 s per read and 30 s at most,
//! and moves to the tail when data arrives. A woken connection leaves its list at once, so the
//! queues never hold more than the connections that are really waiting.
//! No I/O here but dropping (closing) what expires; time comes in as an argument.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use mio::Token;

use crate::http::ParkedConn;
use crate::http::io::PendingWrite;

/// Apache's `SECONDS_TO_LINGER`: the wait for each read of a lingering close.
pub const LINGER_READ: Duration = Duration::from_secs(2);
/// Apache's `MAX_SECS_TO_LINGER`.
pub const LINGER_MAX: Duration = Duration::from_secs(30);

/// Tokens at and above this are the listener's own (waker, listening sockets). Connection
/// tokens stay below: generations have 31 bits.
pub const RESERVED_TOKENS: usize = 1 << 63;
const GENERATION_MASK: u32 = 0x7fff_ffff;
/// "No entry" in the lists' links.
const NIL: u32 = u32::MAX;

enum State {
    Free,
    /// A worker serves the connection; `woken`: the poller reported it meanwhile.
    Busy {
        woken: bool,
    },
    Parked {
        conn: Box<ParkedConn>,
        due: Instant,
    },
    Lingering {
        stream: TcpStream,
        due: Instant,
        started: Instant,
    },
    /// The poller finishes the last response's body, then parks or lingers the connection.
    Writing {
        conn: Box<ParkedConn>,
        pending: PendingWrite,
        close_after: bool,
        due: Instant,
    },
}

/// The timeout queues: one per waiting state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    Parked,
    Linger,
    Writing,
}

struct Entry {
    generation: u32,
    state: State,
    /// Neighbours in the parked, lingering or writing list (whichever the state says).
    prev: u32,
    next: u32,
}

/// A doubly linked list of entries, oldest first.
#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
    len: usize,
}

impl Default for List {
    fn default() -> Self {
        List {
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

/// What became of a ready token.
pub enum Woken {
    /// A parked connection has something to read: hand it to a worker.
    Request(Box<ParkedConn>, u32),
    /// A lingering connection can be read (drained) by the thread the event woke.
    Linger(u32),
    /// A connection whose body is pending can be written: the listener continues it (the
    /// entry is busy until it is given back).
    Write {
        conn: Box<ParkedConn>,
        pending: PendingWrite,
        close_after: bool,
        index: u32,
    },
    /// Stale or busy: nothing to do.
    Nothing,
}

/// The connections no thread holds, by index.
#[derive(Default)]
pub struct Table {
    entries: Vec<Entry>,
    free: Vec<u32>,
    parked_list: List,
    linger_list: List,
    writing_list: List,
    /// Connections parked now.
    pub parked: usize,
    /// Connections lingering now.
    pub lingering: usize,
    /// Connections whose last body the listener is writing (waiting for, or in its hands).
    pub writing: usize,
}

fn token(index: u32, generation: u32) -> Token {
    Token((generation as usize) << 32 | index as usize)
}

fn split(t: Token) -> (u32, u32) {
    ((t.0 & 0xffff_ffff) as u32, (t.0 >> 32) as u32)
}

impl Table {
    fn list(&mut self, q: Queue) -> &mut List {
        match q {
            Queue::Parked => &mut self.parked_list,
            Queue::Linger => &mut self.linger_list,
            Queue::Writing => &mut self.writing_list,
        }
    }

    fn push_back(&mut self, parked: Queue, index: u32) {
        let tail = self.list(parked).tail;
        {
            let e = &mut self.entries[index as usize];
            e.prev = tail;
            e.next = NIL;
        }
        if tail == NIL {
            self.list(parked).head = index;
        } else {
            self.entries[tail as usize].next = index;
        }
        let list = self.list(parked);
        list.tail = index;
        list.len += 1;
    }

    fn unlink(&mut self, parked: Queue, index: u32) {
        let (prev, next) = {
            let e = &self.entries[index as usize];
            (e.prev, e.next)
        };
        if prev == NIL {
            self.list(parked).head = next;
        } else {
            self.entries[prev as usize].next = next;
        }
        if next == NIL {
            self.list(parked).tail = prev;
        } else {
            self.entries[next as usize].prev = prev;
        }
        self.list(parked).len -= 1;
        self.parked = self.parked_list.len;
        self.lingering = self.linger_list.len;
    }

    /// A worker (or the listener, after a partial write) leaves the rest of the last body of
    /// (busy) entry `index` to the listener, until `due` without progress. The worker's
    /// hand-over is counted by [`Table::write_started`].
    pub fn write_later(
        &mut self,
        index: u32,
        conn: Box<ParkedConn>,
        pending: PendingWrite,
        close_after: bool,
        due: Instant,
    ) {
        self.entries[index as usize].state = State::Writing {
            conn,
            pending,
            close_after,
            due,
        };
        self.push_back(Queue::Writing, index);
    }

    /// Counts a connection that starts its write completion (kept until it parks, lingers
    /// or closes: [`Table::write_done`]).
    pub fn write_started(&mut self) {
        self.writing += 1;
    }

    /// The listener finished (or gave up) a pending write it held.
    pub fn write_done(&mut self) {
        self.writing -= 1;
    }

    /// An entry for a connection seen for the first time (marked busy).
    pub fn allocate(&mut self) -> u32 {
        if let Some(index) = self.free.pop() {
            self.entries[index as usize].state = State::Busy { woken: false };
            return index;
        }
        self.entries.push(Entry {
            generation: 0,
            state: State::Busy { woken: false },
            prev: NIL,
            next: NIL,
        });
        (self.entries.len() - 1) as u32
    }

    /// The poller token of `index`.
    pub fn token(&self, index: u32) -> Token {
        token(index, self.entries[index as usize].generation)
    }

    /// A worker parks the connection of (busy) entry `index` until `now + timeout`.
    pub fn park(&mut self, index: u32, conn: Box<ParkedConn>, now: Instant, timeout: Duration) {
        self.entries[index as usize].state = State::Parked {
            conn,
            due: now + timeout,
        };
        self.push_back(Queue::Parked, index);
        self.parked = self.parked_list.len;
    }

    /// A worker leaves the lingering close of (busy) entry `index` to the listener.
    pub fn linger(&mut self, index: u32, stream: TcpStream, now: Instant) {
        self.entries[index as usize].state = State::Lingering {
            stream,
            due: now + LINGER_READ,
            started: now,
        };
        self.push_back(Queue::Linger, index);
        self.lingering = self.linger_list.len;
    }

    /// Frees entry `index` (its connection was dropped, or is dropped with the returned value).
    pub fn free(&mut self, index: u32) -> Option<TcpStream> {
        let old = std::mem::replace(&mut self.entries[index as usize].state, State::Free);
        let stream = match old {
            State::Parked { conn, .. } => {
                self.unlink(Queue::Parked, index);
                Some(conn.into_stream())
            }
            State::Lingering { stream, .. } => {
                self.unlink(Queue::Linger, index);
                Some(stream)
            }
            State::Writing { conn, .. } => {
                self.unlink(Queue::Writing, index);
                self.writing -= 1;
                Some(conn.into_stream())
            }
            State::Free | State::Busy { .. } => None,
        };
        let entry = &mut self.entries[index as usize];
        entry.generation = entry.generation.wrapping_add(1) & GENERATION_MASK;
        self.free.push(index);
        stream
    }

    /// The poller says `t` is ready (`writable`: for writing, or failed). A busy entry notes
    /// it for [`Table::park_unless_woken`].
    pub fn woken(&mut self, t: Token, writable: bool) -> Woken {
        let (index, generation) = split(t);
        let Some(entry) = self.entries.get_mut(index as usize) else {
            return Woken::Nothing;
        };
        if entry.generation != generation {
            return Woken::Nothing;
        }
        match std::mem::replace(&mut entry.state, State::Busy { woken: false }) {
            State::Parked { conn, .. } => {
                self.unlink(Queue::Parked, index);
                Woken::Request(conn, index)
            }
            State::Busy { .. } => {
                entry.state = State::Busy { woken: true };
                Woken::Nothing
            }
            State::Writing {
                conn,
                pending,
                close_after,
                ..
            } if writable => {
                self.unlink(Queue::Writing, index);
                Woken::Write {
                    conn,
                    pending,
                    close_after,
                    index,
                }
            }
            lingering @ State::Lingering { .. } => {
                entry.state = lingering;
                Woken::Linger(index)
            }
            other => {
                entry.state = other;
                Woken::Nothing
            }
        }
    }

    /// A worker parks the connection of (busy) entry `index` again, unless the poller reported
    /// it while the worker had it (its next request, or its end, may be there already, and
    /// that event went by): then the connection is returned, to be served again at once.
    pub fn park_unless_woken(
        &mut self,
        index: u32,
        conn: Box<ParkedConn>,
        now: Instant,
        timeout: Duration,
    ) -> Option<Box<ParkedConn>> {
        let state = &mut self.entries[index as usize].state;
        if let State::Busy { woken: true } = state {
            *state = State::Busy { woken: false };
            return Some(conn);
        }
        self.park(index, conn, now, timeout);
        None
    }

    /// The lingering socket of `index`, to drain (`None` if the entry is not lingering); the
    /// client is active, so its wait starts over (within the 30 s).
    pub fn lingering_stream(&mut self, index: u32, now: Instant) -> Option<&TcpStream> {
        match &mut self.entries.get_mut(index as usize)?.state {
            State::Lingering { due, started, .. } => {
                *due = (now + LINGER_READ).min(*started + LINGER_MAX);
            }
            _ => return None,
        }
        self.unlink(Queue::Linger, index);
        self.push_back(Queue::Linger, index);
        self.lingering = self.linger_list.len;
        match &self.entries[index as usize].state {
            State::Lingering { stream, .. } => Some(stream),
            _ => None,
        }
    }

    fn due(&self, index: u32) -> Option<Instant> {
        match &self.entries.get(index as usize)?.state {
            State::Parked { due, .. }
            | State::Lingering { due, .. }
            | State::Writing { due, .. } => Some(*due),
            _ => None,
        }
    }

    /// Frees every parked connection past its keep-alive timeout, every lingering one past
    /// its wait and every pending write without progress for `timeout`; returns their sockets
    /// (dropping them closes them).
    pub fn expire(&mut self, now: Instant) -> Vec<TcpStream> {
        let mut closed = Vec::new();
        for parked in [Queue::Parked, Queue::Linger, Queue::Writing] {
            loop {
                let head = self.list(parked).head;
                match self.due(head) {
                    Some(due) if due <= now => closed.extend(self.free(head)),
                    _ => break,
                }
            }
        }
        closed
    }

    /// When [`Table::expire`] has something to do next.
    pub fn next_due(&self) -> Option<Instant> {
        [self.parked_list, self.linger_list, self.writing_list]
            .iter()
            .filter_map(|l| self.due(l.head))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{SocketAddr, TcpListener};

    fn conn() -> (TcpStream, Box<ParkedConn>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, peer) = listener.accept().unwrap();
        let local: SocketAddr = stream.local_addr().unwrap();
        (client, Box::new(ParkedConn::new(stream, peer, local)))
    }

    #[test]
    fn parked_connections_expire_in_order_and_woken_ones_are_skipped() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut table = Table::default();
        let (_c1, a) = conn();
        let (_c2, b) = conn();
        let ia = table.allocate();
        let ib = table.allocate();
        table.park(ia, a, t0, s(5));
        table.park(ib, b, t0 + s(1), s(5));
        assert_eq!((table.parked, table.next_due()), (2, Some(t0 + s(5))));
        // b wakes up and is handed to a worker; its queue entry goes stale.
        let tb = table.token(ib);
        assert!(matches!(table.woken(tb, false), Woken::Request(_, i) if i == ib));
        assert!(matches!(table.woken(tb, false), Woken::Nothing), "busy now");
        assert!(table.expire(t0 + s(4)).is_empty());
        assert_eq!(table.expire(t0 + s(5)).len(), 1, "a timed out");
        assert!(
            table.expire(t0 + s(9)).is_empty(),
            "b's stale entry is skipped"
        );
        assert_eq!(table.parked, 0);
        // a's entry was freed: its old token is stale even though the index is reused.
        let ta = table.token(ia);
        let again = table.allocate();
        assert_eq!(again, ia);
        assert!(matches!(table.woken(ta, false), Woken::Nothing));
    }

    #[test]
    fn a_connection_parked_again_moves_to_the_back_of_the_queue() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut table = Table::default();
        let mut clients = Vec::new();
        let mut indexes = Vec::new();
        for i in 0..3 {
            let (client, c) = conn();
            clients.push(client);
            let index = table.allocate();
            table.park(index, c, t0 + s(i), s(5));
            indexes.push(index);
        }
        // The middle one wakes and is parked again at 3 s: it now expires last, at 8 s.
        let Woken::Request(c, i) = table.woken(table.token(indexes[1]), false) else {
            panic!("not parked");
        };
        table.park(i, c, t0 + s(3), s(5));
        assert_eq!(table.parked, 3);
        let expired_at: Vec<usize> = (5..=8).map(|t| table.expire(t0 + s(t)).len()).collect();
        assert_eq!(expired_at, [1, 0, 1, 1], "due at 5, (6 moved to 8), 7, 8");
        assert_eq!((table.parked, table.next_due()), (0, None));
        // Every entry is free again and reused.
        let mut again: Vec<u32> = (0..3).map(|_| table.allocate()).collect();
        again.sort_unstable();
        assert_eq!(again, [0, 1, 2]);
    }

    #[test]
    fn an_event_while_busy_makes_the_next_parking_serve_again() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut table = Table::default();
        let (_client, c) = conn();
        let i = table.allocate();
        table.park(i, c, t0, s(5));
        let t = table.token(i);
        let Woken::Request(c, _) = table.woken(t, false) else {
            panic!("not parked");
        };
        // Nothing reported while busy: parked.
        assert!(table.park_unless_woken(i, c, t0, s(5)).is_none());
        assert_eq!(table.parked, 1);
        let Woken::Request(c, _) = table.woken(t, false) else {
            panic!("not parked");
        };
        // Reported while busy (once or twice): served again once, then parked.
        assert!(matches!(table.woken(t, false), Woken::Nothing));
        assert!(matches!(table.woken(t, false), Woken::Nothing));
        let c = table
            .park_unless_woken(i, c, t0, s(5))
            .expect("served again");
        assert_eq!(table.parked, 0);
        assert!(table.park_unless_woken(i, c, t0, s(5)).is_none());
        assert_eq!(table.parked, 1);
        // A freed and reused entry starts with no note.
        table.free(i);
        let j = table.allocate();
        let (_client, c) = conn();
        assert!(table.park_unless_woken(j, c, t0, s(5)).is_none());
    }

    #[test]
    fn lingering_gets_2_s_per_read_and_30_s_at_most() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut table = Table::default();
        let (_client, c) = conn();
        let i = table.allocate();
        table.linger(i, c.into_stream(), t0);
        assert_eq!(table.lingering, 1);
        assert!(matches!(table.woken(table.token(i), false), Woken::Linger(j) if j == i));
        // Data at 1.5 s moves the deadline to 3.5 s.
        assert!(
            table
                .lingering_stream(i, t0 + Duration::from_millis(1500))
                .is_some()
        );
        assert!(table.expire(t0 + s(2)).is_empty());
        assert_eq!(table.next_due(), Some(t0 + Duration::from_millis(3500)));
        assert_eq!(table.expire(t0 + s(4)).len(), 1);
        assert_eq!(table.lingering, 0);
        // A client that keeps sending is cut off at 30 s.
        let (_client, c) = conn();
        let i = table.allocate();
        table.linger(i, c.into_stream(), t0);
        let mut now = t0;
        let mut closed_at = None;
        while closed_at.is_none() {
            now += s(1);
            table.lingering_stream(i, now);
            if !table.expire(now).is_empty() {
                closed_at = Some(now);
            }
        }
        assert_eq!(closed_at, Some(t0 + s(30)));
    }
}
