//! The HTML status page: Apache 2.4.63's sections and markup (versions, times, generations,
//! uptime, load, totals, CPU, rates, worker counts, the scoreboard wrapped at 64 columns and
//! its key, then the per-worker table or, with `?notable`, text blocks; for the event MPM, the
//! per-process table of `processes.rs` before the scoreboard), plus one mpmd section:
//! the master's telemetry (spawn rate, children per generation, quiescing children).
//!
//! Only the product name differs from Apache's page ("mpmd Status"). Pure.

use std::fmt::Write;

use super::apr_format::{bytes, f, g, g_prec, kilobytes};
use super::processes;
use super::tally::{Rates, Tally, cpu_load, cpu_seconds, uptime_words};
use super::text::{escape_html, escape_logitem};
use super::{Moment, ServerInfo};
use crate::scoreboard::{Snapshot, WorkerSnapshot, WorkerStatus};

/// Letters per line of the scoreboard (`STATUS_MAXLINE`).
const LINE: usize = 64;

const SCOREBOARD_KEY: &str = "<p>Scoreboard Key:<br />\n\
\"<b><code>_</code></b>\" Waiting for Connection,\n\
\"<b><code>S</code></b>\" Starting up,\n\
\"<b><code>R</code></b>\" Reading Request,<br />\n\
\"<b><code>W</code></b>\" Sending Reply,\n\
\"<b><code>K</code></b>\" Keepalive (read),\n\
\"<b><code>D</code></b>\" DNS Lookup,<br />\n\
\"<b><code>C</code></b>\" Closing connection,\n\
\"<b><code>L</code></b>\" Logging,\n\
\"<b><code>G</code></b>\" Gracefully finishing,<br />\n\
\"<b><code>I</code></b>\" Idle cleanup of worker,\n\
\"<b><code>.</code></b>\" Open slot with no current process<br />\n\
</p>\n";

const TABLE_HEAD: &str = "\n\n<table border=\"0\"><tr><th>Srv</th><th>PID</th><th>Acc</th>\
<th>M</th><th>CPU\n</th><th>SS</th><th>Req</th><th>Dur</th><th>Conn</th><th>Child</th>\
<th>Slot</th><th>Client</th><th>Protocol</th><th>VHost</th><th>Request</th></tr>\n\n";

const TABLE_LEGEND: &str = "</table>\n <hr /> <table>\n \
<tr><th>Srv</th><td>Child Server number - generation</td></tr>\n \
<tr><th>PID</th><td>OS process ID</td></tr>\n \
<tr><th>Acc</th><td>Number of accesses this connection / this child / this slot</td></tr>\n \
<tr><th>M</th><td>Mode of operation</td></tr>\n\
<tr><th>CPU</th><td>CPU usage, number of seconds</td></tr>\n\
<tr><th>SS</th><td>Seconds since beginning of most recent request</td></tr>\n \
<tr><th>Req</th><td>Milliseconds required to process most recent request</td></tr>\n \
<tr><th>Dur</th><td>Sum of milliseconds required to process all requests</td></tr>\n \
<tr><th>Conn</th><td>Kilobytes transferred this connection</td></tr>\n \
<tr><th>Child</th><td>Megabytes transferred this child</td></tr>\n \
<tr><th>Slot</th><td>Total megabytes transferred this slot</td></tr>\n \
</table>\n";

