//! The event MPM's way into the keep-alive loop: serve a connection one burst of requests at a
//! time, so that no thread waits while the client is silent.
//!
//! [`serve_ready`] runs the same loop as `serve_connection` (`conn.rs`), on a connection whose
//! state outlives the thread: a [`ParkedConn`]. It reads what woke the connection, serves every
//! request that is already there (pipelined ones included), and returns [`Burst::Park`] at the
//! first moment it would have to wait for the client: the caller parks the socket in its poller
//! and calls again when it is readable. A connection is parked only with an empty input buffer,
//! so no bytes ever travel with it. Closing works the same way: the loop half-closes the socket
//! and returns [`Burst::Linger`]; the poller drains what the client still sends. A file body
//! that would block goes the same way ([`Burst::Write`]): the poller finishes it.

use std::net::{SocketAddr, TcpStream};

use crate::handlers::client::Client;
use crate::http::conn::Conn;
use crate::http::io::{ConnIo, PendingWrite, SocketState};
use crate::http::scratch;
use crate::http::{ConnEnd, ConnObserver, Site};

/// A connection between bursts: the socket and what the keep-alive loop knows about it.
#[derive(Debug)]
pub struct ParkedConn {
    stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    /// Always `Some` between bursts (moved into the loop during one).
    client: Option<Client>,
    requests: u32,
    kept_alive: u32,
    /// What the last burst left set on the socket.
    socket: SocketState,
}

/// What a burst leaves to the caller.
#[derive(Debug)]
pub enum Burst {
    /// Idle between requests: wait until the socket is readable (at most `keep_alive_timeout`,
    /// then close it silently) and call [`serve_ready`] again.
    Park,
    /// Our side is shut down after the last response: read and drop what the client still
    /// sends until it closes (Apache's lingering close: 2 s per read, 30 s at most), then close.
    Linger,
    /// The connection is over; dropping it closes the socket.
    Closed(ConnEnd),
    /// The last response's body would block: the socket (non-blocking now) waits in the
    /// poller until writable and the poller sends the rest (Apache's write completion); then
    /// the connection parks (`close_after` false) or lingers (true). Its request is logged.
    Write {
        pending: PendingWrite,
        close_after: bool,
    },
}

impl ParkedConn {
    /// A freshly accepted connection.
    pub fn new(stream: TcpStream, peer: SocketAddr, local: SocketAddr) -> ParkedConn {
        ParkedConn {
            stream,
            peer,
            local,
            client: Some(Client::new(peer, local)),
            requests: 0,
            kept_alive: 0,
            socket: SocketState::default(),
        }
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Requests answered on this connection so far.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The socket, for the lingering close.
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }
}

/// Serves the requests a readable (or just accepted) connection has for us, up to the point
/// where it would wait for the client. Blocking I/O within the burst, with the same timeouts
/// as `serve_connection`.
pub fn serve_ready(site: &Site, conn: &mut ParkedConn, obs: &mut dyn ConnObserver) -> Burst {
    let mut s = scratch::take();
    let client = conn
        .client
        .take()
        .unwrap_or_else(|| Client::new(conn.peer, conn.local));
    let mut c = Conn {
        site,
        peer: conn.peer,
        local: conn.local,
        client,
        io: ConnIo::resume(&conn.stream, conn.socket),
        requests: conn.requests,
        kept_alive: conn.kept_alive,
        pid: None,
        park: true,
    };
    let end = c.run(&mut s, obs);
    let write_closed = c.io.write_closed();
    let pending = c.io.take_pending();
    conn.socket = c.io.state();
    conn.requests = c.requests;
    conn.kept_alive = c.kept_alive;
    conn.client = Some(c.client);
    scratch::give_back(s);
    match (end, pending) {
        (ConnEnd::Parked | ConnEnd::ServerClosed, Some((pending, close_after))) => Burst::Write {
            pending,
            close_after,
        },
        (end, _) => burst_end(end, write_closed),
    }
}

fn burst_end(end: ConnEnd, write_closed: bool) -> Burst {
    match end {
        ConnEnd::Parked => Burst::Park,
        _ if write_closed => Burst::Linger,
        end => Burst::Closed(end),
    }
}

#[cfg(test)]
#[path = "burst_tests.rs"]
mod tests;
