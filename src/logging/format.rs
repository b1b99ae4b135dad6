//! mod_log_config's format strings: `log_format` compiled once into items, and a pure
//! formatter over a [`LogRecord`].
//!
//! The formatter allocates nothing on the common path (it appends to a reused buffer) and
//! never reads a clock or calls into the OS: the caller puts the request time, the local UTC
//! offset and zone, the pid and thread id in the record. Items follow httpd 2.4's handlers:
//! `%r %i %o %m %H %q %U %f %h %v %V %C` escaped as `ap_escape_logitem` (`\"`, `\\`, C
//! escapes, `\xhh`); `%{X}o` sees the headers the handler set (not Date or Server; a
//! Content-Type without its parameters); an argument a handler does not know is printed as
//! is (`%{bogus}T` logs `bogus`), as Apache does.

use std::net::SocketAddr;
use std::time::Duration;

use crate::http::date::push_clf_time;
use crate::http::escape::push_log_escaped;
use crate::http::response::push_u64;
use crate::http::strftime::{Tm, strftime};

/// How the connection ended after this response (`%X`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    /// `X`: aborted before the response completed.
    Aborted,
    /// `+`: kept alive, with keep-alive requests left.
    KeepAlive,
    /// `-`: closed after the response (or no keep-alive requests left).
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
    /// The local zone's abbreviation (`%{%Z}t`).
    pub zone: &'a str,
    /// Time taken to serve the request (`%D`, `%T`).
    pub duration: Duration,
    /// Keep-alive requests before this one on the connection (`%k`).
    pub keepalives: u32,
    pub conn_status: ConnStatus,
    /// ServerName (`%v`; its port, if it has one, is `%p`'s canonical port).
    pub server_name: &'a str,
    /// The request's host (`%V`), `host[:port]`.
    pub host: Option<&'a str>,
    pub pid: u32,
    /// The serving thread (`%{tid}P`, `%{hextid}P`).
    pub tid: u64,
    /// The file served (`%f`).
    pub filename: &'a [u8],
}

/// `%t`'s flavours (`log_request_time`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum TimeFormat {
    Clf,
    Sec,
    Msec,
    Usec,
    MsecFrac,
    UsecFrac,
    Strftime(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    RemoteHost,
    ClientIp,
    PeerIp,
    LocalIp,
    Dash,
    Time {
        format: TimeFormat,
        end: bool,
    },
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
    CanonicalPort,
    LocalPort,
    RemotePort,
    Pid,
    Tid {
        hex: bool,
    },
    ConnStatus,
    BytesIn,
    BytesOut,
    BytesBoth,
    KeepAlives,
    Filename,
    /// An argument the handler does not know: Apache logs the argument itself.
    Text(String),
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
    uses_tid: bool,
}

