use super::*;
use crate::config::ForceLanguagePriority;

/// `name|content-type|languages|encoding|length` (empty fields for none).
fn parse_variant(spec: &str) -> Variant {
    let f: Vec<&str> = spec.split('|').collect();
    let mut v = Variant::with_type(f[0], Some(f[1]));
    v.languages = f
        .get(2)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    v.encoding = f.get(3).filter(|e| !e.is_empty()).map(|e| e.to_string());
    v.bytes = f.get(4).and_then(|n| n.parse().ok());
    v
}

struct Case {
    variants: &'static [&'static str],
    accept: Option<&'static str>,
    language: Option<&'static str>,
    charset: Option<&'static str>,
    encoding: Option<&'static str>,
    priority: &'static [&'static str],
    force: &'static str,
    want: Option<&'static str>,
}

const C: Case = Case {
    variants: &[],
    accept: None,
    language: None,
    charset: None,
    encoding: None,
    priority: &[],
    force: "prefer",
    want: None,
};

const LANGS: &[&str] = &[
    "doc.html.de|text/html|de",
    "doc.html.en|text/html|en",
    "doc.html.fr|text/html|fr",
];

const TYPES: &[&str] = &[
    "doc.html|text/html",
    "doc.pdf|application/pdf",
    "doc.txt|text/plain",
];

