//! The negotiated part of the tree (scenario `negotiation`, issue 7): variants for MultiViews and
//! type maps under `/neg/`, one directory per dimension so each case tests one thing, plus
//! `/neght/` (MultiViews switched on by `.htaccess`) and `/nomv/` (no MultiViews at all).
//!
//! Sizes matter: after every quality, Apache prefers the smaller variant, then the first in
//! ASCII order. The bodies below are written so that the tie-breaking cases know which rule
//! decided: a comment gives the length where it is the point. Built by `Tree::build` (which
//! then fixes every mtime), so the other scenarios' trees hold these files too, unused.

use std::fs::{self, Permissions};
use std::os::unix::fs::PermissionsExt;

use crate::tree::Tree;

/// The `<Directory>` sections rooted here are in `cases_neg::scenario`.
pub fn build(t: &Tree) {
    let text = |rel: &str, body: &str| t.file(rel, body.as_bytes());

    // Language: four languages, an unknown extension that must exclude its file, a directory
    // whose name looks like a variant (skipped).
    text("neg/lang/doc.html.en", "<p>English (en) variant.</p>\n"); // 29 bytes
    text(
        "neg/lang/doc.html.en-gb",
        "<p>British English (en-GB) variant.</p>\n",
    ); // 40
    text(
        "neg/lang/doc.html.fr",
        "<p>Variante fran\u{e7}aise (fr).</p>\n",
    ); // 33
    text(
        "neg/lang/doc.html.de",
        "<p>Deutsche Variante (de), l\u{e4}nger.</p>\n",
    ); // 40
    // Smallest of all: would win every tie if its unknown extension did not exclude it.
    text("neg/lang/doc.html.bak", "b\n");
    text(
        "neg/lang/doc.dir/inner.txt",
        "a directory named like a variant\n",
    );
    text(
        "neg/lang/plain.txt",
        "an ordinary file next to the variants\n",
    );

    // Media types: html, plain text, JSON and PNG variants of one resource.
    text(
        "neg/types/thing.html",
        "<html><body>thing as HTML</body></html>\n",
    ); // 40
    text(
        "neg/types/thing.txt",
        "thing as plain text, the longest variant here\n",
    ); // 46
    text("neg/types/thing.json", "{\"thing\": \"json\"}\n"); // 18
    t.file(
        "neg/types/thing.png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89",
    ); // 33

    // A variant with a language and one without; the one without is the smaller.
    text(
        "neg/nolang/page.html.en",
        "<p>page in English, the longer variant</p>\n",
    );
    text("neg/nolang/page.html", "<p>no language</p>\n");

    // Charsets: explicit UTF-8, ISO-8859-2, ISO-8859-1.
    text("neg/charset/doc.html.utf8", "<p>UTF-8: caf\u{e9}</p>\n");
    t.file("neg/charset/doc.html.l2", b"<p>ISO-8859-2: \xb1\xb6</p>\n");
    t.file(
        "neg/charset/doc.html.latin1",
        b"<p>ISO-8859-1: caf\xe9</p>\n",
    );
    // A text variant without a charset (assumed ISO-8859-1) and a UTF-8 one; the UTF-8 one
    // is longer, so only the ISO-8859-1 rule can make it win.
    text("neg/charset/page.html", "<p>no charset</p>\n");
    text(
        "neg/charset/page.html.utf8",
        "<p>UTF-8 page, longer than the one without a charset</p>\n",
    );

    // Encodings: plain and gzip'd variants (`.gz` is also application/gzip in mime.types),
    // a compress'd one, and a resource that exists only encoded.
    text(
        "neg/enc/data.txt",
        "plain data, longer than its compressed variants, as it should be\n",
    );
    t.file(
        "neg/enc/data.txt.gz",
        b"\x1f\x8b\x08\0\0\0\0\0\0\x03gzipped",
    );
    t.file("neg/enc/data.txt.Z", b"\x1f\x9dcompressed");
    t.file(
        "neg/enc/packed.txt.gz",
        b"\x1f\x8b\x08\0\0\0\0\0\0\x03only gzipped",
    );
    text(
        "neg/enc/note.html",
        "<p>note, not encoded, longer than the gzip one</p>\n",
    );
    t.file("neg/enc/note.html.gz", b"\x1f\x8b\x08\0\0\0\0\0\0\x03note");

    // Ties: `a` differs in length (the later name is smaller), `b` has equal lengths.
    text("neg/tie/a.html.en", "<p>a in English, the longer one</p>\n");
    text("neg/tie/a.html.fr", "<p>a, fr</p>\n");
    text("neg/tie/b.html.fr", "<p>b fr</p>\n"); // 12
    text("neg/tie/b.html.de", "<p>b de</p>\n"); // 12

    // LanguagePriority fr de en (ForceLanguagePriority default: Prefer).
    for dir in ["prio", "fallback", "both", "none"] {
        text(
            &format!("neg/{dir}/doc.html.en"),
            "<p>en, the shortest</p>\n",
        );
        text(
            &format!("neg/{dir}/doc.html.fr"),
            "<p>fr, of middle length</p>\n",
        );
        text(
            &format!("neg/{dir}/doc.html.de"),
            "<p>de, the longest of the three variants</p>\n",
        );
    }

    // DefaultLanguage fr: `page.html` is French without saying so.
    text(
        "neg/deflang/page.html",
        "<p>page, French by DefaultLanguage</p>\n",
    );
    text("neg/deflang/page.html.de", "<p>Seite auf Deutsch</p>\n");

    // Type maps.
    text("neg/map/foo.var", FOO_VAR);
    text("neg/map/foo.en.html", "<p>foo en, qs 0.8</p>\n");
    text("neg/map/foo.fr.html", "<p>foo fr, qs 0.9</p>\n");
    text("neg/map/foo.txt", "foo as text, qs 0.5\n");
    text("neg/map/lvl.var", LVL_VAR);
    text(
        "neg/map/lvl1.html",
        "<p>level 1, the longest html variant</p>\n",
    );
    text("neg/map/lvl2.html", "<p>level 2, middle</p>\n");
    text("neg/map/lvl3.html", "<p>l3</p>\n");
    text(
        "neg/map/lvl.txt",
        "the text/plain variant of lvl.var, longer than all of them\n",
    );
    text("neg/map/body.var", BODY_VAR);
    text("neg/map/zero.var", ZERO_VAR);
    text("neg/map/len.var", LEN_VAR);
    text("neg/map/enc.var", ENC_VAR);
    t.file(
        "neg/map/enc.txt.gz",
        b"\x1f\x8b\x08\0\0\0\0\0\0\x03map gzip",
    );

    // DirectoryIndex `index` resolved through MultiViews.
    text("neg/index/index.html.en", "<p>index en</p>\n");
    text("neg/index/index.html.fr", "<p>index fr, longer</p>\n");

    // MultiViews and the mod_mime tables from .htaccess: allowed by `AllowOverride
    // Options=MultiViews FileInfo` (neght) and by `All` (neghtall); bare `Options` does not
    // allow MultiViews (neghtopt: 500), nor does FileInfo alone (neghtbad: 500).
    for dir in ["neght", "neghtall", "neghtopt", "neghtbad"] {
        text(&format!("{dir}/.htaccess"), NEGHT_HTACCESS);
        text(
            &format!("{dir}/doc.html.en"),
            "<p>ht en, the longer one</p>\n",
        );
        text(&format!("{dir}/doc.html.fr"), "<p>ht fr</p>\n");
    }

    // No MultiViews: a missing name stays missing.
    text("nomv/doc.html", "<p>no MultiViews here</p>\n");

    // Edges: several languages on one file, upper-case extensions, language and charset
    // together, an unreadable variant, a source quality from AddType.
    text(
        "neg/edge/multi.html.en.de",
        "<p>one file, two languages (en, de)</p>\n",
    );
    text("neg/edge/multi.html.fr", "<p>fr only</p>\n");
    text("neg/edge/Upper.HTML.FR", "<p>upper-case extensions</p>\n");
    text(
        "neg/edge/Upper.html.de",
        "<p>lower-case extensions, longer than the other</p>\n",
    );
    text("neg/edge/mixed.html.fr.utf8", "<p>fr in UTF-8</p>\n");
    t.file(
        "neg/edge/mixed.html.fr.l2",
        b"<p>fr in ISO-8859-2, longer</p>\n",
    );
    text(
        "neg/edge/mixed.html.de.utf8",
        "<p>de in UTF-8, the longest one</p>\n",
    );
    text(
        "neg/edge/locked.html.en",
        "<p>readable, the longer variant</p>\n",
    );
    text("neg/edge/locked.html.fr", "<p>locked</p>\n");
    fs::set_permissions(
        t.path("neg/edge/locked.html.fr"),
        Permissions::from_mode(0o000),
    )
    .expect("chmod locked.html.fr");
    text("neg/edge/low.lowq", "<p>html at qs=0.5 by AddType</p>\n");
    text(
        "neg/edge/low.txt",
        "text at qs=1, longer than the html variant beside it\n",
    );
    text("neg/edge/gone.var", GONE_VAR);

    // ErrorDocuments after a negotiation (`/neg/errdoc`).
    text("neg/errdoc/doc.html.en", "<p>en</p>\n");
    text("neg/errdoc/doc.html.fr", "<p>fr</p>\n");
    text("neg/errdoc/sorry.txt", "sorry, no such page\n");
    text("neg/errdoc/locked.html.en", "<p>readable</p>\n");
    text("neg/errdoc/locked.html.fr", "<p>locked</p>\n");
    fs::set_permissions(
        t.path("neg/errdoc/locked.html.fr"),
        Permissions::from_mode(0o000),
    )
    .expect("chmod locked.html.fr");
}

