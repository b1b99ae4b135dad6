//! The `[[directory]]`, `[[location]]`, `[[proxy]]` and `[[balancer]]` sections. Directory
//! sections are checked and frozen into [`DirectorySection`]s, sorted as Apache sorts
//! `<Directory>` sections; `[[location]]`s (the server-status handler, `require`) become
//! [`LocationConfig`]s in file order; proxy and balancer sections (and a location with the
//! balancer-manager handler) are checked key by key (so a typo is found now, not when the
//! feature lands), then reported as "not supported yet" with the issue that brings them.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::dir_keys::{RawDirKeys, dir_settings};
use super::directives::parse_require;
use super::duration::Unit;
use super::error::{Diagnostics, did_you_mean, one_of};
use super::extract::{Val, resolve, take, take_duration, take_items, take_list};
use super::file::{RawBalancer, RawDirectory, RawLocation, RawMember, RawProxy};
use super::later::PROXY;
use super::lenient::{DurationValue, Field, StringList};
use super::types::{DirectorySection, LocationConfig, RequireLine};

type Span = Range<usize>;

/// Where `[[directory]]` paths are anchored: relative ones against `server_root`; those under
/// the document root as written are re-based onto the canonical one, so they match the walk.
pub struct PathBase<'a> {
    pub server_root: &'a Path,
    pub docroot_as_written: &'a Path,
    pub document_root: &'a Path,
}

/// Checks every section; returns the directory sections, sorted by depth (stable), and the
/// locations in file order.
pub fn check(
    diag: &mut Diagnostics<'_>,
    directories: Vec<Spanned<RawDirectory>>,
    locations: Vec<Spanned<RawLocation>>,
    proxies: Vec<Spanned<RawProxy>>,
    balancers: Vec<Spanned<RawBalancer>>,
    base: &PathBase<'_>,
) -> (Vec<DirectorySection>, Vec<LocationConfig>) {
    let mut sections = Vec::new();
    for (i, section) in directories.into_iter().enumerate() {
        let span = section.span();
        let path = format!("directory[{i}]");
        if let Some(s) = directory(diag, section.into_inner(), &path, &span, base) {
            sections.push(s);
        }
    }
    sections.sort_by_key(|s| s.path.components().count());
    let mut built = Vec::new();
    for (i, section) in locations.into_iter().enumerate() {
        let span = section.span();
        let path = format!("location[{i}]");
        built.extend(location(diag, section.into_inner(), &path, &span));
    }
    for (i, section) in proxies.into_iter().enumerate() {
        let span = section.span();
        let path = format!("proxy[{i}]");
        not_yet(diag, span.clone(), &path, "[[proxy]]", PROXY);
        proxy(diag, section.into_inner(), &path, &span);
    }
    for (i, section) in balancers.into_iter().enumerate() {
        let span = section.span();
        let path = format!("balancer[{i}]");
        not_yet(diag, span.clone(), &path, "[[balancer]]", PROXY);
        balancer(diag, section.into_inner(), &path, &span);
    }
    (sections, built)
}

fn not_yet(diag: &mut Diagnostics<'_>, span: Span, key: &str, what: &str, issue: &str) {
    diag.error(
        span,
        key,
        format!("{what} sections are not supported yet (they come with {issue})"),
    );
}

/// A key every section of its kind must have.
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
    match &value {
        None if !present => diag.error(
            section_span.clone(),
            &key,
            format!("missing key \"{name}\" in {section}"),
        ),
        Some(v) if v.value.trim().is_empty() => {
            diag.invalid(v.span.clone(), &key, "must not be empty")
        }
        _ => {}
    }
    value
}

fn directory(
    diag: &mut Diagnostics<'_>,
    raw: RawDirectory,
    section: &str,
    span: &Span,
    base: &PathBase<'_>,
) -> Option<DirectorySection> {
    let path = required(diag, raw.path, section, "path", span);
    let keys = RawDirKeys {
        options: raw.options,
        allow_override: raw.allow_override,
        directory_index: raw.directory_index,
        require: raw.require,
        error_document: raw.error_document,
        add_type: raw.add_type,
        add_language: raw.add_language,
        add_charset: raw.add_charset,
        add_encoding: raw.add_encoding,
        add_handler: raw.add_handler,
        default_language: raw.default_language,
        language_priority: raw.language_priority,
        force_language_priority: raw.force_language_priority,
    };
    let settings = dir_settings(diag, keys, section);
    let path = path.filter(|p| !p.value.trim().is_empty())?;
    Some(DirectorySection {
        path: anchor(base, &path.value),
        settings,
    })
}

/// A section path, absolute and normalized; re-based onto the canonical document root when it
/// lies under the document root as written.
fn anchor(base: &PathBase<'_>, text: &str) -> PathBuf {
    let path = resolve(base.server_root, text);
    match path.strip_prefix(base.docroot_as_written) {
        Ok(rest) if base.docroot_as_written != base.document_root => base.document_root.join(rest),
        _ => path,
    }
}

