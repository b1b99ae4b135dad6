//! Unwraps lenient raw fields into values with spans, recording a located error for each value
//! of the wrong TOML type. Also path resolution against `server_root`. No defaults or ranges
//! are decided here: that is `validate.rs`.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use super::duration::{Unit, parse_duration};
use super::error::Diagnostics;
use super::file::ExtensionMap;
use super::lenient::{DurationValue, Expect, Field, Item, Lenient, StringList};

/// A checked value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Val<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// The value of a present, well-typed field.
pub fn take<T: Expect>(diag: &mut Diagnostics<'_>, field: Field<T>, key: &str) -> Option<Val<T>> {
    take_item(diag, field?, key)
}

pub fn take_item<T: Expect>(
    diag: &mut Diagnostics<'_>,
    item: Item<T>,
    key: &str,
) -> Option<Val<T>> {
    let span = item.span();
    match item.into_inner() {
        Lenient::Ok(value) => Some(Val { value, span }),
        Lenient::Bad { found, .. } => {
            diag.invalid(
                span,
                key,
                format!("expected {}, found {found}", T::EXPECTED),
            );
            None
        }
    }
}

/// Each element of a list; `None` (after reporting) if any element has the wrong type.
pub fn take_items<T: Expect>(
    diag: &mut Diagnostics<'_>,
    items: Vec<Item<T>>,
    key: &str,
) -> Option<Vec<Val<T>>> {
    let total = items.len();
    let good: Vec<Val<T>> = items
        .into_iter()
        .filter_map(|item| take_item(diag, item, key))
        .collect();
    (good.len() == total).then_some(good)
}

/// A string or a list of strings, as a list of strings with their spans.
pub fn take_list(
    diag: &mut Diagnostics<'_>,
    field: Field<StringList>,
    key: &str,
) -> Option<Val<Vec<Val<String>>>> {
    let Val { value, span } = take(diag, field, key)?;
    let list = match value {
        StringList::One(s) => vec![Val {
            value: s,
            span: span.clone(),
        }],
        StringList::Many(items) => take_items(diag, items, key)?,
    };
    Some(Val { value: list, span })
}

/// A duration in the key's unit.
pub fn take_duration(
    diag: &mut Diagnostics<'_>,
    field: Field<DurationValue>,
    key: &str,
    unit: Unit,
) -> Option<Val<Duration>> {
    let Val { value, span } = take(diag, field, key)?;
    match parse_duration(&value, unit) {
        Ok(value) => Some(Val { value, span }),
        Err(detail) => {
            diag.invalid(span, key, detail);
            None
        }
    }
}

/// One entry of a mod_mime table: the name (type, language, ...) and its extensions.
pub struct MapEntry {
    pub name: Val<String>,
    pub values: Vec<Val<String>>,
}

/// A mod_mime table (`{ "text/markdown" = [".md"] }`), entries in key order.
pub fn take_map(
    diag: &mut Diagnostics<'_>,
    field: Field<ExtensionMap>,
    key: &str,
) -> Option<Val<Vec<MapEntry>>> {
    let Val { value, span } = take(diag, field, key)?;
    let mut entries = Vec::new();
    let mut all_good = true;
    for (name, list) in value {
        let name = Val {
            span: name.span(),
            value: name.into_inner(),
        };
        let entry_key = format!("{key}.{}", name.value);
        match take_list(diag, Some(list), &entry_key) {
            Some(values) => entries.push(MapEntry {
                name,
                values: values.value,
            }),
            None => all_good = false,
        }
    }
    all_good.then_some(Val {
        value: entries,
        span,
    })
}

/// Removes `.` and resolves `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` made absolute against `root` (already absolute), normalized.
pub fn resolve(root: &Path, path: &str) -> PathBuf {
    normalize(&root.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_cases() {
        let root = Path::new("/srv/mpmd");
        for (path, expected) in [
            ("logs/error.log", "/srv/mpmd/logs/error.log"),
            ("./logs/../run/mpmd.pid", "/srv/mpmd/run/mpmd.pid"),
            ("/var/log/mpmd.log", "/var/log/mpmd.log"),
            ("..", "/srv"),
            ("../../../..", "/"),
            ("htdocs/", "/srv/mpmd/htdocs"),
        ] {
            assert_eq!(resolve(root, path), PathBuf::from(expected), "{path}");
        }
        assert_eq!(normalize(Path::new("../a/../..")), PathBuf::from("../.."));
    }
}
