//! httpd-style command line: `-f CONF -k VERB -t -S -X -D NAME -v -V -h`.
//!
//! Parsing is pure (argv in, [`Command`] out) so it is table-tested; running a command lives in
//! `control.rs`.

use std::path::PathBuf;

/// What the process was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Start the server (`-k start` or no `-k`).
    Start(StartMode),
    /// `-k stop|graceful|restart|graceful-stop`.
    Signal(Verb),
    /// `-t`: check the configuration.
    ConfigTest,
    /// `-S`: print the running server's status (`?auto` lines).
    ShowStatus,
    /// `-v`.
    Version,
    /// `-V`.
    Settings,
    /// `-h`.
    Help,
}

/// How `start` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartMode {
    /// Stay attached (`-D FOREGROUND`, `-D NO_DETACH`, or `-X`).
    pub foreground: bool,
    /// No fork at all: one child loop in the master (`-X`, `-D ONE_PROCESS`).
    pub single_process: bool,
    /// Came from `-k start`: report "already running" instead of failing on the bind.
    pub checked_start: bool,
}

/// `-k` verbs other than start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Stop,
    Graceful,
    Restart,
    GracefulStop,
}

/// A parsed invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub config: PathBuf,
    pub command: Command,
}

/// The default configuration file, relative to the working directory.
pub const DEFAULT_CONFIG: &str = "conf/mpmd.toml";

pub const USAGE: &str = "\
usage: mpmd [-f CONF] [-D NAME] [-k start|stop|restart|graceful|graceful-stop] [-t] [-S] [-X] [-v] [-V] [-h]
  -f CONF    configuration file (default conf/mpmd.toml)
  -D NAME    define: FOREGROUND (do not detach), NO_DETACH, ONE_PROCESS (like -X)
  -k VERB    control a running server through its pid file
  -t         check the configuration, print warnings and \"Syntax OK\"
  -S         print the running server's status and scoreboard (server-status?auto)
  -X         debug: run one child loop in the foreground, no fork
  -v         print the version
  -V         print the version and build settings
  -h         this help";

/// Parses argv (without the program name).
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Invocation, String> {
    let mut config = PathBuf::from(DEFAULT_CONFIG);
    let mut verb: Option<String> = None;
    let mut test = false;
    let mut show_status = false;
    let mut version = false;
    let mut settings = false;
    let mut help = false;
    let mut mode = StartMode {
        foreground: false,
        single_process: false,
        checked_start: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("option {flag} needs an argument\n{USAGE}"))
        };
        match arg.as_str() {
            "-f" => config = PathBuf::from(value("-f")?),
            "-k" => verb = Some(value("-k")?),
            "-D" => match value("-D")?.as_str() {
                "FOREGROUND" | "NO_DETACH" => mode.foreground = true,
                "ONE_PROCESS" | "DEBUG" => {
                    mode.foreground = true;
                    mode.single_process = true;
                }
                other => {
                    return Err(format!(
                        "unknown define -D {other} (known: FOREGROUND, NO_DETACH, ONE_PROCESS)"
                    ));
                }
            },
            "-X" => {
                mode.foreground = true;
                mode.single_process = true;
            }
            "-t" => test = true,
            "-S" => show_status = true,
            "-v" => version = true,
            "-V" => settings = true,
            "-h" | "--help" | "-?" => help = true,
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let command = if help {
        Command::Help
    } else if version {
        Command::Version
    } else if settings {
        Command::Settings
    } else if test {
        Command::ConfigTest
    } else if show_status {
        Command::ShowStatus
    } else {
        match verb.as_deref() {
            None => Command::Start(mode),
            Some("start") => Command::Start(StartMode {
                checked_start: true,
                ..mode
            }),
            Some("stop") => Command::Signal(Verb::Stop),
            Some("graceful") => Command::Signal(Verb::Graceful),
            Some("restart") => Command::Signal(Verb::Restart),
            Some("graceful-stop") => Command::Signal(Verb::GracefulStop),
            Some(other) => {
                return Err(format!(
                    "unknown -k verb {other:?} (start, stop, restart, graceful, graceful-stop)"
                ));
            }
        }
    };
    Ok(Invocation { config, command })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Invocation, String> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn invocations() {
        let daemon = StartMode {
            foreground: false,
            single_process: false,
            checked_start: false,
        };
        let fg = StartMode {
            foreground: true,
            ..daemon
        };
        let single = StartMode {
            foreground: true,
            single_process: true,
            ..daemon
        };
        let cases: &[(&str, &str, Command)] = &[
            ("", DEFAULT_CONFIG, Command::Start(daemon)),
            ("-f a.toml", "a.toml", Command::Start(daemon)),
            ("-f a.toml -D FOREGROUND", "a.toml", Command::Start(fg)),
            ("-X", DEFAULT_CONFIG, Command::Start(single)),
            ("-D ONE_PROCESS", DEFAULT_CONFIG, Command::Start(single)),
            (
                "-k start",
                DEFAULT_CONFIG,
                Command::Start(StartMode {
                    checked_start: true,
                    ..daemon
                }),
            ),
            ("-k stop", DEFAULT_CONFIG, Command::Signal(Verb::Stop)),
            (
                "-k graceful",
                DEFAULT_CONFIG,
                Command::Signal(Verb::Graceful),
            ),
            ("-k restart", DEFAULT_CONFIG, Command::Signal(Verb::Restart)),
            (
                "-k graceful-stop",
                DEFAULT_CONFIG,
                Command::Signal(Verb::GracefulStop),
            ),
            ("-t -f x", "x", Command::ConfigTest),
            ("-f x -S", "x", Command::ShowStatus),
            ("-v", DEFAULT_CONFIG, Command::Version),
            ("-V", DEFAULT_CONFIG, Command::Settings),
            ("-h", DEFAULT_CONFIG, Command::Help),
        ];
        for (line, config, command) in cases {
            let inv = parse_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(&inv.command, command, "{line}");
            assert_eq!(inv.config, PathBuf::from(config), "{line}");
        }
    }

    #[test]
    fn errors() {
        for line in ["-f", "-k", "-k bogus", "-q", "-D WHAT"] {
            assert!(parse_str(line).is_err(), "{line}");
        }
    }
}
