//! Scenarios `negotiation` and `negotiation-qs` (issue 7): MultiViews and type maps over the
//! tree of `tree_neg.rs`, the same request headers sent to both servers, which must choose the
//! same variant.
//!
//! Besides what is always compared (status, Content-Type, Content-Language, Content-Encoding,
//! Vary, Location, Allow), a chosen variant compares Content-Location, Alternates, TCN, the
//! validators, the length and the body (the body names the variant); a list response (406,
//! 300) compares the variant links and the whole page. Each row carries Apache 2.4's answer
//! as observed (Debian's 2.4.71), so a failure can be read without running Apache; where
//! Apache surprises (Accept-Language order never breaks a tie, any `Negotiate:` gets the 300
//! list, an empty Accept-Language is a 406, a negotiated ETag loses its closing quote, bare
//! `AllowOverride Options` does not allow MultiViews) the row's name says so.

use crate::cases::{Case, case, req};
use crate::compare::Check::{self, Body, ETagValue, Header, Links, Present};
use crate::config::{Scenario, Section};
use crate::tree::Tree;

pub const NEGOTIATION: &str = "negotiation";
pub const NEGOTIATION_QS: &str = "negotiation-qs";

/// The mod_mime tables every negotiated directory shares (set on `/neg/`, inherited).
const LANGUAGES: &[(&str, &str)] = &[
    ("en", ".en"),
    ("en-GB", ".en-gb"),
    ("fr", ".fr"),
    ("de", ".de"),
];
const CHARSETS: &[(&str, &str)] = &[
    ("UTF-8", ".utf8"),
    ("ISO-8859-2", ".l2"),
    ("ISO-8859-1", ".latin1"),
];
const ENCODINGS: &[(&str, &str)] = &[("x-gzip", ".gz"), ("x-compress", ".Z")];
const TYPE_MAP: &[(&str, &str)] = &[("type-map", ".var")];

/// MultiViews and the mod_mime tables on `/neg/` (inherited below).
fn negotiated_root() -> Section {
    Section {
        dir: "neg",
        options: &["+MultiViews"],
        add_language: LANGUAGES,
        add_charset: CHARSETS,
        add_encoding: ENCODINGS,
        add_handler: TYPE_MAP,
        ..Section::default()
    }
}

/// The scenarios: `negotiation` (MultiViews on `/neg/` and below, one section per language
/// setting), and `negotiation-qs`, apart because it is the only one with a source quality in
/// AddType (`text/html;qs=0.5`): a server refusing that key still runs all the other cases.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario(),
        Scenario {
            name: NEGOTIATION_QS,
            add_default_charset: None,
            negotiation: true,
            sections: vec![
                negotiated_root(),
                Section {
                    dir: "neg/edge",
                    add_type: &[("text/html;qs=0.5", ".lowq")],
                    ..Section::default()
                },
            ],
        },
    ]
}

fn scenario() -> Scenario {
    let s = Section::default;
    Scenario {
        name: NEGOTIATION,
        add_default_charset: None,
        negotiation: true,
        sections: vec![
            negotiated_root(),
            Section {
                dir: "neg/prio",
                language_priority: &["fr", "de", "en"],
                ..s()
            },
            Section {
                dir: "neg/fallback",
                language_priority: &["de", "fr"],
                force_language_priority: Some("Fallback"),
                ..s()
            },
            Section {
                dir: "neg/both",
                language_priority: &["fr", "de"],
                force_language_priority: Some("Prefer Fallback"),
                ..s()
            },
            Section {
                dir: "neg/none",
                language_priority: &["fr", "de", "en"],
                force_language_priority: Some("None"),
                ..s()
            },
            Section {
                dir: "neg/deflang",
                default_language: Some("fr"),
                ..s()
            },
            Section {
                dir: "neg/index",
                directory_index: &["index"],
                ..s()
            },
            Section {
                dir: "neg/errdoc",
                error_document: &[
                    (406, "No variant in that language"),
                    (404, "/neg/errdoc/sorry.txt"),
                    (403, "http://example.com/forbidden"),
                ],
                ..s()
            },
            Section {
                dir: "neght",
                allow_override: &["Options=MultiViews", "FileInfo"],
                ..s()
            },
            Section {
                dir: "neghtall",
                allow_override: &["All"],
                ..s()
            },
            Section {
                dir: "neghtopt",
                allow_override: &["Options", "FileInfo"],
                ..s()
            },
            Section {
                dir: "neghtbad",
                allow_override: &["FileInfo"],
                ..s()
            },
        ],
    }
}

