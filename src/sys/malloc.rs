//! The allocator's policy for large blocks in a child.
//!
//! glibc serves a block of 128 KiB or more with its own mapping and unmaps it on free, but
//! the first such free raises that threshold to the freed size ("dynamic mmap threshold").
//! From then on every block up to that size comes from the freeing thread's arena, which
//! keeps the pages: in a threaded child, one `?json` status page (some 400 KiB) served now
//! and then by each of its 25 threads left each arena holding it, and a whole event server
//! grew from 18 MiB to 56 MiB PSS over a benchmark polled once a second. Setting the
//! threshold explicitly turns the adjustment off, so large transient buffers go back to the
//! system when freed. Hot-path buffers are far smaller and unaffected.

/// glibc's default threshold, now fixed.
const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Fixes the mmap threshold (see the module doc). Call before the child starts threads.
pub fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters, under the allocator's own lock; the
    // call has no memory-safety preconditions.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
