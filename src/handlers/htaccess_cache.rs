//! Parsed `.htaccess` files, cached per child and keyed by path. Each use costs one `stat`:
//! the entry is reused while device, inode, size, mtime and ctime are unchanged, so an edited
//! file is re-read at once. A file that may not be applied (bad syntax, or a directive its
//! directory's AllowOverride does not allow) is logged once per version of the file.
//!
//! Apache's outcomes: missing (ENOENT, ENOTDIR) = no file; any other failure to stat, open or
//! read = 403; not applicable = 500.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::config::{AllowOverride, DirSettings};
use crate::handlers::htaccess::{Htaccess, check_allowed, parse};

/// Most files kept; beyond it the cache starts over (a tree rarely has this many).
const MAX_ENTRIES: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Version {
    fn of(m: &std::fs::Metadata) -> Version {
        Version {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

#[derive(Debug)]
struct Entry {
    version: Version,
    parsed: Htaccess,
    /// The error was logged for this version.
    reported: bool,
}

/// What a directory's access file says.
#[derive(Debug)]
pub enum Access<'a> {
    /// No such file.
    Absent,
    /// Apply these settings.
    Apply(&'a DirSettings),
    /// It cannot be read: 403.
    Forbidden,
    /// It may not be applied: 500 (the reason is in the error log).
    Invalid,
}

/// The per-child cache.
#[derive(Debug, Default)]
pub struct HtaccessCache {
    entries: HashMap<Box<[u8]>, Entry>,
}

fn as_path(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

fn missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

impl HtaccessCache {
    pub fn new() -> HtaccessCache {
        HtaccessCache::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The file at `path` (absolute), judged under `allow` (the directory's AllowOverride).
    pub fn load(&mut self, path: &[u8], allow: &AllowOverride) -> Access<'_> {
        let meta = match std::fs::metadata(as_path(path)) {
            Ok(m) => m,
            Err(e) if missing(&e) => {
                self.entries.remove(path);
                return Access::Absent;
            }
            Err(e) => return unreadable(path, &e),
        };
        if !meta.is_file() {
            let e = io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
            return unreadable(path, &e);
        }
        let version = Version::of(&meta);
        let fresh = self.entries.get(path).is_some_and(|e| e.version == version);
        if !fresh {
            let text = match std::fs::read(as_path(path)) {
                Ok(bytes) => bytes,
                Err(e) if missing(&e) => return Access::Absent,
                Err(e) => return unreadable(path, &e),
            };
            if self.entries.len() >= MAX_ENTRIES {
                self.entries.clear();
            }
            let parsed = parse(&String::from_utf8_lossy(&text));
            self.entries.insert(
                path.into(),
                Entry {
                    version,
                    parsed,
                    reported: false,
                },
            );
        }
        let entry = self.entries.get_mut(path).expect("entry just checked");
        match check_allowed(&entry.parsed, allow) {
            Ok(()) => Access::Apply(&entry.parsed.settings),
            Err(e) => {
                if !entry.reported {
                    entry.reported = true;
                    log::error!(
                        "{}:{}: {}",
                        String::from_utf8_lossy(path),
                        e.line,
                        e.message
                    );
                }
                Access::Invalid
            }
        }
    }
}

/// Apache's AH00529 for an access file that exists but cannot be read.
fn unreadable(path: &[u8], e: &io::Error) -> Access<'static> {
    let path = String::from_utf8_lossy(path);
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    log::error!(
        "{path}: unable to check htaccess file ({e}), ensure it is readable and that '{dir}/' \
         is executable"
    );
    Access::Forbidden
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::test_support::TempDir;

    fn allow_all() -> AllowOverride {
        AllowOverride::ALL
    }

    #[test]
    fn absent_applied_invalid_and_reloaded() {
        let dir = TempDir::new("htcache");
        let file = dir.path.join(".htaccess");
        let path = file.as_os_str().as_bytes().to_vec();
        let mut cache = HtaccessCache::new();
        assert!(matches!(cache.load(&path, &allow_all()), Access::Absent));
        // Under a file (ENOTDIR) is absent too.
        let under = [path.as_slice(), b"/x"].concat();
        std::fs::write(&file, "DirectoryIndex a.html\n").unwrap();
        assert!(matches!(cache.load(&under, &allow_all()), Access::Absent));
        match cache.load(&path, &allow_all()) {
            Access::Apply(s) => assert_eq!(
                s.directory_index.as_deref(),
                Some(&["a.html".to_string()][..])
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(cache.len(), 1);
        // Not allowed where the directory's AllowOverride lacks Indexes.
        let file_info = AllowOverride {
            file_info: true,
            ..AllowOverride::NONE
        };
        assert!(matches!(cache.load(&path, &file_info), Access::Invalid));
        // A new version (different size) is re-read.
        std::fs::write(&file, "DirectoryIndex b.html c.html\n").unwrap();
        match cache.load(&path, &allow_all()) {
            Access::Apply(s) => assert_eq!(s.directory_index.as_ref().map(Vec::len), Some(2)),
            other => panic!("{other:?}"),
        }
        std::fs::write(&file, "Bogus\n").unwrap();
        assert!(matches!(cache.load(&path, &allow_all()), Access::Invalid));
        std::fs::remove_file(&file).unwrap();
        assert!(matches!(cache.load(&path, &allow_all()), Access::Absent));
        assert!(cache.is_empty());
        // A directory where the file should be cannot be read: 403.
        std::fs::create_dir(&file).unwrap();
        assert!(matches!(cache.load(&path, &allow_all()), Access::Forbidden));
    }
}
