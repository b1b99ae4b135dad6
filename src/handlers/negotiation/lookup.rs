//! The effects of negotiation: finding the variants of a MultiViews request in its directory
//! (`read_types_multi`) and reading type maps, with what can be kept between requests cached
//! per child: a directory's names (checked against the directory's mtime with one `stat`; a
//! directory changed in the last two seconds is read again), and a parsed map (checked
//! against the map's stat, which the request makes anyway).
//!
//! Each candidate file is still `stat`ed per request, as Apache's sub-requests do: its
//! length is part of the choice and its type decides whether it counts.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::Metadata;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::typemap;
use super::variant::{Source, Variant};
use crate::config::DirConfig;
use crate::handlers::dir_walk::file_allowed;
use crate::handlers::mime::{MimeTable, TYPE_MAP};

/// Most directories and maps kept per child (the oldest half goes when full).
const MAX_ENTRIES: usize = 256;

fn as_path(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

/// Modification time in nanoseconds.
fn mtime_ns(m: &Metadata) -> i128 {
    i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec())
}

/// A directory entry: its name, and whether it is a directory.
type Entry = (Box<[u8]>, bool);

/// A directory's entries, sorted by name.
#[derive(Debug)]
struct Listing {
    mtime_ns: i128,
    entries: Vec<Entry>,
    used: u64,
}

/// A parsed type map.
#[derive(Debug)]
struct ParsedMap {
    stamp: (i128, u64, u64),
    /// The map's bytes (for `Body:` variants).
    text: Vec<u8>,
    variants: Result<Vec<Variant>, u16>,
    used: u64,
}

/// The per-child negotiation cache.
#[derive(Debug, Default)]
pub struct NegotiationCache {
    dirs: HashMap<Box<[u8]>, Listing>,
    maps: HashMap<Box<[u8]>, ParsedMap>,
    clock: u64,
}

/// A type map, read.
#[derive(Debug, Clone)]
pub struct TypeMap {
    pub variants: Vec<Variant>,
}

/// What MultiViews found in a directory.
#[derive(Debug)]
pub enum Multi {
    /// No negotiable file (Apache: DECLINED or 404; either way the request is a 404).
    None,
    /// The directory could not be read (403).
    Forbidden,
    /// The variants, sorted as Apache sorts them, each with its file's `stat`, and the
    /// directory's mtime (µs), the variant list validator.
    Variants {
        variants: Vec<Variant>,
        metas: Vec<Metadata>,
        dir_mtime_us: i64,
    },
    /// A type map among the candidates: it alone is used (its file name).
    Map(Vec<u8>),
}