/// The whole page.
pub fn render(snapshot: &Snapshot, info: &ServerInfo, moment: &Moment, notable: bool) -> String {
    let gl = &snapshot.global;
    let t = Tally::count(snapshot, moment.now_us);
    let mut out = String::with_capacity(8192);
    out.push_str(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n\
         <html><head>\n<title>mpmd Status</title>\n</head><body>\n<h1>mpmd Server Status for ",
    );
    let _ = writeln!(
        out,
        "{} (via {})</h1>\n",
        escape_html(&info.server_name),
        info.local_ip
    );
    let _ = writeln!(out, "<dl><dt>Server Version: {}</dt>", info.version);
    let _ = writeln!(out, "<dt>Server MPM: {}</dt>", gl.mpm_name());
    let _ = writeln!(
        out,
        "<dt>Server Built: {}\n</dt></dl><hr /><dl>",
        info.built
    );
    let _ = writeln!(out, "<dt>Current Time: {}</dt>", moment.current_time);
    let _ = writeln!(out, "<dt>Restart Time: {}</dt>", moment.restart_time);
    let _ = writeln!(
        out,
        "<dt>Parent Server Config. Generation: {}</dt>",
        gl.config_generation
    );
    let _ = writeln!(
        out,
        "<dt>Parent Server MPM Generation: {}</dt>",
        gl.running_generation
    );
    let _ = writeln!(out, "<dt>Server uptime: {}</dt>", uptime_words(t.uptime));
    let [l1, l5, l15] = moment.load.map(|l| f(f64::from(l), 2));
    let _ = writeln!(out, "<dt>Server load: {l1} {l5} {l15}</dt>");
    if gl.extended_status {
        totals(&mut out, snapshot, &t);
    }
    let _ = writeln!(
        out,
        "<dt>{} requests currently being processed, {} workers gracefully restarting, {} idle workers</dt>",
        t.busy, t.graceful, t.idle
    );
    master(&mut out, snapshot);
    out.push_str("</dl>");
    if gl.mpm == 2 {
        processes::html_table(&mut out, snapshot);
    }
    out.push_str("<pre>");
    for (i, letter) in t.scoreboard.chars().enumerate() {
        out.push(letter);
        if i % LINE == LINE - 1 {
            out.push('\n');
        }
    }
    out.push_str("</pre>\n");
    out.push_str(SCOREBOARD_KEY);
    if gl.extended_status {
        if notable {
            out.push_str("<hr /><h2>Server Details</h2>\n\n");
        } else {
            out.push_str(TABLE_HEAD);
        }
        for w in &snapshot.workers {
            if w.access_count == 0 && matches!(w.status, WorkerStatus::Ready | WorkerStatus::Dead) {
                continue;
            }
            if notable {
                details(&mut out, snapshot, w, moment.now_us);
            } else {
                row(&mut out, snapshot, w, moment.now_us);
            }
        }
        if !notable {
            out.push_str(TABLE_LEGEND);
        }
    } else {
        pid_key(&mut out, snapshot, &t);
        out.push_str(
            "<hr />To obtain a full report with current status information you need to use the \
             <code>extended_status = true</code> setting.\n",
        );
    }
    out.push_str("</body></html>\n");
    out
}

fn totals(out: &mut String, snapshot: &Snapshot, t: &Tally) {
    let tick = snapshot.global.clock_tick;
    let _ = writeln!(
        out,
        "<dt>Total accesses: {} - Total Traffic: {} - Total Duration: {}</dt>",
        t.accesses,
        kilobytes(t.kbytes),
        t.duration_ms
    );
    let cpu = t.cpu(snapshot);
    let _ = write!(
        out,
        "<dt>CPU Usage: u{} s{} cu{} cs{}",
        g(cpu_seconds(cpu.user, tick)),
        g(cpu_seconds(cpu.system, tick)),
        g(cpu_seconds(cpu.children_user, tick)),
        g(cpu_seconds(cpu.children_system, tick))
    );
    match cpu_load(cpu.total(), tick, t.uptime) {
        Some(load) => {
            let _ = writeln!(out, " - {}% CPU load</dt>", g_prec(load, 3));
        }
        None => out.push_str("</dt>\n"),
    }
    out.push_str("<dt>");
    let rates = Rates::of(t);
    if let (Some(rps), Some(bps)) = (rates.requests_per_sec, rates.bytes_per_sec) {
        let _ = write!(
            out,
            "{} requests/sec - {}/second",
            g_prec(rps, 3),
            bytes(bps as u64)
        );
    }
    if let (Some(bpr), Some(mspr)) = (rates.bytes_per_request, rates.ms_per_request) {
        if t.uptime > 0 {
            out.push_str(" - ");
        }
        let _ = write!(
            out,
            "{}/request - {} ms/request",
            bytes(bpr as u64),
            g(mspr)
        );
    }
    out.push_str("</dt>\n");
}