/// A chosen variant: which one (body, length, Content-Location), how it was announced, and its
/// validators (Apache appends the variant list's validator to the ETag, `"etag;vlv`, and loses
/// the closing quote doing so: compared without quotes).
const VARIANT: &[Check] = &[
    Header("Content-Location"),
    ETagValue,
    Header("Last-Modified"),
    Header("Alternates"),
    Header("TCN"),
    Header("Content-Length"),
    Body,
];
/// A list response (406, 300): the same variants listed, the same page.
const LIST: &[Check] = &[
    Header("Content-Location"),
    Header("Alternates"),
    Header("TCN"),
    Links,
    Header("Content-Length"),
    Body,
];

/// One row: the case's name, the request's extra header lines (`\r\n` between several; none
/// for `""`), and Apache 2.4's answer as observed (`status variant`), which also picks what is
/// compared: a 300 or 406 is a list, anything else a variant.
type Row = (&'static str, &'static str, &'static str);

/// A row with its own target: name, target, headers, Apache's answer.
type Req = (&'static str, &'static str, &'static str, &'static str);

/// The cases of `rows`, each a `GET target`.
fn rows(target: &str, rows: &[Row]) -> Vec<Case> {
    rows.iter()
        .map(|(name, headers, apache)| get(name, target, headers, apache))
        .collect()
}

fn requests(rows: &[Req]) -> Vec<Case> {
    rows.iter()
        .map(|(name, target, headers, apache)| get(name, target, headers, apache))
        .collect()
}

fn get(name: &'static str, target: &str, headers: &str, apache: &str) -> Case {
    let extra = if headers.is_empty() {
        String::new()
    } else {
        format!("{headers}\r\n")
    };
    let checks = if apache.starts_with("300") || apache.starts_with("406") {
        LIST
    } else {
        VARIANT
    };
    case(NEGOTIATION, name, req("GET", target, &extra)).with(checks)
}

/// The rows of scenario `negotiation`.
pub fn cases(tree: &Tree) -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(rows("/neg/lang/doc", LANG));
    v.extend(requests(LANG_MORE));
    v.extend(rows("/neg/nolang/page", NOLANG));
    v.extend(rows("/neg/tie/a", TIE_A));
    v.extend(rows("/neg/tie/b", TIE_B));
    v.extend(rows("/neg/types/thing", TYPES));
    v.extend(rows("/neg/charset/doc", CHARSET_DOC));
    v.extend(rows("/neg/charset/page", CHARSET_PAGE));
    v.extend(rows("/neg/enc/data", ENC_DATA));
    v.extend(rows("/neg/enc/note", ENC_NOTE));
    v.extend(rows("/neg/enc/packed", ENC_PACKED));
    v.extend(rows("/neg/prio/doc", PRIO));
    v.extend(rows("/neg/fallback/doc", FALLBACK));
    v.extend(rows("/neg/both/doc", BOTH));
    v.extend(rows("/neg/none/doc", NONE));
    v.extend(rows("/neg/deflang/page", DEFLANG));
    v.extend(rows("/neg/map/foo.var", MAP_FOO));
    v.extend(requests(MAP_MORE));
    v.extend(rows("/neg/map/lvl.var", MAP_LEVEL));
    v.extend(rows("/neg/map/body.var", MAP_BODY));
    v.extend(rows("/neg/map/zero.var", MAP_ZERO));
    v.extend(rows("/neg/map/len.var", MAP_LEN));
    v.extend(rows("/neg/map/enc.var", MAP_ENC));
    v.extend(rows("/neg/lang/doc", TCN));
    v.extend(rows("/neg/index/", INDEX));
    v.extend(requests(HTACCESS));
    v.extend(requests(HEADS).into_iter().map(head));
    v.extend(requests(EDGES));
    v.extend(error_documents());
    v.extend(methods());
    v.extend(source_quality());
    v.extend(conditional(tree));
    v
}

