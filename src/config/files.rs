//! `[files]`: the document tree keys, and the mod_mime / negotiation checks that `[[directory]]`
//! sections share. Supported now: `document_root`, `directory_index`, `directory_slash`,
//! `options` (only the default FollowSymLinks), `add_type`. Everything else is checked and, if
//! set to other than its default, reported as "not supported yet".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{Diagnostics, did_you_mean, one_of};
use super::extract::{MapEntry, Val, resolve, take, take_item, take_list, take_map};
use super::file::{ExtensionMap, RawFiles};
use super::later::{NEGOTIATION, TREE};
use super::lenient::{Field, Item, StringList};
use super::types::{FilesConfig, IndexOptions, Options};
use super::validate::{io_text, keyword_val, located};
use super::values::{
    is_language_tag, is_media_type, is_token, merge_options, normalize_extension,
    parse_force_language_priority,
};

/// Apache 2.4's default `Options`.
pub const DEFAULT_OPTIONS: Options = Options {
    follow_symlinks: true,
    symlinks_if_owner_match: false,
    indexes: false,
    multiviews: false,
};

pub fn build(diag: &mut Diagnostics<'_>, raw: RawFiles, root: &Path) -> FilesConfig {
    let document_root = document_root(diag, raw.document_root, root);
    let directory_index = directory_index(diag, raw.directory_index, "files.directory_index")
        .unwrap_or_else(|| vec!["index.html".into()]);
    let directory_slash =
        take(diag, raw.directory_slash, "files.directory_slash").is_none_or(|v| v.value);
    let options = match options(diag, raw.options, "files.options", DEFAULT_OPTIONS) {
        // Indexes is served (mod_autoindex); the rest of the set comes with the document tree.
        Some(v)
            if Options {
                indexes: false,
                ..v.value
            } != DEFAULT_OPTIONS =>
        {
            diag.unsupported(
                v.span,
                "files.options",
                &format!(
                    "only FollowSymLinks for now; the others come with {TREE}, MultiViews with \
                     {NEGOTIATION}"
                ),
            );
            v.value
        }
        Some(v) => v.value,
        None => DEFAULT_OPTIONS,
    };
    let index_options = index_options(diag, raw.index_options, "files.index_options");
    let add_type = add_type(diag, raw.add_type, "files.add_type");
    check_allow_override(diag, raw.allow_override, "files.allow_override");
    if let Some(list) = take_list(diag, raw.access_file_name, "files.access_file_name") {
        let mut good = true;
        for name in &list.value {
            if name.value.is_empty() || name.value.contains('/') {
                diag.invalid(
                    name.span.clone(),
                    "files.access_file_name",
                    "expected a file name without '/'",
                );
                good = false;
            }
        }
        if good && (list.value.len() != 1 || list.value[0].value != ".htaccess") {
            let why = format!("only [\".htaccess\"]; .htaccess files come with {TREE}");
            diag.unsupported(list.span, "files.access_file_name", &why);
        }
    }
    check_negotiation(
        diag,
        Negotiation {
            language_priority: raw.language_priority,
            force_language_priority: raw.force_language_priority,
            error_document: raw.error_document,
            add_language: raw.add_language,
            add_charset: raw.add_charset,
            add_encoding: raw.add_encoding,
            add_handler: raw.add_handler,
            default_language: raw.default_language,
        },
        "files",
        true,
    );
    FilesConfig {
        document_root,
        directory_index,
        directory_slash,
        options,
        index_options,
        add_type,
    }
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

/// DocumentRoot must be an existing directory; canonicalized.
fn document_root(diag: &mut Diagnostics<'_>, field: Field<String>, root: &Path) -> PathBuf {
    let key = "files.document_root";
    let given = take(diag, field, key);
    let span = given.as_ref().map(|v| v.span.clone());
    let path = match given {
        Some(v) if v.value.trim().is_empty() => {
            diag.invalid(v.span, key, "the path is empty");
            return resolve(root, "htdocs");
        }
        Some(v) => resolve(root, &v.value),
        None => resolve(root, "htdocs"),
    };
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => std::fs::canonicalize(&path).unwrap_or(path),
        Ok(_) => {
            located(
                diag,
                span,
                key,
                format!("\"{}\" is not a directory", path.display()),
            );
            path
        }
        Err(e) => {
            let detail = format!("\"{}\": {}", path.display(), io_text(&e));
            located(diag, span, key, detail);
            path
        }
    }
}