/// mpmd's addition: what the master is doing about the pool.
fn master(out: &mut String, snapshot: &Snapshot) {
    let gl = &snapshot.global;
    let _ = writeln!(
        out,
        "<dt>Master: idle spawn rate {} (hold-off {} cycles), max_request_workers reached: {}</dt>",
        gl.idle_spawn_rate,
        gl.spawn_hold_off,
        if gl.max_workers_reached { "yes" } else { "no" }
    );
    let per_generation: Vec<String> = snapshot
        .children_per_generation()
        .iter()
        .map(|(generation, n)| format!("generation {generation}: {n}"))
        .collect();
    let _ = writeln!(
        out,
        "<dt>Children: {} ({}), {} quiescing</dt>",
        snapshot.live_children(),
        if per_generation.is_empty() {
            "none".to_string()
        } else {
            per_generation.join(", ")
        },
        snapshot.quiescing_children()
    );
}

/// The pid and generation Apache shows for a slot (per-worker if the MPM set them).
fn owner(snapshot: &Snapshot, w: &WorkerSnapshot) -> (i32, u64) {
    let p = &snapshot.processes[w.slot];
    if w.pid != 0 {
        (w.pid, w.generation)
    } else {
        (p.pid, p.generation)
    }
}

fn request_ms(w: &WorkerSnapshot) -> u64 {
    if w.start_time_us == 0 {
        0
    } else {
        w.stop_time_us.saturating_sub(w.start_time_us) / 1000
    }
}

fn seconds_since(now_us: u64, then_us: u64) -> i64 {
    (now_us as i64 - then_us as i64) / 1_000_000
}

fn worker_cpu(snapshot: &Snapshot, w: &WorkerSnapshot) -> f64 {
    cpu_seconds(
        w.cpu_user_ticks + w.cpu_system_ticks,
        snapshot.global.clock_tick,
    )
}

fn row(out: &mut String, snapshot: &Snapshot, w: &WorkerSnapshot, now_us: u64) {
    let (pid, generation) = owner(snapshot, w);
    let _ = write!(out, "<tr><td><b>{}-{}</b></td>", w.slot, generation);
    if w.status == WorkerStatus::Dead {
        out.push_str("<td>-</td>");
    } else {
        let _ = write!(out, "<td>{pid}</td>");
    }
    let _ = write!(
        out,
        "<td>{}/{}/{}",
        w.conn_count, w.my_access_count, w.access_count
    );
    let mode = match w.status {
        WorkerStatus::Ready => "_".to_string(),
        WorkerStatus::Dead => ".".to_string(),
        WorkerStatus::Graceful => "G".to_string(),
        WorkerStatus::IdleKill => "I".to_string(),
        other => format!("<b>{}</b>", other.letter()),
    };
    let _ = write!(
        out,
        "</td><td>{mode}\n</td><td>{}</td><td>{}</td><td>{}</td><td>{}",
        f(worker_cpu(snapshot, w), 2),
        seconds_since(now_us, w.last_used_us),
        request_ms(w),
        w.duration_us / 1000
    );
    let _ = writeln!(
        out,
        "</td><td>{}</td><td>{}</td><td>{}",
        f(f64::from(w.conn_bytes as f32 / 1024.0), 1),
        f(f64::from(w.my_bytes_served as f32 / 1_048_576.0), 2),
        f(f64::from(w.bytes_served as f32 / 1_048_576.0), 2)
    );
    let _ = write!(
        out,
        "</td><td>{}</td><td>{}</td><td nowrap>{}</td><td nowrap>{}</td></tr>\n\n",
        escape_html(&String::from_utf8_lossy(&w.client)),
        escape_html(&String::from_utf8_lossy(&w.protocol)),
        escape_html(&String::from_utf8_lossy(&w.vhost)),
        escape_html(&escape_logitem(&w.request))
    );
}

