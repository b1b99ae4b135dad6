//! Multi-processing modules: what a child process does between fork and exit.
//!
//! `prefork`: one connection per process. `worker` and `event` (threaded children) share
//! `threaded` (start-up, worker records, the main thread's pipe-of-death watch) and `pool`
//! (the hand-off from the listener thread to worker threads); `event` parks idle keep-alive
//! connections in its listener's poller.

pub mod event;
mod event_poller;
mod event_table;
mod pool;
pub mod prefork;
mod slot_observer;
pub mod threaded;
pub mod worker;

use crate::config::MpmModule;
use crate::logging::{self, Role, buffer};
use crate::master::exit::EXIT_CHILDFATAL;
use crate::sys::process;
use prefork::ChildContext;

/// A child's first acts after fork, whatever its MPM: replace the master's signal handlers with
/// its own (buffered access-log lines are written from the TERM/HUP handler), tag log lines
/// with the slot, drop privileges, keep large freed blocks from lingering in thread arenas. Returns whether the access log is buffered, or the exit code
/// (fatal: the master shuts the server down) when the set-up failed.
fn set_up_child(ctx: &ChildContext<'_>) -> Result<bool, i32> {
    crate::sys::malloc::fix_mmap_threshold();
    let buffered_logs = ctx.site.access_log().is_some_and(|l| l.is_buffered());
    let signals_set = if ctx.single_process {
        process::set_single_process_signals()
    } else {
        process::set_child_signals().and_then(|()| {
            if buffered_logs {
                process::set_fatal_signal_handler(buffer::flush_and_die)
            } else {
                Ok(())
            }
        })
    };
    logging::set_role(if ctx.single_process {
        Role::Single
    } else {
        Role::Child(ctx.slot)
    });
    if let Err(e) = signals_set {
        log::error!("could not set up child signal handlers: {e}");
        return Err(EXIT_CHILDFATAL);
    }
    if let Some(credentials) = &ctx.credentials
        && let Err(e) = credentials.drop_privileges()
    {
        log::error!("{e}; check the user and group keys");
        return Err(EXIT_CHILDFATAL);
    }
    Ok(buffered_logs)
}

/// Runs a child of the configured MPM until it should exit; returns the exit code.
pub fn child_main(ctx: &ChildContext<'_>) -> i32 {
    match ctx.mpm.module {
        MpmModule::Prefork => prefork::child_main(ctx),
        MpmModule::Worker | MpmModule::Event => threaded::child_main(ctx),
    }
}
