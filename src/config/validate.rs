//! Raw -> frozen: defaults, ranges, path resolution, and the top-level,
//! `[http]`, `[log]` and `[status]` keys. `[mpm]` clamps are in `mpm.rs`, `[files]` in
//! `files.rs`, the `[[...]]` sections in `sections.rs`.
//!
//! Every problem is recorded in [`Diagnostics`] and checking goes on, so one run reports all
//! of them; a value that failed is replaced by its default so later checks still run. Reads
//! the file system only to check `document_root` and `types_config`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::duration::Unit;
use super::error::{Diagnostics, did_you_mean};
use super::extract::{Val, resolve, take, take_duration, take_items, take_list};
use super::file::{RawConfig, RawHttp, RawLog, RawMpm, RawStatus};
use super::lenient::{Expect, Field, Item, StringList};
use super::mpm::{MpmInput, Retained, resolve_mpm};
use super::types::{
    AccessLogConfig, Config, FileEtag, HostnameLookups, HttpConfig, LogLevel, LogTarget, MpmConfig,
    MpmModule, ServerTokens, StatusConfig,
};
use super::values::{
    expand_log_format, parse_default_charset, parse_file_etag, parse_hostname_lookups,
    parse_listen, parse_log_level, parse_module, parse_server_tokens,
};
use super::{files, proxy, sections};

/// Builds the frozen configuration; problems go to `diag` (the result is only used if there
/// are no errors).
pub fn build(
    raw: RawConfig,
    source: &Path,
    previous: Option<&Config>,
    diag: &mut Diagnostics<'_>,
) -> Config {
    let config_dir = source.parent().unwrap_or(Path::new("/"));
    let server_root = server_root(diag, raw.server_root, config_dir);
    let root = server_root.as_path();

    let server_name = match take(diag, raw.server_name, "server_name") {
        Some(v) if v.value.is_empty() || v.value.contains(char::is_whitespace) => {
            diag.invalid(
                v.span,
                "server_name",
                "expected a host name, without spaces",
            );
            "localhost".into()
        }
        Some(v) => v.value,
        None => "localhost".into(),
    };
    let listen = listen(diag, raw.listen);
    let listen_backlog = match take(diag, raw.listen_backlog, "listen_backlog") {
        Some(v) if v.value == 0 || v.value > i32::MAX as u32 => {
            diag.invalid(v.span, "listen_backlog", "must be between 1 and 2147483647");
            511
        }
        Some(v) => v.value as i32,
        None => 511,
    };
    let pid_file = path_or_default(diag, raw.pid_file, "pid_file", "logs/mpmd.pid", root);
    let error_log = match take(diag, raw.error_log, "error_log") {
        Some(v) if v.value == "-" => LogTarget::Stderr,
        Some(v) => LogTarget::File(log_path(diag, v, "error_log", "logs/error.log", root)),
        None => LogTarget::File(resolve(root, "logs/error.log")),
    };
    let log_level = keyword(
        diag,
        raw.log_level,
        "log_level",
        parse_log_level,
        LogLevel::Warn,
    );
    let user = account(diag, raw.user, "user");
    let group = account(diag, raw.group, "group");
    let graceful_shutdown_timeout = take_duration(
        diag,
        raw.graceful_shutdown_timeout,
        "graceful_shutdown_timeout",
        Unit::Seconds,
    )
    .map(|v| v.value)
    .filter(|d| !d.is_zero());
    let scoreboard_file = take(diag, raw.scoreboard_file, "scoreboard_file")
        .and_then(|v| non_empty_path(diag, v, "scoreboard_file", root));
    let server_tokens = keyword(
        diag,
        raw.server_tokens,
        "server_tokens",
        parse_server_tokens,
        ServerTokens::Full,
    );
    let retained = previous.map(|p| Retained {
        module: p.mpm.module,
        server_limit: p.mpm.server_limit,
        thread_limit: p.mpm.thread_limit,
    });
    let mpm = mpm(diag, raw.mpm, retained);
    let http = http(diag, raw.http, root);
    let log = access_log(diag, raw.log, root);
    let (mut files, docroot_as_written) = files::build(diag, raw.files, root);
    let status = status(diag, raw.status);
    let base = sections::PathBase {
        server_root: root,
        docroot_as_written: &docroot_as_written,
        document_root: &files.document_root,
    };
    let (directories, locations) = sections::check(diag, raw.directory, raw.location, &base);
    let proxy = proxy::check(diag, raw.proxy, raw.balancer);
    files.directories = directories;

    Config {
        source: source.to_path_buf(),
        server_root,
        server_name,
        listen,
        listen_backlog,
        pid_file,
        error_log,
        log_level,
        user,
        group,
        graceful_shutdown_timeout,
        scoreboard_file,
        server_tokens,
        mpm,
        http,
        log,
        files,
        status,
        locations,
        proxy,
    }
}