fn state_word(status: WorkerStatus) -> &'static str {
    match status {
        WorkerStatus::Ready => "Ready",
        WorkerStatus::Starting => "Starting",
        WorkerStatus::BusyRead => "<b>Read</b>",
        WorkerStatus::BusyWrite => "<b>Write</b>",
        WorkerStatus::BusyKeepalive => "<b>Keepalive</b>",
        WorkerStatus::BusyLog => "<b>Logging</b>",
        WorkerStatus::BusyDns => "<b>DNS lookup</b>",
        WorkerStatus::Closing => "<b>Closing</b>",
        WorkerStatus::Dead => "Dead",
        WorkerStatus::Graceful => "Graceful",
        WorkerStatus::IdleKill => "Dying",
    }
}

/// `?notable`: one text block per worker.
fn details(out: &mut String, snapshot: &Snapshot, w: &WorkerSnapshot, now_us: u64) {
    let (pid, generation) = owner(snapshot, w);
    let pid = if w.status == WorkerStatus::Dead {
        "-".to_string()
    } else {
        pid.to_string()
    };
    let tick = snapshot.global.clock_tick;
    let _ = write!(
        out,
        "<b>Server {}-{}</b> ({pid}): {}|{}|{} [{}] u{} s{} cu0 cs0\n {} {} {}(",
        w.slot,
        generation,
        w.conn_count,
        w.my_access_count,
        w.access_count,
        state_word(w.status),
        g(cpu_seconds(w.cpu_user_ticks, tick)),
        g(cpu_seconds(w.cpu_system_ticks, tick)),
        seconds_since(now_us, w.last_used_us),
        request_ms(w),
        w.duration_us / 1000
    );
    let _ = writeln!(
        out,
        "{}|{}|{})",
        bytes(w.conn_bytes),
        bytes(w.my_bytes_served),
        bytes(w.bytes_served)
    );
    let _ = write!(
        out,
        " <i>{} {{{}}}</i> <i>({})</i> <b>[{}]</b><br />\n\n",
        escape_html(&String::from_utf8_lossy(&w.client)),
        escape_html(&escape_logitem(&w.request)),
        escape_html(&String::from_utf8_lossy(&w.protocol)),
        escape_html(&String::from_utf8_lossy(&w.vhost))
    );
}

