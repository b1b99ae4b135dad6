//! What a negotiated response says about its variants (`set_neg_headers`,
//! `make_variant_list`): the `Vary` dimensions that differ among the variants, the
//! `Alternates` list, and the HTML list of a 406 or 300 page.
//!
//! Pure string building, byte for byte as httpd 2.4 writes them.

use super::variant::Variant;
use crate::http::escape::push_segment_escaped;

/// `Vary`: `negotiate` (transparent resources) then `accept`, `accept-language`,
/// `accept-charset`, `accept-encoding`, each only if the variants differ in it; joined with
/// `,` as Apache's header filter joins Vary tokens. `None` when empty.
pub fn vary(variants: &[Variant], transparent: bool) -> Option<String> {
    let (mut by_type, mut by_lang, mut by_charset, mut by_enc) = (false, false, false, false);
    if let Some((first, rest)) = variants.split_first() {
        let lang0 = first.language_list().unwrap_or_default();
        let enc0 = first.encoding.as_deref().unwrap_or("");
        for v in rest {
            by_type |= v.mime_type != first.mime_type;
            by_charset |= v.charset != first.charset;
            by_lang |= v.language_list().unwrap_or_default() != lang0;
            by_enc |= v.encoding.as_deref().unwrap_or("") != enc0;
        }
    }
    let tokens: Vec<&str> = [
        (transparent, "negotiate"),
        (by_type, "accept"),
        (by_lang, "accept-language"),
        (by_charset, "accept-charset"),
        (by_enc, "accept-encoding"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, t)| *t)
    .collect();
    (!tokens.is_empty()).then(|| tokens.join(","))
}

/// `ap_escape_path_segment`, as a header value or an HTML attribute.
pub fn escape_segment(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    push_segment_escaped(&mut out, s.as_bytes());
    // Every byte outside ASCII was escaped: the conversion cannot fail.
    String::from_utf8(out).unwrap_or_default()
}

/// `%1.3f` with trailing zeros stripped as Apache strips them (`1`, `0.5`, `0.25`).
fn source_quality(q: f32) -> String {
    let mut s = format!("{:1.3}", f64::from(q));
    if s.len() == 5 {
        let b = s.as_bytes();
        if b[4] == b'0' {
            if b[3] == b'0' {
                if b[2] == b'0' {
                    s.truncate(1);
                } else {
                    s.truncate(3);
                }
            } else {
                s.truncate(4);
            }
        }
    }
    s
}

/// `Alternates`: `{"name" qs {type t} {charset c} {language l} {encoding e} {length n}}`,
/// joined by `, `.
pub fn alternates(variants: &[Variant]) -> String {
    let mut parts = Vec::with_capacity(variants.len());
    for v in variants {
        let mut p = format!(
            "{{\"{}\" {}",
            escape_segment(&v.file_name),
            source_quality(v.source_quality)
        );
        if !v.mime_type.is_empty() {
            p.push_str(&format!(" {{type {}}}", v.mime_type));
        }
        if !v.charset.is_empty() {
            p.push_str(&format!(" {{charset {}}}", v.charset));
        }
        if let Some(l) = v.language_list() {
            p.push_str(&format!(" {{language {l}}}"));
        }
        if let Some(e) = v.encoding.as_deref().filter(|e| !e.is_empty()) {
            p.push_str(&format!(" {{encoding {e}}}"));
        }
        if let Some(n) = v.bytes {
            p.push_str(&format!(" {{length {n}}}"));
        }
        p.push('}');
        parts.push(p);
    }
    parts.join(", ")
}

