//! Apache httpd 2.4 (Debian's `apache2`) started by hand for the differential test: a rendered
//! `httpd.conf` in a run directory, `apache2 -f CONF -DFOREGROUND` as a child in its own process
//! group, a port from the free-port helper (retried when another process wins the bind race).
//!
//! Never goes through service scripts or `apache2ctl`, never touches `/etc/apache2`, never uses
//! `pkill`: on drop it sends SIGTERM to the master it started, waits (10 s) for its whole process
//! group to go, then SIGKILLs that group.

use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// Where Debian keeps the shared modules (override with `APACHE_MODDIR`).
const DEFAULT_MODDIR: &str = "/usr/lib/apache2/modules";
/// How long Apache gets to come up, and to go away.
const DEADLINE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);
/// Bind races lost in a row before giving up.
const BIND_ATTEMPTS: usize = 5;

/// The failure message when Debian's apache2 is not installed. The test fails with it; it never
/// skips.
pub const MISSING: &str = "apache2 (Apache httpd 2.4) is not installed, so the differential test \
cannot run. scripts/test.sh installs it (apt-get update && DEBIAN_FRONTEND=noninteractive \
apt-get install -y apache2); or set APACHE_BIN / APACHE_MODDIR";

/// The `apache2` binary: `APACHE_BIN`, else `apache2` on PATH or in the sbin directories (which
/// a non-root PATH often lacks). Panics with [`MISSING`] when there is none.
pub fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("APACHE_BIN") {
        let bin = PathBuf::from(bin);
        assert!(
            bin.is_file(),
            "APACHE_BIN={} is not a file. {MISSING}",
            bin.display()
        );
        return bin;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("apache2"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{MISSING}"))
}

/// The directory holding `mod_*.so`.
pub fn module_dir() -> PathBuf {
    let dir = std::env::var_os("APACHE_MODDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_MODDIR));
    assert!(
        dir.join("mod_mime.so").is_file(),
        "{} has no mod_mime.so: {MISSING}",
        dir.display()
    );
    dir
}

/// A port that was free a moment ago (bind 127.0.0.1:0, read, drop). Apache cannot listen on
/// port 0 and report it, so a race with another process is possible: `ApacheGuard::start`
/// retries with a new port when the bind fails.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0 for a free port")
}

/// One running Apache. `render(run_dir, port)` produces the whole `httpd.conf` text.
pub struct ApacheGuard {
    child: Option<Child>,
    run: PathBuf,
    port: u16,
}

impl ApacheGuard {
    /// Renders the config into `run` (created), checks it with `apache2 -t`, starts Apache and
    /// waits until it accepts connections. Panics with the error log on failure.
    pub fn start(run: &Path, render: impl Fn(&Path, u16) -> String) -> ApacheGuard {
        let bin = binary();
        fs::create_dir_all(run).expect("create the apache run dir");
        let mut last_error = String::new();
        for _ in 0..BIND_ATTEMPTS {
            let port = free_port();
            let conf = run.join("httpd.conf");
            fs::write(&conf, render(run, port)).expect("write httpd.conf");
            let _ = fs::remove_file(run.join("error.log"));
            let check = Command::new(&bin)
                .arg("-t")
                .arg("-f")
                .arg(&conf)
                .stdin(Stdio::null())
                .output()
                .expect("run apache2 -t");
            assert!(
                check.status.success(),
                "apache2 -t -f {} failed:\n{}{}",
                conf.display(),
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            );
            let child = Command::new(&bin)
                .arg("-f")
                .arg(&conf)
                .arg("-DFOREGROUND")
                .current_dir(run)
                .stdin(Stdio::null())
                .stdout(fs::File::create(run.join("stdout.log")).expect("create stdout.log"))
                .stderr(fs::File::create(run.join("stderr.log")).expect("create stderr.log"))
                .process_group(0)
                .spawn()
                .expect("spawn apache2");
            let mut guard = ApacheGuard {
                child: Some(child),
                run: run.to_path_buf(),
                port,
            };
            match guard.wait_ready() {
                Ok(()) => return guard,
                Err(why) => {
                    let log = guard.logs();
                    guard.stop();
                    if !log.contains("Address already in use") {
                        panic!("apache2 did not start: {why}\n{log}");
                    }
                    last_error = log;
                }
            }
        }
        panic!("apache2 lost the bind race {BIND_ATTEMPTS} times in a row:\n{last_error}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The error log and the master's stderr.
    pub fn logs(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.run.join(name)).unwrap_or_default();
        format!(
            "---- apache error.log:\n{}---- apache stderr:\n{}",
            read("error.log"),
            read("stderr.log")
        )
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!("apache2 exited during start-up ({status})"));
            }
            let addr = ([127, 0, 0, 1], self.port).into();
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no answer on 127.0.0.1:{} within {DEADLINE:?}",
                    self.port
                ));
            }
            sleep(POLL);
        }
    }

    /// SIGTERM to the master, up to 10 s for its process group to empty, then SIGKILL to the
    /// group. Only the group this guard started (its pgid is the master's pid).
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pgid = Pid::from_raw(child.id() as i32);
        let _ = kill(pgid, Signal::SIGTERM);
        let deadline = Instant::now() + DEADLINE;
        let mut reaped = false;
        loop {
            if !reaped {
                reaped = matches!(child.try_wait(), Ok(Some(_)));
            }
            // The reaped master no longer holds the group; its children might.
            if reaped && group_is_empty(pgid) {
                return;
            }
            if Instant::now() >= deadline {
                break;
            }
            sleep(POLL);
        }
        eprintln!("apache2 (pgid {pgid}) did not stop within {DEADLINE:?}; SIGKILL to its group");
        let _ = killpg(pgid, Signal::SIGKILL);
        let _ = child.wait();
    }
}

fn group_is_empty(pgid: Pid) -> bool {
    matches!(killpg(pgid, None), Err(Errno::ESRCH))
}

impl Drop for ApacheGuard {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}

/// True when this process runs as root (Apache then needs User/Group, and its children run as
/// that account).
pub fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}