const HANDLERS: [&str; 2] = ["server-status", "balancer-manager"];

fn location(
    diag: &mut Diagnostics<'_>,
    raw: RawLocation,
    path: &str,
    span: &Span,
) -> Option<LocationConfig> {
    let key = |name: &str| format!("{path}.{name}");
    let errors_before = diag.errors.len();
    let url = required(diag, raw.path, path, "path", span);
    if let Some(v) = &url
        && !v.value.starts_with('/')
    {
        diag.invalid(
            v.span.clone(),
            &key("path"),
            "expected a URL path starting with '/'",
        );
    }
    let handler = take(diag, raw.handler, &key("handler"));
    if let Some(v) = &handler {
        if !HANDLERS.contains(&v.value.as_str()) {
            let detail = format!(
                "\"{}\" is not a handler (expected {}){}",
                v.value,
                one_of(&HANDLERS),
                did_you_mean(&v.value, &HANDLERS)
            );
            diag.invalid(v.span.clone(), &key("handler"), detail);
        } else if v.value == "balancer-manager" {
            let why = format!("only \"server-status\"; the balancer manager comes with {PROXY}");
            diag.unsupported(v.span.clone(), &key("handler"), &why);
        }
    }
    let require = require(diag, raw.require, &key("require"));
    (diag.errors.len() == errors_before).then(|| LocationConfig {
        path: url.map(|v| v.value).unwrap_or_default(),
        handler: handler.map(|v| v.value),
        require,
    })
}

/// `require` lines: Apache's `Require` providers mpmd knows, any one of which grants.
fn require(diag: &mut Diagnostics<'_>, field: Field<StringList>, key: &str) -> Vec<RequireLine> {
    let mut lines = Vec::new();
    for line in take_list(diag, field, key)
        .map(|l| l.value)
        .unwrap_or_default()
    {
        match parse_require(&line.value) {
            Ok(parsed) => lines.push(parsed),
            Err(detail) => diag.invalid(line.span, key, detail),
        }
    }
    lines
}

