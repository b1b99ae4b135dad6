//! Reclaim escalation: how hard and when the master pushes children out on stop or restart.
//!
//! Apache's `ap_reclaim_child_processes` (reference/apache-mpm.md §4) polls with a backoff of
//! 16 ms x4 capped at 1 s, and by elapsed time sends TERM (0 s, silent; 3, 5, 7 s, logged),
//! KILL (9 s) and finally gives up (10 s). [`Reclaim`] is that table as a pure state machine on an
//! injected clock: it says which step is due and how long to wait; the master does the signalling
//! and reaping. This module must not signal, sleep or read a clock.

use std::time::{Duration, Instant};

use crate::config::LogLevel;

/// One escalation step against every child still alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimStep {
    /// Send SIGTERM; `log` says whether each straggler gets a "still did not exit" line.
    Term {
        /// Log a warning per child (false only for the initial 0 s TERM).
        log: bool,
    },
    /// Send SIGKILL, logging an error per child.
    Kill,
    /// Stop waiting: log an error per child and carry on without it.
    GiveUp,
}

/// Apache's action table: elapsed time since the reclaim started -> step.
const TABLE: [(Duration, ReclaimStep); 6] = [
    (Duration::from_secs(0), ReclaimStep::Term { log: false }),
    (Duration::from_secs(3), ReclaimStep::Term { log: true }),
    (Duration::from_secs(5), ReclaimStep::Term { log: true }),
    (Duration::from_secs(7), ReclaimStep::Term { log: true }),
    (Duration::from_secs(9), ReclaimStep::Kill),
    (Duration::from_secs(10), ReclaimStep::GiveUp),
];

/// First poll interval.
const FIRST_WAIT: Duration = Duration::from_millis(16);
/// Longest poll interval.
const MAX_WAIT: Duration = Duration::from_secs(1);

/// The escalation state of one reclaim (one stop or ungraceful restart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reclaim {
    started: Instant,
    /// Index into [`TABLE`] of the next step to return.
    next_step: usize,
    /// The backoff interval the next [`Reclaim::next_wait`] call starts from.
    wait: Duration,
}

impl Reclaim {
    /// terminate=true: TERM at 0 s (no log line); false: the table starts at the 3 s entry
    /// (prefork HUP semantics, where the master already sent HUP to the process group).
    pub fn new(started: Instant, terminate: bool) -> Self {
        Reclaim {
            started,
            next_step: if terminate { 0 } else { 1 },
            wait: FIRST_WAIT,
        }
    }

    /// Steps that became due by `now` (each returned once, in order): TERM(log) at 3, 5, 7 s,
    /// KILL at 9 s, GiveUp at 10 s.
    pub fn due(&mut self, now: Instant) -> Vec<ReclaimStep> {
        let elapsed = now.saturating_duration_since(self.started);
        let mut steps = Vec::new();
        while let Some(&(at, step)) = TABLE.get(self.next_step) {
            if at > elapsed {
                break;
            }
            steps.push(step);
            self.next_step += 1;
        }
        steps
    }

    /// How long to sleep before checking again: 16 ms, x4 each call, capped at 1 s, and never
    /// past the next step (zero if a step is already due or everything is finished).
    pub fn next_wait(&mut self, now: Instant) -> Duration {
        let Some(&(at, _)) = TABLE.get(self.next_step) else {
            return Duration::ZERO;
        };
        let backoff = self.wait;
        self.wait = (self.wait * 4).min(MAX_WAIT);
        let until_step = (self.started + at).saturating_duration_since(now);
        backoff.min(until_step)
    }

    /// GiveUp has been returned.
    pub fn finished(&self) -> bool {
        self.next_step >= TABLE.len()
    }
}

