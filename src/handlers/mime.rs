//! Media types by file extension (mod_mime): `types_config` (mime.types format) plus
//! `add_type`, with `add_default_charset` already applied to each type's final header value.
//!
//! Built once per generation in the master; lookups allocate nothing. [`MimeTable::headers_for`]
//! adds the per-directory mod_mime settings (AddType, AddCharset, AddLanguage, AddEncoding,
//! DefaultLanguage) when a directory has any; that path allocates.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::config::DirConfig;

/// Extension -> Content-Type table.
#[derive(Debug, Clone, Default)]
pub struct MimeTable {
    by_ext: HashMap<Box<str>, u32>,
    /// Final Content-Type header values, indexed by the ids in `by_ext`.
    types: Vec<Box<str>>,
    /// The same types as configured (before AddDefaultCharset).
    raw: Vec<Box<str>>,
    default_charset: Option<Box<str>>,
}

/// The mod_mime headers of a file under per-directory settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MimeHeaders {
    pub content_type: Option<String>,
    /// `Content-Language`: the languages of every extension (`a.html.en.de` -> `en,de`), or
    /// DefaultLanguage.
    pub language: Option<String>,
    /// `Content-Encoding`: the encodings of every extension, in order.
    pub encoding: Option<String>,
    /// A negotiated response's Content-Location, Alternates, Vary and TCN (sent first).
    pub negotiation: Vec<(&'static str, String)>,
}

/// The handler name of type maps.
pub const TYPE_MAP: &str = "type-map";

