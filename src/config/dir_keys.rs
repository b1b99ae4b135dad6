//! The per-directory keys `[files]` and `[[directory]]` share: checked and turned into one
//! [`DirSettings`] (what this scope says; unset keys inherit). `[files]` then resolves it
//! over Apache's defaults (`files.rs`), a section keeps it for the merge (`merge.rs`).

use std::collections::BTreeMap;

use toml::Spanned;

use super::directives::{
    parse_allow_override, parse_error_document, parse_error_status, parse_force_language,
    parse_options, parse_require,
};
use super::error::Diagnostics;
use super::extract::{MapEntry, Val, take, take_item, take_list, take_map};
use super::file::ExtensionMap;
use super::lenient::{Field, Item, StringList};
use super::types::{DirSettings, ErrorDocument, OptionsDirective, RequireLine};
use super::values::{
    is_language_tag, is_media_type_with_params, is_token, normalize_extension, normalize_media_type,
};

/// The raw per-directory keys of one scope.
#[derive(Default)]
pub struct RawDirKeys {
    pub options: Field<StringList>,
    pub allow_override: Field<StringList>,
    pub directory_index: Field<StringList>,
    pub require: Field<StringList>,
    pub error_document: Field<BTreeMap<Spanned<String>, Item<String>>>,
    pub add_type: Field<ExtensionMap>,
    pub add_language: Field<ExtensionMap>,
    pub add_charset: Field<ExtensionMap>,
    pub add_encoding: Field<ExtensionMap>,
    pub add_handler: Field<ExtensionMap>,
    pub default_language: Field<String>,
    pub language_priority: Field<StringList>,
    pub force_language_priority: Field<String>,
}

/// Checks every key of one scope (`section` is `files` or `directory[N]`); bad values are
/// reported and left unset.
pub fn dir_settings(diag: &mut Diagnostics<'_>, raw: RawDirKeys, section: &str) -> DirSettings {
    let key = |name: &str| format!("{section}.{name}");
    DirSettings {
        options: options(diag, raw.options, &key("options")),
        allow_override: allow_override(diag, raw.allow_override, &key("allow_override")),
        directory_index: directory_index(diag, raw.directory_index, &key("directory_index")),
        require: require(diag, raw.require, &key("require")),
        error_document: error_document(diag, raw.error_document, &key("error_document")),
        add_type: extension_map(diag, raw.add_type, &key("add_type"), check_media_type)
            .into_iter()
            .map(|(ext, ty)| (ext, normalize_media_type(&ty)))
            .collect(),
        add_language: extension_map(diag, raw.add_language, &key("add_language"), |name| {
            (!is_language_tag(name)).then(|| format!("\"{name}\" is not a language tag"))
        }),
        add_charset: extension_map(diag, raw.add_charset, &key("add_charset"), |name| {
            (!is_token(name)).then(|| format!("\"{name}\" is not a charset name"))
        }),
        add_encoding: extension_map(diag, raw.add_encoding, &key("add_encoding"), |name| {
            (!is_token(name)).then(|| format!("\"{name}\" is not an encoding name"))
        }),
        add_handler: add_handler(diag, raw.add_handler, &key("add_handler")),
        default_language: default_language(diag, raw.default_language, &key("default_language")),
        language_priority: language_priority(
            diag,
            raw.language_priority,
            &key("language_priority"),
        ),
        force_language_priority: take(
            diag,
            raw.force_language_priority,
            &key("force_language_priority"),
        )
        .and_then(|v| match parse_force_language(&v.value) {
            Ok(f) => Some(f),
            Err(detail) => {
                diag.invalid(v.span, &key("force_language_priority"), detail);
                None
            }
        }),
    }
}

/// Options as written.
fn options(
    diag: &mut Diagnostics<'_>,
    field: Field<StringList>,
    key: &str,
) -> Option<OptionsDirective> {
    let list = take_list(diag, field, key)?;
    let words: Vec<&str> = list.value.iter().map(|v| v.value.as_str()).collect();
    match parse_options(&words) {
        Ok(directive) => Some(directive),
        Err((i, detail)) => {
            let span = list.value.get(i).map_or(list.span, |v| v.span.clone());
            diag.invalid(span, key, detail);
            None
        }
    }
}

