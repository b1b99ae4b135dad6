//! The values a proxied request passes between the connection loop and the proxy: the client
//! side it may use, what it knows of the request, and how it ended. Plain data.

use std::io;
use std::net::IpAddr;
use std::ops::Range;
use std::time::Duration;

use crate::http::io::ConnIo;
use crate::http::keepalive::KeepAliveInput;
use crate::http::request::Request;

/// The client connection as the proxy needs it.
pub struct ClientSide<'a, 's> {
    pub io: &'a mut ConnIo<'s>,
    /// Bytes read after the request head.
    pub buffered: &'a [u8],
    /// The connection's spill buffer (socket reads of the request body).
    pub spill: &'a mut Vec<u8>,
    /// Receives the response head sent to the client (for the access log).
    pub out: &'a mut Vec<u8>,
}

/// The request and what the response head needs.
pub struct RequestInfo<'a, 'h, 'b> {
    pub req: &'a Request<'h, 'b>,
    pub client_ip: IpAddr,
    /// The host rewritten redirects name (`Host`, or server name and port).
    pub public_host: &'a str,
    pub server_name: &'a str,
    /// `limit_request_body`.
    pub body_limit: u64,
    /// The client I/O timeout.
    pub client_timeout: Duration,
    pub date: &'a [u8; 29],
    pub server_line: &'a [u8],
    /// The keep-alive inputs known before the response (status and length are filled here).
    pub ka: KeepAliveInput,
}

/// Where the request body ended up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyUse {
    /// Bytes of `ClientSide::buffered` that were body.
    pub buffered_consumed: usize,
    /// Bytes past the body read into the spill buffer.
    pub spill: Range<usize>,
    /// Body bytes on the wire (`%I`).
    pub wire: u64,
    /// The body was not read to its end: the client connection must close.
    pub unread: bool,
}

/// How the client connection continues after a relayed response.
#[derive(Debug)]
pub enum ClientEnd {
    Persist,
    Close,
    /// Writing to the client failed, or the backend died mid-body: close at once.
    Abort(io::Error),
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The backend could not be used (in error, no pooled connection, connect failed) before
    /// anything was read from the client: another balancer member may take the request.
    Unreachable,
    /// The backend did not answer in time (502; `failontimeout`).
    Timeout,
    /// Anything else (bad response, client body errors, ...).
    Other,
}

/// The result of [`super::forward::forward`].
#[derive(Debug)]
pub enum Outcome {
    /// A response went to the client.
    Relayed {
        status: u16,
        /// Body bytes sent (`%B`).
        body_bytes: u64,
        /// Length of the head in `ClientSide::out`.
        head_end: usize,
        end: ClientEnd,
        keepalives_used: u32,
        body: BodyUse,
    },
    /// Nothing was sent: answer `status` with the server's page.
    Refused {
        status: u16,
        body: BodyUse,
        cause: Refusal,
    },
    /// The client went away while sending its body.
    ClientGone {
        error: Option<io::Error>,
        body: BodyUse,
    },
}

/// Where one attempt goes beyond its worker.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Request target for the backend (path and query).
    pub path: &'a str,
    pub preserve_host: bool,
}
