//! Process inspection through `/proc`: is a pid alive, which processes are a master's children.
//!
//! Read-only. Nothing here sends a signal; `ServerGuard` decides what to stop.

use std::fs;

/// The fields of `/proc/PID/stat` the tests need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: i32,
    pub ppid: i32,
    /// `R`, `S`, `D`, `Z` (zombie), ...
    pub state: char,
}

/// Parses one `/proc/PID/stat` line. The command name sits in parentheses and may itself
/// contain spaces or parentheses, so the fields are read after the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let pid = text.split_whitespace().next()?.parse().ok()?;
    let after_comm = &text[text.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some(ProcStat { pid, ppid, state })
}

/// The stat of `pid`, or `None` when there is no such process.
pub fn stat(pid: i32) -> Option<ProcStat> {
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// True while `pid` runs. A zombie (exited, not yet reaped) counts as gone.
pub fn is_alive(pid: i32) -> bool {
    matches!(stat(pid), Some(s) if s.state != 'Z' && s.state != 'X')
}

/// The command name of `pid` (`/proc/PID/comm`, at most 15 bytes).
pub fn comm(pid: i32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// How many threads `pid` runs (entries of `/proc/PID/task`; 0 if it is gone).
pub fn thread_count(pid: i32) -> usize {
    fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

/// The names of `pid`'s threads (`/proc/PID/task/TID/comm`), sorted.
pub fn thread_names(pid: i32) -> Vec<String> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = tasks
        .filter_map(|t| fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim_end().to_string())
        .collect();
    names.sort();
    names
}

/// Every live (non-zombie) process whose parent is `ppid`, sorted by pid.
pub fn children_of(ppid: i32) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat)
        .filter(|s| s.ppid == ppid && s.state != 'Z' && s.state != 'X')
        .map(|s| s.pid)
        .collect();
    pids.sort_unstable();
    pids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_stat_cases() {
        type Case = (&'static str, Option<(i32, i32, char)>);
        let cases: &[Case] = &[
            ("42 (mpmd) S 1 42 42 0 -1", Some((42, 1, 'S'))),
            ("7 (a b) c)) Z 3 7 7", Some((7, 3, 'Z'))),
            ("9 (x) R", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = parse_stat(text).map(|s| (s.pid, s.ppid, s.state));
            assert_eq!(got, *want, "{text:?}");
        }
    }
}
