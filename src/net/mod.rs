//! Listening sockets: bound once by the master, inherited by children across fork, kept open
//! across graceful restarts.

pub mod listener;

pub use listener::{BindError, Listener, Listeners};