/// Accept-Language over `/neg/lang/doc`: en (29 bytes), en-GB (40), fr (33), de (40);
/// `doc.html.bak` (2 bytes) is excluded by its unknown extension, `doc.dir/` is a directory.
/// Accept-Language order never decides (only LanguagePriority does); length does.
#[rustfmt::skip]
const LANG: &[Row] = &[
    ("lang: fr", "Accept-Language: fr", "200 fr"),
    ("lang: q values", "Accept-Language: de;q=0.5, fr;q=0.9", "200 fr"),
    ("lang: equal q, order ignored", "Accept-Language: de, fr", "200 fr (shorter)"),
    ("lang: en-GB exact", "Accept-Language: en-GB", "200 en-gb"),
    ("lang: en matches en and en-GB", "Accept-Language: en", "200 en (shorter)"),
    ("lang: en-US, the en prefix", "Accept-Language: en-US", "200 en"),
    ("lang: prefix 0.001 beats q=0.0005", "Accept-Language: en-US, fr;q=0.0005", "200 en"),
    ("lang: q=0.002 beats prefix 0.001", "Accept-Language: en-US, fr;q=0.002", "200 fr"),
    ("lang: en-gb, en;q=0.5", "Accept-Language: en-gb, en;q=0.5", "200 en-gb"),
    ("lang: upper case tag", "Accept-Language: FR", "200 fr"),
    ("lang: nothing acceptable is 406", "Accept-Language: ja", "406, 4 variants listed"),
    ("lang: ja, * at q=0.1", "Accept-Language: ja, *;q=0.1", "200 en (shortest)"),
    ("lang: fr excluded, *", "Accept-Language: fr;q=0, *", "200 en"),
    ("lang: none sent, smallest", "", "200 en"),
];

/// Around `/neg/lang/doc`: other names, path info, a file beside the variants.
#[rustfmt::skip]
const LANG_MORE: &[Req] = &[
    ("lang: partial name doc.html", "/neg/lang/doc.html", "Accept-Language: de", "200 de"),
    ("lang: existing file not negotiated", "/neg/lang/doc.html.fr", "Accept-Language: de",
     "200 fr, no Vary, no Content-Location"),
    ("lang: query string", "/neg/lang/doc?x=1", "Accept-Language: fr", "200 fr"),
    ("lang: path info after a variant", "/neg/lang/doc/extra", "Accept-Language: fr",
     "404, Vary: accept-language"),
    ("lang: plain file beside variants", "/neg/lang/plain", "", "200 plain.txt, Vary: negotiate"),
];

/// HEAD requests (no body; the same headers as GET).
#[rustfmt::skip]
const HEADS: &[Req] = &[
    ("lang: HEAD", "/neg/lang/doc", "Accept-Language: fr", "200 fr"),
    ("type: 406 for a HEAD", "/neg/types/thing", "Accept: video/mp4", "406"),
    ("map: HEAD", "/neg/map/foo.var", "Accept-Language: fr", "200 foo.fr.html"),
];

/// `/neg/nolang/page`: page.html.en (longer) and page.html (no language).
#[rustfmt::skip]
const NOLANG: &[Row] = &[
    ("nolang: en asked", "Accept-Language: en", "200 page.html.en"),
    ("nolang: fr asked, no-language variant", "Accept-Language: fr", "200 page.html"),
    ("nolang: none sent", "", "200 page.html.en (though longer)"),
];

