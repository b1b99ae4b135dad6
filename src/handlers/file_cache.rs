//! A per-child cache of open files (and their memory maps), keyed by filesystem path.
//!
//! This is what makes a keep-alive GET of a small file cost one `stat` and one `writev`
//! instead of open + fstat + mmap + writev + munmap + close. Every use is validated by the
//! caller's `stat(path)` of that request: the entry is used only if device, inode, size,
//! mtime and ctime all still match (ctime catches chmod/chown, which leave mtime alone), so a
//! replaced, edited or re-permissioned file is reopened at once. Bounded in entries (open fds)
//! and in mapped bytes; the least recently used entry goes first.
//!
//! Entries hold nothing that depends on the configuration (no ETag, no Content-Type), so the
//! cache stays correct across generations in single-process mode.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::sys::mmap::MappedFile;

/// Most open files kept (each holds one fd).
pub const MAX_ENTRIES: usize = 128;

/// Threads of this process that each keep a cache (1 for prefork; threaded children set
/// theirs with [`share_between_threads`]): the entry limit is divided between them, so a
/// child's cached descriptors stay about [`MAX_ENTRIES`] (at least 16 per thread).
static THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// A threaded child runs `threads` caches: keep their open files within the child's budget.
pub fn share_between_threads(threads: usize) {
    THREADS.store(threads.max(1), std::sync::atomic::Ordering::Relaxed);
}

fn max_entries() -> usize {
    (MAX_ENTRIES / THREADS.load(std::sync::atomic::Ordering::Relaxed)).max(16)
}
/// Most bytes mapped at once across entries.
pub const MAX_MAPPED_BYTES: u64 = 64 << 20;
/// Files up to this size are sent as head + map in one `writev` when mmap is enabled.
pub const SMALL_FILE: u64 = 64 << 10;

/// What must not change for a cached entry to stay valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKey {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl FileKey {
    pub fn of(m: &Metadata) -> FileKey {
        FileKey {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// Modification time in microseconds (for ETags).
    pub fn mtime_us(&self) -> i64 {
        self.mtime.0 * 1_000_000 + self.mtime.1 / 1000
    }
}

/// An open file ready to be sent.
#[derive(Debug)]
pub struct CachedFile {
    pub key: FileKey,
    pub file: File,
    /// The whole file mapped, when the send strategy wants a map.
    pub map: Option<MappedFile>,
    last_used: u64,
}

impl CachedFile {
    pub fn len(&self) -> u64 {
        self.key.size
    }

    pub fn is_empty(&self) -> bool {
        self.key.size == 0
    }
}

/// How the file will be sent, which decides whether it should be mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendPolicy {
    pub enable_mmap: bool,
    pub enable_sendfile: bool,
}

impl SendPolicy {
    /// Small files are mapped (one writev); large ones only when sendfile is off and they fit
    /// the map budget.
    pub fn wants_map(self, size: u64) -> bool {
        self.enable_mmap
            && size > 0
            && (size <= SMALL_FILE || (!self.enable_sendfile && size <= MAX_MAPPED_BYTES))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Hit,
    HitUnmapped,
    Stale,
    Miss,
}

/// The cache itself (one per child, or per worker thread).
#[derive(Debug, Default)]
pub struct FileCache {
    entries: HashMap<Box<[u8]>, CachedFile>,
    clock: u64,
    mapped: u64,
}

impl FileCache {
    pub fn new() -> FileCache {
        FileCache::default()
    }

    /// Number of cached entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes currently mapped.
    pub fn mapped_bytes(&self) -> u64 {
        self.mapped
    }

    /// The open file at `path`, whose `stat` this request just returned `meta`: the cached one
    /// if still the same file, else freshly opened (and cached).
    pub fn open(
        &mut self,
        path: &[u8],
        meta: &Metadata,
        policy: SendPolicy,
    ) -> io::Result<&CachedFile> {
        self.clock += 1;
        let clock = self.clock;
        let key = FileKey::of(meta);
        let wants_map = policy.wants_map(key.size);
        let state = match self.entries.get_mut(path) {
            Some(e) if e.key == key => {
                e.last_used = clock;
                if wants_map && e.map.is_none() {
                    Lookup::HitUnmapped
                } else {
                    Lookup::Hit
                }
            }
            Some(_) => Lookup::Stale,
            None => Lookup::Miss,
        };
        match state {
            Lookup::Hit => return Ok(&self.entries[path]),
            Lookup::HitUnmapped => {}
            Lookup::Stale | Lookup::Miss => {
                if state == Lookup::Stale {
                    self.remove(path);
                }
                let mut entry = open_entry(path)?;
                entry.last_used = clock;
                self.make_room(path, 1, 0);
                self.entries.insert(path.into(), entry);
            }
        }
        // The opened file's own size decides (it may differ from the caller's stat).
        let size = self.entries[path].key.size;
        if policy.wants_map(size) && self.entries[path].map.is_none() {
            self.make_room(path, 0, size);
            let e = self.entries.get_mut(path).expect("entry present");
            if let Ok(map) = MappedFile::map(&e.file, size as usize) {
                self.mapped += size;
                e.map = Some(map);
            }
        }
        Ok(&self.entries[path])
    }

