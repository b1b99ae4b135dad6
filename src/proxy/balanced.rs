//! Balanced requests (mod_proxy_balancer's `proxy_balancer_pre_request`, the failover loop of
//! mod_proxy's handler, `proxy_balancer_post_request`): the member is chosen by the pure logic
//! of `balance` and `sticky` over a copy of the members' shared counters, taken and written
//! back under the balancer's lock word (shared by every child); `busy` is held for the
//! request; a member that cannot be reached is put in error state and the request goes to
//! another one, up to `maxattempts`; `failonstatus` / `failontimeout` put a member in error
//! after the response.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::balance::{self, AttemptOutcome, MemberView, Selection};
use super::forward::{self, ClientSide, Outcome, Refusal, RequestInfo, Target};
use super::shared::SharedWorker;
use super::{Balancer, Proxy, ProxyJob, join_path, sticky};
use crate::scoreboard::now_us;

/// Holds one member's `busy` count up for the duration of a request.
struct Busy(SharedWorker);

impl Busy {
    fn new(w: SharedWorker) -> Busy {
        w.record().busy.fetch_add(1, Ordering::Relaxed);
        Busy(w)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.record().busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs the selection on the members' shared counters under the balancer's lock.
fn select_locked(proxy: &Proxy, b: &Balancer, route: Option<&[u8]>) -> Selection {
    let cfg = &b.config;
    let _lock = b.shared.lock();
    let now = now_us();
    let mut views: Vec<MemberView<'_>> = cfg
        .members
        .iter()
        .zip(&b.members)
        .map(|(m, &w)| {
            let worker = &proxy.workers[w];
            let rec = worker.shared.record();
            let in_error = worker.shared.in_error();
            MemberView {
                disabled: m.status.disabled,
                stopped: m.status.stopped,
                in_error,
                retry_due: m.status.ignore_errors
                    || worker.settings.retry.is_zero()
                    || now >= rec.retry_at_us.load(Ordering::Acquire),
                hot_standby: m.status.hot_standby,
                drain: m.status.drain,
                lbset: m.lbset,
                lbfactor: m.lbfactor,
                lbstatus: rec.lbstatus.load(Ordering::Relaxed),
                busy: rec.busy.load(Ordering::Relaxed),
                transferred: rec.transferred.load(Ordering::Relaxed),
                read: rec.read.load(Ordering::Relaxed),
                elected: rec.elected.load(Ordering::Relaxed),
                retries: rec.retries.load(Ordering::Relaxed),
                route: &m.route,
                redirect: &m.redirect,
            }
        })
        .collect();
    let selection = balance::select(
        cfg.lbmethod,
        &mut views,
        route,
        cfg.nofailover,
        cfg.force_recovery,
        cfg.sticky.is_some(),
    );
    for (view, &w) in views.iter().zip(&b.members) {
        let shared = proxy.workers[w].shared;
        let rec = shared.record();
        rec.lbstatus.store(view.lbstatus, Ordering::Relaxed);
        rec.elected.store(view.elected, Ordering::Relaxed);
        if !view.in_error && shared.in_error() {
            shared.succeeded();
        }
        rec.retries.store(view.retries, Ordering::Relaxed);
    }
    selection
}

/// A member for the request, waiting up to the balancer's `timeout` for one to be usable
/// (Apache polls 100 times over it). `Err`: the reason for the 503.
fn choose(proxy: &Proxy, b: &Balancer, route: Option<&[u8]>) -> Result<usize, &'static str> {
    let deadline = b.config.timeout.map(|t| (Instant::now() + t, t / 100));
    loop {
        match select_locked(proxy, b, route) {
            Selection::Member { index, .. } => return Ok(index),
            Selection::RouteUnavailable => return Err("All workers are in error state for route"),
            Selection::NoMember => match deadline {
                Some((end, step)) if Instant::now() < end => {
                    std::thread::sleep(step.max(Duration::from_millis(1)));
                }
                _ => return Err("All workers are in error state"),
            },
        }
    }
}

/// Forwards a request to a member of balancer `b`, failing over as Apache does.
pub(super) fn forward(
    proxy: &Proxy,
    b: &Balancer,
    job: &ProxyJob,
    r: &RequestInfo<'_, '_, '_>,
    c: &mut ClientSide<'_, '_>,
    bufs: &mut forward::Buffers<'_>,
) -> Outcome {
    let cfg = &b.config;
    let req = r.req;
    let cookies: Vec<&[u8]> = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("cookie"))
        .map(|h| h.value)
        .collect();
    let route = cfg.sticky.as_ref().and_then(|st| {
        sticky::session_route(st, cfg.sticky_separator, req.target.as_bytes(), &cookies)
    });
    let max = balance::max_attempts(cfg.max_attempts, b.members.len());
    let mut attempts = 0u32;
    loop {
        let chosen = match choose(proxy, b, route) {
            Ok(i) => i,
            Err(why) => {
                log::error!("proxy: BALANCER: (balancer://{}). {why}", cfg.name);
                return Outcome::Refused {
                    status: 503,
                    body: forward::BodyUse {
                        unread: req.body != crate::http::body::BodyFraming::None,
                        ..forward::BodyUse::default()
                    },
                    cause: Refusal::Other,
                };
            }
        };
        let member = &cfg.members[chosen];
        let worker = &proxy.workers[b.members[chosen]];
        let path = join_path(&worker.url.path, &job.target);
        let target = Target {
            path: &path,
            preserve_host: job.preserve_host,
        };
        let outcome = {
            let _busy = Busy::new(worker.shared);
            forward::attempt(proxy, worker, target, false, r, c, bufs)
        };
        let attempt_outcome = match &outcome {
            Outcome::Relayed { .. } => AttemptOutcome::Relayed,
            Outcome::Refused {
                cause: Refusal::Unreachable,
                ..
            } => AttemptOutcome::Unavailable,
            Outcome::Refused { status: 500, .. } => AttemptOutcome::ServerError,
            _ => AttemptOutcome::Other,
        };
        let mut view = MemberView {
            disabled: member.status.disabled,
            stopped: member.status.stopped,
            in_error: worker.shared.in_error(),
            ..MemberView::default()
        };
        let was_in_error = view.in_error;
        let failover = balance::after_attempt(
            attempt_outcome,
            &mut view,
            member.status.ignore_errors,
            &mut attempts,
            max,
        );
        if view.in_error && !was_in_error {
            worker.shared.failed(now_us(), worker.settings.retry);
        }
        if failover {
            continue;
        }
        let (status, timed_out) = match &outcome {
            Outcome::Relayed { status, .. } => (*status, false),
            Outcome::Refused { status, cause, .. } => (*status, *cause == Refusal::Timeout),
            Outcome::ClientGone { .. } => (0, false),
        };
        if balance::fails_after_request(
            &cfg.fail_on_status,
            cfg.fail_on_timeout,
            member.status.ignore_errors,
            status,
            timed_out,
        ) {
            log::error!(
                "proxy: BALANCER: (balancer://{}). Forcing worker ({}) into error state due to status code {status} (failonstatus / failontimeout)",
                cfg.name,
                worker.name
            );
            worker.shared.failed(now_us(), worker.settings.retry);
        }
        return outcome;
    }
}
