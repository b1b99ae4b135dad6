//! The reverse proxy (mod_proxy + mod_proxy_http): `[[proxy]]` rules, per-child pools of
//! backend connections, error state shared by every child.
//!
//! [`Proxy`] is built per configuration generation by the master (with [`shared::attach`],
//! before the generation forks) and inherited by children; its pools start empty and fill in
//! each child. The router asks [`Proxy::route`] (pure) for a [`ProxyJob`]; the connection loop
//! runs it with [`forward::forward`], the only code here doing I/O (with `backend.rs`).
//! Decisions are in the pure modules: `rules` (matching, ProxyPassReverse), `request_head`,
//! `response_head`, `pool` (bookkeeping), `shared` (error state over shared memory); the
//! balancer logic is `balance` (member selection) and `sticky` (session routes), which touch
//! no shared memory: the engine copies the shared counters in and out around them.

mod backend;
pub mod balance;
mod balanced;
mod exchange;
pub mod forward;
pub mod manager_page;
pub mod outcome;
pub mod pool;
mod relay;
pub mod request_head;
pub mod response_head;
pub mod rules;
pub mod shared;
pub mod sticky;

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use crate::config::{BackendUrl, BalancerConfig, ProxyConfig, ProxyTarget, WorkerParams};
use backend::BackendConn;
use pool::{Pool, PoolLimits};
use rules::{ReversePair, RulePath};
use shared::SharedWorker;

/// A worker's parameters with Apache's derived defaults resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerSettings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: Duration,
    pub keepalive: bool,
    pub disablereuse: bool,
}

/// One backend (ProxyPass target or balancer member): its pool in this child and its shared
/// record.
#[derive(Debug)]
pub struct Worker {
    /// The URL as written (Apache's worker name).
    pub name: String,
    pub url: BackendUrl,
    /// The Host header when ProxyPreserveHost is off.
    pub host_header: String,
    pub settings: WorkerSettings,
    pool: Pool<BackendConn>,
    pub shared: SharedWorker,
    /// The backend's addresses, resolved on first connect (per child).
    addrs: Mutex<Option<Vec<SocketAddr>>>,
}

/// Where a rule goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RuleTarget {
    Exclude,
    Worker(usize),
    /// Index into [`Proxy::balancers`], and the path after `balancer://NAME`.
    Balancer(usize, String),
}

#[derive(Debug)]
struct Rule {
    path: String,
    target: RuleTarget,
    preserve_host: bool,
}

/// A request the router hands to the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyJob {
    /// Index of the `[[proxy]]` rule.
    pub rule: usize,
    /// The worker to send to (`None` for a balancer).
    pub worker: Option<usize>,
    /// The balancer whose member gets it.
    pub balancer: Option<usize>,
    /// Request target for the backend (path and query); for a balancer, what follows the
    /// chosen member's own path.
    pub target: String,
    pub preserve_host: bool,
}

/// The proxy of one configuration generation.
#[derive(Debug)]
pub struct Proxy {
    rules: Vec<Rule>,
    workers: Vec<Worker>,
    balancers: Vec<Balancer>,
    reverse: Vec<ReversePair>,
}

/// A `[[balancer]]`: its configuration, its members (indices into the workers) and its shared
/// record (the lock word serialising member selection across every child).
#[derive(Debug)]
pub struct Balancer {
    pub config: BalancerConfig,
    pub members: Vec<usize>,
    pub shared: SharedWorker,
}

/// The shared-record name of a balancer.
pub fn balancer_record_name(name: &str) -> String {
    format!("balancer://{name}")
}

/// Resolves Apache's derived defaults: `timeout` = `http.timeout`, `connectiontimeout` =
/// `timeout`; pool `max` = threads per child (1 in prefork), `smax` = `max`.
pub fn resolve(
    p: &WorkerParams,
    threads_per_child: u32,
    default_timeout: Duration,
) -> (WorkerSettings, PoolLimits) {
    let timeout = p.timeout.unwrap_or(default_timeout);
    // prefork: Apache keeps a single cached connection per worker, whatever `max` says.
    let max = match threads_per_child {
        0 | 1 => 1,
        t => p.max.unwrap_or(t).max(1),
    };
    let smax = p.smax.unwrap_or(max).min(max);
    (
        WorkerSettings {
            timeout,
            connect_timeout: p.connection_timeout.unwrap_or(timeout),
            retry: p.retry,
            keepalive: p.keepalive,
            disablereuse: p.disablereuse,
        },
        PoolLimits {
            max,
            smax,
            ttl: p.ttl,
        },
    )
}