/// `/neg/tie/a`: en longer than fr; `/neg/tie/b`: fr and de of equal length.
#[rustfmt::skip]
const TIE_A: &[Row] = &[
    ("tie: smaller length wins", "", "200 a.html.fr"),
    ("tie: Accept-Language order, then length", "Accept-Language: en, fr", "200 a.html.fr"),
];
#[rustfmt::skip]
const TIE_B: &[Row] = &[
    ("tie: equal length, first in ASCII order", "", "200 b.html.de"),
    ("tie: Accept-Language order, then ASCII", "Accept-Language: fr, de", "200 b.html.de"),
];

/// Accept over `/neg/types/thing`: html (40 bytes), txt (46), json (18), png (33). Vary:
/// negotiate,accept.
#[rustfmt::skip]
const TYPES: &[Row] = &[
    ("type: text/plain", "Accept: text/plain", "200 thing.txt"),
    ("type: html over plain by q", "Accept: text/html, text/plain;q=0.5", "200 thing.html"),
    ("type: */* alone, smallest", "Accept: */*", "200 thing.json"),
    ("type: none sent, smallest", "", "200 thing.json"),
    ("type: */* fiddled below text/plain", "Accept: */*, text/plain", "200 thing.txt"),
    ("type: text/* fiddled below image/png", "Accept: image/png, text/*", "200 thing.png"),
    ("type: explicit q, no fiddle", "Accept: image/png;q=0.5, text/*", "200 thing.html"),
    ("type: */* with explicit q", "Accept: text/plain;q=0.5, */*;q=0.6", "200 thing.json"),
    ("type: application/json", "Accept: application/json", "200 thing.json"),
    ("type: upper case", "Accept: TEXT/PLAIN", "200 thing.txt"),
    ("type: html excluded", "Accept: text/html;q=0, text/*", "200 thing.txt"),
    ("type: params on the range", "Accept: text/html;charset=utf-8", "200 thing.html"),
    ("type: nothing acceptable is 406", "Accept: audio/*", "406"),
];

/// Accept-Charset over `/neg/charset/doc`: .utf8 (20 bytes), .l2 (22), .latin1 (24).
#[rustfmt::skip]
const CHARSET_DOC: &[Row] = &[
    ("charset: utf-8", "Accept-Charset: utf-8", "200 utf8"),
    ("charset: iso-8859-2", "Accept-Charset: iso-8859-2", "200 l2"),
    ("charset: iso-8859-1 only", "Accept-Charset: iso-8859-1", "200 latin1"),
    ("charset: none sent", "", "200 utf8"),
    ("charset: q values", "Accept-Charset: utf-8;q=0.5, iso-8859-2", "200 l2"),
    ("charset: unknown, iso-8859-1 implied", "Accept-Charset: koi8-r", "200 latin1"),
    ("charset: iso-8859-1 excluded", "Accept-Charset: iso-8859-1;q=0, koi8-r", "406"),
];
/// `/neg/charset/page`: page.html (no charset, smaller) and page.html.utf8: the ISO-8859-1
/// rule picks UTF-8.
#[rustfmt::skip]
const CHARSET_PAGE: &[Row] = &[
    ("charset: rule prefers utf-8 over none", "Accept-Charset: utf-8", "200 page.html.utf8"),
    ("charset: no header, none vs utf-8", "", "200 page.html.utf8"),
    ("charset: *", "Accept-Charset: *", "200 page.html.utf8"),
];

