//! The access log (mod_log_config): `log_format` compiled once into items, a pure formatter
//! over a [`LogRecord`], and one `write(2)` per line on the O_APPEND file.
//!
//! The formatter never allocates (it appends to a reused buffer) and never reads a clock or
//! calls into the OS: the caller puts the request time, the local UTC offset and the pid in
//! the record. Escaping follows Apache: `%r %i %o %m %H %q %u %C` as `ap_escape_logitem`
//! (`\"`, `\\`, C escapes, `\xhh`), `%U` as a URL path.

use std::fs::File;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use crate::http::date::push_clf_time;
use crate::http::escape::{push_log_escaped, push_path_escaped};
use crate::http::response::push_u64;

/// How the connection ended after this response (`%X`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    /// `X`: aborted before the response completed.
    Aborted,
    /// `+`: kept alive.
    KeepAlive,
    /// `-`: closed after the response.
    Close,
}

/// Everything a log line can mention about one request.
#[derive(Debug, Clone)]
pub struct LogRecord<'a> {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    /// The client's host name when HostnameLookups resolved one (`%h`); else the IP is logged.
    pub remote_host: Option<&'a str>,
    /// The request line without its line end; empty logs `-`.
    pub request_line: &'a [u8],
    pub method: &'a [u8],
    /// Decoded URL path (`%U`).
    pub url_path: &'a [u8],
    /// Query without `?` (`%q` adds it).
    pub query: Option<&'a [u8]>,
    /// `HTTP/1.1` (`%H`).
    pub protocol: &'a [u8],
    pub request_headers: &'a [httparse::Header<'a>],
    /// The response head as sent, for `%{Name}o`.
    pub response_head: &'a [u8],
    pub status: u16,
    /// Response body bytes (`%b`, `%B`).
    pub body_bytes: u64,
    /// Request bytes read including the head (`%I`).
    pub bytes_in: u64,
    /// Response bytes written including the head (`%O`).
    pub bytes_out: u64,
    /// Request time, Unix microseconds.
    pub request_micros: i64,
    /// Local time zone offset in seconds east of UTC (for `%t`).
    pub utc_offset: i32,
    /// Time taken to serve the request (`%D`, `%T`).
    pub duration: Duration,
    /// Keep-alive requests before this one on the connection (`%k`).
    pub keepalives: u32,
    pub conn_status: ConnStatus,
    /// ServerName (`%v`).
    pub server_name: &'a str,
    /// The request's host (`%V`), `host[:port]`.
    pub host: Option<&'a str>,
    pub pid: u32,
    /// The file served (`%f`).
    pub filename: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    RemoteHost,
    ClientIp,
    PeerIp,
    LocalIp,
    Dash,
    Time,
    TimeUnit { unit: TimeUnit, end: bool },
    RequestLine,
    Status,
    BytesClf,
    Bytes,
    Micros,
    Secs,
    Millis,
    ReqHeader(String),
    RespHeader(String),
    Cookie(String),
    Method,
    UrlPath,
    Query,
    Protocol,
    ServerName,
    HostName,
    LocalPort,
    RemotePort,
    Pid,
    ConnStatus,
    BytesIn,
    BytesOut,
    BytesBoth,
    KeepAlives,
    Filename,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeUnit {
    Sec,
    Msec,
    Usec,
    MsecFrac,
    UsecFrac,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(Vec<u8>),
    Field {
        field: Field,
        statuses: Vec<u16>,
        negate: bool,
    },
}

/// A compiled `log_format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormat {
    items: Vec<Item>,
    uses_pid: bool,
}