/// ServerRoot: default the config file's directory; relative -> against that directory.
fn server_root(diag: &mut Diagnostics<'_>, field: Field<String>, config_dir: &Path) -> PathBuf {
    let root = match take(diag, field, "server_root") {
        Some(v) if v.value.trim().is_empty() => {
            diag.invalid(v.span, "server_root", "the path is empty");
            config_dir.to_path_buf()
        }
        Some(v) => resolve(config_dir, &v.value),
        None => config_dir.to_path_buf(),
    };
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// A keyword key: parsed, or its default after reporting the error.
pub fn keyword<T>(
    diag: &mut Diagnostics<'_>,
    field: Field<String>,
    key: &str,
    parse: impl Fn(&str) -> Result<T, String>,
    default: T,
) -> T {
    keyword_val(diag, field, key, parse).map_or(default, |v| v.value)
}

/// A keyword key with its span, `None` if absent or bad.
pub fn keyword_val<T>(
    diag: &mut Diagnostics<'_>,
    field: Field<String>,
    key: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<Val<T>> {
    let v = take(diag, field, key)?;
    match parse(&v.value) {
        Ok(value) => Some(Val {
            value,
            span: v.span,
        }),
        Err(detail) => {
            diag.invalid(v.span, key, detail);
            None
        }
    }
}

fn listen(diag: &mut Diagnostics<'_>, field: Field<Vec<Item<String>>>) -> Vec<SocketAddr> {
    let Some(list) = take(diag, field, "listen") else {
        return vec![SocketAddr::from(([127, 0, 0, 1], 8080))];
    };
    if list.value.is_empty() {
        diag.invalid(
            list.span,
            "listen",
            "the list is empty (give at least one address, e.g. [\"127.0.0.1:8080\"])",
        );
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut addrs = Vec::new();
    for entry in take_items(diag, list.value, "listen").unwrap_or_default() {
        match parse_listen(&entry.value) {
            Ok(addr) if !seen.insert(addr) => diag.warn(format!(
                "listen address {addr} is given more than once; it is bound once"
            )),
            Ok(addr) => addrs.push(addr),
            Err(detail) => diag.invalid(entry.span, "listen", detail),
        }
    }
    addrs
}

/// A path key with a default, resolved against `server_root`.
fn path_or_default(
    diag: &mut Diagnostics<'_>,
    field: Field<String>,
    key: &str,
    default: &str,
    root: &Path,
) -> PathBuf {
    take(diag, field, key)
        .and_then(|v| non_empty_path(diag, v, key, root))
        .unwrap_or_else(|| resolve(root, default))
}

fn non_empty_path(
    diag: &mut Diagnostics<'_>,
    v: Val<String>,
    key: &str,
    root: &Path,
) -> Option<PathBuf> {
    if v.value.trim().is_empty() {
        diag.invalid(v.span, key, "the path is empty");
        return None;
    }
    Some(resolve(root, &v.value))
}

/// A log file path; pipes and syslog are Apache features mpmd does not have.
fn log_path(
    diag: &mut Diagnostics<'_>,
    v: Val<String>,
    key: &str,
    default: &str,
    root: &Path,
) -> PathBuf {
    let lower = v.value.trim().to_ascii_lowercase();
    if lower.starts_with('|') {
        diag.invalid(
            v.span.clone(),
            key,
            "piped logs (\"|command\") are not supported (give a file name)",
        );
    } else if lower == "syslog" || lower.starts_with("syslog:") {
        diag.invalid(
            v.span.clone(),
            key,
            "syslog is not supported (give a file name, or \"-\" for standard error)",
        );
    }
    non_empty_path(diag, v, key, root).unwrap_or_else(|| resolve(root, default))
}

fn account(diag: &mut Diagnostics<'_>, field: Field<String>, key: &str) -> Option<String> {
    let v = take(diag, field, key)?;
    if v.value.is_empty() || v.value.contains(char::is_whitespace) {
        diag.invalid(v.span, key, "expected a name or #id, without spaces");
        return None;
    }
    Some(v.value)
}

/// `[mpm]`: aliases, then Apache's clamps.
fn mpm(diag: &mut Diagnostics<'_>, raw: RawMpm, retained: Option<Retained>) -> MpmConfig {
    let module = keyword_val(diag, raw.module, "mpm.module", parse_module)
        .map_or(MpmModule::Prefork, |v| v.value);
    let async_request_worker_factor = take(
        diag,
        raw.async_request_worker_factor,
        "mpm.async_request_worker_factor",
    )
    .and_then(|v| {
        if v.value > 0.0 && v.value.is_finite() {
            Some(v.value)
        } else {
            diag.invalid(
                v.span,
                "mpm.async_request_worker_factor",
                "must be a positive number",
            );
            None
        }
    });
    let max_request_workers = aliased(
        diag,
        (raw.max_request_workers, "max_request_workers"),
        (raw.max_clients, "max_clients"),
    );
    let max_connections_per_child = aliased(
        diag,
        (raw.max_connections_per_child, "max_connections_per_child"),
        (raw.max_requests_per_child, "max_requests_per_child"),
    );
    let mut get =
        |field: Field<u32>, key: &str| take(diag, field, &format!("mpm.{key}")).map(|v| v.value);
    let input = MpmInput {
        start_servers: get(raw.start_servers, "start_servers"),
        min_spare_servers: get(raw.min_spare_servers, "min_spare_servers"),
        max_spare_servers: get(raw.max_spare_servers, "max_spare_servers"),
        server_limit: get(raw.server_limit, "server_limit"),
        max_request_workers,
        max_connections_per_child,
        threads_per_child: get(raw.threads_per_child, "threads_per_child"),
        thread_limit: get(raw.thread_limit, "thread_limit"),
        min_spare_threads: get(raw.min_spare_threads, "min_spare_threads"),
        max_spare_threads: get(raw.max_spare_threads, "max_spare_threads"),
        async_request_worker_factor,
    };
    let (config, warnings) = resolve_mpm(module, &input, retained);
    for warning in warnings {
        diag.warn(warning);
    }
    config
}

/// A key with a deprecated alias (Apache's MaxClients, MaxRequestsPerChild): the alias works
/// with an info message; giving both is an error.
fn aliased<T: Expect>(
    diag: &mut Diagnostics<'_>,
    (main, main_key): (Field<T>, &str),
    (alias, alias_key): (Field<T>, &str),
) -> Option<T> {
    let main_given = main.is_some();
    let main = take(diag, main, &format!("mpm.{main_key}"));
    let alias_span = alias.as_ref().map(|a| a.span());
    let alias = take(diag, alias, &format!("mpm.{alias_key}"));
    if let Some(span) = alias_span {
        if main_given {
            diag.error(
                span,
                &format!("mpm.{alias_key}"),
                format!(
                    "\"mpm.{alias_key}\" is the deprecated name of \"mpm.{main_key}\", which is \
                     also given; keep only \"{main_key}\""
                ),
            );
        } else {
            diag.info(format!(
                "{alias_key} is deprecated, use {main_key} instead."
            ));
        }
    }
    main.or(alias).map(|v| v.value)
}

fn http(diag: &mut Diagnostics<'_>, raw: RawHttp, root: &Path) -> HttpConfig {
    let secs = |diag: &mut Diagnostics<'_>, field, key, default| {
        take_duration(diag, field, key, Unit::Seconds)
            .map_or(Duration::from_secs(default), |v| v.value)
    };
    let timeout = match take_duration(diag, raw.timeout, "http.timeout", Unit::Seconds) {
        Some(v) if v.value.is_zero() => {
            diag.invalid(v.span, "http.timeout", "must be greater than 0");
            Duration::from_secs(60)
        }
        Some(v) => v.value,
        None => Duration::from_secs(60),
    };
    let keep_alive_timeout = secs(diag, raw.keep_alive_timeout, "http.keep_alive_timeout", 5);
    let flag = |diag: &mut Diagnostics<'_>, field: Field<bool>, key: &str, default: bool| {
        take(diag, field, key).map_or(default, |v| v.value)
    };
    let number = |diag: &mut Diagnostics<'_>, field: Field<u32>, key: &str, default: u32| {
        take(diag, field, key).map_or(default, |v| v.value)
    };
    let keep_alive = flag(diag, raw.keep_alive, "http.keep_alive", true);
    let max_keep_alive_requests = number(
        diag,
        raw.max_keep_alive_requests,
        "http.max_keep_alive_requests",
        100,
    );
    let limit_request_line = number(
        diag,
        raw.limit_request_line,
        "http.limit_request_line",
        8190,
    );
    let limit_request_fields = number(
        diag,
        raw.limit_request_fields,
        "http.limit_request_fields",
        100,
    );
    let limit_request_field_size = number(
        diag,
        raw.limit_request_field_size,
        "http.limit_request_field_size",
        8190,
    );
    let limit_request_body = take(diag, raw.limit_request_body, "http.limit_request_body")
        .map_or(1_073_741_824, |v| v.value);
    let hostname_lookups = keyword(
        diag,
        raw.hostname_lookups,
        "http.hostname_lookups",
        parse_hostname_lookups,
        HostnameLookups::Off,
    );
    let enable_sendfile = flag(diag, raw.enable_sendfile, "http.enable_sendfile", false);
    let enable_mmap = flag(diag, raw.enable_mmap, "http.enable_mmap", true);
    let file_etag = file_etag(diag, raw.file_etag);
    let types_config = types_config(diag, raw.types_config, root);
    let add_default_charset = keyword(
        diag,
        raw.add_default_charset,
        "http.add_default_charset",
        parse_default_charset,
        None,
    );
    let trace_enable = flag(diag, raw.trace_enable, "http.trace_enable", true);
    // MaxRanges; 0 is Apache's `none` (no ranges, `Accept-Ranges: none`).
    let max_ranges = take(diag, raw.max_ranges, "http.max_ranges").map_or(200, |v| v.value);
    HttpConfig {
        timeout,
        keep_alive,
        keep_alive_timeout,
        max_keep_alive_requests,
        limit_request_line: limit_request_line as usize,
        limit_request_fields: limit_request_fields as usize,
        limit_request_field_size: limit_request_field_size as usize,
        limit_request_body,
        hostname_lookups,
        enable_sendfile,
        enable_mmap,
        file_etag,
        types_config,
        add_default_charset,
        trace_enable,
        max_ranges,
    }
}