impl Proxy {
    /// Builds the rules and workers of `config` and attaches them to the shared records
    /// (master only). `threads_per_child` is 1 for prefork.
    pub fn new(
        config: &ProxyConfig,
        threads_per_child: u32,
        default_timeout: Duration,
    ) -> Result<Proxy, String> {
        let mut specs: Vec<(&BackendUrl, &WorkerParams)> = Vec::new();
        let mut rules = Vec::with_capacity(config.rules.len());
        let mut reverse = Vec::new();
        for r in &config.rules {
            let target = match &r.target {
                ProxyTarget::Exclude => RuleTarget::Exclude,
                ProxyTarget::Backend(url) => {
                    if r.reverse {
                        reverse.push(ReversePair {
                            backend: url.url.clone(),
                            local: r.path.clone(),
                        });
                    }
                    RuleTarget::Worker(add_worker(&mut specs, url, &r.worker))
                }
                ProxyTarget::Balancer { index, path } => {
                    let b = config
                        .balancers
                        .get(*index)
                        .ok_or_else(|| format!("proxy {}: no balancer number {index}", r.path))?;
                    if r.reverse {
                        for m in &b.members {
                            reverse.push(ReversePair {
                                backend: join_path(m.url.url.trim_end_matches('/'), path),
                                local: r.path.clone(),
                            });
                        }
                    }
                    RuleTarget::Balancer(*index, path.clone())
                }
            };
            rules.push(Rule {
                path: r.path.clone(),
                target,
                preserve_host: r.preserve_host,
            });
        }
        let member_workers: Vec<Vec<usize>> = config
            .balancers
            .iter()
            .map(|b| {
                b.members
                    .iter()
                    .map(|m| add_worker(&mut specs, &m.url, &m.worker))
                    .collect()
            })
            .collect();
        let balancer_names: Vec<String> = config
            .balancers
            .iter()
            .map(|b| balancer_record_name(&b.name))
            .collect();
        let mut names: Vec<&str> = specs.iter().map(|(u, _)| u.url.as_str()).collect();
        names.extend(balancer_names.iter().map(String::as_str));
        let mut shared = shared::attach(&names)?;
        let balancer_shared = shared.split_off(specs.len());
        let workers: Vec<Worker> = specs
            .iter()
            .zip(shared)
            .map(|((url, params), shared)| {
                let (settings, limits) = resolve(params, threads_per_child, default_timeout);
                Worker {
                    name: url.url.clone(),
                    host_header: request_head::backend_host(&url.host, url.port),
                    url: (*url).clone(),
                    settings,
                    pool: Pool::new(limits, params.acquire),
                    shared,
                    addrs: Mutex::new(None),
                }
            })
            .collect();
        let balancers: Vec<Balancer> = config
            .balancers
            .iter()
            .zip(member_workers)
            .zip(balancer_shared)
            .map(|((b, members), shared)| Balancer {
                config: b.clone(),
                members,
                shared,
            })
            .collect();
        // status = "+E": the member starts in error state.
        for b in &balancers {
            for (m, &w) in b.config.members.iter().zip(&b.members) {
                let worker = &workers[w];
                if m.status.in_error && !worker.shared.in_error() {
                    worker
                        .shared
                        .failed(crate::scoreboard::now_us(), worker.settings.retry);
                }
            }
        }
        Ok(Proxy {
            rules,
            workers,
            balancers,
            reverse,
        })
    }

    /// The job for a request whose decoded, normalized path is `url_path`, or `None` when no
    /// rule proxies it.
    pub fn route(&self, url_path: &[u8], query: Option<&str>) -> Option<ProxyJob> {
        let paths = self.rules.iter().map(|r| RulePath {
            path: &r.path,
            exclude: r.target == RuleTarget::Exclude,
        });
        let (i, len) = rules::first_match(paths, url_path)?;
        let rule = &self.rules[i];
        let (worker, balancer, base) = match &rule.target {
            RuleTarget::Worker(w) => (Some(*w), None, self.workers[*w].url.path.as_str()),
            RuleTarget::Balancer(b, path) => (None, Some(*b), path.as_str()),
            RuleTarget::Exclude => return None,
        };
        let mut rest = &url_path[len..];
        // `/app/` -> `http://b/x/` with `/app/y`: `/x/` + `y`; avoid `//` when both have one.
        if base.ends_with('/') && rest.first() == Some(&b'/') {
            rest = &rest[1..];
        }
        Some(ProxyJob {
            rule: i,
            worker,
            balancer,
            target: rules::backend_target(base, rest, query),
            preserve_host: rule.preserve_host,
        })
    }

    pub fn workers(&self) -> &[Worker] {
        &self.workers
    }

    pub fn balancers(&self) -> &[Balancer] {
        &self.balancers
    }