impl LogFormat {
    /// Compiles an Apache format string (`common`/`combined` already expanded by the config).
    /// In literal text `\n`, `\r`, `\t` and `\\` are escapes, and `\"` is a quote (what
    /// httpd.conf's own quoting leaves of it); any other backslash stays.
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
                        b'r' => lit.push(b'\r'),
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
        let uses = |want: fn(&Field) -> bool| {
            items
                .iter()
                .any(|it| matches!(it, Item::Field { field, .. } if want(field)))
        };
        let uses_pid = uses(|f| matches!(f, Field::Pid));
        let uses_tid = uses(|f| matches!(f, Field::Tid { .. }));
        Ok(LogFormat {
            items,
            uses_pid,
            uses_tid,
        })
    }

    /// Whether `%P` is used (the caller then fills `pid`).
    pub fn uses_pid(&self) -> bool {
        self.uses_pid
    }

    /// Whether `%{tid}P` or `%{hextid}P` is used (the caller then fills `tid`).
    pub fn uses_tid(&self) -> bool {
        self.uses_tid
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
            b'!' => negate = !negate,
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
            b'^' if matches!(b.get(i + 1..i + 3), Some(b"ti" | b"to")) => {
                // Trailers (`%{X}^ti`, `%{X}^to`): HTTP/1.1 requests here never have any.
                return Ok((
                    Item::Field {
                        field: Field::Dash,
                        statuses,
                        negate,
                    },
                    i + 3,
                ));
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

/// `log_request_time`'s reading of `%{...}t`: `begin:`/`end:` prefixes, then `sec`, `msec`,
/// `usec`, `msec_frac`, `usec_frac`, nothing (CLF), or a strftime format.
fn time_field(arg: &str) -> Field {
    let (mut rest, mut custom, mut end) = (arg, arg, false);
    for (prefix, at_end) in [("begin", false), ("end", true)] {
        if let Some(r) = rest.strip_prefix(prefix) {
            if r.is_empty() {
                return Field::Time {
                    format: TimeFormat::Clf,
                    end: at_end,
                };
            }
            rest = r;
            if let Some(r) = r.strip_prefix(':') {
                rest = r;
                custom = r;
                end = at_end;
            }
            break;
        }
    }
    let format = match rest {
        "msec" => TimeFormat::Msec,
        "msec_frac" => TimeFormat::MsecFrac,
        "usec" => TimeFormat::Usec,
        "usec_frac" => TimeFormat::UsecFrac,
        "sec" => TimeFormat::Sec,
        "" => TimeFormat::Clf,
        _ => TimeFormat::Strftime(custom.as_bytes().to_vec()),
    };
    Field::Time { format, end }
}

fn field_for(c: u8, param: Option<&str>) -> Result<Field, String> {
    let need = |what: &str| {
        param
            .map(str::to_string)
            .ok_or(format!("%{} needs a {{{what}}} argument", c as char))
    };
    let arg = param.unwrap_or("");
    let text = || Field::Text(arg.to_string());
    Ok(match c {
        b'h' => Field::RemoteHost,
        b'a' if arg == "c" => Field::PeerIp,
        b'a' => Field::ClientIp,
        b'A' => Field::LocalIp,
        b'l' | b'u' | b'e' | b'n' | b'R' | b'L' => Field::Dash,
        b't' if arg.is_empty() => Field::Time {
            format: TimeFormat::Clf,
            end: false,
        },
        b't' => time_field(arg),
        b'r' => Field::RequestLine,
        b's' => Field::Status,
        b'b' => Field::BytesClf,
        b'B' => Field::Bytes,
        b'D' => Field::Micros,
        b'T' if arg.is_empty() || arg.eq_ignore_ascii_case("s") => Field::Secs,
        b'T' if arg.eq_ignore_ascii_case("ms") => Field::Millis,
        b'T' if arg.eq_ignore_ascii_case("us") => Field::Micros,
        b'T' => text(),
        b'i' => Field::ReqHeader(need("header")?),
        b'o' => Field::RespHeader(need("header")?),
        b'C' => Field::Cookie(need("cookie")?),
        b'm' => Field::Method,
        b'U' => Field::UrlPath,
        b'q' => Field::Query,
        b'H' => Field::Protocol,
        b'v' => Field::ServerName,
        b'V' => Field::HostName,
        b'p' if arg.is_empty() || arg.eq_ignore_ascii_case("canonical") => Field::CanonicalPort,
        b'p' if arg.eq_ignore_ascii_case("local") => Field::LocalPort,
        b'p' if arg.eq_ignore_ascii_case("remote") => Field::RemotePort,
        b'p' => text(),
        b'P' if arg.is_empty() || arg.eq_ignore_ascii_case("pid") => Field::Pid,
        b'P' if arg.eq_ignore_ascii_case("tid") => Field::Tid { hex: false },
        b'P' if arg.eq_ignore_ascii_case("hextid") => Field::Tid { hex: true },
        b'P' => text(),
        b'X' => Field::ConnStatus,
        b'I' => Field::BytesIn,
        b'O' => Field::BytesOut,
        b'S' => Field::BytesBoth,
        b'k' => Field::KeepAlives,
        b'f' => Field::Filename,
        _ => return Err(format!("unrecognized log_format directive %{}", c as char)),
    })
}

fn push_ip(out: &mut Vec<u8>, a: &SocketAddr) {
    use std::io::Write;
    // IpAddr's Display writes straight into the Vec, which cannot fail.
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

fn push_or_dash(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        Some(v) => push_log_escaped(out, v),
        None => out.push(b'-'),
    }
}

/// `Name: value` lookup in a raw response head, as `apr_table_get(r->headers_out, name)`
/// sees it: Date and Server are not in that table, and a Content-Type loses its parameters.
fn response_header<'h>(head: &'h [u8], name: &str) -> Option<&'h [u8]> {
    if name.eq_ignore_ascii_case("date") || name.eq_ignore_ascii_case("server") {
        return None;
    }
    let value = head
        .split(|&b| b == b'\n')
        .skip(1)
        .take_while(|l| l.len() > 1)
        .find_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = line.iter().position(|&b| b == b':')?;
            line[..colon]
                .eq_ignore_ascii_case(name.as_bytes())
                .then(|| line[colon + 1..].trim_ascii())
        })?;
    if name.eq_ignore_ascii_case("content-type") {
        let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
        return Some(value[..end].trim_ascii_end());
    }
    Some(value)
}

