//! `?json`: the whole snapshot as one JSON object (schema in docs/STATUS.md): the server, the
//! generations, the master's spawn state, Apache's totals, and every process and worker slot.
//! Written by hand (no JSON crate in the dependency set); strings go through
//! [`push_json_string`], numbers are integers or finite floats, a missing rate is `null`. Pure.

use std::fmt::Write;

use super::processes::{self, Threads};
use super::tally::{Rates, Tally, cpu_load, cpu_seconds};
use super::text::push_json_string;
use super::{Moment, ServerInfo, state_name};
use crate::scoreboard::{ProcessSnapshot, Snapshot, WorkerSnapshot};

/// Version of the layout below; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// A JSON object being written: `"key": value` pairs separated by commas.
struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    fn open(out: &'a mut String) -> Object<'a> {
        out.push('{');
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_json_string(self.out, key);
        self.out.push(':');
        self.out
    }

    fn num(&mut self, key: &str, value: impl std::fmt::Display) -> &mut Self {
        let _ = write!(self.key(key), "{value}");
        self
    }

    fn float(&mut self, key: &str, value: Option<f64>) -> &mut Self {
        match value.filter(|v| v.is_finite()) {
            Some(v) => {
                let _ = write!(self.key(key), "{v}");
            }
            None => self.key(key).push_str("null"),
        }
        self
    }

    fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    fn str(&mut self, key: &str, value: &str) -> &mut Self {
        push_json_string(self.key(key), value);
        self
    }

    fn bytes(&mut self, key: &str, value: &[u8]) -> &mut Self {
        self.str(key, &String::from_utf8_lossy(value))
    }

    fn close(&mut self) {
        self.out.push('}');
    }
}

/// The JSON document (one line, then a newline).
pub fn render(snapshot: &Snapshot, info: &ServerInfo, moment: &Moment) -> String {
    let gl = &snapshot.global;
    let t = Tally::count(snapshot, moment.now_us);
    let mut out = String::with_capacity(512 + snapshot.workers.len() * 420);
    let mut root = Object::open(&mut out);
    root.num("schema", SCHEMA_VERSION);

    let mut server = Object::open(root.key("server"));
    server
        .str("name", &info.server_name)
        .str("version", &info.version)
        .str("mpm", gl.mpm_name())
        .str("built", &info.built)
        .str("current_time", &moment.current_time)
        .str("restart_time", &moment.restart_time)
        .num("now_us", moment.now_us)
        .num("restart_time_us", gl.restart_time_us)
        .num("uptime_seconds", t.uptime)
        .num("master_pid", gl.master_pid)
        .bool("extended_status", gl.extended_status)
        .num("server_limit", gl.server_limit)
        .num("thread_limit", gl.thread_limit)
        .num("max_daemons", gl.max_daemons)
        .num("threads_per_child", gl.threads_per_child);
    // f32's shortest form: `3.85`, not the f64 widening `3.8499999046325684`.
    let [l1, l5, l15] = moment.load;
    let _ = write!(server.key("load"), "[{l1},{l5},{l15}]");
    server.close();

    let mut generations = Object::open(root.key("generations"));
    generations
        .num("config", gl.config_generation)
        .num("mpm", gl.running_generation);
    let mut children = Object::open(generations.key("children"));
    for (generation, n) in snapshot.children_per_generation() {
        children.num(&generation.to_string(), n);
    }
    children.close();
    generations.num("quiescing", snapshot.quiescing_children());
    generations.close();

    let tick = gl.clock_tick;
    let mut master = Object::open(root.key("master"));
    master
        .num("idle_spawn_rate", gl.idle_spawn_rate)
        .num("spawn_hold_off", gl.spawn_hold_off)
        .bool("max_request_workers_reached", gl.max_workers_reached)
        .num("clock_tick", tick);
    let mut cpu = Object::open(master.key("cpu_ticks"));
    cpu.num("user", gl.cpu.user)
        .num("system", gl.cpu.system)
        .num("children_user", gl.cpu.children_user)
        .num("children_system", gl.cpu.children_system);
    cpu.close();
    master.close();

    let rates = Rates::of(&t);
    let all_cpu = t.cpu(snapshot);
    let mut totals = Object::open(root.key("totals"));
    totals
        .num("busy_workers", t.busy)
        .num("graceful_workers", t.graceful)
        .num("idle_workers", t.idle)
        .num("live_processes", snapshot.live_children())
        .num("accesses", t.accesses)
        .num("kbytes", t.kbytes)
        .num("duration_ms", t.duration_ms);
    let mut cpu = Object::open(totals.key("cpu_seconds"));
    cpu.float("user", Some(cpu_seconds(all_cpu.user, tick)))
        .float("system", Some(cpu_seconds(all_cpu.system, tick)))
        .float(
            "children_user",
            Some(cpu_seconds(all_cpu.children_user, tick)),
        )
        .float(
            "children_system",
            Some(cpu_seconds(all_cpu.children_system, tick)),
        );
    cpu.close();
    totals
        .float("cpu_load", cpu_load(all_cpu.total(), tick, t.uptime))
        .float("requests_per_sec", rates.requests_per_sec)
        .float("bytes_per_sec", rates.bytes_per_sec)
        .float("bytes_per_request", rates.bytes_per_request)
        .float("ms_per_request", rates.ms_per_request);
    totals.close();

    let rows = processes::rows(snapshot);
    let sums = processes::sums(&rows);
    let mut conns = Object::open(root.key("async"));
    conns
        .num("processes", sums.processes)
        .num("stopping", sums.stopping)
        .num("conns_total", sums.conns.open)
        .num("conns_async_wait_io", sums.conns.wait_io)
        .num("conns_async_writing", sums.conns.write_completion)
        .num("conns_async_keep_alive", sums.conns.keep_alive)
        .num("conns_async_closing", sums.conns.lingering_close);
    conns.close();
    root.str("scoreboard", &t.scoreboard);

    let list = root.key("processes");
    list.push('[');
    for (i, p) in snapshot.processes.iter().enumerate() {
        if i > 0 {
            list.push(',');
        }
        let threads = rows
            .iter()
            .find(|r| r.slot == p.slot)
            .map(|r| r.threads)
            .unwrap_or_default();
        process(list, p, &threads, gl.running_generation);
    }
    list.push(']');

    let list = root.key("workers");
    list.push('[');
    for (i, w) in snapshot.workers.iter().enumerate() {
        if i > 0 {
            list.push(',');
        }
        worker(list, w);
    }
    list.push(']');
    root.close();
    out.push('\n');
    out
}

