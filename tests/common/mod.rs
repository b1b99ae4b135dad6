//! Shared harness for the integration tests: `ServerGuard` runs the real `mpmd` binary.
//!
//! Every guard owns a fresh temp dir (config, docroot, pid file, logs), listens on a port the
//! kernel picks (`127.0.0.1:0`, learnt from the `listening on` line of the error log), waits for
//! readiness with a deadline, and on drop stops what it started: SIGTERM to the master, then
//! SIGKILL by pid for anything still alive after 10 s. Never `pkill`; never a fixed port; never
//! a shared path. When the test failed, the error log is printed and the temp dir kept.

pub mod http;
pub mod load;
pub mod procs;
pub mod sampling;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub use http::{KeepAliveClient, Response};

/// The binary under test.
pub const MPMD: &str = env!("CARGO_BIN_EXE_mpmd");
/// The repository's mime.types.
pub const MIME_TYPES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/mime.types");
/// How often every wait polls.
pub const POLL: Duration = Duration::from_millis(20);
/// Deadline for the server to come up, and for it to go away.
pub const START_DEADLINE: Duration = Duration::from_secs(10);
/// Deadline for any `mpmd -k ...` / `mpmd -t` invocation.
const CMD_DEADLINE: Duration = Duration::from_secs(30);

/// The body of `/index.html` in every docroot.
pub const INDEX_HTML: &str = "<!DOCTYPE html>\n<html><head><title>mpmd test</title></head>\
<body><p>It works: served by mpmd.</p></body></html>\n";
/// The body of `/sub/index.html`.
pub const SUB_INDEX_HTML: &str = "<html><body>sub directory index</body></html>\n";
/// The body of `/hello.txt`.
pub const HELLO_TXT: &str = "hello, world\n";
/// A file next to (outside) the docroot that must never be served.
pub const SECRET: &str = "TOP-SECRET-OUTSIDE-DOCROOT\n";

static EXCLUSIVE: Mutex<()> = Mutex::new(());
static SEQ: AtomicUsize = AtomicUsize::new(0);

/// Serialises the tests whose assertions depend on the 1 s maintenance tick or on throughput
/// (ramp, retirement, graceful restart under load), so they do not share the CPU with each other.
pub fn exclusive() -> MutexGuard<'static, ()> {
    EXCLUSIVE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Polls `cond` every 20 ms until it holds (true) or `timeout` passes (false).
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        sleep(POLL);
    }
}

/// 1-based number of the first line of `text` that contains `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in the config text"))
}

