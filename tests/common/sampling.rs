//! Sampling a server's child count over time, for the maintenance tests (prefork in
//! `ramp.rs`, worker and event in `threads.rs`).
//!
//! The child count is sampled every 50 ms. A count counts as "reached" only when it holds for
//! 300 ms, so samples taken while the master is half way through forking 32 children (slow on a
//! busy machine) are not mistaken for a step.

use std::thread::sleep;
use std::time::{Duration, Instant};

use super::ServerGuard;

pub const SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// A count that lasts less than this is a master caught half way through a burst of forks (or
/// exits), not a step; real steps last one tick (1 s).
pub const MIN_HOLD: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Since sampling began.
    pub at: Duration,
    pub count: usize,
}

/// Samples the child count until `done` says so or `max` passes.
pub fn sample_children(
    server: &ServerGuard,
    max: Duration,
    mut done: impl FnMut(&[Sample]) -> bool,
) -> Vec<Sample> {
    let start = Instant::now();
    let mut samples = Vec::new();
    while start.elapsed() < max {
        samples.push(Sample {
            at: start.elapsed(),
            count: server.children().len(),
        });
        if done(&samples) {
            break;
        }
        sleep(SAMPLE_EVERY);
    }
    samples
}

/// A child count that held for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub count: usize,
    /// First sample showing it.
    pub seen: Duration,
    /// The sample before that: the change happened in `(after, seen]`. A sampler that was
    /// descheduled for a while widens this window instead of faking a late change.
    pub after: Duration,
}

/// The gap between two steps' changes, as the (shortest, longest) it can have been.
pub fn gap_bounds(a: &Step, b: &Step) -> (Duration, Duration) {
    (
        b.after.saturating_sub(a.seen),
        b.seen.saturating_sub(a.after),
    )
}

/// The counts that held for at least `min_hold` (from their first sample to the first sample of
/// the next count, or to the last sample); a stable count equal to the previous stable count is
/// not repeated.
pub fn stable_steps(samples: &[Sample], min_hold: Duration) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < samples.len() {
        let count = samples[i].count;
        let run = samples[i..].iter().take_while(|s| s.count == count).count();
        let end = samples.get(i + run).unwrap_or(&samples[i + run - 1]).at;
        let held = end.saturating_sub(samples[i].at);
        if held >= min_hold && steps.last().is_none_or(|last| last.count != count) {
            let after = if i == 0 {
                samples[0].at
            } else {
                samples[i - 1].at
            };
            steps.push(Step {
                count,
                seen: samples[i].at,
                after,
            });
        }
        i += run;
    }
    steps
}

/// Compact `t=1.05s:4` list of every change, for failure messages; a pause of the sampler
/// (descheduled) shows as `[no sample for 0.40s]`.
pub fn describe(samples: &[Sample]) -> String {
    let mut out = Vec::new();
    let mut last: Option<&Sample> = None;
    for s in samples {
        if let Some(prev) = last
            && s.at.saturating_sub(prev.at) > 4 * SAMPLE_EVERY
        {
            out.push(format!(
                "[no sample for {:.2}s]",
                (s.at - prev.at).as_secs_f64()
            ));
        }
        if last.is_none_or(|prev| prev.count != s.count) {
            out.push(format!("t={:.2}s:{}", s.at.as_secs_f64(), s.count));
        }
        last = Some(s);
    }
    out.join(" ")
}

/// True once the last `hold` worth of samples all show `count` (and it was reached).
pub fn held_for(samples: &[Sample], count: usize, hold: Duration) -> bool {
    let Some(last) = samples.last() else {
        return false;
    };
    let Some(first) = samples.iter().position(|s| s.count == count) else {
        return false;
    };
    last.at >= samples[first].at + hold
        && samples
            .iter()
            .rev()
            .take_while(|s| last.at - s.at <= hold)
            .all(|s| s.count == count)
}

/// Asserts that consecutive steps are one maintenance tick apart (1 s, with slack for a loaded
/// machine): fails only when the sampled window proves the gap shorter than 0.5 s or longer
/// than 2.5 s.
pub fn assert_tick_spacing(steps: &[Step], samples: &[Sample]) {
    for pair in steps.windows(2) {
        let (shortest, longest) = gap_bounds(&pair[0], &pair[1]);
        assert!(
            longest >= Duration::from_millis(500) && shortest <= Duration::from_millis(2500),
            "{} -> {} took between {shortest:?} and {longest:?}, not one tick; series: {}",
            pair[0].count,
            pair[1].count,
            describe(samples)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_steps_cases() {
        let at = |ms: u64, count: usize| Sample {
            at: Duration::from_millis(ms),
            count,
        };
        // (count, seen ms, after ms)
        type Case = (&'static [(u64, usize)], u64, &'static [(usize, u64, u64)]);
        let cases: &[Case] = &[
            (&[], 100, &[]),
            (
                &[(0, 1), (50, 1), (100, 2), (150, 2)],
                50,
                &[(1, 0, 0), (2, 100, 50)],
            ),
            // The last run is measured to the last sample.
            (&[(0, 1), (50, 1), (100, 2)], 50, &[(1, 0, 0)]),
            // A transient 40 while forking 32 more is not a step, even over several samples.
            (
                &[
                    (0, 32),
                    (400, 32),
                    (450, 40),
                    (500, 40),
                    (550, 40),
                    (600, 64),
                    (1000, 64),
                ],
                300,
                &[(32, 0, 0), (64, 600, 550)],
            ),
            // A transient dip back to the same stable count is not a new step.
            (
                &[(0, 4), (400, 4), (450, 3), (500, 4), (900, 4)],
                300,
                &[(4, 0, 0)],
            ),
            // A sampler descheduled from 100 to 700 ms: the change happened in (100, 700].
            (
                &[(0, 12), (100, 12), (700, 11), (1100, 11)],
                300,
                &[(12, 0, 0), (11, 700, 100)],
            ),
        ];
        for (input, min_hold_ms, want) in cases {
            let samples: Vec<Sample> = input.iter().map(|&(ms, c)| at(ms, c)).collect();
            let want: Vec<Step> = want
                .iter()
                .map(|&(count, seen, after)| Step {
                    count,
                    seen: Duration::from_millis(seen),
                    after: Duration::from_millis(after),
                })
                .collect();
            let got = stable_steps(&samples, Duration::from_millis(*min_hold_ms));
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn gap_bounds_cases() {
        let step = |seen: u64, after: u64| Step {
            count: 0,
            seen: Duration::from_millis(seen),
            after: Duration::from_millis(after),
        };
        let ms = Duration::from_millis;
        assert_eq!(
            gap_bounds(&step(1000, 950), &step(2000, 1950)),
            (ms(950), ms(1050))
        );
        assert_eq!(
            gap_bounds(&step(1000, 950), &step(1600, 1000)),
            (ms(0), ms(650))
        );
        assert_eq!(
            gap_bounds(&step(3600, 2900), &step(4160, 4110)),
            (ms(510), ms(1260))
        );
    }
}
