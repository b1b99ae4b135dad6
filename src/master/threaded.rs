//! The master's side of the threaded MPMs (worker, event): the snapshot `policy_threads`
//! decides on, slots that a child leaves (possibly to a squatter), and the pipe of death
//! ("podx") each generation of threaded children reads.
//!
//! Threaded children are never signalled for a graceful stop: the master writes `'!'` into the
//! podx (one byte per child that must go), `'$'` for "exit now". Each generation gets a fresh
//! pipe, so bytes meant for an old generation can never make a new child leave. Still nothing
//! but forks, writes and scoreboard updates happen here; `policy_threads` decides.

use nix::unistd::Pid;

use super::effects::PipeOfDeath;
use super::policy::Action;
use super::policy_threads::{self, ProcessSlot, ThreadLimits, Threaded};
use super::{Master, log_at};
use crate::config::MpmModule;

/// `'!'`: finish the requests in hand, then exit (Apache's `AP_MPM_PODX_GRACEFUL`).
pub const PODX_GRACEFUL: u8 = b'!';
/// `'$'`: exit now (Apache's `AP_MPM_PODX_RESTART`).
pub const PODX_RESTART: u8 = b'$';

impl Master {
    /// The threaded MPM's limits, or `None` for prefork.
    pub fn thread_limits(&self) -> Option<ThreadLimits> {
        let mpm = match self.config.mpm.module {
            MpmModule::Prefork => return None,
            MpmModule::Worker => Threaded::Worker,
            MpmModule::Event => Threaded::Event,
        };
        let m = &self.config.mpm;
        Some(ThreadLimits {
            mpm,
            threads_per_child: m.threads_per_child,
            min_spare_threads: m.min_spare_threads,
            max_spare_threads: m.max_spare_threads,
            max_request_workers: m.max_request_workers,
            server_limit: self.board.server_limit() as u32,
        })
    }

    /// What `policy_threads` sees of every slot.
    pub(super) fn process_slots(&self) -> Vec<ProcessSlot> {
        let tpc = (self.config.mpm.threads_per_child as usize).min(self.board.thread_limit());
        (0..self.board.server_limit())
            .map(|slot| {
                let p = self.board.process(slot);
                let owner = self.children.get(slot);
                ProcessSlot {
                    occupied: owner.is_some(),
                    current_generation: owner.is_some_and(|c| c.generation == self.generation),
                    quiescing: p.quiescing.load(std::sync::atomic::Ordering::Relaxed) != 0,
                    not_accepting: p.not_accepting.load(std::sync::atomic::Ordering::Relaxed) != 0,
                    threads: (0..tpc).map(|t| self.board.status(slot, t)).collect(),
                }
            })
            .collect()
    }

    /// One maintenance tick for worker or event.
    pub(super) fn maintain_threads(&mut self, limits: &ThreadLimits) {
        let slots = self.process_slots();
        for action in policy_threads::maintain(&slots, limits, &mut self.spawn) {
            match action {
                Action::Spawn { slot } => self.spawn_into(slot),
                // One byte: whichever child of this generation reads it first leaves.
                Action::RetireIdle => self.pod.signal(PODX_GRACEFUL, 1),
                Action::Log { level, message } => log_at(level, &message),
            }
        }
    }

    /// A reaped child leaves its slot: prefork frees the whole slot; a threaded child frees the
    /// worker records it held (a squatter may hold the others) and, if it still owned the slot,
    /// the process record.
    pub(super) fn slot_vacated(&self, slot: usize, pid: Pid, owner: bool) {
        if self.config.mpm.module == MpmModule::Prefork {
            self.board.slot_dead(slot);
        } else {
            self.board.threads_dead(slot, pid.as_raw(), owner);
        }
    }

    /// Threaded MPMs: tells every child of the ending generation to leave (`byte` once per
    /// child) and gives the next generation a fresh pipe. Prefork: nothing (its children are
    /// signalled).
    pub(super) fn end_generation_podx(&mut self, byte: u8) {
        if self.config.mpm.module == MpmModule::Prefork {
            return;
        }
        self.pod.signal(byte, self.children.len());
        match PipeOfDeath::new() {
            // The old pipe's ends close here; old children keep their own copy of the read end.
            Ok(fresh) => self.pod = fresh,
            Err(e) => log::error!(
                "could not create a new pipe of death ({e}); the next generation shares the \
                 old one (children still leave once their generation is over)"
            ),
        }
    }
}
