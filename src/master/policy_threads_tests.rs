//! Tick-by-tick tests of `policy_threads::maintain` over a simulated scoreboard.

use super::*;
use WorkerStatus::{BusyKeepalive, BusyWrite, Dead, Ready, Starting};

fn limits(
    mpm: Threaded,
    tpc: u32,
    min: u32,
    max: u32,
    mrw: u32,
    server_limit: u32,
) -> ThreadLimits {
    ThreadLimits {
        mpm,
        threads_per_child: tpc,
        min_spare_threads: min,
        max_spare_threads: max,
        max_request_workers: mrw,
        server_limit,
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

fn retires(actions: &[Action]) -> usize {
    actions.iter().filter(|a| **a == Action::RetireIdle).count()
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

/// A child with `tpc` threads in the given states.
fn child(threads: &[WorkerStatus]) -> ProcessSlot {
    ProcessSlot {
        occupied: true,
        current_generation: true,
        quiescing: false,
        not_accepting: false,
        threads: threads.to_vec(),
    }
}

/// A fake scoreboard. A forked child has thread 0 `Starting` and the others dead; by the next
/// tick every thread it could claim is ready (or busy, under load). A retired child quiesces:
/// its idle threads exit at once, its busy ones stay until `finish_busy`; a quiescing child
/// whose threads are all gone has exited by the next tick.
struct Sim {
    slots: Vec<ProcessSlot>,
    limits: ThreadLimits,
    state: SpawnState,
    /// New threads become busy instead of ready.
    loaded: bool,
}

impl Sim {
    fn new(limits: ThreadLimits, start: u32) -> Sim {
        let tpc = limits.threads_per_child as usize;
        let mut sim = Sim {
            slots: vec![ProcessSlot::empty(tpc); limits.server_limit as usize],
            limits,
            state: SpawnState::new(),
            loaded: false,
        };
        for slot in startup_slots(&sim.slots, &limits, start, &mut sim.state) {
            sim.fork(slot);
        }
        sim
    }

    fn fork(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        assert!(
            !s.occupied || s.quiescing,
            "fork onto a live child's slot {slot}"
        );
        let fresh = s.threads.iter().all(|t| *t == Dead);
        *s = ProcessSlot {
            threads: s.threads.clone(),
            ..child(&[])
        };
        if fresh {
            s.threads[0] = Starting;
        }
    }

    fn children(&self) -> usize {
        self.slots.iter().filter(|s| s.occupied).count()
    }

    fn idle_threads(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.occupied && !s.quiescing)
            .flat_map(|s| &s.threads)
            .filter(|t| matches!(t, Dead | Starting | Ready))
            .count()
    }

    /// A second passes: threads start, quiescing children with no thread left exit.
    fn settle(&mut self) {
        let settled = if self.loaded { BusyWrite } else { Ready };
        for s in &mut self.slots {
            if s.occupied && s.quiescing {
                for t in &mut s.threads {
                    if *t == Ready {
                        *t = Dead;
                    }
                }
                if s.threads.iter().all(|t| *t == Dead) {
                    s.occupied = false;
                    s.quiescing = false;
                }
            } else if s.occupied {
                for t in &mut s.threads {
                    if matches!(t, Dead | Starting) {
                        *t = settled;
                    }
                }
            }
        }
    }

    fn tick(&mut self) -> Vec<Action> {
        self.settle();
        let actions = maintain(&self.slots, &self.limits, &mut self.state);
        for a in &actions {
            match a {
                Action::Spawn { slot } => self.fork(*slot),
                Action::RetireIdle => {
                    // The highest current child happens to read the '!'.
                    let i = self
                        .slots
                        .iter()
                        .rposition(|s| s.occupied && !s.quiescing)
                        .expect("a child to retire");
                    self.slots[i].quiescing = true;
                }
                Action::Log { .. } => {}
            }
        }
        actions
    }
}

#[test]
fn worker_ramp_doubles_to_32_children_per_tick() {
    // 1 thread per child so the ramp is long enough to reach 32.
    let l = limits(Threaded::Worker, 1, 100, 200, 200, 200);
    let mut sim = Sim::new(l, 1);
    let per_tick: Vec<usize> = (0..9).map(|_| spawned(&sim.tick()).len()).collect();
    // Apache forks the whole rate even when fewer are missing: 96 idle < 100 -> 32 more.
    assert_eq!(per_tick, [1, 2, 4, 8, 16, 32, 32, 32, 0]);
    assert_eq!(sim.children(), 128);
    assert_eq!(sim.state.idle_spawn_rate, 1);
}

#[test]
fn worker_spawns_by_idle_threads_not_children() {
    // tpc 25, min 75: three children's worth of idle threads.
    let l = limits(Threaded::Worker, 25, 75, 250, 400, 16);
    let mut sim = Sim::new(l, 1);
    assert_eq!(spawned(&sim.tick()), [1], "25 idle < 75: one child");
    assert_eq!(
        spawned(&sim.tick()),
        [2, 3],
        "50 idle (25 + 1 starting + 24 dead)"
    );
    assert_eq!(sim.idle_threads(), 100);
    assert!(sim.tick().is_empty());
    // Load takes 60 threads: 40 idle left, below 75 -> spawn again.
    for s in sim.slots.iter_mut().take(3) {
        s.threads.fill(BusyKeepalive);
    }
    assert_eq!(spawned(&sim.tick()), [4]);
}

#[test]
fn worker_retires_one_child_per_tick_above_max_spare_threads() {
    let l = limits(Threaded::Worker, 10, 10, 31, 160, 16);
    let mut sim = Sim::new(l, 10);
    let per_tick: Vec<usize> = (0..10).map(|_| retires(&sim.tick())).collect();
    // 100 idle threads; one child (10 threads) leaves per tick until idle <= 31.
    assert_eq!(per_tick, [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    assert_eq!(sim.children(), 3);
    assert_eq!(sim.state.idle_spawn_rate, 1);
}

#[test]
fn worker_never_uses_slots_beyond_max_request_workers_and_logs_once() {
    // 4 x 25 = 100 workers: slots 0..4 only, although server_limit is 16.
    let l = limits(Threaded::Worker, 25, 75, 250, 100, 16);
    let mut sim = Sim::new(l, 1);
    sim.loaded = true;
    let mut errors = Vec::new();
    for _ in 0..10 {
        for (level, message) in logs(&sim.tick()) {
            if level == LogLevel::Error {
                errors.push(message);
            }
        }
    }
    assert_eq!(sim.children(), 4);
    assert!(sim.slots[4..].iter().all(|s| !s.occupied));
    assert_eq!(
        errors,
        [
            "server reached max_request_workers setting (100), consider raising the \
          max_request_workers setting"
        ]
    );
}

#[test]
fn worker_within_min_spare_of_max_is_logged_once() {
    let l = limits(Threaded::Worker, 4, 3, 20, 8, 2);
    let slots = vec![
        child(&[Ready, BusyWrite, BusyWrite, BusyWrite]),
        child(&[BusyWrite; 4]),
    ];
    let mut state = SpawnState::new();
    let first = maintain(&slots, &l, &mut state);
    let second = maintain(&slots, &l, &mut state);
    assert_eq!(
        logs(&first),
        [(
            LogLevel::Error,
            "server is within min_spare_threads of max_request_workers, consider raising the \
             max_request_workers setting"
                .to_string()
        )]
    );
    assert!(second.is_empty());
}

#[test]
fn worker_squats_on_quiescing_slots_preferring_those_without_threads() {
    let l = limits(Threaded::Worker, 4, 8, 20, 12, 3);
    let mut quiescing_busy = child(&[BusyWrite, Dead, Dead, BusyKeepalive]);
    quiescing_busy.quiescing = true;
    let mut quiescing_gone = child(&[Dead; 4]);
    quiescing_gone.quiescing = true;
    let mut quiescing_full = child(&[BusyWrite; 4]);
    quiescing_full.quiescing = true;
    let slots = vec![quiescing_busy, quiescing_full, quiescing_gone];
    let mut state = SpawnState::new();
    state.idle_spawn_rate = 4;
    state.max_daemons_limit = 3;
    let actions = maintain(&slots, &l, &mut state);
    // Slot 2 (no thread left) first, then slot 0 (some dead threads); slot 1 has none free.
    assert_eq!(spawned(&actions), [2, 0]);
}

#[test]
fn event_uses_spare_slots_while_old_children_stop() {
    // 2 active children at most (50 / 25), 4 slots: the stopping ones keep slots 0 and 1.
    // Their idle threads show `G` (as Apache's dying event child), a few still serve.
    let l = limits(Threaded::Event, 25, 50, 100, 50, 4);
    let mut threads = vec![WorkerStatus::Graceful; 25];
    threads[..3].fill(BusyWrite);
    let mut old = child(&threads);
    old.current_generation = false;
    old.quiescing = true;
    let slots = vec![
        old.clone(),
        old,
        ProcessSlot::empty(25),
        ProcessSlot::empty(25),
    ];
    let mut state = SpawnState::new();
    state.idle_spawn_rate = 2;
    state.max_daemons_limit = 2;
    assert_eq!(spawned(&maintain(&slots, &l, &mut state)), [2, 3]);
}

#[test]
fn event_caps_active_children_and_cancels_spawning_at_the_limit() {
    let l = limits(Threaded::Event, 2, 10, 20, 4, 8);
    // Two active children (the limit), all threads busy: nothing is spawned, no log spam.
    let slots = vec![
        child(&[BusyWrite, Ready]),
        child(&[BusyWrite, Ready]),
        ProcessSlot::empty(2),
        ProcessSlot::empty(2),
    ];
    let mut state = SpawnState::new();
    state.idle_spawn_rate = 8;
    state.max_daemons_limit = 2;
    let actions = maintain(&slots, &l, &mut state);
    assert!(spawned(&actions).is_empty(), "{actions:?}");
    assert_eq!(state.idle_spawn_rate, 1);
    assert_eq!(state.hold_off, 0);
    // One active child: only one more may start although the rate allows 4.
    let slots = vec![
        child(&[BusyWrite, Ready]),
        ProcessSlot::empty(2),
        ProcessSlot::empty(2),
    ];
    let mut state = SpawnState::new();
    state.idle_spawn_rate = 4;
    assert_eq!(spawned(&maintain(&slots, &l, &mut state)), [1]);
}

#[test]
fn event_retires_only_when_nobody_is_stopping_or_slots_are_spare() {
    let l = limits(Threaded::Event, 2, 1, 4, 6, 4);
    let idle = child(&[Ready, Ready]);
    let mut stopping = child(&[BusyWrite, Dead]);
    stopping.quiescing = true;
    // 6 idle > 4, one child stopping, 4 - 4 = 0 spare slots <= 3: wait.
    let slots = vec![idle.clone(), idle.clone(), idle.clone(), stopping.clone()];
    let mut state = SpawnState::new();
    assert_eq!(retires(&maintain(&slots, &l, &mut state)), 0);
    // Nobody stopping: retire one.
    let slots = vec![idle.clone(), idle.clone(), idle.clone(), idle.clone()];
    assert_eq!(retires(&maintain(&slots, &l, &mut state)), 1);
    // With server_limit 8 there are 4 spare slots > 3: retire although one is stopping.
    let l8 = ThreadLimits {
        server_limit: 8,
        ..l
    };
    let mut slots = vec![idle.clone(), idle.clone(), idle, stopping];
    slots.extend(vec![ProcessSlot::empty(2); 4]);
    assert_eq!(retires(&maintain(&slots, &l8, &mut state)), 1);
}

#[test]
fn event_scoreboard_full_is_logged_every_tick() {
    let l = limits(Threaded::Event, 2, 4, 10, 4, 2);
    let mut stopping = child(&[BusyWrite, WorkerStatus::Graceful]);
    stopping.quiescing = true;
    let slots = vec![stopping.clone(), stopping];
    let mut state = SpawnState::new();
    for _ in 0..2 {
        let actions = maintain(&slots, &l, &mut state);
        assert_eq!(
            logs(&actions),
            [(
                LogLevel::Error,
                "scoreboard is full, not at max_request_workers; increase server_limit".to_string()
            )]
        );
    }
}

#[test]
fn idle_thread_counting_table() {
    // (slot, mpm) -> idle threads it contributes (min 100, so every case wants to spawn and
    // the log line, at rate 8, says how many idle threads were counted).
    let mut quiescing = child(&[Ready, Ready]);
    quiescing.quiescing = true;
    let mut old = child(&[Ready, Ready]);
    old.current_generation = false;
    let mut not_accepting = child(&[Ready, Ready]);
    not_accepting.not_accepting = true;
    let cases: &[(ProcessSlot, Threaded, u32)] = &[
        (child(&[Ready, Ready]), Threaded::Worker, 2),
        (child(&[Dead, Starting]), Threaded::Worker, 2),
        (child(&[BusyWrite, Ready]), Threaded::Worker, 1),
        (quiescing.clone(), Threaded::Worker, 0),
        (old.clone(), Threaded::Worker, 0),
        (old, Threaded::Event, 0),
        (not_accepting.clone(), Threaded::Worker, 2),
        (not_accepting, Threaded::Event, 0),
        (ProcessSlot::empty(2), Threaded::Worker, 0),
    ];
    for (i, (slot, mpm, idle)) in cases.iter().enumerate() {
        let l = limits(*mpm, 2, 100, 200, 20, 10);
        let mut slots = vec![slot.clone()];
        slots.extend(vec![ProcessSlot::empty(2); 9]);
        let mut state = SpawnState::new();
        state.idle_spawn_rate = 8;
        state.max_daemons_limit = 1;
        let actions = maintain(&slots, &l, &mut state);
        let line = &logs(&actions)[0].1;
        assert!(
            line.contains(&format!("there are around {idle} idle threads")),
            "case {i}: {line}"
        );
    }
}

#[test]
fn hold_off_after_graceful_restart_keeps_the_rate_at_1() {
    let l = limits(Threaded::Worker, 1, 100, 200, 200, 200);
    let mut sim = Sim::new(l, 1);
    sim.state.after_graceful_restart();
    let per_tick: Vec<usize> = (0..13).map(|_| spawned(&sim.tick()).len()).collect();
    assert_eq!(per_tick, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4]);
}

#[test]
fn startup_takes_the_first_empty_slots_within_the_scan_limit() {
    let l = limits(Threaded::Worker, 25, 75, 250, 75, 16);
    let mut slots = vec![ProcessSlot::empty(25); 16];
    slots[1] = child(&[Ready; 25]);
    let mut state = SpawnState::new();
    assert_eq!(startup_slots(&slots, &l, 5, &mut state), [0, 2]);
    let event = ThreadLimits {
        mpm: Threaded::Event,
        ..l
    };
    assert_eq!(startup_slots(&slots, &event, 3, &mut state), [0, 2, 3]);
    assert_eq!(state.max_daemons_limit, 4);
}
