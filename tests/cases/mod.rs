//! One module per topic: the prefork foundation (issue 2), the status page (issue 4), threaded
//! children (issue 5), the reverse proxy (issue 6).

mod autoindex;
mod config_errors;
mod crash;
mod daemon;
mod event_writes;
mod graceful;
mod modes;
mod negotiation;
mod proxy;
mod proxy_backend;
mod proxy_balancer;
mod proxy_balancing;
mod proxy_exporter;
mod ramp;
mod ranges;
mod recycle;
mod reload;
mod requests;
mod status;
mod status_event;
mod status_tools;
mod stop;
mod threads;
mod threads_merged;
mod tree;