/// Accept-Encoding over `/neg/enc/data`: data.txt, data.txt.gz (application/gzip by
/// mime.types, x-gzip), data.txt.Z (x-compress). Vary: negotiate,accept,accept-encoding.
/// Content-Encoding takes the client's spelling (gzip or x-gzip).
#[rustfmt::skip]
const ENC_DATA: &[Row] = &[
    ("enc: none sent", "", "200 data.txt"),
    ("enc: gzip", "Accept-Encoding: gzip", "200 data.txt.gz, Content-Encoding gzip"),
    ("enc: x-gzip", "Accept-Encoding: x-gzip", "200 data.txt.gz, Content-Encoding x-gzip"),
    ("enc: gzip refused", "Accept-Encoding: gzip;q=0", "200 data.txt"),
    ("enc: unknown coding only", "Accept-Encoding: br", "200 data.txt"),
    ("enc: compress and gzip", "Accept-Encoding: compress, gzip;q=0.5", "200 data.txt.Z"),
    ("enc: identity refused", "Accept-Encoding: gzip;q=0.5, identity;q=0", "200 data.txt.gz"),
    ("enc: wildcard", "Accept-Encoding: *",
     "200 data.txt.Z (smallest), Content-Encoding x-compress"),
    // The .gz variant is application/gzip: text/plain rules it out.
    ("enc: gzip and type together", "Accept: text/plain\r\nAccept-Encoding: gzip",
     "200 data.txt"),
];
#[rustfmt::skip]
const ENC_NOTE: &[Row] = &[
    ("enc: html and html.gz, gzip", "Accept-Encoding: gzip", "200 note.html.gz"),
    ("enc: html and html.gz, none sent", "", "200 note.html"),
];
/// `/neg/enc/packed`: only packed.txt.gz. Vary: negotiate.
#[rustfmt::skip]
const ENC_PACKED: &[Row] = &[
    ("enc: only encoded, none sent", "", "200, Content-Encoding x-gzip"),
    ("enc: only encoded, gzip", "Accept-Encoding: gzip", "200, Content-Encoding gzip"),
    ("enc: only encoded, br", "Accept-Encoding: br", "406"),
];

/// `/neg/prio`: LanguagePriority fr de en (Prefer by default). en is the shortest variant,
/// de the longest.
#[rustfmt::skip]
const PRIO: &[Row] = &[
    ("prio: none sent, first priority", "", "200 fr"),
    ("prio: equal q, priority decides", "Accept-Language: en;q=0.5, de;q=0.5", "200 de"),
    ("prio: q beats priority", "Accept-Language: en, fr;q=0.9", "200 en"),
    ("prio: wildcard, priority decides", "Accept-Language: *", "200 fr"),
    ("prio: nothing acceptable, Prefer: 406", "Accept-Language: ja", "406"),
];
/// `/neg/fallback`: LanguagePriority de fr, ForceLanguagePriority Fallback.
#[rustfmt::skip]
const FALLBACK: &[Row] = &[
    ("fallback: nothing acceptable", "Accept-Language: ja", "200 de"),
    ("fallback: none sent", "", "200 en (shortest)"),
    ("fallback: acceptable language wins", "Accept-Language: en", "200 en"),
    ("fallback: equal q, no Prefer", "Accept-Language: en, fr", "200 en (shortest)"),
];
/// `/neg/both`: LanguagePriority fr de, ForceLanguagePriority Prefer Fallback.
#[rustfmt::skip]
const BOTH: &[Row] = &[
    ("both: nothing acceptable", "Accept-Language: ja", "200 fr"),
    ("both: none sent", "", "200 fr"),
    ("both: equal q", "Accept-Language: en;q=0.4, de;q=0.4", "200 de"),
];
/// `/neg/none`: LanguagePriority fr de en, ForceLanguagePriority None.
#[rustfmt::skip]
const NONE: &[Row] = &[
    ("none: none sent", "", "200 en (shortest)"),
    ("none: nothing acceptable", "Accept-Language: ja", "406"),
];
/// `/neg/deflang`: DefaultLanguage fr; page.html (fr by default) and page.html.de.
#[rustfmt::skip]
const DEFLANG: &[Row] = &[
    ("deflang: fr asked", "Accept-Language: fr", "200 page.html, Content-Language fr"),
    ("deflang: de asked", "Accept-Language: de", "200 page.html.de"),
    ("deflang: en asked", "Accept-Language: en", "406"),
];

