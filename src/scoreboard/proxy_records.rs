//! The layout of the reverse proxy's shared records: one per backend worker (ProxyPass target
//! or balancer member) and one per balancer, in a fixed-capacity array mapped `MAP_SHARED` by
//! the master before its first fork (`shm.rs`), so every child of every generation sees the
//! same error state and balancer counters.
//!
//! Every field is an atomic (a zeroed record is a free one). The name is written only by the
//! single-threaded master while it builds a generation, before that generation forks; children
//! only read it. What the fields mean and who changes them is `crate::proxy::shared`'s business.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64};

/// Bytes of a worker name kept (longer names are told apart by length and hash).
pub const NAME_BYTES: usize = 192;
const NAME_WORDS: usize = NAME_BYTES / 8;

/// One worker's or balancer's shared state.
#[repr(C)]
#[derive(Debug, Default)]
pub struct ProxyRecord {
    /// 1 once the master gave the record a name.
    pub used: AtomicU32,
    /// Length of the full name.
    pub name_len: AtomicU32,
    /// FNV-1a of the full name.
    pub name_hash: AtomicU64,
    /// The first [`NAME_BYTES`] bytes of the name, little-endian in each word.
    pub name: [AtomicU64; NAME_WORDS],
    /// The attach epoch (configuration load) that last used the record.
    pub epoch: AtomicU64,
    /// When the worker entered error state (µs since the epoch); 0 = usable.
    pub error_time_us: AtomicU64,
    /// From when one request may try the worker again (µs since the epoch).
    pub retry_at_us: AtomicU64,
    /// Times the worker was retried since it last worked.
    pub retries: AtomicU64,
    /// byrequests' weighted round-robin status.
    pub lbstatus: AtomicI64,
    /// Requests in flight.
    pub busy: AtomicU64,
    /// Requests the member was chosen for.
    pub elected: AtomicU64,
    /// Bytes sent to the backend.
    pub transferred: AtomicU64,
    /// Bytes read from the backend.
    pub read: AtomicU64,
    /// A balancer's lock word (0 free, else the holder's pid) for updating its members'
    /// lbstatus together.
    pub lock: AtomicU32,
    /// Member status flags changed at run time (reserved).
    pub status_flags: AtomicU32,
    /// Backend connections opened.
    pub connections_opened: AtomicU64,
    /// Requests forwarded.
    pub requests: AtomicU64,
}

/// Default number of records in the mapping.
pub const PROXY_RECORDS: usize = 512;
