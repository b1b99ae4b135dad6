use super::*;
use crate::config::{ErrorDocument, RequireLine};

#[test]
fn words_and_quotes() {
    for (line, expected) in [
        ("AddType text/html .x", &["AddType", "text/html", ".x"][..]),
        ("  Require   all granted  ", &["Require", "all", "granted"]),
        (
            "ErrorDocument 403 \"Go away, please\"",
            &["ErrorDocument", "403", "Go away, please"],
        ),
        (
            "ErrorDocument 403 'it''s'",
            &["ErrorDocument", "403", "it", "s"],
        ),
        (
            r#"X "a \"quoted\" word" b"#,
            &["X", "a \"quoted\" word", "b"],
        ),
        ("X \"unterminated rest", &["X", "unterminated rest"]),
        ("X \"\"", &["X", ""]),
    ] {
        assert_eq!(split_words(line), expected, "{line}");
    }
}

fn settings(text: &str) -> DirSettings {
    let h = parse(text);
    assert_eq!(h.error, None, "{text}");
    h.settings
}

#[test]
fn every_supported_directive() {
    let s = settings(
        "# a comment\n\
         \n\
         Options -Indexes +SymLinksIfOwnerMatch\n\
         DirectoryIndex start.html \\\n    index.html\n\
         DirectoryIndex more.html\n\
         Require ip 10.1\n\
         require host example.org\n\
         ErrorDocument 404 /missing.html\n\
         ErrorDocument 403 \"No entry\"\n\
         ErrorDocument 500 http://example.com/oops\n\
         AddType text/markdown .md .MARKDOWN\n\
         AddLanguage fr .fr\n\
         AddCharset UTF-8 .utf8\n\
         AddEncoding x-gzip .gz\n\
         DefaultLanguage en\r\n\
         AddHandler type-map .var .map\n\
         LanguagePriority en fr\n\
         LanguagePriority de\n\
         ForceLanguagePriority Prefer Fallback\n",
    );
    assert_eq!(
        s.options,
        Some(OptionsDirective::Change {
            add: Options {
                symlinks_if_owner_match: true,
                ..Options::default()
            },
            remove: Options {
                indexes: true,
                ..Options::default()
            },
        })
    );
    assert_eq!(
        s.directory_index.as_deref(),
        Some(
            &[
                "start.html".to_string(),
                "index.html".into(),
                "more.html".into()
            ][..]
        )
    );
    assert!(matches!(
        s.require.as_deref(),
        Some([RequireLine::Ip(_), RequireLine::Host(_)])
    ));
    assert_eq!(
        s.error_document[&404],
        ErrorDocument::Local("/missing.html".into())
    );
    assert_eq!(
        s.error_document[&403],
        ErrorDocument::Text("No entry".into())
    );
    assert_eq!(
        s.error_document[&500],
        ErrorDocument::Redirect("http://example.com/oops".into())
    );
    assert_eq!(s.add_type["md"], "text/markdown");
    assert_eq!(s.add_type["markdown"], "text/markdown");
    assert_eq!(s.add_language["fr"], "fr");
    assert_eq!(s.add_charset["utf8"], "utf-8");
    assert_eq!(s.add_encoding["gz"], "x-gzip");
    assert_eq!(s.default_language.as_deref(), Some("en"));
    assert_eq!(s.add_handler["var"], "type-map");
    assert_eq!(s.add_handler["map"], "type-map");
    assert_eq!(
        s.language_priority.as_deref(),
        Some(&["en".to_string(), "fr".into(), "de".into()][..])
    );
    assert_eq!(
        s.force_language_priority,
        Some(crate::config::ForceLanguagePriority {
            prefer: true,
            fallback: true
        })
    );
    let s = settings("Options +MultiViews");
    assert!(matches!(s.options, Some(OptionsDirective::Change { add, .. }) if add.multiviews));
}

#[test]
fn options_lines_combine_in_order() {
    let o = |names: &[&str]| {
        let mut o = Options::default();
        for n in names {
            match *n {
                "F" => o.follow_symlinks = true,
                "I" => o.indexes = true,
                "S" => o.symlinks_if_owner_match = true,
                _ => unreachable!(),
            }
        }
        o
    };
    for (text, expected) in [
        (
            "Options Indexes\nOptions +FollowSymLinks",
            OptionsDirective::Replace(o(&["F", "I"])),
        ),
        (
            "Options +Indexes\nOptions None",
            OptionsDirective::Replace(o(&[])),
        ),
        (
            "Options +Indexes\nOptions -Indexes +FollowSymLinks",
            OptionsDirective::Change {
                add: o(&["F"]),
                remove: o(&["I"]),
            },
        ),
    ] {
        assert_eq!(settings(text).options, Some(expected), "{text}");
    }
    assert_eq!(
        settings("DirectoryIndex a.html\nDirectoryIndex disabled").directory_index,
        Some(Vec::new())
    );
}