fn file_etag(diag: &mut Diagnostics<'_>, field: Field<StringList>) -> FileEtag {
    let default = FileEtag {
        inode: false,
        mtime: true,
        size: true,
    };
    let key = "http.file_etag";
    let Some(list) = take_list(diag, field, key) else {
        return default;
    };
    let words: Vec<&str> = list.value.iter().map(|v| v.value.as_str()).collect();
    match parse_file_etag(&words) {
        Ok(etag) => etag,
        Err((i, detail)) => {
            let span = list
                .value
                .get(i)
                .map_or(list.span.clone(), |v| v.span.clone());
            diag.invalid(span, key, detail);
            default
        }
    }
}

/// TypesConfig must be a readable file.
fn types_config(diag: &mut Diagnostics<'_>, field: Field<String>, root: &Path) -> PathBuf {
    let key = "http.types_config";
    let given = take(diag, field, key);
    let span = given.as_ref().map(|v| v.span.clone());
    let path = match given {
        Some(v) => non_empty_path(diag, v, key, root),
        None => Some(resolve(root, "conf/mime.types")),
    };
    let Some(path) = path else {
        return resolve(root, "conf/mime.types");
    };
    let problem = match std::fs::File::open(&path).and_then(|f| f.metadata()) {
        Ok(meta) if meta.is_file() => None,
        Ok(_) => Some("is not a regular file".to_owned()),
        Err(e) => Some(format!("cannot be read: {}", io_text(&e))),
    };
    if let Some(problem) = problem {
        located(diag, span, key, format!("\"{}\" {problem}", path.display()));
    }
    path
}

