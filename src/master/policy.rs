//! Idle-server maintenance: Apache prefork's `perform_idle_server_maintenance`, as a pure function.
//!
//! Apache decides and forks in one function over mutable globals; here [`maintain`] only looks at
//! a snapshot of the scoreboard ([`SlotState`] per slot) and the retained spawn state, and returns
//! [`Action`]s for the master to carry out (fork into a slot, signal the pipe of death, log).
//! The numbers are Apache 2.4's exactly (reference/apache-mpm.md §1): idle = starting or ready,
//! spawn rate 1 -> 2 -> ... -> 32, one retirement per tick, the hold-off after a graceful restart.
//!
//! This module must not fork, signal, log or read a clock; the one-second tick that drives it
//! lives in `ticker.rs`, on an injected clock.

use crate::config::LogLevel;

/// `MAX_SPAWN_RATE`: the spawn rate doubles up to this many children per tick.
pub const MAX_SPAWN_RATE: u32 = 32;

/// Spawning cycles without doubling after a graceful restart (Apache's
/// `hold_off_on_exponential_spawning = 10`).
pub const GRACEFUL_HOLD_OFF_CYCLES: u32 = 10;

/// What the master knows about one scoreboard slot, for maintenance purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    /// No process in the slot (`SERVER_DEAD`, `.`): a free slot to fork into.
    Dead,
    /// Forked but not yet accepting (`SERVER_STARTING`, `S`); counted as idle on purpose so a
    /// slow start does not trigger more forks.
    Starting,
    /// Waiting for a connection (`SERVER_READY`, `_`): idle.
    Ready,
    /// Handling a connection (reading, writing, keep-alive, closing, logging ...): neither idle
    /// nor free.
    Busy,
    /// Finishing its work after a graceful restart or stop (`G`): neither idle nor free.
    Graceful,
}

/// The MPM limits maintenance works with (already clamped by config validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `min_spare_servers`: fewer idle children than this and we spawn.
    pub min_spare: u32,
    /// `max_spare_servers`: more idle children than this and we retire one.
    pub max_spare: u32,
    /// `max_request_workers`: only slots below this are scanned and used.
    pub max_request_workers: u32,
}

/// Maintenance state that survives from tick to tick (Apache's retained data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnState {
    /// How many children the next spawning tick forks (1, 2, 4, ... [`MAX_SPAWN_RATE`]).
    pub idle_spawn_rate: u32,
    /// Spawning cycles left during which the rate is not doubled.
    pub hold_off: u32,
    /// The "server reached max_request_workers" line was logged (it is logged once).
    pub max_workers_reached_logged: bool,
    /// Threaded MPMs: the "within min_spare_threads of max_request_workers" line was logged
    /// (once).
    pub near_max_workers_logged: bool,
    /// Highest slot ever used + 1, as of the last scan or spawn: bounds the early stop of the scan.
    pub max_daemons_limit: usize,
}

impl Default for SpawnState {
    fn default() -> Self {
        Self::new()
    }
}

impl SpawnState {
    /// The state of a freshly started master: rate 1, no hold-off, nothing logged, no slot used.
    pub fn new() -> Self {
        SpawnState {
            idle_spawn_rate: 1,
            hold_off: 0,
            max_workers_reached_logged: false,
            near_max_workers_logged: false,
            max_daemons_limit: 0,
        }
    }

    /// After a graceful restart: hold off doubling for 10 spawning cycles.
    pub fn after_graceful_restart(&mut self) {
        self.hold_off = GRACEFUL_HOLD_OFF_CYCLES;
    }

    /// A child exited with "resource shortage" (exit code 7): spawn rate back to 1.
    pub fn child_sick(&mut self) {
        self.idle_spawn_rate = 1;
    }

    /// A child is being forked into `slot` outside [`maintain`] (start-up, graceful one-for-one
    /// replacement): keep `max_daemons_limit` covering it, as Apache's `make_child` does.
    pub fn note_spawned(&mut self, slot: usize) {
        self.max_daemons_limit = self.max_daemons_limit.max(slot + 1);
    }
}

