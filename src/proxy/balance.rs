//! Which balancer member serves a request: Apache's `proxy_balancer_get_best_worker` with the
//! byrequests, bytraffic and bybusyness methods (`balancers/mod_lbmethod_*.c`), the
//! forced recovery of `mod_proxy_balancer.c`, and `maxattempts`' default.
//!
//! Pure, on plain slices: the engine copies each member's shared counters into a
//! [`MemberView`] under the balancer's lock, calls these functions, and copies `in_error`,
//! `lbstatus`, `elected` and `retries` back before unlocking. No I/O, no clock, no shared
//! memory here: "has the retry time passed" arrives as [`MemberView::retry_due`].
//!
//! The state starts as Apache's does once a child has initialized the balancer
//! (`lbmethod->reset`): `lbstatus` 0 for every member. Apache 2.4.71 keeps a lone member's
//! configured factor (its manager page shows it), and with one member the factor cannot change
//! a choice, so factors are used as configured.
//!
//! Checked against Debian's Apache 2.4.71 (prefork, one child): factors 1:1:2 give
//! `c a b c c a b c`; then 4 requests sticky to `a` and 4 balanced give `c c b c`, leaving
//! the lbstatus values its balancer manager showed (-800, 400, 400).

use super::sticky::{route_is_member, route_member};
use crate::config::LbMethod;

/// One member's configuration and shared counters, as the selection sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemberView<'a> {
    /// D: disabled.
    pub disabled: bool,
    /// S: stopped (never retried).
    pub stopped: bool,
    /// E: in error state.
    pub in_error: bool,
    /// Apache's retry check (`ap_proxy_retry_worker`) would clear the error now: its `retry`
    /// has passed since the error (always, with `retry = 0`), or the member ignores errors (I).
    pub retry_due: bool,
    /// H: hot standby.
    pub hot_standby: bool,
    /// N: drain (only sticky requests).
    pub drain: bool,
    pub lbset: u32,
    /// loadfactor x 100.
    pub lbfactor: u32,
    /// byrequests' "how urgently this member must work" (Apache's `lbstatus`).
    pub lbstatus: i64,
    /// Requests in progress on this member.
    pub busy: u64,
    /// Bytes sent to / read from the member (bytraffic).
    pub transferred: u64,
    pub read: u64,
    /// Times this member was chosen (Apache's `elected`); incremented here on each choice.
    pub elected: u64,
    /// Times its error state was cleared for a retry (Apache's `retries`).
    pub retries: u64,
    /// route ("" when unset).
    pub route: &'a str,
    /// redirect ("" when unset).
    pub redirect: &'a str,
}

impl MemberView<'_> {
    /// Apache's `PROXY_WORKER_IS_USABLE`: none of disabled, stopped, in error.
    pub fn usable(&self) -> bool {
        !(self.disabled || self.stopped || self.in_error)
    }

    /// Apache's `ap_proxy_retry_worker`: a stopped member is never retried; one in error
    /// whose retry is due leaves the error state (and counts a retry).
    pub fn retry_check(&mut self) {
        if self.in_error && !self.stopped && self.retry_due {
            self.in_error = false;
            self.retries += 1;
        }
    }
}

/// The lbmethod's "is this member better than the best so far" (`is_best_*`), with the
/// byrequests bookkeeping every method but bytraffic does on each candidate it looks at.
struct Finder {
    method: LbMethod,
    /// Sum of the factors of the candidates looked at (byrequests, bybusyness).
    total_factor: i64,
    /// bytraffic's smallest normalized traffic so far.
    min_traffic: u64,
    best: Option<usize>,
}

impl Finder {
    fn consider(&mut self, members: &mut [MemberView], i: usize, factor: u32) {
        let better = match self.method {
            LbMethod::ByRequests | LbMethod::ByBusyness => {
                members[i].lbstatus += i64::from(factor);
                self.total_factor += i64::from(factor);
                match self.best {
                    None => true,
                    Some(b) if self.method == LbMethod::ByRequests => {
                        members[i].lbstatus > members[b].lbstatus
                    }
                    Some(b) => {
                        members[i].busy < members[b].busy
                            || (members[i].busy == members[b].busy
                                && members[i].lbstatus > members[b].lbstatus)
                    }
                }
            }
            LbMethod::ByTraffic => {
                let factor = u64::from(factor.max(1));
                let traffic = members[i].transferred / factor + members[i].read / factor;
                let better = self.best.is_none() || traffic < self.min_traffic;
                if better {
                    self.min_traffic = traffic;
                }
                better
            }
        };
        if better {
            self.best = Some(i);
        }
    }
}

/// Picks the member for a request without a usable sticky route (Apache's
/// `find_best_worker`): lbsets in increasing order, the first set with a usable member wins;
/// within a set, draining members are skipped, unusable ones get a retry check, normal members
/// are weighed by `method`, hot standbys only if no normal member of the set is usable. The
/// chosen member's `lbstatus` is lowered by the factors handed out (byrequests, bybusyness)
/// and its `elected` incremented. `None`: no usable member (Apache answers 503).
pub fn pick_best(method: LbMethod, members: &mut [MemberView]) -> Option<usize> {
    let count = members.len();
    let max_lbset = members.iter().map(|m| m.lbset).max()?;
    let mut finder = Finder {
        method,
        total_factor: 0,
        min_traffic: 0,
        best: None,
    };
    let mut standbys = Vec::new();
    for lbset in 0..=max_lbset {
        standbys.clear();
        for i in 0..count {
            let m = &mut members[i];
            if m.lbset != lbset || m.drain {
                continue;
            }
            if !m.usable() {
                m.retry_check();
            }
            if !m.usable() {
                continue;
            }
            let factor = m.lbfactor;
            if m.hot_standby {
                standbys.push(i);
            } else {
                finder.consider(members, i, factor);
            }
        }
        if finder.best.is_none() {
            for &i in &standbys {
                let factor = members[i].lbfactor;
                finder.consider(members, i, factor);
            }
        }
        if finder.best.is_some() {
            break;
        }
    }
    let chosen = finder.best?;
    members[chosen].lbstatus -= finder.total_factor;
    members[chosen].elected += 1;
    Some(chosen)
}

