//! Idle-thread maintenance for threaded children: Apache worker's and event's
//! `perform_idle_server_maintenance`, as a pure function (reference/apache-mpm.md §2).
//!
//! Same shape as `policy.rs` (prefork): the master takes a snapshot of every slot
//! ([`ProcessSlot`]: who holds it and what each of its threads is doing), calls [`maintain`],
//! and carries out the [`Action`]s. What differs from prefork:
//! - the unit counted is the idle *thread*: every thread record of a live, current-generation,
//!   non-quiescing child (event: also accepting) whose status is dead, starting or ready;
//! - retiring a child writes one `'!'` to the pipe of death (the podx): one child per tick;
//! - worker scans `max_request_workers / threads_per_child` slots and may fork onto the slot of
//!   a quiescing child (squatting; slots whose threads are all gone first);
//! - event scans every slot up to `server_limit`, never squats, caps *active* children at
//!   `max_request_workers / threads_per_child`, and retires only if no child is stopping
//!   already or enough spare slots remain.
//!
//! This module must not fork, signal, log or read a clock.

use crate::config::LogLevel;
use crate::scoreboard::WorkerStatus;

use super::policy::{Action, MAX_SPAWN_RATE, SpawnState};

/// The master's view of one scoreboard slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSlot {
    /// A child (the slot's current owner) is recorded in the slot.
    pub occupied: bool,
    /// That child belongs to the running generation.
    pub current_generation: bool,
    /// That child stopped accepting to exit (it set `quiescing`).
    pub quiescing: bool,
    /// event: that child stopped accepting for now (`not_accepting`).
    pub not_accepting: bool,
    /// The status of worker records `0 .. threads_per_child`, whoever holds them (a squatted
    /// slot mixes the exiting child's threads with the new child's).
    pub threads: Vec<WorkerStatus>,
}

impl ProcessSlot {
    /// An empty slot with `threads` dead thread records.
    pub fn empty(threads: usize) -> ProcessSlot {
        ProcessSlot {
            occupied: false,
            current_generation: false,
            quiescing: false,
            not_accepting: false,
            threads: vec![WorkerStatus::Dead; threads],
        }
    }
}

/// Which threaded MPM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threaded {
    Worker,
    Event,
}

/// The limits maintenance works with (already clamped by config validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadLimits {
    pub mpm: Threaded,
    pub threads_per_child: u32,
    pub min_spare_threads: u32,
    pub max_spare_threads: u32,
    /// A multiple of `threads_per_child` (config validation rounds it down).
    pub max_request_workers: u32,
    pub server_limit: u32,
}

impl ThreadLimits {
    /// The most (active) children: Apache's `ap_daemons_limit` (worker) or
    /// `active_daemons_limit` (event).
    pub fn daemons_limit(&self) -> usize {
        (self.max_request_workers / self.threads_per_child.max(1)).max(1) as usize
    }

    /// The slots maintenance scans and forks into: worker only the first `daemons_limit`,
    /// event every slot (stopping children use the spare ones).
    pub fn scan_limit(&self) -> usize {
        match self.mpm {
            Threaded::Worker => self.daemons_limit().min(self.server_limit as usize),
            Threaded::Event => self.server_limit as usize,
        }
    }
}

fn is_idle(status: WorkerStatus) -> bool {
    (status as u8) <= WorkerStatus::Ready as u8
}

fn is_active(status: WorkerStatus) -> bool {
    let code = status as u8;
    code >= WorkerStatus::Ready as u8 && code < WorkerStatus::Graceful as u8
}

/// What one scan of the scoreboard found.
struct Scan {
    idle_threads: u32,
    active_threads: u32,
    /// Children recorded in a slot.
    total_children: u32,
    /// Of those, children of the running generation that are not stopping (event's
    /// `active_daemons`).
    active_children: u32,
    /// Slots to fork into, best first, at most the spawn rate.
    free: Vec<usize>,
}

fn scan(slots: &[ProcessSlot], limits: &ThreadLimits, state: &mut SpawnState) -> Scan {
    let end = slots.len().min(limits.scan_limit());
    let rate = state.idle_spawn_rate.max(1) as usize;
    let tpc = limits.threads_per_child as usize;
    let mut s = Scan {
        idle_threads: 0,
        active_threads: 0,
        total_children: 0,
        active_children: 0,
        free: Vec::new(),
    };
    // worker: slots whose threads are all gone come first (`totally_free`).
    let mut totally_free = 0;
    let mut last_non_dead: Option<usize> = None;
    for (i, slot) in slots[..end].iter().enumerate() {
        let enough = match limits.mpm {
            Threaded::Worker => totally_free == rate,
            Threaded::Event => s.free.len() == rate,
        };
        if i >= state.max_daemons_limit && enough {
            break;
        }
        let threads = &slot.threads[..slot.threads.len().min(tpc)];
        if slot.occupied {
            let counts_idle = !slot.quiescing
                && slot.current_generation
                && !(limits.mpm == Threaded::Event && slot.not_accepting);
            for &status in threads {
                if counts_idle && is_idle(status) {
                    s.idle_threads += 1;
                }
                if is_active(status) {
                    s.active_threads += 1;
                }
            }
            s.total_children += 1;
            if !slot.quiescing && slot.current_generation {
                s.active_children += 1;
            }
            last_non_dead = Some(i);
        }
        match limits.mpm {
            Threaded::Worker => {
                let any_dead = threads.contains(&WorkerStatus::Dead);
                let all_dead = threads
                    .iter()
                    .all(|t| matches!(t, WorkerStatus::Dead | WorkerStatus::Graceful));
                if any_dead
                    && totally_free < rate
                    && s.free.len() < MAX_SPAWN_RATE as usize
                    && (!slot.occupied || slot.quiescing)
                {
                    if all_dead {
                        s.free.insert(totally_free, i);
                        totally_free += 1;
                    } else {
                        s.free.push(i);
                    }
                }
            }
            Threaded::Event => {
                if !slot.occupied && s.free.len() < rate {
                    s.free.push(i);
                }
            }
        }
    }
    state.max_daemons_limit = last_non_dead.map_or(0, |i| i + 1);
    s.free.truncate(rate);
    s
}

