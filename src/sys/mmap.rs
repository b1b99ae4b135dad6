//! Read-only memory maps of files, for the static file handler's `enable_mmap` path.
//!
//! The only `unsafe` the HTTP code needs lives here, behind [`MappedFile`]. A map is created
//! from an open file, shared read-only (`PROT_READ`, `MAP_SHARED`: the pages are the page cache
//! itself, so N children mapping the same file cost one copy of memory) and unmapped on drop.
//!
//! Caveat (the same one Apache documents for `EnableMMAP`): if another process truncates the
//! file while it is mapped, touching the vanished pages from user space raises SIGBUS, and a
//! file rewritten in place changes under the `&[u8]` this type hands out. mpmd never reads the
//! mapped bytes itself: it only passes them to `writev(2)`, where the kernel does the copy and a
//! vanished page becomes an `EFAULT` error on that one response instead of a signal. Operators
//! who edit files in place under load should set `enable_mmap = false`, as with Apache.

use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::num::NonZeroUsize;
use std::ptr::NonNull;

use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};

/// A read-only, shared mapping of the first `len` bytes of a file.
#[derive(Debug)]
pub struct MappedFile {
    ptr: NonNull<c_void>,
    len: NonZeroUsize,
}

// SAFETY: the mapping is read-only memory owned by this value alone (no aliasing `&mut` can
// exist: nothing ever writes through `ptr`), so moving it to or sharing it with another thread
// is as safe as doing so with a `Box<[u8]>`.
unsafe impl Send for MappedFile {}
// SAFETY: see `Send`: only shared, read-only access is ever given out.
unsafe impl Sync for MappedFile {}

impl MappedFile {
    /// Maps the first `len` bytes of `file` (which must be open for reading).
    /// `len` must be non-zero (an empty file has nothing to map: callers send no body).
    pub fn map(file: &File, len: usize) -> io::Result<MappedFile> {
        let len = NonZeroUsize::new(len)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "cannot map 0 bytes"))?;
        // SAFETY: we ask the kernel for a fresh mapping (addr = None), so no existing Rust
        // memory is replaced; the fd is valid for the call (borrowed `&File`) and the mapping
        // stays valid after the file is closed (mmap(2) holds its own reference). The pointer
        // returned is owned by the new `MappedFile` and unmapped exactly once, in `drop`.
        let ptr = unsafe {
            mmap(
                None,
                len,
                ProtFlags::PROT_READ,
                MapFlags::MAP_SHARED,
                file,
                0,
            )
        }
        .map_err(io::Error::from)?;
        Ok(MappedFile { ptr, len })
    }

    /// The mapped bytes. See the module doc for the truncation caveat.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` points to `len` readable bytes (PROT_READ mapping created in `map`)
        // that stay mapped until `self` is dropped, which the borrow of `self` prevents while
        // the slice lives. u8 has no alignment or validity requirements.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast::<u8>(), self.len.get()) }
    }

    /// Number of mapped bytes.
    pub fn len(&self) -> usize {
        self.len.get()
    }

    /// Always false (empty maps cannot be created); for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned in `map`, and this is the only
        // place they are unmapped; no slice borrowed from `self` can outlive this call.
        let _ = unsafe { munmap(self.ptr, self.len.get()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn maps_file_contents() {
        let path = std::env::temp_dir().join(format!("mmap-test-{}", std::process::id()));
        let mut f = File::create(&path).unwrap();
        f.write_all(b"hello mapped world").unwrap();
        drop(f);
        let f = File::open(&path).unwrap();
        let m = MappedFile::map(&f, 18).unwrap();
        drop(f);
        assert_eq!(m.as_slice(), b"hello mapped world");
        assert_eq!(m.len(), 18);
        std::fs::remove_file(&path).unwrap();
        assert!(MappedFile::map(&File::open("/dev/null").unwrap(), 0).is_err());
    }
}
