//! Binding and reconciling the `listen` addresses.
//!
//! Each configured address is bound once (SO_REUSEADDR, the configured backlog). As Apache on
//! Linux, the IPv6 wildcard (`"80"`, `"*:80"`, `"[::]:80"`) is bound dual-stack and so also
//! takes IPv4 connections, unless `0.0.0.0` with the same port is listed as well (then both are
//! bound, `[::]` with IPV6_V6ONLY); on a machine without IPv6 the wildcard falls back to
//! `0.0.0.0`. Other IPv6 addresses are bound IPV6_V6ONLY. On a graceful restart the sockets whose
//! configured address is unchanged are kept, so connections waiting in the backlog are never
//! lost; new ones are bound and dropped ones closed.
//!
//! Children accept with blocking `accept(2)` when there is one listener (the kernel wakes one
//! waiter: no thundering herd), and poll + non-blocking accept when there are several. The
//! listening sockets carry a 1 s receive timeout so a child blocked in accept notices a graceful
//! stop or a pipe-of-death byte within a second even if the signal raced it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
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

/// How the IPv6 wildcard `[::]:port` is bound, given every configured address.
fn dual_stack(addr: SocketAddr, all: &[SocketAddr]) -> bool {
    let v4_wildcard = SocketAddr::from((Ipv4Addr::UNSPECIFIED, addr.port()));
    addr.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED) && !all.contains(&v4_wildcard)
}

/// Binds `addr` (`all`: every configured address, for the dual-stack rule).
fn bind(addr: SocketAddr, all: &[SocketAddr], backlog: i32) -> Result<Listener, BindError> {
    let dual = dual_stack(addr, all);
    match bind_as(addr, addr, dual, backlog) {
        Err(e) if dual && no_ipv6(&e.source) => {
            let v4 = SocketAddr::from((Ipv4Addr::UNSPECIFIED, addr.port()));
            log::info!("no IPv6 on this machine: listening on {v4} for {addr}");
            bind_as(addr, v4, false, backlog)
        }
        other => other,
    }
}

/// IPv6 is missing or disabled on this machine.
fn no_ipv6(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAFNOSUPPORT | libc::EADDRNOTAVAIL | libc::EPROTONOSUPPORT)
    )
}

/// Binds `bound` for the configured address `configured`.
fn bind_as(
    configured: SocketAddr,
    bound: SocketAddr,
    dual: bool,
    backlog: i32,
) -> Result<Listener, BindError> {
    let addr = configured;
    let fail = |source| BindError { addr, source };
    let socket = Socket::new(
        Domain::for_address(bound),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(fail)?;
    socket.set_reuse_address(true).map_err(fail)?;
    if bound.is_ipv6() {
        socket.set_only_v6(!dual).map_err(fail)?;
    }
    socket.bind(&bound.into()).map_err(fail)?;
    socket.listen(backlog).map_err(fail)?;
    socket.set_read_timeout(Some(ACCEPT_WAKE)).map_err(fail)?;
    let local = socket
        .local_addr()
        .map_err(fail)?
        .as_socket()
        .unwrap_or(bound);
    Ok(Listener {
        configured,
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
            list.push(bind(addr, addrs, backlog)?);
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
                fresh.push(bind(addr, addrs, backlog)?);
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

    #[test]
    fn ipv6_wildcard_is_dual_stack_unless_ipv4_wildcard_is_listed() {
        let a = |t: &str| t.parse::<SocketAddr>().unwrap();
        let cases = [
            (a("[::]:80"), vec![a("[::]:80")], true),
            (a("[::]:80"), vec![a("[::]:80"), a("0.0.0.0:81")], true),
            (a("[::]:80"), vec![a("[::]:80"), a("0.0.0.0:80")], false),
            (a("[::1]:80"), vec![a("[::1]:80")], false),
            (a("0.0.0.0:80"), vec![a("0.0.0.0:80")], false),
        ];
        for (addr, all, want) in cases {
            assert_eq!(dual_stack(addr, &all), want, "{addr} in {all:?}");
        }
    }

    #[test]
    fn bare_port_listener_takes_ipv4_connections() {
        let wildcard: SocketAddr = "[::]:0".parse().unwrap();
        let l = Listeners::bind_all(&[wildcard], 16).unwrap();
        assert_eq!(l.list[0].configured, wildcard);
        let port = l.list[0].local.port();
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_, from) = l.list[0].socket.accept().unwrap();
        assert_eq!(from.port(), client.local_addr().unwrap().port());
    }
}
