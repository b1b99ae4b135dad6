//! `?metrics` (`?prometheus`): Prometheus text exposition format 0.0.4. Server totals as
//! prometheus-apache-exporter derives them from `?auto`, plus what no exporter can see:
//! per-process and per-worker series and the master's spawn state. Names and labels are
//! listed in docs/STATUS.md; every family has HELP and TYPE lines, counters end in `_total`,
//! units are base units (seconds, bytes), as `promtool check metrics` wants. Pure.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::processes as status_processes;
use super::tally::{Tally, cpu_seconds};
use super::text::escape_label;
use super::{ALL_STATES, Moment, ServerInfo, state_name};
use crate::scoreboard::{AsyncConns, Snapshot, WorkerSnapshot, WorkerStatus};

/// Writes metric families: each [`Exposition::family`] call starts one (HELP, TYPE), then
/// [`Exposition::sample`]s follow.
struct Exposition {
    out: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// A family with one unlabelled sample.
    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// A per-slot family: name, type, help, and the value of one worker record.
type SlotSeries = (
    &'static str,
    &'static str,
    &'static str,
    fn(&WorkerSnapshot) -> f64,
);

/// Seconds as Prometheus reads them (plain decimal, finite).
fn secs(micros: u64) -> f64 {
    micros as f64 / 1_000_000.0
}

/// The exposition text.
pub fn render(snapshot: &Snapshot, info: &ServerInfo, moment: &Moment) -> String {
    let gl = &snapshot.global;
    let t = Tally::count(snapshot, moment.now_us);
    let mut e = Exposition {
        out: String::with_capacity(4096 + snapshot.workers.len() * 600),
    };
    e.family(
        "mpmd_info",
        "gauge",
        "Server version, MPM and build date (always 1).",
    );
    e.sample(
        "mpmd_info",
        &[
            ("version", &info.version),
            ("mpm", gl.mpm_name()),
            ("built", &info.built),
        ],
        1,
    );
    e.single(
        "mpmd_start_time_seconds",
        "gauge",
        "Start or last HUP restart, seconds since the epoch (graceful restarts keep it).",
        secs(gl.restart_time_us),
    );
    e.single(
        "mpmd_uptime_seconds",
        "gauge",
        "Seconds since the start time.",
        t.uptime,
    );
    e.family(
        "mpmd_generation",
        "gauge",
        "Configuration reads and the MPM generation.",
    );
    e.sample(
        "mpmd_generation",
        &[("type", "config")],
        gl.config_generation,
    );
    e.sample("mpmd_generation", &[("type", "mpm")], gl.running_generation);
    e.family("mpmd_load", "gauge", "System load average.");
    for (interval, load) in ["1m", "5m", "15m"].iter().zip(moment.load) {
        e.sample("mpmd_load", &[("interval", interval)], load);
    }
    if gl.extended_status {
        server_totals(&mut e, snapshot, &t);
    }
    e.family(
        "mpmd_workers",
        "gauge",
        "Workers of live, non-quiescing children, counted as mod_status counts them.",
    );
    e.sample("mpmd_workers", &[("state", "busy")], t.busy);
    e.sample("mpmd_workers", &[("state", "idle")], t.idle);
    e.sample("mpmd_workers", &[("state", "graceful")], t.graceful);
    e.family(
        "mpmd_scoreboard",
        "gauge",
        "Scoreboard slots per state (the ?auto letters).",
    );
    for status in ALL_STATES {
        let n = t
            .scoreboard
            .chars()
            .filter(|&c| c == status.letter())
            .count();
        e.sample("mpmd_scoreboard", &[("state", state_name(status))], n);
    }
    master(&mut e, snapshot);
    processes(&mut e, snapshot);
    if gl.mpm != 0 {
        process_threads(&mut e, snapshot);
    }
    if gl.mpm == 2 {
        async_connections(&mut e, snapshot);
    }
    workers(&mut e, snapshot, moment.now_us);
    e.out
}

fn server_totals(e: &mut Exposition, snapshot: &Snapshot, t: &Tally) {
    e.single(
        "mpmd_accesses_total",
        "counter",
        "Requests served since the start time (Total Accesses).",
        t.accesses,
    );
    e.single(
        "mpmd_sent_bytes_total",
        "counter",
        "Response body bytes sent since the start time (Total kBytes x 1024, exact).",
        t.bytes,
    );
    e.single(
        "mpmd_duration_seconds_total",
        "counter",
        "Sum of request durations since the start time (Total Duration).",
        t.duration_ms as f64 / 1000.0,
    );
    let cpu = t.cpu(snapshot);
    let tick = snapshot.global.clock_tick;
    e.family(
        "mpmd_cpu_seconds_total",
        "counter",
        "CPU time of the master, its reaped children and its live children (CPUUser etc.).",
    );
    for (mode, ticks) in [
        ("user", cpu.user),
        ("system", cpu.system),
        ("children_user", cpu.children_user),
        ("children_system", cpu.children_system),
    ] {
        e.sample(
            "mpmd_cpu_seconds_total",
            &[("mode", mode)],
            cpu_seconds(ticks, tick),
        );
    }
}

fn master(e: &mut Exposition, snapshot: &Snapshot) {
    let gl = &snapshot.global;
    e.single(
        "mpmd_idle_spawn_rate",
        "gauge",
        "Children the master forks at the next spawning tick (1, 2, 4 ... 32).",
        gl.idle_spawn_rate,
    );
    e.single(
        "mpmd_spawn_hold_off_cycles",
        "gauge",
        "Spawning ticks left without doubling the rate (after a graceful restart).",
        gl.spawn_hold_off,
    );
    e.single(
        "mpmd_max_request_workers_reached",
        "gauge",
        "1 once the server has hit max_request_workers.",
        u8::from(gl.max_workers_reached),
    );
    e.single(
        "mpmd_max_request_workers",
        "gauge",
        "Workers the scoreboard shows (max_request_workers).",
        gl.max_daemons * gl.threads_per_child,
    );
    e.single(
        "mpmd_server_limit",
        "gauge",
        "Process slots in the scoreboard (server_limit).",
        gl.server_limit,
    );
    e.single(
        "mpmd_processes",
        "gauge",
        "Live child processes.",
        snapshot.live_children(),
    );
    e.single(
        "mpmd_processes_quiescing",
        "gauge",
        "Live children on their way out (old generation or quiescing).",
        snapshot.quiescing_children(),
    );
    e.family(
        "mpmd_processes_per_generation",
        "gauge",
        "Live child processes per MPM generation.",
    );
    let per_generation: BTreeMap<u64, usize> = snapshot.children_per_generation();
    for (generation, n) in per_generation {
        e.sample(
            "mpmd_processes_per_generation",
            &[("generation", &generation.to_string())],
            n,
        );
    }
}

fn processes(e: &mut Exposition, snapshot: &Snapshot) {
    let live: Vec<_> = snapshot.processes.iter().filter(|p| p.pid != 0).collect();
    e.family(
        "mpmd_process_connections_total",
        "counter",
        "Connections accepted by this child process.",
    );
    for p in &live {
        let (slot, pid) = (p.slot.to_string(), p.pid.to_string());
        e.sample(
            "mpmd_process_connections_total",
            &[("slot", &slot), ("pid", &pid)],
            p.connections,
        );
    }
    e.family(
        "mpmd_process_generation",
        "gauge",
        "The MPM generation this child process was forked in.",
    );
    for p in &live {
        let (slot, pid) = (p.slot.to_string(), p.pid.to_string());
        e.sample(
            "mpmd_process_generation",
            &[("slot", &slot), ("pid", &pid)],
            p.generation,
        );
    }
}

/// worker and event: each live process's threads by state (the event table's columns).
fn process_threads(e: &mut Exposition, snapshot: &Snapshot) {
    e.family(
        "mpmd_process_threads",
        "gauge",
        "Threads of a live child by state (not counted while the child is stopping).",
    );
    for r in status_processes::rows(snapshot) {
        let (slot, pid) = (r.slot.to_string(), r.pid.to_string());
        for (state, n) in [
            ("busy", r.threads.busy),
            ("graceful", r.threads.graceful),
            ("idle", r.threads.idle),
        ] {
            let labels = [
                ("slot", slot.as_str()),
                ("pid", pid.as_str()),
                ("state", state),
            ];
            e.sample("mpmd_process_threads", &labels, n);
        }
    }
}

/// event: the connection counters of `?auto`'s async block (the states are
/// prometheus-apache-exporter's `apache_connections` labels), and the same per process with
/// whether it accepts.
fn async_connections(e: &mut Exposition, snapshot: &Snapshot) {
    let rows = status_processes::rows(snapshot);
    let sums = status_processes::sums(&rows);
    let states = |c: &AsyncConns| {
        [
            ("total", c.open),
            ("wait_io", u64::from(c.wait_io)),
            ("writing", u64::from(c.write_completion)),
            ("keepalive", u64::from(c.keep_alive)),
            ("closing", u64::from(c.lingering_close)),
        ]
    };
    e.family(
        "mpmd_connections",
        "gauge",
        "event: open connections (total) and those the listener holds, by state (ConnsTotal, ConnsAsync*).",
    );
    for (state, n) in states(&sums.conns) {
        e.sample("mpmd_connections", &[("state", state)], n);
    }
    e.single(
        "mpmd_processes_stopping",
        "gauge",
        "event: live children that stopped accepting to exit (Stopping).",
        sums.stopping,
    );
    e.family(
        "mpmd_process_connections",
        "gauge",
        "event: a child's open connections (total) and those its listener holds, by state.",
    );
    for r in &rows {
        let (slot, pid) = (r.slot.to_string(), r.pid.to_string());
        for (state, n) in states(&r.conns) {
            let labels = [
                ("slot", slot.as_str()),
                ("pid", pid.as_str()),
                ("state", state),
            ];
            e.sample("mpmd_process_connections", &labels, n);
        }
    }
    e.family(
        "mpmd_process_accepting",
        "gauge",
        "event: 1 while the child takes new connections, 0 while it refuses (all workers busy or its connection cap reached).",
    );
    for r in &rows {
        let (slot, pid) = (r.slot.to_string(), r.pid.to_string());
        e.sample(
            "mpmd_process_accepting",
            &[("slot", &slot), ("pid", &pid)],
            u8::from(r.accepting),
        );
    }
}

fn workers(e: &mut Exposition, snapshot: &Snapshot, now_us: u64) {
    // Live slots, and dead ones that have served: the rows of mod_status's table.
    let shown: Vec<_> = snapshot
        .workers
        .iter()
        .filter(|w| w.status != WorkerStatus::Dead || w.access_count != 0)
        .collect();
    let ids: Vec<(String, String, String)> = shown
        .iter()
        .map(|w| {
            let pid = if w.pid != 0 {
                w.pid
            } else {
                snapshot.processes[w.slot].pid
            };
            (w.slot.to_string(), w.thread.to_string(), pid.to_string())
        })
        .collect();
    e.family(
        "mpmd_worker_state",
        "gauge",
        "1 for the state each worker slot is in (pid 0: no process).",
    );
    for (w, (slot, thread, pid)) in shown.iter().zip(&ids) {
        e.sample(
            "mpmd_worker_state",
            &[
                ("slot", slot),
                ("thread", thread),
                ("pid", pid),
                ("state", state_name(w.status)),
            ],
            1,
        );
    }
    let per_slot: [SlotSeries; 4] = [
        (
            "mpmd_worker_accesses_total",
            "counter",
            "Requests served by this slot since the start time (survives child replacement).",
            |w| w.access_count as f64,
        ),
        (
            "mpmd_worker_sent_bytes_total",
            "counter",
            "Response body bytes sent by this slot since the start time.",
            |w| w.bytes_served as f64,
        ),
        (
            "mpmd_worker_duration_seconds_total",
            "counter",
            "Sum of request durations of this slot since the start time.",
            |w| secs(w.duration_us),
        ),
        (
            "mpmd_worker_last_request_duration_seconds",
            "gauge",
            "Duration of the last request this slot served.",
            |w| secs(w.last_duration_us),
        ),
    ];
    for (name, kind, help, value) in per_slot {
        e.family(name, kind, help);
        for (w, (slot, thread, _)) in shown.iter().zip(&ids) {
            e.sample(name, &[("slot", slot), ("thread", thread)], value(w));
        }
    }
    e.family(
        "mpmd_worker_child_accesses",
        "gauge",
        "Requests served by the slot's current child process.",
    );
    for (w, (slot, thread, pid)) in shown.iter().zip(&ids) {
        e.sample(
            "mpmd_worker_child_accesses",
            &[("slot", slot), ("thread", thread), ("pid", pid)],
            w.my_access_count,
        );
    }
    e.family(
        "mpmd_worker_idle_seconds",
        "gauge",
        "Seconds since the slot last became ready or dead.",
    );
    for (w, (slot, thread, _)) in shown.iter().zip(&ids) {
        let idle = if w.last_used_us == 0 {
            0.0
        } else {
            secs(now_us.saturating_sub(w.last_used_us))
        };
        e.sample(
            "mpmd_worker_idle_seconds",
            &[("slot", slot), ("thread", thread)],
            idle,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::checks::check_exposition;
    use crate::status::tally::tests::prefork;

    #[test]
    fn exposition_is_valid_and_complete() {
        let mut s = prefork("_WK.G..", 7);
        s.workers[1].access_count = 4;
        s.workers[1].bytes_served = 4096;
        s.workers[1].duration_us = 1_500_000;
        s.workers[3].access_count = 9; // a dead slot that served: still a series
        s.processes[0].connections = 3;
        s.global.cpu.user = 250;
        let info = ServerInfo {
            server_name: "localhost".into(),
            local_ip: "127.0.0.1".into(),
            version: "mpmd/0.1.0 (Unix)".into(),
            built: "Nov 21 \"2026\"".into(),
        };
        let moment = Moment {
            now_us: s.global.restart_time_us + 10_000_000,
            current_time: String::new(),
            restart_time: String::new(),
            load: [0.25, 1.0, 2.5],
        };
        let text = render(&s, &info, &moment);
        let families = check_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let names: Vec<&str> = families.iter().map(|(n, _)| n.as_str()).collect();
        for want in [
            "mpmd_info",
            "mpmd_accesses_total",
            "mpmd_sent_bytes_total",
            "mpmd_cpu_seconds_total",
            "mpmd_workers",
            "mpmd_scoreboard",
            "mpmd_idle_spawn_rate",
            "mpmd_processes_per_generation",
            "mpmd_process_connections_total",
            "mpmd_worker_state",
            "mpmd_worker_accesses_total",
            "mpmd_worker_last_request_duration_seconds",
        ] {
            assert!(names.contains(&want), "{want} missing:\n{text}");
        }
        for line in [
            "mpmd_info{version=\"mpmd/0.1.0 (Unix)\",mpm=\"prefork\",built=\"Nov 21 \\\"2026\\\"\"} 1",
            "mpmd_accesses_total 13",
            "mpmd_sent_bytes_total 4096",
            "mpmd_duration_seconds_total 1.5",
            "mpmd_cpu_seconds_total{mode=\"user\"} 2.5",
            "mpmd_workers{state=\"busy\"} 2",
            "mpmd_workers{state=\"graceful\"} 1",
            "mpmd_scoreboard{state=\"open_slot\"} 3",
            "mpmd_scoreboard{state=\"keepalive\"} 1",
            "mpmd_processes_per_generation{generation=\"0\"} 1",
            "mpmd_process_connections_total{slot=\"0\",pid=\"1000\"} 3",
            "mpmd_worker_state{slot=\"1\",thread=\"0\",pid=\"1001\",state=\"reply\"} 1",
            "mpmd_worker_state{slot=\"3\",thread=\"0\",pid=\"0\",state=\"open_slot\"} 1",
            "mpmd_worker_accesses_total{slot=\"3\",thread=\"0\"} 9",
            "mpmd_load{interval=\"15m\"} 2.5",
            "mpmd_uptime_seconds 10",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} not in:\n{text}");
        }
        // Slots that are dead and never served are not series.
        assert!(!text.contains("slot=\"5\""));
    }

    #[test]
    fn event_connections_per_server_and_per_process() {
        let mut s = crate::status::processes::tests::event(&["_W__", "GG_K", "----"]);
        let c = &mut s.processes[0].async_conns;
        (c.open, c.write_completion, c.keep_alive, c.lingering_close) = (12, 1, 8, 2);
        s.processes[1].async_conns.keep_alive = 3;
        s.processes[1].async_conns.open = 3;
        s.processes[1].not_accepting = true;
        let info = ServerInfo {
            server_name: "localhost".into(),
            local_ip: "127.0.0.1".into(),
            version: "mpmd/0.1.0 (Unix)".into(),
            built: "b".into(),
        };
        let moment = Moment {
            now_us: s.global.restart_time_us + 1_000_000,
            current_time: String::new(),
            restart_time: String::new(),
            load: [0.0; 3],
        };
        let text = render(&s, &info, &moment);
        check_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        for line in [
            "mpmd_connections{state=\"total\"} 15",
            "mpmd_connections{state=\"writing\"} 1",
            "mpmd_connections{state=\"keepalive\"} 11",
            "mpmd_connections{state=\"closing\"} 2",
            "mpmd_connections{state=\"wait_io\"} 0",
            "mpmd_processes_stopping 0",
            "mpmd_process_connections{slot=\"0\",pid=\"2000\",state=\"keepalive\"} 8",
            "mpmd_process_connections{slot=\"1\",pid=\"2001\",state=\"total\"} 3",
            "mpmd_process_accepting{slot=\"0\",pid=\"2000\"} 1",
            "mpmd_process_accepting{slot=\"1\",pid=\"2001\"} 0",
            "mpmd_process_threads{slot=\"0\",pid=\"2000\",state=\"idle\"} 3",
            "mpmd_process_threads{slot=\"1\",pid=\"2001\",state=\"graceful\"} 2",
            "mpmd_process_threads{slot=\"1\",pid=\"2001\",state=\"busy\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} not in:\n{text}");
        }
        assert!(!text.contains("slot=\"2\""), "an empty slot is no series");
        // worker: threads per process, no connection counters; prefork: neither.
        s.global.mpm = 1;
        let text = render(&s, &info, &moment);
        assert!(text.contains("mpmd_process_threads{") && !text.contains("mpmd_connections"));
        s.global.mpm = 0;
        let text = render(&s, &info, &moment);
        assert!(!text.contains("mpmd_process_threads") && !text.contains("accepting"));
    }

    #[test]
    fn checker_rejects_broken_text() {
        for bad in [
            "x 1\n",
            "# HELP a h\n# TYPE a gauge\na{b=\"1\"} 1\na{b=\"1\"} 2\n",
            "# HELP a h\n# TYPE a counter\na 1\n",
            "# HELP a h\n# TYPE a gauge\na{b=\"x} 1\n",
            "# HELP a h\n# TYPE a gauge\na one\n",
            "# HELP a h\n# TYPE a gauge\na 1",
            "# HELP a_total h\n# TYPE a_total counter\n# HELP b h\n# TYPE b gauge\nb 1\na_total 1\n",
        ] {
            assert!(check_exposition(bad).is_err(), "{bad:?}");
        }
    }
}
