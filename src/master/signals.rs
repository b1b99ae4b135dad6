//! The master's signals: signal-hook sets a flag per signal and writes a byte to a wake pipe
//! that the master's mio poll watches. Nothing else runs in signal context.

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGWINCH};

/// What an operator asked for, most drastic first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Request {
    /// TERM or INT: stop now.
    Stop,
    /// WINCH: stop after in-flight work, bounded by graceful_shutdown_timeout.
    GracefulStop,
    /// HUP: restart now (children terminated, scoreboard reset).
    Restart,
    /// USR1: graceful restart.
    Graceful,
}

/// Signal flags plus the wake pipe.
pub struct MasterSignals {
    stop: Arc<AtomicBool>,
    graceful_stop: Arc<AtomicBool>,
    restart: Arc<AtomicBool>,
    graceful: Arc<AtomicBool>,
    wake: UnixStream,
}

impl MasterSignals {
    /// Registers the handlers and the wake pipe under `token`.
    pub fn install(registry: &Registry, token: Token) -> io::Result<MasterSignals> {
        let (wake, wake_writer) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        wake_writer.set_nonblocking(true)?;
        let signals = MasterSignals {
            stop: Arc::new(AtomicBool::new(false)),
            graceful_stop: Arc::new(AtomicBool::new(false)),
            restart: Arc::new(AtomicBool::new(false)),
            graceful: Arc::new(AtomicBool::new(false)),
            wake,
        };
        for (signal, flag) in [
            (SIGTERM, &signals.stop),
            (SIGINT, &signals.stop),
            (SIGWINCH, &signals.graceful_stop),
            (SIGHUP, &signals.restart),
            (SIGUSR1, &signals.graceful),
        ] {
            signal_hook::flag::register(signal, Arc::clone(flag))?;
        }
        for signal in [SIGTERM, SIGINT, SIGWINCH, SIGHUP, SIGUSR1, SIGCHLD] {
            signal_hook::low_level::pipe::register(signal, wake_writer.try_clone()?)?;
        }
        registry.register(
            &mut SourceFd(&signals.wake.as_raw_fd()),
            token,
            Interest::READABLE,
        )?;
        Ok(signals)
    }

    /// Empties the wake pipe.
    pub fn drain(&mut self) {
        let mut buf = [0u8; 64];
        while matches!(self.wake.read(&mut buf), Ok(n) if n > 0) {}
    }

    /// The most drastic pending request, clearing it and every milder one it supersedes
    /// (an ungraceful signal upgrades a pending graceful one, as in Apache).
    pub fn take(&self) -> Option<Request> {
        let flags = [
            (Request::Stop, &self.stop),
            (Request::GracefulStop, &self.graceful_stop),
            (Request::Restart, &self.restart),
            (Request::Graceful, &self.graceful),
        ];
        let pending = flags
            .iter()
            .find(|(_, flag)| flag.load(Ordering::SeqCst))
            .map(|(req, _)| *req)?;
        for (req, flag) in flags {
            if req >= pending && !(pending == Request::GracefulStop && req > pending) {
                flag.store(false, Ordering::SeqCst);
            }
        }
        // A graceful stop does not swallow a later restart request; anything else does.
        Some(pending)
    }

    /// Whether a stop (TERM/INT) is pending, without clearing it.
    pub fn stop_pending(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}
