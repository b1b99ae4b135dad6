//! One module per topic: the prefork foundation (issue 2), threaded children (issue 5).

mod config_errors;
mod crash;
mod daemon;
mod graceful;
mod modes;
mod ramp;
mod recycle;
mod reload;
mod requests;
mod stop;
mod threads;
mod tree;
