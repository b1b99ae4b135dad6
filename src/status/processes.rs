//! The event MPM's view per process, as Apache 2.4.71's mod_status shows it for an async MPM:
//! one row per live process (slot, pid, stopping, open connections, accepting, threads busy /
//! graceful / idle, async connections wait-io / writing / keep-alive / closing) and their sums.
//! The same rows feed the HTML table, `?auto`'s async block, `?json` and `?metrics`, so the
//! four outputs can never disagree. Pure: a snapshot in, numbers and markup out.
//!
//! Threads are counted as mod_status counts them per process: only for live, non-quiescing
//! processes; a ready thread is idle whatever its generation, a `G` thread is graceful, and
//! dead, starting and idle-kill threads are not counted.

use std::fmt::Write;

use crate::scoreboard::{AsyncConns, Snapshot, WorkerStatus};

/// A process's threads by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Threads {
    pub busy: u64,
    pub graceful: u64,
    pub idle: u64,
}

/// One live process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRow {
    pub slot: usize,
    pub pid: i32,
    /// Quiescing: it accepts nothing more and exits when its connections are done.
    pub stopping: bool,
    /// Forked in an older generation than the running one.
    pub old_generation: bool,
    /// Whether the process takes new connections now (event: `not_accepting` unset).
    pub accepting: bool,
    pub threads: Threads,
    /// Its connections: open (Apache's "Connections total") and by async state.
    pub conns: AsyncConns,
}

/// The sums over the rows (Apache's "Sum" row and `?auto` lines).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub processes: u64,
    pub stopping: u64,
    pub threads: Threads,
    pub conns: AsyncConns,
}

/// The rows of the live processes, in slot order.
pub fn rows(snapshot: &Snapshot) -> Vec<ProcessRow> {
    let running = snapshot.global.running_generation;
    snapshot
        .processes
        .iter()
        .filter(|p| p.pid != 0)
        .map(|p| {
            let mut threads = Threads::default();
            if !p.quiescing {
                for w in snapshot.workers_of(p.slot) {
                    match w.status {
                        WorkerStatus::Ready => threads.idle += 1,
                        WorkerStatus::Graceful => threads.graceful += 1,
                        WorkerStatus::Dead | WorkerStatus::Starting | WorkerStatus::IdleKill => {}
                        _ => threads.busy += 1,
                    }
                }
            }
            ProcessRow {
                slot: p.slot,
                pid: p.pid,
                stopping: p.quiescing,
                old_generation: p.generation != running,
                accepting: !p.not_accepting,
                threads,
                conns: p.async_conns,
            }
        })
        .collect()
}

/// The sums of `rows`.
pub fn sums(rows: &[ProcessRow]) -> Sums {
    let mut s = Sums::default();
    for r in rows {
        s.processes += 1;
        s.stopping += u64::from(r.stopping);
        s.threads.busy += r.threads.busy;
        s.threads.graceful += r.threads.graceful;
        s.threads.idle += r.threads.idle;
        let (a, b) = (&mut s.conns, &r.conns);
        a.open += b.open;
        a.wait_io += b.wait_io;
        a.write_completion += b.write_completion;
        a.keep_alive += b.keep_alive;
        a.lingering_close += b.lingering_close;
    }
    s
}

const TABLE_HEAD: &str = "\n\n<table rules=\"all\" cellpadding=\"1%\">\n\
<tr><th rowspan=\"2\">Slot</th><th rowspan=\"2\">PID</th><th rowspan=\"2\">Stopping</th>\
<th colspan=\"2\">Connections</th>\n\
<th colspan=\"3\">Threads</th><th colspan=\"4\">Async connections</th></tr>\n\
<tr><th>total</th><th>accepting</th><th>busy</th><th>graceful</th><th>idle</th>\
<th>wait-io</th><th>writing</th><th>keep-alive</th><th>closing</th></tr>\n";

/// The cells after "accepting": threads, then async connections.
fn tail_cells(out: &mut String, t: &Threads, c: &AsyncConns) {
    let _ = writeln!(
        out,
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        t.busy, t.graceful, t.idle, c.wait_io, c.write_completion, c.keep_alive, c.lingering_close
    );
}

