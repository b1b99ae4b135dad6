//! The raw shape of `mpmd.toml`: one serde struct per section, every key of `spec/config.md`.
//!
//! These structs only say which keys exist and what TOML type each takes; every value is
//! wrapped in [`Field`] so type errors are collected rather than fatal (see `lenient.rs`), and
//! `#[serde(deny_unknown_fields)]` backs up the unknown-key check in `schema.rs`, which reads
//! its key lists from these same structs. Defaults, ranges and meanings live in `validate.rs`;
//! nothing here decides whether a value is acceptable.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::lenient::{DurationValue, Field, Item, StringList};

/// A mod_mime style table: `{ "text/markdown" = [".md", ".markdown"] }`.
pub type ExtensionMap = BTreeMap<Spanned<String>, Item<StringList>>;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub server_root: Field<String>,
    pub server_name: Field<String>,
    pub listen: Field<Vec<Item<String>>>,
    pub listen_backlog: Field<u32>,
    pub pid_file: Field<String>,
    pub error_log: Field<String>,
    pub log_level: Field<String>,
    pub user: Field<String>,
    pub group: Field<String>,
    pub graceful_shutdown_timeout: Field<DurationValue>,
    pub scoreboard_file: Field<String>,
    pub server_tokens: Field<String>,
    pub mpm: RawMpm,
    pub http: RawHttp,
    pub log: RawLog,
    pub files: RawFiles,
    pub status: RawStatus,
    pub directory: Vec<Spanned<RawDirectory>>,
    pub location: Vec<Spanned<RawLocation>>,
    pub proxy: Vec<Spanned<RawProxy>>,
    pub balancer: Vec<Spanned<RawBalancer>>,
}

/// `[mpm]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMpm {
    pub module: Field<String>,
    pub start_servers: Field<u32>,
    pub min_spare_servers: Field<u32>,
    pub max_spare_servers: Field<u32>,
    pub server_limit: Field<u32>,
    pub max_request_workers: Field<u32>,
    /// Deprecated alias of `max_request_workers` (Apache's MaxClients).
    pub max_clients: Field<u32>,
    pub max_connections_per_child: Field<u64>,
    /// Deprecated alias of `max_connections_per_child` (Apache's MaxRequestsPerChild).
    pub max_requests_per_child: Field<u64>,
    pub threads_per_child: Field<u32>,
    pub thread_limit: Field<u32>,
    pub min_spare_threads: Field<u32>,
    pub max_spare_threads: Field<u32>,
    /// event only (Apache's AsyncRequestWorkerFactor): an integer or a fraction.
    pub async_request_worker_factor: Field<f64>,
}

/// `[http]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawHttp {
    pub timeout: Field<DurationValue>,
    pub keep_alive: Field<bool>,
    pub keep_alive_timeout: Field<DurationValue>,
    pub max_keep_alive_requests: Field<u32>,
    pub limit_request_line: Field<u32>,
    pub limit_request_fields: Field<u32>,
    pub limit_request_field_size: Field<u32>,
    pub limit_request_body: Field<u64>,
    pub hostname_lookups: Field<String>,
    pub enable_sendfile: Field<bool>,
    pub enable_mmap: Field<bool>,
    pub file_etag: Field<StringList>,
    pub types_config: Field<String>,
    pub add_default_charset: Field<String>,
    pub trace_enable: Field<bool>,
    pub max_ranges: Field<u32>,
}

/// `[log]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLog {
    pub access_log: Field<String>,
    pub log_format: Field<String>,
    pub buffered_logs: Field<bool>,
}

/// `[files]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawFiles {
    pub document_root: Field<String>,
    pub directory_index: Field<StringList>,
    pub directory_slash: Field<bool>,
    pub options: Field<StringList>,
    pub index_options: Field<StringList>,
    pub allow_override: Field<StringList>,
    pub access_file_name: Field<StringList>,
    pub language_priority: Field<StringList>,
    pub force_language_priority: Field<String>,
    pub error_document: Field<BTreeMap<Spanned<String>, Item<String>>>,
    pub add_type: Field<ExtensionMap>,
    pub add_language: Field<ExtensionMap>,
    pub add_charset: Field<ExtensionMap>,
    pub add_encoding: Field<ExtensionMap>,
    pub add_handler: Field<ExtensionMap>,
    pub default_language: Field<String>,
}

/// `[status]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawStatus {
    pub extended_status: Field<bool>,
}

/// One `[[directory]]` (`<Directory>`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDirectory {
    pub path: Field<String>,
    pub options: Field<StringList>,
    pub allow_override: Field<StringList>,
    pub directory_index: Field<StringList>,
    pub require: Field<StringList>,
    pub add_type: Field<ExtensionMap>,
    pub add_language: Field<ExtensionMap>,
    pub add_charset: Field<ExtensionMap>,
    pub add_encoding: Field<ExtensionMap>,
    pub add_handler: Field<ExtensionMap>,
    pub default_language: Field<String>,
    pub language_priority: Field<StringList>,
    pub force_language_priority: Field<String>,
    pub error_document: Field<BTreeMap<Spanned<String>, Item<String>>>,
}

/// One `[[location]]` (`<Location>`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLocation {
    pub path: Field<String>,
    pub handler: Field<String>,
    pub require: Field<StringList>,
}

/// ProxyPass worker parameters, shared by `[[proxy]]` and `[[balancer.member]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawProxy {
    pub path: Field<String>,
    pub url: Field<String>,
    pub reverse: Field<bool>,
    pub preserve_host: Field<bool>,
    pub min: Field<u32>,
    pub max: Field<u32>,
    pub smax: Field<u32>,
    pub ttl: Field<DurationValue>,
    pub timeout: Field<DurationValue>,
    pub connectiontimeout: Field<DurationValue>,
    pub acquire: Field<DurationValue>,
    pub retry: Field<DurationValue>,
    pub keepalive: Field<bool>,
    pub disablereuse: Field<bool>,
}

/// One `[[balancer]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawBalancer {
    pub name: Field<String>,
    pub lbmethod: Field<String>,
    pub stickysession: Field<String>,
    pub stickysessionsep: Field<String>,
    pub nofailover: Field<bool>,
    pub maxattempts: Field<u32>,
    pub timeout: Field<DurationValue>,
    pub failonstatus: Field<Vec<Item<u16>>>,
    pub failontimeout: Field<bool>,
    pub forcerecovery: Field<bool>,
    pub member: Vec<Spanned<RawMember>>,
}

/// One `[[balancer.member]]` (`BalancerMember`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMember {
    pub url: Field<String>,
    pub min: Field<u32>,
    pub max: Field<u32>,
    pub smax: Field<u32>,
    pub ttl: Field<DurationValue>,
    pub timeout: Field<DurationValue>,
    pub connectiontimeout: Field<DurationValue>,
    pub acquire: Field<DurationValue>,
    pub retry: Field<DurationValue>,
    pub keepalive: Field<bool>,
    pub disablereuse: Field<bool>,
    pub route: Field<String>,
    /// 1 to 100, two decimals (an integer or a fraction).
    pub loadfactor: Field<f64>,
    pub lbset: Field<u32>,
    pub status: Field<String>,
    pub redirect: Field<String>,
}
