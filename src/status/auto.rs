//! `?auto`: Apache 2.4.63's machine-readable status, line for line (the lines, their order and
//! APR's number formats are what exporters parse). The golden test renders a snapshot holding
//! the numbers of a captured Apache page and compares it byte for byte.
//!
//! The async block (`Processes`, `Stopping`, `ConnsTotal`, ...) is printed for the event MPM
//! only, as Apache does, from the process records' event counters. One deliberate difference: with no uptime yet, Apache divides by zero for
//! `CPULoad` and prints a meaningless number; mpmd leaves that line out until the first second.

use std::fmt::Write;

use super::apr_format::{f, g};
use super::processes;
use super::tally::{Rates, Tally, cpu_load, cpu_seconds, uptime_words};
use super::{Moment, ServerInfo};
use crate::scoreboard::Snapshot;

/// The `?auto` text.
pub fn render(snapshot: &Snapshot, info: &ServerInfo, moment: &Moment) -> String {
    let g_ = &snapshot.global;
    let t = Tally::count(snapshot, moment.now_us);
    let mut out = String::with_capacity(1024 + t.scoreboard.len());
    let _ = writeln!(out, "{}", info.server_name);
    let _ = writeln!(out, "ServerVersion: {}", info.version);
    let _ = writeln!(out, "ServerMPM: {}", g_.mpm_name());
    let _ = writeln!(out, "Server Built: {}", info.built);
    let _ = writeln!(out, "CurrentTime: {}", moment.current_time);
    let _ = writeln!(out, "RestartTime: {}", moment.restart_time);
    let _ = writeln!(
        out,
        "ParentServerConfigGeneration: {}",
        g_.config_generation
    );
    let _ = writeln!(out, "ParentServerMPMGeneration: {}", g_.running_generation);
    let _ = writeln!(out, "ServerUptimeSeconds: {}", t.uptime);
    let _ = writeln!(out, "ServerUptime:{}", uptime_words(t.uptime));
    let [l1, l5, l15] = moment.load.map(|l| f(f64::from(l), 2));
    let _ = writeln!(out, "Load1: {l1}\nLoad5: {l5}\nLoad15: {l15}");
    if g_.extended_status {
        let _ = writeln!(out, "Total Accesses: {}", t.accesses);
        let _ = writeln!(out, "Total kBytes: {}", t.kbytes);
        let _ = writeln!(out, "Total Duration: {}", t.duration_ms);
        let cpu = t.cpu(snapshot);
        let tick = g_.clock_tick;
        let _ = writeln!(out, "CPUUser: {}", g(cpu_seconds(cpu.user, tick)));
        let _ = writeln!(out, "CPUSystem: {}", g(cpu_seconds(cpu.system, tick)));
        let _ = writeln!(
            out,
            "CPUChildrenUser: {}",
            g(cpu_seconds(cpu.children_user, tick))
        );
        let _ = writeln!(
            out,
            "CPUChildrenSystem: {}",
            g(cpu_seconds(cpu.children_system, tick))
        );
        if let Some(load) = cpu_load(cpu.total(), tick, t.uptime) {
            let _ = writeln!(out, "CPULoad: {}", g(load));
        }
        let _ = writeln!(out, "Uptime: {}", t.uptime);
        let rates = Rates::of(&t);
        if let (Some(rps), Some(bps)) = (rates.requests_per_sec, rates.bytes_per_sec) {
            let _ = writeln!(out, "ReqPerSec: {}", g(rps));
            let _ = writeln!(out, "BytesPerSec: {}", g(bps));
        }
        if let (Some(bpr), Some(mspr)) = (rates.bytes_per_request, rates.ms_per_request) {
            let _ = writeln!(out, "BytesPerReq: {}", g(bpr));
            let _ = writeln!(out, "DurationPerReq: {}", g(mspr));
        }
    }
    let _ = writeln!(out, "BusyWorkers: {}", t.busy);
    let _ = writeln!(out, "GracefulWorkers: {}", t.graceful);
    let _ = writeln!(out, "IdleWorkers: {}", t.idle);
    if g_.mpm == 2 {
        async_block(&mut out, snapshot);
    }
    let _ = writeln!(out, "Scoreboard: {}", t.scoreboard);
    out
}

