//! What the balancers look like from outside: the read-only balancer-manager page
//! (`handler = "balancer-manager"`, Apache's `balancer_display_page` without the edit forms),
//! the status page's "Proxy LoadBalancer Status" tables and `?auto` `ProxyBalancer[...]`
//! lines (mod_proxy's `proxy_status_hook`), and a JSON fragment for `?json`.
//!
//! Layouts are Apache 2.4.71's, byte for byte where they carry data (checked against Debian's
//! apache2): the `?auto` lines are what apache_exporter (0.12 and later) parses into
//! `apache_proxy_balancer_{status,accesses_total,busy,request_kbytes_total,
//! response_kbytes_total}`: `Name`, `Status`, `Elected`, `Busy`, and `Sent` / `Rcvd` as an
//! integer number of KiB followed by `K` (the exporter trims the `K` and parses a float).
//!
//! Pure: rendered from [`BalancerSnapshot`]s the engine fills from the configuration and the
//! shared counters; no I/O, no clock.

use std::fmt::Write;

use crate::config::{BalancerConfig, LbMethod, MemberStatus};
use crate::status::ServerInfo;
use crate::status::apr_format::strfsize;
use crate::status::text::{escape_html, push_json_string};

/// One balancer as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalancerSnapshot<'a> {
    /// NAME of `balancer://NAME`.
    pub name: &'a str,
    /// (cookie, URL parameter) names of `stickysession`.
    pub sticky: Option<(&'a str, &'a str)>,
    pub nofailover: bool,
    /// Balancer `timeout`, whole seconds (0: unset).
    pub timeout_secs: u64,
    /// `maxattempts` in effect (members - 1 by default).
    pub max_attempts: u32,
    pub lbmethod: LbMethod,
    /// The `[[proxy]]` path that uses the balancer (Apache's "Path"; "" when none does).
    pub path: &'a str,
    pub members: Vec<MemberSnapshot<'a>>,
}

/// One member: configuration and shared counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSnapshot<'a> {
    /// The member URL as written (Apache's worker name).
    pub url: &'a str,
    /// The URL's scheme and host, for the status page's Sch and Host columns.
    pub host: &'a str,
    pub route: &'a str,
    pub redirect: &'a str,
    /// loadfactor x 100.
    pub lbfactor: u32,
    pub lbset: u32,
    /// The member's state now (flags as in the configuration, `in_error` as it stands).
    pub status: MemberStatus,
    pub elected: u64,
    pub busy: u64,
    /// Apache's "Load" column (byrequests' `lbstatus`).
    pub lbstatus: i64,
    /// Bytes sent to the member ("To", "Wr", "Sent").
    pub transferred: u64,
    /// Bytes read from it ("From", "Rd", "Rcvd").
    pub read: u64,
}

impl<'a> BalancerSnapshot<'a> {
    /// The configuration's view, every counter at zero: the engine overwrites the counters
    /// and `status.in_error` from shared memory. `path`: the rule that uses it.
    pub fn from_config(config: &'a BalancerConfig, path: &'a str) -> BalancerSnapshot<'a> {
        let members: Vec<MemberSnapshot<'a>> = config
            .members
            .iter()
            .map(|m| MemberSnapshot {
                url: &m.url.url,
                host: &m.url.host,
                route: &m.route,
                redirect: &m.redirect,
                lbfactor: m.lbfactor,
                lbset: m.lbset,
                status: m.status,
                elected: 0,
                busy: 0,
                lbstatus: 0,
                transferred: 0,
                read: 0,
            })
            .collect();
        let count = u32::try_from(members.len()).unwrap_or(u32::MAX);
        BalancerSnapshot {
            name: &config.name,
            sticky: config
                .sticky
                .as_ref()
                .map(|s| (s.cookie.as_str(), s.url_param.as_str())),
            nofailover: config.nofailover,
            timeout_secs: config.timeout.map_or(0, |t| t.as_secs()),
            max_attempts: config.max_attempts.unwrap_or(count.saturating_sub(1)),
            lbmethod: config.lbmethod,
            path,
            members,
        }
    }
}

