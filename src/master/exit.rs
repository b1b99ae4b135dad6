//! What a reaped child's wait status means, and what the master does about it.
//!
//! Apache's `ap_process_child_status` plus prefork's reaction to it (reference/apache-mpm.md §0):
//! exit code 7 is a resource shortage (spawn rate back to 1), 15 is fatal (the server stops,
//! unless the child was of a previous generation), a signal is logged with its strsignal text,
//! anything else is silent. This module only classifies and decides; it must not reap, signal or
//! write the log itself.

use nix::sys::wait::WaitStatus;

use crate::config::LogLevel;

/// `APEXIT_CHILDSICK`: the child hit a resource shortage (EMFILE, ENOBUFS, ...).
pub const EXIT_CHILDSICK: i32 = 7;
/// `APEXIT_CHILDFATAL`: the child cannot ever work (e.g. a setup step failed); stop the server.
pub const EXIT_CHILDFATAL: i32 = 15;

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    /// Exit code 0.
    Normal,
    /// Exit code [`EXIT_CHILDSICK`].
    Sick,
    /// Exit code [`EXIT_CHILDFATAL`].
    Fatal,
    /// Killed by a signal.
    Signalled {
        /// The signal number.
        signal: i32,
        /// The kernel wrote a core file.
        core_dumped: bool,
    },
    /// Any other exit code.
    OtherCode(i32),
}

/// The pid and meaning of a wait status; `None` for statuses that are not an exit
/// (StillAlive, Stopped, Continued, ptrace events).
pub fn classify(status: WaitStatus) -> Option<(i32, ChildExit)> {
    match status {
        WaitStatus::Exited(pid, code) => {
            let exit = match code {
                0 => ChildExit::Normal,
                EXIT_CHILDSICK => ChildExit::Sick,
                EXIT_CHILDFATAL => ChildExit::Fatal,
                other => ChildExit::OtherCode(other),
            };
            Some((pid.as_raw(), exit))
        }
        WaitStatus::Signaled(pid, signal, core_dumped) => Some((
            pid.as_raw(),
            ChildExit::Signalled {
                signal: signal as i32,
                core_dumped,
            },
        )),
        _ => None,
    }
}

/// What the master does about an exit: log line (level, text) and consequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitVerdict {
    /// A line for the error log, if any.
    pub log: Option<(LogLevel, String)>,
    /// Put the idle spawn rate back to 1 (`SpawnState::child_sick`).
    pub reset_spawn_rate: bool,
    /// Shut the whole server down (a fatal error in the running generation).
    pub shutdown_server: bool,
}

/// `current_generation`: whether the child belonged to the running generation (pass true for a
/// pid with no scoreboard slot, as Apache does); `expected_signal`: the master itself sent this
/// signal (TERM or KILL during reclaim), so no crash line.
pub fn judge(
    pid: i32,
    exit: &ChildExit,
    current_generation: bool,
    expected_signal: bool,
) -> ExitVerdict {
    let mut verdict = ExitVerdict {
        log: None,
        reset_spawn_rate: false,
        shutdown_server: false,
    };
    match *exit {
        ChildExit::Normal | ChildExit::OtherCode(_) => {}
        ChildExit::Sick => {
            verdict.reset_spawn_rate = true;
            verdict.log = Some((
                LogLevel::Warn,
                format!(
                    "child pid {pid} exited: resource shortage (exit code {EXIT_CHILDSICK}); \
                     spawn rate reset"
                ),
            ));
        }
        ChildExit::Fatal if current_generation => {
            verdict.shutdown_server = true;
            verdict.log = Some((
                LogLevel::Error,
                format!("child pid {pid} returned a fatal error... mpmd is exiting!"),
            ));
        }
        ChildExit::Fatal => {
            verdict.log = Some((
                LogLevel::Warn,
                format!("ignoring fatal error in child of previous generation (pid {pid})"),
            ));
        }
        ChildExit::Signalled { .. } if expected_signal => {}
        ChildExit::Signalled {
            signal,
            core_dumped,
        } => {
            let core = if core_dumped { " (core dumped)" } else { "" };
            verdict.log = Some((
                LogLevel::Notice,
                format!(
                    "child pid {pid} exit signal {} ({signal}){core}",
                    signal_description(signal)
                ),
            ));
        }
    }
    verdict
}

