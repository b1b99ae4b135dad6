//! Multi-processing modules: what a child process does between fork and exit.
//!
//! Only prefork exists today; worker and event (threaded children) come with their own issue
//! and are rejected by the configuration until then.

pub mod prefork;
