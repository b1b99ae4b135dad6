//! Multi-processing modules: what a child process does between fork and exit.
//!
//! `prefork`: one connection per process. `worker` and `event` (threaded children) share
//! `threaded` (start-up, worker records, the main thread's pipe-of-death watch) and `pool`
//! (the hand-off from the listener thread to worker threads); `event` parks idle keep-alive
//! connections in its listener's poller.

pub mod event;
mod event_table;
mod pool;
pub mod prefork;
mod slot_observer;
pub mod threaded;
pub mod worker;
