//! `[[proxy]]` (ProxyPass) and `[[balancer]]` / `[[balancer.member]]` (BalancerMember):
//! raw sections -> the frozen [`ProxyConfig`].
//!
//! Ranges and units are Apache's (mod_proxy.c `set_worker_param`, `set_balancer_param`); where
//! Apache silently ignores a value (a worker key on an excluded or balancer rule, a `redirect`
//! to a route nobody has) this module refuses it, so no key is parsed and then ignored. URL
//! parsing and the other value parsers are in `proxy_values.rs`. Pure: no I/O, no name resolution.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::duration::Unit;
use super::error::{Diagnostics, did_you_mean, one_of};
use super::extract::{Val, take, take_duration, take_items};
use super::file::{RawBalancer, RawMember, RawProxy};
use super::lenient::{DurationValue, Field};
use super::proxy_types::{
    BalancerConfig, BalancerMember, DEFAULT_RETRY, LbMethod, MemberStatus, ProxyConfig, ProxyRule,
    ProxyTarget, WorkerParams,
};
use super::proxy_values::{
    UrlKind, classify, parse_http_url, parse_loadfactor, parse_member_status, parse_sticky,
};

type Span = Range<usize>;

/// Checks every `[[proxy]]` and `[[balancer]]` section. Balancers first, so a rule may name a
/// balancer defined anywhere in the file.
pub fn check(
    diag: &mut Diagnostics<'_>,
    proxies: Vec<Spanned<RawProxy>>,
    balancers: Vec<Spanned<RawBalancer>>,
) -> ProxyConfig {
    let mut built: Vec<BalancerConfig> = Vec::new();
    for (i, section) in balancers.into_iter().enumerate() {
        let span = section.span();
        let path = format!("balancer[{i}]");
        let Some((balancer, name_span)) = balancer(diag, section.into_inner(), &path, &span) else {
            continue;
        };
        if built.iter().any(|b| b.name == balancer.name) {
            let detail = format!(
                "a balancer named \"{}\" is already defined (names are case-insensitive)",
                balancer.name
            );
            diag.invalid(name_span, &format!("{path}.name"), detail);
            continue;
        }
        built.push(balancer);
    }
    let mut rules = Vec::new();
    for (i, section) in proxies.into_iter().enumerate() {
        let span = section.span();
        let path = format!("proxy[{i}]");
        rules.extend(rule(diag, section.into_inner(), &path, &span, &built));
    }
    ProxyConfig {
        rules,
        balancers: built,
    }
}

/// A key every section of its kind must have, non-empty.
fn required(
    diag: &mut Diagnostics<'_>,
    field: Field<String>,
    section: &str,
    name: &str,
    section_span: &Span,
) -> Option<Val<String>> {
    let present = field.is_some();
    let key = format!("{section}.{name}");
    let value = take(diag, field, &key);
    match value {
        None if !present => {
            let message = format!("missing key \"{name}\" in {section}");
            diag.error(section_span.clone(), &key, message);
            None
        }
        Some(v) if v.value.trim().is_empty() => {
            diag.invalid(v.span, &key, "must not be empty");
            None
        }
        other => other,
    }
}

