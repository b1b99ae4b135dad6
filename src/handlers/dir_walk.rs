//! Apache's directory walk (`ap_directory_walk`) under the document root: for each directory
//! from the root down to the target's, merge the `[[directory]]` sections for exactly that
//! directory, then its `.htaccess` (if AllowOverride lets one in); before stepping into the
//! next component, check it for a symlink as that directory's options say.
//!
//! [`DirTree`] is built once per generation: the configuration at the document root (the
//! `[files]` base with every section at or above it) and, for sections below it, their
//! pre-merged chains. With Apache's defaults (FollowSymLinks, AllowOverride None, no section
//! below the root) an existing target needs no walk at all: not one extra syscall. Otherwise
//! the only syscalls are the ones Apache makes: an `lstat` per component unless the options
//! are FollowSymLinks alone (or the target is missing), a `stat` per access file name per
//! directory while `.htaccess` files are allowed. Symlink checks are Apache's
//! `resolve_symlink`: no option -> 403; FollowSymLinks -> the target must exist;
//! SymLinksIfOwnerMatch -> the link and its target must have the same owner.

use std::ffi::OsStr;
use std::fs::{FileType, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::config::{DirConfig, DirSettings, FilesConfig, Options};
use crate::handlers::htaccess_cache::{Access, HtaccessCache};

/// The effective configuration of a directory: shared from the [`DirTree`] when nothing was
/// merged during the walk (the common case), else owned.
#[derive(Debug, Clone, PartialEq)]
pub enum DirRef<'t> {
    Shared(&'t DirConfig),
    Owned(Box<DirConfig>),
}

impl std::ops::Deref for DirRef<'_> {
    type Target = DirConfig;

    fn deref(&self) -> &DirConfig {
        match self {
            DirRef::Shared(c) => c,
            DirRef::Owned(c) => c,
        }
    }
}

impl DirRef<'_> {
    pub fn into_owned(self) -> DirConfig {
        match self {
            DirRef::Shared(c) => c.clone(),
            DirRef::Owned(c) => *c,
        }
    }
}

/// A section below the document root.
#[derive(Debug)]
struct Below {
    /// Path relative to the document root, with a leading `/` (`/a/b`).
    rel: Box<[u8]>,
    settings: DirSettings,
    /// The root configuration with every section from the root down to (and including) this
    /// one merged: the result when no `.htaccess` was merged on the way.
    chained: DirConfig,
}

/// The per-generation view of the document tree's configuration.
#[derive(Debug)]
pub struct DirTree {
    /// The `[files]` base alone (Apache's server config: what applies when the walk fails).
    base: DirConfig,
    /// At the document root, before its `.htaccess`.
    root: DirConfig,
    below: Vec<Below>,
    access_file_name: Vec<String>,
    walk_needed: bool,
}

/// What the full `stat` of the target found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Dir,
    /// A regular file, or something else (refused later).
    NotDir,
    /// ENOENT / ENOTDIR: the walk stops at the first missing component.
    Missing,
}

/// `a` is `b` or one of its ancestors (component-wise).
fn is_ancestor_or_self(a: &[u8], b: &[u8]) -> bool {
    b.starts_with(a) && (b.len() == a.len() || b[a.len()] == b'/')
}

fn as_path(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

impl DirTree {
    pub fn new(files: &FilesConfig) -> DirTree {
        let docroot = files.document_root.as_path();
        let base = DirConfig::base(files);
        let mut root = base.clone();
        let mut below: Vec<Below> = Vec::new();
        for section in &files.directories {
            if docroot.starts_with(&section.path) {
                root = root.merge(&section.settings);
            } else if let Ok(rest) = section.path.strip_prefix(docroot) {
                let mut rel = Vec::new();
                for c in rest.components() {
                    rel.push(b'/');
                    rel.extend_from_slice(c.as_os_str().as_bytes());
                }
                below.push(Below {
                    rel: rel.into(),
                    settings: section.settings.clone(),
                    chained: root.clone(),
                });
            }
        }
        // Sections are sorted by depth, so each one's ancestors come before it.
        for k in 0..below.len() {
            let mut chained = root.clone();
            for j in 0..=k {
                if is_ancestor_or_self(&below[j].rel, &below[k].rel) {
                    chained = chained.merge(&below[j].settings);
                }
            }
            below[k].chained = chained;
        }
        let walk_needed = !below.is_empty()
            || root.allow_override.any()
            || !root.options.follows_symlinks_unchecked();
        DirTree {
            base,
            root,
            below,
            access_file_name: files.access_file_name.clone(),
            walk_needed,
        }
    }

    /// The server-wide configuration (for errors found before the walk completed).
    pub fn base(&self) -> &DirConfig {
        &self.base
    }

    /// The configuration at the document root, before its `.htaccess`.
    pub fn root(&self) -> &DirConfig {
        &self.root
    }

    /// Walks from `root` (the document root, no trailing slash) along `url_path` (decoded,
    /// normalized) and returns the configuration for the target's directory (the target
    /// itself if it is a directory), or the status that ends the request (403, 500).
    /// `buf` is scratch space.
    pub fn walk<'t>(
        &'t self,
        htaccess: &mut HtaccessCache,
        root: &[u8],
        url_path: &[u8],
        target: TargetKind,
        buf: &mut Vec<u8>,
    ) -> Result<DirRef<'t>, u16> {
        if !self.walk_needed && target != TargetKind::Missing {
            return Ok(DirRef::Shared(&self.root));
        }
        let mut state = Walk {
            tree: self,
            config: DirRef::Shared(&self.root),
            pure: true,
        };
        buf.clear();
        buf.extend_from_slice(root);
        let rel_start = buf.len();
        state.enter(htaccess, buf, rel_start)?;
        let comps: Vec<&[u8]> = url_path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        for (i, comp) in comps.iter().enumerate() {
            buf.push(b'/');
            buf.extend_from_slice(comp);
            let last = i + 1 == comps.len();
            let options = state.config.options;
            if options.follows_symlinks_unchecked() && target != TargetKind::Missing {
                // Apache's first optimization: the full stat succeeded, so every component
                // up to the target is a directory; no lstat.
                if last && target != TargetKind::Dir {
                    break;
                }
            } else {
                match component_type(buf, options)? {
                    None => break,
                    Some(t) if t.is_dir() => {}
                    Some(t) if t.is_file() => break,
                    Some(_) => {
                        log::error!(
                            "Forbidden: {} doesn't point to a file or directory",
                            String::from_utf8_lossy(buf)
                        );
                        return Err(403);
                    }
                }
            }
            state.enter(htaccess, buf, rel_start)?;
        }
        Ok(state.config)
    }
}

