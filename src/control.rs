//! Carrying out a command line: start (daemon, foreground or single-process), `-k` verbs
//! through the pid file, `-t`, `-v`, `-V`.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::cli::{Command, Invocation, StartMode, USAGE, Verb};
use crate::config::{self, Config};
use crate::master::{self, Master, Outcome, log_at, pidfile, server_description};
use crate::sys::process::{Forked, fork};

/// How long `-k stop` and `-k graceful-stop` wait for the master to exit.
const STOP_WAIT: Duration = Duration::from_secs(30);

/// Runs the command; returns the process exit code.
pub fn execute(invocation: Invocation) -> i32 {
    let path = invocation.config.as_path();
    match invocation.command {
        Command::Help => {
            println!("{USAGE}");
            0
        }
        Command::Version => {
            println!("Server version: {}", server_description());
            println!("Server built:   {}", crate::status::SERVER_BUILT);
            0
        }
        Command::Settings => {
            println!("Server version: {}", server_description());
            println!("Server built:   {}", crate::status::SERVER_BUILT);
            println!("Server MPMs:    prefork worker event");
            println!("Architecture:   {}-bit", usize::BITS);
            println!(" -D MAX_SERVER_LIMIT=200000");
            println!(" -D DEFAULT_CONFIG=\"{}\"", crate::cli::DEFAULT_CONFIG);
            0
        }
        Command::ConfigTest => match load(path) {
            Some(_) => {
                eprintln!("Syntax OK");
                0
            }
            None => 1,
        },
        Command::ShowStatus => match load(path) {
            Some(config) => crate::status_command::run(&config),
            None => 1,
        },
        Command::Signal(verb) => signal_running(path, verb),
        Command::Start(mode) => match load(path) {
            Some(config) => start(config, mode),
            None => 1,
        },
    }
}

/// Loads the configuration, printing warnings and errors to stderr.
fn load(path: &Path) -> Option<Config> {
    match config::load(path, None) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("mpmd: {}: {}", level_word(w.level), w.message);
            }
            Some(loaded.config)
        }
        Err(errors) => {
            eprintln!("{errors}");
            None
        }
    }
}

fn level_word(level: crate::config::LogLevel) -> &'static str {
    match level {
        crate::config::LogLevel::Error => "error",
        crate::config::LogLevel::Warn => "warning",
        _ => "note",
    }
}

/// Whether `pid` names a live process. A zombie (exited, not yet reaped by its parent, which
/// for a daemon is init and may be slow) counts as gone.
fn alive(pid: i32) -> bool {
    if pid <= 0 || matches!(kill(Pid::from_raw(pid), None), Err(Errno::ESRCH)) {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name, which may contain spaces.
        Ok(stat) => {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                != Some("Z")
        }
        Err(_) => true,
    }
}

/// The running master's pid, if the pid file names a live one.
fn running_pid(config: &Config) -> Option<i32> {
    pidfile::read(&config.pid_file)
        .ok()
        .flatten()
        .filter(|&pid| alive(pid))
}