/// Something the master must do after a maintenance tick, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Fork a child into this (dead) slot.
    Spawn {
        /// Scoreboard slot index.
        slot: usize,
    },
    /// Retire one idle child through the pipe of death (one byte plus a dummy connection).
    RetireIdle,
    /// Write this line to the error log.
    Log {
        /// Severity.
        level: LogLevel,
        /// The text, without prefix.
        message: String,
    },
}

/// One maintenance tick. `slots` has one entry per scoreboard slot (len >= max_request_workers);
/// only slots < max_request_workers are scanned (a shorter `slots` is scanned to its end).
pub fn maintain(slots: &[SlotState], limits: &Limits, state: &mut SpawnState) -> Vec<Action> {
    let scan_end = slots.len().min(limits.max_request_workers as usize);
    let rate = state.idle_spawn_rate.max(1);
    let free_cap = rate as usize;

    let mut free_slots: Vec<usize> = Vec::with_capacity(free_cap);
    let mut idle_count: u32 = 0;
    let mut total_non_dead: u32 = 0;
    let mut last_non_dead: Option<usize> = None;
    for (i, slot) in slots[..scan_end].iter().enumerate() {
        // Past every slot ever used, with a full free list: nothing more to learn.
        if i >= state.max_daemons_limit && free_slots.len() == free_cap {
            break;
        }
        match slot {
            SlotState::Dead => {
                if free_slots.len() < free_cap {
                    free_slots.push(i);
                }
            }
            SlotState::Starting | SlotState::Ready => {
                idle_count += 1;
                total_non_dead += 1;
                last_non_dead = Some(i);
            }
            SlotState::Busy | SlotState::Graceful => {
                total_non_dead += 1;
                last_non_dead = Some(i);
            }
        }
    }
    state.max_daemons_limit = last_non_dead.map_or(0, |i| i + 1);

    let mut actions = Vec::new();
    if idle_count > limits.max_spare {
        actions.push(Action::RetireIdle);
        state.idle_spawn_rate = 1;
    } else if idle_count < limits.min_spare {
        if free_slots.is_empty() {
            if !state.max_workers_reached_logged {
                actions.push(Action::Log {
                    level: LogLevel::Error,
                    message: format!(
                        "server reached max_request_workers setting ({}), consider raising the \
                         max_request_workers setting",
                        limits.max_request_workers
                    ),
                });
                state.max_workers_reached_logged = true;
            }
            state.idle_spawn_rate = 1;
        } else {
            if rate >= 8 {
                actions.push(Action::Log {
                    level: LogLevel::Info,
                    message: format!(
                        "server seems busy, (you may need to increase start_servers, or \
                         min/max_spare_servers), spawning {rate} children, there are \
                         {idle_count} idle, and {total_non_dead} total children"
                    ),
                });
            }
            for &slot in &free_slots {
                state.note_spawned(slot);
                actions.push(Action::Spawn { slot });
            }
            if state.hold_off > 0 {
                state.hold_off -= 1;
            } else if rate < MAX_SPAWN_RATE {
                state.idle_spawn_rate = (rate * 2).min(MAX_SPAWN_RATE);
            }
        }
    } else {
        state.idle_spawn_rate = 1;
    }
    actions
}

