//! mod_autoindex: the page for a directory that has no index file, when `Indexes` is in the
//! effective options (else the caller answers 403, as Apache does).
//!
//! [`listing`] reads the directory (the only effect here) and hands plain data to the pure
//! parts: `query` (the `C= O= F= V= P=` arguments), `compare` (APR's natural order, glob and
//! size formatting) and `render` (the HTML). Which entries a listing shows is the caller's
//! decision through [`Visible`]: Apache lists an entry only if a sub-request for it would
//! succeed, so access rules (`.ht*` files, symlink options, `require`) hide entries exactly
//! where they would refuse them.

pub mod compare;
pub mod query;
pub mod render;

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub use query::{Format, ListingQuery};
pub use render::Entry;

/// The listing's Content-Type (mod_autoindex's default charset, no space before it).
pub const CONTENT_TYPE: &str = "text/html;charset=ISO-8859-1";

/// Whether an entry of the directory may be listed: its name, whether it is a symbolic link,
/// and its full path. Called before the entry is stat'ed.
pub type Visible<'v> = &'v dyn Fn(&[u8], bool, &Path) -> bool;

/// The parent entry's URL path (`ap_make_full_path(uri, "../")` normalized), `None` at the
/// root.
pub fn parent_of(uri: &[u8]) -> Option<Vec<u8>> {
    let trimmed = uri.strip_suffix(b"/").unwrap_or(uri);
    let cut = trimmed.iter().rposition(|&b| b == b'/')?;
    Some(trimmed[..=cut].to_vec())
}

/// Reads directory `dir` (a filesystem path) into entries: `.` and `..` are skipped, links
/// are followed (a broken one is skipped), only directories and regular files are kept, and
/// only names matching the `P=` pattern and allowed by `visible`. The parent entry is added
/// unless `uri` is the root. Unsorted.
pub fn read_entries(
    dir: &Path,
    uri: &[u8],
    q: &ListingQuery,
    visible: Visible<'_>,
) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    if let Some(parent) = parent_of(uri) {
        entries.push(Entry {
            name: parent,
            parent: true,
            size: None,
            mtime_us: None,
        });
    }
    let detailed = q.format != Format::Plain;
    for dirent in std::fs::read_dir(dir)? {
        let Ok(dirent) = dirent else { continue };
        let name = dirent.file_name();
        let name = name.as_bytes();
        if let Some(p) = &q.pattern
            && !compare::glob_match(p, name)
        {
            continue;
        }
        let path = dirent.path();
        let is_link = dirent.file_type().is_ok_and(|t| t.is_symlink());
        if !visible(name, is_link, &path) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let (is_dir, is_file) = (meta.is_dir(), meta.is_file());
        if !is_dir && !is_file {
            continue;
        }
        let mut listed = name.to_vec();
        if is_dir {
            listed.push(b'/');
        }
        entries.push(Entry {
            name: listed,
            parent: false,
            size: (detailed && is_file).then_some(meta.len()),
            mtime_us: detailed.then(|| meta.mtime() * 1_000_000 + meta.mtime_nsec() / 1000),
        });
    }
    Ok(entries)
}

/// The listing page of directory `dir`, served at URL path `uri` with query `args`, in the
/// configured `format` (the query may change it). `zone` gives the local UTC offset and zone
/// name of a Unix time, for the "Last modified" column.
pub fn listing(
    dir: &Path,
    uri: &[u8],
    args: Option<&[u8]>,
    format: Format,
    visible: Visible<'_>,
    zone: render::LocalZone<'_>,
) -> io::Result<Vec<u8>> {
    let q = query::parse(args, format);
    let mut entries = read_entries(dir, uri, &q, visible)?;
    entries.sort_by(|a, b| render::compare(a, b, &q));
    let mut out = Vec::with_capacity(1024 + entries.len() * 96);
    render::render(&mut out, uri, &entries, &q, zone);
    Ok(out)
}

/// The system's local time zone for listings: offset and abbreviation at `secs`.
pub fn system_zone(secs: i64) -> (i64, String) {
    let t = crate::sys::time::local_time(secs);
    (t.utc_offset, t.zone().to_string())
}

/// `dir` as a `Path` from bytes.
pub fn as_path(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

#[cfg(test)]
mod tests;