/// Linux `strsignal(3)` text (glibc), e.g. 11 -> "Segmentation fault".
pub fn signal_description(signo: i32) -> String {
    /// glibc's SIGRTMIN/SIGRTMAX as seen by programs (32 and 33 are reserved by NPTL).
    const SIGRTMIN: i32 = 34;
    const SIGRTMAX: i32 = 64;
    let text = match signo {
        1 => "Hangup",
        2 => "Interrupt",
        3 => "Quit",
        4 => "Illegal instruction",
        5 => "Trace/breakpoint trap",
        6 => "Aborted",
        7 => "Bus error",
        8 => "Floating point exception",
        9 => "Killed",
        10 => "User defined signal 1",
        11 => "Segmentation fault",
        12 => "User defined signal 2",
        13 => "Broken pipe",
        14 => "Alarm clock",
        15 => "Terminated",
        16 => "Stack fault",
        17 => "Child exited",
        18 => "Continued",
        19 => "Stopped (signal)",
        20 => "Stopped",
        21 => "Stopped (tty input)",
        22 => "Stopped (tty output)",
        23 => "Urgent I/O condition",
        24 => "CPU time limit exceeded",
        25 => "File size limit exceeded",
        26 => "Virtual timer expired",
        27 => "Profiling timer expired",
        28 => "Window changed",
        29 => "I/O possible",
        30 => "Power failure",
        31 => "Bad system call",
        SIGRTMIN..=SIGRTMAX => return format!("Real-time signal {}", signo - SIGRTMIN),
        _ => return format!("Unknown signal {signo}"),
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::Signal;
    use nix::unistd::Pid;

    fn pid(n: i32) -> Pid {
        Pid::from_raw(n)
    }

    #[test]
    fn classify_table() {
        let cases = [
            (
                WaitStatus::Exited(pid(10), 0),
                Some((10, ChildExit::Normal)),
            ),
            (WaitStatus::Exited(pid(11), 7), Some((11, ChildExit::Sick))),
            (
                WaitStatus::Exited(pid(12), 15),
                Some((12, ChildExit::Fatal)),
            ),
            (
                WaitStatus::Exited(pid(13), 1),
                Some((13, ChildExit::OtherCode(1))),
            ),
            (
                WaitStatus::Exited(pid(14), 255),
                Some((14, ChildExit::OtherCode(255))),
            ),
            (
                WaitStatus::Signaled(pid(15), Signal::SIGSEGV, true),
                Some((
                    15,
                    ChildExit::Signalled {
                        signal: 11,
                        core_dumped: true,
                    },
                )),
            ),
            (
                WaitStatus::Signaled(pid(16), Signal::SIGKILL, false),
                Some((
                    16,
                    ChildExit::Signalled {
                        signal: 9,
                        core_dumped: false,
                    },
                )),
            ),
            (WaitStatus::Stopped(pid(17), Signal::SIGSTOP), None),
            (WaitStatus::Continued(pid(18)), None),
            (WaitStatus::StillAlive, None),
            (WaitStatus::PtraceEvent(pid(19), Signal::SIGTRAP, 1), None),
            (WaitStatus::PtraceSyscall(pid(20)), None),
        ];
        for (status, want) in cases {
            assert_eq!(classify(status), want, "{status:?}");
        }
    }

    #[test]
    fn classify_from_raw_status() {
        // Raw wait statuses as the kernel encodes them: code << 8, signal | 0x80 for core.
        let exited7 = WaitStatus::from_raw(pid(42), 7 << 8).unwrap();
        assert_eq!(classify(exited7), Some((42, ChildExit::Sick)));
        let segv_core = WaitStatus::from_raw(pid(43), 11 | 0x80).unwrap();
        assert_eq!(
            classify(segv_core),
            Some((
                43,
                ChildExit::Signalled {
                    signal: 11,
                    core_dumped: true
                }
            ))
        );
    }

    fn quiet() -> ExitVerdict {
        ExitVerdict {
            log: None,
            reset_spawn_rate: false,
            shutdown_server: false,
        }
    }

    fn logged(level: LogLevel, text: &str) -> ExitVerdict {
        ExitVerdict {
            log: Some((level, text.to_string())),
            ..quiet()
        }
    }

    #[test]
    fn judge_table() {
        use ChildExit::*;
        let segv = Signalled {
            signal: 11,
            core_dumped: false,
        };
        let segv_core = Signalled {
            signal: 11,
            core_dumped: true,
        };
        let kill = Signalled {
            signal: 9,
            core_dumped: false,
        };
        let term = Signalled {
            signal: 15,
            core_dumped: false,
        };
        // (exit, current generation, expected signal) -> verdict
        let cases = [
            (Normal, true, false, quiet()),
            (Normal, false, false, quiet()),
            (OtherCode(1), true, false, quiet()),
            (OtherCode(3), false, false, quiet()),
            (
                Sick,
                true,
                false,
                ExitVerdict {
                    reset_spawn_rate: true,
                    ..logged(
                        LogLevel::Warn,
                        "child pid 1234 exited: resource shortage (exit code 7); spawn rate reset",
                    )
                },
            ),
            (
                Sick,
                false,
                false,
                ExitVerdict {
                    reset_spawn_rate: true,
                    ..logged(
                        LogLevel::Warn,
                        "child pid 1234 exited: resource shortage (exit code 7); spawn rate reset",
                    )
                },
            ),
            (
                Fatal,
                true,
                false,
                ExitVerdict {
                    shutdown_server: true,
                    ..logged(
                        LogLevel::Error,
                        "child pid 1234 returned a fatal error... mpmd is exiting!",
                    )
                },
            ),
            (
                Fatal,
                false,
                false,
                logged(
                    LogLevel::Warn,
                    "ignoring fatal error in child of previous generation (pid 1234)",
                ),
            ),
            (
                segv,
                true,
                false,
                logged(
                    LogLevel::Notice,
                    "child pid 1234 exit signal Segmentation fault (11)",
                ),
            ),
            (
                segv,
                false,
                false,
                logged(
                    LogLevel::Notice,
                    "child pid 1234 exit signal Segmentation fault (11)",
                ),
            ),
            (
                segv_core,
                true,
                false,
                logged(
                    LogLevel::Notice,
                    "child pid 1234 exit signal Segmentation fault (11) (core dumped)",
                ),
            ),
            (
                kill,
                true,
                false,
                logged(LogLevel::Notice, "child pid 1234 exit signal Killed (9)"),
            ),
            (
                term,
                true,
                false,
                logged(
                    LogLevel::Notice,
                    "child pid 1234 exit signal Terminated (15)",
                ),
            ),
            (kill, true, true, quiet()),
            (term, false, true, quiet()),
            (segv_core, true, true, quiet()),
        ];
        for (exit, current, expected, want) in cases {
            assert_eq!(
                judge(1234, &exit, current, expected),
                want,
                "{exit:?} current={current} expected={expected}"
            );
        }
    }

    #[test]
    fn signal_descriptions_match_glibc() {
        let cases = [
            (1, "Hangup"),
            (2, "Interrupt"),
            (3, "Quit"),
            (4, "Illegal instruction"),
            (5, "Trace/breakpoint trap"),
            (6, "Aborted"),
            (7, "Bus error"),
            (8, "Floating point exception"),
            (9, "Killed"),
            (10, "User defined signal 1"),
            (11, "Segmentation fault"),
            (12, "User defined signal 2"),
            (13, "Broken pipe"),
            (14, "Alarm clock"),
            (15, "Terminated"),
            (16, "Stack fault"),
            (17, "Child exited"),
            (18, "Continued"),
            (19, "Stopped (signal)"),
            (20, "Stopped"),
            (21, "Stopped (tty input)"),
            (22, "Stopped (tty output)"),
            (23, "Urgent I/O condition"),
            (24, "CPU time limit exceeded"),
            (25, "File size limit exceeded"),
            (26, "Virtual timer expired"),
            (27, "Profiling timer expired"),
            (28, "Window changed"),
            (29, "I/O possible"),
            (30, "Power failure"),
            (31, "Bad system call"),
            (32, "Unknown signal 32"),
            (33, "Unknown signal 33"),
            (34, "Real-time signal 0"),
            (35, "Real-time signal 1"),
            (64, "Real-time signal 30"),
            (65, "Unknown signal 65"),
            (0, "Unknown signal 0"),
            (-1, "Unknown signal -1"),
        ];
        for (signo, text) in cases {
            assert_eq!(signal_description(signo), text, "signal {signo}");
        }
    }

    #[test]
    fn every_nix_signal_has_a_named_description() {
        for signal in Signal::iterator() {
            let text = signal_description(signal as i32);
            assert!(!text.starts_with("Unknown"), "{signal:?}: {text}");
        }
    }
}