/// The operator line for a step, e.g. "child process 123 still did not exit, sending a SIGTERM"
/// (Warn), "... sending a SIGKILL" (Error), "could not make child process 123 exit, attempting to
/// continue anyway" (Error). `None` for the silent first TERM.
pub fn step_message(step: &ReclaimStep, pid: i32) -> Option<(LogLevel, String)> {
    match step {
        ReclaimStep::Term { log: false } => None,
        ReclaimStep::Term { log: true } => Some((
            LogLevel::Warn,
            format!("child process {pid} still did not exit, sending a SIGTERM"),
        )),
        ReclaimStep::Kill => Some((
            LogLevel::Error,
            format!("child process {pid} still did not exit, sending a SIGKILL"),
        )),
        ReclaimStep::GiveUp => Some((
            LogLevel::Error,
            format!("could not make child process {pid} exit, attempting to continue anyway"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReclaimStep::*;

    const LOGGED: ReclaimStep = Term { log: true };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Polls every 100 ms from 0 to 11 s; returns (time in ms, step) for each step seen.
    fn walk(terminate: bool) -> Vec<(u64, ReclaimStep)> {
        let t0 = Instant::now();
        let mut reclaim = Reclaim::new(t0, terminate);
        let mut seen = Vec::new();
        for t in (0..=11_000).step_by(100) {
            for step in reclaim.due(t0 + ms(t)) {
                seen.push((t, step));
            }
        }
        assert!(reclaim.finished());
        seen
    }

    #[test]
    fn terminate_table_from_zero() {
        assert_eq!(
            walk(true),
            [
                (0, Term { log: false }),
                (3000, LOGGED),
                (5000, LOGGED),
                (7000, LOGGED),
                (9000, Kill),
                (10_000, GiveUp),
            ]
        );
    }

    #[test]
    fn no_terminate_starts_at_3_seconds() {
        assert_eq!(
            walk(false),
            [
                (3000, LOGGED),
                (5000, LOGGED),
                (7000, LOGGED),
                (9000, Kill),
                (10_000, GiveUp),
            ]
        );
    }

    #[test]
    fn second_by_second() {
        let t0 = Instant::now();
        let mut reclaim = Reclaim::new(t0, true);
        let expected: [&[ReclaimStep]; 12] = [
            &[Term { log: false }],
            &[],
            &[],
            &[LOGGED],
            &[],
            &[LOGGED],
            &[],
            &[LOGGED],
            &[],
            &[Kill],
            &[GiveUp],
            &[],
        ];
        for (sec, want) in expected.iter().enumerate() {
            let now = t0 + Duration::from_secs(sec as u64);
            assert_eq!(reclaim.finished(), sec > 10, "finished before {sec} s");
            assert_eq!(reclaim.due(now), *want, "at {sec} s");
        }
        assert!(reclaim.finished());
    }

    #[test]
    fn late_caller_gets_every_missed_step_in_order() {
        let t0 = Instant::now();
        let mut reclaim = Reclaim::new(t0, true);
        assert_eq!(
            reclaim.due(t0 + ms(7500)),
            [Term { log: false }, LOGGED, LOGGED, LOGGED]
        );
        assert_eq!(reclaim.due(t0 + ms(12_000)), [Kill, GiveUp]);
        assert!(reclaim.finished());
        assert!(reclaim.due(t0 + ms(20_000)).is_empty());
    }

    #[test]
    fn clock_before_start_is_not_a_panic() {
        let t0 = Instant::now() + Duration::from_secs(5);
        let mut reclaim = Reclaim::new(t0, false);
        assert!(reclaim.due(t0 - Duration::from_secs(1)).is_empty());
    }

    #[test]
    fn wait_backs_off_16ms_times_4_capped_at_1s() {
        let t0 = Instant::now();
        let mut reclaim = Reclaim::new(t0, false);
        let waits: Vec<Duration> = (0..5).map(|_| reclaim.next_wait(t0)).collect();
        assert_eq!(waits, [ms(16), ms(64), ms(256), ms(1000), ms(1000)]);
    }

    #[test]
    fn wait_never_passes_the_next_step() {
        let t0 = Instant::now();
        let mut reclaim = Reclaim::new(t0, false);
        for _ in 0..4 {
            reclaim.next_wait(t0);
        }
        assert_eq!(
            reclaim.next_wait(t0 + ms(2700)),
            ms(300),
            "3 s step comes first"
        );
        assert_eq!(
            reclaim.next_wait(t0 + ms(3200)),
            Duration::ZERO,
            "3 s step overdue"
        );
        reclaim.due(t0 + ms(3200));
        assert_eq!(reclaim.next_wait(t0 + ms(3200)), ms(1000));
        assert_eq!(reclaim.next_wait(t0 + ms(4800)), ms(200));
    }

    #[test]
    fn terminate_first_wait_is_zero_because_term_is_due() {
        let t0 = Instant::now();
        let mut reclaim = Reclaim::new(t0, true);
        assert_eq!(reclaim.next_wait(t0), Duration::ZERO);
        assert_eq!(reclaim.due(t0), [Term { log: false }]);
        assert_eq!(reclaim.next_wait(t0), ms(64));
    }

    #[test]
    fn wait_is_zero_once_finished() {
        let t0 = Instant::now();
        let mut reclaim = Reclaim::new(t0, true);
        reclaim.due(t0 + Duration::from_secs(10));
        assert!(reclaim.finished());
        assert_eq!(
            reclaim.next_wait(t0 + Duration::from_secs(10)),
            Duration::ZERO
        );
    }

    #[test]
    fn fake_clock_driven_by_next_wait_reaches_give_up() {
        let t0 = Instant::now();
        let mut reclaim = Reclaim::new(t0, true);
        let mut now = t0;
        let mut steps = Vec::new();
        let mut polls = 0;
        while !reclaim.finished() {
            steps.extend(reclaim.due(now).into_iter().map(|s| (now - t0, s)));
            now += reclaim.next_wait(now);
            polls += 1;
            assert!(polls < 100, "runaway loop");
        }
        let times: Vec<Duration> = steps.iter().map(|(t, _)| *t).collect();
        let secs = Duration::from_secs;
        assert_eq!(
            times,
            [secs(0), secs(3), secs(5), secs(7), secs(9), secs(10)]
        );
    }

    #[test]
    fn messages() {
        let cases: &[(ReclaimStep, Option<(LogLevel, &str)>)] = &[
            (Term { log: false }, None),
            (
                LOGGED,
                Some((
                    LogLevel::Warn,
                    "child process 123 still did not exit, sending a SIGTERM",
                )),
            ),
            (
                Kill,
                Some((
                    LogLevel::Error,
                    "child process 123 still did not exit, sending a SIGKILL",
                )),
            ),
            (
                GiveUp,
                Some((
                    LogLevel::Error,
                    "could not make child process 123 exit, attempting to continue anyway",
                )),
            ),
        ];
        for (step, want) in cases {
            let got = step_message(step, 123);
            let want = want.map(|(level, text)| (level, text.to_string()));
            assert_eq!(got, want, "{step:?}");
        }
    }
}
