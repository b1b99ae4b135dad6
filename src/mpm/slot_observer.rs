//! Feeds the connection loop's events into a worker record of the scoreboard (a prefork
//! child's, or one thread's).

use std::time::Duration;

use crate::http::{ConnObserver, Phase};
use crate::scoreboard::{Scoreboard, WorkerSlot, WorkerStatus};

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
            let (user, system) = crate::sys::cpu::self_cpu(self.clock_tick);
            self.slot.record_cpu(user, system);
        }
    }

    fn scoreboard(&self) -> Option<&Scoreboard> {
        Some(self.board)
    }

    fn stopping(&self) -> bool {
        (self.stopping)()
    }
}
