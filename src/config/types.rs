//! The frozen, validated configuration every other module reads.
//!
//! Raw TOML (`file.rs`) is turned into these types by `validate.rs`; nothing outside `config/`
//! ever sees a raw value. Everything here is plain data: clamps are already applied, paths are
//! absolute (resolved against `server_root`), durations are `Duration`s.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
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
    /// `[[proxy]]` rules and `[[balancer]]` sections.
    pub proxy: super::proxy_types::ProxyConfig,
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
    /// event: Apache's AsyncRequestWorkerFactor in sixteenths, as Apache stores it
    /// (`WORKER_FACTOR_SCALE`): 32 = 2.0 (the default), never below 16.
    pub async_request_worker_factor_16ths: u32,
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

/// `[files]`: the document tree. Its per-directory keys are the server-wide base (Apache's
/// directives outside any `<Directory>`); `directories` are merged over it, shortest path
/// first (see [`DirConfig`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FilesConfig {
    /// DocumentRoot (absolute, canonicalized if it exists).
    pub document_root: PathBuf,
    /// DirectoryIndex, tried in order; empty = disabled.
    pub directory_index: Vec<String>,
    pub directory_slash: bool,
    /// Options after `+`/`-` merging over Apache's default (FollowSymLinks).
    pub options: Options,
    /// `index_options`: IndexOptions' layout keywords (an mpmd key; Apache's default is none).
    pub index_options: IndexOptions,
    /// `add_type`: extension (lower case, without the dot) -> media type.
    pub add_type: BTreeMap<String, String>,
    /// AllowOverride.
    pub allow_override: AllowOverride,
    /// AccessFileName: tried in order in each directory; the first that exists is used.
    pub access_file_name: Vec<String>,
    /// ErrorDocument, by status.
    pub error_document: BTreeMap<u16, ErrorDocument>,
    /// AddLanguage: extension -> language tag.
    pub add_language: BTreeMap<String, String>,
    /// AddCharset: extension -> charset.
    pub add_charset: BTreeMap<String, String>,
    /// AddEncoding: extension -> encoding.
    pub add_encoding: BTreeMap<String, String>,
    /// AddHandler: extension -> handler (`type-map` only; filled by content negotiation).
    pub add_handler: BTreeMap<String, String>,
    /// DefaultLanguage.
    pub default_language: Option<String>,
    /// LanguagePriority (content negotiation).
    pub language_priority: Vec<String>,
    /// ForceLanguagePriority (content negotiation).
    pub force_language_priority: ForceLanguagePriority,
    /// `[[directory]]` sections, sorted by depth (number of path components), file order kept
    /// among equal depths: the order Apache merges `<Directory>` sections in.
    pub directories: Vec<DirectorySection>,
}

/// One `[[directory]]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectorySection {
    /// Absolute, normalized, no trailing slash (`/` stays `/`). When it lies under the
    /// document root as written, it is re-based onto the canonical `document_root`.
    pub path: PathBuf,
    pub settings: DirSettings,
}

/// Per-directory settings as one `[[directory]]` section or one `.htaccess` file gives them:
/// `None` / empty = inherited. Merged over the parent's [`DirConfig`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DirSettings {
    pub options: Option<OptionsDirective>,
    pub allow_override: Option<AllowOverride>,
    pub directory_index: Option<Vec<String>>,
    /// Require lines, any of which grants (RequireAny); replaces the parent's (AuthMerging Off).
    pub require: Option<Vec<RequireLine>>,
    /// Per status, over the parent's.
    pub error_document: BTreeMap<u16, ErrorDocument>,
    /// Per extension, over the parent's (same for the other extension maps).
    pub add_type: BTreeMap<String, String>,
    pub add_language: BTreeMap<String, String>,
    pub add_charset: BTreeMap<String, String>,
    pub add_encoding: BTreeMap<String, String>,
    pub add_handler: BTreeMap<String, String>,
    pub default_language: Option<String>,
    pub language_priority: Option<Vec<String>>,
    pub force_language_priority: Option<ForceLanguagePriority>,
}

/// The effective per-directory configuration: the `[files]` base with every matching section
/// (and `.htaccess` file) merged over it. Built by `DirConfig::base` and `DirConfig::merge`.
#[derive(Debug, Clone, PartialEq)]
pub struct DirConfig {
    pub options: Options,
    pub allow_override: AllowOverride,
    pub directory_index: Vec<String>,
    /// Empty = no `Require` anywhere: granted.
    pub require: Vec<RequireLine>,
    pub error_document: BTreeMap<u16, ErrorDocument>,
    pub add_type: BTreeMap<String, String>,
    pub add_language: BTreeMap<String, String>,
    pub add_charset: BTreeMap<String, String>,
    pub add_encoding: BTreeMap<String, String>,
    pub add_handler: BTreeMap<String, String>,
    pub default_language: Option<String>,
    pub language_priority: Vec<String>,
    pub force_language_priority: ForceLanguagePriority,
    /// True when mod_mime needs more than the site's type table: a section or `.htaccess`
    /// added types, or a charset, language or encoding mapping (or DefaultLanguage) is set.
    pub mime_beyond_table: bool,
}