/// The lbmethod's name, as Apache prints it.
pub fn method_name(method: LbMethod) -> &'static str {
    match method {
        LbMethod::ByRequests => "byrequests",
        LbMethod::ByTraffic => "bytraffic",
        LbMethod::ByBusyness => "bybusyness",
    }
}

/// Whether a member can take requests now (Apache's `PROXY_WORKER_IS_USABLE`).
fn usable(s: &MemberStatus) -> bool {
    !(s.disabled || s.stopped || s.in_error)
}

/// Apache's `ap_proxy_parse_wstatus`: `Init `, then `Ign `, `Drn `, `Dis `, `Stop `, `Err `,
/// `Stby ` for the flags set, then `Ok ` if usable (`Init Ok `, `Init Stby Ok `, `Init Err `).
pub fn worker_status(s: &MemberStatus) -> String {
    let mut out = String::from("Init ");
    for (set, name) in [
        (s.ignore_errors, "Ign "),
        (s.drain, "Drn "),
        (s.disabled, "Dis "),
        (s.stopped, "Stop "),
        (s.in_error, "Err "),
        (s.hot_standby, "Stby "),
    ] {
        if set {
            out.push_str(name);
        }
    }
    if usable(s) {
        out.push_str("Ok ");
    }
    out
}

/// `lbfactor` as Apache shows it: `1.00`, `2.50`.
fn factor(lbfactor: u32) -> String {
    format!("{}.{:02}", lbfactor / 100, lbfactor % 100)
}

const STYLE: &str = "<style type='text/css'>
table {
 border-width: 1px;
 border-spacing: 3px;
 border-style: solid;
 border-color: gray;
 border-collapse: collapse;
 background-color: white;
 text-align: center;
}
th {
 border-width: 1px;
 padding: 2px;
 border-style: dotted;
 border-color: gray;
 background-color: lightgray;
 text-align: center;
}
td {
 border-width: 1px;
 padding: 2px;
 border-style: dotted;
 border-color: gray;
 background-color: white;
 text-align: center;
}
</style>
";

/// The balancer-manager page: Apache's layout (one balancer table and one member table per
/// balancer), read-only: no links, no nonce, no edit forms.
pub fn render_page(info: &ServerInfo, balancers: &[BalancerSnapshot]) -> String {
    let mut out = String::with_capacity(2048 + balancers.len() * 1024);
    out.push_str(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \
         \"http://www.w3.org/TR/html4/strict.dtd\">\n\
         <html><head><title>Balancer Manager</title>\n",
    );
    out.push_str(STYLE);
    let _ = write!(
        out,
        "</head>\n<body><h1>Load Balancer Manager for {}</h1>\n\n\
         <dl><dt>Server Version: {}</dt>\n<dt>Server Built: {}</dt>\n\
         <dt>This page is read-only: balancers change with the configuration file.</dt></dl>\n\
         <hr />\n",
        escape_html(&info.server_name),
        escape_html(&info.version),
        escape_html(&info.built),
    );
    for b in balancers {
        balancer_tables(&mut out, b);
    }
    out.push_str("</body></html>\n");
    out
}

