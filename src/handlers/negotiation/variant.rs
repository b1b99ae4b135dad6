//! One variant of a negotiated resource, as mod_negotiation's `var_rec` describes it: what
//! the type map or mod_mime says about it (type, qs, level, charset, languages, encoding,
//! length), plus the qualities the choice computes for it.

use super::accept::get_entry;

/// Where a variant's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A file (name relative to the map's or the request's directory).
    File,
    /// A type map's inline `Body:` (offset and length in the map file).
    Body { offset: u64, len: u64 },
}

/// A variant as described (written once).
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The file name (MultiViews) or the map's `URI:` (may contain `/`).
    pub file_name: String,
    /// Media type without parameters, lower case (empty if none).
    pub mime_type: String,
    /// `qs=` (type map or AddType parameter); 1 by default.
    pub source_quality: f32,
    /// `level=`; `text/html` defaults to 2.
    pub level: f32,
    /// `charset=` (lower case) or empty.
    pub charset: String,
    /// Content languages, lower case, in order.
    pub languages: Vec<String>,
    /// Content-Encoding as written (`x-gzip`), if any.
    pub encoding: Option<String>,
    /// A type map's `Description:`.
    pub description: String,
    /// Length in bytes, if known (`Content-Length:`, the file's size, the body's length).
    pub bytes: Option<u64>,
    pub source: Source,
}

impl Variant {
    /// A variant with the fields a full Content-Type value gives (`text/html; qs=0.5;
    /// level=3; charset=utf-8`); everything else unset.
    pub fn with_type(file_name: &str, content_type: Option<&str>) -> Variant {
        let mut v = Variant {
            file_name: file_name.to_owned(),
            mime_type: String::new(),
            source_quality: 0.0,
            level: 0.0,
            charset: String::new(),
            languages: Vec::new(),
            encoding: None,
            description: String::new(),
            bytes: None,
            source: Source::File,
        };
        if let Some(ct) = content_type {
            v.set_type(ct);
        }
        v
    }

    /// Apache's `set_mime_fields` from a Content-Type value.
    pub fn set_type(&mut self, content_type: &str) {
        let (rec, _) = get_entry(content_type);
        self.mime_type = rec.name;
        self.source_quality = rec.quality;
        self.level = rec.level;
        self.charset = rec.charset;
    }

    /// `text/html` or one of the server-parsed HTML types (their levels compare).
    pub fn is_pseudo_html(&self) -> bool {
        matches!(
            self.mime_type.as_str(),
            "text/html" | "text/x-server-parsed-html" | "text/x-server-parsed-html3"
        )
    }

    /// The languages as Apache joins them for Vary and the lists (`en,fr`).
    pub fn language_list(&self) -> Option<String> {
        (!self.languages.is_empty()).then(|| self.languages.join(","))
    }
}