/// An `Options` directive as written in one scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionsDirective {
    /// No `+`/`-`: replaces the inherited set.
    Replace(Options),
    /// Every entry had `+`/`-`: applied to the inherited set as `(inherited - remove) + add`.
    Change { add: Options, remove: Options },
}

/// AllowOverride: which directive classes a `.htaccess` file may use. All off = None (no
/// `.htaccess` is ever opened).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllowOverride {
    /// `Options` (`Some(all)`), `Options=list` (`Some(those)`), or not allowed (`None`).
    pub options: Option<Options>,
    pub file_info: bool,
    pub indexes: bool,
    pub limit: bool,
    pub auth_config: bool,
}

impl AllowOverride {
    /// AllowOverride None.
    pub const NONE: AllowOverride = AllowOverride {
        options: None,
        file_info: false,
        indexes: false,
        limit: false,
        auth_config: false,
    };
    /// AllowOverride All.
    pub const ALL: AllowOverride = AllowOverride {
        options: Some(Options::ALL_KNOWN),
        file_info: true,
        indexes: true,
        limit: true,
        auth_config: true,
    };

    /// True if `.htaccess` files are read at all.
    pub fn any(&self) -> bool {
        *self != AllowOverride::NONE
    }
}

/// ForceLanguagePriority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForceLanguagePriority {
    pub prefer: bool,
    pub fallback: bool,
}

impl Default for ForceLanguagePriority {
    /// Apache's default: Prefer.
    fn default() -> Self {
        ForceLanguagePriority {
            prefer: true,
            fallback: false,
        }
    }
}

/// One `Require` line (mod_authz_core / mod_authz_host providers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequireLine {
    AllGranted,
    AllDenied,
    /// Loopback client, or client address == server address.
    Local,
    /// Any of these networks.
    Ip(Vec<IpPattern>),
    /// Any of these domain names (double-reverse DNS of the client, suffix match).
    Host(Vec<String>),
}

/// An address pattern of `Require ip`: the client matches if `client & mask == net`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpPattern {
    V4 { net: u32, mask: u32 },
    V6 { net: u128, mask: u128 },
}

impl IpPattern {
    /// One exact address.
    pub fn host(ip: IpAddr) -> IpPattern {
        match ip {
            IpAddr::V4(a) => IpPattern::V4 {
                net: a.to_bits(),
                mask: u32::MAX,
            },
            IpAddr::V6(a) => IpPattern::V6 {
                net: a.to_bits(),
                mask: u128::MAX,
            },
        }
    }
}

/// What ErrorDocument does for one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorDocument {
    /// A local URL (`/missing.html`): served by internal redirect, the status kept.
    Local(String),
    /// A full URL: the client gets a 302 to it.
    Redirect(String),
    /// A message sent as the `text/html` body.
    Text(String),
    /// `default`: Apache's built-in page (cancels an inherited one).
    Default,
}

/// The effective `Options` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub follow_symlinks: bool,
    pub symlinks_if_owner_match: bool,
    pub indexes: bool,
    pub multiviews: bool,
}

impl Options {
    /// Apache's `OPT_ALL` (what `Options All` and a bare `AllowOverride Options` mean):
    /// FollowSymLinks and Indexes, not SymLinksIfOwnerMatch, not MultiViews.
    pub const OPT_ALL: Options = Options {
        follow_symlinks: true,
        symlinks_if_owner_match: false,
        indexes: true,
        multiviews: false,
    };

    /// Every option mpmd knows (what `AllowOverride All` lets a `.htaccess` set).
    pub const ALL_KNOWN: Options = Options {
        follow_symlinks: true,
        symlinks_if_owner_match: true,
        indexes: true,
        multiviews: true,
    };

    /// True when symlinks are followed without any check (FollowSymLinks without
    /// SymLinksIfOwnerMatch): the directory walk needs no `lstat`.
    pub fn follows_symlinks_unchecked(&self) -> bool {
        self.follow_symlinks && !self.symlinks_if_owner_match
    }
}

/// The IndexOptions keywords that choose a listing's layout (mod_autoindex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexOptions {
    /// `FancyIndexing`: a `<pre>` table with Last modified / Size / Description columns.
    pub fancy_indexing: bool,
    /// `HTMLTable`: the same columns as an HTML table.
    pub html_table: bool,
}

#[cfg(test)]
impl Options {
    /// Test shorthand: `"F S I M"` = FollowSymLinks, SymLinksIfOwnerMatch, Indexes, MultiViews.
    pub fn from_letters(names: &str) -> Options {
        let mut o = Options::default();
        for name in names.split_whitespace() {
            match name {
                "F" => o.follow_symlinks = true,
                "S" => o.symlinks_if_owner_match = true,
                "I" => o.indexes = true,
                "M" => o.multiviews = true,
                _ => panic!("unknown option letter {name}"),
            }
        }
        o
    }
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
    pub require: Vec<RequireLine>,
}