impl LogFormat {
    /// Compiles an Apache format string (`common`/`combined` already expanded by the config).
    pub fn compile(fmt: &str) -> Result<LogFormat, String> {
        let mut items = Vec::new();
        let mut lit = Vec::new();
        let b = fmt.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    i += 1;
                    if b.get(i) == Some(&b'%') {
                        lit.push(b'%');
                        i += 1;
                        continue;
                    }
                    if !lit.is_empty() {
                        items.push(Item::Literal(std::mem::take(&mut lit)));
                    }
                    let (item, next) = parse_directive(fmt, i)?;
                    items.push(item);
                    i = next;
                }
                b'\\' if i + 1 < b.len() => {
                    match b[i + 1] {
                        b'n' => lit.push(b'\n'),
                        b't' => lit.push(b'\t'),
                        b'"' => lit.push(b'"'),
                        b'\\' => lit.push(b'\\'),
                        c => lit.extend_from_slice(&[b'\\', c]),
                    }
                    i += 2;
                }
                c => {
                    lit.push(c);
                    i += 1;
                }
            }
        }
        if !lit.is_empty() {
            items.push(Item::Literal(lit));
        }
        let uses_pid = items.iter().any(|it| {
            matches!(
                it,
                Item::Field {
                    field: Field::Pid,
                    ..
                }
            )
        });
        Ok(LogFormat { items, uses_pid })
    }

    /// Whether `%P` is used (the caller then fills `pid`).
    pub fn uses_pid(&self) -> bool {
        self.uses_pid
    }

    /// Appends the line for `r`, newline included.
    pub fn format(&self, r: &LogRecord<'_>, out: &mut Vec<u8>) {
        for item in &self.items {
            match item {
                Item::Literal(l) => out.extend_from_slice(l),
                Item::Field {
                    field,
                    statuses,
                    negate,
                } => {
                    if !statuses.is_empty() && statuses.contains(&r.status) == *negate {
                        out.push(b'-');
                    } else {
                        format_field(field, r, out);
                    }
                }
            }
        }
        out.push(b'\n');
    }
}

fn parse_directive(fmt: &str, mut i: usize) -> Result<(Item, usize), String> {
    let b = fmt.as_bytes();
    let mut param: Option<&str> = None;
    let mut statuses = Vec::new();
    let mut negate = false;
    loop {
        let Some(&c) = b.get(i) else {
            return Err("format string ends in the middle of a % directive".to_string());
        };
        match c {
            b'!' => negate = true,
            b'<' | b'>' | b',' => {}
            b'{' => {
                let close = fmt[i..]
                    .find('}')
                    .ok_or("unterminated {...} in a % directive")?;
                param = Some(&fmt[i + 1..i + close]);
                i += close;
            }
            b'0'..=b'9' => {
                let end = fmt[i..]
                    .find(|ch: char| !ch.is_ascii_digit())
                    .map_or(fmt.len(), |e| i + e);
                statuses.push(
                    fmt[i..end]
                        .parse()
                        .map_err(|_| "bad status in a % directive")?,
                );
                i = end - 1;
            }
            _ => {
                let field = field_for(c, param)?;
                return Ok((
                    Item::Field {
                        field,
                        statuses,
                        negate,
                    },
                    i + 1,
                ));
            }
        }
        i += 1;
    }
}