/// One maintenance tick for worker or event. `slots` has one entry per scoreboard slot.
pub fn maintain(
    slots: &[ProcessSlot],
    limits: &ThreadLimits,
    state: &mut SpawnState,
) -> Vec<Action> {
    let s = scan(slots, limits, state);
    let rate = state.idle_spawn_rate.max(1);
    let mut actions = Vec::new();
    if s.idle_threads > limits.max_spare_threads {
        // event: with children already stopping, retire another only if the spare slots
        // (server_limit beyond the active limit) leave room for it to stop.
        let may_retire = limits.mpm == Threaded::Worker
            || s.active_children == s.total_children
            || (limits.server_limit as usize).saturating_sub(s.total_children as usize)
                > limits.daemons_limit();
        if may_retire {
            actions.push(Action::RetireIdle);
        }
        state.idle_spawn_rate = 1;
    } else if s.idle_threads < limits.min_spare_threads {
        let at_max = s.active_threads >= limits.max_request_workers;
        let check_max_first = limits.mpm == Threaded::Event;
        if at_max && (check_max_first || s.free.is_empty()) {
            if s.idle_threads == 0 {
                if !state.max_workers_reached_logged {
                    actions.push(log(
                        LogLevel::Error,
                        format!(
                            "server reached max_request_workers setting ({}), consider raising \
                             the max_request_workers setting",
                            limits.max_request_workers
                        ),
                    ));
                    state.max_workers_reached_logged = true;
                }
            } else if !state.near_max_workers_logged {
                actions.push(log(
                    LogLevel::Error,
                    "server is within min_spare_threads of max_request_workers, consider \
                     raising the max_request_workers setting"
                        .to_string(),
                ));
                state.near_max_workers_logged = true;
            }
            state.idle_spawn_rate = 1;
        } else if s.free.is_empty() {
            actions.push(log(
                LogLevel::Error,
                "scoreboard is full, not at max_request_workers; increase server_limit".to_string(),
            ));
            state.idle_spawn_rate = 1;
        } else {
            let mut count = s.free.len();
            if limits.mpm == Threaded::Event {
                let active = s.active_children as usize;
                let limit = limits.daemons_limit();
                if count + active > limit {
                    if active < limit {
                        count = limit - active;
                    } else {
                        count = 0;
                        state.idle_spawn_rate = 1;
                        state.hold_off += 1;
                    }
                }
            }
            let rate = if count == 0 { 1 } else { rate };
            if rate >= 8 {
                actions.push(log(
                    LogLevel::Info,
                    format!(
                        "server seems busy, (you may need to increase start_servers, \
                         threads_per_child or min/max_spare_threads), spawning {count} children, \
                         there are around {} idle threads, {} active children, and {} children \
                         that are shutting down",
                        s.idle_threads,
                        s.active_children,
                        s.total_children - s.active_children
                    ),
                ));
            }
            for &slot in &s.free[..count] {
                state.note_spawned(slot);
                actions.push(Action::Spawn { slot });
            }
            if state.hold_off > 0 {
                state.hold_off -= 1;
            } else if state.idle_spawn_rate < MAX_SPAWN_RATE {
                state.idle_spawn_rate = (state.idle_spawn_rate * 2).min(MAX_SPAWN_RATE);
            }
        }
    } else {
        state.idle_spawn_rate = 1;
    }
    actions
}

fn log(level: LogLevel, message: String) -> Action {
    Action::Log { level, message }
}

/// Apache's `startup_children(count)` for threaded children: the first `count` slots without a
/// child, within the slots maintenance uses. Records them in `state` like `make_child` does.
pub fn startup_slots(
    slots: &[ProcessSlot],
    limits: &ThreadLimits,
    count: u32,
    state: &mut SpawnState,
) -> Vec<usize> {
    let end = slots.len().min(limits.scan_limit());
    let chosen: Vec<usize> = (0..end)
        .filter(|&i| !slots[i].occupied)
        .take(count as usize)
        .collect();
    for &slot in &chosen {
        state.note_spawned(slot);
    }
    chosen
}

#[cfg(test)]
#[path = "policy_threads_tests.rs"]
mod tests;
