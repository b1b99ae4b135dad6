//! Binding and reconciling the `listen` addresses.
//!
//! Each configured address is bound once (SO_REUSEADDR, the configured backlog, IPV6_V6ONLY for
//! IPv6 so `[::]:80` and `0.0.0.0:80` can coexist). On a graceful restart the sockets whose
//! configured address is unchanged are kept, so connections waiting in the backlog are never
//! lost; new ones are bound and dropped ones closed.
//!
//! Children accept with blocking `accept(2)` when there is one listener (the kernel wakes one
//! waiter: no thundering herd), and poll + non-blocking accept when there are several. The
//! listening sockets carry a 1 s receive timeout so a child blocked in accept notices a graceful
//! stop or a pipe-of-death byte within a second even if the signal raced it.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

/// How often a child blocked in accept wakes to look at its flags.
pub const ACCEPT_WAKE: Duration = Duration::from_secs(1);

/// One bound listening socket.
#[derive(Debug)]
pub struct Listener {
    /// The address as configured (may have port 0).
    pub configured: SocketAddr,
    /// The address actually bound.
    pub local: SocketAddr,
    pub socket: TcpListener,
}

/// Why a listen address could not be bound.
#[derive(Debug)]
pub struct BindError {
    pub addr: SocketAddr,
    pub source: io::Error,
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hint = match self.source.kind() {
            io::ErrorKind::AddrInUse => {
                "address already in use (is another server running on it?)".to_string()
            }
            io::ErrorKind::PermissionDenied => {
                "permission denied (ports below 1024 need root)".to_string()
            }
            io::ErrorKind::AddrNotAvailable => {
                "address not available (not an address of this machine)".to_string()
            }
            _ => self.source.to_string().to_lowercase(),
        };
        write!(f, "could not bind {}: {hint}", self.addr)
    }
}

impl std::error::Error for BindError {}

fn bind(addr: SocketAddr, backlog: i32) -> Result<Listener, BindError> {
    let fail = |source| BindError { addr, source };
    let socket =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(fail)?;
    socket.set_reuse_address(true).map_err(fail)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true).map_err(fail)?;
    }
    socket.bind(&addr.into()).map_err(fail)?;
    socket.listen(backlog).map_err(fail)?;
    socket.set_read_timeout(Some(ACCEPT_WAKE)).map_err(fail)?;
    let local = socket
        .local_addr()
        .map_err(fail)?
        .as_socket()
        .unwrap_or(addr);
    Ok(Listener {
        configured: addr,
        local,
        socket: socket.into(),
    })
}

/// The set of listening sockets of the running configuration.
#[derive(Debug, Default)]
pub struct Listeners {
    pub list: Vec<Listener>,
}

impl Listeners {
    /// Binds every address; the first failure is returned and nothing stays bound.
    pub fn bind_all(addrs: &[SocketAddr], backlog: i32) -> Result<Listeners, BindError> {
        let mut list = Vec::with_capacity(addrs.len());
        for &addr in addrs {
            list.push(bind(addr, backlog)?);
        }
        let listeners = Listeners { list };
        listeners.set_blocking_mode().map_err(|source| BindError {
            addr: addrs[0],
            source,
        })?;
        Ok(listeners)
    }

    /// Graceful restart: keeps sockets whose configured address is still wanted, binds new ones,
    /// closes the rest. On failure nothing changes (sockets bound so far are closed again).
    pub fn reconcile(&mut self, addrs: &[SocketAddr], backlog: i32) -> Result<(), BindError> {
        let mut fresh = Vec::new();
        for &addr in addrs {
            if !self.list.iter().any(|l| l.configured == addr) {
                fresh.push(bind(addr, backlog)?);
            }
        }
        let mut old = std::mem::take(&mut self.list);
        for &addr in addrs {
            if let Some(i) = old.iter().position(|l| l.configured == addr) {
                self.list.push(old.swap_remove(i));
            } else if let Some(i) = fresh.iter().position(|l| l.configured == addr) {
                self.list.push(fresh.swap_remove(i));
            }
        }
        self.set_blocking_mode().map_err(|source| BindError {
            addr: addrs[0],
            source,
        })
    }

    /// One listener: blocking accept. Several: non-blocking, the child polls them.
    fn set_blocking_mode(&self) -> io::Result<()> {
        let nonblocking = self.list.len() > 1;
        for l in &self.list {
            l.socket.set_nonblocking(nonblocking)?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback0() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    #[test]
    fn bind_reports_address_in_use_in_one_line() {
        let taken = TcpListener::bind(loopback0()).unwrap();
        let addr = taken.local_addr().unwrap();
        let err = Listeners::bind_all(&[addr], 511).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "could not bind {addr}: address already in use (is another server running on it?)"
            )
        );
    }

    #[test]
    fn reconcile_keeps_matching_sockets() {
        let mut l = Listeners::bind_all(&[loopback0()], 16).unwrap();
        let port = l.list[0].local.port();
        l.reconcile(&[loopback0()], 16).unwrap();
        assert_eq!(l.list.len(), 1);
        assert_eq!(l.list[0].local.port(), port, "same socket kept");
    }
}
