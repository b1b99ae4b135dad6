//! mpmd: a web server and process supervisor built on Apache httpd's multi-processing model.
//!
//! ```text
//!            mpmd master (single-threaded, never serves)
//!   holds: listeners, scoreboard (shared memory), config generation, spawn policy
//!   loop:  mio poll { signal wake pipe, 1 s tick } -> waitpid(WNOHANG) -> request -> policy
//!            | fork()                   | fork()             | pipe of death (1 byte = 1 idle child leaves)
//!            v                          v
//!   child (prefork): one connection at a time, blocking I/O, writes its own scoreboard slot
//! ```
//!
//! Signals to the master, with Apache's meanings:
//!
//! | signal    | meaning |
//! |-----------|---------|
//! | TERM, INT | stop now: children get TERM, then KILL after the reclaim schedule |
//! | HUP       | restart: config re-read, children terminated, scoreboard reset |
//! | USR1      | graceful restart: config re-read, old children finish their request |
//! | WINCH     | graceful stop, bounded by `graceful_shutdown_timeout` |
//!
//! Module map: `config` (TOML -> frozen `Config`), `master` (the supervisor: `policy`,
//! `reclaim` and `exit` decide, `effects` acts), `mpm` (what a child does), `scoreboard`
//! (shared memory), `http` and `handlers` (requests and files), `net` (listeners), `logging`
//! (error and access logs), `sys` (the unsafe fence), `cli` and `control` (the command line).
#![deny(unsafe_code)]

pub mod cli;
pub mod config;
pub mod control;
pub mod handlers;
pub mod http;
pub mod logging;
pub mod master;
pub mod mpm;
pub mod net;
pub mod proxy;
pub mod scoreboard;
pub mod status;
pub mod status_command;
pub mod sys;