fn balancer_tables(out: &mut String, b: &BalancerSnapshot) {
    let sticky = match b.sticky {
        Some((cookie, param)) if cookie == param => escape_html(cookie),
        Some((cookie, param)) => format!("{}|{}", escape_html(cookie), escape_html(param)),
        None => " (None) ".to_owned(),
    };
    let _ = write!(
        out,
        "<h3>LoadBalancer Status for balancer://{name}</h3>\n\n\n\
         <table><tr><th>MaxMembers</th><th>StickySession</th><th>DisableFailover</th>\
         <th>Timeout</th><th>FailoverAttempts</th><th>Method</th><th>Path</th><th>Active</th></tr>\n\
         <tr><td>{count} [{count} Used]</td>\n<td>{sticky}</td><td>{nofailover}</td>\n\
         <td>{timeout}</td><td>{attempts}</td>\n<td>{method}</td>\n<td>{path}</td>\n<td>Yes</td>\n\
         </tr>\n</table>\n<br />\n\n\
         <table><tr><th>Worker URL</th><th>Route</th><th>RouteRedir</th><th>Factor</th>\
         <th>Set</th><th>Status</th><th>Elected</th><th>Busy</th><th>Load</th><th>To</th>\
         <th>From</th></tr>\n",
        name = escape_html(b.name),
        count = b.members.len(),
        nofailover = if b.nofailover { "On" } else { "Off" },
        timeout = b.timeout_secs,
        attempts = b.max_attempts,
        method = method_name(b.lbmethod),
        path = escape_html(b.path),
    );
    for m in &b.members {
        let _ = write!(
            out,
            "<tr>\n<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape_html(m.url),
            escape_html(m.route),
            escape_html(m.redirect),
            factor(m.lbfactor),
            m.lbset,
            worker_status(&m.status),
            m.elected,
            m.busy,
            m.lbstatus,
            strfsize(m.transferred),
            strfsize(m.read),
        );
    }
    out.push_str("</table>\n<hr />\n");
}