fn cases() -> Vec<Case> {
    vec![
        // Languages.
        Case {
            variants: LANGS,
            language: Some("fr"),
            want: Some("doc.html.fr"),
            ..C
        },
        Case {
            variants: LANGS,
            language: Some("en;q=0.5, fr;q=0.4"),
            want: Some("doc.html.en"),
            ..C
        },
        Case {
            variants: LANGS,
            language: Some("it"),
            want: None,
            ..C
        },
        Case {
            variants: LANGS,
            language: Some(""),
            want: None,
            ..C
        },
        // No Accept-Language: everything is 1; without LanguagePriority, the first in order.
        Case {
            variants: LANGS,
            want: Some("doc.html.de"),
            ..C
        },
        Case {
            variants: LANGS,
            priority: &["fr", "en"],
            want: Some("doc.html.fr"),
            ..C
        },
        Case {
            variants: LANGS,
            priority: &["fr", "en"],
            force: "none",
            want: Some("doc.html.de"),
            ..C
        },
        // Equal q in Accept-Language: Accept-Language order does not count, LanguagePriority does.
        Case {
            variants: LANGS,
            language: Some("fr, en"),
            want: Some("doc.html.en"),
            ..C
        },
        Case {
            variants: LANGS,
            language: Some("fr, en"),
            priority: &["fr"],
            want: Some("doc.html.fr"),
            ..C
        },
        // Fallback: nothing acceptable, LanguagePriority picks.
        Case {
            variants: LANGS,
            language: Some("it"),
            priority: &["en", "fr"],
            force: "fallback",
            want: Some("doc.html.en"),
            ..C
        },
        Case {
            variants: LANGS,
            language: Some("it"),
            priority: &["en", "fr"],
            force: "prefer",
            want: None,
            ..C
        },
        Case {
            variants: LANGS,
            language: Some("it"),
            priority: &["it"],
            force: "prefer fallback",
            want: None,
            ..C
        },
        Case {
            variants: LANGS,
            language: Some("en;q=0"),
            priority: &["en", "fr"],
            force: "fallback",
            want: Some("doc.html.en"),
            ..C
        },
        // Prefix matching: range "en" matches "en-gb"; the longest range wins.
        Case {
            variants: &["a.en-gb|text/html|en-gb", "a.fr|text/html|fr"],
            language: Some("en"),
            want: Some("a.en-gb"),
            ..C
        },
        Case {
            variants: &["a.en-gb|text/html|en-gb", "a.en-us|text/html|en-us"],
            language: Some("en;q=0.5, en-us"),
            want: Some("a.en-us"),
            ..C
        },
        Case {
            variants: &["a.en-gb|text/html|en-gb", "a.en-us|text/html|en-us"],
            language: Some("en-us;q=0.2, en"),
            want: Some("a.en-gb"),
            ..C
        },
        // The en-US fiddle: "en-us" reaches "en" at 0.001, still better than nothing.
        Case {
            variants: &["a.en|text/html|en", "a.fr|text/html|fr"],
            language: Some("en-us"),
            want: Some("a.en"),
            ..C
        },
        Case {
            variants: &["a.en|text/html|en", "a.fr|text/html|fr"],
            language: Some("en-us, fr;q=0.01"),
            want: Some("a.fr"),
            ..C
        },
        // A tag must match up to a '-': "en" does not match "eng".
        Case {
            variants: &["a.eng|text/html|eng"],
            language: Some("en"),
            want: None,
            ..C
        },
        // "*" matches the rest.
        Case {
            variants: LANGS,
            language: Some("it, *;q=0.1"),
            want: Some("doc.html.de"),
            ..C
        },
        Case {
            variants: LANGS,
            language: Some("fr;q=0.1, *;q=0.5"),
            want: Some("doc.html.de"),
            ..C
        },
        Case {
            variants: LANGS,
            language: Some("fr, *;q=0.5"),
            want: Some("doc.html.fr"),
            ..C
        },
        // Variants without a language: 0.0001 when others have one.
        Case {
            variants: &["doc.html|text/html", "doc.html.en|text/html|en"],
            want: Some("doc.html.en"),
            ..C
        },
        Case {
            variants: &["doc.html|text/html", "doc.html.en|text/html|en"],
            language: Some("fr"),
            want: Some("doc.html"),
            ..C
        },
        Case {
            variants: &["doc.html|text/html", "doc.html.en|text/html|en"],
            language: Some("en"),
            want: Some("doc.html.en"),
            ..C
        },
        // Several languages on one variant: the best q counts.
        Case {
            variants: &["a|text/html|de,fr", "b|text/html|en"],
            language: Some("en;q=0.5, fr;q=0.8"),
            want: Some("a"),
            ..C
        },
        // Types: without q anywhere, */* is 0.01 and type/* 0.02.
        Case {
            variants: TYPES,
            accept: Some("text/plain"),
            want: Some("doc.txt"),
            ..C
        },
        Case {
            variants: TYPES,
            accept: Some("text/*, application/pdf"),
            want: Some("doc.pdf"),
            ..C
        },
        Case {
            variants: TYPES,
            accept: Some("*/*, application/pdf"),
            want: Some("doc.pdf"),
            ..C
        },
        Case {
            variants: TYPES,
            accept: Some("text/*;q=1, application/pdf;q=0.9"),
            want: Some("doc.html"),
            ..C
        },
        // q=1 is no q: the wildcard fiddle still applies.
        Case {
            variants: TYPES,
            accept: Some("text/*;q=1, application/pdf"),
            want: Some("doc.pdf"),
            ..C
        },
        Case {
            variants: TYPES,
            accept: Some("image/png"),
            want: None,
            ..C
        },
        Case {
            variants: TYPES,
            accept: Some(""),
            want: None,
            ..C
        },
        Case {
            variants: TYPES,
            want: Some("doc.html"),
            ..C
        },
        Case {
            variants: TYPES,
            accept: Some("text/html;q=0.1, text/plain;q=0.2"),
            want: Some("doc.txt"),
            ..C
        },
        // The most specific range decides, even with a lower q.
        Case {
            variants: TYPES,
            accept: Some("text/plain;q=0.1, */*;q=0.9"),
            want: Some("doc.html"),
            ..C
        },
        Case {
            variants: &["doc.txt|text/plain"],
            accept: Some("text/plain;q=0, */*"),
            want: None,
            ..C
        },
        // qs multiplies.
        Case {
            variants: &["a.html|text/html;qs=0.5", "a.txt|text/plain;qs=0.9"],
            want: Some("a.txt"),
            ..C
        },
        Case {
            variants: &["a.html|text/html;qs=0.5", "a.txt|text/plain;qs=0.9"],
            accept: Some("text/html, text/plain;q=0.5"),
            want: Some("a.html"),
            ..C
        },
        Case {
            variants: &["a.html|text/html;qs=0", "a.txt|text/plain;qs=0.1"],
            accept: Some("text/html"),
            want: None,
            ..C
        },
        // Levels: the highest level the client explicitly accepts; else the lowest.
        Case {
            variants: &["a2|text/html;level=2", "a3|text/html;level=3"],
            accept: Some("text/html;level=3"),
            want: Some("a3"),
            ..C
        },
        Case {
            variants: &["a3|text/html;level=3", "a2|text/html;level=2"],
            accept: Some("text/html"),
            want: Some("a2"),
            ..C
        },
        Case {
            variants: &["a3|text/html;level=3", "a1|text/html;level=1"],
            want: Some("a1"),
            ..C
        },
        // Charsets: iso-8859-1 is acceptable unless excluded; a declared non-latin1 charset
        // wins a tie.
        Case {
            variants: &["a.l1|text/html", "a.u8|text/html;charset=utf-8"],
            want: Some("a.u8"),
            ..C
        },
        Case {
            variants: &["a.u8|text/html;charset=utf-8", "a.l1|text/html"],
            want: Some("a.u8"),
            ..C
        },
        Case {
            variants: &["a.u8|text/html;charset=utf-8", "a.l1|text/html"],
            charset: Some("iso-8859-1"),
            want: Some("a.l1"),
            ..C
        },
        Case {
            variants: &["a.u8|text/html;charset=utf-8", "a.l1|text/html"],
            charset: Some("utf-8"),
            want: Some("a.u8"),
            ..C
        },
        Case {
            variants: &["a.u8|text/html;charset=utf-8"],
            charset: Some("iso-8859-2"),
            want: None,
            ..C
        },
        Case {
            variants: &["a.l1|text/html"],
            charset: Some("utf-8, iso-8859-1;q=0"),
            want: None,
            ..C
        },
        Case {
            variants: &[
                "a.jis|text/html;charset=iso-2022-jp",
                "a.u8|text/html;charset=utf-8",
            ],
            charset: Some("utf-8;q=0.5, *"),
            want: Some("a.jis"),
            ..C
        },
        Case {
            variants: &["a.png|image/png"],
            charset: Some("utf-8"),
            want: Some("a.png"),
            ..C
        },
        // Encodings: identity preferred without Accept-Encoding; x- ignored.
        Case {
            variants: &["a.gz|text/html||x-gzip", "a|text/html"],
            want: Some("a"),
            ..C
        },
        Case {
            variants: &["a.gz|text/html||x-gzip|5", "a|text/html|||50"],
            encoding: Some("gzip"),
            want: Some("a.gz"),
            ..C
        },
        Case {
            variants: &["a.gz|text/html||x-gzip"],
            encoding: Some("gzip"),
            want: Some("a.gz"),
            ..C
        },
        Case {
            variants: &["a.gz|text/html||x-gzip"],
            encoding: Some("br"),
            want: None,
            ..C
        },
        Case {
            variants: &["a.gz|text/html||x-gzip"],
            want: Some("a.gz"),
            ..C
        },
        Case {
            variants: &["a.gz|text/html||x-gzip", "a|text/html"],
            encoding: Some("gzip, identity;q=0"),
            want: Some("a.gz"),
            ..C
        },
        Case {
            variants: &["a.gz|text/html||x-gzip", "a|text/html"],
            encoding: Some("*;q=0.5"),
            want: Some("a.gz"),
            ..C
        },
        // Smaller content length, then the first.
        Case {
            variants: &["a|text/html|||30", "b|text/html|||20"],
            want: Some("b"),
            ..C
        },
        Case {
            variants: &["a|text/html|||20", "b|text/html|||20"],
            want: Some("a"),
            ..C
        },
        Case {
            variants: &["a|text/html", "b|text/html|||20"],
            want: Some("a"),
            ..C
        },
        // Order of tests: type quality first, then language.
        Case {
            variants: &["a.en.txt|text/plain|en", "a.fr.html|text/html|fr"],
            accept: Some("text/html;q=0.9, text/plain;q=0.8"),
            language: Some("en, fr;q=0.1"),
            want: Some("a.fr.html"),
            ..C
        },
        Case {
            variants: &["a.en.txt|text/plain|en", "a.fr.html|text/html|fr"],
            accept: Some("text/html, text/plain"),
            language: Some("en, fr;q=0.5"),
            want: Some("a.en.txt"),
            ..C
        },
        // LanguagePriority matches case-insensitively, and as a prefix.
        Case {
            variants: &["p.fr|text/html|fr", "p.gb|text/html|en-gb"],
            priority: &["EN-GB", "fr"],
            want: Some("p.gb"),
            ..C
        },
        Case {
            variants: &["p.fr|text/html|fr", "p.gb|text/html|en-gb"],
            priority: &["EN", "fr"],
            want: Some("p.gb"),
            ..C
        },
    ]
}