fn field_for(c: u8, param: Option<&str>) -> Result<Field, String> {
    let need = |what: &str| {
        param
            .map(str::to_string)
            .ok_or(format!("%{} needs a {{{what}}} argument", c as char))
    };
    Ok(match (c, param) {
        (b'h', _) => Field::RemoteHost,
        (b'a', Some("c")) => Field::PeerIp,
        (b'a', _) => Field::ClientIp,
        (b'A', _) => Field::LocalIp,
        (b'l' | b'u' | b'e' | b'n' | b'R' | b'L', _) => Field::Dash,
        (b't', None) => Field::Time,
        (b't', Some(p)) => {
            let (end, unit) = match p.split_once(':') {
                Some(("begin", u)) => (false, u),
                Some(("end", u)) => (true, u),
                _ => (false, p),
            };
            let unit = match unit {
                "sec" => TimeUnit::Sec,
                "msec" => TimeUnit::Msec,
                "usec" => TimeUnit::Usec,
                "msec_frac" => TimeUnit::MsecFrac,
                "usec_frac" => TimeUnit::UsecFrac,
                _ => return Err(format!("%{{{p}}}t: strftime formats are not supported yet")),
            };
            Field::TimeUnit { unit, end }
        }
        (b'r', _) => Field::RequestLine,
        (b's', _) => Field::Status,
        (b'b', _) => Field::BytesClf,
        (b'B', _) => Field::Bytes,
        (b'D', _) => Field::Micros,
        (b'T', None | Some("s")) => Field::Secs,
        (b'T', Some("ms")) => Field::Millis,
        (b'T', Some("us")) => Field::Micros,
        (b'T', Some(p)) => return Err(format!("%{{{p}}}T: unit must be s, ms or us")),
        (b'i', _) => Field::ReqHeader(need("header")?),
        (b'o', _) => Field::RespHeader(need("header")?),
        (b'C', _) => Field::Cookie(need("cookie")?),
        (b'm', _) => Field::Method,
        (b'U', _) => Field::UrlPath,
        (b'q', _) => Field::Query,
        (b'H', _) => Field::Protocol,
        (b'v', _) => Field::ServerName,
        (b'V', _) => Field::HostName,
        (b'p', None | Some("canonical" | "local")) => Field::LocalPort,
        (b'p', Some("remote")) => Field::RemotePort,
        (b'p', Some(p)) => return Err(format!("%{{{p}}}p: must be canonical, local or remote")),
        (b'P', None | Some("pid")) => Field::Pid,
        (b'P', Some(p)) => return Err(format!("%{{{p}}}P is not supported yet")),
        (b'X', _) => Field::ConnStatus,
        (b'I', _) => Field::BytesIn,
        (b'O', _) => Field::BytesOut,
        (b'S', _) => Field::BytesBoth,
        (b'k', _) => Field::KeepAlives,
        (b'f', _) => Field::Filename,
        _ => return Err(format!("unrecognized log_format directive %{}", c as char)),
    })
}

fn push_ip(out: &mut Vec<u8>, a: &SocketAddr) {
    // IpAddr's Display does not allocate into our buffer; write! into a Vec cannot fail.
    let _ = write!(out, "{}", a.ip());
}

fn push_padded(out: &mut Vec<u8>, v: u64, width: usize) {
    let start = out.len();
    push_u64(out, v);
    let len = out.len() - start;
    if len < width {
        out.splice(start..start, std::iter::repeat_n(b'0', width - len));
    }
}

fn push_or_dash(out: &mut Vec<u8>, v: Option<&[u8]>, escape: bool) {
    match v {
        Some(v) if escape => push_log_escaped(out, v),
        Some(v) => out.extend_from_slice(v),
        None => out.push(b'-'),
    }
}

/// `Name: value` lookup in a raw response head.
fn response_header<'h>(head: &'h [u8], name: &str) -> Option<&'h [u8]> {
    head.split(|&b| b == b'\n')
        .skip(1)
        .take_while(|l| l.len() > 1)
        .find_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = line.iter().position(|&b| b == b':')?;
            line[..colon]
                .eq_ignore_ascii_case(name.as_bytes())
                .then(|| line[colon + 1..].trim_ascii())
        })
}

fn cookie<'a>(headers: &[httparse::Header<'a>], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("cookie"))
        .find_map(|h| {
            h.value.split(|&b| b == b';').find_map(|pair| {
                let pair = pair.trim_ascii();
                let eq = pair.iter().position(|&b| b == b'=')?;
                (pair[..eq].trim_ascii() == name.as_bytes()).then(|| pair[eq + 1..].trim_ascii())
            })
        })
}

