//! `.htaccess` files in Apache's own syntax: one directive per line, `#` comment lines,
//! quoted arguments, `\` line continuation. Parsed into the same [`DirSettings`] a
//! `[[directory]]` section gives, so both merge the same way.
//!
//! Pure: [`parse`] turns text into settings plus the list of directives used (with their
//! override class), and [`check_allowed`] decides, per the directory's AllowOverride, whether
//! the file may be applied; the first problem in file order wins, as Apache reports it.
//! Reading, caching and logging are in `htaccess_cache.rs`.

use crate::config::directives::{
    options_named, parse_error_document, parse_error_status, parse_force_language, parse_options,
    parse_require,
};
use crate::config::{AllowOverride, DirSettings, Options, OptionsDirective};

/// Apache's override classes (the ones mpmd's directives belong to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideClass {
    Options,
    FileInfo,
    Indexes,
    AuthConfig,
}

impl OverrideClass {
    fn name(self) -> &'static str {
        match self {
            OverrideClass::Options => "Options",
            OverrideClass::FileInfo => "FileInfo",
            OverrideClass::Indexes => "Indexes",
            OverrideClass::AuthConfig => "AuthConfig",
        }
    }
}

/// One directive of the file, for the AllowOverride check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectiveUse {
    pub line: usize,
    /// The directive's canonical name (`DirectoryIndex`).
    pub name: &'static str,
    pub class: OverrideClass,
    /// For `Options`: the options named (checked against `AllowOverride Options=...`).
    pub options: Options,
}

/// A problem in a file: line (1-based) and Apache-style message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtError {
    pub line: usize,
    pub message: String,
}

/// A parsed file. If `error` is set, `uses` holds the directives before it and `settings`
/// must not be applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Htaccess {
    pub settings: DirSettings,
    pub uses: Vec<DirectiveUse>,
    /// The first syntax or argument error, with its directive and class if it is one mpmd
    /// takes (a disallowed directive is reported as such even if its arguments are bad).
    pub error: Option<(HtError, Option<(&'static str, OverrideClass)>)>,
}

/// Lines joined across `\` continuations, with the number of the first physical line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (start, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
        match raw.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                pending = Some((start, acc));
            }
            None => {
                acc.push_str(raw);
                out.push((start, acc));
            }
        }
    }
    if let Some(rest) = pending {
        out.push(rest);
    }
    out
}

/// Apache's `ap_getword_conf`: whitespace-separated words; a word starting with `"` or `'`
/// runs to the matching quote (a backslash before that quote escapes it).
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return words;
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '\\' && chars.peek() == Some(&first) {
                    word.push(first);
                    chars.next();
                } else if c == first {
                    break;
                } else {
                    word.push(c);
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
}

/// The directives mpmd applies from `.htaccess`, with their class.
const DIRECTIVES: [(&str, OverrideClass); 12] = [
    ("Options", OverrideClass::Options),
    ("DirectoryIndex", OverrideClass::Indexes),
    ("Require", OverrideClass::AuthConfig),
    ("ErrorDocument", OverrideClass::FileInfo),
    ("AddType", OverrideClass::FileInfo),
    ("AddLanguage", OverrideClass::FileInfo),
    ("AddCharset", OverrideClass::FileInfo),
    ("AddEncoding", OverrideClass::FileInfo),
    ("DefaultLanguage", OverrideClass::FileInfo),
    ("AddHandler", OverrideClass::FileInfo),
    ("LanguagePriority", OverrideClass::FileInfo),
    ("ForceLanguagePriority", OverrideClass::FileInfo),
];

/// Apache directives mpmd knows but does not take from `.htaccess` (yet), with why.
const REFUSED: [(&str, &str); 1] = [("AllowOverride", "not allowed here")];

