//! The event MPM's table of connections that no thread holds: parked between keep-alive
//! requests, or lingering after our last response. Plus their timeout queues.
//!
//! Each entry is known to the poller by a token made of its index and a generation, so an
//! event that was already on its way when the entry was freed and reused is recognised as
//! stale. An entry is `Busy` while a worker serves its connection; only the worker touches
//! the connection then, and events for it are ignored.
//!
//! Timeouts use Apache's queues: every parked connection has the same timeout
//! (`keep_alive_timeout`), so parking order is expiry order and a FIFO suffices; lingering
//! connections get 2 s per read and 30 s at most. Queue entries of connections that moved on
//! are skipped when they come up (each park or linger has its own sequence number).
//! No I/O here but dropping (closing) what expires; time comes in as an argument.

use std::collections::VecDeque;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mio::Token;

use crate::http::ParkedConn;

/// Apache's `SECONDS_TO_LINGER`: the wait for each read of a lingering close.
pub const LINGER_READ: Duration = Duration::from_secs(2);
/// Apache's `MAX_SECS_TO_LINGER`.
pub const LINGER_MAX: Duration = Duration::from_secs(30);

/// Tokens at and above this are the listener's own (waker, listening sockets). Connection
/// tokens stay below: generations have 31 bits.
pub const RESERVED_TOKENS: usize = 1 << 63;
const GENERATION_MASK: u32 = 0x7fff_ffff;

enum State {
    Free,
    /// A worker serves the connection.
    Busy,
    Parked {
        conn: Box<ParkedConn>,
        seq: u64,
    },
    Lingering {
        stream: TcpStream,
        seq: u64,
        started: Instant,
        last_read: Instant,
    },
}

struct Entry {
    generation: u32,
    state: State,
}

#[derive(Debug, Clone, Copy)]
struct Due {
    at: Instant,
    index: u32,
    seq: u64,
}

/// What became of a ready token.
pub enum Woken {
    /// A parked connection has something to read: hand it to a worker.
    Request(Box<ParkedConn>, u32),
    /// A lingering connection can be read (drained) by the listener.
    Linger(u32),
    /// Stale or busy: nothing to do.
    Nothing,
}

/// The connections no thread holds, by index.
#[derive(Default)]
pub struct Table {
    entries: Vec<Entry>,
    free: Vec<u32>,
    parked_due: VecDeque<Due>,
    linger_due: VecDeque<Due>,
    seq: u64,
    /// Connections parked now.
    pub parked: usize,
    /// Connections lingering now.
    pub lingering: usize,
}

fn token(index: u32, generation: u32) -> Token {
    Token((generation as usize) << 32 | index as usize)
}

fn split(t: Token) -> (u32, u32) {
    ((t.0 & 0xffff_ffff) as u32, (t.0 >> 32) as u32)
}

impl Table {
    /// An entry for a connection seen for the first time (marked busy).
    pub fn allocate(&mut self) -> u32 {
        if let Some(index) = self.free.pop() {
            self.entries[index as usize].state = State::Busy;
            return index;
        }
        self.entries.push(Entry {
            generation: 0,
            state: State::Busy,
        });
        (self.entries.len() - 1) as u32
    }

    /// The poller token of `index`.
    pub fn token(&self, index: u32) -> Token {
        token(index, self.entries[index as usize].generation)
    }

    /// A worker parks the connection of (busy) entry `index` until `now + timeout`.
    pub fn park(&mut self, index: u32, conn: Box<ParkedConn>, now: Instant, timeout: Duration) {
        self.seq += 1;
        let seq = self.seq;
        self.entries[index as usize].state = State::Parked { conn, seq };
        self.parked += 1;
        self.parked_due.push_back(Due {
            at: now + timeout,
            index,
            seq,
        });
    }

    /// A worker leaves the lingering close of (busy) entry `index` to the listener.
    pub fn linger(&mut self, index: u32, stream: TcpStream, now: Instant) {
        self.seq += 1;
        let seq = self.seq;
        self.entries[index as usize].state = State::Lingering {
            stream,
            seq,
            started: now,
            last_read: now,
        };
        self.lingering += 1;
        self.linger_due.push_back(Due {
            at: now + LINGER_READ,
            index,
            seq,
        });
    }

    /// Frees entry `index` (its connection was dropped, or is dropped with the returned value).
    pub fn free(&mut self, index: u32) -> Option<TcpStream> {
        let entry = &mut self.entries[index as usize];
        let old = std::mem::replace(&mut entry.state, State::Free);
        entry.generation = entry.generation.wrapping_add(1) & GENERATION_MASK;
        self.free.push(index);
        match old {
            State::Parked { conn, .. } => {
                self.parked -= 1;
                Some(conn.into_stream())
            }
            State::Lingering { stream, .. } => {
                self.lingering -= 1;
                Some(stream)
            }
            State::Free | State::Busy => None,
        }
    }

    /// The poller says `t` is ready.
    pub fn woken(&mut self, t: Token) -> Woken {
        let (index, generation) = split(t);
        let Some(entry) = self.entries.get_mut(index as usize) else {
            return Woken::Nothing;
        };
        if entry.generation != generation {
            return Woken::Nothing;
        }
        match std::mem::replace(&mut entry.state, State::Busy) {
            State::Parked { conn, .. } => {
                self.parked -= 1;
                Woken::Request(conn, index)
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

    /// The lingering socket of `index`, to drain (`None` if the entry is not lingering).
    pub fn lingering_stream(&mut self, index: u32, now: Instant) -> Option<&TcpStream> {
        match &mut self.entries.get_mut(index as usize)?.state {
            State::Lingering {
                stream, last_read, ..
            } => {
                *last_read = now;
                Some(stream)
            }
            _ => None,
        }
    }

    /// Frees every parked connection past its keep-alive timeout and every lingering one past
    /// its wait; returns their sockets (dropping them closes them).
    pub fn expire(&mut self, now: Instant) -> Vec<TcpStream> {
        let mut closed = Vec::new();
        while let Some(due) = self.parked_due.front().copied() {
            if due.at > now {
                break;
            }
            self.parked_due.pop_front();
            if matches!(&self.entries[due.index as usize].state,
                State::Parked { seq, .. } if *seq == due.seq)
            {
                closed.extend(self.free(due.index));
            }
        }
        while let Some(due) = self.linger_due.front().copied() {
            if due.at > now {
                break;
            }
            self.linger_due.pop_front();
            let next = match &self.entries[due.index as usize].state {
                State::Lingering {
                    seq,
                    started,
                    last_read,
                    ..
                } if *seq == due.seq => {
                    let until = (*last_read + LINGER_READ).min(*started + LINGER_MAX);
                    Some(until)
                }
                _ => None,
            };
            match next {
                Some(until) if until > now => self.linger_due.push_back(Due { at: until, ..due }),
                Some(_) => closed.extend(self.free(due.index)),
                None => {}
            }
        }
        closed
    }

    /// When [`Table::expire`] has something to do next.
    pub fn next_due(&self) -> Option<Instant> {
        let parked = self.parked_due.front().map(|d| d.at);
        let linger = self.linger_due.front().map(|d| d.at);
        match (parked, linger) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
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
        assert!(matches!(table.woken(tb), Woken::Request(_, i) if i == ib));
        assert!(matches!(table.woken(tb), Woken::Nothing), "busy now");
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
        assert!(matches!(table.woken(ta), Woken::Nothing));
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
        assert!(matches!(table.woken(table.token(i)), Woken::Linger(j) if j == i));
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