/// `/neg/map/foo.var`: en qs 0.8, fr qs 0.9, text/plain qs 0.5 without a language. Vary:
/// negotiate,accept,accept-language.
#[rustfmt::skip]
const MAP_FOO: &[Row] = &[
    ("map: qs decides", "", "200 foo.fr.html"),
    ("map: language before qs", "Accept-Language: en", "200 foo.en.html"),
    ("map: no language matches", "Accept-Language: de", "200 foo.txt"),
    ("map: text/plain", "Accept: text/plain", "200 foo.txt"),
    ("map: type q times qs, plain", "Accept: text/html;q=0.5, text/plain", "200 foo.txt"),
    ("map: type q times qs, html", "Accept: text/html, text/plain;q=0.6", "200 foo.fr.html"),
    ("map: 406", "Accept: image/*", "406"),
];
/// `/neg/map/lvl.var`: text/html level 1 (longest html), 2, 3 (shortest), and text/plain.
/// Vary: negotiate,accept.
#[rustfmt::skip]
const MAP_LEVEL: &[Row] = &[
    ("map: level, text/html means level 2", "Accept: text/html", "200 lvl2.html"),
    ("map: level=1 asked", "Accept: text/html;level=1", "200 lvl1.html"),
    ("map: level=3 asked", "Accept: text/html;level=3", "200 lvl3.html"),
    ("map: level=4 asked, highest below", "Accept: text/html;level=4", "200 lvl3.html"),
    ("map: level, none sent", "", "200 lvl1.html"),
    ("map: level, text/*", "Accept: text/*", "200 lvl1.html"),
    ("map: level=1 and text/plain", "Accept: text/html;level=1, text/plain;q=0.5", "200 lvl1"),
];
/// `/neg/map/body.var`: inline bodies; no Content-Location, no TCN, Vary: accept-language.
#[rustfmt::skip]
const MAP_BODY: &[Row] = &[
    ("map: inline body, fr", "Accept-Language: fr", "200 the fr body"),
    ("map: inline body, none sent", "", "200 the fr body (shorter)"),
];
/// `/neg/map/zero.var`: html with qs=0, text/plain.
#[rustfmt::skip]
const MAP_ZERO: &[Row] = &[
    ("map: qs=0 never chosen", "Accept: text/html", "406"),
    ("map: qs=0, none sent", "", "200 foo.txt"),
];
/// `/neg/map/len.var`: two html variants of the same size on disk; the map declares 5000 and
/// 10. Vary: negotiate.
#[rustfmt::skip]
const MAP_LEN: &[Row] = &[("map: declared length decides", "", "200 foo.fr.html")];
/// `/neg/map/enc.var`: foo.txt and enc.txt.gz (x-gzip). Vary: negotiate,accept-encoding.
#[rustfmt::skip]
const MAP_ENC: &[Row] = &[
    ("map: encoded variant, none sent", "", "200 foo.txt"),
    ("map: encoded variant, gzip", "Accept-Encoding: gzip", "200 enc.txt.gz"),
];

/// Transparent negotiation on `/neg/lang/doc`: any `Negotiate:` gets the 300 list (TCN: list,
/// Alternates, Vary: negotiate,accept-language), whatever the preferences.
#[rustfmt::skip]
const TCN: &[Row] = &[
    ("tcn: Negotiate trans", "Negotiate: trans", "300"),
    ("tcn: Negotiate trans, fr", "Negotiate: trans\r\nAccept-Language: fr", "300"),
    ("tcn: Negotiate vlist", "Negotiate: vlist", "300"),
    ("tcn: Negotiate 1.0, fr", "Negotiate: 1.0\r\nAccept-Language: fr", "300"),
    ("tcn: Negotiate trans, nothing acceptable", "Negotiate: trans\r\nAccept-Language: ja", "300"),
];

/// `/neg/index/`: DirectoryIndex index, resolved through MultiViews.
#[rustfmt::skip]
const INDEX: &[Row] = &[
    ("index: fr", "Accept-Language: fr", "200 index.html.fr"),
    ("index: none sent", "", "200 index.html.en (shorter)"),
    ("index: nothing acceptable", "Accept-Language: ja", "406"),
];

/// Type maps reached otherwise.
#[rustfmt::skip]
const MAP_MORE: &[Req] = &[
    ("map: through MultiViews", "/neg/map/foo", "Accept-Language: en",
     "200 foo.en.html (the map is used, not the files beside it)"),
    ("tcn: Negotiate trans on a type map", "/neg/map/foo.var", "Negotiate: trans", "300"),
];

