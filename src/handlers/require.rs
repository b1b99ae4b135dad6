//! Apache's `Require` lines (mod_authz_core + mod_authz_host) for `[[location]]` sections, as a
//! pure decision: parsed lines, the client's address and the server's address in, allowed or
//! not out. No DNS, no I/O.
//!
//! The lines of one section behave as Apache's implicit `<RequireAny>`: the first line that
//! grants allows the request; no lines at all allows it (no access control configured).
//! `all denied` never grants. `host` lines (which need DNS) and `not` lines (which can never
//! grant inside `<RequireAny>`, Apache refuses them there) are rejected by the configuration
//! for locations; if they reach this module anyway they never grant.

use std::net::{IpAddr, Ipv4Addr};

/// One parsed `Require` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequireLine {
    /// `all granted` (true) or `all denied` (false).
    All(bool),
    /// `local`: loopback clients, or a client connecting from the server's own address.
    Local,
    /// `ip PATTERN...`: any of the networks.
    Ip(Vec<IpNetwork>),
    /// `host NAME...`: needs DNS; never grants here.
    Host(Vec<String>),
    /// `not LINE`: never grants on its own.
    Not(Box<RequireLine>),
}

/// An address and a mask, both IPv4 or both IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpNetwork {
    V4 { addr: u32, mask: u32 },
    V6 { addr: u128, mask: u128 },
}

impl IpNetwork {
    /// Whether `ip` is in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, canonical(ip)) {
            (IpNetwork::V4 { addr, mask }, IpAddr::V4(v4)) => u32::from(v4) & mask == *addr,
            (IpNetwork::V6 { addr, mask }, IpAddr::V6(v6)) => u128::from(v6) & mask == *addr,
            _ => false,
        }
    }

    /// Parses what mod_authz_host accepts after `ip`: a full address (`10.1.2.3`, `::1`), a
    /// partial IPv4 address (`10.1`, `10.1.`), `ADDR/BITS`, or `IPv4/NETMASK`.
    pub fn parse(text: &str) -> Result<IpNetwork, String> {
        let bad = || format!("\"{text}\" is not an IP address, network or prefix");
        if let Some((addr, mask)) = text.split_once('/') {
            let ip: IpAddr = addr.parse().map_err(|_| bad())?;
            return match ip {
                IpAddr::V4(v4) => {
                    let mask = match mask.parse::<u8>() {
                        Ok(bits) if bits <= 32 => prefix_mask32(bits),
                        Ok(_) => return Err(bad()),
                        Err(_) => u32::from(mask.parse::<Ipv4Addr>().map_err(|_| bad())?),
                    };
                    Ok(IpNetwork::V4 {
                        addr: u32::from(v4) & mask,
                        mask,
                    })
                }
                IpAddr::V6(v6) => {
                    let bits = mask
                        .parse::<u8>()
                        .ok()
                        .filter(|b| *b <= 128)
                        .ok_or_else(bad)?;
                    let mask = prefix_mask128(bits);
                    Ok(IpNetwork::V6 {
                        addr: u128::from(v6) & mask,
                        mask,
                    })
                }
            };
        }
        match text.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => {
                return Ok(IpNetwork::V4 {
                    addr: u32::from(v4),
                    mask: u32::MAX,
                });
            }
            Ok(IpAddr::V6(v6)) => {
                return Ok(IpNetwork::V6 {
                    addr: u128::from(v6),
                    mask: u128::MAX,
                });
            }
            Err(_) => {}
        }
        // A partial IPv4 address: one to three leading octets, optionally with a final dot.
        let parts: Vec<&str> = text.strip_suffix('.').unwrap_or(text).split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return Err(bad());
        }
        let mut addr = 0u32;
        for (i, part) in parts.iter().enumerate() {
            let octet: u8 = part.parse().map_err(|_| bad())?;
            addr |= u32::from(octet) << (24 - 8 * i);
        }
        Ok(IpNetwork::V4 {
            addr,
            mask: prefix_mask32(8 * parts.len() as u8),
        })
    }
}

fn prefix_mask32(bits: u8) -> u32 {
    if bits == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(bits))
    }
}