/// The status page's HTML section (after the worker table, as mod_proxy's status hook adds
/// it): one "Proxy LoadBalancer Status" block per balancer, then the legend. Nothing when
/// there is no balancer.
pub fn push_status_html(out: &mut String, balancers: &[BalancerSnapshot]) {
    if balancers.is_empty() {
        return;
    }
    for b in balancers {
        let sticky = match b.sticky {
            Some((cookie, param)) if cookie == param => escape_html(cookie),
            Some((cookie, param)) => format!("{} | {}", escape_html(cookie), escape_html(param)),
            None => " - ".to_owned(),
        };
        let _ = write!(
            out,
            "<hr />\n<h1>Proxy LoadBalancer Status for balancer://{}</h1>\n\n\n\n\
             <table border=\"0\"><tr><th>SSes</th><th>Timeout</th><th>Method</th></tr>\n\
             <tr><td>{sticky}</td><td>{}</td><td>{}</td>\n</table>\n\n\n\
             <table border=\"0\"><tr><th>Sch</th><th>Host</th><th>Stat</th><th>Route</th>\
             <th>Redir</th><th>F</th><th>Set</th><th>Acc</th><th>Busy</th><th>Wr</th><th>Rd</th>\
             </tr>\n",
            escape_html(b.name),
            b.timeout_secs,
            method_name(b.lbmethod),
        );
        for m in &b.members {
            let _ = write!(
                out,
                "<tr>\n<td>http</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\n</tr>\n",
                escape_html(m.host),
                worker_status(&m.status),
                escape_html(m.route),
                escape_html(m.redirect),
                factor(m.lbfactor),
                m.lbset,
                m.elected,
                m.busy,
                strfsize(m.transferred),
                strfsize(m.read),
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str(
        "<hr /><table>\n\
         <tr><th>SSes</th><td>Sticky session name</td></tr>\n\
         <tr><th>Timeout</th><td>Balancer Timeout</td></tr>\n\
         <tr><th>Sch</th><td>Connection scheme</td></tr>\n\
         <tr><th>Host</th><td>Backend Hostname</td></tr>\n\
         <tr><th>Stat</th><td>Worker status</td></tr>\n\
         <tr><th>Route</th><td>Session Route</td></tr>\n\
         <tr><th>Redir</th><td>Session Route Redirection</td></tr>\n\
         <tr><th>F</th><td>Load Balancer Factor</td></tr>\n\
         <tr><th>Acc</th><td>Number of uses</td></tr>\n\
         <tr><th>Wr</th><td>Number of bytes transferred</td></tr>\n\
         <tr><th>Rd</th><td>Number of bytes read</td></tr>\n\
         </table>",
    );
}

/// The `?auto` lines, appended after mod_status's own (Apache 2.4.71's `proxy_status_hook`):
/// `ProxyBalancer[i]Name: balancer://NAME`, then per member `Name`, `Status`, `Elected`,
/// `Busy`, `Sent` and `Rcvd` (KiB, rounded down, with a `K`).
pub fn push_auto_lines(out: &mut String, balancers: &[BalancerSnapshot]) {
    for (i, b) in balancers.iter().enumerate() {
        let _ = writeln!(out, "ProxyBalancer[{i}]Name: balancer://{}", b.name);
        for (n, m) in b.members.iter().enumerate() {
            let w = format!("ProxyBalancer[{i}]Worker[{n}]");
            let _ = write!(
                out,
                "{w}Name: {}\n{w}Status: {}\n{w}Elected: {}\n{w}Busy: {}\n\
                 {w}Sent: {}K\n{w}Rcvd: {}K\n",
                m.url,
                worker_status(&m.status),
                m.elected,
                m.busy,
                m.transferred >> 10,
                m.read >> 10,
            );
        }
    }
}

/// The balancers as a JSON array (for a `"balancers"` key of `?json`); `[]` when none.
/// Each: `name` (`balancer://NAME`), `lbmethod`, `stickysession` (`"COOKIE|param"` or null),
/// `nofailover`, `timeout` (seconds, 0 unset), `maxattempts`, `path`, `members`: `url`,
/// `route`, `redirect`, `lbfactor` (x 100), `lbset`, `status` (Apache's words), the flags
/// (`disabled`, `stopped`, `in_error`, `hot_standby`, `drain`, `ignore_errors`), `usable`,
/// `elected`, `busy`, `lbstatus`, `transferred`, `read` (bytes).
pub fn push_json(out: &mut String, balancers: &[BalancerSnapshot]) {
    out.push('[');
    for (i, b) in balancers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        push_json_string(out, &format!("balancer://{}", b.name));
        out.push_str(",\"lbmethod\":");
        push_json_string(out, method_name(b.lbmethod));
        out.push_str(",\"stickysession\":");
        match b.sticky {
            Some((cookie, param)) => push_json_string(out, &format!("{cookie}|{param}")),
            None => out.push_str("null"),
        }
        let _ = write!(
            out,
            ",\"nofailover\":{},\"timeout\":{},\"maxattempts\":{},\"path\":",
            b.nofailover, b.timeout_secs, b.max_attempts
        );
        push_json_string(out, b.path);
        out.push_str(",\"members\":[");
        for (n, m) in b.members.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            member_json(out, m);
        }
        out.push_str("]}");
    }
    out.push(']');
}

fn member_json(out: &mut String, m: &MemberSnapshot) {
    out.push_str("{\"url\":");
    push_json_string(out, m.url);
    out.push_str(",\"route\":");
    push_json_string(out, m.route);
    out.push_str(",\"redirect\":");
    push_json_string(out, m.redirect);
    out.push_str(",\"status\":");
    push_json_string(out, worker_status(&m.status).trim_end());
    let s = &m.status;
    let _ = write!(
        out,
        ",\"lbfactor\":{},\"lbset\":{},\"disabled\":{},\"stopped\":{},\"in_error\":{},\
         \"hot_standby\":{},\"drain\":{},\"ignore_errors\":{},\"usable\":{},\"elected\":{},\
         \"busy\":{},\"lbstatus\":{},\"transferred\":{},\"read\":{}}}",
        m.lbfactor,
        m.lbset,
        s.disabled,
        s.stopped,
        s.in_error,
        s.hot_standby,
        s.drain,
        s.ignore_errors,
        usable(s),
        m.elected,
        m.busy,
        m.lbstatus,
        m.transferred,
        m.read,
    );
}

#[cfg(test)]
#[path = "manager_page_tests.rs"]
mod tests;