/// The event MPM's lines (Apache's `is_async` block): sums over live processes.
fn async_block(out: &mut String, snapshot: &Snapshot) {
    let s = processes::sums(&processes::rows(snapshot));
    let c = &s.conns;
    let _ = writeln!(out, "Processes: {}\nStopping: {}", s.processes, s.stopping);
    let _ = writeln!(out, "ConnsTotal: {}", c.open);
    let _ = writeln!(out, "ConnsAsyncWaitIO: {}", c.wait_io);
    let _ = writeln!(out, "ConnsAsyncWriting: {}", c.write_completion);
    let _ = writeln!(out, "ConnsAsyncKeepAlive: {}", c.keep_alive);
    let _ = writeln!(out, "ConnsAsyncClosing: {}", c.lingering_close);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoreboard::{CpuTicks, WorkerStatus};
    use crate::status::tally::tests::prefork;

    /// `?auto` of Apache 2.4.71 prefork (Debian), captured with `anchors.sh status`.
    const APACHE_PREFORK: &str =
        include_str!("../../tests/fixtures/apache-2.4.71-prefork-server-status-auto.txt");
    /// The same, event MPM (for the key order of the lines both share).
    const APACHE_EVENT: &str =
        include_str!("../../tests/fixtures/apache-2.4.71-event-server-status-auto.txt");

    /// A snapshot holding the numbers of the captured prefork page.
    fn captured_numbers() -> (Snapshot, ServerInfo, Moment) {
        let mut letters = String::from("______W_____");
        letters.push_str(&".".repeat(256 - 12));
        let mut s = prefork(&letters, 150);
        s.global.config_generation = 1;
        s.global.running_generation = 0;
        for p in &mut s.processes {
            p.generation = 0;
        }
        s.global.cpu = CpuTicks {
            user: 121,
            system: 220,
            children_user: 0,
            children_system: 0,
        };
        // 52963 requests, 67420 kB (+ a remainder below 1 kB), 19310 ms over 12 slots.
        for (i, w) in s.workers.iter_mut().take(12).enumerate() {
            w.access_count = if i == 0 { 52963 - 11 * 4413 } else { 4413 };
            w.bytes_served = if i == 0 { 67420 * 1024 + 1000 } else { 0 };
            w.duration_us = if i == 0 { 19_310_400 } else { 0 };
        }
        assert_eq!(s.workers[6].status, WorkerStatus::BusyWrite);
        let info = ServerInfo {
            server_name: "127.0.0.1".into(),
            local_ip: "127.0.0.1".into(),
            version: "Apache/2.4.71 (Debian)".into(),
            built: "2026-11-12T08:58:41".into(),
        };
        let moment = Moment {
            now_us: s.global.restart_time_us + 3_900_000,
            current_time: "Saturday, 21-Nov-2026 08:52:19 UTC".into(),
            restart_time: "Saturday, 21-Nov-2026 08:52:15 UTC".into(),
            load: [6.19, 10.96, 7.04],
        };
        (s, info, moment)
    }

    #[test]
    fn byte_for_byte_as_the_captured_apache_page() {
        let (s, info, moment) = captured_numbers();
        assert_eq!(render(&s, &info, &moment), APACHE_PREFORK);
    }

    fn keys(text: &str) -> Vec<&str> {
        text.lines()
            .skip(1)
            .map(|l| l.split_once(':').map_or(l, |(k, _)| k))
            .collect()
    }

    #[test]
    fn keys_and_order_of_apache_with_mpmd_identity() {
        let (mut s, mut info, moment) = captured_numbers();
        info.version = crate::http::site::server_banner(crate::config::ServerTokens::Full);
        info.built = crate::status::SERVER_BUILT.into();
        let ours = render(&s, &info, &moment);
        assert_eq!(keys(&ours), keys(APACHE_PREFORK));
        // Three version parts: what the exporters split ServerVersion on.
        let version = ours.lines().nth(1).unwrap();
        let number = version
            .split('/')
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert_eq!(number.split('.').count(), 3, "{version}");
        // The event page shares every key but its async block, in the same order.
        let event: Vec<&str> = keys(APACHE_EVENT)
            .into_iter()
            .filter(|k| !k.starts_with("Conns") && !["Processes", "Stopping"].contains(k))
            .collect();
        assert_eq!(keys(&ours), event);
        // With the event MPM, the async block too, where Apache prints it.
        s.global.mpm = 2;
        assert_eq!(keys(&render(&s, &info, &moment)), keys(APACHE_EVENT));
        s.global.mpm = 0;
        // Without extended status the totals go, the worker counts stay.
        s.global.extended_status = false;
        let brief = render(&s, &info, &moment);
        assert!(!brief.contains("Total Accesses"));
        assert!(brief.contains("BusyWorkers: 1\nGracefulWorkers: 0\nIdleWorkers: 11\n"));
    }

    #[test]
    fn lines_that_need_uptime_or_requests() {
        let (mut s, info, mut moment) = captured_numbers();
        moment.now_us = s.global.restart_time_us;
        for w in &mut s.workers {
            w.access_count = 0;
        }
        let text = render(&s, &info, &moment);
        assert!(
            text.contains("ServerUptimeSeconds: 0\nServerUptime:\n"),
            "{text}"
        );
        for absent in [
            "CPULoad",
            "ReqPerSec",
            "BytesPerSec",
            "BytesPerReq",
            "DurationPerReq",
        ] {
            assert!(!text.contains(absent), "{absent} in\n{text}");
        }
        assert!(text.contains("Total Accesses: 0\n"));
        assert!(text.contains("Uptime: 0\n"));
    }
}
