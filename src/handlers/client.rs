//! The client of one connection: its addresses, and its host names looked up at most once per
//! connection (Apache caches them on the `conn_rec`).
//!
//! Two names: the plain reverse lookup (HostnameLookups On) and the double-reverse verified
//! one (HostnameLookups Double, `Require host`). With HostnameLookups Off nothing here does
//! any DNS unless a `Require host` line asks. The resolver is a pair of functions so tests can
//! count and fake lookups.

use std::net::{IpAddr, SocketAddr};

use crate::config::HostnameLookups;
use crate::handlers::access::HostName;

/// How names are looked up.
#[derive(Debug, Clone, Copy)]
pub struct Resolver {
    /// IP -> name (PTR).
    pub reverse: fn(IpAddr) -> Option<String>,
    /// Name -> addresses.
    pub forward: fn(&str) -> Vec<IpAddr>,
}

impl Resolver {
    /// The system resolver (`getnameinfo` / `getaddrinfo`).
    pub const SYSTEM: Resolver = Resolver {
        reverse: crate::sys::dns::reverse,
        forward: crate::sys::dns::forward,
    };
}

/// One connection's client.
#[derive(Debug)]
pub struct Client {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    resolver: Resolver,
    /// `None` = not looked up yet; `Some(None)` = no name.
    reverse: Option<Option<String>>,
    verified: Option<Option<String>>,
}

impl Client {
    pub fn new(peer: SocketAddr, local: SocketAddr) -> Client {
        Client::with_resolver(peer, local, Resolver::SYSTEM)
    }

    pub fn with_resolver(peer: SocketAddr, local: SocketAddr, resolver: Resolver) -> Client {
        Client {
            peer,
            local,
            resolver,
            reverse: None,
            verified: None,
        }
    }

    /// The client's IP, IPv4-mapped addresses as IPv4.
    pub fn ip(&self) -> IpAddr {
        self.peer.ip().to_canonical()
    }

    /// The reverse lookup, lower case (cached).
    pub fn reverse_name(&mut self) -> Option<&str> {
        if self.reverse.is_none() {
            let name = (self.resolver.reverse)(self.ip()).map(|n| n.to_ascii_lowercase());
            self.reverse = Some(name);
        }
        self.reverse.as_ref().and_then(|n| n.as_deref())
    }

    /// The reverse name, kept only if it resolves forward to the client's IP (cached).
    pub fn double_reverse_name(&mut self) -> Option<&str> {
        if self.verified.is_none() {
            let ip = self.ip();
            let forward = self.resolver.forward;
            let verified = self
                .reverse_name()
                .filter(|name| forward(name).iter().any(|a| a.to_canonical() == ip))
                .map(str::to_owned);
            self.verified = Some(verified);
        }
        self.verified.as_ref().and_then(|n| n.as_deref())
    }

    /// What `%h` logs instead of the IP under `mode` (`None`: log the IP).
    pub fn log_name(&mut self, mode: HostnameLookups) -> Option<&str> {
        match mode {
            HostnameLookups::Off => None,
            HostnameLookups::On => self.reverse_name(),
            HostnameLookups::Double => self.double_reverse_name(),
        }
    }
}

impl HostName for Client {
    fn verified_name(&mut self) -> Option<&str> {
        self.double_reverse_name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static REVERSES: Cell<usize> = const { Cell::new(0) };
    }

    fn fake_reverse(ip: IpAddr) -> Option<String> {
        REVERSES.with(|n| n.set(n.get() + 1));
        match ip.to_string().as_str() {
            "10.0.0.1" => Some("Good.Example.ORG".into()),
            "10.0.0.2" => Some("liar.example.org".into()),
            _ => None,
        }
    }

    fn fake_forward(name: &str) -> Vec<IpAddr> {
        match name {
            "good.example.org" => vec!["10.0.0.1".parse().unwrap()],
            "liar.example.org" => vec!["10.9.9.9".parse().unwrap()],
            _ => Vec::new(),
        }
    }

    const FAKE: Resolver = Resolver {
        reverse: fake_reverse,
        forward: fake_forward,
    };

    fn client(ip: &str) -> Client {
        let peer = SocketAddr::new(ip.parse().unwrap(), 40000);
        Client::with_resolver(peer, "10.0.0.254:80".parse().unwrap(), FAKE)
    }

    #[test]
    fn lookups_per_mode() {
        use HostnameLookups::*;
        for (ip, mode, expected) in [
            ("10.0.0.1", Off, None),
            ("10.0.0.1", On, Some("good.example.org")),
            ("10.0.0.1", Double, Some("good.example.org")),
            ("::ffff:10.0.0.1", Double, Some("good.example.org")),
            ("10.0.0.2", On, Some("liar.example.org")),
            ("10.0.0.2", Double, None),
            ("10.0.0.3", On, None),
            ("10.0.0.3", Double, None),
        ] {
            assert_eq!(client(ip).log_name(mode), expected, "{ip} {mode:?}");
        }
    }

    #[test]
    fn looked_up_once_per_connection() {
        let mut c = client("10.0.0.2");
        let before = REVERSES.with(Cell::get);
        assert_eq!(c.verified_name(), None);
        assert_eq!(c.log_name(HostnameLookups::On), Some("liar.example.org"));
        assert_eq!(c.verified_name(), None);
        assert_eq!(c.log_name(HostnameLookups::Off), None);
        assert_eq!(REVERSES.with(Cell::get) - before, 1);
    }
}
