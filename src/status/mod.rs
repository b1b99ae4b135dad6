//! The status outputs of `/server-status` and `mpmd -S`: pure functions of a scoreboard
//! [`Snapshot`], what the server says about itself ([`ServerInfo`]) and the moment of the
//! request ([`Moment`]).
//!
//! | query                 | output                                    | module       |
//! |-----------------------|-------------------------------------------|--------------|
//! | (none), `?notable`    | Apache's HTML page                        | `html.rs`    |
//! | `?auto`               | Apache 2.4.63's machine-readable lines    | `auto.rs`    |
//! | `?json`               | the whole snapshot                        | `json.rs`    |
//! | `?metrics`, `?prometheus` | Prometheus text exposition 0.0.4      | `metrics.rs` |
//!
//! Query words are matched as substrings anywhere in the query, as mod_status does;
//! `refresh[=N]` adds a `Refresh` header to any of them. Nothing here reads a clock, a file
//! or shared memory: the handler (`handlers/status.rs`) gathers those and calls [`render`].

pub mod apr_format;
pub mod auto;
#[cfg(test)]
mod checks;
pub mod html;
pub mod json;
pub mod metrics;
pub mod processes;
pub mod tally;
pub mod text;

use crate::scoreboard::{Snapshot, WorkerStatus};
use crate::sys::time::LocalTime;

/// The build date, `Mmm dd yyyy hh:mm:ss` (C's `__DATE__ " " __TIME__`, as Apache's
/// `ap_get_server_built`), set by `build.rs`.
pub const SERVER_BUILT: &str = env!("MPMD_BUILT");

/// What the server says about itself on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// The requested host name (the Host header without port), else `server_name`: the first
    /// line of `?auto` and the page title, as Apache's `ap_get_server_name`.
    pub server_name: String,
    /// The address the request arrived on (`via` in the page title).
    pub local_ip: String,
    /// `mpmd/X.Y.Z (Unix)`.
    pub version: String,
    /// [`SERVER_BUILT`].
    pub built: String,
}

/// The moment of the request, already turned into what the outputs print.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    /// Microseconds since the epoch.
    pub now_us: u64,
    /// `%A, %d-%b-%Y %H:%M:%S %Z` in local time, for now and for the restart time.
    pub current_time: String,
    pub restart_time: String,
    /// 1, 5 and 15 minute load averages (`-1` when unknown, as Apache).
    pub load: [f32; 3],
}

/// Which output a query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Auto,
    Json,
    Metrics,
}

/// A parsed status query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub format: Format,
    /// `refresh` present: seconds for the `Refresh` header (missing or below 1 -> 10).
    pub refresh: Option<u64>,
    /// `notable`: the HTML worker details as text blocks instead of a table.
    pub notable: bool,
}

/// C's `atol`: leading blanks, an optional sign, digits; anything else ends the number.
fn atol(text: &str) -> i64 {
    let t = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in t.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative { -n } else { n }
}

impl Query {
    /// mod_status's option parser: each word is looked for anywhere in the raw query.
    pub fn parse(query: Option<&str>) -> Query {
        let q = query.unwrap_or("");
        let refresh = q.find("refresh").map(|at| {
            let rest = &q[at + "refresh".len()..];
            let seconds = rest.strip_prefix('=').map_or(0, atol);
            if seconds < 1 { 10 } else { seconds as u64 }
        });
        let format = if q.contains("json") {
            Format::Json
        } else if q.contains("metrics") || q.contains("prometheus") {
            Format::Metrics
        } else if q.contains("auto") {
            Format::Auto
        } else {
            Format::Html
        };
        Query {
            format,
            refresh,
            notable: q.contains("notable"),
        }
    }
}

/// A rendered output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Content types (Apache's for the HTML page and `?auto`).
pub const HTML_TYPE: &str = "text/html; charset=ISO-8859-1";
pub const AUTO_TYPE: &str = "text/plain; charset=ISO-8859-1";
pub const JSON_TYPE: &str = "application/json";
pub const METRICS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Renders the output `query` asks for.
pub fn render(query: &Query, snapshot: &Snapshot, info: &ServerInfo, moment: &Moment) -> Page {
    match query.format {
        Format::Html => Page {
            content_type: HTML_TYPE,
            body: html::render(snapshot, info, moment, query.notable).into_bytes(),
        },
        Format::Auto => Page {
            content_type: AUTO_TYPE,
            body: auto::render(snapshot, info, moment).into_bytes(),
        },
        Format::Json => Page {
            content_type: JSON_TYPE,
            body: json::render(snapshot, info, moment).into_bytes(),
        },
        Format::Metrics => Page {
            content_type: METRICS_TYPE,
            body: metrics::render(snapshot, info, moment).into_bytes(),
        },
    }
}