/// Apache's async table, from the blank lines before `<table>` to `</table>\n`.
pub fn html_table(out: &mut String, snapshot: &Snapshot) {
    let rows = rows(snapshot);
    out.push_str(TABLE_HEAD);
    for r in &rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td>",
            r.slot,
            r.pid,
            if r.stopping { "yes" } else { "no" },
            if r.old_generation { " (old gen)" } else { "" },
            r.conns.open,
            if r.accepting { "yes" } else { "no" }
        );
        tail_cells(out, &r.threads, &r.conns);
    }
    let s = sums(&rows);
    let _ = write!(
        out,
        "<tr><td>Sum</td><td>{}</td><td>{}</td><td>{}</td><td>&nbsp;</td>",
        s.processes, s.stopping, s.conns.open
    );
    tail_cells(out, &s.threads, &s.conns);
    out.push_str("</table>\n");
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scoreboard::{GlobalSnapshot, ProcessSnapshot, WorkerSnapshot};

    /// An event snapshot: one string of thread letters per process slot (`-` for an empty
    /// slot), threads_per_child = thread_limit = the strings' length.
    pub fn event(processes: &[&str]) -> Snapshot {
        let threads = processes.iter().map(|p| p.len()).max().unwrap_or(1);
        let mut s = Snapshot {
            global: GlobalSnapshot {
                server_limit: processes.len(),
                thread_limit: threads,
                max_daemons: processes.len(),
                threads_per_child: threads,
                running_generation: 1,
                config_generation: 2,
                restart_time_us: 1_000_000_000_000,
                master_pid: 100,
                mpm: 2,
                extended_status: true,
                idle_spawn_rate: 1,
                clock_tick: 100,
                ..GlobalSnapshot::default()
            },
            processes: Vec::new(),
            workers: Vec::new(),
        };
        for (slot, letters) in processes.iter().enumerate() {
            let live = !letters.starts_with('-');
            s.processes.push(ProcessSnapshot {
                slot,
                pid: if live { 2000 + slot as i32 } else { 0 },
                generation: 1,
                ..ProcessSnapshot::default()
            });
            for (thread, c) in letters
                .chars()
                .chain(std::iter::repeat('.'))
                .take(threads)
                .enumerate()
            {
                let mut w = WorkerSnapshot::empty(slot, thread);
                w.status = match c {
                    '_' => WorkerStatus::Ready,
                    'S' => WorkerStatus::Starting,
                    'R' => WorkerStatus::BusyRead,
                    'W' => WorkerStatus::BusyWrite,
                    'K' => WorkerStatus::BusyKeepalive,
                    'G' => WorkerStatus::Graceful,
                    'I' => WorkerStatus::IdleKill,
                    _ => WorkerStatus::Dead,
                };
                if live && w.status != WorkerStatus::Dead {
                    w.pid = s.processes[slot].pid;
                    w.generation = 1;
                }
                s.workers.push(w);
            }
        }
        s
    }

    fn conns(open: u64, writing: u32, keep_alive: u32, closing: u32) -> AsyncConns {
        AsyncConns {
            open,
            wait_io: 0,
            write_completion: writing,
            keep_alive,
            lingering_close: closing,
        }
    }

    #[test]
    fn rows_count_threads_per_live_process_as_mod_status() {
        let mut s = event(&["_W_K", "----", "GG_S", "_WWI"]);
        s.processes[0].async_conns = conns(9, 1, 5, 2);
        s.processes[2].generation = 0;
        s.processes[2].quiescing = true;
        s.processes[2].async_conns = conns(3, 0, 2, 1);
        s.processes[3].not_accepting = true;
        s.processes[3].async_conns = conns(4, 0, 2, 0);
        let rows = rows(&s);
        let table: Vec<(usize, bool, bool, bool, Threads)> = rows
            .iter()
            .map(|r| (r.slot, r.stopping, r.old_generation, r.accepting, r.threads))
            .collect();
        let t = |busy, graceful, idle| Threads {
            busy,
            graceful,
            idle,
        };
        assert_eq!(
            table,
            [
                (0, false, false, true, t(2, 0, 2)),
                // Quiescing: its threads are not counted (mod_status).
                (2, true, true, true, t(0, 0, 0)),
                (3, false, false, false, t(2, 0, 1)),
            ]
        );
        let sum = sums(&rows);
        assert_eq!((sum.processes, sum.stopping), (3, 1));
        assert_eq!(sum.threads, t(4, 0, 3));
        assert_eq!(sum.conns, conns(16, 1, 9, 3));
        // A graceful thread of a running process is counted as graceful.
        let s = event(&["G_W_"]);
        assert_eq!(sums(&super::rows(&s)).threads, t(1, 1, 2));
    }

    /// Apache 2.4.71 event's page, captured (`tests/fixtures`): two processes of four threads,
    /// the status request in process 1.
    const APACHE_EVENT_HTML: &str =
        include_str!("../../tests/fixtures/apache-2.4.71-event-server-status.html");

    #[test]
    fn table_byte_for_byte_as_the_captured_apache_page() {
        let mut s = event(&["____", "_W__", "----", "----"]);
        s.processes[0].pid = 13064;
        s.processes[1].pid = 13065;
        let mut ours = String::new();
        html_table(&mut ours, &s);
        let start = APACHE_EVENT_HTML.find("\n\n<table rules").expect("table");
        let end = start + APACHE_EVENT_HTML[start..].find("</table>\n").unwrap() + 9;
        assert_eq!(ours, APACHE_EVENT_HTML[start..end]);
    }

    #[test]
    fn table_shows_stopping_old_generation_not_accepting_and_counters() {
        let mut s = event(&["_W", "__"]);
        s.processes[0].async_conns = conns(7, 1, 4, 2);
        s.processes[0].not_accepting = true;
        s.processes[1].quiescing = true;
        s.processes[1].generation = 0;
        let mut page = String::new();
        html_table(&mut page, &s);
        for row in [
            "<tr><td>0</td><td>2000</td><td>no</td><td>7</td><td>no</td><td>1</td><td>0</td><td>1</td><td>0</td><td>1</td><td>4</td><td>2</td></tr>\n",
            "<tr><td>1</td><td>2001</td><td>yes (old gen)</td><td>0</td><td>yes</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>\n",
            "<tr><td>Sum</td><td>2</td><td>1</td><td>7</td><td>&nbsp;</td><td>1</td><td>0</td><td>1</td><td>0</td><td>1</td><td>4</td><td>2</td></tr>\n</table>\n",
        ] {
            assert!(page.contains(row), "{row:?} not in:\n{page}");
        }
    }
}
