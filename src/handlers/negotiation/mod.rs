//! Content negotiation (mod_negotiation): MultiViews and type maps, choosing exactly the
//! variant Apache 2.4 chooses and answering with the headers it sends.
//!
//! The decision is pure: [`negotiate`] takes the variants (from a directory listing or a
//! type map) and the request's Accept* / Negotiate headers and returns which variant to serve
//! with its `Content-Location` / `Vary` / `TCN` / `Alternates` headers, or the 406 / 300 list.
//! `accept` parses the headers, `choose` is Apache's algorithm, `headers` builds the header
//! values and the HTML list, `typemap` parses `.var` files. The effects (reading directories
//! and maps, with a per-child cache) are in `lookup`; serving the chosen file stays with the
//! static file handler. Nothing here writes to the client.

pub mod accept;
pub mod choose;
pub mod headers;
pub mod lookup;
pub mod typemap;
pub mod variant;

pub use accept::{Accepts, NegotiateMode};
pub use choose::LanguagePrefs;
pub use lookup::NegotiationCache;
pub use variant::{Source, Variant};

/// What the request says, for negotiation.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestHeaders<'a> {
    pub accept: Option<&'a str>,
    pub accept_language: Option<&'a str>,
    pub accept_charset: Option<&'a str>,
    pub accept_encoding: Option<&'a str>,
    pub negotiate: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Headers a negotiated response carries, in Apache's order.
pub type NegHeaders = Vec<(&'static str, String)>;

/// The negotiation's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Serve `variants[index]`, adding `headers` (Content-Location, Alternates, Vary, TCN).
    Choose { index: usize, headers: NegHeaders },
    /// Nothing acceptable: 406, or 300 for a client that negotiates transparently; `list` is
    /// the HTML list of variants the page carries.
    List {
        status: u16,
        headers: NegHeaders,
        list: String,
    },
}

/// Apache's `do_negotiation` over `variants`. `get_like` is true for GET and HEAD (only those
/// can be transparently negotiated); `path_info` when the request had extra path.
pub fn negotiate(
    variants: &[Variant],
    req: &RequestHeaders<'_>,
    get_like: bool,
    path_info: bool,
    prefs: LanguagePrefs<'_>,
) -> Decision {
    let transparent = get_like
        && !path_info
        && variants
            .iter()
            .all(|v| !v.file_name.contains('/') && v.source == Source::File);
    let mode = if transparent {
        NegotiateMode::parse(req.negotiate, req.user_agent)
    } else {
        NegotiateMode::PLAIN
    };
    let accepts = Accepts::parse(
        req.accept,
        req.accept_language,
        req.accept_charset,
        req.accept_encoding,
    );
    let choice = choose::best_match(variants, &accepts, mode, prefs);
    let mut out: NegHeaders = Vec::new();
    let neg_headers = |out: &mut NegHeaders, send_alternates: bool, tcn: &'static str| {
        if send_alternates && !variants.is_empty() {
            out.push(("Alternates", headers::alternates(variants)));
        }
        if let Some(vary) = headers::vary(variants, transparent) {
            out.push(("Vary", vary));
        }
        if transparent {
            out.push(("TCN", tcn.to_string()));
        }
    };
    match choice.best {
        None => {
            neg_headers(&mut out, true, "list");
            let status = if transparent && mode.ua_supports_trans {
                300
            } else {
                406
            };
            Decision::List {
                status,
                headers: out,
                list: headers::variant_list(variants),
            }
        }
        Some(index) => {
            if transparent {
                out.push((
                    "Content-Location",
                    headers::escape_segment(&variants[index].file_name),
                ));
            }
            neg_headers(&mut out, mode.send_alternates, "choice");
            Decision::Choose {
                index,
                headers: out,
            }
        }
    }
}