/// A slot state's name in `?json` and `?metrics`: the names prometheus-apache-exporter gives
/// the scoreboard letters, so dashboards carry over.
pub fn state_name(status: WorkerStatus) -> &'static str {
    match status {
        WorkerStatus::Dead => "open_slot",
        WorkerStatus::Starting => "startup",
        WorkerStatus::Ready => "idle",
        WorkerStatus::BusyRead => "read",
        WorkerStatus::BusyWrite => "reply",
        WorkerStatus::BusyKeepalive => "keepalive",
        WorkerStatus::BusyLog => "logging",
        WorkerStatus::BusyDns => "dns",
        WorkerStatus::Closing => "closing",
        WorkerStatus::Graceful => "graceful_stop",
        WorkerStatus::IdleKill => "idle_cleanup",
    }
}

/// Every state, in Apache's code order.
pub const ALL_STATES: [WorkerStatus; 11] = [
    WorkerStatus::Dead,
    WorkerStatus::Starting,
    WorkerStatus::Ready,
    WorkerStatus::BusyRead,
    WorkerStatus::BusyWrite,
    WorkerStatus::BusyKeepalive,
    WorkerStatus::BusyLog,
    WorkerStatus::BusyDns,
    WorkerStatus::Closing,
    WorkerStatus::Graceful,
    WorkerStatus::IdleKill,
];

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// mod_status's time format `%A, %d-%b-%Y %H:%M:%S %Z`: `Saturday, 21-Nov-2026 08:52:19 UTC`
/// (`UTC` when the C library names no zone).
pub fn apache_time(t: &LocalTime) -> String {
    let zone = match t.zone() {
        "" => "UTC",
        z => z,
    };
    format!(
        "{}, {:02}-{}-{} {:02}:{:02}:{:02} {zone}",
        WEEKDAYS[t.weekday as usize % 7],
        t.day,
        MONTHS[(t.month as usize + 11) % 12],
        t.year,
        t.hour,
        t.minute,
        t.second
    )
}

/// `/proc/loadavg`'s first three fields (`None` if it does not parse).
pub fn parse_loadavg(text: &str) -> Option<[f32; 3]> {
    let mut fields = text.split_whitespace().map(|f| f.parse::<f32>().ok());
    Some([fields.next()??, fields.next()??, fields.next()??])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words_are_substrings_as_in_mod_status() {
        let cases: &[(Option<&str>, Format, Option<u64>, bool)] = &[
            (None, Format::Html, None, false),
            (Some(""), Format::Html, None, false),
            (Some("auto"), Format::Auto, None, false),
            (Some("auto&refresh=5"), Format::Auto, Some(5), false),
            (Some("refresh"), Format::Html, Some(10), false),
            (Some("refresh=0"), Format::Html, Some(10), false),
            (Some("refresh=-3"), Format::Html, Some(10), false),
            (Some("refresh=x"), Format::Html, Some(10), false),
            (Some("refresh= 7s"), Format::Html, Some(7), false),
            (Some("notable"), Format::Html, None, true),
            (Some("xautox"), Format::Auto, None, false),
            (Some("json"), Format::Json, None, false),
            (Some("metrics"), Format::Metrics, None, false),
            (Some("prometheus"), Format::Metrics, None, false),
            (Some("format=json&auto"), Format::Json, None, false),
        ];
        for &(q, format, refresh, notable) in cases {
            let parsed = Query::parse(q);
            assert_eq!(
                (parsed.format, parsed.refresh, parsed.notable),
                (format, refresh, notable),
                "{q:?}"
            );
        }
    }

    #[test]
    fn time_format() {
        let t = crate::sys::time::utc(1_793_520_309);
        assert_eq!(apache_time(&t), "Sunday, 01-Nov-2026 08:05:09 UTC");
    }

    #[test]
    fn loadavg() {
        assert_eq!(
            parse_loadavg("6.19 10.96 7.04 3/412 12519\n"),
            Some([6.19, 10.96, 7.04])
        );
        assert_eq!(parse_loadavg("junk"), None);
        assert_eq!(parse_loadavg(""), None);
    }
}
