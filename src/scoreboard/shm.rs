//! The one shared mapping behind the scoreboard: anonymous `MAP_SHARED` memory, or a file
//! mapped `MAP_SHARED` when `scoreboard_file` is set (so tools can read it from outside).
//!
//! This is one of the two places allowed to use `unsafe` (the other is `src/sys/`): it turns
//! the mapping into references to the `#[repr(C)]` records of `layout.rs`. Created by the master
//! before the first fork; children inherit the mapping and never map it again.
#![allow(unsafe_code)]

use std::fs::OpenOptions;
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use nix::sys::mman::{MapFlags, ProtFlags, mmap, mmap_anonymous, munmap};

use super::layout::{BlockLayout, GlobalRecord, ProcessRecord, WorkerRecord};
use super::proxy_records::ProxyRecord;

/// Why the shared memory could not be set up.
#[derive(Debug)]
pub enum ShmError {
    /// The scoreboard file could not be created or sized.
    File { path: PathBuf, source: io::Error },
    /// mmap itself failed.
    Map { size: usize, source: nix::Error },
    /// An existing file is not a scoreboard of this layout (wrong magic or size).
    Foreign { path: PathBuf, detail: String },
}

impl std::fmt::Display for ShmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShmError::File { path, source } => write!(
                f,
                "could not create scoreboard file {}: {source}",
                path.display()
            ),
            ShmError::Map { size, source } => {
                write!(f, "could not map {size} bytes of shared memory: {source}")
            }
            ShmError::Foreign { path, detail } => {
                write!(f, "{} is not an mpmd scoreboard: {detail}", path.display())
            }
        }
    }
}

impl std::error::Error for ShmError {}

/// A shared mapping holding one scoreboard block.
pub struct SharedBlock {
    base: NonNull<u8>,
    layout: BlockLayout,
    server_limit: usize,
    thread_limit: usize,
}

// SAFETY: the block holds only atomics (see `layout.rs`), reached through `&` references
// handed out by the methods below; any number of threads may read and write atomics through
// shared references. The mapping itself is owned: it is unmapped once, in `Drop`.
unsafe impl Send for SharedBlock {}
// SAFETY: as above: every access through `&SharedBlock` is an atomic operation on the records.
unsafe impl Sync for SharedBlock {}

impl SharedBlock {
    /// Maps a zeroed block for `server_limit x thread_limit` workers.
    pub fn create(
        server_limit: usize,
        thread_limit: usize,
        file: Option<&Path>,
    ) -> Result<SharedBlock, ShmError> {
        let layout = BlockLayout::new(server_limit, thread_limit);
        let size = NonZeroUsize::new(layout.total).expect("scoreboard is never empty");
        let prot = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        let base = match file {
            None => {
                // SAFETY: a fresh anonymous mapping aliases no Rust object; the kernel zero-fills
                // it, which is a valid value for every record (they hold only atomics). We own
                // it until `Drop` unmaps it.
                unsafe { mmap_anonymous(None, size, prot, MapFlags::MAP_SHARED) }.map_err(
                    |source| ShmError::Map {
                        size: layout.total,
                        source,
                    },
                )?
            }
            Some(path) => {
                let file_err = |source| ShmError::File {
                    path: path.to_path_buf(),
                    source,
                };
                // Apache removes any existing scoreboard file first.
                match std::fs::remove_file(path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(file_err(e)),
                }
                let handle = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .map_err(file_err)?;
                handle.set_len(layout.total as u64).map_err(file_err)?;
                // SAFETY: the file was just created and extended with zeros, so the mapping
                // holds valid (all-zero) records; nobody else maps it with another layout. The
                // mapping outlives the file handle, which is closed at the end of this block.
                unsafe { mmap(None, size, prot, MapFlags::MAP_SHARED, handle.as_fd(), 0) }.map_err(
                    |source| ShmError::Map {
                        size: layout.total,
                        source,
                    },
                )?
            }
        };
        Ok(SharedBlock {
            base: base.cast(),
            layout,
            server_limit,
            thread_limit,
        })
    }

    /// Maps an existing scoreboard file read-only (for `mpmd -S`). The limits come from the
    /// file's global record; the magic and the file size must match this layout. The caller
    /// must never store through the records of a block opened this way (the mapping is
    /// `PROT_READ`: a store would fault); `super::ScoreboardView` only reads.
    pub fn open_read_only(path: &Path) -> Result<SharedBlock, ShmError> {
        let file_err = |source| ShmError::File {
            path: path.to_path_buf(),
            source,
        };
        let foreign = |detail: String| ShmError::Foreign {
            path: path.to_path_buf(),
            detail,
        };
        let handle = OpenOptions::new().read(true).open(path).map_err(file_err)?;
        let len = handle.metadata().map_err(file_err)?.len() as usize;
        let mut head = [0u8; 16];
        std::io::Read::read_exact(&mut &handle, &mut head)
            .map_err(|_| foreign(format!("{len} bytes, shorter than a global record")))?;
        let magic = u64::from_le_bytes(head[0..8].try_into().expect("8 bytes"));
        if magic != super::layout::MAGIC {
            return Err(foreign(format!(
                "magic {magic:#018x}, expected {:#018x} (written by another mpmd version?)",
                super::layout::MAGIC
            )));
        }
        let server_limit = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes")) as usize;
        let thread_limit = u32::from_le_bytes(head[12..16].try_into().expect("4 bytes")) as usize;
        let layout = BlockLayout::new(server_limit, thread_limit);
        if server_limit == 0 || thread_limit == 0 || layout.total != len {
            return Err(foreign(format!(
                "{len} bytes for {server_limit} x {thread_limit} slots (expected {})",
                layout.total
            )));
        }
        let size = NonZeroUsize::new(len).expect("checked non-empty");
        // SAFETY: the file holds a block of exactly this layout (magic and size checked); every
        // record is made of atomics, valid for any bit pattern the writer leaves. The mapping is
        // read-only and only ever read (see the doc comment); it outlives the file handle.
        let base = unsafe {
            mmap(
                None,
                size,
                ProtFlags::PROT_READ,
                MapFlags::MAP_SHARED,
                handle.as_fd(),
                0,
            )
        }
        .map_err(|source| ShmError::Map { size: len, source })?;
        Ok(SharedBlock {
            base: base.cast(),
            layout,
            server_limit,
            thread_limit,
        })
    }

