//! Media types by file extension (mod_mime): `types_config` (mime.types format) plus
//! `add_type`, with `add_default_charset` already applied to each type's final header value.
//!
//! Built once per generation in the master; lookups allocate nothing.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Extension -> Content-Type table.
#[derive(Debug, Clone, Default)]
pub struct MimeTable {
    by_ext: HashMap<Box<str>, u32>,
    /// Final Content-Type header values, indexed by the ids in `by_ext`.
    types: Vec<Box<str>>,
}

/// Longest extension looked up (longer ones cannot be in any sane table).
const MAX_EXT: usize = 64;

impl MimeTable {
    /// Reads `types_config` and merges `add_type` over it.
    pub fn load(
        types_config: &Path,
        add_type: &BTreeMap<String, String>,
        default_charset: Option<&str>,
    ) -> Result<MimeTable, String> {
        let text = std::fs::read_to_string(types_config).map_err(|e| {
            format!(
                "could not read types_config {}: {}",
                types_config.display(),
                e
            )
        })?;
        Ok(MimeTable::parse(&text, add_type, default_charset))
    }

    /// Builds the table from mime.types text: `type ext ext ...` per line, `#` comments.
    pub fn parse(
        text: &str,
        add_type: &BTreeMap<String, String>,
        default_charset: Option<&str>,
    ) -> MimeTable {
        let mut t = MimeTable::default();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut intern = |t: &mut MimeTable, ty: &str| -> u32 {
            *ids.entry(ty.to_string()).or_insert_with(|| {
                t.types
                    .push(with_charset(ty, default_charset).into_boxed_str());
                (t.types.len() - 1) as u32
            })
        };
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_ascii_whitespace();
            let Some(ty) = words.next() else { continue };
            let id = intern(&mut t, ty);
            for ext in words {
                t.by_ext.insert(
                    ext.trim_start_matches('.')
                        .to_ascii_lowercase()
                        .into_boxed_str(),
                    id,
                );
            }
        }
        for (ext, ty) in add_type {
            let id = intern(&mut t, ty);
            t.by_ext.insert(
                ext.trim_start_matches('.')
                    .to_ascii_lowercase()
                    .into_boxed_str(),
                id,
            );
        }
        t
    }

    /// The type id for a file name (last path component): as mod_mime, every extension after
    /// the base name is looked up and the rightmost known one wins; leading dots belong to the
    /// base name (`.png` has no extension).
    pub fn lookup(&self, file_name: &[u8]) -> Option<u32> {
        let name = match file_name.iter().rposition(|&b| b == b'/') {
            Some(i) => &file_name[i + 1..],
            None => file_name,
        };
        let base_start = name.iter().position(|&b| b != b'.').unwrap_or(name.len());
        let first_dot = name[base_start..].iter().position(|&b| b == b'.')? + base_start;
        let mut found = None;
        let mut buf = [0u8; MAX_EXT];
        for ext in name[first_dot + 1..].split(|&b| b == b'.') {
            if ext.is_empty() || ext.len() > MAX_EXT {
                continue;
            }
            let lower = &mut buf[..ext.len()];
            lower.copy_from_slice(ext);
            lower.make_ascii_lowercase();
            if let Ok(s) = std::str::from_utf8(lower)
                && let Some(&id) = self.by_ext.get(s)
            {
                found = Some(id);
            }
        }
        found
    }

    /// The Content-Type header value for an id from [`MimeTable::lookup`].
    pub fn content_type(&self, id: u32) -> &str {
        &self.types[id as usize]
    }

    /// Convenience: the Content-Type for a file name.
    pub fn type_for(&self, file_name: &[u8]) -> Option<&str> {
        self.lookup(file_name).map(|id| self.content_type(id))
    }
}

/// AddDefaultCharset: only `text/plain` and `text/html` without a charset get one.
fn with_charset(ty: &str, charset: Option<&str>) -> String {
    match charset {
        Some(cs)
            if (ty.eq_ignore_ascii_case("text/plain") || ty.eq_ignore_ascii_case("text/html"))
                && !ty.to_ascii_lowercase().contains("charset") =>
        {
            format!("{ty}; charset={cs}")
        }
        _ => ty.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPES: &str = "# comment\ntext/html\t\thtml htm\ntext/plain txt\nimage/png png\n\
                         application/gzip gz\napplication/x-tar tar\ntext/css css # trailing\n";

    #[test]
    fn lookup_table() {
        let mut add = BTreeMap::new();
        add.insert("md".to_string(), "text/markdown".to_string());
        add.insert("txt".to_string(), "text/x-readme".to_string());
        let t = MimeTable::parse(TYPES, &add, None);
        let cases: &[(&str, Option<&str>)] = &[
            ("index.html", Some("text/html")),
            ("INDEX.HTML", Some("text/html")),
            ("/a/b/page.htm", Some("text/html")),
            ("a.tar.gz", Some("application/gzip")),
            ("a.gz.unknown", Some("application/gzip")),
            ("a.html.bak", Some("text/html")),
            ("noext", None),
            (".png", None),
            ("..png", None),
            (".hidden.png", Some("image/png")),
            ("readme.md", Some("text/markdown")),
            ("notes.txt", Some("text/x-readme")),
            ("style.css", Some("text/css")),
            ("trailingdot.", None),
        ];
        for &(name, want) in cases {
            assert_eq!(t.type_for(name.as_bytes()), want, "{name}");
        }
    }

    #[test]
    fn default_charset_only_for_text_plain_and_html() {
        let t = MimeTable::parse(TYPES, &BTreeMap::new(), Some("utf-8"));
        assert_eq!(t.type_for(b"a.html"), Some("text/html; charset=utf-8"));
        assert_eq!(t.type_for(b"a.txt"), Some("text/plain; charset=utf-8"));
        assert_eq!(t.type_for(b"a.css"), Some("text/css"));
        assert_eq!(t.type_for(b"a.png"), Some("image/png"));
    }
}
