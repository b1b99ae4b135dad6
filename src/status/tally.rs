//! mod_status's counting, shared by every output: busy/idle/graceful workers, the scoreboard
//! letters, the extended-status totals and the CPU sums, exactly as Apache 2.4.63 counts them
//! (reference/apache-mpm.md §6 "Counting"). Pure: a snapshot and the time in, numbers out.
//!
//! The derived rates are computed in single precision like Apache's (`(float) count /
//! (float) up_time`), so that `%g` prints the same digits.

use crate::scoreboard::{CpuTicks, Snapshot, WorkerStatus};

/// What every status output is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Slots of live, non-quiescing processes doing something (not dead, starting, ready,
    /// graceful or idle-kill).
    pub busy: u64,
    /// Ready slots of live, non-quiescing processes of the current generation.
    pub idle: u64,
    /// `G` slots of live, non-quiescing processes.
    pub graceful: u64,
    /// One letter per slot; dead slots beyond MaxRequestWorkers (or ThreadsPerChild) omitted.
    pub scoreboard: String,
    /// Extended status only: Σ access_count, Σ bytes_served (exact and / 1024), Σ duration in
    /// ms.
    pub accesses: u64,
    pub bytes: u64,
    pub kbytes: u64,
    pub duration_ms: u64,
    /// Extended status only: the workers' CPU (per process, the maximum over its slots).
    pub workers_cpu: CpuTicks,
    /// Seconds since the restart time.
    pub uptime: u32,
}

/// The letters Apache omits: a dead slot above the configured limits.
fn disabled(snapshot: &Snapshot, slot: usize, thread: usize) -> bool {
    let g = &snapshot.global;
    slot >= g.max_daemons || thread >= g.threads_per_child
}

impl Tally {
    pub fn count(snapshot: &Snapshot, now_us: u64) -> Tally {
        let g = &snapshot.global;
        let mut tally = Tally {
            busy: 0,
            idle: 0,
            graceful: 0,
            scoreboard: String::with_capacity(snapshot.workers.len()),
            accesses: 0,
            bytes: 0,
            kbytes: 0,
            duration_ms: 0,
            workers_cpu: CpuTicks::default(),
            uptime: (now_us.saturating_sub(g.restart_time_us) / 1_000_000).min(u64::from(u32::MAX))
                as u32,
        };
        let mut bytes: u64 = 0;
        let mut duration_us: u64 = 0;
        for process in &snapshot.processes {
            let mut process_cpu = CpuTicks::default();
            let counted = process.pid != 0 && !process.quiescing;
            for w in snapshot.workers_of(process.slot) {
                let status = w.status;
                if !(status == WorkerStatus::Dead && disabled(snapshot, w.slot, w.thread)) {
                    tally.scoreboard.push(status.letter());
                }
                if counted {
                    match status {
                        WorkerStatus::Ready => {
                            if process.generation == g.running_generation {
                                tally.idle += 1;
                            }
                        }
                        WorkerStatus::Graceful => tally.graceful += 1,
                        WorkerStatus::Dead | WorkerStatus::Starting | WorkerStatus::IdleKill => {}
                        _ => tally.busy += 1,
                    }
                }
                if g.extended_status
                    && (w.access_count != 0
                        || !matches!(status, WorkerStatus::Ready | WorkerStatus::Dead))
                {
                    // One process, several slots (threads): Apache keeps the record with any
                    // larger field, since the times are the whole process's.
                    if w.cpu_user_ticks > process_cpu.user
                        || w.cpu_system_ticks > process_cpu.system
                    {
                        process_cpu = CpuTicks {
                            user: w.cpu_user_ticks,
                            system: w.cpu_system_ticks,
                            children_user: 0,
                            children_system: 0,
                        };
                    }
                    tally.accesses += w.access_count;
                    bytes += w.bytes_served;
                    duration_us += w.duration_us;
                }
            }
            tally.workers_cpu.user += process_cpu.user;
            tally.workers_cpu.system += process_cpu.system;
        }
        tally.bytes = bytes;
        tally.kbytes = bytes >> 10;
        tally.duration_ms = duration_us / 1000;
        tally
    }