    pub fn server_limit(&self) -> usize {
        self.server_limit
    }

    pub fn thread_limit(&self) -> usize {
        self.thread_limit
    }

    /// The global record.
    pub fn global(&self) -> &GlobalRecord {
        // SAFETY: offset 0 of a mapping of at least `layout.total` bytes, page-aligned; the record
        // holds only atomics, so shared references from several processes are sound.
        unsafe { &*self.base.as_ptr().cast::<GlobalRecord>() }
    }

    /// The process record of `slot`. Panics if `slot >= server_limit`.
    pub fn process(&self, slot: usize) -> &ProcessRecord {
        assert!(slot < self.server_limit, "process slot {slot} out of range");
        // SAFETY: in bounds by the assert and `BlockLayout`; 8-byte aligned; atomics only.
        unsafe {
            &*self
                .base
                .as_ptr()
                .add(self.layout.processes_offset)
                .cast::<ProcessRecord>()
                .add(slot)
        }
    }

    /// The worker record of (`slot`, `thread`). Panics when out of range.
    pub fn worker(&self, slot: usize, thread: usize) -> &WorkerRecord {
        assert!(
            slot < self.server_limit && thread < self.thread_limit,
            "worker slot {slot}/{thread} out of range"
        );
        // SAFETY: in bounds by the assert and `BlockLayout`; 8-byte aligned; atomics only.
        unsafe {
            &*self
                .base
                .as_ptr()
                .add(self.layout.workers_offset)
                .cast::<WorkerRecord>()
                .add(slot * self.thread_limit + thread)
        }
    }
}

impl Drop for SharedBlock {
    fn drop(&mut self) {
        // SAFETY: `base` came from a successful mmap of `layout.total` bytes and no reference
        // into it outlives `self` (every accessor borrows `self`).
        let _ = unsafe { munmap(self.base.cast(), self.layout.total) };
    }
}

/// The reverse proxy's shared mapping: `capacity` zeroed [`ProxyRecord`]s (anonymous
/// `MAP_SHARED`). Created once by the master and never unmapped while the process lives.
pub struct ProxyBlock {
    base: NonNull<ProxyRecord>,
    capacity: usize,
}

// SAFETY: the block holds only atomics (`ProxyRecord`), reached through shared references;
// any thread of any process may operate on them. The mapping is owned and unmapped in `Drop`.
unsafe impl Send for ProxyBlock {}
// SAFETY: as above: every access through `&ProxyBlock` is an atomic operation.
unsafe impl Sync for ProxyBlock {}

impl ProxyBlock {
    /// Maps `capacity` zeroed records (capacity > 0).
    pub fn create(capacity: usize) -> Result<ProxyBlock, ShmError> {
        let bytes = capacity.max(1) * std::mem::size_of::<ProxyRecord>();
        let size = NonZeroUsize::new(bytes).expect("non-empty");
        let prot = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        // SAFETY: a fresh anonymous mapping aliases no Rust object; the kernel zero-fills it,
        // a valid value for `ProxyRecord` (atomics only). Owned until `Drop` unmaps it.
        let base = unsafe { mmap_anonymous(None, size, prot, MapFlags::MAP_SHARED) }.map_err(
            |source| ShmError::Map {
                size: bytes,
                source,
            },
        )?;
        Ok(ProxyBlock {
            base: base.cast(),
            capacity: capacity.max(1),
        })
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Record `i`. Panics if `i >= capacity`.
    pub fn record(&self, i: usize) -> &ProxyRecord {
        assert!(i < self.capacity, "proxy record {i} out of range");
        // SAFETY: in bounds by the assert; page-aligned base, `repr(C)` records of atomics, so
        // shared references from several threads and processes are sound.
        unsafe { &*self.base.as_ptr().add(i) }
    }
}

impl Drop for ProxyBlock {
    fn drop(&mut self) {
        // SAFETY: `base` came from a successful mmap of exactly this size, and no reference
        // into it outlives `self` (every accessor borrows `self`).
        let _ = unsafe {
            munmap(
                self.base.cast(),
                self.capacity * std::mem::size_of::<ProxyRecord>(),
            )
        };
    }
}