fn signal_running(path: &Path, verb: Verb) -> i32 {
    // Apache checks the configuration before signalling; a broken file never reaches the server.
    let Some(config) = load(path) else {
        return 1;
    };
    let pid = match pidfile::read(&config.pid_file) {
        Ok(Some(pid)) if alive(pid) => pid,
        Ok(Some(pid)) => return not_running(&config, verb, &format!("(pid {pid}?)")),
        Ok(None) => return not_running(&config, verb, "(no pid file)"),
        Err(e) => {
            eprintln!("mpmd: {e}");
            return 1;
        }
    };
    let signal = match verb {
        Verb::Stop => Signal::SIGTERM,
        Verb::Graceful => Signal::SIGUSR1,
        Verb::Restart => Signal::SIGHUP,
        Verb::GracefulStop => Signal::SIGWINCH,
    };
    if let Err(e) = kill(Pid::from_raw(pid), signal) {
        eprintln!("mpmd: could not send {signal} to pid {pid}: {e}");
        return 1;
    }
    if matches!(verb, Verb::Stop | Verb::GracefulStop) {
        let deadline = Instant::now() + STOP_WAIT;
        while alive(pid) {
            if Instant::now() >= deadline {
                eprintln!(
                    "mpmd (pid {pid}) did not exit within {} s",
                    STOP_WAIT.as_secs()
                );
                return 1;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    0
}

fn not_running(config: &Config, verb: Verb, what: &str) -> i32 {
    match verb {
        Verb::Graceful | Verb::Restart => {
            eprintln!("mpmd not running, trying to start");
            start(
                config.clone(),
                StartMode {
                    foreground: false,
                    single_process: false,
                    checked_start: true,
                },
            )
        }
        Verb::Stop | Verb::GracefulStop => {
            eprintln!("mpmd {what} not running");
            1
        }
    }
}

/// Reports start-up success or failure to the process that launched a daemon.
struct Readiness {
    pipe: Option<File>,
}

impl Readiness {
    fn fail(&mut self, message: &str) -> i32 {
        log::error!("{message}");
        match self.pipe.take() {
            Some(mut pipe) => {
                let _ = pipe.write_all(message.as_bytes());
            }
            None => eprintln!("mpmd: {message}"),
        }
        1
    }

    fn ready(&mut self) {
        if let Some(mut pipe) = self.pipe.take() {
            let _ = pipe.write_all(b"ok");
        }
    }
}

/// Forks; the parent waits for the daemon's verdict and exits with it.
fn daemonize() -> Result<Readiness, String> {
    let (read, write): (OwnedFd, OwnedFd) =
        nix::unistd::pipe().map_err(|e| format!("could not create a pipe: {e}"))?;
    match fork().map_err(|e| format!("could not fork the daemon: {e}"))? {
        Forked::Parent(_) => {
            drop(write);
            let mut message = String::new();
            let _ = File::from(read).read_to_string(&mut message);
            if message == "ok" {
                crate::sys::process::exit_now(0);
            }
            if message.is_empty() {
                message = "the server exited during start-up; see the error log".into();
            }
            eprintln!("mpmd: {message}");
            crate::sys::process::exit_now(1);
        }
        Forked::Child => {
            drop(read);
            nix::unistd::setsid().map_err(|e| format!("setsid failed: {e}"))?;
            Ok(Readiness {
                pipe: Some(File::from(write)),
            })
        }
    }
}

/// Points stdin, stdout and stderr at /dev/null (a daemon has no terminal).
fn detach_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        let _ = nix::unistd::dup2_stdin(&null);
        let _ = nix::unistd::dup2_stdout(&null);
        let _ = nix::unistd::dup2_stderr(&null);
    }
}

fn start(config: Config, mode: StartMode) -> i32 {
    if mode.checked_start
        && let Some(pid) = running_pid(&config)
    {
        eprintln!("mpmd (pid {pid}) already running");
        return 0;
    }
    crate::logging::init(config.log_level);
    let mut readiness = if mode.foreground {
        Readiness { pipe: None }
    } else {
        match daemonize() {
            Ok(readiness) => readiness,
            Err(e) => {
                eprintln!("mpmd: {e}");
                return 1;
            }
        }
    };
    // The daemon has a new pid: tag lines with it.
    crate::logging::set_role(crate::logging::Role::Master);
    if let Err(e) = crate::logging::open(&config.error_log, config.log_level) {
        return readiness.fail(&format!("could not open the error log: {e}"));
    }
    // Start-up warnings were printed by `load`; the error log gets them too.
    if let Ok(loaded) = config::load(&config.source, None) {
        for w in &loaded.warnings {
            log_at(w.level, &w.message);
        }
    }
    let prepared = match master::prepare(config) {
        Ok(prepared) => prepared,
        Err(e) => return readiness.fail(&e),
    };
    let pid = std::process::id();
    match pidfile::write(&prepared.config.pid_file, pid) {
        Ok(true) => log::warn!(
            "pid file {} overwritten -- unclean shutdown of previous mpmd run?",
            prepared.config.pid_file.display()
        ),
        Ok(false) => {}
        Err(e) => {
            return readiness.fail(&format!(
                "could not write pid file {}: {e}",
                prepared.config.pid_file.display()
            ));
        }
    }
    let pid_file = prepared.config.pid_file.clone();
    let mut master = match Master::new(prepared) {
        Ok(master) => master,
        Err(e) => {
            pidfile::remove(&pid_file, pid);
            return readiness.fail(&format!("could not set up the master: {e}"));
        }
    };
    if mode.single_process {
        return run_single(&mut master, &mut readiness);
    }
    if let Err(e) = master.install_signals() {
        pidfile::remove(&pid_file, pid);
        return readiness.fail(&format!("could not install signal handlers: {e}"));
    }
    master.announce();
    readiness.ready();
    if !mode.foreground {
        let _ = nix::unistd::chdir("/");
        detach_stdio();
    }
    match master.run() {
        Outcome::Stopped => 0,
        Outcome::ChildFatal => {
            log::error!("a child reported a fatal error; mpmd is exiting");
            1
        }
    }
}

/// `-X`: the master runs one child loop itself, without forking.
fn run_single(master: &mut Master, readiness: &mut Readiness) -> i32 {
    master.announce();
    readiness.ready();
    master.publish_generation();
    let threaded = master.config.mpm.module != crate::config::MpmModule::Prefork;
    if threaded {
        master.board.process_forked(0, std::process::id() as i32);
    } else {
        master.board.slot_starting(0, 0);
        master.board.slot_forked(0, std::process::id() as i32);
    }
    let ctx = master.child_context(0, 0, 0, true);
    let code = crate::mpm::child_main(&ctx);
    pidfile::remove(&master.config.pid_file, std::process::id());
    crate::notice!("single-process mode stopped");
    code
}
