//! One module per topic of the prefork foundation (issue 2).

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
mod tree;