    /// The entry for `path` that [`FileCache::open`] made or validated for this request.
    pub fn get(&self, path: &[u8]) -> Option<&CachedFile> {
        self.entries.get(path)
    }

    /// Forgets `path` (e.g. after its stat failed).
    pub fn remove(&mut self, path: &[u8]) {
        if let Some(e) = self.entries.remove(path)
            && e.map.is_some()
        {
            self.mapped -= e.key.size;
        }
    }

    /// Evicts least recently used entries (never `keep`) until `add_entries` more entries and
    /// `map_bytes` more mapped bytes fit.
    fn make_room(&mut self, keep: &[u8], add_entries: usize, map_bytes: u64) {
        loop {
            let over_entries = self.entries.len() + add_entries > max_entries();
            let over_bytes = self.mapped + map_bytes > MAX_MAPPED_BYTES;
            if !over_entries && !over_bytes {
                return;
            }
            let victim = self
                .entries
                .iter()
                .filter(|(k, e)| &***k != keep && (over_entries || e.map.is_some()))
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            match victim {
                Some(k) => self.remove(&k),
                None => return,
            }
        }
    }
}

fn open_entry(path: &[u8]) -> io::Result<CachedFile> {
    let file = File::open(Path::new(std::ffi::OsStr::from_bytes(path)))?;
    // The key comes from the open file itself, so a rename between the caller's stat and this
    // open cannot pair one file's identity with another's contents.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "not a regular file",
        ));
    }
    Ok(CachedFile {
        key: FileKey::of(&meta),
        file,
        map: None,
        last_used: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tmpfile(name: &str, contents: &[u8]) -> Vec<u8> {
        let dir = std::env::temp_dir().join(format!("fcache-{}-{}", std::process::id(), name));
        let mut f = File::create(&dir).unwrap();
        f.write_all(contents).unwrap();
        dir.as_os_str().as_bytes().to_vec()
    }

    fn stat(p: &[u8]) -> Metadata {
        std::fs::metadata(Path::new(std::ffi::OsStr::from_bytes(p))).unwrap()
    }

    const MAP: SendPolicy = SendPolicy {
        enable_mmap: true,
        enable_sendfile: false,
    };

    #[test]
    fn hit_reuses_and_change_reopens() {
        let p = tmpfile("a", b"one");
        let mut c = FileCache::new();
        let ino1 = {
            let e = c.open(&p, &stat(&p), MAP).unwrap();
            assert_eq!(e.map.as_ref().unwrap().as_slice(), b"one");
            e.key.ino
        };
        assert_eq!(c.len(), 1);
        assert_eq!(c.mapped_bytes(), 3);
        assert_eq!(c.open(&p, &stat(&p), MAP).unwrap().key.ino, ino1);
        // Replace the file: new inode and size -> reopened.
        let tmp = tmpfile("a.new", b"second");
        std::fs::rename(
            std::ffi::OsStr::from_bytes(&tmp),
            std::ffi::OsStr::from_bytes(&p),
        )
        .unwrap();
        let e = c.open(&p, &stat(&p), MAP).unwrap();
        assert_eq!(e.map.as_ref().unwrap().as_slice(), b"second");
        assert_eq!(c.len(), 1);
        assert_eq!(c.mapped_bytes(), 6);
        c.remove(&p);
        assert!(c.is_empty());
        assert_eq!(c.mapped_bytes(), 0);
        std::fs::remove_file(std::ffi::OsStr::from_bytes(&p)).unwrap();
    }

    #[test]
    fn bounded_in_entries() {
        let mut c = FileCache::new();
        let paths: Vec<Vec<u8>> = (0..MAX_ENTRIES + 5)
            .map(|i| tmpfile(&format!("n{i}"), b"x"))
            .collect();
        for p in &paths {
            c.open(p, &stat(p), MAP).unwrap();
        }
        assert_eq!(c.len(), MAX_ENTRIES);
        assert_eq!(c.mapped_bytes(), MAX_ENTRIES as u64);
        for p in &paths {
            std::fs::remove_file(std::ffi::OsStr::from_bytes(p)).unwrap();
        }
    }

    #[test]
    fn policy_table() {
        let cases: &[(bool, bool, u64, bool)] = &[
            (true, false, 0, false),
            (true, false, 1024, true),
            (true, true, 1024, true),
            (true, true, SMALL_FILE + 1, false),
            (true, false, SMALL_FILE + 1, true),
            (true, false, MAX_MAPPED_BYTES + 1, false),
            (false, false, 1024, false),
        ];
        for &(enable_mmap, enable_sendfile, size, want) in cases {
            assert_eq!(
                SendPolicy {
                    enable_mmap,
                    enable_sendfile
                }
                .wants_map(size),
                want,
                "{enable_mmap} {enable_sendfile} {size}"
            );
        }
    }
}