/// Reports a problem with a key's value, or with its default when the key is absent.
pub fn located(diag: &mut Diagnostics<'_>, span: Option<Range<usize>>, key: &str, detail: String) {
    match span {
        Some(span) => diag.invalid(span, key, detail),
        None => diag.invalid(
            0..0,
            key,
            format!("{detail} (this is the default; set \"{key}\" to change it)"),
        ),
    }
}

/// An io::Error as lower-case text without the "(os error N)" tail.
pub fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

fn access_log(diag: &mut Diagnostics<'_>, raw: RawLog, root: &Path) -> AccessLogConfig {
    let access_log = match take(diag, raw.access_log, "log.access_log") {
        Some(v) if v.value.is_empty() => None,
        Some(v) => Some(log_path(diag, v, "log.access_log", "logs/access.log", root)),
        None => Some(resolve(root, "logs/access.log")),
    };
    let log_format = match take(diag, raw.log_format, "log.log_format") {
        Some(v) => {
            if !v.value.contains('%')
                && !matches!(v.value.to_ascii_lowercase().trim(), "common" | "combined")
            {
                diag.warn(format!(
                    "log_format \"{}\" has no % directive, so every access log line will be \
                     exactly that text{}",
                    v.value,
                    did_you_mean(&v.value, &["common", "combined"])
                ));
            }
            expand_log_format(&v.value)
        }
        None => expand_log_format("common"),
    };
    let buffered_logs = take(diag, raw.buffered_logs, "log.buffered_logs").is_some_and(|v| v.value);
    AccessLogConfig {
        access_log,
        log_format,
        buffered_logs,
    }
}

fn status(diag: &mut Diagnostics<'_>, raw: RawStatus) -> StatusConfig {
    StatusConfig {
        extended_status: take(diag, raw.extended_status, "status.extended_status")
            .is_none_or(|v| v.value),
    }
}
