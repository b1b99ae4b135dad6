//! `[files]`: the document tree keys. The per-directory ones (shared with `[[directory]]`) are
//! checked in `dir_keys.rs`; here they are resolved over Apache's defaults into the
//! server-wide base, next to the keys only `[files]` has (`document_root`, `directory_slash`,
//! `access_file_name`, `index_options`).

use std::path::{Path, PathBuf};

use super::dir_keys::{RawDirKeys, dir_settings};
use super::error::{Diagnostics, did_you_mean, one_of};
use super::extract::{resolve, take, take_list};
use super::file::RawFiles;
use super::lenient::{Field, StringList};
use super::merge::apply_options;
use super::types::{AllowOverride, FilesConfig, IndexOptions, Options};
use super::validate::{io_text, located};

/// Apache 2.4's default `Options`.
pub const DEFAULT_OPTIONS: Options = Options {
    follow_symlinks: true,
    symlinks_if_owner_match: false,
    indexes: false,
    multiviews: false,
};

/// The `[files]` table, and the document root as written (resolved but not canonicalized),
/// against which `[[directory]]` paths are re-based. `directories` is left empty.
pub fn build(diag: &mut Diagnostics<'_>, raw: RawFiles, root: &Path) -> (FilesConfig, PathBuf) {
    let (document_root, as_written) = document_root(diag, raw.document_root, root);
    let directory_slash =
        take(diag, raw.directory_slash, "files.directory_slash").is_none_or(|v| v.value);
    let index_options = index_options(diag, raw.index_options, "files.index_options");
    let mut access_file_name = vec![".htaccess".to_owned()];
    if let Some(list) = take_list(diag, raw.access_file_name, "files.access_file_name") {
        let mut good = !list.value.is_empty();
        if !good {
            diag.invalid(list.span, "files.access_file_name", "the list is empty");
        }
        for name in &list.value {
            if name.value.is_empty() || name.value.contains('/') || name.value == ".." {
                diag.invalid(
                    name.span.clone(),
                    "files.access_file_name",
                    "expected a file name without '/'",
                );
                good = false;
            }
        }
        if good {
            access_file_name = list.value.into_iter().map(|v| v.value).collect();
        }
    }
    let keys = RawDirKeys {
        options: raw.options,
        allow_override: raw.allow_override,
        directory_index: raw.directory_index,
        require: None,
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
    let s = dir_settings(diag, keys, "files");
    let files = FilesConfig {
        document_root,
        directory_index: s
            .directory_index
            .unwrap_or_else(|| vec!["index.html".into()]),
        directory_slash,
        options: apply_options(DEFAULT_OPTIONS, s.options),
        index_options,
        add_type: s.add_type,
        allow_override: s.allow_override.unwrap_or(AllowOverride::NONE),
        access_file_name,
        error_document: s.error_document,
        add_language: s.add_language,
        add_charset: s.add_charset,
        add_encoding: s.add_encoding,
        add_handler: s.add_handler,
        default_language: s.default_language,
        language_priority: s.language_priority.unwrap_or_default(),
        force_language_priority: s.force_language_priority.unwrap_or_default(),
        directories: Vec::new(),
    };
    (files, as_written)
}

/// `index_options`: IndexOptions' layout keywords, case-insensitive as in Apache.
fn index_options(diag: &mut Diagnostics<'_>, field: Field<StringList>, key: &str) -> IndexOptions {
    const KEYWORDS: [&str; 2] = ["FancyIndexing", "HTMLTable"];
    let mut o = IndexOptions::default();
    let Some(list) = take_list(diag, field, key) else {
        return o;
    };
    for word in list.value {
        if word.value.eq_ignore_ascii_case("FancyIndexing") {
            o.fancy_indexing = true;
        } else if word.value.eq_ignore_ascii_case("HTMLTable") {
            o.html_table = true;
        } else {
            let detail = format!(
                "expected {}{}",
                one_of(&KEYWORDS),
                did_you_mean(&word.value, &KEYWORDS)
            );
            diag.invalid(word.span, key, &detail);
        }
    }
    o
}

/// DocumentRoot must be an existing directory; canonicalized. Also returns the path as
/// written (resolved against `server_root`).
fn document_root(
    diag: &mut Diagnostics<'_>,
    field: Field<String>,
    root: &Path,
) -> (PathBuf, PathBuf) {
    let key = "files.document_root";
    let given = take(diag, field, key);
    let span = given.as_ref().map(|v| v.span.clone());
    let path = match given {
        Some(v) if v.value.trim().is_empty() => {
            diag.invalid(v.span, key, "the path is empty");
            let path = resolve(root, "htdocs");
            return (path.clone(), path);
        }
        Some(v) => resolve(root, &v.value),
        None => resolve(root, "htdocs"),
    };
    let canonical = match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()),
        Ok(_) => {
            located(
                diag,
                span,
                key,
                format!("\"{}\" is not a directory", path.display()),
            );
            path.clone()
        }
        Err(e) => {
            let detail = format!("\"{}\": {}", path.display(), io_text(&e));
            located(diag, span, key, detail);
            path.clone()
        }
    };
    (canonical, path)
}
