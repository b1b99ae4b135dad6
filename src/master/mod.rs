//! The master process: binds, creates the scoreboard, forks children, keeps their number
//! between the spare limits, and carries out operators' signals.
//!
//! The master is single-threaded for its whole life: it forks, and a fork in a threaded
//! process could leave a child holding a lock forever. So: no logger thread, no thread pool,
//! no crate that spawns threads behind our back.
//!
//! One loop (`Master::run`): mio waits on the signal wake pipe with a timeout to the next
//! one-second tick -> reap exited children (`exit` judges them) -> carry out a pending
//! operator request (`lifecycle.rs`) -> on the tick, idle-server maintenance (`policy`
//! decides, `effects` forks and writes the pipe of death).

pub mod children;
pub mod effects;
pub mod exit;
mod lifecycle;
pub mod pidfile;
pub mod policy;
pub mod policy_threads;
pub mod reclaim;
pub mod signals;
mod threaded;
pub mod ticker;

use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::config::MpmModule;
use crate::config::{Config, LogLevel};
use crate::http::Site;
use crate::mpm::prefork::ChildContext;
use crate::net::Listeners;
use crate::scoreboard::{BoardSettings, Scoreboard, WorkerStatus};
use crate::sys::privileges::Credentials;
use children::{Child, Children};
use effects::PipeOfDeath;
use policy::{Action, Limits, SlotState, SpawnState};
use signals::{MasterSignals, Request};
use ticker::Ticker;

const WAKE: Token = Token(0);

/// Successive signal deaths after which crashed children are no longer replaced at once.
const MAX_SUCCESSIVE_KILLS: u32 = 3;

/// The server description, as in `Server:` and the start-up line.
pub fn server_description() -> String {
    format!("mpmd/{} (Unix)", env!("CARGO_PKG_VERSION"))
}

/// Everything the master owns.
pub struct Master {
    pub config: Config,
    pub site: Site,
    pub board: Scoreboard,
    pub listeners: Listeners,
    pub children: Children,
    pub spawn: SpawnState,
    /// The MPM generation (0 at start, +1 on every restart).
    pub generation: u64,
    pub pod: PipeOfDeath,
    pub credentials: Option<Credentials>,
    signals: Option<MasterSignals>,
    poll: Option<Poll>,
    successive_kills: u32,
    /// `sysconf(_SC_CLK_TCK)`, read once.
    clock_tick: u32,
}

/// How the master's life ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// TERM, INT or graceful stop.
    Stopped,
    /// A child of the current generation reported a fatal error.
    ChildFatal,
}

/// Binds, maps and opens what a generation needs. Errors are one line for the operator.
pub struct Prepared {
    pub config: Config,
    pub listeners: Listeners,
    pub board: Scoreboard,
    pub site: Site,
    pub credentials: Option<Credentials>,
}

/// Opens the access log (if any) and builds the site of `config`.
pub fn build_site(config: &Config) -> Result<Site, String> {
    let access_log: Option<File> = match &config.log.access_log {
        None => None,
        Some(path) => Some(
            crate::logging::open_append(path)
                .map_err(|e| format!("could not open access log {}: {e}", path.display()))?,
        ),
    };
    Site::new(config, access_log)
}

