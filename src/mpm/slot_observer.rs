//! Feeds the connection loop's events into a worker record of the scoreboard (a prefork
//! child's, or one thread's).
//!
//! With `extended_status`, Apache records the process's CPU time (`times(2)`) after every
//! request. The value is in clock ticks (10 ms), and `getrusage(RUSAGE_SELF)` walks every
//! thread of a threaded child, so mpmd reads it at most once per clock tick per thread: the
//! recorded value is never more than one tick old, at a fraction of the cost under load.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::http::{ConnObserver, Phase};
use crate::scoreboard::{Scoreboard, WorkerSlot, WorkerStatus};

thread_local! {
    /// When this thread last read the process's CPU time.
    static CPU_READ_AT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Whether the CPU time should be read again at `now`, last read at `last`, with `tick` the
/// clock tick's length.
fn cpu_reading_due(last: Option<Instant>, now: Instant, tick: Duration) -> bool {
    last.is_none_or(|at| now.saturating_duration_since(at) >= tick)
}

/// The observer the MPMs hand to the HTTP loop.
pub struct SlotObserver<'a> {
    pub slot: &'a WorkerSlot<'a>,
    /// The whole scoreboard (the status handler reads it).
    pub board: &'a Scoreboard,
    /// `sysconf(_SC_CLK_TCK)`, the unit of the CPU times recorded after each request.
    pub clock_tick: u32,
    /// `extended_status`: record the process's CPU time after each request.
    pub extended_status: bool,
    /// True once the process is stopping (the next response is the connection's last).
    pub stopping: &'a dyn Fn() -> bool,
}

impl ConnObserver for SlotObserver<'_> {
    fn phase(&mut self, phase: Phase) {
        self.slot.set_status(match phase {
            Phase::Reading => WorkerStatus::BusyRead,
            Phase::Writing => WorkerStatus::BusyWrite,
            Phase::KeepAlive => WorkerStatus::BusyKeepalive,
            Phase::Closing => WorkerStatus::Closing,
            Phase::Logging => WorkerStatus::BusyLog,
        });
    }

    fn request_started(&mut self, request_line: &[u8]) {
        let protocol = request_line
            .rsplit(|&b| b == b' ')
            .next()
            .filter(|p| p.starts_with(b"HTTP/"))
            .unwrap_or(b"");
        // Apache shows the connection's protocol in lower case (`http/1.1`).
        let mut lower = [0u8; 16];
        let n = protocol.len().min(lower.len());
        for (to, from) in lower.iter_mut().zip(&protocol[..n]) {
            *to = from.to_ascii_lowercase();
        }
        self.slot.request_started(request_line, &lower[..n]);
    }

    fn request_finished(&mut self, bytes_sent: u64, duration: Duration) {
        self.slot.request_finished(bytes_sent, duration);
        if self.extended_status {
            let now = Instant::now();
            let tick = Duration::from_micros(1_000_000 / u64::from(self.clock_tick.max(1)));
            if cpu_reading_due(CPU_READ_AT.get(), now, tick) {
                CPU_READ_AT.set(Some(now));
                let (user, system) = crate::sys::cpu::self_cpu(self.clock_tick);
                self.slot.record_cpu(user, system);
            }
        }
    }

    fn scoreboard(&self) -> Option<&Scoreboard> {
        Some(self.board)
    }

    fn stopping(&self) -> bool {
        (self.stopping)()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_at_most_once_per_clock_tick() {
        let t0 = Instant::now();
        let tick = Duration::from_millis(10);
        let ms = Duration::from_millis;
        for (last, now, want) in [
            (None, t0, true),
            (Some(t0), t0, false),
            (Some(t0), t0 + ms(9), false),
            (Some(t0), t0 + ms(10), true),
            (Some(t0), t0 + ms(500), true),
            (Some(t0 + ms(5)), t0, false),
        ] {
            assert_eq!(cpu_reading_due(last, now, tick), want, "{last:?} {now:?}");
        }
    }
}