/// True when `text` contains `PATH:LINE:COL:` for this path and line (any column).
pub fn has_location(text: &str, path: &Path, line: usize) -> bool {
    let prefix = format!("{}:{line}:", path.display());
    text.match_indices(&prefix).any(|(at, _)| {
        let rest = &text[at + prefix.len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with(':')
    })
}

/// A TOML basic string.
pub fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// What a test adds to the generated config. Each string is TOML placed inside its section.
#[derive(Debug, Clone)]
pub struct TestConfig {
    pub listen: Vec<String>,
    pub log_level: String,
    /// Extra top-level keys.
    pub top: String,
    pub mpm: String,
    pub http: String,
    pub log: String,
    pub files: String,
    /// TOML appended after `[files]`: tables and array-of-tables sections (`[status]`,
    /// `[[directory]]`, `[[location]]` ...), headers included.
    pub sections: String,
    /// Write an access log (`access.log` in the temp dir); `false` sets `access_log = ""`.
    pub access_log: bool,
}

impl Default for TestConfig {
    fn default() -> Self {
        TestConfig {
            listen: vec!["127.0.0.1:0".into()],
            log_level: "info".into(),
            top: String::new(),
            mpm: "start_servers = 2\nmin_spare_servers = 1\nmax_spare_servers = 4\n".into(),
            http: String::new(),
            log: String::new(),
            files: String::new(),
            sections: String::new(),
            access_log: true,
        }
    }
}

impl TestConfig {
    pub fn mpm(mut self, toml: &str) -> Self {
        self.mpm = toml.into();
        self
    }
    pub fn http(mut self, toml: &str) -> Self {
        self.http = toml.into();
        self
    }
    pub fn log(mut self, toml: &str) -> Self {
        self.log = toml.into();
        self
    }
    /// Keys of `[files]`.
    pub fn files(mut self, toml: &str) -> Self {
        self.files = toml.into();
        self
    }
    pub fn top(mut self, toml: &str) -> Self {
        self.top = toml.into();
        self
    }
    /// Appends tables after `[files]` (`[status]`, `[[location]]`, ...).
    pub fn sections(mut self, toml: &str) -> Self {
        self.sections.push_str(toml);
        self
    }
    pub fn listen(mut self, addrs: &[&str]) -> Self {
        self.listen = addrs.iter().map(|a| a.to_string()).collect();
        self
    }
}

/// What an `mpmd` command printed and how it ended.
#[derive(Debug)]
pub struct CmdOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CmdOutput {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// One mpmd server (or the makings of one) in its own temp dir.
pub struct ServerGuard {
    dir: PathBuf,
    conf: PathBuf,
    foreground: Option<Child>,
    master: Option<i32>,
    port: Option<u16>,
}

impl ServerGuard {
    /// Creates the temp dir, docroot and config; starts nothing.
    pub fn prepare(cfg: &TestConfig) -> ServerGuard {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "mpmd-test-{}-{}-{nanos}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        fs::create_dir_all(dir.join("htdocs/sub")).expect("create temp docroot");
        let guard = ServerGuard {
            conf: dir.join("mpmd.toml"),
            dir,
            foreground: None,
            master: None,
            port: None,
        };
        guard.write_doc("index.html", INDEX_HTML);
        guard.write_doc("sub/index.html", SUB_INDEX_HTML);
        guard.write_doc("hello.txt", HELLO_TXT);
        fs::write(guard.dir.join("secret.txt"), SECRET).expect("write secret.txt");
        guard.write_config(&guard.render(cfg));
        guard
    }

    /// Prepares and starts in the foreground (`-D FOREGROUND`), then waits until ready.
    pub fn start(cfg: &TestConfig) -> ServerGuard {
        let mut guard = ServerGuard::prepare(cfg);
        guard.spawn_foreground();
        guard.wait_ready();
        guard
    }

    /// Prepares and starts as a daemon (`mpmd -f CONF`, which must exit 0), then waits until ready.
    pub fn start_daemon(cfg: &TestConfig) -> ServerGuard {
        let mut guard = ServerGuard::prepare(cfg);
        let out = guard.mpmd(&[]);
        assert_eq!(
            out.code(),
            Some(0),
            "mpmd -f CONF (daemon start) failed: {out:?}"
        );
        guard.adopt_daemon();
        guard
    }

    /// The config text for `cfg`, with every path inside the temp dir.
    pub fn render(&self, cfg: &TestConfig) -> String {
        let path = |name: &str| toml_str(&self.dir.join(name).display().to_string());
        let listen: Vec<String> = cfg.listen.iter().map(|a| toml_str(a)).collect();
        let access_log = if cfg.access_log {
            path("access.log")
        } else {
            toml_str("")
        };
        format!(
            "# generated by tests/common/mod.rs\n\
             listen = [{listen}]\n\
             pid_file = {pid}\n\
             error_log = {error}\n\
             log_level = {level}\n\
             {top}\n\
             [mpm]\n{mpm}\n\
             [http]\ntypes_config = {types}\n{http}\n\
             [log]\naccess_log = {access_log}\n{log}\n\
             [files]\ndocument_root = {docroot}\n{files}\n\
             {sections}\n",
            listen = listen.join(", "),
            pid = path("mpmd.pid"),
            error = path("error.log"),
            level = toml_str(&cfg.log_level),
            top = cfg.top,
            mpm = cfg.mpm,
            types = toml_str(MIME_TYPES),
            http = cfg.http,
            log = cfg.log,
            docroot = path("htdocs"),
            files = cfg.files,
            sections = cfg.sections,
        )
    }

    /// Replaces the config file atomically (write + rename), so a reload never reads half a file.
    pub fn write_config(&self, text: &str) {
        let tmp = self.dir.join("mpmd.toml.tmp");
        fs::write(&tmp, text).expect("write config");
        fs::rename(&tmp, &self.conf).expect("rename config into place");
    }

    pub fn config_text(&self) -> String {
        fs::read_to_string(&self.conf).expect("read config")
    }

    /// Writes a file under the docroot.
    pub fn write_doc(&self, rel: &str, contents: &str) {
        let path = self.docroot().join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create docroot dir");
        }
        fs::write(path, contents).expect("write docroot file");
    }

    pub fn conf_path(&self) -> &Path {
        &self.conf
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn docroot(&self) -> PathBuf {
        self.dir.join("htdocs")
    }
    pub fn pid_file(&self) -> PathBuf {
        self.dir.join("mpmd.pid")
    }

    /// The master pid written in the pid file, if the file exists and parses.
    pub fn pid_from_file(&self) -> Option<i32> {
        fs::read_to_string(self.pid_file())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    pub fn access_log(&self) -> String {
        fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }

    /// How many error log lines contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.error_log()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Waits (10 s) until `needle` appears in at least `n` error log lines.
    pub fn wait_log_count(&self, needle: &str, n: usize) {
        let found = wait_until(START_DEADLINE, || self.log_count(needle) >= n);
        assert!(
            found,
            "error log never had {n} line(s) containing {needle:?}"
        );
    }

    /// Runs `mpmd -f CONF ARGS...` to completion (30 s deadline). stdout and stderr go to files,
    /// not pipes, so a daemon that kept them open could not hang the test.
    pub fn mpmd(&self, args: &[&str]) -> CmdOutput {
        let conf = self.conf.display().to_string();
        let mut all = vec!["-f", conf.as_str()];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Runs `mpmd ARGS...` (no `-f`) to completion.
    pub fn run(&self, args: &[&str]) -> CmdOutput {
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let out_path = self.dir.join(format!("cmd-{n}.stdout"));
        let err_path = self.dir.join(format!("cmd-{n}.stderr"));
        let mut child = Command::new(MPMD)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out_path).expect("create stdout file"))
            .stderr(fs::File::create(&err_path).expect("create stderr file"))
            .spawn()
            .expect("spawn mpmd");
        let deadline = Instant::now() + CMD_DEADLINE;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for mpmd") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`mpmd {}` did not finish within {CMD_DEADLINE:?}",
                    args.join(" ")
                );
            }
            sleep(POLL);
        };
        CmdOutput {
            status,
            stdout: fs::read_to_string(&out_path).unwrap_or_default(),
            stderr: fs::read_to_string(&err_path).unwrap_or_default(),
        }
    }

    /// Starts `mpmd -f CONF -D FOREGROUND` as a child of the test process.
    pub fn spawn_foreground(&mut self) {
        self.spawn_with(&["-D", "FOREGROUND"]);
    }

    /// Starts `mpmd -f CONF ARGS...` as a child of the test process (it must stay attached).
    pub fn spawn_with(&mut self, args: &[&str]) {
        let child = Command::new(MPMD)
            .arg("-f")
            .arg(&self.conf)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(fs::File::create(self.dir.join("stdout.log")).expect("create stdout.log"))
            .stderr(fs::File::create(self.dir.join("stderr.log")).expect("create stderr.log"))
            .spawn()
            .expect("spawn mpmd");
        self.master = Some(child.id() as i32);
        self.foreground = Some(child);
    }

    /// Waits for the foreground process to exit on its own (deadline `timeout`).
    pub fn wait_foreground_exit(&mut self, timeout: Duration) -> ExitStatus {
        let child = self.foreground.as_mut().expect("no foreground server");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().expect("wait for mpmd") {
                self.foreground = None;
                self.master = None;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "mpmd did not exit within {timeout:?}"
            );
            sleep(POLL);
        }
    }

    /// After a daemon start: takes the master pid from the pid file and waits until ready.
    pub fn adopt_daemon(&mut self) {
        let found = wait_until(START_DEADLINE, || {
            self.pid_from_file().is_some_and(procs::is_alive)
        });
        assert!(
            found,
            "no live master in the pid file {}",
            self.pid_file().display()
        );
        self.master = self.pid_from_file();
        self.wait_ready();
    }

    /// Waits (10 s) for the `listening on` line and a successful TCP connect.
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(child) = self.foreground.as_mut()
                && let Some(status) = child.try_wait().expect("wait for mpmd")
            {
                self.foreground = None;
                self.master = None;
                panic!(
                    "mpmd exited during start-up ({status}); stderr:\n{}",
                    self.stderr_log()
                );
            }
            if self.port.is_none() {
                self.port = self.listening_ports().first().copied();
            }
            if let Some(port) = self.port
                && http::connect(port).is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mpmd not ready within {START_DEADLINE:?} (port {:?})",
                self.port
            );
            sleep(POLL);
        }
    }

    /// Every port named by a `listening on 127.0.0.1:PORT` line, in log order.
    pub fn listening_ports(&self) -> Vec<u16> {
        self.error_log()
            .lines()
            .filter_map(|line| {
                let addr = line
                    .split("listening on ")
                    .nth(1)?
                    .split_whitespace()
                    .next()?;
                let addr = addr.trim_end_matches(|c: char| !c.is_ascii_digit());
                addr.rsplit(':').next()?.parse().ok()
            })
            .collect()
    }

    pub fn port(&self) -> u16 {
        self.port.expect("server not started")
    }

    pub fn master_pid(&self) -> i32 {
        self.master.expect("no master")
    }

    /// Live children of the master, sorted.
    pub fn children(&self) -> Vec<i32> {
        procs::children_of(self.master_pid())
    }

    /// Waits (10 s) until the master has exactly `n` children; returns them.
    pub fn wait_children(&self, n: usize) -> Vec<i32> {
        let mut last = Vec::new();
        let ok = wait_until(START_DEADLINE, || {
            last = self.children();
            last.len() == n
        });
        assert!(ok, "expected {n} children, have {} ({last:?})", last.len());
        last
    }

    /// Sends `sig` to the master.
    pub fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.master_pid()), sig).unwrap_or_else(|e| panic!("kill {sig}: {e}"));
    }

    /// `GET path` on a fresh connection.
    pub fn get(&self, path: &str) -> Response {
        http::get(self.port(), path)
    }

    /// Forget the processes: the test has stopped them itself (e.g. `-k stop`) and checked it.
    pub fn forget_processes(&mut self) {
        self.master = None;
        if let Some(mut child) = self.foreground.take() {
            let _ = child.wait();
        }
    }

    fn stderr_log(&self) -> String {
        fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// SIGTERM to the master, up to 10 s for it and its children to go, then SIGKILL by pid.
    fn shutdown(&mut self) {
        let master = self
            .master
            .or_else(|| self.pid_from_file())
            .filter(|&pid| is_mpmd(pid));
        let Some(master) = master else {
            self.forget_processes();
            return;
        };
        let mut family = procs::children_of(master);
        family.push(master);
        let _ = kill(Pid::from_raw(master), Signal::SIGTERM);
        let gone = wait_until(START_DEADLINE, || {
            self.reap_foreground();
            family.extend(procs::children_of(master));
            family.sort_unstable();
            family.dedup();
            family.iter().all(|&pid| !procs::is_alive(pid))
        });
        if !gone {
            eprintln!(
                "mpmd did not stop within {START_DEADLINE:?} after SIGTERM; killing {family:?}"
            );
            for &pid in &family {
                if procs::is_alive(pid) && is_mpmd(pid) {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
            }
        }
        self.forget_processes();
    }

    fn reap_foreground(&mut self) {
        if let Some(child) = self.foreground.as_mut()
            && let Ok(Some(_)) = child.try_wait()
        {
            self.foreground = None;
        }
    }
}

fn is_mpmd(pid: i32) -> bool {
    procs::is_alive(pid) && procs::comm(pid).is_some_and(|c| c.starts_with("mpmd"))
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.shutdown();
        if std::thread::panicking() {
            eprintln!("---- test failed; temp dir kept: {}", self.dir.display());
            eprintln!("---- error log:\n{}", self.error_log());
            let stderr = self.stderr_log();
            if !stderr.is_empty() {
                eprintln!("---- stderr of the foreground master:\n{stderr}");
            }
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