/// The bookkeeping of a request sent to its sticky member (`proxy_balancer_pre_request`):
/// every usable member's `lbstatus` grows by its factor, the chosen one's drops by the total,
/// so sticky traffic counts in byrequests; `elected` is incremented.
pub fn sticky_hit(members: &mut [MemberView], chosen: usize) {
    let mut total = 0;
    for m in members.iter_mut().filter(|m| m.usable()) {
        let factor = i64::from(m.lbfactor);
        m.lbstatus += factor;
        total += factor;
    }
    members[chosen].lbstatus -= total;
    members[chosen].elected += 1;
}

/// Apache's `force_recovery`, run before every balanced request: members are retried in
/// order until one is found not in error; if none is and `forcerecovery` is on, every member
/// leaves the error state at once (each counting a retry).
pub fn force_recovery(members: &mut [MemberView], enabled: bool) {
    let mut some_ok = false;
    for m in members.iter_mut() {
        if !m.in_error {
            some_ok = true;
            break;
        }
        m.retry_check();
    }
    if !some_ok && enabled {
        for m in members.iter_mut() {
            m.retries += 1;
            m.in_error = false;
        }
    }
}

/// The outcome of [`select`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Send the request to this member. `sticky`: chosen by its session route.
    /// `route_changed`: Apache's `BALANCER_ROUTE_CHANGED` (the member's route is not the
    /// session's, or a sticky balancer balanced the request).
    Member {
        index: usize,
        sticky: bool,
        route_changed: bool,
    },
    /// 503: the session's route belongs to a member that cannot serve it and `nofailover` is
    /// on ("All workers are in error state for route").
    RouteUnavailable,
    /// 503: no usable member ("All workers are in error state"); with a balancer `timeout`,
    /// the engine polls [`select`] again until it passes.
    NoMember,
}

/// One balanced attempt, as `proxy_balancer_pre_request` does it (also for each failover
/// attempt): forced recovery, then the session's route (`route`, from
/// [`super::sticky::session_route`]; `None` for a balancer without `stickysession`), then
/// `method`. The engine increments the chosen member's `busy` for the request's duration.
pub fn select(
    method: LbMethod,
    members: &mut [MemberView],
    route: Option<&[u8]>,
    nofailover: bool,
    force: bool,
    sticky_balancer: bool,
) -> Selection {
    force_recovery(members, force);
    if let Some(route) = route {
        if let Some(index) = route_member(members, route) {
            sticky_hit(members, index);
            return Selection::Member {
                index,
                sticky: true,
                route_changed: members[index].route.as_bytes() != route,
            };
        }
        if nofailover && route_is_member(members, route) {
            return Selection::RouteUnavailable;
        }
    }
    match pick_best(method, members) {
        Some(index) => Selection::Member {
            index,
            sticky: false,
            route_changed: sticky_balancer,
        },
        None => Selection::NoMember,
    }
}

/// How one attempt on a balancer member ended, as mod_proxy's handler loop tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The backend's response was relayed (whatever its status).
    Relayed,
    /// 503 from the proxy itself (cannot connect, no pooled connection, ...): recoverable,
    /// another member may be tried.
    Unavailable,
    /// 500 from the proxy itself: unrecoverable, no failover.
    ServerError,
    /// Any other error of the proxy (502, 504, 400, ...): returned as is, no failover.
    Other,
}

/// After an attempt (`proxy_handler`'s loop): a 503 or 500 puts the member in error state
/// unless it ignores errors (the engine also stamps its error time); then the request goes to
/// another member (`true`: run [`select`] again) while the member just tried is unusable and
/// fewer than `max_attempts` failovers were made (`attempts` counts them, from 0).
pub fn after_attempt(
    outcome: AttemptOutcome,
    member: &mut MemberView,
    ignore_errors: bool,
    attempts: &mut u32,
    max_attempts: u32,
) -> bool {
    match outcome {
        AttemptOutcome::Relayed | AttemptOutcome::Other => return false,
        AttemptOutcome::ServerError | AttemptOutcome::Unavailable if !ignore_errors => {
            member.in_error = true;
        }
        _ => {}
    }
    if outcome == AttemptOutcome::ServerError || member.usable() || *attempts >= max_attempts {
        return false;
    }
    *attempts += 1;
    true
}

/// `proxy_balancer_post_request`: whether the member enters error state once the request is
/// done: its response status is one of `failonstatus`, or (`failontimeout`) the backend timed
/// out; never for a member that ignores errors (I).
pub fn fails_after_request(
    fail_on_status: &[u16],
    fail_on_timeout: bool,
    ignore_errors: bool,
    status: u16,
    timed_out: bool,
) -> bool {
    !ignore_errors && (fail_on_status.contains(&status) || (fail_on_timeout && timed_out))
}

/// `maxattempts`: as configured, else members - 1 (0 for a lone member), as
/// `init_balancer_members` sets it.
pub fn max_attempts(configured: Option<u32>, member_count: usize) -> u32 {
    configured.unwrap_or_else(|| u32::try_from(member_count.saturating_sub(1)).unwrap_or(u32::MAX))
}

#[cfg(test)]
#[path = "balance_tests.rs"]
mod tests;