/// The walk in progress.
struct Walk<'t> {
    tree: &'t DirTree,
    config: DirRef<'t>,
    /// No `.htaccess` merged yet, so the sections' pre-merged chains apply as they are.
    pure: bool,
}

impl Walk<'_> {
    /// Merges the directory `buf` (absolute; relative part from `rel_start`): its sections,
    /// then its access file.
    fn enter(
        &mut self,
        htaccess: &mut HtaccessCache,
        buf: &mut Vec<u8>,
        rel_start: usize,
    ) -> Result<(), u16> {
        let rel = &buf[rel_start..];
        if !rel.is_empty() {
            for section in self.tree.below.iter().filter(|s| &*s.rel == rel) {
                self.config = if self.pure {
                    DirRef::Shared(&section.chained)
                } else {
                    DirRef::Owned(Box::new(self.config.merge(&section.settings)))
                };
            }
        }
        let allow = self.config.allow_override;
        if !allow.any() {
            return Ok(());
        }
        let dir_len = buf.len();
        for name in &self.tree.access_file_name {
            buf.truncate(dir_len);
            buf.push(b'/');
            buf.extend_from_slice(name.as_bytes());
            let outcome: Result<Option<DirConfig>, u16> = match htaccess.load(buf, &allow) {
                Access::Absent => continue,
                Access::Apply(settings) => Ok(Some(self.config.merge(settings))),
                Access::Forbidden => Err(403),
                Access::Invalid => Err(500),
            };
            buf.truncate(dir_len);
            if let Some(merged) = outcome? {
                self.config = DirRef::Owned(Box::new(merged));
                self.pure = false;
            }
            return Ok(());
        }
        buf.truncate(dir_len);
        Ok(())
    }
}

/// `lstat` of one component and, for a symlink, Apache's `resolve_symlink` under `options`:
/// the type of what it leads to, `None` if it does not exist, or 403.
fn component_type(path: &[u8], options: Options) -> Result<Option<FileType>, u16> {
    let meta = match std::fs::symlink_metadata(as_path(path)) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            log::error!("access to {} failed: {e}", String::from_utf8_lossy(path));
            return Err(403);
        }
    };
    if !meta.file_type().is_symlink() {
        return Ok(Some(meta.file_type()));
    }
    symlink_target(path, &meta, options).map(|m| Some(m.file_type()))
}

/// Apache's `resolve_symlink` for the link at `path` (its `lstat` is `link`).
fn symlink_target(path: &[u8], link: &Metadata, options: Options) -> Result<Metadata, u16> {
    let refuse = || {
        log::error!(
            "Symbolic link not allowed or link target not accessible: {}",
            String::from_utf8_lossy(path)
        );
        403
    };
    if !options.follow_symlinks && !options.symlinks_if_owner_match {
        return Err(refuse());
    }
    let target = std::fs::metadata(as_path(path)).map_err(|_| refuse())?;
    if options.symlinks_if_owner_match && target.uid() != link.uid() {
        return Err(refuse());
    }
    Ok(target)
}

/// The symlink check for a file found inside a walked directory (a DirectoryIndex
/// candidate), under that directory's options: Ok if it may be served.
pub fn file_allowed(path: &[u8], options: Options) -> Result<(), u16> {
    if options.follows_symlinks_unchecked() {
        return Ok(());
    }
    component_type(path, options).map(|_| ())
}

#[cfg(test)]
#[path = "dir_walk_tests.rs"]
mod tests;