/// Two `Options` directives of one scope, as Apache applies them in order.
fn combine_options(first: Option<OptionsDirective>, then: OptionsDirective) -> OptionsDirective {
    use OptionsDirective::*;
    match (first, then) {
        (None, d) | (Some(_), d @ Replace(_)) => d,
        (Some(Replace(o)), Change { .. }) => Replace(crate::config::apply_options(o, Some(then))),
        (
            Some(Change {
                add: a1,
                remove: r1,
            }),
            Change {
                add: a2,
                remove: r2,
            },
        ) => {
            let or = |x: bool, y: bool| x || y;
            let keep = |x: bool, cleared: bool| x && !cleared;
            Change {
                add: Options {
                    follow_symlinks: or(
                        keep(a1.follow_symlinks, r2.follow_symlinks),
                        a2.follow_symlinks,
                    ),
                    symlinks_if_owner_match: or(
                        keep(a1.symlinks_if_owner_match, r2.symlinks_if_owner_match),
                        a2.symlinks_if_owner_match,
                    ),
                    indexes: or(keep(a1.indexes, r2.indexes), a2.indexes),
                    multiviews: or(keep(a1.multiviews, r2.multiviews), a2.multiviews),
                },
                remove: Options {
                    follow_symlinks: or(
                        keep(r1.follow_symlinks, a2.follow_symlinks),
                        r2.follow_symlinks,
                    ),
                    symlinks_if_owner_match: or(
                        keep(r1.symlinks_if_owner_match, a2.symlinks_if_owner_match),
                        r2.symlinks_if_owner_match,
                    ),
                    indexes: or(keep(r1.indexes, a2.indexes), r2.indexes),
                    multiviews: or(keep(r1.multiviews, a2.multiviews), r2.multiviews),
                },
            }
        }
    }
}

fn extension_args(name: &str, args: &[String]) -> Result<(String, Vec<String>), String> {
    if args.len() < 2 {
        return Err(format!("{name} requires at least two arguments"));
    }
    let mut exts = Vec::new();
    for ext in &args[1..] {
        let e = ext.strip_prefix('.').unwrap_or(ext).to_ascii_lowercase();
        if e.is_empty() || e.contains('/') {
            return Err(format!("{name}: \"{ext}\" is not a file extension"));
        }
        exts.push(e);
    }
    Ok((args[0].to_ascii_lowercase(), exts))
}

/// Applies one directive (already known to be one of [`DIRECTIVES`]) to `s`.
fn apply(s: &mut DirSettings, name: &str, args: &[String]) -> Result<Options, String> {
    let mut named = Options::default();
    match name {
        "Options" => {
            let words: Vec<&str> = args.iter().map(String::as_str).collect();
            if words.is_empty() {
                return Err("Options requires at least one argument".into());
            }
            let d = parse_options(&words).map_err(|(_, detail)| detail)?;
            named = options_named(d);
            s.options = Some(combine_options(s.options, d));
        }
        "DirectoryIndex" => {
            if args.is_empty() {
                return Err("DirectoryIndex requires at least one argument".into());
            }
            let list = s.directory_index.get_or_insert_with(Vec::new);
            if args.len() == 1 && args[0].eq_ignore_ascii_case("disabled") {
                list.clear();
            } else {
                list.extend(args.iter().cloned());
            }
        }
        "Require" => {
            let line = parse_require(&args.join(" "))?;
            s.require.get_or_insert_with(Vec::new).push(line);
        }
        "ErrorDocument" => {
            let [code, target] = args else {
                return Err(
                    "ErrorDocument takes two arguments, Change responses for HTTP \
                            errors"
                        .into(),
                );
            };
            let status = parse_error_status(code)?;
            s.error_document
                .insert(status, parse_error_document(target)?);
        }
        "AddType" | "AddLanguage" | "AddCharset" | "AddEncoding" | "AddHandler" => {
            let (value, exts) = extension_args(name, args)?;
            if name == "AddHandler" && value != "type-map" {
                return Err(format!(
                    "AddHandler: \"{}\" is not a handler mpmd has (only \"type-map\")",
                    args[0]
                ));
            }
            let map = match name {
                "AddType" => &mut s.add_type,
                "AddLanguage" => &mut s.add_language,
                "AddCharset" => &mut s.add_charset,
                "AddHandler" => &mut s.add_handler,
                _ => &mut s.add_encoding,
            };
            let value = if name == "AddType" {
                crate::config::directives::normalize_media_type(&value)
            } else {
                value
            };
            for ext in exts {
                map.insert(ext, value.clone());
            }
        }
        "LanguagePriority" => {
            if args.is_empty() {
                return Err("LanguagePriority requires at least one argument".into());
            }
            s.language_priority
                .get_or_insert_with(Vec::new)
                .extend(args.iter().cloned());
        }
        "ForceLanguagePriority" => {
            if args.is_empty() {
                return Err("ForceLanguagePriority requires at least one argument".into());
            }
            s.force_language_priority = Some(parse_force_language(&args.join(" "))?);
        }
        "DefaultLanguage" => {
            let [tag] = args else {
                return Err("DefaultLanguage takes one argument".into());
            };
            s.default_language = Some(tag.clone());
        }
        _ => unreachable!("not a supported directive: {name}"),
    }
    Ok(named)
}