/// `make_variant_list`: the HTML list a 406 or 300 page carries (the link path-escaped, its
/// text HTML-escaped, the description as written, as httpd 2.4.71 writes them).
pub fn variant_list(variants: &[Variant]) -> String {
    let mut out = String::from("Available variants:\n<ul>\n");
    for v in variants {
        let mut text = Vec::new();
        crate::http::escape::push_html_escaped(&mut text, v.file_name.as_bytes());
        out.push_str(&format!(
            "<li><a href=\"{}\">{}</a> {}",
            escape_segment(&v.file_name),
            String::from_utf8_lossy(&text),
            v.description
        ));
        if !v.mime_type.is_empty() {
            out.push_str(", type ");
            out.push_str(&v.mime_type);
        }
        if let Some(l) = v.language_list() {
            out.push_str(", language ");
            out.push_str(&l);
        }
        if !v.charset.is_empty() {
            out.push_str(", charset ");
            out.push_str(&v.charset);
        }
        if let Some(e) = &v.encoding {
            out.push_str(", encoding ");
            out.push_str(e);
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, ct: &str, langs: &[&str], enc: Option<&str>, len: Option<u64>) -> Variant {
        let mut v = Variant::with_type(name, Some(ct));
        v.languages = langs.iter().map(|s| s.to_string()).collect();
        v.encoding = enc.map(str::to_owned);
        v.bytes = len;
        v
    }

    #[test]
    fn vary_lists_what_differs() {
        let en = v("a.html.en", "text/html", &["en"], None, None);
        let fr = v("a.html.fr", "text/html", &["fr"], None, None);
        let txt = v("a.txt", "text/plain", &[], None, None);
        let utf8 = v(
            "a.html.utf8",
            "text/html; charset=utf-8",
            &["en"],
            None,
            None,
        );
        let gz = v("a.html.gz", "text/html", &["en"], Some("x-gzip"), None);
        type Row<'a> = (&'a [&'a Variant], bool, Option<&'a str>);
        let cases: &[Row<'_>] = &[
            (&[&en, &fr], true, Some("negotiate,accept-language")),
            (&[&en, &fr], false, Some("accept-language")),
            (&[&en], true, Some("negotiate")),
            (&[&en], false, None),
            (&[&en, &txt], true, Some("negotiate,accept,accept-language")),
            (&[&en, &utf8], false, Some("accept-charset")),
            (&[&en, &gz], false, Some("accept-encoding")),
            (
                &[&txt, &fr, &utf8, &gz],
                true,
                Some("negotiate,accept,accept-language,accept-charset,accept-encoding"),
            ),
        ];
        for (i, &(vars, transparent, want)) in cases.iter().enumerate() {
            let owned: Vec<Variant> = vars.iter().map(|&x| x.clone()).collect();
            assert_eq!(vary(&owned, transparent).as_deref(), want, "case {i}");
        }
    }

    #[test]
    fn lists_as_apache_writes_them() {
        let mut a = v("doc.html.en", "text/html", &["en"], None, Some(8));
        let b = v(
            "doc.html.fr",
            "text/html; qs=0.5; charset=UTF-8",
            &["fr", "de"],
            Some("x-gzip"),
            None,
        );
        a.description = "English".into();
        let vars = [a, b];
        assert_eq!(
            alternates(&vars),
            "{\"doc.html.en\" 1 {type text/html} {language en} {length 8}}, \
             {\"doc.html.fr\" 0.5 {type text/html} {charset utf-8} {language fr,de} {encoding x-gzip}}"
        );
        assert_eq!(
            variant_list(&vars),
            "Available variants:\n<ul>\n\
             <li><a href=\"doc.html.en\">doc.html.en</a> English, type text/html, language en</li>\n\
             <li><a href=\"doc.html.fr\">doc.html.fr</a> , type text/html, language fr,de, charset utf-8, encoding x-gzip</li>\n\
             </ul>\n"
        );
        for (q, s) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (0.25, "0.25"),
            (0.125, "0.125"),
            (0.0, "0"),
            (0.05, "0.05"),
        ] {
            assert_eq!(source_quality(q), s);
        }
        assert_eq!(escape_segment("a b/c.html"), "a%20b%2fc.html");
        let mut odd = v("a&b<c", "text/html", &["en"], None, None);
        odd.description = "<b>&x".into();
        assert_eq!(
            variant_list(&[odd]),
            "Available variants:\n<ul>\n<li><a href=\"a&b%3cc\">a&amp;b&lt;c</a> <b>&x, type text/html, language en</li>\n</ul>\n"
        );
    }
}