/// DirectoryIndex: a list of names; `"disabled"` alone = `[]`.
pub fn directory_index(
    diag: &mut Diagnostics<'_>,
    field: Field<StringList>,
    key: &str,
) -> Option<Vec<String>> {
    let list = take_list(diag, field, key)?;
    if list.value.len() == 1 && list.value[0].value.eq_ignore_ascii_case("disabled") {
        return Some(Vec::new());
    }
    let mut names = Vec::new();
    for name in list.value {
        if name.value.trim().is_empty() || name.value.contains(char::is_whitespace) {
            diag.invalid(
                name.span,
                key,
                "expected a file name (or a local URL) without spaces",
            );
        } else {
            names.push(name.value);
        }
    }
    Some(names)
}

/// Options merged over `base`; errors point at the offending entry.
pub fn options(
    diag: &mut Diagnostics<'_>,
    field: Field<StringList>,
    key: &str,
    base: Options,
) -> Option<Val<Options>> {
    let list = take_list(diag, field, key)?;
    let words: Vec<&str> = list.value.iter().map(|v| v.value.as_str()).collect();
    match merge_options(&words, base) {
        Ok(value) => Some(Val {
            value,
            span: list.span,
        }),
        Err((i, detail)) => {
            let span = list
                .value
                .get(i)
                .map_or(list.span.clone(), |v| v.span.clone());
            diag.invalid(span, key, detail);
            None
        }
    }
}

const OVERRIDE_CLASSES: [&str; 7] = [
    "None",
    "All",
    "Options",
    "FileInfo",
    "Indexes",
    "Limit",
    "AuthConfig",
];

/// AllowOverride: checked in Apache's order (`None` clears, `All` and classes add); anything
/// that lets `.htaccess` files in is not supported yet.
pub fn check_allow_override(diag: &mut Diagnostics<'_>, field: Field<StringList>, key: &str) {
    let Some(list) = take_list(diag, field, key) else {
        return;
    };
    let mut allows_something = false;
    let mut good = true;
    for word in &list.value {
        let (class, args) = word
            .value
            .split_once('=')
            .map_or((word.value.as_str(), None), |(c, a)| (c, Some(a)));
        let known = OVERRIDE_CLASSES
            .iter()
            .find(|c| c.eq_ignore_ascii_case(class.trim()));
        match (known, args) {
            (Some(&"None"), None) => allows_something = false,
            (Some(&"Options"), Some(args)) => {
                let names: Vec<&str> = args.split(',').map(str::trim).collect();
                if let Err((_, detail)) = merge_options(&names, Options::default()) {
                    diag.invalid(word.span.clone(), key, detail);
                    good = false;
                }
                allows_something = true;
            }
            (Some(_), None) => allows_something = true,
            _ => {
                diag.invalid(
                    word.span.clone(),
                    key,
                    format!(
                        "\"{}\" is not an override class (expected {}){}",
                        word.value,
                        one_of(&OVERRIDE_CLASSES),
                        did_you_mean(class, &OVERRIDE_CLASSES)
                    ),
                );
                good = false;
            }
        }
    }
    if list.value.is_empty() {
        diag.invalid(list.span, key, "the list is empty (use \"None\")");
    } else if good && allows_something {
        let why = format!("only \"None\"; .htaccess files come with {TREE}");
        diag.unsupported(list.span, key, &why);
    }
}

/// `add_type`: extension -> media type; an extension given for two types is an error.
pub fn add_type(
    diag: &mut Diagnostics<'_>,
    field: Field<ExtensionMap>,
    key: &str,
) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let Some(entries) = take_map(diag, field, key) else {
        return map;
    };
    for entry in entries.value {
        if !is_media_type(&entry.name.value) {
            let detail = format!(
                "\"{}\" is not a media type (expected \"type/subtype\")",
                entry.name.value
            );
            diag.invalid(entry.name.span.clone(), key, detail);
            continue;
        }
        for ext in extensions(diag, &entry, key) {
            let media_type = entry.name.value.to_ascii_lowercase();
            if let Some(other) = map.insert(ext.value.clone(), media_type.clone())
                && other != media_type
            {
                let detail = format!(
                    "extension \".{}\" is given for both \"{other}\" and \"{media_type}\"",
                    ext.value
                );
                diag.invalid(ext.span, key, detail);
            }
        }
    }
    map
}

/// The normalized extensions of one table entry; bad ones are reported and skipped.
fn extensions(diag: &mut Diagnostics<'_>, entry: &MapEntry, key: &str) -> Vec<Val<String>> {
    let entry_key = format!("{key}.{}", entry.name.value);
    let mut out = Vec::new();
    if entry.values.is_empty() {
        diag.invalid(
            entry.name.span.clone(),
            &entry_key,
            "the list of extensions is empty",
        );
    }
    for ext in &entry.values {
        match normalize_extension(&ext.value) {
            Ok(value) => out.push(Val {
                value,
                span: ext.span.clone(),
            }),
            Err(detail) => diag.invalid(ext.span.clone(), &entry_key, detail),
        }
    }
    out
}