/// Three variants with source qualities; the text one has no language.
const FOO_VAR: &str = "# differential test: a type map\n\
URI: foo\n\
\n\
URI: foo.en.html\n\
Content-Type: text/html; qs=0.8\n\
Content-Language: en\n\
\n\
URI: foo.fr.html\n\
Content-Type: text/html; qs=0.9\n\
Content-Language: fr\n\
\n\
URI: foo.txt\n\
Content-Type: text/plain; qs=0.5\n";

/// `level` on text/html (1, 2, 3) and a text/plain variant: which level wins depends on the
/// level the client accepts (text/html without one means 2) and on the wildcards.
const LVL_VAR: &str = "URI: lvl1.html\n\
Content-Type: text/html; level=1\n\
\n\
URI: lvl2.html\n\
Content-Type: text/html; level=2\n\
\n\
URI: lvl3.html\n\
Content-Type: text/html; level=3\n\
\n\
URI: lvl.txt\n\
Content-Type: text/plain\n";

/// Inline bodies (`Body:` with a delimiter).
const BODY_VAR: &str = "URI: body.en.html\n\
Content-Type: text/html\n\
Content-Language: en\n\
Body:----en----\n\
<p>inline English body</p>\n\
----en----\n\
\n\
URI: body.fr.html\n\
Content-Type: text/html\n\
Content-Language: fr\n\
Body:----fr----\n\
<p>corps en fran\u{e7}ais</p>\n\
----fr----\n";