    /// The master's CPU plus the workers' (what `CPUUser` etc. add up).
    pub fn cpu(&self, snapshot: &Snapshot) -> CpuTicks {
        let m = snapshot.global.cpu;
        let w = self.workers_cpu;
        CpuTicks {
            user: m.user + w.user,
            system: m.system + w.system,
            children_user: m.children_user + w.children_user,
            children_system: m.children_system + w.children_system,
        }
    }
}

/// Seconds of CPU as Apache computes them: `clock_t / (float) tick`.
pub fn cpu_seconds(ticks: u64, clock_tick: u32) -> f64 {
    f64::from(ticks as f32 / clock_tick.max(1) as f32)
}

/// `CPULoad`: percent of one CPU since the restart; `None` without CPU time or uptime (Apache
/// divides by a zero uptime there; mpmd leaves the line out).
pub fn cpu_load(total_ticks: u64, clock_tick: u32, uptime: u32) -> Option<f64> {
    (total_ticks != 0 && uptime != 0)
        .then(|| f64::from(total_ticks as f32 / clock_tick.max(1) as f32 / uptime as f32) * 100.0)
}

/// `ReqPerSec`, `BytesPerSec`, `BytesPerReq`, `DurationPerReq` (each `None` where Apache
/// prints no line: no uptime, no requests).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub requests_per_sec: Option<f64>,
    pub bytes_per_sec: Option<f64>,
    pub bytes_per_request: Option<f64>,
    pub ms_per_request: Option<f64>,
}

impl Rates {
    pub fn of(t: &Tally) -> Rates {
        let up = t.uptime as f32;
        let count = t.accesses as f32;
        let kb = t.kbytes as f32;
        let per_sec = t.uptime > 0;
        let per_req = t.accesses > 0;
        Rates {
            requests_per_sec: per_sec.then(|| f64::from(count / up)),
            bytes_per_sec: per_sec.then(|| f64::from(1024.0 * kb / up)),
            bytes_per_request: per_req.then(|| f64::from(1024.0 * kb / count)),
            ms_per_request: per_req.then(|| f64::from(t.duration_ms as f32 / count)),
        }
    }
}