fn force(text: &str) -> ForceLanguagePriority {
    ForceLanguagePriority {
        prefer: text.contains("prefer"),
        fallback: text.contains("fallback"),
    }
}

#[test]
fn apache_chooses() {
    for (i, c) in cases().iter().enumerate() {
        let variants: Vec<Variant> = c.variants.iter().map(|s| parse_variant(s)).collect();
        let accepts = Accepts::parse(c.accept, c.language, c.charset, c.encoding);
        let priority: Vec<String> = c.priority.iter().map(|s| s.to_string()).collect();
        let prefs = LanguagePrefs {
            priority: &priority,
            force: force(c.force),
        };
        let got = best_match(&variants, &accepts, NegotiateMode::PLAIN, prefs);
        let name = got.best.map(|b| variants[b].file_name.as_str());
        assert_eq!(
            name, c.want,
            "case {i}: {:?} accept={:?} lang={:?} charset={:?} enc={:?} scores={:?}",
            c.variants, c.accept, c.language, c.charset, c.encoding, got.scores
        );
    }
}

#[test]
fn rvsa_needs_a_definite_choice() {
    let variants: Vec<Variant> = LANGS.iter().map(|s| parse_variant(s)).collect();
    let rvsa = NegotiateMode::parse(Some("1.0"), None);
    let prefs = LanguagePrefs {
        priority: &[],
        force: force("prefer"),
    };
    // No Accept-Language: indefinite.
    let a = Accepts::parse(Some("text/html"), None, None, None);
    assert_eq!(best_match(&variants, &a, rvsa, prefs).best, None);
    let a = Accepts::parse(Some("text/html"), Some("fr"), None, None);
    assert_eq!(best_match(&variants, &a, rvsa, prefs).best, Some(2));
    // No fiddles: a missing Accept is */* at q 1, which is indefinite.
    let a = Accepts::parse(None, Some("fr"), None, None);
    assert_eq!(best_match(&variants, &a, rvsa, prefs).best, None);
}
