//! `mpmd -f CONF -S`: prints the running server's status as `server-status?auto` lines, for
//! operators without a browser.
//!
//! With `scoreboard_file` set, the file is mapped read-only and rendered here (no request
//! reaches the server, so it works even when every child is busy). Otherwise the status is
//! fetched over HTTP from the server itself: the first listener on a loopback or wildcard
//! address, at the path of the first `[[location]]` with `handler = "server-status"`. Nothing
//! is ever sent to another host.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::config::{Config, ServerTokens};
use crate::http::site::server_banner;
use crate::scoreboard::{ScoreboardView, now_us};
use crate::status::{self, SERVER_BUILT, ServerInfo};

/// Connect, read and write deadline of the HTTP fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Where to fetch the status from: the first listener mpmd can reach on this machine
/// (a wildcard address is reached through 127.0.0.1). Port 0 (chosen by the kernel at start)
/// cannot be known from the configuration.
pub fn fetch_address(listen: &[SocketAddr]) -> Option<SocketAddr> {
    listen.iter().filter(|a| a.port() != 0).find_map(|addr| {
        let ip = match addr.ip() {
            // `[::]` is dual-stack, or `0.0.0.0` on a machine without IPv6: IPv4 reaches both.
            ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip if ip.is_loopback() => ip,
            _ => return None,
        };
        Some(SocketAddr::new(ip, addr.port()))
    })
}

/// The path of the first server-status location.
pub fn status_path(config: &Config) -> Option<&str> {
    config
        .locations
        .iter()
        .find(|l| l.handler.as_deref() == Some("server-status"))
        .map(|l| l.path.as_str())
}

/// Splits a whole HTTP/1.x response into its status code and body.
pub fn parse_response(raw: &[u8]) -> Result<(u16, &[u8]), String> {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the server's answer has no complete head")?;
    let status_line = raw[..head_end].split(|&b| b == b'\n').next().unwrap_or(b"");
    let status = std::str::from_utf8(status_line)
        .ok()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or("the server's answer has no status line")?;
    Ok((status, &raw[head_end + 4..]))
}

fn fetch(addr: SocketAddr, path: &str) -> Result<String, String> {
    let url = format!("http://{addr}{path}?auto");
    let fail = |e: std::io::Error| format!("could not fetch {url}: {e} (is mpmd running?)");
    let mut stream = TcpStream::connect_timeout(&addr, FETCH_TIMEOUT).map_err(fail)?;
    stream.set_read_timeout(Some(FETCH_TIMEOUT)).map_err(fail)?;
    stream
        .set_write_timeout(Some(FETCH_TIMEOUT))
        .map_err(fail)?;
    let request = format!(
        "GET {path}?auto HTTP/1.0\r\nHost: {}\r\nUser-Agent: mpmd -S\r\nConnection: close\r\n\r\n",
        addr.ip()
    );
    stream.write_all(request.as_bytes()).map_err(fail)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(fail)?;
    let (status, body) = parse_response(&raw).map_err(|e| format!("{url}: {e}"))?;
    match status {
        200 => Ok(String::from_utf8_lossy(body).into_owned()),
        403 => Err(format!(
            "{url} answered 403 Forbidden: its require lines do not admit {} (add \"local\")",
            addr.ip()
        )),
        other => Err(format!("{url} answered {other}")),
    }
}

/// The `?auto` text of the scoreboard in `path`.
fn from_file(config: &Config, path: &std::path::Path) -> Result<String, String> {
    let view = ScoreboardView::open(path).map_err(|e| format!("{e} (is mpmd running?)"))?;
    let snapshot = view.snapshot();
    let master = snapshot.global.master_pid;
    let alive = master > 0
        && !matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(master), None),
            Err(nix::errno::Errno::ESRCH)
        );
    if !alive {
        return Err(format!(
            "{} is stale: its master (pid {master}) is not running",
            path.display()
        ));
    }
    let info = ServerInfo {
        server_name: config.server_name.clone(),
        local_ip: String::new(),
        version: server_banner(ServerTokens::Full),
        built: SERVER_BUILT.to_string(),
    };
    let moment = crate::handlers::status::moment(&snapshot, now_us());
    Ok(status::auto::render(&snapshot, &info, &moment))
}

/// Runs `-S`; returns the exit code.
pub fn run(config: &Config) -> i32 {
    let result = match &config.scoreboard_file {
        Some(path) => from_file(config, path),
        None => match (fetch_address(&config.listen), status_path(config)) {
            (_, None) => Err(
                "no [[location]] with handler = \"server-status\" and no scoreboard_file: \
                 nothing to read the status from"
                    .to_string(),
            ),
            (None, _) => Err(
                "no listener on a loopback or wildcard address with a fixed port (not port 0) \
                 to fetch the status from; set scoreboard_file to read the scoreboard directly"
                    .to_string(),
            ),
            (Some(addr), Some(path)) => fetch(addr, path),
        },
    };
    match result {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(message) => {
            eprintln!("mpmd: {message}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn fetches_only_through_loopback() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["127.0.0.1:8080"], Some("127.0.0.1:8080")),
            (&["0.0.0.0:80"], Some("127.0.0.1:80")),
            (&["[::]:81"], Some("127.0.0.1:81")),
            (&["[::1]:82"], Some("[::1]:82")),
            (&["192.0.2.7:80", "127.0.0.2:8081"], Some("127.0.0.2:8081")),
            (&["192.0.2.7:80"], None),
            (&["127.0.0.1:0", "0.0.0.0:8080"], Some("127.0.0.1:8080")),
            (&["127.0.0.1:0"], None),
            (&[], None),
        ];
        for &(listen, want) in cases {
            let got = fetch_address(&addrs(listen));
            assert_eq!(got, want.map(|w| w.parse().unwrap()), "{listen:?}");
        }
    }

    #[test]
    fn responses() {
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi").unwrap(),
            (200, &b"hi"[..])
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 403 Forbidden\r\n\r\n").unwrap(),
            (403, &b""[..])
        );
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"junk\r\n\r\n").is_err());
    }
}
