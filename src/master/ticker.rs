//! The master's one-second maintenance tick, on an injected clock: time enters only as the
//! `now` argument, so tests step a fake clock instead of sleeping.

use std::time::{Duration, Instant};

/// A periodic deadline on an injected clock: the master's one-second maintenance tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticker {
    next: Instant,
    period: Duration,
}

impl Ticker {
    /// First due one `period` after `now`.
    pub fn new(now: Instant, period: Duration) -> Self {
        Ticker {
            next: now.checked_add(period).unwrap_or(now),
            period,
        }
    }

    /// True at most once per period. Deadlines stay on the grid `start + k * period` (no drift),
    /// and periods missed while the caller was busy are skipped, not replayed.
    pub fn due(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        let period_ns = self.period.as_nanos();
        if period_ns == 0 {
            self.next = now;
            return true;
        }
        let behind_ns = now.duration_since(self.next).as_nanos();
        let advance_ns = (behind_ns / period_ns + 1) * period_ns;
        let advance = Duration::new(
            (advance_ns / 1_000_000_000).min(u128::from(u64::MAX)) as u64,
            (advance_ns % 1_000_000_000) as u32,
        );
        self.next = self
            .next
            .checked_add(advance)
            .unwrap_or_else(|| now.checked_add(self.period).unwrap_or(now));
        true
    }

    /// Time left until the next deadline (zero if it has passed).
    pub fn until_next(&self, now: Instant) -> Duration {
        self.next.saturating_duration_since(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticker_fires_once_per_period_without_drift() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let ms = Duration::from_millis;
        let mut ticker = Ticker::new(t0, s);
        assert!(!ticker.due(t0));
        assert_eq!(ticker.until_next(t0), s);
        assert!(!ticker.due(t0 + ms(999)));
        assert!(ticker.due(t0 + ms(1000)));
        assert!(!ticker.due(t0 + ms(1000)));
        assert!(!ticker.due(t0 + ms(1300)));
        assert_eq!(ticker.until_next(t0 + ms(1300)), ms(700));
        // Late by 300 ms: fires, and the next deadline stays at 3 s, not 3.3 s.
        assert!(ticker.due(t0 + ms(2300)));
        assert_eq!(ticker.until_next(t0 + ms(2300)), ms(700));
        // Missed 3 periods: one firing, next deadline on the grid.
        assert!(ticker.due(t0 + ms(6500)));
        assert!(!ticker.due(t0 + ms(6900)));
        assert_eq!(ticker.until_next(t0 + ms(6900)), ms(100));
        assert!(ticker.due(t0 + ms(7000)));
        assert_eq!(ticker.until_next(t0 + ms(8500)), Duration::ZERO);

        let mut every_call = Ticker::new(t0, Duration::ZERO);
        assert!(every_call.due(t0) && every_call.due(t0));
        assert_eq!(every_call.until_next(t0), Duration::ZERO);
    }
}