/// Apache's check of mod_mime's exception list against the requested name: the base name and
/// every unrecognised extension must appear, in order, among the requested name's
/// `.`-separated segments (`index.html.foo` answers `index.foo` and `index.html.foo` only).
pub fn exceptions_match(requested: &[u8], exceptions: &[Vec<u8>]) -> bool {
    let mut pending = exceptions.iter().peekable();
    let mut rest = requested;
    while !rest.is_empty() && pending.peek().is_some() {
        let (segment, next) = match rest.iter().position(|&b| b == b'.') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if pending.peek().is_some_and(|e| e.as_slice() == segment) {
            pending.next();
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    pending.peek().is_none()
}

/// `variantsortf`: source quality descending, then by name.
fn variant_order(a: &Variant, b: &Variant) -> std::cmp::Ordering {
    b.source_quality
        .partial_cmp(&a.source_quality)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then_with(|| a.file_name.as_bytes().cmp(b.file_name.as_bytes()))
}

impl NegotiationCache {
    pub fn new() -> NegotiationCache {
        NegotiationCache::default()
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The sorted entries of `dir`, from the cache when the directory's mtime is unchanged.
    /// Also returns the mtime in µs.
    fn listing(&mut self, dir: &[u8]) -> std::io::Result<(&[Entry], i64)> {
        let meta = std::fs::metadata(as_path(dir))?;
        let mtime = mtime_ns(&meta);
        let now = self.tick();
        // A directory changed within the last two seconds is read again: on a file system
        // with coarse timestamps another change in the same tick would not show.
        let settled = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .is_ok_and(|d| (d.as_nanos() as i128) - mtime > 2_000_000_000);
        let fresh = settled && self.dirs.get(dir).is_some_and(|l| l.mtime_ns == mtime);
        if !fresh {
            let mut entries = Vec::new();
            for entry in std::fs::read_dir(as_path(dir))? {
                let entry = entry?;
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                entries.push((Box::<[u8]>::from(entry.file_name().as_bytes()), is_dir));
            }
            entries.sort();
            evict(&mut self.dirs, |l| l.used);
            self.dirs.insert(
                dir.into(),
                Listing {
                    mtime_ns: mtime,
                    entries,
                    used: now,
                },
            );
        }
        let listing = self.dirs.get_mut(dir).expect("just inserted");
        listing.used = now;
        let mtime_us = (mtime / 1000) as i64;
        Ok((&listing.entries, mtime_us))
    }

    /// Apache's `read_types_multi` for the missing file `name` in the directory `dir` (a
    /// filesystem path ending in `/`), under that directory's configuration.
    pub fn multiviews(
        &mut self,
        mime: &MimeTable,
        config: &DirConfig,
        dir: &[u8],
        name: &[u8],
    ) -> Multi {
        let (entries, dir_mtime_us) = match self.listing(dir) {
            Ok(l) => l,
            // A missing directory on the way: the request is a plain 404.
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                return Multi::None;
            }
            Err(e) => {
                log::error!(
                    "AH00686: cannot read directory for multi: {}: {e}",
                    String::from_utf8_lossy(dir)
                );
                return Multi::Forbidden;
            }
        };
        let mut prefix = name.to_vec();
        prefix.push(b'.');
        let start = entries.partition_point(|(n, _)| n.as_ref() < prefix.as_slice());
        let mut any_match = false;
        let mut variants = Vec::new();
        let mut path = dir.to_vec();
        for (entry, is_dir) in entries[start..]
            .iter()
            .take_while(|(n, _)| n.starts_with(&prefix))
        {
            if *is_dir {
                continue;
            }
            any_match = true;
            path.truncate(dir.len());
            path.extend_from_slice(entry);
            let Ok(meta) = std::fs::metadata(as_path(&path)) else {
                continue;
            };
            // The candidate's sub-request: a regular file, allowed by the symlink options,
            // not a `.ht*` name.
            if !meta.is_file()
                || file_allowed(&path, config.options).is_err()
                || entry.starts_with(b".ht")
            {
                continue;
            }
            let info = mime.name_info(entry, config);
            if !exceptions_match(name, &info.exceptions) {
                continue;
            }
            if info.handler.as_deref() == Some(TYPE_MAP) {
                return Multi::Map(entry.to_vec());
            }
            let Some(content_type) = info.content_type else {
                continue;
            };
            let file_name = String::from_utf8_lossy(entry).into_owned();
            let mut v = Variant::with_type(&file_name, Some(&content_type));
            v.languages = info
                .languages
                .iter()
                .map(|l| l.to_ascii_lowercase())
                .collect();
            v.encoding = (!info.encodings.is_empty()).then(|| info.encodings.join(", "));
            v.bytes = Some(meta.len());
            variants.push((v, meta));
        }
        if variants.is_empty() {
            if any_match {
                log::error!(
                    "AH00687: Negotiation: discovered file(s) matching request: {}{} (None could be negotiated).",
                    String::from_utf8_lossy(dir),
                    String::from_utf8_lossy(name)
                );
            }
            return Multi::None;
        }
        variants.sort_by(|a, b| variant_order(&a.0, &b.0));
        let (variants, metas) = variants.into_iter().unzip();
        Multi::Variants {
            variants,
            metas,
            dir_mtime_us,
        }
    }

    /// The variants of the type map at `path` (whose `stat` is `meta`), parsed once per
    /// version of the file. File variants without a Content-Length get their file's size
    /// (`dir` is the map's directory, ending in `/`). `Err` is the status Apache answers
    /// (404/403 when the map cannot be read, 500 for a syntax error).
    pub fn type_map(&mut self, path: &[u8], meta: &Metadata, dir: &[u8]) -> Result<TypeMap, u16> {
        let stamp = (mtime_ns(meta), meta.len(), meta.ino());
        let now = self.tick();
        if self.maps.get(path).is_none_or(|m| m.stamp != stamp) {
            let text = match std::fs::read(as_path(path)) {
                Ok(t) => t,
                Err(e) => {
                    log::error!(
                        "AH00683: cannot access type map file: {}: {e}",
                        String::from_utf8_lossy(path)
                    );
                    return Err(match e.kind() {
                        ErrorKind::NotFound | ErrorKind::NotADirectory => 404,
                        _ => 403,
                    });
                }
            };
            let name = String::from_utf8_lossy(super::super::static_files::last_component(path))
                .into_owned();
            let variants = typemap::parse(&text, &name);
            evict(&mut self.maps, |m| m.used);
            self.maps.insert(
                path.into(),
                ParsedMap {
                    stamp,
                    text,
                    variants,
                    used: now,
                },
            );
        }
        let map = self.maps.get_mut(path).expect("just inserted");
        map.used = now;
        let mut variants = map.variants.clone()?;
        let mut file = dir.to_vec();
        for v in variants
            .iter_mut()
            .filter(|v| v.bytes.is_none() && v.source == Source::File)
        {
            file.truncate(dir.len());
            file.extend_from_slice(v.file_name.as_bytes());
            v.bytes = std::fs::metadata(as_path(&file)).ok().map(|m| m.len());
        }
        Ok(TypeMap { variants })
    }

    /// The bytes of a `Body:` variant of the map at `path` (read by [`Self::type_map`]).
    pub fn body(&self, path: &[u8], offset: u64, len: u64) -> Option<Vec<u8>> {
        let map = self.maps.get(path)?;
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        map.text.get(start..end).map(<[u8]>::to_vec)
    }
}

/// Keeps a map under [`MAX_ENTRIES`]: drops the least recently used half when full.
fn evict<V>(map: &mut HashMap<Box<[u8]>, V>, used: impl Fn(&V) -> u64) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    let mut stamps: Vec<u64> = map.values().map(&used).collect();
    stamps.sort_unstable();
    let cut = stamps[stamps.len() / 2];
    map.retain(|_, v| used(v) > cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_lists() {
        let ex = |parts: &[&str]| -> Vec<Vec<u8>> {
            parts.iter().map(|p| p.as_bytes().to_vec()).collect()
        };
        for (requested, exceptions, ok) in [
            ("doc", &["doc"][..], true),
            ("doc", &["doc", "bak"], false),
            ("doc.bak", &["doc", "bak"], true),
            ("index.html.foo", &["index", "foo"], true),
            ("index.foo", &["index", "foo"], true),
            ("index.foo", &["index", "html"], false),
            ("foo.index", &["index", "foo"], false),
            ("doc.html", &["doc"], true),
            ("other", &["doc"], false),
        ] {
            assert_eq!(
                exceptions_match(requested.as_bytes(), &ex(exceptions)),
                ok,
                "{requested} {exceptions:?}"
            );
        }
    }

    #[test]
    fn sorted_by_qs_then_name() {
        let mut v = [
            Variant::with_type("b", Some("text/html")),
            Variant::with_type("a", Some("text/html")),
            Variant::with_type("c", Some("text/html; qs=0.5")),
            Variant::with_type("d", Some("text/html; qs=0.9")),
        ];
        v.sort_by(variant_order);
        let names: Vec<&str> = v.iter().map(|v| v.file_name.as_str()).collect();
        assert_eq!(names, ["a", "b", "d", "c"]);
    }

    #[test]
    fn listing_cache_follows_the_directory() {
        let dir = std::env::temp_dir().join(format!("mpmd-neg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("doc.d")).unwrap();
        std::fs::write(dir.join("doc.html.en"), "en").unwrap();
        std::fs::write(dir.join("doc.html.fr"), "fr!").unwrap();
        std::fs::write(dir.join("doc.zzz"), "?").unwrap();
        let types = MimeTable::parse("text/html html\n", &Default::default(), None);
        let files = crate::http::test_support::test_config(&dir, &dir.join("mime.types")).files;
        let mut config = DirConfig::base(&files);
        config.add_language.insert("en".into(), "en".into());
        config.add_language.insert("fr".into(), "fr".into());
        let mut cache = NegotiationCache::new();
        let mut d = dir.as_os_str().as_bytes().to_vec();
        d.push(b'/');
        let Multi::Variants { variants, .. } = cache.multiviews(&types, &config, &d, b"doc") else {
            panic!("variants expected");
        };
        let got: Vec<(&str, Option<u64>, String)> = variants
            .iter()
            .map(|v| (v.file_name.as_str(), v.bytes, v.languages.join(",")))
            .collect();
        assert_eq!(
            got,
            [
                ("doc.html.en", Some(2), "en".into()),
                ("doc.html.fr", Some(3), "fr".into())
            ]
        );
        assert!(matches!(
            cache.multiviews(&types, &config, &d, b"nothing"),
            Multi::None
        ));
        assert!(matches!(
            cache.multiviews(&types, &config, &d, b"doc.html.de"),
            Multi::None
        ));
        std::fs::write(
            dir.join("doc.var"),
            "URI: doc.html.en\nContent-Type: text/html\n",
        )
        .unwrap();
        config.add_type.insert("var".into(), "text/plain".into());
        // The directory changed: the map is found, and wins.
        assert!(
            matches!(cache.multiviews(&types, &config, &d, b"doc"), Multi::Map(n) if n == b"doc.var")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
