//! The `balancer-manager` handler (mod_proxy_balancer's page, read-only): the balancers'
//! configuration and shared counters, rendered by `crate::proxy::manager_page`. Also the
//! balancer sections the status page appends (HTML tables, `?auto` lines, `?json` array).
//!
//! Methods as the status handler: GET and HEAD get the page; OPTIONS 200 with `Allow`; other
//! known methods 405, unknown 501.

use std::net::SocketAddr;

use crate::config::ServerTokens;
use crate::handlers::Reply;
use crate::handlers::status::requested_name;
use crate::http::request::{Method, Request};
use crate::http::response::ErrorContext;
use crate::http::site::server_banner;
use crate::http::{Response, Site};
use crate::proxy::manager_page;
use crate::status::{Format, SERVER_BUILT, ServerInfo};

const ALLOW: &str = "GET,HEAD,OPTIONS";

/// Answers a request routed to a `balancer-manager` location.
pub fn serve(site: &Site, req: &Request<'_, '_>, local: SocketAddr) -> Reply<'static> {
    match req.method {
        Method::Get | Method::Head => {}
        Method::Options => {
            return Reply::Generated(Response::new(200).with_header("Allow", ALLOW));
        }
        Method::Trace if site.trace_enable() => return Reply::Trace,
        Method::Unknown => return Reply::error(501),
        _ => {
            let ctx = ErrorContext {
                method: req.method_str,
                allow: Some(ALLOW),
                ..ErrorContext::default()
            };
            return Reply::Generated(Response::error(405, &ctx));
        }
    }
    let info = ServerInfo {
        server_name: requested_name(req.host, site.server_name()),
        local_ip: local.ip().to_string(),
        version: server_banner(ServerTokens::Full),
        built: SERVER_BUILT.to_string(),
    };
    let snapshots = site
        .proxy()
        .map(|p| p.balancer_snapshots())
        .unwrap_or_default();
    let mut response = Response::new(200);
    response.content_type = Some("text/html; charset=ISO-8859-1".to_string());
    response.body = manager_page::render_page(&info, &snapshots).into_bytes();
    Reply::Generated(response)
}

/// Adds the proxy to a status page body of `format`: the balancers (HTML tables, `?auto`
/// lines, `"balancers"` in `?json`) and, in `?json`, every backend worker's shared counters
/// (`"proxy_workers"`: name, in_error, requests, connections_opened, transferred, read).
pub fn extend_status(site: &Site, format: Format, body: &mut Vec<u8>) {
    let Some(proxy) = site.proxy() else { return };
    if format == Format::Json {
        let mut json = String::from(",\"proxy_workers\":[");
        for (i, w) in proxy.workers().iter().enumerate() {
            let rec = w.shared.record();
            let load =
                |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
            if i > 0 {
                json.push(',');
            }
            json.push_str("{\"name\":");
            crate::status::text::push_json_string(&mut json, &w.name);
            json.push_str(&format!(
                ",\"in_error\":{},\"requests\":{},\"connections_opened\":{},\"transferred\":{},\"read\":{}}}",
                w.shared.in_error(),
                load(&rec.requests),
                load(&rec.connections_opened),
                load(&rec.transferred),
                load(&rec.read),
            ));
        }
        json.push(']');
        if let Some(end) = body.iter().rposition(|&b| b == b'}') {
            body.splice(end..end, json.into_bytes());
        }
    }
    let snapshots = proxy.balancer_snapshots();
    if snapshots.is_empty() {
        return;
    }
    match format {
        Format::Auto => {
            let mut lines = String::new();
            manager_page::push_auto_lines(&mut lines, &snapshots);
            body.extend_from_slice(lines.as_bytes());
        }
        Format::Html => {
            let mut html = String::new();
            manager_page::push_status_html(&mut html, &snapshots);
            let end = body
                .windows(7)
                .rposition(|w| w == b"</body>")
                .unwrap_or(body.len());
            body.splice(end..end, html.into_bytes());
        }
        Format::Json => {
            let mut json = String::from(",\"balancers\":");
            manager_page::push_json(&mut json, &snapshots);
            if let Some(end) = body.iter().rposition(|&b| b == b'}') {
                body.splice(end..end, json.into_bytes());
            }
        }
        Format::Metrics => {}
    }
}