fn prefix_mask128(bits: u8) -> u128 {
    if bits == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(bits))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) as IPv4, as APR compares them.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl RequireLine {
    /// Parses one line (`all granted`, `local`, `ip 10.1 ::1`, `host a.example`, `not ...`).
    pub fn parse(line: &str) -> Result<RequireLine, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["all", "granted"] => Ok(RequireLine::All(true)),
            ["all", "denied"] => Ok(RequireLine::All(false)),
            ["local"] => Ok(RequireLine::Local),
            ["ip", patterns @ ..] if !patterns.is_empty() => patterns
                .iter()
                .map(|p| IpNetwork::parse(p))
                .collect::<Result<Vec<_>, _>>()
                .map(RequireLine::Ip),
            ["host", names @ ..] if !names.is_empty() => Ok(RequireLine::Host(
                names.iter().map(|n| n.to_string()).collect(),
            )),
            ["not", rest @ ..] if !rest.is_empty() && rest[0] != "not" && rest[0] != "all" => {
                RequireLine::parse(&rest.join(" ")).map(|l| RequireLine::Not(Box::new(l)))
            }
            _ => Err(format!("\"{line}\" is not a require line")),
        }
    }

    /// Whether this line matches the client (`not` inverts; `host` never matches here).
    fn matches(&self, peer: IpAddr, local: IpAddr) -> bool {
        match self {
            RequireLine::All(granted) => *granted,
            RequireLine::Local => {
                let peer = canonical(peer);
                peer.is_loopback() || peer == canonical(local)
            }
            RequireLine::Ip(networks) => networks.iter().any(|n| n.contains(peer)),
            RequireLine::Host(_) => false,
            RequireLine::Not(inner) => !inner.matches(peer, local),
        }
    }

    /// Whether this line grants access (Apache: a negated line is at best neutral).
    pub fn grants(&self, peer: IpAddr, local: IpAddr) -> bool {
        !matches!(self, RequireLine::Not(_)) && self.matches(peer, local)
    }
}

/// Apache's implicit `<RequireAny>`: allowed when there are no lines or any line grants.
pub fn allows(lines: &[RequireLine], peer: IpAddr, local: IpAddr) -> bool {
    lines.is_empty() || lines.iter().any(|line| line.grants(peer, local))
}

/// Parses every line of a section (the configuration already checked them).
pub fn parse_lines(lines: &[String]) -> Result<Vec<RequireLine>, String> {
    lines.iter().map(|l| RequireLine::parse(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks() {
        let cases: &[(&str, &str, bool)] = &[
            ("10.1", "10.1.2.3", true),
            ("10.1", "10.2.0.1", false),
            ("10.1.", "10.1.255.255", true),
            ("10", "10.200.0.1", true),
            ("192.168.1.7", "192.168.1.7", true),
            ("192.168.1.7", "192.168.1.8", false),
            ("192.168.0.0/16", "192.168.44.1", true),
            ("192.168.0.0/16", "192.169.0.1", false),
            ("10.0.0.0/255.0.0.0", "10.9.9.9", true),
            ("10.0.0.0/255.0.0.0", "11.0.0.1", false),
            ("0.0.0.0/0", "8.8.8.8", true),
            ("::1", "::1", true),
            ("::1", "::2", false),
            ("2001:db8::/32", "2001:db8:1::5", true),
            ("2001:db8::/32", "2001:db9::5", false),
            ("10.1", "::ffff:10.1.0.9", true),
            ("10.1", "::1", false),
            ("::1", "127.0.0.1", false),
        ];
        for &(pattern, addr, want) in cases {
            let net = IpNetwork::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            assert_eq!(net.contains(ip(addr)), want, "{pattern} contains {addr}");
        }
        for bad in [
            "300.1",
            "10.0.0.0/33",
            "::1/129",
            "a.b",
            "1.2.3.4.5",
            "",
            "10.1..",
            "10.0.0.0/255.0.0",
        ] {
            assert!(IpNetwork::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn require_any_table() {
        let local = ip("192.0.2.10");
        let cases: &[(&[&str], &str, bool)] = &[
            (&[], "203.0.113.5", true),
            (&["all granted"], "203.0.113.5", true),
            (&["all denied"], "127.0.0.1", false),
            (&["local"], "127.0.0.1", true),
            (&["local"], "127.5.6.7", true),
            (&["local"], "::1", true),
            (&["local"], "::ffff:127.0.0.1", true),
            (&["local"], "192.0.2.10", true),
            (&["local"], "192.0.2.11", false),
            (&["local"], "203.0.113.5", false),
            (&["ip 203.0.113"], "203.0.113.5", true),
            (&["local", "ip 198.51.100.0/24"], "198.51.100.77", true),
            (&["local", "ip 198.51.100.0/24"], "198.51.101.77", false),
            (&["all denied", "local"], "127.0.0.1", true),
            (&["host localhost"], "127.0.0.1", false),
            (&["not ip 10.1"], "192.0.2.1", false),
        ];
        for &(lines, peer, want) in cases {
            let owned: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let parsed = parse_lines(&owned).unwrap();
            assert_eq!(
                allows(&parsed, ip(peer), local),
                want,
                "{lines:?} for {peer}"
            );
        }
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "all",
            "all maybe",
            "ip",
            "ip 300.1.1.1",
            "everyone",
            "not not local",
            "not all granted",
        ] {
            assert!(RequireLine::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            RequireLine::parse("not ip 10.1").unwrap(),
            RequireLine::Not(Box::new(RequireLine::Ip(vec![IpNetwork::V4 {
                addr: 0x0a01_0000,
                mask: 0xffff_0000
            }])))
        );
    }
}