/// Apache's `startup_children(count)`: the first `count` dead slots below `max_request_workers`,
/// lowest first, to fork into at a cold start, after HUP, or when a graceful restart's one-for-one
/// replacement gives up waiting. Records them in `state` like `make_child` does.
pub fn startup_slots(
    slots: &[SlotState],
    max_request_workers: u32,
    count: u32,
    state: &mut SpawnState,
) -> Vec<usize> {
    let scan_end = slots.len().min(max_request_workers as usize);
    let chosen: Vec<usize> = slots[..scan_end]
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == SlotState::Dead)
        .map(|(i, _)| i)
        .take(count as usize)
        .collect();
    for &slot in &chosen {
        state.note_spawned(slot);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use SlotState::*;

    fn limits(min_spare: u32, max_spare: u32, max_request_workers: u32) -> Limits {
        Limits {
            min_spare,
            max_spare,
            max_request_workers,
        }
    }

    fn spawned(actions: &[Action]) -> Vec<usize> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Spawn { slot } => Some(*slot),
                _ => None,
            })
            .collect()
    }

    fn logs(actions: &[Action]) -> Vec<(LogLevel, String)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Log { level, message } => Some((*level, message.clone())),
                _ => None,
            })
            .collect()
    }

    fn retires(actions: &[Action]) -> usize {
        actions.iter().filter(|a| **a == Action::RetireIdle).count()
    }

    /// A fake scoreboard: a spawned slot is Starting right after the fork and Ready (or Busy,
    /// under load) by the next tick; a retired child has exited by the next tick.
    struct Sim {
        slots: Vec<SlotState>,
        limits: Limits,
        state: SpawnState,
        /// Children become Busy instead of Ready (every child is taken by load).
        loaded: bool,
    }

    impl Sim {
        fn new(limits: Limits, server_limit: usize, start: u32) -> Self {
            let mut sim = Sim {
                slots: vec![Dead; server_limit],
                limits,
                state: SpawnState::new(),
                loaded: false,
            };
            for slot in startup_slots(
                &sim.slots,
                limits.max_request_workers,
                start,
                &mut sim.state,
            ) {
                sim.slots[slot] = Ready;
            }
            sim
        }

        fn idle(&self) -> usize {
            self.slots
                .iter()
                .filter(|s| matches!(s, Starting | Ready))
                .count()
        }

        /// One second passes, then maintenance runs and its actions take effect.
        fn tick(&mut self) -> Vec<Action> {
            let settled = if self.loaded { Busy } else { Ready };
            for s in self.slots.iter_mut() {
                if *s == Starting {
                    *s = settled;
                }
            }
            let actions = maintain(&self.slots, &self.limits, &mut self.state);
            for a in &actions {
                match a {
                    Action::Spawn { slot } => {
                        assert_eq!(self.slots[*slot], Dead, "spawn into a live slot");
                        self.slots[*slot] = Starting;
                    }
                    Action::RetireIdle => {
                        // The highest idle child happens to read the pod byte.
                        let i = self.slots.iter().rposition(|s| *s == Ready).unwrap();
                        self.slots[i] = Dead;
                    }
                    Action::Log { .. } => {}
                }
            }
            actions
        }
    }

    #[test]
    fn ramp_doubles_to_32_then_stops_at_min_spare() {
        let mut sim = Sim::new(limits(64, 128, 256), 256, 1);
        let ticks: Vec<Vec<usize>> = (0..8).map(|_| spawned(&sim.tick())).collect();
        let per_tick: Vec<usize> = ticks.iter().map(Vec::len).collect();
        assert_eq!(per_tick, [1, 2, 4, 8, 16, 32, 0, 0]);
        // Lowest free slots first: tick k fills slots 2^k .. 2^(k+1).
        for (k, slots) in ticks[..6].iter().enumerate() {
            assert_eq!(
                *slots,
                ((1 << k)..(2 << k)).collect::<Vec<usize>>(),
                "tick {k}"
            );
        }
        assert_eq!(sim.idle(), 64);
        assert_eq!(
            sim.state.idle_spawn_rate, 1,
            "rate resets once idle is within bounds"
        );
    }

    #[test]
    fn ramp_stays_at_32_until_min_spare_reached() {
        let mut sim = Sim::new(limits(200, 250, 256), 256, 1);
        let per_tick: Vec<usize> = (0..12).map(|_| spawned(&sim.tick()).len()).collect();
        assert_eq!(per_tick, [1, 2, 4, 8, 16, 32, 32, 32, 32, 32, 32, 0]);
        assert_eq!(sim.idle(), 224);
        assert_eq!(sim.state.idle_spawn_rate, 1);
    }

    #[test]
    fn spawns_full_rate_even_when_fewer_are_missing() {
        let mut slots = vec![Dead; 16];
        slots[..4].fill(Ready);
        let mut state = SpawnState::new();
        state.idle_spawn_rate = 8;
        state.max_daemons_limit = 4;
        let actions = maintain(&slots, &limits(5, 20, 16), &mut state);
        assert_eq!(spawned(&actions), (4..12).collect::<Vec<_>>());
        assert_eq!(state.idle_spawn_rate, 16);
        assert_eq!(state.max_daemons_limit, 12);
    }

    #[test]
    fn retires_exactly_one_idle_per_tick_down_to_max_spare() {
        let mut sim = Sim::new(limits(2, 5, 64), 64, 20);
        sim.state.idle_spawn_rate = 16;
        let mut per_tick = Vec::new();
        for _ in 0..20 {
            let actions = sim.tick();
            assert!(spawned(&actions).is_empty());
            per_tick.push(retires(&actions));
            if retires(&actions) == 1 {
                assert_eq!(sim.state.idle_spawn_rate, 1);
            }
        }
        assert_eq!(per_tick[..15], [1; 15]);
        assert_eq!(per_tick[15..], [0; 5]);
        assert_eq!(sim.idle(), 5);
    }

    #[test]
    fn max_request_workers_reached_is_logged_once() {
        let mut sim = Sim::new(limits(4, 8, 16), 32, 1);
        sim.loaded = true;
        let mut error_lines = Vec::new();
        let mut total_spawned = 0;
        for _ in 0..50 {
            let actions = sim.tick();
            total_spawned += spawned(&actions).len();
            for (level, message) in logs(&actions) {
                if level == LogLevel::Error {
                    error_lines.push(message);
                }
            }
        }
        assert_eq!(total_spawned, 15, "never beyond max_request_workers");
        assert!(
            sim.slots[16..].iter().all(|s| *s == Dead),
            "slots >= mrw untouched"
        );
        assert_eq!(
            error_lines,
            [
                "server reached max_request_workers setting (16), consider raising the \
              max_request_workers setting"
            ]
        );
        assert!(sim.state.max_workers_reached_logged);
        assert_eq!(sim.state.idle_spawn_rate, 1);
    }

    #[test]
    fn seems_busy_logged_at_info_only_when_rate_is_8_or_more() {
        let mut sim = Sim::new(limits(64, 128, 256), 256, 1);
        let mut busy_lines = Vec::new();
        for tick in 0..7 {
            for (level, message) in logs(&sim.tick()) {
                assert_eq!(level, LogLevel::Info);
                busy_lines.push((tick, message));
            }
        }
        let ticks: Vec<i32> = busy_lines.iter().map(|(t, _)| *t).collect();
        assert_eq!(ticks, [3, 4, 5], "only ticks spawning at rate 8, 16, 32");
        assert_eq!(
            busy_lines[0].1,
            "server seems busy, (you may need to increase start_servers, or \
             min/max_spare_servers), spawning 8 children, there are 8 idle, and 8 total children"
        );
        assert!(
            busy_lines[2]
                .1
                .contains("spawning 32 children, there are 32 idle")
        );
    }

    #[test]
    fn hold_off_after_graceful_restart_keeps_rate_at_1_for_10_spawning_cycles() {
        let mut sim = Sim::new(limits(200, 250, 256), 256, 1);
        sim.state.after_graceful_restart();
        let per_tick: Vec<usize> = (0..14).map(|_| spawned(&sim.tick()).len()).collect();
        assert_eq!(per_tick, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 8]);
        assert_eq!(sim.state.hold_off, 0);
    }

    #[test]
    fn hold_off_is_only_spent_on_spawning_cycles() {
        let mut state = SpawnState::new();
        state.after_graceful_restart();
        // Within bounds and above max_spare: no spawning, hold-off untouched.
        maintain(&[Ready; 4], &limits(2, 8, 4), &mut state);
        maintain(&[Ready; 4], &limits(1, 2, 4), &mut state);
        assert_eq!(state.hold_off, GRACEFUL_HOLD_OFF_CYCLES);
        // No free slot: no spawning either.
        maintain(&[Busy; 4], &limits(2, 8, 4), &mut state);
        assert_eq!(state.hold_off, GRACEFUL_HOLD_OFF_CYCLES);
        maintain(&[Dead; 4], &limits(2, 8, 4), &mut state);
        assert_eq!(state.hold_off, GRACEFUL_HOLD_OFF_CYCLES - 1);
        assert_eq!(state.idle_spawn_rate, 1);
    }

    #[test]
    fn child_sick_resets_rate() {
        let mut sim = Sim::new(limits(200, 250, 256), 256, 1);
        for _ in 0..5 {
            sim.tick();
        }
        assert_eq!(sim.state.idle_spawn_rate, 32);
        sim.state.child_sick();
        assert_eq!(spawned(&sim.tick()).len(), 1);
        assert_eq!(spawned(&sim.tick()).len(), 2);
    }

    #[test]
    fn idle_counting_table() {
        // Starting and Ready are idle; Busy and Graceful are neither idle nor free.
        // (slots, min, max) -> (spawns, retirements, log lines); rate 4, all 4 slots scanned.
        type Case = (&'static [SlotState], u32, u32, usize, usize, usize);
        let cases: &[Case] = &[
            (&[Ready, Ready, Dead, Dead], 2, 3, 0, 0, 0),
            (&[Starting, Starting, Dead, Dead], 2, 3, 0, 0, 0),
            (&[Ready, Busy, Dead, Dead], 2, 3, 2, 0, 0),
            (&[Ready, Graceful, Dead, Dead], 2, 3, 2, 0, 0),
            (&[Busy, Graceful, Dead, Dead], 1, 3, 2, 0, 0),
            (&[Ready, Starting, Ready, Ready], 1, 3, 0, 1, 0),
            (&[Ready, Ready, Ready, Ready], 1, 4, 0, 0, 0),
            (&[Busy, Graceful, Busy, Graceful], 1, 4, 0, 0, 1),
        ];
        for (i, &(slots, min, max, spawn, retire, log)) in cases.iter().enumerate() {
            let mut state = SpawnState::new();
            state.idle_spawn_rate = 4;
            state.max_daemons_limit = 4;
            let actions = maintain(slots, &limits(min, max, 4), &mut state);
            assert_eq!(spawned(&actions).len(), spawn, "case {i}");
            assert_eq!(retires(&actions), retire, "case {i}");
            assert_eq!(logs(&actions).len(), log, "case {i}");
        }
    }

    #[test]
    fn scan_stops_early_past_max_daemons_limit_with_full_free_list() {
        // Apache's quirk: a live child above max_daemons_limit is not seen once the free list
        // is full. make_child (here note_spawned) keeps the limit right in practice.
        let mut slots = vec![Dead; 8];
        slots[5] = Ready;
        let mut state = SpawnState::new();
        let actions = maintain(&slots, &limits(1, 4, 8), &mut state);
        assert_eq!(spawned(&actions), [0], "slot 5 unseen: idle counted as 0");
        assert_eq!(state.max_daemons_limit, 1);

        let mut state = SpawnState::new();
        state.note_spawned(5);
        let actions = maintain(&slots, &limits(1, 4, 8), &mut state);
        assert!(actions.is_empty(), "slot 5 counted as idle");
        assert_eq!(state.max_daemons_limit, 6);

        // Afterwards the limit shrinks to the last non-dead slot + 1.
        slots[5] = Dead;
        slots[3] = Busy;
        maintain(&slots, &limits(0, 4, 8), &mut state);
        assert_eq!(state.max_daemons_limit, 4);
    }

    #[test]
    fn only_slots_below_max_request_workers_are_scanned() {
        let mut slots = vec![Busy; 4];
        slots.extend([Dead, Ready, Ready]);
        let mut state = SpawnState::new();
        state.max_daemons_limit = 7;
        let actions = maintain(&slots, &limits(1, 4, 4), &mut state);
        assert!(spawned(&actions).is_empty());
        assert_eq!(logs(&actions)[0].0, LogLevel::Error);
        // A scoreboard shorter than max_request_workers does not panic.
        let actions = maintain(&[Dead], &limits(1, 4, 4), &mut SpawnState::new());
        assert_eq!(spawned(&actions), [0]);
    }

    #[test]
    fn startup_slots_takes_first_dead_slots() {
        let mut state = SpawnState::new();
        let slots = [Ready, Dead, Busy, Dead, Dead, Dead];
        assert_eq!(startup_slots(&slots, 6, 3, &mut state), [1, 3, 4]);
        assert_eq!(state.max_daemons_limit, 5);
        assert_eq!(startup_slots(&slots, 4, 3, &mut state), [1, 3]);
        assert!(startup_slots(&slots, 6, 0, &mut state).is_empty());
    }
}