fn process(out: &mut String, p: &ProcessSnapshot, threads: &Threads, running_generation: u64) {
    let mut o = Object::open(out);
    o.num("slot", p.slot)
        .num("pid", p.pid)
        .num("generation", p.generation)
        .bool(
            "old_generation",
            p.pid != 0 && p.generation != running_generation,
        )
        .bool("quiescing", p.quiescing)
        .num("connections", p.connections)
        .bool("accepting", p.pid != 0 && !p.not_accepting);
    let mut t = Object::open(o.key("threads"));
    t.num("busy", threads.busy)
        .num("graceful", threads.graceful)
        .num("idle", threads.idle);
    t.close();
    let a = &p.async_conns;
    let mut c = Object::open(o.key("async"));
    c.num("open", a.open)
        .num("wait_io", a.wait_io)
        .num("writing", a.write_completion)
        .num("keep_alive", a.keep_alive)
        .num("closing", a.lingering_close);
    c.close();
    o.close();
}

fn worker(out: &mut String, w: &WorkerSnapshot) {
    let mut o = Object::open(out);
    o.num("slot", w.slot)
        .num("thread", w.thread)
        .str("state", state_name(w.status))
        .str("letter", &w.status.letter().to_string())
        .num("pid", w.pid)
        .num("generation", w.generation)
        .num("access_count", w.access_count)
        .num("bytes_served", w.bytes_served)
        .num("my_access_count", w.my_access_count)
        .num("my_bytes_served", w.my_bytes_served)
        .num("conn_count", w.conn_count)
        .num("conn_bytes", w.conn_bytes)
        .num("start_time_us", w.start_time_us)
        .num("stop_time_us", w.stop_time_us)
        .num("last_used_us", w.last_used_us)
        .num("duration_us", w.duration_us)
        .num("last_duration_us", w.last_duration_us)
        .num("cpu_user_ticks", w.cpu_user_ticks)
        .num("cpu_system_ticks", w.cpu_system_ticks)
        .bytes("client", &w.client)
        .bytes("protocol", &w.protocol)
        .bytes("vhost", &w.vhost)
        .bytes("request", &w.request);
    o.close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::checks::check_json;
    use crate::status::tally::tests::prefork;

    #[test]
    fn well_formed_with_every_slot() {
        let mut s = prefork("_W.G", 4);
        s.workers[1].request = b"GET /\"q\"\\\x01\xff HTTP/1.1".to_vec();
        s.workers[1].access_count = 2;
        let info = ServerInfo {
            server_name: "h\"x".into(),
            local_ip: "::1".into(),
            version: "mpmd/0.1.0 (Unix)".into(),
            built: "b".into(),
        };
        let moment = Moment {
            now_us: s.global.restart_time_us + 2_000_000,
            current_time: "c".into(),
            restart_time: "r".into(),
            load: [0.5, 1.0, -1.0],
        };
        let text = render(&s, &info, &moment);
        let keys = check_json(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(
            keys,
            [
                "schema",
                "server",
                "generations",
                "master",
                "totals",
                "async",
                "scoreboard",
                "processes",
                "workers"
            ]
        );
        assert_eq!(text.matches("\"thread\":").count(), 4);
        assert_eq!(text.matches("\"connections\":").count(), 4);
        assert!(text.contains("\"children\":{\"0\":1,\"1\":2}"), "{text}");
        assert!(text.contains("\"quiescing\":1"), "{text}");
        assert!(
            text.contains("\"state\":\"graceful_stop\",\"letter\":\"G\""),
            "{text}"
        );
        assert!(
            text.contains("\"request\":\"GET /\\\"q\\\"\\\\\\u0001\u{fffd} HTTP/1.1\""),
            "{text}"
        );
        assert!(text.contains("\"ms_per_request\":0"), "{text}");
        assert!(text.contains("\"cpu_load\":null"), "{text}");
        assert!(check_json("{\"a\":[1,}").is_err());
    }

    #[test]
    fn event_counters_per_server_and_per_process() {
        let mut s = crate::status::processes::tests::event(&["_W_K", "----", "G__W"]);
        let c = &mut s.processes[0].async_conns;
        (c.open, c.write_completion, c.keep_alive, c.lingering_close) = (9, 1, 6, 1);
        s.processes[2].async_conns.keep_alive = 2;
        s.processes[2].async_conns.open = 4;
        s.processes[2].not_accepting = true;
        s.processes[2].quiescing = true;
        let info = ServerInfo {
            server_name: "h".into(),
            local_ip: "::1".into(),
            version: "v".into(),
            built: "b".into(),
        };
        let moment = Moment {
            now_us: s.global.restart_time_us,
            current_time: "c".into(),
            restart_time: "r".into(),
            load: [0.0; 3],
        };
        let text = render(&s, &info, &moment);
        check_json(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        for piece in [
            "\"async\":{\"processes\":2,\"stopping\":1,\"conns_total\":13,\"conns_async_wait_io\":0,\"conns_async_writing\":1,\"conns_async_keep_alive\":8,\"conns_async_closing\":1}",
            "\"slot\":0,\"pid\":2000,\"generation\":1,\"old_generation\":false,\"quiescing\":false,\"connections\":0,\"accepting\":true,\"threads\":{\"busy\":2,\"graceful\":0,\"idle\":2},\"async\":{\"open\":9,\"wait_io\":0,\"writing\":1,\"keep_alive\":6,\"closing\":1}",
            "\"slot\":1,\"pid\":0,\"generation\":1,\"old_generation\":false,\"quiescing\":false,\"connections\":0,\"accepting\":false,",
            "\"quiescing\":true,\"connections\":0,\"accepting\":false,\"threads\":{\"busy\":0,\"graceful\":0,\"idle\":0},\"async\":{\"open\":4,\"wait_io\":0,\"writing\":0,\"keep_alive\":2,",
        ] {
            assert!(text.contains(piece), "{piece} not in {text}");
        }
    }
}