/// The content-negotiation and mod_mime keys that are not supported yet.
pub struct Negotiation {
    pub language_priority: Field<StringList>,
    pub force_language_priority: Field<String>,
    pub error_document: Field<BTreeMap<toml::Spanned<String>, Item<String>>>,
    pub add_language: Field<ExtensionMap>,
    pub add_charset: Field<ExtensionMap>,
    pub add_encoding: Field<ExtensionMap>,
    pub add_handler: Field<ExtensionMap>,
    pub default_language: Field<String>,
}

/// Checks each value; with `report_unsupported`, any non-default value is an error too
/// (inside `[[directory]]` the whole section is reported instead).
pub fn check_negotiation(
    diag: &mut Diagnostics<'_>,
    n: Negotiation,
    section: &str,
    report_unsupported: bool,
) {
    let unsupported = |diag: &mut Diagnostics<'_>, span, key: &str| {
        if report_unsupported {
            let why = format!("leave it unset; it comes with {NEGOTIATION}");
            diag.unsupported(span, key, &why);
        }
    };
    let key = format!("{section}.language_priority");
    if let Some(list) = take_list(diag, n.language_priority, &key) {
        let mut good = true;
        for tag in &list.value {
            if !is_language_tag(&tag.value) {
                diag.invalid(
                    tag.span.clone(),
                    &key,
                    format!("\"{}\" is not a language tag", tag.value),
                );
                good = false;
            }
        }
        if good && !list.value.is_empty() {
            unsupported(diag, list.span, &key);
        }
    }
    let key = format!("{section}.force_language_priority");
    if let Some(v) = keyword_val(
        diag,
        n.force_language_priority,
        &key,
        parse_force_language_priority,
    ) && v.value != "prefer"
        && report_unsupported
    {
        let why = format!("only \"prefer\"; the others come with {NEGOTIATION}");
        diag.unsupported(v.span, &key, &why);
    }
    let key = format!("{section}.error_document");
    if let Some(table) = take(diag, n.error_document, &key) {
        let mut good = true;
        let empty = table.value.is_empty();
        for (code, target) in table.value {
            let status: Option<u16> = code.get_ref().parse().ok();
            if !status.is_some_and(|s| (400..=599).contains(&s)) {
                let detail = format!(
                    "\"{}\" is not an error status (expected 400 to 599)",
                    code.get_ref()
                );
                diag.invalid(code.span(), &key, detail);
                good = false;
            }
            let entry_key = format!("{key}.{}", code.get_ref());
            match take_item(diag, target, &entry_key) {
                Some(t) if t.value.trim().is_empty() => {
                    diag.invalid(
                        t.span,
                        &entry_key,
                        "expected a local URL, a full URL or a message",
                    );
                    good = false;
                }
                Some(_) => {}
                None => good = false,
            }
        }
        if good && !empty && report_unsupported {
            let why = format!("leave it unset; it comes with {TREE}");
            diag.unsupported(table.span, &key, &why);
        }
    }
    type NameCheck = fn(&str) -> Option<String>;
    let tables: [(Field<ExtensionMap>, &str, NameCheck); 4] = [
        (n.add_language, "add_language", |name| {
            (!is_language_tag(name)).then(|| format!("\"{name}\" is not a language tag"))
        }),
        (n.add_charset, "add_charset", |name| {
            (!is_token(name)).then(|| format!("\"{name}\" is not a charset name"))
        }),
        (n.add_encoding, "add_encoding", |name| {
            (!is_token(name)).then(|| format!("\"{name}\" is not an encoding name"))
        }),
        (n.add_handler, "add_handler", |name| {
            (name != "type-map")
                .then(|| format!("\"{name}\" is not a handler mpmd has (only \"type-map\")"))
        }),
    ];
    for (field, name, check) in tables {
        let key = format!("{section}.{name}");
        let Some(entries) = take_map(diag, field, &key) else {
            continue;
        };
        let mut good = true;
        for entry in &entries.value {
            if let Some(detail) = check(&entry.name.value) {
                diag.invalid(entry.name.span.clone(), &key, detail);
                good = false;
            }
            let before = diag.errors.len();
            extensions(diag, entry, &key);
            good &= diag.errors.len() == before;
        }
        if good && !entries.value.is_empty() {
            unsupported(diag, entries.span, &key);
        }
    }
    let key = format!("{section}.default_language");
    if let Some(v) = take(diag, n.default_language, &key) {
        if is_language_tag(&v.value) {
            unsupported(diag, v.span, &key);
        } else {
            diag.invalid(
                v.span,
                &key,
                format!("\"{}\" is not a language tag", v.value),
            );
        }
    }
}
