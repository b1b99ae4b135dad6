//! Restarts and stops: what the master does for HUP, USR1, TERM and WINCH.
//!
//! Unlike Apache, a configuration that fails to load on HUP/USR1 changes nothing: the new
//! configuration, its site and its listeners are all prepared before any child is told
//! anything, and any failure is logged while the server keeps serving the old configuration.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::reclaim::{Reclaim, step_message};
use super::threaded::{PODX_GRACEFUL, PODX_RESTART};
use super::{Master, effects, log_at, pidfile};
use crate::config::{self, Config};
use crate::http::Site;

impl Master {
    /// Loads and prepares the next generation's configuration; `Err` is logged by the caller.
    fn prepare_reload(&mut self) -> Result<(Config, Site), String> {
        let loaded =
            config::load(&self.config.source, Some(&self.config)).map_err(|e| e.to_string())?;
        for warning in &loaded.warnings {
            log_at(warning.level, &warning.message);
        }
        let next = loaded.config;
        let site = super::build_site(&next)?;
        self.listeners
            .reconcile(&next.listen, next.listen_backlog)
            .map_err(|e| e.to_string())?;
        Ok((next, site))
    }

    /// HUP (`graceful == false`) or USR1 (`graceful == true`).
    pub(super) fn restart(&mut self, graceful: bool) {
        let (next, site) = match self.prepare_reload() {
            Ok(prepared) => prepared,
            Err(e) => {
                log::error!(
                    "could not reload configuration: {e}; keeping the running configuration (fix the file and signal again)"
                );
                return;
            }
        };
        if let Err(e) = crate::logging::open(&next.error_log, next.log_level) {
            log::error!("could not reopen the error log: {e}; logging to the previous target");
        }
        self.generation += 1;
        if graceful {
            crate::notice!("graceful restart requested, doing restart");
            // Bytes for the old generation must not retire a new child.
            self.pod.drain();
            let old: Vec<_> = self.children.iter().collect();
            let threaded = self.thread_limits().is_some();
            self.end_generation_podx(PODX_GRACEFUL);
            self.config = next;
            self.site = site;
            self.publish_generation();
            // Threaded children read the podx; their threads mark their own records.
            for (slot, child) in old.into_iter().filter(|_| !threaded) {
                self.board.slot_graceful(slot);
                effects::signal(child.pid, Signal::SIGUSR1);
            }
            self.spawn.after_graceful_restart();
        } else {
            crate::notice!("SIGHUP received.  Attempting to restart");
            self.end_generation_podx(PODX_RESTART);
            self.terminate_children();
            self.pod.drain();
            self.config = next;
            self.site = site;
            self.board.reset();
            self.publish_generation();
        }
        self.announce();
        self.start_children();
    }

    /// TERM: every child gets SIGTERM, with Apache's reclaim escalation; then the pid file goes.
    pub(super) fn stop_now(&mut self) {
        self.end_generation_podx(PODX_RESTART);
        self.terminate_children();
        pidfile::remove(&self.config.pid_file, std::process::id());
    }

    /// WINCH: stop accepting, let children finish, exit (bounded by graceful_shutdown_timeout).
    pub(super) fn graceful_stop(&mut self) {
        self.listeners.list.clear();
        if self.thread_limits().is_some() {
            self.end_generation_podx(PODX_GRACEFUL);
        } else {
            for (slot, child) in self.children.iter().collect::<Vec<_>>() {
                self.board.slot_graceful(slot);
                effects::signal(child.pid, Signal::SIGUSR1);
            }
        }
        pidfile::remove(&self.config.pid_file, std::process::id());
        crate::notice!("caught SIGWINCH, shutting down gracefully");
        let deadline = self
            .config
            .graceful_shutdown_timeout
            .map(|t| Instant::now() + t);
        loop {
            self.reap_quietly();
            if self.children.is_empty() {
                return;
            }
            let stop = self.signals.as_ref().is_some_and(|s| s.stop_pending());
            if stop || deadline.is_some_and(|d| Instant::now() >= d) {
                if !stop {
                    log::warn!(
                        "graceful_shutdown_timeout reached with {} children still busy; terminating them",
                        self.children.len()
                    );
                }
                self.terminate_children();
                return;
            }
            self.wait_for_signal(Duration::from_millis(200));
        }
    }

    /// Sends SIGTERM to every child and reclaims them with the escalation table.
    fn terminate_children(&mut self) {
        let mut reclaim = Reclaim::new(Instant::now(), true);
        loop {
            self.reap_quietly();
            if self.children.is_empty() {
                return;
            }
            for step in reclaim.due(Instant::now()) {
                let signal = match step {
                    super::reclaim::ReclaimStep::Term { .. } => Some(Signal::SIGTERM),
                    super::reclaim::ReclaimStep::Kill => Some(Signal::SIGKILL),
                    super::reclaim::ReclaimStep::GiveUp => None,
                };
                for (slot, child) in self.children.iter().collect::<Vec<_>>() {
                    if let Some((level, message)) = step_message(&step, child.pid.as_raw()) {
                        log_at(level, &message);
                    }
                    match signal {
                        Some(signal) => effects::signal(child.pid, signal),
                        None => {
                            if let Some((_, _, owner)) = self.children.remove(child.pid) {
                                self.slot_vacated(slot, child.pid, owner);
                            }
                        }
                    }
                }
            }
            if reclaim.finished() {
                return;
            }
            let wait = reclaim.next_wait(Instant::now());
            self.wait_for_signal(wait);
        }
    }

    /// Reaps children during a stop: no replacement, no crash lines for the signals we sent.
    fn reap_quietly(&mut self) {
        while let Some(status) = effects::reap_one() {
            let Some((pid, how)) = super::exit::classify(status) else {
                continue;
            };
            let child_pid = nix::unistd::Pid::from_raw(pid);
            if let Some((slot, _, owner)) = self.children.remove(child_pid) {
                self.slot_vacated(slot, child_pid, owner);
            }
            if let super::exit::ChildExit::Signalled { signal, .. } = how
                && ![libc::SIGTERM, libc::SIGKILL, libc::SIGUSR1, libc::SIGHUP].contains(&signal)
            {
                let verdict = super::exit::judge(pid, &how, false, false);
                if let Some((level, message)) = verdict.log {
                    log_at(level, &message);
                }
            }
        }
    }

    /// Sleeps until a signal (SIGCHLD included) arrives or `timeout` passes.
    fn wait_for_signal(&mut self, timeout: Duration) {
        if let Some(poll) = self.poll.as_mut() {
            let mut events = mio::Events::with_capacity(4);
            let _ = poll.poll(&mut events, Some(timeout));
        } else {
            std::thread::sleep(timeout);
        }
        if let Some(signals) = self.signals.as_mut() {
            signals.drain();
        }
    }
}
