//! Apache's per-directory merge (`ap_merge_per_dir_configs` for the directives mpmd has):
//! the `[files]` base, then `[[directory]]` sections shortest path first, with `.htaccess`
//! files in between, each merged over what came before.
//!
//! Pure: [`DirConfig::merge`] takes the inherited configuration and one scope's
//! [`DirSettings`] and returns the result. Per directive, as the Apache modules merge:
//! `Options` replaces or changes by `+`/`-` (core), `AllowOverride`, `DirectoryIndex`
//! (mod_dir), `Require` (mod_authz_core, AuthMerging Off), `DefaultLanguage`,
//! `LanguagePriority`, `ForceLanguagePriority` replace when set; `ErrorDocument` merges by
//! status and the mod_mime tables by extension, the deeper scope winning.

use std::collections::BTreeMap;

use super::types::{DirConfig, DirSettings, FilesConfig, Options, OptionsDirective};

/// `inherited` after one scope's `Options` directive.
pub fn apply_options(inherited: Options, directive: Option<OptionsDirective>) -> Options {
    match directive {
        None => inherited,
        Some(OptionsDirective::Replace(o)) => o,
        Some(OptionsDirective::Change { add, remove }) => Options {
            follow_symlinks: (inherited.follow_symlinks && !remove.follow_symlinks)
                || add.follow_symlinks,
            symlinks_if_owner_match: (inherited.symlinks_if_owner_match
                && !remove.symlinks_if_owner_match)
                || add.symlinks_if_owner_match,
            indexes: (inherited.indexes && !remove.indexes) || add.indexes,
            multiviews: (inherited.multiviews && !remove.multiviews) || add.multiviews,
        },
    }
}