fn allow_override(
    diag: &mut Diagnostics<'_>,
    field: Field<StringList>,
    key: &str,
) -> Option<super::types::AllowOverride> {
    let list = take_list(diag, field, key)?;
    let words: Vec<&str> = list.value.iter().map(|v| v.value.as_str()).collect();
    match parse_allow_override(&words) {
        Ok(allow) => Some(allow),
        Err((i, detail)) => {
            let span = list.value.get(i).map_or(list.span, |v| v.span.clone());
            diag.invalid(span, key, detail);
            None
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
    let mut good = true;
    for name in list.value {
        if name.value.trim().is_empty() || name.value.contains(char::is_whitespace) {
            diag.invalid(
                name.span,
                key,
                "expected a file name (or a local URL) without spaces",
            );
            good = false;
        } else {
            names.push(name.value);
        }
    }
    good.then_some(names)
}

/// `require` lines, any of which grants.
fn require(
    diag: &mut Diagnostics<'_>,
    field: Field<StringList>,
    key: &str,
) -> Option<Vec<RequireLine>> {
    let list = take_list(diag, field, key)?;
    if list.value.is_empty() {
        diag.invalid(
            list.span,
            key,
            "the list is empty (use [\"all granted\"] to allow everyone)",
        );
        return None;
    }
    let mut lines = Vec::new();
    let mut good = true;
    for line in list.value {
        match parse_require(&line.value) {
            Ok(l) => lines.push(l),
            Err(detail) => {
                diag.invalid(line.span, key, detail);
                good = false;
            }
        }
    }
    good.then_some(lines)
}

fn error_document(
    diag: &mut Diagnostics<'_>,
    field: Field<BTreeMap<Spanned<String>, Item<String>>>,
    key: &str,
) -> BTreeMap<u16, ErrorDocument> {
    let mut map = BTreeMap::new();
    let Some(table) = take(diag, field, key) else {
        return map;
    };
    for (code, target) in table.value {
        let status = parse_error_status(code.get_ref());
        if let Err(detail) = &status {
            diag.invalid(code.span(), key, detail);
        }
        let entry_key = format!("{key}.{}", code.get_ref());
        let Some(target) = take_item(diag, target, &entry_key) else {
            continue;
        };
        match (status, parse_error_document(&target.value)) {
            (Ok(status), Ok(doc)) => {
                map.insert(status, doc);
            }
            (_, Err(detail)) => diag.invalid(target.span, &entry_key, detail),
            (Err(_), Ok(_)) => {}
        }
    }
    map
}

fn check_media_type(name: &str) -> Option<String> {
    (!is_media_type_with_params(name)).then(|| {
        format!(
            "\"{name}\" is not a media type (expected \"type/subtype\", parameters after \";\")"
        )
    })
}

/// A mod_mime table, `{ NAME = [extensions] }` -> extension -> name (lower case, as mod_mime
/// stores it). An extension given for two names is an error.
pub fn extension_map(
    diag: &mut Diagnostics<'_>,
    field: Field<ExtensionMap>,
    key: &str,
    check_name: fn(&str) -> Option<String>,
) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let Some(entries) = take_map(diag, field, key) else {
        return map;
    };
    for entry in entries.value {
        if let Some(detail) = check_name(&entry.name.value) {
            diag.invalid(entry.name.span.clone(), key, detail);
            continue;
        }
        let name = entry.name.value.to_ascii_lowercase();
        for ext in extensions(diag, &entry, key) {
            if let Some(other) = map.insert(ext.value.clone(), name.clone())
                && other != name
            {
                let detail = format!(
                    "extension \".{}\" is given for both \"{other}\" and \"{name}\"",
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

/// AddHandler: only the `type-map` handler exists.
fn add_handler(
    diag: &mut Diagnostics<'_>,
    field: Field<ExtensionMap>,
    key: &str,
) -> BTreeMap<String, String> {
    extension_map(diag, field, key, |name| {
        (name != "type-map")
            .then(|| format!("\"{name}\" is not a handler mpmd has (only \"type-map\")"))
    })
}

fn default_language(diag: &mut Diagnostics<'_>, field: Field<String>, key: &str) -> Option<String> {
    let v = take(diag, field, key)?;
    if is_language_tag(&v.value) {
        Some(v.value)
    } else {
        diag.invalid(
            v.span,
            key,
            format!("\"{}\" is not a language tag", v.value),
        );
        None
    }
}

fn language_priority(
    diag: &mut Diagnostics<'_>,
    field: Field<StringList>,
    key: &str,
) -> Option<Vec<String>> {
    let list = take_list(diag, field, key)?;
    let mut good = true;
    for tag in &list.value {
        if !is_language_tag(&tag.value) {
            diag.invalid(
                tag.span.clone(),
                key,
                format!("\"{}\" is not a language tag", tag.value),
            );
            good = false;
        }
    }
    good.then(|| list.value.into_iter().map(|t| t.value).collect())
}