#[test]
fn errors_stop_at_the_first_one() {
    for (text, line, message) in [
        (
            "Options +Indexes\nRewriteEngine on\nBogus",
            2,
            "Invalid command 'RewriteEngine'",
        ),
        (
            "\n\nOptions Indexes +FollowSymLinks",
            3,
            "either all options must start",
        ),
        (
            "AddHandler cgi-script .cgi",
            1,
            "\"cgi-script\" is not a handler mpmd has",
        ),
        (
            "ForceLanguagePriority Sometimes",
            1,
            "\"Sometimes\" is not one of",
        ),
        ("LanguagePriority", 1, "LanguagePriority requires"),
        ("Require not ip 10.1", 1, "negative Require"),
        ("Require all", 1, "is not a valid require line"),
        ("ErrorDocument 404", 1, "ErrorDocument takes two arguments"),
        ("ErrorDocument 200 /x", 1, "\"200\" is not an error status"),
        (
            "AddType text/html",
            1,
            "AddType requires at least two arguments",
        ),
        ("DefaultLanguage", 1, "DefaultLanguage takes one argument"),
        ("AllowOverride All", 1, "AllowOverride not allowed here"),
        ("<IfModule mod_rewrite.c>", 1, "Invalid command '<IfModule'"),
        ("DirectoryIndex a \\\n b\nNope", 3, "Invalid command 'Nope'"),
    ] {
        let h = parse(text);
        let (e, _) = h.error.unwrap_or_else(|| panic!("no error for {text:?}"));
        assert_eq!(e.line, line, "{text:?}");
        assert!(e.message.contains(message), "{text:?}: {}", e.message);
    }
}

#[test]
fn allow_override_decides() {
    let none = AllowOverride::NONE;
    let file_info = AllowOverride {
        file_info: true,
        ..none
    };
    let only_indexes_option = AllowOverride {
        options: Some(Options {
            indexes: true,
            ..Options::default()
        }),
        ..none
    };
    type Row = (
        &'static str,
        AllowOverride,
        Result<(), (usize, &'static str)>,
    );
    let cases: &[Row] = &[
        ("AddType text/x-a .a", file_info, Ok(())),
        ("AddType text/x-a .a", AllowOverride::ALL, Ok(())),
        (
            "AddType text/x-a .a\nDirectoryIndex x.html",
            file_info,
            Err((
                2,
                "DirectoryIndex not allowed here (AllowOverride does not include Indexes)",
            )),
        ),
        (
            "Require all denied",
            file_info,
            Err((
                1,
                "Require not allowed here (AllowOverride does not include AuthConfig)",
            )),
        ),
        (
            "Require all denied",
            AllowOverride {
                limit: true,
                ..none
            },
            Err((1, "Require not allowed here")),
        ),
        (
            "Require all denied",
            AllowOverride {
                auth_config: true,
                ..none
            },
            Ok(()),
        ),
        ("Options +Indexes", only_indexes_option, Ok(())),
        (
            "Options -FollowSymLinks",
            only_indexes_option,
            Err((1, "Option FollowSymLinks not allowed here")),
        ),
        (
            "Options +Indexes",
            file_info,
            Err((
                1,
                "Options not allowed here (AllowOverride does not include Options)",
            )),
        ),
        // A disallowed directive with bad arguments is reported as disallowed...
        (
            "ErrorDocument 200 /x",
            none,
            Err((1, "ErrorDocument not allowed here")),
        ),
        // ... an allowed one as bad, and an earlier disallowed one first.
        (
            "ErrorDocument 200 /x",
            file_info,
            Err((1, "is not an error status")),
        ),
        (
            "DirectoryIndex a.html\nFoo",
            file_info,
            Err((1, "DirectoryIndex not allowed here")),
        ),
        (
            "DirectoryIndex a.html\nFoo",
            AllowOverride::ALL,
            Err((2, "Invalid command 'Foo'")),
        ),
    ];
    for (text, allow, expected) in cases {
        let got = check_allowed(&parse(text), allow);
        match (got, expected) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err((line, message))) => {
                assert_eq!(e.line, *line, "{text:?}");
                assert!(e.message.contains(message), "{text:?}: {}", e.message);
            }
            (got, _) => panic!("{text:?} with {allow:?}: got {got:?}, expected {expected:?}"),
        }
    }
}