fn rule(
    diag: &mut Diagnostics<'_>,
    raw: RawProxy,
    path: &str,
    span: &Span,
    balancers: &[BalancerConfig],
) -> Option<ProxyRule> {
    let key = |name: &str| format!("{path}.{name}");
    let errors_before = diag.errors.len();
    let local = required(diag, raw.path, path, "path", span);
    if let Some(v) = &local
        && !v.value.starts_with('/')
    {
        let detail = "expected a URL path starting with '/'";
        diag.invalid(v.span.clone(), &key("path"), detail);
    }
    let url = required(diag, raw.url, path, "url", span);
    let target = url.and_then(|v| target(diag, v, &key("url"), balancers));
    let reverse = take(diag, raw.reverse, &key("reverse"));
    let preserve_host = take(diag, raw.preserve_host, &key("preserve_host"));
    let (worker, worker_keys) = worker_params(
        diag,
        RawWorker {
            min: raw.min,
            max: raw.max,
            smax: raw.smax,
            ttl: raw.ttl,
            timeout: raw.timeout,
            connectiontimeout: raw.connectiontimeout,
            acquire: raw.acquire,
            retry: raw.retry,
            keepalive: raw.keepalive,
            disablereuse: raw.disablereuse,
        },
        path,
    );
    match &target {
        Some(ProxyTarget::Exclude) => {
            let mut moot: Vec<(Span, &str)> = worker_keys;
            moot.extend(reverse.as_ref().map(|v| (v.span.clone(), "reverse")));
            moot.extend(
                preserve_host
                    .as_ref()
                    .map(|v| (v.span.clone(), "preserve_host")),
            );
            for (span, name) in moot {
                let message = format!(
                    "\"{name}\" has no effect on an excluded path (url = \"!\"); remove it"
                );
                diag.error(span, &key(name), message);
            }
        }
        Some(ProxyTarget::Balancer { .. }) => {
            for (span, name) in worker_keys {
                let message = format!(
                    "\"{name}\" has no effect on a balancer:// rule; set it on each [[balancer.member]]"
                );
                diag.error(span, &key(name), message);
            }
        }
        _ => {}
    }
    if diag.errors.len() != errors_before {
        return None;
    }
    Some(ProxyRule {
        path: local?.value,
        target: target?,
        reverse: reverse.is_none_or(|v| v.value),
        preserve_host: preserve_host.is_some_and(|v| v.value),
        worker,
    })
}

/// The rule's `url`: `!`, an http:// backend, or `balancer://NAME[/path]`.
fn target(
    diag: &mut Diagnostics<'_>,
    v: Val<String>,
    key: &str,
    balancers: &[BalancerConfig],
) -> Option<ProxyTarget> {
    let result = match classify(&v.value) {
        UrlKind::Exclude => Ok(ProxyTarget::Exclude),
        UrlKind::Http => parse_http_url(&v.value).map(ProxyTarget::Backend),
        UrlKind::Balancer { name, path } => {
            let wanted = name.to_ascii_lowercase();
            match balancers.iter().position(|b| b.name == wanted) {
                Some(index) => Ok(ProxyTarget::Balancer {
                    index,
                    path: path.to_owned(),
                }),
                None => {
                    let names: Vec<&str> = balancers.iter().map(|b| b.name.as_str()).collect();
                    let defined = if names.is_empty() {
                        " (no [[balancer]] is defined)".to_owned()
                    } else {
                        format!(
                            " (defined: {}){}",
                            one_of(&names),
                            did_you_mean(name, &names)
                        )
                    };
                    Err(format!("no [[balancer]] is named \"{name}\"{defined}"))
                }
            }
        }
        UrlKind::Other(why) => Err(why),
    };
    result
        .map_err(|detail| diag.invalid(v.span, key, detail))
        .ok()
}

/// The ProxyPass worker keys, shared by `[[proxy]]` and `[[balancer.member]]`.
struct RawWorker {
    min: Field<u32>,
    max: Field<u32>,
    smax: Field<u32>,
    ttl: Field<DurationValue>,
    timeout: Field<DurationValue>,
    connectiontimeout: Field<DurationValue>,
    acquire: Field<DurationValue>,
    retry: Field<DurationValue>,
    keepalive: Field<bool>,
    disablereuse: Field<bool>,
}

