//! The `[[directory]]` and `[[location]]` sections. Directory sections are checked and frozen
//! into [`DirectorySection`]s, sorted as Apache sorts `<Directory>` sections; `[[location]]`s
//! (the server-status and balancer-manager handlers, `require`) become [`LocationConfig`]s in
//! file order. `[[proxy]]` and `[[balancer]]` are in `proxy.rs`.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::dir_keys::{RawDirKeys, dir_settings};
use super::directives::parse_require;
use super::error::{Diagnostics, did_you_mean, one_of};
use super::extract::{Val, resolve, take, take_list};
use super::file::{RawDirectory, RawLocation};
use super::lenient::{Field, StringList};
use super::types::{DirectorySection, LocationConfig, RequireLine};

type Span = Range<usize>;

/// Where `[[directory]]` paths are anchored: relative ones against `server_root`; those under
/// the document root as written are re-based onto the canonical one, so they match the walk.
pub struct PathBase<'a> {
    pub server_root: &'a Path,
    pub docroot_as_written: &'a Path,
    pub document_root: &'a Path,
}

/// Checks every section; returns the directory sections, sorted by depth (stable), and the
/// locations in file order.
pub fn check(
    diag: &mut Diagnostics<'_>,
    directories: Vec<Spanned<RawDirectory>>,
    locations: Vec<Spanned<RawLocation>>,
    base: &PathBase<'_>,
) -> (Vec<DirectorySection>, Vec<LocationConfig>) {
    let mut sections = Vec::new();
    for (i, section) in directories.into_iter().enumerate() {
        let span = section.span();
        let path = format!("directory[{i}]");
        if let Some(s) = directory(diag, section.into_inner(), &path, &span, base) {
            sections.push(s);
        }
    }
    sections.sort_by_key(|s| s.path.components().count());
    let mut built = Vec::new();
    for (i, section) in locations.into_iter().enumerate() {
        let span = section.span();
        let path = format!("location[{i}]");
        built.extend(location(diag, section.into_inner(), &path, &span));
    }
    (sections, built)
}

/// A key every section of its kind must have.
fn required(
    diag: &mut Diagnostics<'_>,
    field: Field<String>,
    section: &str,
    name: &str,
    section_span: &Span,
) -> Option<Val<String>> {
    let present = field.is_some();
    let key = format!("{section}.{name}");
    let value = take(diag, field, &key);
    match &value {
        None if !present => diag.error(
            section_span.clone(),
            &key,
            format!("missing key \"{name}\" in {section}"),
        ),
        Some(v) if v.value.trim().is_empty() => {
            diag.invalid(v.span.clone(), &key, "must not be empty")
        }
        _ => {}
    }
    value
}

fn directory(
    diag: &mut Diagnostics<'_>,
    raw: RawDirectory,
    section: &str,
    span: &Span,
    base: &PathBase<'_>,
) -> Option<DirectorySection> {
    let path = required(diag, raw.path, section, "path", span);
    let keys = RawDirKeys {
        options: raw.options,
        allow_override: raw.allow_override,
        directory_index: raw.directory_index,
        require: raw.require,
        error_document: raw.error_document,
        add_type: raw.add_type,
        add_language: raw.add_language,
        add_charset: raw.add_charset,
        add_encoding: raw.add_encoding,
        add_handler: raw.add_handler,
        default_language: raw.default_language,
        language_priority: raw.language_priority,
        force_language_priority: raw.force_language_priority,
    };
    let settings = dir_settings(diag, keys, section);
    let path = path.filter(|p| !p.value.trim().is_empty())?;
    Some(DirectorySection {
        path: anchor(base, &path.value),
        settings,
    })
}

/// A section path, absolute and normalized; re-based onto the canonical document root when it
/// lies under the document root as written.
fn anchor(base: &PathBase<'_>, text: &str) -> PathBuf {
    let path = resolve(base.server_root, text);
    match path.strip_prefix(base.docroot_as_written) {
        Ok(rest) if base.docroot_as_written != base.document_root => base.document_root.join(rest),
        _ => path,
    }
}

const HANDLERS: [&str; 2] = ["server-status", "balancer-manager"];

fn location(
    diag: &mut Diagnostics<'_>,
    raw: RawLocation,
    path: &str,
    span: &Span,
) -> Option<LocationConfig> {
    let key = |name: &str| format!("{path}.{name}");
    let errors_before = diag.errors.len();
    let url = required(diag, raw.path, path, "path", span);
    if let Some(v) = &url
        && !v.value.starts_with('/')
    {
        diag.invalid(
            v.span.clone(),
            &key("path"),
            "expected a URL path starting with '/'",
        );
    }
    let handler = take(diag, raw.handler, &key("handler"));
    if let Some(v) = &handler
        && !HANDLERS.contains(&v.value.as_str())
    {
        let detail = format!(
            "\"{}\" is not a handler (expected {}){}",
            v.value,
            one_of(&HANDLERS),
            did_you_mean(&v.value, &HANDLERS)
        );
        diag.invalid(v.span.clone(), &key("handler"), detail);
    }
    let require = require(diag, raw.require, &key("require"));
    (diag.errors.len() == errors_before).then(|| LocationConfig {
        path: url.map(|v| v.value).unwrap_or_default(),
        handler: handler.map(|v| v.value),
        require,
    })
}

/// `require` lines: Apache's `Require` providers mpmd knows, any one of which grants.
fn require(diag: &mut Diagnostics<'_>, field: Field<StringList>, key: &str) -> Vec<RequireLine> {
    let mut lines = Vec::new();
    for line in take_list(diag, field, key)
        .map(|l| l.value)
        .unwrap_or_default()
    {
        match parse_require(&line.value) {
            Ok(parsed) => lines.push(parsed),
            Err(detail) => diag.invalid(line.span, key, detail),
        }
    }
    lines
}