/// MultiViews, AddLanguage and LanguagePriority en fr from .htaccess; no MultiViews at all.
#[rustfmt::skip]
const HTACCESS: &[Req] = &[
    // AllowOverride Options=MultiViews FileInfo.
    (".htaccess: MultiViews, fr", "/neght/doc", "Accept-Language: fr", "200 fr"),
    (".htaccess: LanguagePriority", "/neght/doc", "", "200 en (the longer)"),
    (".htaccess: AllowOverride All", "/neghtall/doc", "Accept-Language: fr", "200 fr"),
    // AllowOverride Options FileInfo: bare Options does not allow MultiViews.
    (".htaccess: bare Options, no MultiViews", "/neghtopt/doc", "", "500"),
    // AllowOverride FileInfo.
    (".htaccess: Options not allowed", "/neghtbad/doc", "", "500"),
    ("no MultiViews: 404", "/nomv/doc", "Accept-Language: en", "404"),
];

/// Edges: several languages on one file (`multi.html.en.de`), upper-case extensions, language
/// and charset together, a variant the server cannot read, a source quality from AddType, a
/// type map naming a missing file, odd Accept-Language values, a trailing slash.
#[rustfmt::skip]
const EDGES: &[Req] = &[
    ("edge: two languages on one file", "/neg/edge/multi", "Accept-Language: de",
     "200 multi.html.en.de, Content-Language: en,de"),
    ("edge: upper-case extensions", "/neg/edge/Upper", "Accept-Language: fr",
     "200 Upper.HTML.FR"),
    ("edge: name case matters", "/neg/edge/upper", "Accept-Language: fr", "404"),
    ("edge: language and charset", "/neg/edge/mixed",
     "Accept-Language: fr\r\nAccept-Charset: iso-8859-2", "200 mixed.html.fr.l2"),
    ("edge: language and charset, none sent", "/neg/edge/mixed", "", "200 mixed.html.fr.utf8"),
    ("edge: unreadable variant", "/neg/edge/locked", "Accept-Language: fr",
     "403 (chosen, then unreadable), Content-Location locked.html.fr"),
    ("edge: map names a missing file", "/neg/edge/gone.var", "Accept-Language: en",
     "404, Content-Location no-such-file.html"),
    ("edge: empty Accept-Language", "/neg/lang/doc", "Accept-Language: ", "406"),
    ("edge: spaces around q", "/neg/lang/doc", "Accept-Language: de ; q=0.3 , fr ; q=0.4",
     "200 fr"),
    ("edge: trailing slash", "/neg/lang/doc/", "Accept-Language: fr",
     "404, Vary: accept-language"),
    ("edge: Range", "/neg/lang/doc", "Accept-Language: fr\r\nRange: bytes=0-3", "206 fr"),
];

/// ErrorDocuments on `/neg/errdoc` (406 a message, 404 a local file, 403 a full URL) for
/// answers after a negotiation: each keeps the negotiation's Vary, Alternates and TCN
/// (Apache's `err_headers_out`); Apache's answers as observed.
fn error_documents() -> Vec<Case> {
    const WITH_BODY: &[Check] = &[
        Header("Content-Location"),
        Header("Alternates"),
        Header("TCN"),
        Header("Content-Length"),
        Body,
    ];
    // A 302's page is Apache's canned one: its headers are the point.
    const HEADERS: &[Check] = &[
        Header("Content-Location"),
        Header("Alternates"),
        Header("TCN"),
    ];
    let c = |name, target: &str, headers: &str, checks| {
        case(
            NEGOTIATION,
            name,
            req("GET", target, &format!("{headers}\r\n")),
        )
        .with(checks)
    };
    vec![
        // 406 with the message, Alternates, Vary: negotiate,accept-language, TCN: list.
        c(
            "errdoc: 406 message keeps the negotiation headers",
            "/neg/errdoc/doc",
            "Accept-Language: it",
            WITH_BODY,
        ),
        // 404 with sorry.txt, Vary: accept-language.
        c(
            "errdoc: 404 after a choice, local document",
            "/neg/errdoc/doc/more",
            "Accept-Language: fr",
            WITH_BODY,
        ),
        // 302 to the URL, Vary: negotiate,accept-language, TCN: choice.
        c(
            "errdoc: 403 after a choice, redirect",
            "/neg/errdoc/locked",
            "Accept-Language: fr",
            HEADERS,
        ),
    ]
}