fn format_field(f: &Field, r: &LogRecord<'_>, out: &mut Vec<u8>) {
    match f {
        Field::RemoteHost => match r.remote_host {
            Some(h) => out.extend_from_slice(h.as_bytes()),
            None => push_ip(out, &r.peer),
        },
        Field::ClientIp | Field::PeerIp => push_ip(out, &r.peer),
        Field::LocalIp => push_ip(out, &r.local),
        Field::Dash => out.push(b'-'),
        Field::Time => push_clf_time(out, r.request_micros.div_euclid(1_000_000), r.utc_offset),
        Field::TimeUnit { unit, end } => {
            let us = r.request_micros
                + if *end {
                    r.duration.as_micros() as i64
                } else {
                    0
                };
            let us = us.max(0) as u64;
            match unit {
                TimeUnit::Sec => push_u64(out, us / 1_000_000),
                TimeUnit::Msec => push_u64(out, us / 1000),
                TimeUnit::Usec => push_u64(out, us),
                TimeUnit::MsecFrac => push_padded(out, us / 1000 % 1000, 3),
                TimeUnit::UsecFrac => push_padded(out, us % 1_000_000, 6),
            }
        }
        Field::RequestLine => {
            push_or_dash(out, Some(r.request_line).filter(|l| !l.is_empty()), true);
        }
        Field::Status => push_u64(out, u64::from(r.status)),
        Field::BytesClf if r.body_bytes == 0 => out.push(b'-'),
        Field::BytesClf | Field::Bytes => push_u64(out, r.body_bytes),
        Field::Micros => push_u64(out, r.duration.as_micros() as u64),
        Field::Secs => push_u64(out, r.duration.as_secs()),
        Field::Millis => push_u64(out, r.duration.as_millis() as u64),
        Field::ReqHeader(name) => {
            let v = r
                .request_headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value);
            push_or_dash(out, v, true);
        }
        Field::RespHeader(name) => push_or_dash(out, response_header(r.response_head, name), true),
        Field::Cookie(name) => push_or_dash(out, cookie(r.request_headers, name), true),
        Field::Method => push_or_dash(out, Some(r.method).filter(|m| !m.is_empty()), true),
        Field::UrlPath => push_path_escaped(out, r.url_path),
        Field::Query => {
            if let Some(q) = r.query {
                out.push(b'?');
                push_log_escaped(out, q);
            }
        }
        Field::Protocol => push_log_escaped(out, r.protocol),
        Field::ServerName => out.extend_from_slice(r.server_name.as_bytes()),
        Field::HostName => match r.host.filter(|h| !h.is_empty()) {
            Some(h) => {
                let name = if h.starts_with('[') {
                    h.find(']').map_or(h, |i| &h[..=i])
                } else {
                    h.rsplit_once(':').map_or(h, |(n, _)| n)
                };
                push_log_escaped(out, name.to_ascii_lowercase().as_bytes());
            }
            None => out.extend_from_slice(r.server_name.as_bytes()),
        },
        Field::LocalPort => push_u64(out, u64::from(r.local.port())),
        Field::RemotePort => push_u64(out, u64::from(r.peer.port())),
        Field::Pid => push_u64(out, u64::from(r.pid)),
        Field::ConnStatus => out.push(match r.conn_status {
            ConnStatus::Aborted => b'X',
            ConnStatus::KeepAlive => b'+',
            ConnStatus::Close => b'-',
        }),
        Field::BytesIn => push_u64(out, r.bytes_in),
        Field::BytesOut => push_u64(out, r.bytes_out),
        Field::BytesBoth => push_u64(out, r.bytes_in + r.bytes_out),
        Field::KeepAlives => push_u64(out, u64::from(r.keepalives)),
        Field::Filename => push_or_dash(out, Some(r.filename).filter(|f| !f.is_empty()), true),
    }
}

/// The open access log and its format.
#[derive(Debug)]
pub struct AccessLog {
    format: LogFormat,
    file: File,
}

impl AccessLog {
    pub fn new(format: LogFormat, file: File) -> AccessLog {
        AccessLog { format, file }
    }

    pub fn format(&self) -> &LogFormat {
        &self.format
    }

    /// Appends one line with a single `write(2)` (O_APPEND makes concurrent children's lines
    /// land whole; a short write, which regular files do not produce, is finished off).
    pub fn write_line(&self, mut line: &[u8]) -> io::Result<()> {
        while !line.is_empty() {
            match (&self.file).write(line) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => line = &line[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
