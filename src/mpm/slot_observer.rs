//! Feeds the connection loop's events into a worker record of the scoreboard (a prefork
//! child's, or one thread's).

use std::time::Duration;

use crate::http::{ConnObserver, Phase};
use crate::scoreboard::{WorkerSlot, WorkerStatus};

/// The observer the MPMs hand to the HTTP loop.
pub struct SlotObserver<'a> {
    pub slot: &'a WorkerSlot<'a>,
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
        self.slot.request_started(request_line, protocol);
    }

    fn request_finished(&mut self, bytes_sent: u64, duration: Duration) {
        self.slot.request_finished(bytes_sent, duration);
    }

    fn stopping(&self) -> bool {
        (self.stopping)()
    }
}