/// Apache's `show_time`: ` 1 day 2 hours 3 minutes 4 seconds`, zero units left out, each with
/// a leading space (empty for 0).
pub fn uptime_words(secs: u32) -> String {
    let units = [
        (secs / 86_400, "day"),
        (secs / 3600 % 24, "hour"),
        (secs / 60 % 60, "minute"),
        (secs % 60, "second"),
    ];
    let mut out = String::new();
    for (n, unit) in units {
        if n != 0 {
            out.push_str(&format!(" {n} {unit}{}", if n == 1 { "" } else { "s" }));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scoreboard::{GlobalSnapshot, ProcessSnapshot, WorkerSnapshot};

    /// A prefork snapshot: `letters` gives each slot's status (server_limit = its length).
    pub fn prefork(letters: &str, max_daemons: usize) -> Snapshot {
        let status_of = |c: char| match c {
            '_' => WorkerStatus::Ready,
            'S' => WorkerStatus::Starting,
            'R' => WorkerStatus::BusyRead,
            'W' => WorkerStatus::BusyWrite,
            'K' => WorkerStatus::BusyKeepalive,
            'L' => WorkerStatus::BusyLog,
            'C' => WorkerStatus::Closing,
            'G' => WorkerStatus::Graceful,
            'I' => WorkerStatus::IdleKill,
            _ => WorkerStatus::Dead,
        };
        let mut s = Snapshot {
            global: GlobalSnapshot {
                server_limit: letters.len(),
                thread_limit: 1,
                max_daemons,
                threads_per_child: 1,
                running_generation: 1,
                config_generation: 2,
                restart_time_us: 1_000_000_000_000,
                master_pid: 100,
                extended_status: true,
                idle_spawn_rate: 1,
                clock_tick: 100,
                ..GlobalSnapshot::default()
            },
            processes: Vec::new(),
            workers: Vec::new(),
        };
        for (slot, c) in letters.chars().enumerate() {
            let status = status_of(c);
            let live = status != WorkerStatus::Dead;
            s.processes.push(ProcessSnapshot {
                slot,
                pid: if live { 1000 + slot as i32 } else { 0 },
                generation: if c == 'G' { 0 } else { 1 },
                quiescing: false,
                connections: 0,
                not_accepting: false,
                async_conns: Default::default(),
            });
            let mut w = WorkerSnapshot::empty(slot, 0);
            w.status = status;
            w.pid = s.processes[slot].pid;
            w.generation = s.processes[slot].generation;
            s.workers.push(w);
        }
        s
    }

    #[test]
    fn counts_as_apache() {
        let mut s = prefork("_W_KG.S_..", 8);
        // An old-generation ready child is not idle (it is about to leave).
        s.processes[7].generation = 0;
        let t = Tally::count(&s, 1_000_000_000_000 + 3_500_000);
        assert_eq!((t.busy, t.idle, t.graceful), (2, 2, 1));
        assert_eq!(t.scoreboard, "_W_KG.S_");
        assert_eq!(t.uptime, 3);
        // A quiescing process counts for nothing, but keeps its letters.
        s.processes[1].quiescing = true;
        let t = Tally::count(&s, 1_000_000_000_000);
        assert_eq!((t.busy, t.idle, t.graceful), (1, 2, 1));
        assert_eq!(t.scoreboard.len(), 8);
        // A live slot beyond max_daemons is shown.
        let s = prefork("__..W", 3);
        assert_eq!(Tally::count(&s, 0).scoreboard, "__.W");
    }

    #[test]
    fn totals_only_from_used_slots_and_cpu_per_process() {
        let mut s = prefork("_W..", 4);
        s.workers[0].access_count = 10;
        s.workers[0].bytes_served = 3000;
        s.workers[0].duration_us = 7_400;
        s.workers[0].cpu_user_ticks = 12;
        s.workers[2].access_count = 5; // dead, served before: still summed
        s.workers[2].bytes_served = 2000;
        s.workers[1].bytes_served = 100; // busy without a finished request
        s.workers[1].cpu_system_ticks = 3;
        s.workers[3].bytes_served = 999; // dead and never counted a request: skipped
        s.global.cpu = CpuTicks {
            user: 1,
            system: 2,
            children_user: 30,
            children_system: 40,
        };
        let t = Tally::count(&s, 0);
        assert_eq!((t.accesses, t.kbytes, t.duration_ms), (15, 4, 7));
        let cpu = t.cpu(&s);
        assert_eq!(
            (cpu.user, cpu.system, cpu.children_user, cpu.children_system),
            (13, 5, 30, 40)
        );
        s.global.extended_status = false;
        let t = Tally::count(&s, 0);
        assert_eq!(
            (t.accesses, t.kbytes, t.workers_cpu),
            (0, 0, CpuTicks::default())
        );
    }

    #[test]
    fn uptime_in_words() {
        for (secs, want) in [
            (0, ""),
            (1, " 1 second"),
            (3, " 3 seconds"),
            (60, " 1 minute"),
            (
                86_400 + 7_200 + 180 + 4,
                " 1 day 2 hours 3 minutes 4 seconds",
            ),
            (
                2 * 86_400 + 4 * 3600 + 40 * 60 + 13,
                " 2 days 4 hours 40 minutes 13 seconds",
            ),
        ] {
            assert_eq!(uptime_words(secs), want, "{secs}");
        }
    }

    #[test]
    fn rates_in_single_precision() {
        let t = Tally {
            busy: 0,
            idle: 0,
            graceful: 0,
            scoreboard: String::new(),
            accesses: 52963,
            bytes: 67420 * 1024,
            kbytes: 67420,
            duration_ms: 19310,
            workers_cpu: CpuTicks::default(),
            uptime: 3,
        };
        let r = Rates::of(&t);
        use crate::status::apr_format::g;
        assert_eq!(g(r.requests_per_sec.unwrap()), "17654.3");
        assert_eq!(g(r.bytes_per_sec.unwrap()), "23012700");
        assert_eq!(g(r.bytes_per_request.unwrap()), "1303.52");
        assert_eq!(g(r.ms_per_request.unwrap()), ".364594");
        assert_eq!(g(cpu_load(341, 100, 3).unwrap()), "113.667");
        assert_eq!(cpu_load(0, 100, 3), None);
        assert_eq!(cpu_load(5, 100, 0), None);
        assert_eq!(g(cpu_seconds(121, 100)), "1.21");
        let idle = Tally {
            accesses: 0,
            uptime: 0,
            ..t
        };
        assert_eq!(Rates::of(&idle).requests_per_sec, None);
        assert_eq!(Rates::of(&idle).bytes_per_request, None);
    }
}