/// The worker parameters, and the span and name of every key written (for the rules on which
/// they would have no effect).
fn worker_params(
    diag: &mut Diagnostics<'_>,
    raw: RawWorker,
    path: &str,
) -> (WorkerParams, Vec<(Span, &'static str)>) {
    let key = |name: &str| format!("{path}.{name}");
    let mut written = Vec::new();
    let mut note = |span: &Span, name: &'static str| written.push((span.clone(), name));
    let mut params = WorkerParams {
        retry: DEFAULT_RETRY,
        ..WorkerParams::default()
    };
    if let Some(v) = take(diag, raw.min, &key("min")) {
        note(&v.span, "min");
        params.min = v.value;
    }
    if let Some(v) = take(diag, raw.max, &key("max")) {
        note(&v.span, "max");
        // Apache: max=0 means the default (threads per child).
        params.max = (v.value > 0).then_some(v.value);
    }
    if let Some(v) = take(diag, raw.smax, &key("smax")) {
        note(&v.span, "smax");
        params.smax = Some(v.value);
    }
    let seconds = |diag: &mut Diagnostics<'_>, field, name: &'static str, minimum: u64| {
        let v = whole_seconds(diag, field, &key(name), minimum)?;
        Some((v.span, v.value))
    };
    if let Some((span, d)) = seconds(diag, raw.ttl, "ttl", 1) {
        note(&span, "ttl");
        params.ttl = Some(d);
    }
    if let Some((span, d)) = seconds(diag, raw.timeout, "timeout", 1) {
        note(&span, "timeout");
        params.timeout = Some(d);
    }
    if let Some((span, d)) = seconds(diag, raw.retry, "retry", 0) {
        note(&span, "retry");
        params.retry = d;
    }
    let fine = |diag: &mut Diagnostics<'_>, field, name: &'static str, unit| {
        let v = at_least_a_millisecond(diag, field, &key(name), unit)?;
        Some((v.span, v.value))
    };
    if let Some((span, d)) = fine(
        diag,
        raw.connectiontimeout,
        "connectiontimeout",
        Unit::Seconds,
    ) {
        note(&span, "connectiontimeout");
        params.connection_timeout = Some(d);
    }
    if let Some((span, d)) = fine(diag, raw.acquire, "acquire", Unit::Millis) {
        note(&span, "acquire");
        params.acquire = Some(d);
    }
    if let Some(v) = take(diag, raw.keepalive, &key("keepalive")) {
        note(&v.span, "keepalive");
        params.keepalive = v.value;
    }
    if let Some(v) = take(diag, raw.disablereuse, &key("disablereuse")) {
        note(&v.span, "disablereuse");
        params.disablereuse = v.value;
    }
    (params, written)
}

/// A duration Apache reads with `atoi` as seconds: whole seconds, at least `minimum`.
fn whole_seconds(
    diag: &mut Diagnostics<'_>,
    field: Field<DurationValue>,
    key: &str,
    minimum: u64,
) -> Option<Val<Duration>> {
    let v = take_duration(diag, field, key, Unit::Seconds)?;
    let problem = if v.value.subsec_nanos() != 0 {
        Some("Apache takes whole seconds here".to_owned())
    } else if v.value.as_secs() < minimum {
        Some(format!("must be at least {minimum} second"))
    } else {
        None
    };
    match problem {
        Some(detail) => {
            diag.invalid(v.span, key, detail);
            None
        }
        None => Some(v),
    }
}

/// A duration Apache parses with `ap_timeout_parameter_parse`: at least one millisecond.
fn at_least_a_millisecond(
    diag: &mut Diagnostics<'_>,
    field: Field<DurationValue>,
    key: &str,
    unit: Unit,
) -> Option<Val<Duration>> {
    let v = take_duration(diag, field, key, unit)?;
    if v.value < Duration::from_millis(1) {
        diag.invalid(v.span, key, "must be at least 1 millisecond");
        return None;
    }
    Some(v)
}

const LBMETHODS: [&str; 3] = ["byrequests", "bytraffic", "bybusyness"];

/// One balancer, with the span of its name (for the duplicate check); `None` when its name is
/// unusable (its other keys are still checked).
fn balancer(
    diag: &mut Diagnostics<'_>,
    raw: RawBalancer,
    path: &str,
    span: &Span,
) -> Option<(BalancerConfig, Span)> {
    let key = |name: &str| format!("{path}.{name}");
    let name = required(diag, raw.name, path, "name", span).and_then(|v| {
        let text = v.value.strip_prefix("balancer://").unwrap_or(&v.value);
        let good = !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !good {
            let detail = "expected a name of letters, digits, '-', '_' or '.'";
            diag.invalid(v.span.clone(), &key("name"), detail);
        }
        // Apache lower-cases balancer names (ap_proxy_define_balancer).
        good.then(|| (text.to_ascii_lowercase(), v.span.clone()))
    });
    let lbmethod = match take(diag, raw.lbmethod, &key("lbmethod")) {
        Some(v) => match v.value.as_str() {
            "byrequests" => LbMethod::ByRequests,
            "bytraffic" => LbMethod::ByTraffic,
            "bybusyness" => LbMethod::ByBusyness,
            other => {
                let detail = format!(
                    "\"{other}\" is not a method (expected {}){}",
                    one_of(&LBMETHODS),
                    did_you_mean(other, &LBMETHODS)
                );
                diag.invalid(v.span, &key("lbmethod"), detail);
                LbMethod::ByRequests
            }
        },
        None => LbMethod::ByRequests,
    };
    let sticky = take(diag, raw.stickysession, &key("stickysession")).and_then(|v| {
        let parsed = parse_sticky(&v.value);
        if let Err(detail) = &parsed {
            diag.invalid(v.span, &key("stickysession"), detail);
        }
        parsed.ok()
    });
    let sticky_separator = match take(diag, raw.stickysessionsep, &key("stickysessionsep")) {
        Some(v) if v.value.eq_ignore_ascii_case("off") => 0,
        Some(v) if v.value.len() == 1 && v.value.as_bytes()[0].is_ascii_graphic() => {
            v.value.as_bytes()[0]
        }
        Some(v) => {
            let detail = "expected one ASCII character or \"off\"";
            diag.invalid(v.span, &key("stickysessionsep"), detail);
            b'.'
        }
        None => b'.',
    };
    let flag = |diag: &mut Diagnostics<'_>, field, name: &str, default: bool| {
        take(diag, field, &key(name)).map_or(default, |v| v.value)
    };
    let nofailover = flag(diag, raw.nofailover, "nofailover", false);
    let fail_on_timeout = flag(diag, raw.failontimeout, "failontimeout", false);
    let force_recovery = flag(diag, raw.forcerecovery, "forcerecovery", true);
    let max_attempts = take(diag, raw.maxattempts, &key("maxattempts")).map(|v| v.value);
    let timeout = whole_seconds(diag, raw.timeout, &key("timeout"), 1).map(|v| v.value);
    let mut fail_on_status = Vec::new();
    if let Some(list) = take(diag, raw.failonstatus, &key("failonstatus")) {
        for code in take_items(diag, list.value, &key("failonstatus")).unwrap_or_default() {
            if (100..=599).contains(&code.value) {
                fail_on_status.push(code.value);
            } else {
                let detail = "expected an HTTP status (100 to 599)";
                diag.invalid(code.span, &key("failonstatus"), detail);
            }
        }
    }
    let member_count = raw.member.len();
    let mut members: Vec<BalancerMember> = Vec::new();
    let mut redirects = Vec::new();
    for (i, m) in raw.member.into_iter().enumerate() {
        let span = m.span();
        let path = format!("{path}.member[{i}]");
        if let Some((built, redirect)) = member(diag, m.into_inner(), &path, &span, &members) {
            redirects.extend(redirect.map(|span| (span, format!("{path}.redirect"))));
            members.push(built);
        }
    }
    // A redirect must name a route of this balancer (Apache would silently not follow it).
    for ((span, key), m) in redirects
        .into_iter()
        .zip(members.iter().filter(|m| !m.redirect.is_empty()))
    {
        if !members.iter().any(|o| o.route == m.redirect) {
            let detail = format!("no member of this balancer has route \"{}\"", m.redirect);
            diag.invalid(span, &key, detail);
        }
    }
    if member_count == 0 {
        let message = format!("{path} has no [[balancer.member]] (give at least one)");
        diag.error(span.clone(), path, message);
    }
    let (name, name_span) = name?;
    Some((
        BalancerConfig {
            name,
            lbmethod,
            sticky,
            sticky_separator,
            nofailover,
            max_attempts,
            timeout,
            fail_on_status,
            fail_on_timeout,
            force_recovery,
            members,
        },
        name_span,
    ))
}

