//! The scoreboard of threaded children (worker, event): worker records claimed thread by
//! thread, and slots shared for a while by an exiting child and the child that took its place.
//!
//! Apache's worker MPM lets a new child "squat" on the slot of a child that is still finishing
//! its last requests: the new child starts a thread in each worker record the old one has
//! released. Here every worker record carries the pid of the thread's process, so the master,
//! when it reaps either child, frees exactly the records that child held. Nothing here decides
//! when to squat; `master/policy_threads.rs` does.

use std::sync::atomic::Ordering;

use super::{Scoreboard, WorkerStatus, now_us, worker_dead};

impl Scoreboard {
    /// True when no thread holds any worker record of `slot` (a slot to fork into afresh).
    pub fn threads_all_dead(&self, slot: usize) -> bool {
        (0..self.thread_limit()).all(|t| self.status(slot, t) == WorkerStatus::Dead)
    }

    /// Master, before forking a child onto a slot whose previous child is still finishing
    /// (squatting): the process record changes hands; the worker records stay with the threads
    /// that hold them until they let go.
    pub fn slot_squatted(&self, slot: usize, generation: u64) {
        self.process(slot)
            .generation
            .store(generation, Ordering::Relaxed);
    }

    /// Master, after reaping threaded child `pid` (or a failed fork) from `slot`: the worker
    /// records it held go `Dead` (plus the `Starting` mark the master left for it); if it was
    /// the slot's current owner, the process record is cleared too. Records held by another
    /// child sharing the slot are left alone.
    pub fn threads_dead(&self, slot: usize, pid: i32, owner: bool) {
        if owner {
            let p = self.process(slot);
            p.pid.store(0, Ordering::Release);
            p.clear_child_fields();
        }
        let now = now_us();
        for thread in 0..self.thread_limit() {
            let w = self.worker(slot, thread);
            let holder = w.pid.load(Ordering::Relaxed);
            let status = WorkerStatus::from_u8(w.status.load(Ordering::Relaxed));
            if holder == pid || (holder == 0 && status != WorkerStatus::Dead) {
                worker_dead(w, now);
            }
        }
    }

    /// A thread of child `pid` takes worker record `(slot, thread)` if it is free: `Dead`, or
    /// the `Starting` mark the master left for a new child. Returns whether it did. Only the
    /// slot's current owner calls this, from one thread, so there is no race between claimers.
    pub fn claim_worker(&self, slot: usize, thread: usize, pid: i32, generation: u64) -> bool {
        let w = self.worker(slot, thread);
        let status = WorkerStatus::from_u8(w.status.load(Ordering::Acquire));
        let free = status == WorkerStatus::Dead
            || (status == WorkerStatus::Starting && w.pid.load(Ordering::Relaxed) == 0);
        if !free {
            return false;
        }
        w.pid.store(pid, Ordering::Relaxed);
        w.generation.store(generation, Ordering::Relaxed);
        w.my_access_count.store(0, Ordering::Relaxed);
        w.my_bytes_served.store(0, Ordering::Relaxed);
        w.status
            .store(WorkerStatus::Starting as u8, Ordering::Release);
        true
    }

    /// The pid written in a worker record (0 = none).
    pub fn worker_pid(&self, slot: usize, thread: usize) -> i32 {
        self.worker(slot, thread).pid.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_squatter_takes_only_released_records_and_reaping_frees_only_ones_own() {
        let board = Scoreboard::create(2, 3, None).unwrap();
        // Child 100 starts in slot 0 and claims all three records.
        board.slot_starting(0, 1);
        board.process_forked(0, 100);
        assert!(!board.threads_all_dead(0));
        for t in 0..3 {
            assert!(board.claim_worker(0, t, 100, 1), "thread {t}");
            board.worker_slot(0, t).set_status(WorkerStatus::Ready);
        }
        // It quiesces: thread 1 exits, threads 0 and 2 still serve.
        board.worker_slot(0, 0).set_status(WorkerStatus::BusyWrite);
        board.worker_slot(0, 1).set_status(WorkerStatus::Dead);
        board
            .worker_slot(0, 2)
            .set_status(WorkerStatus::BusyKeepalive);
        // Child 200 squats on the slot.
        assert!(!board.threads_all_dead(0));
        board.slot_squatted(0, 2);
        board.process_forked(0, 200);
        let claimed: Vec<bool> = (0..3).map(|t| board.claim_worker(0, t, 200, 2)).collect();
        assert_eq!(claimed, [false, true, false]);
        // The old child is reaped: its records go dead, the squatter's stays.
        board.threads_dead(0, 100, false);
        assert_eq!(board.status(0, 0), WorkerStatus::Dead);
        assert_eq!(board.status(0, 1), WorkerStatus::Starting);
        assert_eq!(board.worker_pid(0, 1), 200);
        assert_eq!(board.process(0).pid.load(Ordering::Relaxed), 200);
        // Now the squatter claims the rest; when it is reaped the slot is empty.
        assert!(board.claim_worker(0, 0, 200, 2));
        board.threads_dead(0, 200, true);
        assert!(board.threads_all_dead(0));
        assert_eq!(board.process(0).pid.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_child_that_died_before_claiming_leaves_no_starting_mark() {
        let board = Scoreboard::create(1, 2, None).unwrap();
        board.slot_starting(0, 0);
        board.process_forked(0, 300);
        assert_eq!(board.status(0, 0), WorkerStatus::Starting);
        board.threads_dead(0, 300, true);
        assert!(board.threads_all_dead(0));
    }
}