/// Start-up work that can fail before the master is "up": bind, scoreboard, site, credentials.
pub fn prepare(config: Config) -> Result<Prepared, String> {
    let credentials = Credentials::resolve(config.user.as_deref(), config.group.as_deref())?;
    let listeners =
        Listeners::bind_all(&config.listen, config.listen_backlog).map_err(|e| e.to_string())?;
    // prefork has one worker record per slot; worker and event one per possible thread.
    let thread_limit = match config.mpm.module {
        crate::config::MpmModule::Prefork => 1,
        _ => config.mpm.thread_limit as usize,
    };
    let board = Scoreboard::create(
        config.mpm.server_limit as usize,
        thread_limit,
        config.scoreboard_file.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    // For /server-status: 0 prefork, 1 worker, 2 event (the module cannot change later).
    board.global().mpm.store(
        match config.mpm.module {
            crate::config::MpmModule::Prefork => 0,
            crate::config::MpmModule::Worker => 1,
            crate::config::MpmModule::Event => 2,
        },
        std::sync::atomic::Ordering::Relaxed,
    );
    let site = build_site(&config)?;
    Ok(Prepared {
        config,
        listeners,
        board,
        site,
        credentials,
    })
}

impl Master {
    pub fn new(prepared: Prepared) -> io::Result<Master> {
        let Prepared {
            config,
            listeners,
            board,
            site,
            credentials,
        } = prepared;
        let server_limit = config.mpm.server_limit as usize;
        Ok(Master {
            config,
            site,
            board,
            listeners,
            children: Children::new(server_limit),
            spawn: SpawnState::new(),
            generation: 0,
            pod: PipeOfDeath::new().map_err(io::Error::from)?,
            credentials,
            signals: None,
            poll: None,
            successive_kills: 0,
            clock_tick: crate::sys::cpu::clock_tick(),
        })
    }

    /// `server_name:port` of the first listener.
    pub fn vhost(&self) -> String {
        let port = self.listeners.list.first().map_or(0, |l| l.local.port());
        format!("{}:{port}", self.config.server_name)
    }

    /// What a child in `slot` inherits from the master. Single-process mode (`-X`) runs it in
    /// the master itself: no pipe of death, no privilege drop, no recycling.
    pub fn child_context(
        &self,
        slot: usize,
        generation: u64,
        max_connections: u64,
        single_process: bool,
    ) -> ChildContext<'_> {
        ChildContext {
            slot,
            generation,
            board: &self.board,
            listeners: &self.listeners,
            site: &self.site,
            pod: (!single_process).then(|| self.pod.read.as_fd()),
            max_connections,
            credentials: if single_process {
                None
            } else {
                self.credentials.clone()
            },
            single_process,
            vhost: self.vhost(),
            extended_status: self.config.status.extended_status,
            mpm: &self.config.mpm,
        }
    }

    /// Installs the signal handlers; after this, TERM/HUP/USR1/WINCH are requests to `run`.
    pub fn install_signals(&mut self) -> io::Result<()> {
        crate::sys::process::ignore_sigpipe().map_err(io::Error::from)?;
        let poll = Poll::new()?;
        self.signals = Some(MasterSignals::install(poll.registry(), WAKE)?);
        self.poll = Some(poll);
        Ok(())
    }

    /// Logs the start-up lines operators and tests look for.
    pub fn announce(&self) {
        crate::notice!(
            "{} configured -- resuming normal operations",
            server_description()
        );
        for l in &self.listeners.list {
            crate::notice!("listening on {}", l.local);
        }
    }

    /// Publishes the running generation, its settings and the config generation count.
    pub fn publish_generation(&self) {
        self.board.publish_settings(&board_settings(&self.config));
        self.publish_master_cpu();
        let g = self.board.global();
        g.running_generation
            .store(self.generation, std::sync::atomic::Ordering::Release);
        g.config_generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Forks `start_servers` children (at most max_request_workers) into free slots.
    pub fn start_children(&mut self) {
        if let Some(limits) = self.thread_limits() {
            let slots = self.process_slots();
            let count = self.config.mpm.start_servers;
            let free = policy_threads::startup_slots(&slots, &limits, count, &mut self.spawn);
            for slot in free {
                self.spawn_into(slot);
            }
            return;
        }
        let slots = self.slot_states();
        let count = self
            .config
            .mpm
            .start_servers
            .min(self.config.mpm.max_request_workers);
        let free = policy::startup_slots(
            &slots,
            self.config.mpm.max_request_workers,
            count,
            &mut self.spawn,
        );
        for slot in free {
            self.spawn_into(slot);
        }
    }

    fn spawn_into(&mut self, slot: usize) {
        match effects::spawn(self, slot) {
            Ok(pid) => {
                self.spawn.note_spawned(slot);
                self.children.insert(
                    slot,
                    Child {
                        pid,
                        generation: self.generation,
                    },
                );
                log::debug!("started child pid {pid} in slot {slot}");
            }
            Err(e) => {
                log::error!("fork: unable to fork new process: {e}; retrying in 10 s");
                std::thread::sleep(Duration::from_secs(10));
            }
        }
    }

    /// The policy's view of every slot.
    fn slot_states(&self) -> Vec<SlotState> {
        (0..self.board.server_limit())
            .map(|slot| match self.children.get(slot) {
                None => SlotState::Dead,
                Some(c) if c.generation != self.generation => SlotState::Graceful,
                Some(_) => match self.board.status(slot, 0) {
                    WorkerStatus::Dead | WorkerStatus::Starting => SlotState::Starting,
                    WorkerStatus::Ready => SlotState::Ready,
                    WorkerStatus::Graceful => SlotState::Graceful,
                    _ => SlotState::Busy,
                },
            })
            .collect()
    }

    /// The main loop. Returns when the server stops.
    pub fn run(&mut self) -> Outcome {
        self.publish_generation();
        self.start_children();
        let mut ticker = Ticker::new(Instant::now(), Duration::from_secs(1));
        let mut events = Events::with_capacity(8);
        loop {
            let timeout = ticker.until_next(Instant::now());
            if let Some(poll) = self.poll.as_mut()
                && let Err(e) = poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                log::error!("poll failed in the master: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
            if let Some(signals) = self.signals.as_mut() {
                signals.drain();
            }
            let reaped = self.reap();
            self.publish_master_cpu();
            if let Some(outcome) = reaped {
                self.stop_now();
                return outcome;
            }
            let request = self.signals.as_ref().and_then(MasterSignals::take);
            match request {
                Some(Request::Stop) => {
                    crate::notice!("caught SIGTERM, shutting down");
                    self.stop_now();
                    return Outcome::Stopped;
                }
                Some(Request::GracefulStop) => {
                    self.graceful_stop();
                    return Outcome::Stopped;
                }
                Some(Request::Restart) => self.restart(false),
                Some(Request::Graceful) => self.restart(true),
                None => {}
            }
            if ticker.due(Instant::now()) {
                self.maintain();
            }
        }
    }

    /// Reaps every exited child. Returns `Some` if one demands a server shutdown.
    fn reap(&mut self) -> Option<Outcome> {
        let mut outcome = None;
        while let Some(status) = effects::reap_one() {
            let Some((pid, how)) = exit::classify(status) else {
                continue;
            };
            let pid = Pid::from_raw(pid);
            let Some((slot, child, owner)) = self.children.remove(pid) else {
                log::warn!("long lost child came home! (pid {pid})");
                continue;
            };
            self.slot_vacated(slot, pid, owner);
            let current = child.generation == self.generation;
            let expected = matches!(
                how,
                exit::ChildExit::Signalled { signal, .. }
                    if signal == libc::SIGTERM || signal == libc::SIGHUP || signal == libc::SIGUSR1
            );
            let verdict = exit::judge(pid.as_raw(), &how, current, expected);
            if let Some((level, message)) = verdict.log {
                log_at(level, &message);
            }
            if verdict.reset_spawn_rate {
                self.spawn.child_sick();
            }
            if verdict.shutdown_server {
                outcome = Some(Outcome::ChildFatal);
            }
            // A crashed child of the running generation is replaced at once (Apache's worker
            // and event do this; prefork waits for maintenance), unless children keep dying.
            if matches!(how, exit::ChildExit::Signalled { .. }) && current && !expected && owner {
                self.successive_kills += 1;
                if self.successive_kills < MAX_SUCCESSIVE_KILLS {
                    self.spawn_into(slot);
                } else if self.successive_kills % 10 == MAX_SUCCESSIVE_KILLS % 10 {
                    log::warn!(
                        "children are killed successively! not replacing them at once; check the error log above for the cause"
                    );
                }
            }
        }
        outcome
    }

    /// One idle-server maintenance tick.
    fn maintain(&mut self) {
        self.successive_kills = 0;
        if let Some(limits) = self.thread_limits() {
            self.maintain_threads(&limits);
            self.publish_spawn_state();
            return;
        }
        let slots = self.slot_states();
        let limits = Limits {
            min_spare: self.config.mpm.min_spare_servers,
            max_spare: self.config.mpm.max_spare_servers,
            max_request_workers: self.config.mpm.max_request_workers,
        };
        for action in policy::maintain(&slots, &limits, &mut self.spawn) {
            match action {
                Action::Spawn { slot } => self.spawn_into(slot),
                Action::RetireIdle => self.retire_one(&slots),
                Action::Log { level, message } => log_at(level, &message),
            }
        }
        self.publish_spawn_state();
    }

    /// Master telemetry in the scoreboard's global record.
    fn publish_spawn_state(&self) {
        self.board.publish_spawn_state(
            self.spawn.idle_spawn_rate,
            self.spawn.hold_off,
            self.spawn.max_workers_reached_logged,
        );
    }

    /// The master's CPU time (and its reaped children's) into the global record, every loop
    /// iteration as Apache's `ap_update_global_status`.
    fn publish_master_cpu(&self) {
        self.board.publish_master_cpu(
            crate::sys::cpu::process_cpu(self.clock_tick),
            self.clock_tick,
        );
    }

    /// Writes one pipe-of-death byte and nudges one idle child to read it at once (Apache makes
    /// a dummy connection for this; a signal does not show up in the access log).
    fn retire_one(&self, slots: &[SlotState]) {
        self.pod.signal_one();
        let idle = slots
            .iter()
            .enumerate()
            .rev()
            .find(|(_, s)| **s == SlotState::Ready)
            .and_then(|(slot, _)| self.children.get(slot));
        if let Some(child) = idle {
            effects::signal(child.pid, Signal::SIGUSR2);
        }
    }
}

/// What the status page needs to know about `config`'s MPM settings.
pub fn board_settings(config: &Config) -> BoardSettings {
    let mpm = &config.mpm;
    let (code, threads) = match mpm.module {
        MpmModule::Prefork => (0, 1),
        MpmModule::Worker => (1, mpm.threads_per_child),
        MpmModule::Event => (2, mpm.threads_per_child),
    };
    let threads = threads.max(1);
    let max_daemons = match mpm.module {
        MpmModule::Prefork => mpm.max_request_workers,
        _ => mpm.max_request_workers / threads,
    };
    BoardSettings {
        mpm: code,
        max_daemons,
        threads_per_child: threads,
        extended_status: config.status.extended_status,
    }
}

/// Writes `message` at an Apache level.
pub fn log_at(level: LogLevel, message: &str) {
    match level {
        LogLevel::Error => log::error!("{message}"),
        LogLevel::Warn => log::warn!("{message}"),
        LogLevel::Notice => crate::notice!("{message}"),
        LogLevel::Info => log::info!("{message}"),
        LogLevel::Debug => log::debug!("{message}"),
        LogLevel::Trace => log::trace!("{message}"),
    }
}
