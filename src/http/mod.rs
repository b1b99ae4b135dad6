//! HTTP/1.1 for one accepted connection: parsing, the keep-alive loop, responses.
//!
//! The MPM calls [`serve_connection`] once per accepted connection (the event MPM calls
//! [`serve_ready`] once per burst of requests instead) and learns about progress through a
//! [`ConnObserver`] (the scoreboard slot). Everything under here is blocking I/O on
//! one socket; nothing here knows about processes, signals or the scoreboard's layout.

pub mod answer;
pub mod body;
pub mod burst;
pub mod conn;
pub mod date;
pub mod error;
pub mod escape;
pub mod fields;
pub mod framing;
pub mod io;
pub mod keepalive;
pub mod parse;
pub mod request;
pub mod request_line;
pub mod response;
pub mod scratch;
pub mod send;
pub mod site;
pub mod strftime;

#[cfg(test)]
mod conn_protocol_tests;
#[cfg(test)]
mod conn_tests;
#[cfg(test)]
mod range_conn_tests;
#[cfg(test)]
pub(crate) mod test_support;

pub use burst::{Burst, ParkedConn, serve_ready};
pub use conn::serve_connection;
pub use error::HttpError;
pub use response::{Response, error_page};
pub use site::Site;

use std::time::Duration;

/// What the connection is doing, for the scoreboard's status letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `R`: reading a request (the first one, or bytes of a later one have arrived).
    Reading,
    /// `W`: writing a response.
    Writing,
    /// `K`: idle between requests, waiting up to `keep_alive_timeout` for the next one.
    KeepAlive,
    /// `C`: closing (lingering close: draining what the client still sends).
    Closing,
    /// `L`: writing the access log line.
    Logging,
}

/// How a connection ended.
#[derive(Debug)]
pub enum ConnEnd {
    /// The client closed the connection (between requests, or in the middle of one).
    ClientClosed,
    /// No new request arrived within `keep_alive_timeout` (closed silently).
    KeepAliveTimeout,
    /// The client was silent for `timeout` while a request was due (a partial request got a
    /// 408 first; a first request that never started is closed silently).
    ReadTimeout,
    /// We closed after a response (`Connection: close`, errors, limits, stopping).
    ServerClosed,
    /// An I/O error (reset by peer, write timeout, ...).
    Error(std::io::Error),
    /// Not an end: the connection waits for its next request in the event MPM's poller (only
    /// [`burst::serve_ready`] returns it, as [`burst::Burst::Park`]).
    Parked,
}

/// Scoreboard-facing hooks; the MPM implements this over its shared-memory slot.
pub trait ConnObserver {
    fn phase(&mut self, phase: Phase);
    /// The raw first line of a request, for the scoreboard's Request column.
    fn request_started(&mut self, request_line: &[u8]);
    /// Body bytes sent (0 for HEAD) and the time the request took.
    fn request_finished(&mut self, bytes_sent: u64, duration: Duration);
    /// True once the child must stop after the request in hand (graceful restart/stop, max
    /// connections): the next response carries `Connection: close` and the connection ends
    /// after it.
    fn stopping(&self) -> bool;
    /// The scoreboard, for handlers that report on it (`server-status`); `None` where there
    /// is none (unit tests).
    fn scoreboard(&self) -> Option<&crate::scoreboard::Scoreboard> {
        None
    }
}