/// Parses a whole file; stops at the first error, as Apache does.
pub fn parse(text: &str) -> Htaccess {
    let mut h = Htaccess::default();
    for (line, content) in logical_lines(text) {
        let content = content.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let words = split_words(content);
        let Some((word, args)) = words.split_first() else {
            continue;
        };
        let known = DIRECTIVES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(word));
        let Some(&(name, class)) = known else {
            let message = match REFUSED.iter().find(|(n, _)| n.eq_ignore_ascii_case(word)) {
                Some((n, why)) => format!("{n} {why}"),
                None => format!(
                    "Invalid command '{word}', perhaps misspelled or defined by a module not \
                     included in the server configuration (mpmd takes Options, DirectoryIndex, \
                     Require, ErrorDocument, AddType, AddLanguage, AddCharset, AddEncoding, \
                     AddHandler, DefaultLanguage, LanguagePriority and ForceLanguagePriority \
                     from .htaccess files)"
                ),
            };
            h.error = Some((HtError { line, message }, None));
            return h;
        };
        match apply(&mut h.settings, name, args) {
            Ok(options) => h.uses.push(DirectiveUse {
                line,
                name,
                class,
                options,
            }),
            Err(message) => {
                h.error = Some((HtError { line, message }, Some((name, class))));
                return h;
            }
        }
    }
    h
}

fn class_allowed(allow: &AllowOverride, class: OverrideClass) -> bool {
    match class {
        OverrideClass::Options => allow.options.is_some(),
        OverrideClass::FileInfo => allow.file_info,
        OverrideClass::Indexes => allow.indexes,
        OverrideClass::AuthConfig => allow.auth_config,
    }
}

fn not_allowed(line: usize, name: &str, class: OverrideClass) -> HtError {
    HtError {
        line,
        message: format!(
            "{name} not allowed here (AllowOverride does not include {})",
            class.name()
        ),
    }
}

/// May `h` be applied where AllowOverride is `allow`? The first problem in file order.
pub fn check_allowed(h: &Htaccess, allow: &AllowOverride) -> Result<(), HtError> {
    for u in &h.uses {
        if !class_allowed(allow, u.class) {
            return Err(not_allowed(u.line, u.name, u.class));
        }
        if let Some(list) = allow.options {
            let o = u.options;
            let refused = [
                (o.follow_symlinks && !list.follow_symlinks, "FollowSymLinks"),
                (
                    o.symlinks_if_owner_match && !list.symlinks_if_owner_match,
                    "SymLinksIfOwnerMatch",
                ),
                (o.indexes && !list.indexes, "Indexes"),
                (o.multiviews && !list.multiviews, "MultiViews"),
            ];
            if let Some((_, option)) = refused.iter().find(|(bad, _)| *bad) {
                return Err(HtError {
                    line: u.line,
                    message: format!(
                        "Option {option} not allowed here (AllowOverride Options= does not list it)"
                    ),
                });
            }
        }
    }
    match &h.error {
        Some((e, Some((name, class)))) if !class_allowed(allow, *class) => {
            Err(not_allowed(e.line, name, *class))
        }
        Some((e, _)) => Err(e.clone()),
        None => Ok(()),
    }
}

#[cfg(test)]
#[path = "htaccess_tests.rs"]
mod tests;