/// The ProxyPass worker parameters shared by `[[proxy]]` and `[[balancer.member]]`.
struct WorkerParams {
    durations: [(Field<DurationValue>, &'static str, Unit); 5],
}

fn worker_params(diag: &mut Diagnostics<'_>, params: WorkerParams, path: &str) {
    for (field, name, unit) in params.durations {
        take_duration(diag, field, &format!("{path}.{name}"), unit);
    }
}

fn backend_url(diag: &mut Diagnostics<'_>, v: Option<Val<String>>, key: &str, allow: &[&str]) {
    let Some(v) = v else {
        return;
    };
    let ok = v.value == "!" && allow.contains(&"!")
        || allow.iter().any(|scheme| {
            v.value
                .strip_prefix(scheme)
                .is_some_and(|rest| !rest.is_empty())
        });
    if !ok {
        let detail = format!(
            "\"{}\" is not a backend URL (expected {})",
            v.value,
            one_of(allow)
        );
        diag.invalid(v.span, key, detail);
    }
}

fn proxy(diag: &mut Diagnostics<'_>, raw: RawProxy, path: &str, span: &Span) {
    let key = |name: &str| format!("{path}.{name}");
    if let Some(v) = required(diag, raw.path, path, "path", span)
        && !v.value.starts_with('/')
    {
        diag.invalid(
            v.span,
            &key("path"),
            "expected a URL path starting with '/'",
        );
    }
    let url = required(diag, raw.url, path, "url", span);
    backend_url(diag, url, &key("url"), &["http://", "balancer://", "!"]);
    for (field, name) in [
        (raw.reverse, "reverse"),
        (raw.preserve_host, "preserve_host"),
        (raw.keepalive, "keepalive"),
        (raw.disablereuse, "disablereuse"),
    ] {
        take(diag, field, &key(name));
    }
    for (field, name) in [(raw.min, "min"), (raw.max, "max"), (raw.smax, "smax")] {
        take(diag, field, &key(name));
    }
    let durations = [
        (raw.ttl, "ttl", Unit::Seconds),
        (raw.timeout, "timeout", Unit::Seconds),
        (raw.connectiontimeout, "connectiontimeout", Unit::Seconds),
        (raw.acquire, "acquire", Unit::Millis),
        (raw.retry, "retry", Unit::Seconds),
    ];
    worker_params(diag, WorkerParams { durations }, path);
}

const LBMETHODS: [&str; 3] = ["byrequests", "bytraffic", "bybusyness"];

fn balancer(diag: &mut Diagnostics<'_>, raw: RawBalancer, path: &str, span: &Span) {
    let key = |name: &str| format!("{path}.{name}");
    if let Some(v) = required(diag, raw.name, path, "name", span) {
        let name = v.value.strip_prefix("balancer://").unwrap_or(&v.value);
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            diag.invalid(
                v.span,
                &key("name"),
                "expected a name of letters, digits, '-', '_' or '.'",
            );
        }
    }
    if let Some(v) = take(diag, raw.lbmethod, &key("lbmethod"))
        && !LBMETHODS.contains(&v.value.as_str())
    {
        let detail = format!(
            "\"{}\" is not a method (expected {}){}",
            v.value,
            one_of(&LBMETHODS),
            did_you_mean(&v.value, &LBMETHODS)
        );
        diag.invalid(v.span, &key("lbmethod"), detail);
    }
    if let Some(v) = take(diag, raw.stickysession, &key("stickysession"))
        && (v.value.is_empty() || v.value.split('|').count() > 2 || v.value.len() > 63)
    {
        diag.invalid(
            v.span,
            &key("stickysession"),
            "expected \"COOKIE\" or \"COOKIE|urlparam\"",
        );
    }
    if let Some(v) = take(diag, raw.stickysessionsep, &key("stickysessionsep"))
        && v.value.chars().count() != 1
        && !v.value.eq_ignore_ascii_case("off")
    {
        diag.invalid(
            v.span,
            &key("stickysessionsep"),
            "expected one character or \"off\"",
        );
    }
    for (field, name) in [
        (raw.nofailover, "nofailover"),
        (raw.failontimeout, "failontimeout"),
        (raw.forcerecovery, "forcerecovery"),
    ] {
        take(diag, field, &key(name));
    }
    take(diag, raw.maxattempts, &key("maxattempts"));
    take_duration(diag, raw.timeout, &key("timeout"), Unit::Seconds);
    if let Some(list) = take(diag, raw.failonstatus, &key("failonstatus")) {
        for code in take_items(diag, list.value, &key("failonstatus")).unwrap_or_default() {
            if !(100..=599).contains(&code.value) {
                diag.invalid(
                    code.span,
                    &key("failonstatus"),
                    "expected an HTTP status (100 to 599)",
                );
            }
        }
    }
    for (i, m) in raw.member.into_iter().enumerate() {
        let span = m.span();
        member(diag, m.into_inner(), &format!("{path}.member[{i}]"), &span);
    }
}

fn member(diag: &mut Diagnostics<'_>, raw: RawMember, path: &str, span: &Span) {
    let key = |name: &str| format!("{path}.{name}");
    let url = required(diag, raw.url, path, "url", span);
    backend_url(diag, url, &key("url"), &["http://"]);
    for (field, name) in [
        (raw.keepalive, "keepalive"),
        (raw.disablereuse, "disablereuse"),
    ] {
        take(diag, field, &key(name));
    }
    for (field, name) in [(raw.min, "min"), (raw.max, "max"), (raw.smax, "smax")] {
        take(diag, field, &key(name));
    }
    let durations = [
        (raw.ttl, "ttl", Unit::Seconds),
        (raw.timeout, "timeout", Unit::Seconds),
        (raw.connectiontimeout, "connectiontimeout", Unit::Seconds),
        (raw.acquire, "acquire", Unit::Millis),
        (raw.retry, "retry", Unit::Seconds),
    ];
    worker_params(diag, WorkerParams { durations }, path);
    if let Some(v) = take(diag, raw.loadfactor, &key("loadfactor"))
        && !(1..=100).contains(&v.value)
    {
        diag.invalid(v.span, &key("loadfactor"), "expected 1 to 100");
    }
    if let Some(v) = take(diag, raw.lbset, &key("lbset"))
        && v.value > 99
    {
        diag.invalid(v.span, &key("lbset"), "expected 0 to 99");
    }
    if let Some(v) = take(diag, raw.route, &key("route"))
        && (v.value.is_empty() || v.value.len() > 63)
    {
        diag.invalid(v.span, &key("route"), "expected 1 to 63 characters");
    }
    take(diag, raw.redirect, &key("redirect"));
    if let Some(v) = take(diag, raw.status, &key("status"))
        && !is_member_status(&v.value)
    {
        let detail = format!(
            "\"{}\" is not a member status (expected flags such as \"+H\", \"+D\", \"+N\", \"+S\")",
            v.value
        );
        diag.invalid(v.span, &key("status"), detail);
    }
}

/// Apache's status flags: letters from `DSIRHENC`, each optionally after `+` or `-`.
fn is_member_status(text: &str) -> bool {
    let mut pending_sign = false;
    for c in text.chars() {
        match c {
            '+' | '-' if !pending_sign => pending_sign = true,
            c if "DSIRHENC".contains(c.to_ascii_uppercase()) => pending_sign = false,
            _ => return false,
        }
    }
    !text.is_empty() && !pending_sign
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_status_flags() {
        for (text, ok) in [
            ("+H", true),
            ("+D", true),
            ("S-E", true),
            ("+N", true),
            ("h", true),
            ("", false),
            ("+", false),
            ("+X", false),
            ("++H", false),
        ] {
            assert_eq!(is_member_status(text), ok, "{text}");
        }
    }
}