/// mod_mime's view of a file name, for negotiation ([`MimeTable::name_info`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameInfo {
    pub content_type: Option<String>,
    pub languages: Vec<String>,
    pub encodings: Vec<String>,
    pub handler: Option<String>,
    /// The base name, then the extensions nothing recognised.
    pub exceptions: Vec<Vec<u8>>,
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
        let mut t = MimeTable {
            default_charset: default_charset.map(Box::from),
            ..MimeTable::default()
        };
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut intern = |t: &mut MimeTable, ty: &str| -> u32 {
            *ids.entry(ty.to_string()).or_insert_with(|| {
                t.types
                    .push(with_charset(ty, default_charset).into_boxed_str());
                t.raw.push(ty.into());
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
        let mut found = None;
        let mut buf = [0u8; MAX_EXT];
        for ext in extensions(file_name) {
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

    /// mod_mime's `find_ct` under a directory's settings: per extension, the directory's
    /// AddType wins over the table (rightmost type wins), AddCharset sets the charset (rightmost
    /// wins), AddLanguage and AddEncoding accumulate; DefaultLanguage if no extension gave a
    /// language; then AddDefaultCharset.
    pub fn headers_for(&self, file_name: &[u8], dir: &DirConfig) -> MimeHeaders {
        let mut ty: Option<&str> = None;
        let mut charset: Option<&str> = None;
        let mut languages: Vec<&str> = Vec::new();
        let mut encodings: Vec<&str> = Vec::new();
        for ext in extensions(file_name) {
            let ext = String::from_utf8_lossy(ext).to_ascii_lowercase();
            match dir.add_type.get(&ext) {
                Some(t) => ty = Some(t),
                None => {
                    if let Some(&id) = self.by_ext.get(ext.as_str()) {
                        ty = Some(&self.raw[id as usize]);
                    }
                }
            }
            if let Some(c) = dir.add_charset.get(&ext) {
                charset = Some(c);
            }
            if let Some(l) = dir.add_language.get(&ext) {
                languages.push(l);
            }
            if let Some(e) = dir.add_encoding.get(&ext) {
                encodings.push(e);
            }
        }
        if languages.is_empty()
            && let Some(l) = &dir.default_language
        {
            languages.push(l);
        }
        let content_type = ty.map(|t| {
            let t = match charset {
                Some(cs) => set_charset(t, cs),
                None => t.to_owned(),
            };
            with_charset(&t, self.default_charset.as_deref())
        });
        MimeHeaders {
            content_type,
            // httpd 2.4.71 joins languages with a bare comma (encodings with ", ").
            language: (!languages.is_empty()).then(|| languages.join(",")),
            encoding: (!encodings.is_empty()).then(|| encodings.join(", ")),
            negotiation: Vec::new(),
        }
    }

    /// What mod_mime makes of a file name for negotiation (`find_ct` as MultiViews sees it):
    /// the Content-Type as set on the request (AddType over the table, `; charset=` from
    /// AddCharset; AddDefaultCharset is not part of it), the languages (or DefaultLanguage),
    /// the encodings, the handler (AddHandler; `.var` is a type map by default), and the
    /// exception list: the base name, then every extension no table knows.
    pub fn name_info(&self, file_name: &[u8], dir: &DirConfig) -> NameInfo {
        let mut parts = file_name.split(|&b| b == b'.');
        let base = parts.next().unwrap_or(b"");
        let mut info = NameInfo {
            exceptions: vec![base.to_vec()],
            ..NameInfo::default()
        };
        let mut ty: Option<&str> = None;
        let mut charset: Option<&str> = None;
        for ext in parts.filter(|e| !e.is_empty()) {
            let lower = String::from_utf8_lossy(ext).to_ascii_lowercase();
            let mut found = false;
            if let Some(t) = dir.add_type.get(&lower) {
                ty = Some(t);
                found = true;
            } else if let Some(&id) = self.by_ext.get(lower.as_str()) {
                ty = Some(&self.raw[id as usize]);
                found = true;
            }
            if let Some(l) = dir.add_language.get(&lower) {
                info.languages.push(l.clone());
                found = true;
            }
            if let Some(c) = dir.add_charset.get(&lower) {
                charset = Some(c);
                found = true;
            }
            if let Some(e) = dir.add_encoding.get(&lower) {
                info.encodings.push(e.clone());
                found = true;
            }
            match dir.add_handler.get(&lower) {
                Some(h) => info.handler = Some(h.clone()),
                None if lower == "var" => info.handler = Some(TYPE_MAP.to_string()),
                None => {}
            }
            if !found {
                info.exceptions.push(ext.to_vec());
            }
        }
        if info.languages.is_empty()
            && let Some(l) = &dir.default_language
        {
            info.languages.push(l.clone());
        }
        info.content_type = ty.map(|t| match charset {
            Some(cs) => set_charset(t, cs),
            None => t.to_owned(),
        });
        info
    }

    /// The handler of a file name under a directory's AddHandler (rightmost extension wins;
    /// `.var` is a type map unless AddHandler says otherwise).
    pub fn handler_for(file_name: &[u8], dir: &DirConfig) -> Option<String> {
        let mut handler = None;
        for ext in file_name
            .split(|&b| b == b'.')
            .skip(1)
            .filter(|e| !e.is_empty())
        {
            let lower = String::from_utf8_lossy(ext).to_ascii_lowercase();
            match dir.add_handler.get(&lower) {
                Some(h) => handler = Some(h.clone()),
                None if lower == "var" => handler = Some(TYPE_MAP.to_string()),
                None => {}
            }
        }
        handler
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

/// The extensions of a file name (last path component) in order: what follows the base name,
/// split at dots, empty ones and absurdly long ones skipped. Leading dots belong to the base.
fn extensions(file_name: &[u8]) -> impl Iterator<Item = &[u8]> {
    let name = match file_name.iter().rposition(|&b| b == b'/') {
        Some(i) => &file_name[i + 1..],
        None => file_name,
    };
    let base_start = name.iter().position(|&b| b != b'.').unwrap_or(name.len());
    let rest = match name[base_start..].iter().position(|&b| b == b'.') {
        Some(i) => &name[base_start + i + 1..],
        None => &[][..],
    };
    rest.split(|&b| b == b'.')
        .filter(|e| !e.is_empty() && e.len() <= MAX_EXT)
}

/// `type; charset=cs`: an existing charset parameter is replaced in place, else one is added.
fn set_charset(ty: &str, cs: &str) -> String {
    let mut out = String::with_capacity(ty.len() + cs.len() + 10);
    let mut replaced = false;
    for (i, part) in ty.split(';').enumerate() {
        let part = part.trim();
        if i == 0 {
            out.push_str(part);
        } else if part.len() >= 8 && part[..8].eq_ignore_ascii_case("charset=") {
            if !replaced {
                out.push_str("; charset=");
                out.push_str(cs);
                replaced = true;
            }
        } else if !part.is_empty() {
            out.push_str("; ");
            out.push_str(part);
        }
    }
    if !replaced {
        out.push_str("; charset=");
        out.push_str(cs);
    }
    out
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

    fn dir(pairs: &[(&str, &str, &str)], default_language: Option<&str>) -> DirConfig {
        let mut files = crate::http::test_support::test_config(
            Path::new("/nonexistent"),
            Path::new("/nonexistent/mime.types"),
        )
        .files;
        files.default_language = default_language.map(str::to_owned);
        let mut d = DirConfig::base(&files);
        for &(table, ext, value) in pairs {
            let map = match table {
                "type" => &mut d.add_type,
                "charset" => &mut d.add_charset,
                "language" => &mut d.add_language,
                _ => &mut d.add_encoding,
            };
            map.insert(ext.to_owned(), value.to_owned());
        }
        d
    }

    #[test]
    fn per_directory_mod_mime() {
        let t = MimeTable::parse(
            &format!("{TYPES}text/x-params txp\n"),
            &BTreeMap::new(),
            Some("iso-8859-1"),
        );
        let settings: &[(&str, &str, &str)] = &[
            ("type", "md", "text/markdown"),
            ("type", "txt", "text/x-readme"),
            ("charset", "utf8", "utf-8"),
            ("charset", "jis", "iso-2022-jp"),
            ("language", "en", "en"),
            ("language", "de", "de"),
            ("encoding", "gz", "x-gzip"),
            ("encoding", "z", "x-compress"),
        ];
        let d = dir(settings, None);
        type Row = (
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: &[Row] = &[
            ("a.html", Some("text/html; charset=iso-8859-1"), None, None),
            ("a.md", Some("text/markdown"), None, None),
            ("a.txt", Some("text/x-readme"), None, None),
            ("a.html.utf8", Some("text/html; charset=utf-8"), None, None),
            ("a.utf8.html", Some("text/html; charset=utf-8"), None, None),
            ("a.utf8", None, None, None),
            (
                "a.css.jis",
                Some("text/css; charset=iso-2022-jp"),
                None,
                None,
            ),
            (
                "welcome.html.en.de",
                Some("text/html; charset=iso-8859-1"),
                Some("en,de"),
                None,
            ),
            ("a.tar.gz", Some("application/gzip"), None, Some("x-gzip")),
            (
                "a.txt.gz.z",
                Some("application/gzip"),
                None,
                Some("x-gzip, x-compress"),
            ),
            ("a.txt.z", Some("text/x-readme"), None, Some("x-compress")),
            ("noext", None, None, None),
        ];
        for &(name, ty, language, encoding) in cases {
            let h = t.headers_for(name.as_bytes(), &d);
            assert_eq!(h.content_type.as_deref(), ty, "{name}");
            assert_eq!(h.language.as_deref(), language, "{name}");
            assert_eq!(h.encoding.as_deref(), encoding, "{name}");
        }
        let d = dir(&[("language", "fr", "fr")], Some("en-GB"));
        assert_eq!(
            t.headers_for(b"a.html", &d).language.as_deref(),
            Some("en-GB")
        );
        assert_eq!(
            t.headers_for(b"a.fr.html", &d).language.as_deref(),
            Some("fr")
        );
        assert_eq!(
            set_charset("text/html; charset=latin1; level=1", "utf-8"),
            "text/html; charset=utf-8; level=1"
        );
    }

    #[test]
    fn what_multiviews_sees_in_a_name() {
        let t = MimeTable::parse(TYPES, &BTreeMap::new(), Some("utf-8"));
        let mut d = dir(
            &[
                ("language", "en", "en"),
                ("language", "fr", "fr"),
                ("charset", "utf8", "utf-8"),
                ("encoding", "gz", "x-gzip"),
            ],
            None,
        );
        d.add_handler.insert("map".into(), TYPE_MAP.into());
        type Row = (
            &'static str,
            Option<&'static str>,
            &'static str,
            &'static str,
            Option<&'static str>,
            &'static [&'static str],
        );
        let cases: &[Row] = &[
            ("doc.html.en", Some("text/html"), "en", "", None, &["doc"]),
            (
                "doc.en.fr.html",
                Some("text/html"),
                "en,fr",
                "",
                None,
                &["doc"],
            ),
            (
                "doc.html.utf8",
                Some("text/html; charset=utf-8"),
                "",
                "",
                None,
                &["doc"],
            ),
            (
                "doc.txt.gz",
                Some("application/gzip"),
                "",
                "x-gzip",
                None,
                &["doc"],
            ),
            ("doc.bak", None, "", "", None, &["doc", "bak"]),
            (
                "doc.html.bak.en",
                Some("text/html"),
                "en",
                "",
                None,
                &["doc", "bak"],
            ),
            ("doc.var", None, "", "", Some(TYPE_MAP), &["doc", "var"]),
            ("doc.map", None, "", "", Some(TYPE_MAP), &["doc", "map"]),
            ("doc..html", Some("text/html"), "", "", None, &["doc"]),
        ];
        for &(name, ty, langs, enc, handler, exceptions) in cases {
            let i = t.name_info(name.as_bytes(), &d);
            assert_eq!(i.content_type.as_deref(), ty, "{name}");
            assert_eq!(i.languages.join(","), langs, "{name}");
            assert_eq!(i.encodings.join(","), enc, "{name}");
            assert_eq!(i.handler.as_deref(), handler, "{name}");
            let ex: Vec<&[u8]> = i.exceptions.iter().map(Vec::as_slice).collect();
            let want: Vec<&[u8]> = exceptions.iter().map(|e| e.as_bytes()).collect();
            assert_eq!(ex, want, "{name}");
        }
        assert_eq!(
            MimeTable::handler_for(b"x.VAR", &d).as_deref(),
            Some(TYPE_MAP)
        );
        assert_eq!(MimeTable::handler_for(b"x.html", &d), None);
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