fn member(
    diag: &mut Diagnostics<'_>,
    raw: RawMember,
    path: &str,
    span: &Span,
    earlier: &[BalancerMember],
) -> Option<(BalancerMember, Option<Span>)> {
    let key = |name: &str| format!("{path}.{name}");
    let errors_before = diag.errors.len();
    let url = required(diag, raw.url, path, "url", span).and_then(|v| {
        let parsed = match classify(&v.value) {
            UrlKind::Http => parse_http_url(&v.value),
            UrlKind::Other(why) => Err(why),
            _ => Err("a member needs an http:// URL (\"http://host[:port][/path]\")".to_owned()),
        };
        match parsed {
            Ok(url) if earlier.iter().any(|m| m.url.url == url.url) => {
                let detail = format!("\"{}\" is already a member of this balancer", url.url);
                diag.invalid(v.span, &key("url"), detail);
                None
            }
            Ok(url) => Some(url),
            Err(detail) => {
                diag.invalid(v.span, &key("url"), detail);
                None
            }
        }
    });
    let (worker, _) = worker_params(
        diag,
        RawWorker {
            min: raw.min,
            max: raw.max,
            smax: raw.smax,
            ttl: raw.ttl,
            timeout: raw.timeout,
            connectiontimeout: raw.connectiontimeout,
            acquire: raw.acquire,
            retry: raw.retry,
            keepalive: raw.keepalive,
            disablereuse: raw.disablereuse,
        },
        path,
    );
    let lbfactor = match take(diag, raw.loadfactor, &key("loadfactor")) {
        Some(v) => match parse_loadfactor(v.value) {
            Ok(f) => f,
            Err(detail) => {
                diag.invalid(v.span, &key("loadfactor"), detail);
                100
            }
        },
        None => 100,
    };
    let lbset = match take(diag, raw.lbset, &key("lbset")) {
        Some(v) if v.value > 99 => {
            diag.invalid(v.span, &key("lbset"), "expected 0 to 99");
            0
        }
        Some(v) => v.value,
        None => 0,
    };
    let mut names = |field: Field<String>, name: &str| {
        let v = take(diag, field, &key(name))?;
        if v.value.is_empty() || v.value.len() > 63 || v.value.contains(char::is_whitespace) {
            let detail = "expected 1 to 63 characters, no spaces";
            diag.invalid(v.span, &key(name), detail);
            return None;
        }
        Some(v)
    };
    let route = names(raw.route, "route");
    let redirect = names(raw.redirect, "redirect");
    if let Some(v) = &route
        && earlier.iter().any(|m| m.route == v.value)
    {
        let detail = format!("route \"{}\" is already used in this balancer", v.value);
        diag.invalid(v.span.clone(), &key("route"), detail);
    }
    let status = match take(diag, raw.status, &key("status")) {
        Some(v) => match parse_member_status(&v.value) {
            Ok(s) => s,
            Err(detail) => {
                diag.invalid(v.span, &key("status"), detail);
                MemberStatus::default()
            }
        },
        None => MemberStatus::default(),
    };
    if diag.errors.len() != errors_before {
        return None;
    }
    let redirect_span = redirect.as_ref().map(|v| v.span.clone());
    let built = BalancerMember {
        url: url?,
        worker,
        route: route.map(|v| v.value).unwrap_or_default(),
        lbfactor,
        lbset,
        status,
        redirect: redirect.map(|v| v.value).unwrap_or_default(),
    };
    Some((built, redirect_span))
}