/// `log_cookie`: the first `name=value` pair of the Cookie header whose name matches
/// case-insensitively (blanks around names and values dropped; pairs without a value skipped).
fn cookie<'a>(headers: &[httparse::Header<'a>], name: &str) -> Option<&'a [u8]> {
    let h = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("cookie"))?;
    h.value
        .split(|&b| b == b';')
        .filter(|pair| !pair.is_empty())
        .find_map(|pair| {
            let eq = pair.iter().position(|&b| b == b'=')?;
            let (n, v) = (pair[..eq].trim_ascii(), pair[eq + 1..].trim_ascii());
            (!n.is_empty() && !v.is_empty() && n.eq_ignore_ascii_case(name.as_bytes())).then_some(v)
        })
}

/// `%p`: the port of ServerName when it has one, else the scheme's default (Apache's
/// `r->server->port ? r->server->port : ap_default_port(r)`).
fn canonical_port(server_name: &str) -> u16 {
    server_name
        .rsplit_once(':')
        .filter(|(host, _)| !host.ends_with(':'))
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(80)
}

fn format_time(format: &TimeFormat, end: bool, r: &LogRecord<'_>, out: &mut Vec<u8>) {
    let us = r.request_micros
        + if end {
            r.duration.as_micros() as i64
        } else {
            0
        };
    let secs = us.div_euclid(1_000_000);
    let us = us.max(0) as u64;
    match format {
        TimeFormat::Clf => push_clf_time(out, secs, r.utc_offset),
        TimeFormat::Sec => push_u64(out, us / 1_000_000),
        TimeFormat::Msec => push_u64(out, us / 1000),
        TimeFormat::Usec => push_u64(out, us),
        TimeFormat::MsecFrac => push_padded(out, us / 1000 % 1000, 3),
        TimeFormat::UsecFrac => push_padded(out, us % 1_000_000, 6),
        TimeFormat::Strftime(f) => {
            strftime(out, f, &Tm::at(secs, i64::from(r.utc_offset), r.zone));
        }
    }
}

fn format_field(f: &Field, r: &LogRecord<'_>, out: &mut Vec<u8>) {
    match f {
        Field::RemoteHost => match r.remote_host {
            Some(h) => push_log_escaped(out, h.as_bytes()),
            None => push_ip(out, &r.peer),
        },
        Field::ClientIp | Field::PeerIp => push_ip(out, &r.peer),
        Field::LocalIp => push_ip(out, &r.local),
        Field::Dash => out.push(b'-'),
        Field::Time { format, end } => format_time(format, *end, r, out),
        Field::RequestLine => push_or_dash(out, Some(r.request_line).filter(|l| !l.is_empty())),
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
            push_or_dash(out, v);
        }
        Field::RespHeader(name) => push_or_dash(out, response_header(r.response_head, name)),
        Field::Cookie(name) => push_or_dash(out, cookie(r.request_headers, name)),
        Field::Method => push_or_dash(out, Some(r.method).filter(|m| !m.is_empty())),
        Field::UrlPath => push_log_escaped(out, r.url_path),
        Field::Query => {
            if let Some(q) = r.query {
                out.push(b'?');
                push_log_escaped(out, q);
            }
        }
        Field::Protocol => push_log_escaped(out, r.protocol),
        Field::ServerName => push_log_escaped(out, r.server_name.as_bytes()),
        Field::HostName => match r.host.filter(|h| !h.is_empty()) {
            Some(h) => {
                let name = if h.starts_with('[') {
                    h.find(']').map_or(h, |i| &h[..=i])
                } else {
                    h.rsplit_once(':').map_or(h, |(n, _)| n)
                };
                push_log_escaped(out, name.to_ascii_lowercase().as_bytes());
            }
            None => push_log_escaped(out, r.server_name.as_bytes()),
        },
        Field::CanonicalPort => push_u64(out, u64::from(canonical_port(r.server_name))),
        Field::LocalPort => push_u64(out, u64::from(r.local.port())),
        Field::RemotePort => push_u64(out, u64::from(r.peer.port())),
        Field::Pid => push_u64(out, u64::from(r.pid)),
        Field::Tid { hex: false } => push_u64(out, r.tid),
        Field::Tid { hex: true } => out.extend_from_slice(format!("{:x}", r.tid).as_bytes()),
        Field::ConnStatus => out.push(match r.conn_status {
            ConnStatus::Aborted => b'X',
            ConnStatus::KeepAlive => b'+',
            ConnStatus::Close => b'-',
        }),
        Field::BytesIn => push_u64(out, r.bytes_in),
        Field::BytesOut => push_u64(out, r.bytes_out),
        Field::BytesBoth => push_u64(out, r.bytes_in + r.bytes_out),
        Field::KeepAlives => push_u64(out, u64::from(r.keepalives)),
        Field::Filename => push_or_dash(out, Some(r.filename).filter(|f| !f.is_empty())),
        Field::Text(t) => out.extend_from_slice(t.as_bytes()),
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
