//! The error log: one line per event, `[time] [level] [role pid] message`, written with a single
//! `write(2)` on an `O_APPEND` file so lines from the master and every child never interleave.
//!
//! It is the `log` crate's global logger. Notice-level lines (`notice!`) are always written, as
//! Apache writes APLOG_NOTICE whatever the LogLevel. The access log lives in `access.rs`.

pub mod access;
pub mod buffer;
pub mod format;

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::{LogLevel, LogTarget};
use crate::sys::time::local_time;

/// The `log` target that marks a notice-level record (the `log` crate has no notice level).
pub const NOTICE_TARGET: &str = "mpmd::notice";

/// Logs at Apache's notice level: always written, whatever `log_level` says.
#[macro_export]
macro_rules! notice {
    ($($arg:tt)+) => { ::log::info!(target: $crate::logging::NOTICE_TARGET, $($arg)+) };
}

/// Which process writes the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The supervising master process.
    Master,
    /// A child process serving from a scoreboard slot.
    Child(usize),
    /// Single-process mode (`-X`): the master runs the child loop itself.
    Single,
}

struct Sink {
    file: Option<File>,
    level: LogLevel,
    role: Role,
    pid: u32,
    line: Vec<u8>,
}

static SINK: Mutex<Sink> = Mutex::new(Sink {
    file: None,
    level: LogLevel::Warn,
    role: Role::Master,
    pid: 0,
    line: Vec::new(),
});

struct ErrorLog;

static LOGGER: ErrorLog = ErrorLog;

fn sink() -> std::sync::MutexGuard<'static, Sink> {
    // A poisoned lock only means a panic while logging; the data is still usable.
    SINK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Installs the error log as the global logger, writing to stderr until [`open`] is called.
pub fn init(level: LogLevel) {
    {
        let mut s = sink();
        s.level = level;
        s.pid = std::process::id();
    }
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }
}

/// Opens (or reopens, on restart) the error log target. The file's directory is created if
/// missing. On failure the previous target stays.
pub fn open(target: &LogTarget, level: LogLevel) -> io::Result<()> {
    let file = match target {
        LogTarget::Stderr => None,
        LogTarget::File(path) => Some(open_append(path)?),
    };
    let mut s = sink();
    s.file = file;
    s.level = level;
    Ok(())
}

/// Opens a log file for appending, creating its directory if needed.
pub fn open_append(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o644)
        .open(path)
}

/// Tags every following line with `role` and the current pid (called right after fork).
pub fn set_role(role: Role) {
    let mut s = sink();
    s.role = role;
    s.pid = std::process::id();
}

/// The effective level, mapping a `log` record onto Apache's levels.
fn record_level(record: &log::Metadata<'_>) -> LogLevel {
    match record.level() {
        log::Level::Error => LogLevel::Error,
        log::Level::Warn => LogLevel::Warn,
        log::Level::Info if record.target() == NOTICE_TARGET => LogLevel::Notice,
        log::Level::Info => LogLevel::Info,
        log::Level::Debug => LogLevel::Debug,
        log::Level::Trace => LogLevel::Trace,
    }
}

fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Error => "error",
        LogLevel::Warn => "warn",
        LogLevel::Notice => "notice",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
        LogLevel::Trace => "trace",
    }
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats one line: `[Sat Nov 21 08:16:00.123456 2026] [notice] [master 1234] message\n`.
pub fn format_line(
    out: &mut Vec<u8>,
    epoch_us: u64,
    level: LogLevel,
    role: Role,
    pid: u32,
    message: &std::fmt::Arguments<'_>,
) {
    let t = local_time((epoch_us / 1_000_000) as i64);
    let _ = write!(
        out,
        "[{} {} {:02} {:02}:{:02}:{:02}.{:06} {}] [{}] ",
        DAYS[t.weekday as usize % 7],
        MONTHS[(t.month as usize + 11) % 12],
        t.day,
        t.hour,
        t.minute,
        t.second,
        epoch_us % 1_000_000,
        t.year,
        level_name(level)
    );
    let _ = match role {
        Role::Master => write!(out, "[master {pid}] "),
        Role::Child(slot) => write!(out, "[child#{slot} {pid}] "),
        Role::Single => write!(out, "[single {pid}] "),
    };
    let _ = out.write_fmt(*message);
    out.push(b'\n');
}

impl log::Log for ErrorLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        let level = record_level(metadata);
        level == LogLevel::Notice || level <= sink().level
    }

    fn log(&self, record: &log::Record<'_>) {
        let level = record_level(record.metadata());
        let mut s = sink();
        if level != LogLevel::Notice && level > s.level {
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        let Sink {
            file,
            role,
            pid,
            line,
            ..
        } = &mut *s;
        line.clear();
        format_line(line, now, level, *role, *pid, record.args());
        // One write(2): O_APPEND makes it atomic with respect to other processes' lines.
        let _ = match file {
            Some(f) => f.write(line),
            None => io::stderr().write(line),
        };
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_has_time_level_role_and_pid() {
        let mut out = Vec::new();
        format_line(
            &mut out,
            1_795_248_960_123_456,
            LogLevel::Notice,
            Role::Child(3),
            99,
            &format_args!("child pid {} exit signal {}", 5, "Killed (9)"),
        );
        let line = String::from_utf8(out).unwrap();
        assert!(line.starts_with('['), "{line}");
        assert!(
            line.contains(
                ".123456 2026] [notice] [child#3 99] child pid 5 exit signal Killed (9)\n"
            ),
            "{line}"
        );
    }
}
