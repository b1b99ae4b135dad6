//! The `server-status` handler (mod_status): copies the scoreboard, reads the clock, the local
//! time zone and the load average, and hands them to the pure renderers in `crate::status`.
//!
//! Methods: GET and HEAD get the page. mod_status declines anything else, so Apache's default
//! handler answers (a 404 or 405 that depends on the document tree). mpmd answers what that
//! URL really supports instead: OPTIONS -> 200 with `Allow`, TRACE as everywhere else, other
//! known methods -> 405 with `Allow: GET,HEAD,OPTIONS[,TRACE]`, unknown methods -> 501.

use crate::config::ServerTokens;
use crate::handlers::{ConnContext, Reply, RequestClock};
use crate::http::request::{Method, Request};
use crate::http::response::ErrorContext;
use crate::http::site::server_banner;
use crate::http::{Response, Site};
use crate::scoreboard::Snapshot;
use crate::status::{self, Moment, Query, SERVER_BUILT, ServerInfo};
use crate::sys::time::local_time;

/// What the status URL allows.
fn allow(site: &Site) -> &'static str {
    if site.trace_enable() {
        "GET,HEAD,OPTIONS,TRACE"
    } else {
        "GET,HEAD,OPTIONS"
    }
}

/// Apache's `ap_get_server_name` with `UseCanonicalName Off`: the Host the client asked for
/// (lower case, without port or IPv6 brackets), else `server_name`.
pub fn requested_name(host: Option<&str>, server_name: &str) -> String {
    let Some(host) = host.filter(|h| !h.is_empty()) else {
        return server_name.to_string();
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.to_ascii_lowercase()
}

/// The moment of a request (or of `mpmd -S`), in the forms the outputs print: local times
/// and `/proc/loadavg`.
pub fn moment(snapshot: &Snapshot, now_us: u64) -> Moment {
    let format = |us: u64| {
        let secs = (us / 1_000_000) as i64;
        status::apache_time(&local_time(secs))
    };
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| status::parse_loadavg(&text))
        .unwrap_or([-1.0; 3]);
    Moment {
        now_us,
        current_time: format(now_us),
        restart_time: format(snapshot.global.restart_time_us),
        load,
    }
}

/// Answers a request routed to a `server-status` location.
pub fn serve(
    site: &Site,
    req: &Request<'_, '_>,
    conn: &ConnContext<'_>,
    clock: RequestClock,
) -> Reply<'static> {
    match req.method {
        Method::Get | Method::Head => {}
        Method::Options => {
            return Reply::Generated(Response::new(200).with_header("Allow", allow(site)));
        }
        Method::Trace if site.trace_enable() => return Reply::Trace,
        Method::Unknown => return Reply::error(501),
        _ => {
            let ctx = ErrorContext {
                method: req.method_str,
                location: None,
                allow: Some(allow(site)),
                ..ErrorContext::default()
            };
            return Reply::Generated(Response::error(405, &ctx));
        }
    }
    let Some(board) = conn.board else {
        log::error!("server status unavailable: no scoreboard in this process");
        return Reply::error(500);
    };
    let snapshot = board.snapshot();
    let info = ServerInfo {
        server_name: requested_name(req.host, site.server_name()),
        local_ip: conn.local.ip().to_string(),
        version: server_banner(ServerTokens::Full),
        built: SERVER_BUILT.to_string(),
    };
    let query = Query::parse(req.query);
    let mut page = status::render(
        &query,
        &snapshot,
        &info,
        &moment(&snapshot, clock.micros.max(0) as u64),
    );
    crate::handlers::balancer_manager::extend_status(site, query.format, &mut page.body);
    let mut response = Response::new(200);
    if let Some(seconds) = query.refresh {
        response.headers.push(("Refresh", seconds.to_string()));
    }
    response.content_type = Some(page.content_type.to_string());
    response.body = page.body;
    Reply::Generated(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_names() {
        for (host, want) in [
            (None, "localhost"),
            (Some(""), "localhost"),
            (Some("WWW.Example.org"), "www.example.org"),
            (Some("127.0.0.1:18101"), "127.0.0.1"),
            (Some("[::1]:8080"), "::1"),
            (Some("[::1]"), "::1"),
        ] {
            assert_eq!(requested_name(host, "localhost"), want, "{host:?}");
        }
    }
}
