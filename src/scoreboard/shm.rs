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

/// Why the shared memory could not be set up.
#[derive(Debug)]
pub enum ShmError {
    /// The scoreboard file could not be created or sized.
    File { path: PathBuf, source: io::Error },
    /// mmap itself failed.
    Map { size: usize, source: nix::Error },
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