/// A variant with qs=0 is never chosen, even when it is the only one the client asks for.
const ZERO_VAR: &str = "URI: foo.en.html\n\
Content-Type: text/html; qs=0\n\
Content-Language: en\n\
\n\
URI: foo.txt\n\
Content-Type: text/plain\n";

/// Declared Content-Length decides a tie (the map's length, not the file's).
const LEN_VAR: &str = "URI: foo.en.html\n\
Content-Type: text/html\n\
Content-Length: 5000\n\
\n\
URI: foo.fr.html\n\
Content-Type: text/html\n\
Content-Length: 10\n";

/// An encoded variant listed in a map.
const ENC_VAR: &str = "URI: foo.txt\n\
Content-Type: text/plain\n\
\n\
URI: enc.txt.gz\n\
Content-Type: text/plain\n\
Content-Encoding: x-gzip\n";

/// A map whose preferred variant's file does not exist.
const GONE_VAR: &str = "URI: no-such-file.html\n\
Content-Type: text/html\n\
Content-Language: en\n\
\n\
URI: multi.html.fr\n\
Content-Type: text/html\n\
Content-Language: fr\n";

const NEGHT_HTACCESS: &str = "# differential test: negotiation from .htaccess\n\
Options +MultiViews\n\
AddLanguage en .en\n\
AddLanguage fr .fr\n\
LanguagePriority en fr\n";