fn overlay<K: Ord + Clone, V: Clone>(
    base: &BTreeMap<K, V>,
    over: &BTreeMap<K, V>,
) -> BTreeMap<K, V> {
    if over.is_empty() {
        return base.clone();
    }
    let mut merged = base.clone();
    merged.extend(over.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged
}

impl DirConfig {
    /// The server-wide base: the `[files]` keys (no section merged yet).
    pub fn base(files: &FilesConfig) -> DirConfig {
        DirConfig {
            options: files.options,
            allow_override: files.allow_override,
            directory_index: files.directory_index.clone(),
            require: Vec::new(),
            error_document: files.error_document.clone(),
            add_type: files.add_type.clone(),
            add_language: files.add_language.clone(),
            add_charset: files.add_charset.clone(),
            add_encoding: files.add_encoding.clone(),
            add_handler: files.add_handler.clone(),
            default_language: files.default_language.clone(),
            language_priority: files.language_priority.clone(),
            force_language_priority: files.force_language_priority,
            mime_beyond_table: !files.add_language.is_empty()
                || !files.add_charset.is_empty()
                || !files.add_encoding.is_empty()
                || files.default_language.is_some(),
        }
    }

    /// `self` (the inherited configuration) with one scope merged over it.
    pub fn merge(&self, over: &DirSettings) -> DirConfig {
        let mime_beyond_table = self.mime_beyond_table
            || !over.add_type.is_empty()
            || !over.add_language.is_empty()
            || !over.add_charset.is_empty()
            || !over.add_encoding.is_empty()
            || over.default_language.is_some();
        DirConfig {
            options: apply_options(self.options, over.options),
            allow_override: over.allow_override.unwrap_or(self.allow_override),
            directory_index: over
                .directory_index
                .clone()
                .unwrap_or_else(|| self.directory_index.clone()),
            require: over.require.clone().unwrap_or_else(|| self.require.clone()),
            error_document: overlay(&self.error_document, &over.error_document),
            add_type: overlay(&self.add_type, &over.add_type),
            add_language: overlay(&self.add_language, &over.add_language),
            add_charset: overlay(&self.add_charset, &over.add_charset),
            add_encoding: overlay(&self.add_encoding, &over.add_encoding),
            add_handler: overlay(&self.add_handler, &over.add_handler),
            default_language: over
                .default_language
                .clone()
                .or_else(|| self.default_language.clone()),
            language_priority: over
                .language_priority
                .clone()
                .unwrap_or_else(|| self.language_priority.clone()),
            force_language_priority: over
                .force_language_priority
                .unwrap_or(self.force_language_priority),
            mime_beyond_table,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::directives::{parse_options, parse_require};
    use crate::config::types::{
        AllowOverride, ErrorDocument, ForceLanguagePriority, IndexOptions, RequireLine,
    };

    fn opts(names: &str) -> Options {
        let mut o = Options::default();
        for name in names.split_whitespace() {
            match name {
                "F" => o.follow_symlinks = true,
                "S" => o.symlinks_if_owner_match = true,
                "I" => o.indexes = true,
                "M" => o.multiviews = true,
                _ => unreachable!(),
            }
        }
        o
    }

    fn directive(words: &str) -> Option<OptionsDirective> {
        let words: Vec<&str> = words.split_whitespace().collect();
        (!words.is_empty()).then(|| parse_options(&words).unwrap())
    }

    /// Options through a chain of scopes: the base, then each scope's directive in order.
    #[test]
    fn options_chains() {
        for (base, scopes, expected) in [
            ("F", &[""][..], "F"),
            ("F", &["+Indexes"], "F I"),
            ("F", &["Indexes"], "I"),
            ("F", &["-FollowSymLinks"], ""),
            ("F", &["+Indexes", "-FollowSymLinks"], "I"),
            ("F", &["Indexes", "+FollowSymLinks"], "F I"),
            ("F", &["+Indexes", "None"], ""),
            ("F", &["None", "+Indexes"], "I"),
            ("F I", &["-Indexes", "", "+Indexes"], "F I"),
            ("F", &["+SymLinksIfOwnerMatch -FollowSymLinks"], "S"),
            ("F", &["All", "-Indexes +MultiViews"], "F M"),
            ("", &["+Indexes -Indexes"], ""),
            ("I", &["+Indexes -Indexes"], ""),
            ("I", &["-Indexes +Indexes"], "I"),
        ] {
            let mut got = opts(base);
            for scope in scopes {
                got = apply_options(got, directive(scope));
            }
            assert_eq!(got, opts(expected), "{base} then {scopes:?}");
        }
    }

    fn files() -> FilesConfig {
        FilesConfig {
            document_root: "/srv/www".into(),
            directory_index: vec!["index.html".into()],
            directory_slash: true,
            options: opts("F"),
            index_options: IndexOptions::default(),
            add_type: BTreeMap::from([("md".into(), "text/markdown".into())]),
            allow_override: AllowOverride::NONE,
            access_file_name: vec![".htaccess".into()],
            error_document: BTreeMap::from([(404, ErrorDocument::Local("/404.html".into()))]),
            add_language: BTreeMap::new(),
            add_charset: BTreeMap::new(),
            add_encoding: BTreeMap::new(),
            add_handler: BTreeMap::new(),
            default_language: None,
            language_priority: Vec::new(),
            force_language_priority: ForceLanguagePriority::default(),
            directories: Vec::new(),
        }
    }

    #[test]
    fn unset_keys_inherit() {
        let base = DirConfig::base(&files());
        assert!(!base.mime_beyond_table);
        assert_eq!(base.merge(&DirSettings::default()), base);
    }

    #[test]
    fn each_directive_merges_as_apache() {
        let base = DirConfig::base(&files());
        let outer = DirSettings {
            allow_override: Some(AllowOverride::ALL),
            directory_index: Some(vec!["index.htm".into()]),
            require: Some(vec![parse_require("all denied").unwrap()]),
            error_document: BTreeMap::from([(403, ErrorDocument::Text("no".into()))]),
            add_type: BTreeMap::from([("txt".into(), "text/x-readme".into())]),
            add_charset: BTreeMap::from([("txt".into(), "utf-8".into())]),
            default_language: Some("en".into()),
            language_priority: Some(vec!["en".into(), "fr".into()]),
            ..DirSettings::default()
        };
        let inner = DirSettings {
            require: Some(vec![parse_require("ip 10").unwrap()]),
            error_document: BTreeMap::from([(404, ErrorDocument::Default)]),
            add_type: BTreeMap::from([("md".into(), "text/plain".into())]),
            force_language_priority: Some(ForceLanguagePriority {
                prefer: false,
                fallback: true,
            }),
            ..DirSettings::default()
        };
        let mid = base.merge(&outer);
        assert!(mid.mime_beyond_table);
        let got = mid.merge(&inner);
        assert_eq!(got.allow_override, AllowOverride::ALL);
        assert_eq!(got.directory_index, ["index.htm"]);
        assert!(matches!(got.require.as_slice(), [RequireLine::Ip(_)]));
        assert_eq!(
            got.error_document,
            BTreeMap::from([
                (403, ErrorDocument::Text("no".into())),
                (404, ErrorDocument::Default),
            ])
        );
        assert_eq!(
            got.add_type,
            BTreeMap::from([
                ("md".into(), "text/plain".into()),
                ("txt".into(), "text/x-readme".into()),
            ])
        );
        assert_eq!(got.add_charset["txt"], "utf-8");
        assert_eq!(got.default_language.as_deref(), Some("en"));
        assert_eq!(got.language_priority, ["en", "fr"]);
        assert!(got.force_language_priority.fallback);
        assert!(!got.force_language_priority.prefer);
        // The outer scope's require is kept where the inner one says nothing.
        assert_eq!(mid.merge(&DirSettings::default()).require, mid.require);
    }
}
