//! The reverse proxy (mod_proxy, mod_proxy_balancer). This part: the pure balancer logic
//! (`balance`: member selection; `sticky`: session routes) and the balancer-manager
//! rendering (`manager_page`). They do no I/O and touch no shared memory; the engine copies
//! the shared counters in and out around them.

pub mod balance;
pub mod manager_page;
pub mod sticky;