    /// The balancers as the manager and status pages show them: configuration, with the
    /// counters and error state read from shared memory now.
    pub fn balancer_snapshots(&self) -> Vec<manager_page::BalancerSnapshot<'_>> {
        use std::sync::atomic::Ordering::Relaxed;
        self.balancers
            .iter()
            .enumerate()
            .map(|(bi, b)| {
                let path = self
                    .rules
                    .iter()
                    .find(|r| matches!(r.target, RuleTarget::Balancer(i, _) if i == bi))
                    .map_or("", |r| r.path.as_str());
                let mut snap = manager_page::BalancerSnapshot::from_config(&b.config, path);
                for (m, &w) in snap.members.iter_mut().zip(&b.members) {
                    let shared = self.workers[w].shared;
                    let rec = shared.record();
                    m.status.in_error = shared.in_error();
                    m.elected = rec.elected.load(Relaxed);
                    m.busy = rec.busy.load(Relaxed);
                    m.lbstatus = rec.lbstatus.load(Relaxed);
                    m.transferred = rec.transferred.load(Relaxed);
                    m.read = rec.read.load(Relaxed);
                }
                snap
            })
            .collect()
    }

    /// The ProxyPassReverse pairs.
    pub fn reverse_pairs(&self) -> &[ReversePair] {
        &self.reverse
    }

    /// Backend connections opened by every worker (all children, shared counters).
    pub fn connections_opened(&self) -> u64 {
        self.workers
            .iter()
            .map(|w| w.shared.connections_opened())
            .sum()
    }
}

/// The index of the worker for `url` in `specs`, added if new (workers are shared by URL).
fn add_worker<'c>(
    specs: &mut Vec<(&'c BackendUrl, &'c WorkerParams)>,
    url: &'c BackendUrl,
    params: &'c WorkerParams,
) -> usize {
    match specs.iter().position(|(u, _)| u.url == url.url) {
        Some(i) => i,
        None => {
            specs.push((url, params));
            specs.len() - 1
        }
    }
}

/// `base` + `rest` with exactly one `/` between them when both have one.
pub fn join_path(base: &str, rest: &str) -> String {
    match (base.ends_with('/'), rest.starts_with('/')) {
        (true, true) => format!("{base}{}", &rest[1..]),
        (false, false) if !rest.is_empty() && !base.is_empty() => format!("{base}/{rest}"),
        _ => format!("{base}{rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DEFAULT_RETRY, ProxyRule};

    fn url(u: &str, host: &str, port: u16, path: &str) -> BackendUrl {
        BackendUrl {
            url: u.into(),
            host: host.into(),
            port,
            path: path.into(),
        }
    }

    fn rule(path: &str, target: ProxyTarget) -> ProxyRule {
        ProxyRule {
            path: path.into(),
            target,
            reverse: true,
            preserve_host: false,
            worker: WorkerParams {
                retry: DEFAULT_RETRY,
                ..WorkerParams::default()
            },
        }
    }

    #[test]
    fn route_table() {
        let a = url("http://a:8080/x/", "a", 8080, "/x/");
        let b = url("http://b", "b", 80, "/");
        let config = ProxyConfig {
            rules: vec![
                rule("/app/static", ProxyTarget::Exclude),
                rule("/app/", ProxyTarget::Backend(a.clone())),
                rule("/app2", ProxyTarget::Backend(a)),
                rule("/", ProxyTarget::Backend(b)),
            ],
            balancers: vec![],
        };
        let proxy = Proxy::new(&config, 4, Duration::from_secs(60)).unwrap();
        assert_eq!(proxy.workers().len(), 2);
        type Case = (
            &'static str,
            Option<&'static str>,
            Option<(usize, usize, &'static str)>,
        );
        let cases: &[Case] = &[
            ("/app/y", None, Some((1, 0, "/x/y"))),
            ("/app/", Some("q=1"), Some((1, 0, "/x/?q=1"))),
            ("/app/static/s.css", None, None),
            ("/app2/z", None, Some((2, 0, "/x/z"))),
            ("/app2", None, Some((2, 0, "/x/"))),
            ("/other page", None, Some((3, 1, "/other%20page"))),
        ];
        for &(path, query, want) in cases {
            let got = proxy.route(path.as_bytes(), query);
            let got = got
                .as_ref()
                .map(|j| (j.rule, j.worker.unwrap(), j.target.as_str()));
            assert_eq!(got, want, "{path}");
        }
        assert_eq!(proxy.workers()[1].host_header, "b");
        assert_eq!(proxy.workers()[0].host_header, "a:8080");
    }

    #[test]
    fn resolve_defaults() {
        let p = WorkerParams::default();
        let (s, l) = resolve(&p, 25, Duration::from_secs(60));
        assert_eq!(s.timeout, Duration::from_secs(60));
        assert_eq!(s.connect_timeout, Duration::from_secs(60));
        assert_eq!((l.max, l.smax), (25, 25));
        let (_, l) = resolve(&p, 1, Duration::from_secs(60));
        assert_eq!(l.max, 1);
        let p = WorkerParams {
            max: Some(4),
            smax: Some(9),
            timeout: Some(Duration::from_secs(5)),
            ..WorkerParams::default()
        };
        let (s, l) = resolve(&p, 25, Duration::from_secs(60));
        assert_eq!((l.max, l.smax), (4, 4));
        assert_eq!(s.connect_timeout, Duration::from_secs(5));
    }
}

#[cfg(test)]
mod e2e_tests;