/// mod_negotiation's `fix_encoding` (a fixup for every response with a Content-Encoding):
/// the client's own spelling of the coding, `gzip` or `x-gzip`, when its Accept-Encoding
/// names it.
pub fn fix_encoding(encoding: &str, accept_encoding: Option<&str>) -> Option<String> {
    let enc = encoding.strip_prefix("x-").unwrap_or(encoding);
    let list = accept::parse_list(accept_encoding)?;
    let mut x_enc = None;
    for rec in &list {
        if rec.name == enc {
            return Some(rec.name.clone());
        }
        if rec.name.strip_prefix("x-") == Some(enc) {
            x_enc = Some(rec.name.clone());
        }
    }
    x_enc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ForceLanguagePriority;

    fn var(name: &str, ct: &str, langs: &[&str]) -> Variant {
        let mut v = Variant::with_type(name, Some(ct));
        v.languages = langs.iter().map(|s| s.to_string()).collect();
        v.bytes = Some(10);
        v
    }

    const PREFS: LanguagePrefs<'static> = LanguagePrefs {
        priority: &[],
        force: ForceLanguagePriority {
            prefer: true,
            fallback: false,
        },
    };

    fn h<'a>(lang: Option<&'a str>, negotiate: Option<&'a str>) -> RequestHeaders<'a> {
        RequestHeaders {
            accept_language: lang,
            negotiate,
            ..RequestHeaders::default()
        }
    }

    #[test]
    fn decisions_and_their_headers() {
        let vars = [
            var("doc.html.en", "text/html", &["en"]),
            var("doc.html.fr", "text/html", &["fr"]),
        ];
        let d = negotiate(&vars, &h(Some("fr"), None), true, false, PREFS);
        assert_eq!(
            d,
            Decision::Choose {
                index: 1,
                headers: vec![
                    ("Content-Location", "doc.html.fr".into()),
                    ("Vary", "negotiate,accept-language".into()),
                    ("TCN", "choice".into()),
                ]
            }
        );
        // Not GET/HEAD: not transparent.
        let d = negotiate(&vars, &h(Some("fr"), None), false, false, PREFS);
        assert_eq!(
            d,
            Decision::Choose {
                index: 1,
                headers: vec![("Vary", "accept-language".into())]
            }
        );
        let Decision::List {
            status,
            headers,
            list,
        } = negotiate(&vars, &h(Some("de"), None), true, false, PREFS)
        else {
            panic!("expected a list")
        };
        assert_eq!(status, 406);
        assert_eq!(
            headers,
            vec![
                (
                    "Alternates",
                    "{\"doc.html.en\" 1 {type text/html} {language en} {length 10}}, \
                     {\"doc.html.fr\" 1 {type text/html} {language fr} {length 10}}"
                        .into()
                ),
                ("Vary", "negotiate,accept-language".into()),
                ("TCN", "list".into()),
            ]
        );
        assert!(list.contains(
            "<li><a href=\"doc.html.fr\">doc.html.fr</a> , type text/html, language fr</li>"
        ));
        // A transparent-negotiation client gets 300 instead.
        let d = negotiate(&vars, &h(Some("de"), Some("trans")), true, false, PREFS);
        assert!(matches!(d, Decision::List { status: 300, .. }));
        // Negotiate: trans means "list, do not choose" even when something is acceptable.
        let d = negotiate(&vars, &h(Some("fr"), Some("trans")), true, false, PREFS);
        assert!(matches!(d, Decision::List { status: 300, .. }));
        // Negotiate: * lets the server choose, with Alternates.
        let Decision::Choose { index, headers } =
            negotiate(&vars, &h(Some("fr"), Some("*")), true, false, PREFS)
        else {
            panic!("expected a choice")
        };
        assert_eq!(index, 1);
        assert_eq!(headers[1].0, "Alternates");
        // A body variant makes the map non-transparent.
        let mut body = vars.clone();
        body[0].source = Source::Body { offset: 0, len: 3 };
        let d = negotiate(&body, &h(Some("fr"), Some("trans")), true, false, PREFS);
        assert_eq!(
            d,
            Decision::Choose {
                index: 1,
                headers: vec![("Vary", "accept-language".into())]
            }
        );
    }

    #[test]
    fn encoding_spelling() {
        for (enc, accept, want) in [
            ("x-gzip", Some("gzip"), Some("gzip")),
            ("x-gzip", Some("x-gzip"), Some("x-gzip")),
            ("gzip", Some("deflate, x-gzip"), Some("x-gzip")),
            ("gzip", Some("GZIP;q=0.5"), Some("gzip")),
            ("x-gzip", Some("br"), None),
            ("x-gzip", None, None),
        ] {
            assert_eq!(
                fix_encoding(enc, accept).as_deref(),
                want,
                "{enc} {accept:?}"
            );
        }
    }
}
