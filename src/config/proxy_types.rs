//! The frozen reverse-proxy configuration (`[[proxy]]`, `[[balancer]]`): the contract between
//! the config parser (`proxy.rs`) and the proxy engine (`crate::proxy`).
//!
//! Defaults are Apache's (mod_proxy `set_worker_param`, `set_balancer_param`); values that
//! Apache derives at child start (pool `max` = threads per child, `timeout` = Timeout) are kept
//! as `None` here and resolved by the engine, which knows the MPM.

use std::time::Duration;

/// Everything the proxy needs, in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProxyConfig {
    /// `[[proxy]]` rules in file order (first match wins).
    pub rules: Vec<ProxyRule>,
    /// `[[balancer]]` sections in file order.
    pub balancers: Vec<BalancerConfig>,
}

impl ProxyConfig {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.balancers.is_empty()
    }
}

/// One `[[proxy]]` rule (ProxyPass, with ProxyPassReverse when `reverse`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyRule {
    /// Local URL prefix, as written (`/app/`, `/`).
    pub path: String,
    pub target: ProxyTarget,
    /// Also ProxyPassReverse this pair (default true).
    pub reverse: bool,
    /// ProxyPreserveHost (default false).
    pub preserve_host: bool,
    /// Worker parameters of a direct backend (`ProxyTarget::Backend`); balancer members carry
    /// their own.
    pub worker: WorkerParams,
}

/// Where a rule sends the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyTarget {
    /// `url = "!"`: not proxied (the document tree answers).
    Exclude,
    /// One backend.
    Backend(BackendUrl),
    /// `balancer://NAME/path`: index into [`ProxyConfig::balancers`] plus the path after it.
    Balancer { index: usize, path: String },
}

/// A parsed `http://host[:port][/path]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendUrl {
    /// The URL as written (the worker's name, as Apache names workers).
    pub url: String,
    /// Host as written (IPv6 without brackets).
    pub host: String,
    /// Port (80 when absent).
    pub port: u16,
    /// Path, starting with `/` (`/` when absent).
    pub path: String,
}

/// ProxyPass / BalancerMember key=value parameters. `None` = Apache's derived default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkerParams {
    /// min (default 0).
    pub min: u32,
    /// max: `None` = threads per child (prefork 1).
    pub max: Option<u32>,
    /// smax: `None` = max.
    pub smax: Option<u32>,
    /// ttl: idle pooled connections older than this are not reused. `None` = no limit.
    pub ttl: Option<Duration>,
    /// timeout: backend I/O timeout. `None` = the balancer's timeout / `http.timeout`.
    pub timeout: Option<Duration>,
    /// connectiontimeout: `None` = `timeout`.
    pub connection_timeout: Option<Duration>,
    /// acquire: wait for a free pooled connection. `None` = wait until one is released.
    pub acquire: Option<Duration>,
    /// retry: seconds in error state before trying again (default 60 s; zero = always retry).
    pub retry: Duration,
    /// keepalive: SO_KEEPALIVE on backend sockets (default false).
    pub keepalive: bool,
    /// disablereuse: close the backend connection after each request (default false).
    pub disablereuse: bool,
}

/// Apache's default `retry`.
pub const DEFAULT_RETRY: Duration = Duration::from_secs(60);

/// One `[[balancer]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct BalancerConfig {
    /// NAME of `balancer://NAME`.
    pub name: String,
    pub lbmethod: LbMethod,
    /// stickysession: cookie name and URL parameter name (`"COOKIE|urlparam"`; one name serves
    /// as both when no `|`, as Apache does).
    pub sticky: Option<StickySession>,
    /// stickysessionsep (default `.`); 0 for `"off"` (the whole session value is the route),
    /// as Apache stores it.
    pub sticky_separator: u8,
    /// nofailover (default false).
    pub nofailover: bool,
    /// maxattempts: `None` = members - 1 (Apache's default).
    pub max_attempts: Option<u32>,
    /// timeout: wait this long for a free member when all are busy. `None` = do not wait.
    pub timeout: Option<Duration>,
    /// failonstatus: these backend statuses put the member in error state.
    pub fail_on_status: Vec<u16>,
    /// failontimeout (default false).
    pub fail_on_timeout: bool,
    /// forcerecovery (default true): when every member is in error, retry them all at once.
    pub force_recovery: bool,
    pub members: Vec<BalancerMember>,
}

/// lbmethod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LbMethod {
    #[default]
    ByRequests,
    ByTraffic,
    ByBusyness,
}

/// stickysession names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickySession {
    pub cookie: String,
    pub url_param: String,
}

/// One `[[balancer.member]]` (BalancerMember).
#[derive(Debug, Clone, PartialEq)]
pub struct BalancerMember {
    pub url: BackendUrl,
    pub worker: WorkerParams,
    /// route ("" when unset).
    pub route: String,
    /// loadfactor x 100, as Apache stores it (1 -> 100; 1..=100 allowed, two decimals).
    pub lbfactor: u32,
    /// lbset (0..=99).
    pub lbset: u32,
    /// The status flags set in the configuration.
    pub status: MemberStatus,
    /// redirect ("" when unset).
    pub redirect: String,
}

/// Member status flags (`status = "+H"` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemberStatus {
    /// D: disabled.
    pub disabled: bool,
    /// S: stopped (never retried).
    pub stopped: bool,
    /// H: hot standby (used only when no other member of its set is usable).
    pub hot_standby: bool,
    /// N: drain (only sticky requests).
    pub drain: bool,
    /// I: ignore errors.
    pub ignore_errors: bool,
    /// E: starts in error.
    pub in_error: bool,
}
