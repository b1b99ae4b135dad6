//! `Require` evaluation (mod_authz_core with mod_authz_host's providers): is this client
//! granted by the effective configuration's require lines?
//!
//! Pure: the client's addresses come in, and its verified host name only through
//! [`HostName`], asked lazily, so DNS happens only when a `Require host` line is reached
//! (and the answer is cached per connection by the caller's implementation).

use std::net::IpAddr;

use crate::config::{IpPattern, RequireLine};

/// The client's double-reverse-verified host name (lower case), or `None` when it has none.
pub trait HostName {
    fn verified_name(&mut self) -> Option<&str>;
}

/// Apache's `apr_ipsubnet_test`: an IPv4-mapped IPv6 client matches IPv4 patterns.
pub fn ip_matches(pattern: &IpPattern, ip: IpAddr) -> bool {
    match (pattern, ip.to_canonical()) {
        (IpPattern::V4 { net, mask }, IpAddr::V4(a)) => a.to_bits() & mask == *net,
        (IpPattern::V6 { net, mask }, IpAddr::V6(a)) => a.to_bits() & mask == *net,
        _ => false,
    }
}

/// mod_authz_host's `in_domain`: `host` equals `domain`, or ends with it at a `.` boundary
/// (or `domain` starts with `.`); ASCII case-insensitive.
pub fn in_domain(domain: &str, host: &str) -> bool {
    let (d, h) = (domain.as_bytes(), host.as_bytes());
    if h.len() < d.len() || !h[h.len() - d.len()..].eq_ignore_ascii_case(d) {
        return false;
    }
    h.len() == d.len() || d.first() == Some(&b'.') || h[h.len() - d.len() - 1] == b'.'
}

/// `Require local`: loopback (127.0.0.0/8, ::1) or the client connected from the server's
/// own address.
pub fn is_local(peer: IpAddr, local: IpAddr) -> bool {
    let peer = peer.to_canonical();
    peer.is_loopback() || peer == local.to_canonical()
}

/// True if any line grants (RequireAny); no lines at all = granted.
pub fn granted(
    lines: &[RequireLine],
    peer: IpAddr,
    local: IpAddr,
    host: &mut dyn HostName,
) -> bool {
    if lines.is_empty() {
        return true;
    }
    lines.iter().any(|line| match line {
        RequireLine::AllGranted => true,
        RequireLine::AllDenied => false,
        RequireLine::Local => is_local(peer, local),
        RequireLine::Ip(patterns) => patterns.iter().any(|p| ip_matches(p, peer)),
        RequireLine::Host(domains) => match host.verified_name() {
            Some(name) => domains.iter().any(|d| in_domain(d, name)),
            None => false,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::directives::parse_require;

    struct FakeHost {
        name: Option<&'static str>,
        asked: usize,
    }

    impl HostName for FakeHost {
        fn verified_name(&mut self) -> Option<&str> {
            self.asked += 1;
            self.name
        }
    }

    fn lines(text: &[&str]) -> Vec<RequireLine> {
        text.iter().map(|l| parse_require(l).unwrap()).collect()
    }

    #[test]
    fn require_table() {
        let server: IpAddr = "192.0.2.1".parse().unwrap();
        type Row = (
            &'static [&'static str],
            &'static str,
            Option<&'static str>,
            bool,
        );
        let cases: &[Row] = &[
            (&[], "203.0.113.9", None, true),
            (&["all granted"], "203.0.113.9", None, true),
            (&["all denied"], "127.0.0.1", None, false),
            (&["all denied", "all granted"], "203.0.113.9", None, true),
            (&["local"], "127.0.0.1", None, true),
            (&["local"], "127.8.9.10", None, true),
            (&["local"], "::1", None, true),
            (&["local"], "::ffff:127.0.0.1", None, true),
            (&["local"], "192.0.2.1", None, true),
            (&["local"], "192.0.2.2", None, false),
            (&["ip 10.1"], "10.1.200.3", None, true),
            (&["ip 10.1"], "10.10.0.1", None, false),
            (&["ip 10.1."], "10.1.0.1", None, true),
            (&["ip 192.168.0.0/16"], "192.168.77.1", None, true),
            (&["ip 192.168.0.0/16"], "192.169.0.1", None, false),
            (&["ip 10.0.0.0/255.0.0.0"], "10.200.1.1", None, true),
            (&["ip 10.0.0.0/255.0.0.0"], "11.0.0.1", None, false),
            (&["ip 10.1.2.3"], "10.1.2.3", None, true),
            (&["ip 10.1.2.3"], "10.1.2.4", None, false),
            (&["ip 10.1.2.3"], "::ffff:10.1.2.3", None, true),
            (&["ip ::1"], "::1", None, true),
            (&["ip ::1"], "127.0.0.1", None, false),
            (&["ip 2001:db8::/32"], "2001:db8:1::5", None, true),
            (&["ip 2001:db8::/32"], "2001:db9::5", None, false),
            (&["ip 10.9 192.0.2.0/24"], "192.0.2.77", None, true),
            (&["all denied", "ip 10"], "10.0.0.1", None, true),
            (
                &["host example.org"],
                "203.0.113.9",
                Some("www.example.org"),
                true,
            ),
            (
                &["host example.org"],
                "203.0.113.9",
                Some("example.org"),
                true,
            ),
            (
                &["host example.org"],
                "203.0.113.9",
                Some("badexample.org"),
                false,
            ),
            (
                &["host .example.org"],
                "203.0.113.9",
                Some("a.example.org"),
                true,
            ),
            (
                &["host EXAMPLE.org"],
                "203.0.113.9",
                Some("a.Example.ORG"),
                true,
            ),
            (&["host example.org"], "203.0.113.9", None, false),
            (
                &["host a.test example.org"],
                "203.0.113.9",
                Some("x.a.test"),
                true,
            ),
        ];
        for &(text, peer, name, expected) in cases {
            let mut host = FakeHost { name, asked: 0 };
            let peer: IpAddr = peer.parse().unwrap();
            assert_eq!(
                granted(&lines(text), peer, server, &mut host),
                expected,
                "{text:?} for {peer} ({name:?})"
            );
        }
    }

    #[test]
    fn dns_only_when_a_host_line_is_reached() {
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let mut host = FakeHost {
            name: Some("x.example.org"),
            asked: 0,
        };
        assert!(granted(
            &lines(&["ip 10", "host example.org"]),
            ip,
            ip,
            &mut host
        ));
        assert_eq!(host.asked, 0);
        assert!(granted(
            &lines(&["ip 11", "host example.org"]),
            ip,
            ip,
            &mut host
        ));
        assert_eq!(host.asked, 1);
    }
}
