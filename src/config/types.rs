//! The frozen, validated configuration every other module reads.
//!
//! Raw TOML (`file.rs`) is turned into these types by `validate.rs`; nothing outside `config/`
//! ever sees a raw value. Everything here is plain data: clamps are already applied, paths are
//! absolute (resolved against `server_root`), durations are `Duration`s.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The whole validated configuration of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this was read from (absolute).
    pub source: PathBuf,
    /// ServerRoot: relative paths were resolved against it.
    pub server_root: PathBuf,
    /// ServerName.
    pub server_name: String,
    /// Listen addresses, in file order, without duplicates.
    pub listen: Vec<SocketAddr>,
    /// ListenBacklog.
    pub listen_backlog: i32,
    /// PidFile (absolute).
    pub pid_file: PathBuf,
    /// ErrorLog.
    pub error_log: LogTarget,
    /// LogLevel.
    pub log_level: LogLevel,
    /// User, applied to children when the master runs as root.
    pub user: Option<String>,
    /// Group, applied to children when the master runs as root.
    pub group: Option<String>,
    /// GracefulShutdownTimeout; `None` = wait forever (Apache's 0).
    pub graceful_shutdown_timeout: Option<Duration>,
    /// ScoreBoardFile; `None` = anonymous shared memory.
    pub scoreboard_file: Option<PathBuf>,
    /// ServerTokens.
    pub server_tokens: ServerTokens,
    pub mpm: MpmConfig,
    pub http: HttpConfig,
    pub log: AccessLogConfig,
    pub files: FilesConfig,
    pub status: StatusConfig,
    /// `[[location]]` sections, in file order.
    pub locations: Vec<LocationConfig>,
}

/// Where the error log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// `"-"`: standard error.
    Stderr,
    /// A file opened with O_APPEND.
    File(PathBuf),
}

/// LogLevel, most severe first (so `a <= b` means "a is at least as severe as b").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Notice,
    Info,
    Debug,
    Trace,
}

/// ServerTokens: how much the `Server` header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerTokens {
    /// `mpmd/X.Y.Z (Unix)` (no modules to list).
    Full,
    /// `mpmd/X.Y.Z (Unix)`.
    Os,
    /// `mpmd/X.Y.Z`.
    Minimal,
    /// `mpmd/X.Y`.
    Minor,
    /// `mpmd/X`.
    Major,
    /// `mpmd`.
    Prod,
}

/// Which multi-processing module runs the children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MpmModule {
    /// One process per connection, blocking I/O.
    Prefork,
    /// Threaded children, one thread per connection.
    Worker,
    /// Threaded children, idle keep-alive connections parked in a poller.
    Event,
}

/// `[mpm]`, after Apache's clamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpmConfig {
    pub module: MpmModule,
    pub start_servers: u32,
    pub min_spare_servers: u32,
    /// Already raised to at least `min_spare_servers + 1`.
    pub max_spare_servers: u32,
    pub server_limit: u32,
    /// Already clamped to `[1, server_limit]` (prefork).
    pub max_request_workers: u32,
    /// 0 = never recycle.
    pub max_connections_per_child: u64,
    pub threads_per_child: u32,
    pub thread_limit: u32,
    pub min_spare_threads: u32,
    pub max_spare_threads: u32,
}

/// `[http]`.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    /// Timeout: while a request is being read or a response written.
    pub timeout: Duration,
    pub keep_alive: bool,
    /// KeepAliveTimeout: idle wait between requests.
    pub keep_alive_timeout: Duration,
    /// 0 = unlimited.
    pub max_keep_alive_requests: u32,
    pub limit_request_line: usize,
    /// 0 = unlimited.
    pub limit_request_fields: usize,
    pub limit_request_field_size: usize,
    /// 0 = unlimited.
    pub limit_request_body: u64,
    pub hostname_lookups: HostnameLookups,
    pub enable_sendfile: bool,
    pub enable_mmap: bool,
    pub file_etag: FileEtag,
    /// TypesConfig (absolute).
    pub types_config: PathBuf,
    /// AddDefaultCharset: `None` = Off; `On` becomes `Some("iso-8859-1")`.
    pub add_default_charset: Option<String>,
    pub trace_enable: bool,
    pub max_ranges: u32,
}

/// HostnameLookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostnameLookups {
    Off,
    On,
    Double,
}

/// FileETag components; all false = `["none"]` (no ETag header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileEtag {
    pub inode: bool,
    pub mtime: bool,
    pub size: bool,
}

/// `[log]`: the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogConfig {
    /// `None` = no access log (`""`).
    pub access_log: Option<PathBuf>,
    /// The Apache format string (`"common"`/`"combined"` already expanded).
    pub log_format: String,
    pub buffered_logs: bool,
}

/// `[files]`: the document tree.
#[derive(Debug, Clone, PartialEq)]
pub struct FilesConfig {
    /// DocumentRoot (absolute, canonicalized if it exists).
    pub document_root: PathBuf,
    /// DirectoryIndex, tried in order; empty = disabled.
    pub directory_index: Vec<String>,
    pub directory_slash: bool,
    /// Options for the document root after `+`/`-` merging.
    pub options: Options,
    /// `index_options`: IndexOptions' layout keywords (an mpmd key; Apache's default is none).
    pub index_options: IndexOptions,
    /// `add_type`: extension (lower case, without the dot) -> media type.
    pub add_type: BTreeMap<String, String>,
}

/// The effective `Options` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub follow_symlinks: bool,
    pub symlinks_if_owner_match: bool,
    pub indexes: bool,
    pub multiviews: bool,
}

/// The IndexOptions keywords that choose a listing's layout (mod_autoindex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexOptions {
    /// `FancyIndexing`: a `<pre>` table with Last modified / Size / Description columns.
    pub fancy_indexing: bool,
    /// `HTMLTable`: the same columns as an HTML table.
    pub html_table: bool,
}

/// `[status]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusConfig {
    pub extended_status: bool,
}

/// One `[[location]]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationConfig {
    /// URL prefix.
    pub path: String,
    pub handler: Option<String>,
    pub require: Vec<String>,
}