/// Without extended status: `PID in state: L`, three per line.
fn pid_key(out: &mut String, snapshot: &Snapshot, t: &Tally) {
    out.push_str("PID Key: <br />\n<pre>\n");
    let mut k = 0;
    let letters: Vec<char> = t.scoreboard.chars().collect();
    let mut index = 0;
    for w in &snapshot.workers {
        let disabled = w.status == WorkerStatus::Dead
            && (w.slot >= snapshot.global.max_daemons
                || w.thread >= snapshot.global.threads_per_child);
        if disabled {
            continue;
        }
        let letter = letters.get(index).copied().unwrap_or('.');
        index += 1;
        if letter == '.' {
            continue;
        }
        let _ = write!(
            out,
            "   {} in state: {letter} ",
            snapshot.processes[w.slot].pid
        );
        k += 1;
        if k >= 3 {
            out.push('\n');
            k = 0;
        } else {
            out.push(',');
        }
    }
    out.push_str("\n</pre>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::checks::check_html;
    use crate::status::tally::tests::prefork;

    fn info() -> ServerInfo {
        ServerInfo {
            server_name: "www.example<x>".into(),
            local_ip: "127.0.0.1".into(),
            version: "mpmd/0.1.0 (Unix)".into(),
            built: "Nov 21 2026 08:00:00".into(),
        }
    }

    fn moment(now_us: u64) -> Moment {
        Moment {
            now_us,
            current_time: "Saturday, 21-Nov-2026 09:00:00 UTC".into(),
            restart_time: "Saturday, 21-Nov-2026 08:00:00 UTC".into(),
            load: [0.5, 0.25, 0.0],
        }
    }

    fn busy_snapshot() -> Snapshot {
        let mut letters = "_W".to_string();
        letters.push_str(&".".repeat(70));
        let mut s = prefork(&letters, 72);
        let w = &mut s.workers[1];
        w.access_count = 3;
        w.my_access_count = 2;
        w.conn_count = 1;
        w.bytes_served = 3 * 1_048_576;
        w.my_bytes_served = 1_048_576;
        w.conn_bytes = 2048;
        w.start_time_us = 5_000_000;
        w.stop_time_us = 5_012_000;
        w.last_used_us = s.global.restart_time_us;
        w.duration_us = 40_000;
        w.cpu_user_ticks = 150;
        w.cpu_system_ticks = 25;
        w.client = b"10.0.0.7".to_vec();
        w.protocol = b"http/1.1".to_vec();
        w.vhost = b"localhost:80".to_vec();
        w.request = b"GET /a?b=1&c=\"2\" HTTP/1.1".to_vec();
        s
    }

    #[test]
    fn sections_in_apache_order() {
        let s = busy_snapshot();
        let now = s.global.restart_time_us + 3_600_000_000 + 5_000_000;
        let page = render(&s, &info(), &moment(now), false);
        let scoreboard = format!("</dl><pre>_W{}\n{}</pre>\n", ".".repeat(62), ".".repeat(8));
        let order = [
            "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html><head>\n<title>mpmd Status</title>",
            "<h1>mpmd Server Status for www.example&lt;x&gt; (via 127.0.0.1)</h1>\n\n<dl><dt>Server Version: mpmd/0.1.0 (Unix)</dt>\n",
            "<dt>Server MPM: prefork</dt>\n<dt>Server Built: Nov 21 2026 08:00:00\n</dt></dl><hr /><dl>\n",
            "<dt>Current Time: Saturday, 21-Nov-2026 09:00:00 UTC</dt>\n",
            "<dt>Parent Server Config. Generation: 2</dt>\n<dt>Parent Server MPM Generation: 1</dt>\n",
            "<dt>Server uptime:  1 hour 5 seconds</dt>\n<dt>Server load: 0.50 0.25 0.00</dt>\n",
            "<dt>Total accesses: 3 - Total Traffic: 3.0 MB - Total Duration: 40</dt>\n",
            "<dt>CPU Usage: u1.5 s.25 cu0 cs0 - .0485% CPU load</dt>\n",
            "<dt>.000832 requests/sec - 872 B/second - 1.0 MB/request - 13.3333 ms/request</dt>\n",
            "<dt>1 requests currently being processed, 0 workers gracefully restarting, 1 idle workers</dt>\n",
            "<dt>Master: idle spawn rate 1 (hold-off 0 cycles), max_request_workers reached: no</dt>\n",
            "<dt>Children: 2 (generation 1: 2), 0 quiescing</dt>\n",
            scoreboard.as_str(),
            "<p>Scoreboard Key:<br />\n",
            "<table border=\"0\"><tr><th>Srv</th><th>PID</th><th>Acc</th><th>M</th><th>CPU\n</th>",
            "<tr><td><b>1-1</b></td><td>1001</td><td>1/2/3</td><td><b>W</b>\n</td><td>1.75</td><td>3605</td><td>12</td><td>40</td><td>2.0</td><td>1.00</td><td>3.00\n</td><td>10.0.0.7</td><td>http/1.1</td><td nowrap>localhost:80</td><td nowrap>GET /a?b=1&amp;c=\\&quot;2\\&quot; HTTP/1.1</td></tr>\n\n",
            "</table>\n <hr /> <table>\n <tr><th>Srv</th><td>Child Server number - generation</td></tr>\n",
            "</body></html>\n",
        ];
        let mut at = 0;
        for piece in order {
            match page[at..].find(piece) {
                Some(found) => at += found + piece.len(),
                None => panic!("missing or out of order: {piece:?}\n---\n{page}"),
            }
        }
        // The ready slot that never served is not a row.
        assert!(!page.contains("<b>0-1</b>"));
    }

    #[test]
    fn notable_and_brief_pages() {
        let s = busy_snapshot();
        let page = render(&s, &info(), &moment(s.global.restart_time_us), true);
        assert!(page.contains("<hr /><h2>Server Details</h2>\n\n<b>Server 1-1</b> (1001): 1|2|3 [<b>Write</b>] u1.5 s.25 cu0 cs0\n 0 12 40(2048 B|1.0 MB|3.0 MB)\n <i>10.0.0.7 {GET /a?b=1&amp;c=\\&quot;2\\&quot; HTTP/1.1}</i> <i>(http/1.1)</i> <b>[localhost:80]</b><br />\n\n"), "{page}");
        assert!(!page.contains("<table"));
        assert!(
            page.contains(
                "<dt>CPU Usage: u1.5 s.25 cu0 cs0</dt>\n<dt>1.0 MB/request - 13.3333 ms/request</dt>\n"
            ),
            "{page}"
        );

        let mut brief = busy_snapshot();
        brief.global.extended_status = false;
        let page = render(&brief, &info(), &moment(0), false);
        assert!(!page.contains("Total accesses"));
        assert!(
            page.contains(
                "PID Key: <br />\n<pre>\n   1000 in state: _ ,   1001 in state: W ,\n</pre>\n"
            ),
            "{page}"
        );
        assert!(page.contains("<code>extended_status = true</code>"));
    }

    #[test]
    fn event_page_has_the_process_table_between_the_counts_and_the_scoreboard() {
        let mut s = crate::status::processes::tests::event(&["_W", "_K"]);
        s.processes[1].async_conns.keep_alive = 5;
        let page = render(&s, &info(), &moment(s.global.restart_time_us), false);
        check_html(&page).unwrap_or_else(|e| panic!("{e}\n{page}"));
        let counts = page.find("idle workers</dt>").unwrap();
        let table = page
            .find("</dl>\n\n<table rules=\"all\"")
            .expect("the table");
        let sum = page
            .find("<tr><td>Sum</td><td>2</td>")
            .expect("the sum row");
        let scoreboard = page
            .find("</table>\n<pre>_W_K</pre>")
            .expect("the scoreboard");
        assert!(counts < table && table < sum && sum < scoreboard, "{page}");
        assert!(page.contains("<td>yes</td><td>1</td><td>0</td><td>1</td><td>0</td><td>0</td><td>5</td><td>0</td></tr>"), "{page}");
        // worker and prefork: no such table.
        s.global.mpm = 1;
        let page = render(&s, &info(), &moment(s.global.restart_time_us), false);
        assert!(!page.contains("rules=\"all\"") && page.contains("</dl><pre>"));
    }

    #[test]
    fn every_variant_is_well_formed_html() {
        let mut s = busy_snapshot();
        s.workers[1].request = b"GET /<script>&x=\"</td> HTTP/1.1".to_vec();
        s.workers[1].client = b"<evil>".to_vec();
        s.global.max_workers_reached = true;
        for (extended, notable) in [(true, false), (true, true), (false, false)] {
            s.global.extended_status = extended;
            let page = render(&s, &info(), &moment(s.global.restart_time_us + 1), notable);
            let tags = check_html(&page).unwrap_or_else(|e| panic!("{e}\n{page}"));
            assert_eq!(tags.first().map(String::as_str), Some("html"));
            assert!(tags.iter().any(|t| t == "pre"));
            assert_eq!(tags.iter().any(|t| t == "table"), extended && !notable);
        }
    }
}