/// Scenario `negotiation-qs`: `AddType text/html;qs=0.5 .lowq` on `/neg/edge`, where
/// `low.lowq` (html, shorter) sits beside `low.txt`.
fn source_quality() -> Vec<Case> {
    let c = |name, headers: &str| {
        let extra = if headers.is_empty() {
            String::new()
        } else {
            format!("{headers}\r\n")
        };
        case(NEGOTIATION_QS, name, req("GET", "/neg/edge/low", &extra)).with(VARIANT)
    };
    vec![
        // 200 low.txt: 1 x 1 beats 1 x 0.5.
        c("qs: from AddType, none sent", ""),
        // 200 low.lowq.
        c("qs: from AddType, html asked", "Accept: text/html"),
        // 200 low.lowq: 1 x 0.5 beats 0.4.
        c(
            "qs: html 0.5 against plain q=0.4",
            "Accept: text/html, text/plain;q=0.4",
        ),
        // The rest of the scenario still negotiates as usual: 200 fr.
        case(
            NEGOTIATION_QS,
            "qs: unrelated variant",
            req("GET", "/neg/lang/doc", "Accept-Language: fr\r\n"),
        )
        .with(VARIANT),
    ]
}

/// Other methods on a negotiated name: POST is served the variant (no TCN, no
/// Content-Location, Vary: accept-language), OPTIONS likewise with an empty body.
fn methods() -> Vec<Case> {
    let post = "POST /neg/lang/doc HTTP/1.1\r\nHost: diff.test\r\nAccept-Language: fr\r\n\
                Content-Length: 3\r\n\r\na=b";
    let options =
        "OPTIONS /neg/lang/doc HTTP/1.1\r\nHost: diff.test\r\nAccept-Language: fr\r\n\r\n";
    vec![
        case(NEGOTIATION, "method: POST", post).with(VARIANT),
        case(NEGOTIATION, "method: OPTIONS", options).with(VARIANT),
    ]
}

/// Conditional requests and HTTP/1.0 on `/neg/lang/doc`, fr: 304 with Content-Location,
/// Vary and TCN; the variant's own ETag is not the negotiated response's (which carries the
/// variant list's validator too), so no 304 for it; HTTP/1.0 gets no Expires.
fn conditional(tree: &Tree) -> Vec<Case> {
    let d = "/neg/lang/doc";
    let own = tree.etag("neg/lang/doc.html.fr");
    let own = format!("Accept-Language: fr\r\nIf-None-Match: {own}");
    let since = "Accept-Language: fr\r\nIf-Modified-Since: Thu, 04 Mar 2021 05:06:07 GMT";
    let any = "Accept-Language: fr\r\nIf-None-Match: *";
    vec![
        get("conditional: If-Modified-Since", d, since, "304"),
        get("conditional: If-None-Match *", d, any, "304"),
        get("conditional: the variant's own ETag", d, &own, "200 fr"),
        case(
            NEGOTIATION,
            "HTTP/1.0 request",
            format!("GET {d} HTTP/1.0\r\n{}\r\n\r\n", "Accept-Language: fr"),
        )
        .with(VARIANT)
        .with(&[Present("Expires"), Header("Cache-Control")]),
    ]
}

/// The same request with HEAD instead of GET.
fn head(mut case: Case) -> Case {
    if let Some(rest) = case.script.send.strip_prefix(b"GET ") {
        case.script.send = [b"HEAD ".as_slice(), rest].concat();
    }
    case
}
