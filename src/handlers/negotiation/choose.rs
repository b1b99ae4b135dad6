//! Apache's variant selection (`best_match` with `is_variant_better` or, for `Negotiate:
//! 1.0`, `is_variant_better_rvsa`) and the qualities it computes per variant
//! (`set_accept_quality`, `set_language_quality`, `set_charset_quality`,
//! `set_encoding_quality`), including Apache's "fiddles" for browsers' headers.
//!
//! Pure: variants and headers in, the index of the chosen variant (or none) out. Lengths must
//! already be in the variants (the caller stats what the map does not say).

use super::accept::{AcceptRec, Accepts, NegotiateMode};
use super::variant::Variant;
use crate::config::ForceLanguagePriority;

/// The language settings of the directory (LanguagePriority, ForceLanguagePriority).
#[derive(Debug, Clone, Copy)]
pub struct LanguagePrefs<'a> {
    pub priority: &'a [String],
    pub force: ForceLanguagePriority,
}

/// The qualities and match state computed for one variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub mime_type_quality: f32,
    pub lang_quality: f32,
    pub charset_quality: f32,
    pub encoding_quality: f32,
    pub lang_index: i32,
    pub level_matched: f32,
    pub mime_stars: u8,
    pub definite: bool,
}

impl Scores {
    fn new() -> Scores {
        Scores {
            mime_type_quality: 1.0,
            lang_quality: 1.0,
            charset_quality: 1.0,
            encoding_quality: 1.0,
            lang_index: -1,
            level_matched: 0.0,
            mime_stars: 0,
            definite: true,
        }
    }
}

/// The outcome of the algorithm.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The chosen variant (Apache's `alg_choice`), or `None` (`alg_list`: 406 or 300).
    pub best: Option<usize>,
    /// Per variant, in order.
    pub scores: Vec<Scores>,
}

/// `mime_match`: does the range match the variant (updating its stars and matched level)?
fn mime_match(accept: &AcceptRec, v: &Variant, s: &mut Scores) -> bool {
    let a = accept.name.as_str();
    if a.starts_with('*') {
        s.mime_stars = s.mime_stars.max(1);
        return true;
    }
    if a.len() >= 2
        && a.ends_with('*')
        && v.mime_type
            .as_bytes()
            .starts_with(&a.as_bytes()[..a.len() - 2])
    {
        s.mime_stars = s.mime_stars.max(2);
        return true;
    }
    let same = a == v.mime_type
        || (a == "text/html"
            && matches!(
                v.mime_type.as_str(),
                "text/x-server-parsed-html" | "text/x-server-parsed-html3"
            ));
    if same && !a.is_empty() && accept.level >= v.level {
        s.level_matched = v.level;
        s.mime_stars = 3;
        return true;
    }
    false
}

/// `set_accept_quality`: the q of the most specific matching range (first of equals), with
/// the wildcard fiddles when no range had a q.
fn accept_quality(
    accepts: &[AcceptRec],
    accept_q: bool,
    fiddle: bool,
    v: &Variant,
    s: &mut Scores,
) {
    let mut q = 0.0;
    let mut q_definite = true;
    for range in accepts {
        let prev = s.mime_stars;
        if !mime_match(range, v, s) || prev == s.mime_stars {
            continue;
        }
        q = if fiddle && !accept_q && s.mime_stars == 1 {
            0.01
        } else if fiddle && !accept_q && s.mime_stars == 2 {
            0.02
        } else {
            range.quality
        };
        q_definite = s.mime_stars == 3;
    }
    s.mime_type_quality = q;
    s.definite = s.definite && q_definite;
}

/// `find_lang_index`: the first LanguagePriority entry that is a prefix of `lang`, ignoring
/// case (httpd 2.4.71 matches `EN-GB` and `EN` to a variant in `en-gb`).
fn priority_index(priority: &[String], lang: &str) -> i32 {
    let lang = lang.as_bytes();
    priority
        .iter()
        .position(|p| lang.len() >= p.len() && lang[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
        .map_or(-1, |i| i as i32)
}

/// `set_language_quality`.
fn language_quality(
    langs: Option<&[AcceptRec]>,
    default_q: f32,
    fiddle: bool,
    prefs: LanguagePrefs<'_>,
    v: &Variant,
    s: &mut Scores,
) {
    if v.languages.is_empty() {
        if fiddle {
            s.lang_quality = default_q;
        }
        return;
    }
    match langs {
        None => s.definite = false,
        Some(accs) => {
            let mut best: Option<&AcceptRec> = None;
            let mut star: Option<&AcceptRec> = None;
            let mut fiddle_q = 0.0f32;
            let mut any_match_on_star = false;
            for lang in &v.languages {
                let mut best_this_tag: Option<&AcceptRec> = None;
                let mut longest = 0;
                for acc in accs {
                    if acc.name == "*" {
                        star.get_or_insert(acc);
                        continue;
                    }
                    let alen = acc.name.len();
                    if lang.len() >= alen
                        && lang.as_bytes().starts_with(acc.name.as_bytes())
                        && matches!(lang.as_bytes().get(alen), None | Some(b'-'))
                        && alen > longest
                    {
                        longest = alen;
                        best_this_tag = Some(acc);
                    }
                    if best_this_tag.is_none()
                        && fiddle
                        && let Some(p) = acc.name.find('-')
                        && lang.as_bytes().starts_with(&acc.name.as_bytes()[..p])
                    {
                        fiddle_q = 0.001;
                    }
                }
                if best.is_none()
                    || best_this_tag.is_some_and(|b| b.quality > best.map_or(0.0, |x| x.quality))
                {
                    best = best_this_tag;
                }
                if best_this_tag.is_none() && star.is_some() {
                    any_match_on_star = true;
                }
            }
            if let Some(star) = star
                && any_match_on_star
                && best.is_none_or(|b| star.quality > b.quality)
            {
                best = Some(star);
                s.definite = false;
            }
            s.lang_quality = best.map_or(fiddle_q, |b| b.quality);
        }
    }
    let force = prefs.force;
    if (force.prefer && s.lang_index < 0) || (force.fallback && s.lang_quality == 0.0) {
        let best_idx = v
            .languages
            .iter()
            .map(|l| priority_index(prefs.priority, l))
            .filter(|&i| i >= 0)
            .min()
            .unwrap_or(-1);
        if best_idx >= 0 {
            if s.lang_quality != 0.0 {
                if force.prefer {
                    s.lang_index = best_idx;
                }
            } else if force.fallback {
                s.lang_index = best_idx;
                s.lang_quality = 0.0001;
                s.definite = false;
            }
        }
    }
}

/// `is_identity_encoding`.
fn is_identity(enc: Option<&str>) -> bool {
    matches!(enc, None | Some("" | "7bit" | "8bit" | "binary"))
}

fn strip_x(s: &str) -> &str {
    s.strip_prefix("x-").unwrap_or(s)
}

/// `set_encoding_quality`.
fn encoding_quality(encodings: Option<&[AcceptRec]>, v: &Variant, s: &mut Scores) {
    let enc = v.encoding.as_deref();
    let Some(accs) = encodings else {
        s.encoding_quality = if is_identity(enc) { 1.0 } else { 0.5 };
        return;
    };
    let (enc, if_not_found) = match enc {
        e if is_identity(e) => ("identity", 0.0001),
        Some(e) => (e, 0.0),
        None => unreachable!("None is the identity"),
    };
    let enc = strip_x(enc);
    let mut star = None;
    for acc in accs {
        let name = strip_x(&acc.name);
        if name == enc {
            s.encoding_quality = acc.quality;
            return;
        }
        if name == "*" {
            star = Some(acc.quality);
        }
    }
    s.encoding_quality = star.unwrap_or(if_not_found);
}

/// `set_charset_quality` (text types without a charset count as iso-8859-1).
fn charset_quality(charsets: Option<&[AcceptRec]>, fiddle: bool, v: &Variant, s: &mut Scores) {
    let Some(accs) = charsets else {
        if !v.charset.is_empty() {
            s.definite = false;
        }
        return;
    };
    let charset = if v.charset.is_empty() {
        let text = v.mime_type.starts_with("text/")
            || matches!(
                v.mime_type.as_str(),
                "text/x-server-parsed-html" | "text/x-server-parsed-html3"
            );
        if !text || !fiddle {
            return;
        }
        "iso-8859-1"
    } else {
        v.charset.as_str()
    };
    let mut star = None;
    for acc in accs {
        if acc.name == charset {
            s.charset_quality = acc.quality;
            return;
        }
        if acc.name == "*" {
            star = Some(acc.quality);
        }
    }
    if let Some(q) = star {
        s.charset_quality = q;
        s.definite = false;
        return;
    }
    s.charset_quality = if charset == "iso-8859-1" { 1.0 } else { 0.0 };
}

/// `level_cmp`: 1 if `a` is better, -1 if worse, 0 if not comparable or tied.
fn level_cmp(a: &Variant, sa: &Scores, b: &Variant, sb: &Scores) -> i32 {
    if a.is_pseudo_html() && !b.is_pseudo_html() {
        return 0;
    }
    if !a.is_pseudo_html() && a.mime_type != b.mime_type {
        return 0;
    }
    if sa.level_matched != sb.level_matched {
        return if sa.level_matched > sb.level_matched {
            1
        } else {
            -1
        };
    }
    if a.level != b.level {
        return if a.level < b.level { 1 } else { -1 };
    }
    0
}

fn is_plain_charset(c: &str) -> bool {
    c.is_empty() || c == "iso-8859-1"
}

/// `is_variant_better`: Apache's server-driven order of tests.
fn is_better(v: &Variant, s: &Scores, best: Option<(&Variant, &Scores)>, bestq: &mut f32) -> bool {
    if s.encoding_quality == 0.0
        || s.lang_quality == 0.0
        || v.source_quality == 0.0
        || s.charset_quality == 0.0
        || s.mime_type_quality == 0.0
    {
        return false;
    }
    let q = s.mime_type_quality * v.source_quality;
    if q == 0.0 || q < *bestq {
        return false;
    }
    let Some((b, bs)) = best.filter(|_| q <= *bestq) else {
        *bestq = q;
        return true;
    };
    if s.lang_quality != bs.lang_quality {
        if s.lang_quality > bs.lang_quality {
            *bestq = q;
        }
        return s.lang_quality > bs.lang_quality;
    }
    if bs.lang_index != -1 && (s.lang_index == -1 || s.lang_index > bs.lang_index) {
        return false;
    }
    if s.lang_index != -1 && (bs.lang_index == -1 || s.lang_index < bs.lang_index) {
        *bestq = q;
        return true;
    }
    match level_cmp(v, s, b, bs) {
        -1 => return false,
        1 => {
            *bestq = q;
            return true;
        }
        _ => {}
    }
    if s.charset_quality < bs.charset_quality {
        return false;
    }
    if s.charset_quality > bs.charset_quality
        || (!is_plain_charset(&v.charset) && is_plain_charset(&b.charset))
    {
        *bestq = q;
        return true;
    }
    if s.encoding_quality != bs.encoding_quality {
        if s.encoding_quality > bs.encoding_quality {
            *bestq = q;
        }
        return s.encoding_quality > bs.encoding_quality;
    }
    // Apache's find_content_length: an unknown length is -1.
    let len = |x: &Variant| x.bytes.map_or(-1, |n| n as i128);
    if len(v) >= len(b) {
        return false;
    }
    *bestq = q;
    true
}

/// `is_variant_better_rvsa` (RFC 2296).
fn is_better_rvsa(v: &Variant, s: &Scores, best: Option<&Scores>, bestq: &mut f32) -> bool {
    if s.encoding_quality == 0.0 {
        return false;
    }
    let q = s.mime_type_quality * v.source_quality * s.charset_quality * s.lang_quality;
    if q <= 0.0 {
        return false;
    }
    if q > *bestq {
        *bestq = q;
        return true;
    }
    if q == *bestq && best.is_some_and(|b| s.encoding_quality > b.encoding_quality) {
        *bestq = q;
        return true;
    }
    false
}

/// Apache's `best_match` (without the `prefer-language`/`no-gzip` environment variables,
/// which mpmd has no way to set).
pub fn best_match(
    variants: &[Variant],
    accepts: &Accepts,
    mode: NegotiateMode,
    prefs: LanguagePrefs<'_>,
) -> Choice {
    let fiddle = !mode.dont_fiddle_headers;
    let default_lang_q = if fiddle && variants.iter().any(|v| !v.languages.is_empty()) {
        0.0001
    } else {
        1.0
    };
    // maybe_add_default_accepts: no Accept header means */* (the CGI magic type Apache adds
    // matches no file variant).
    let star = [AcceptRec {
        name: "*/*".into(),
        quality: 1.0,
        level: 0.0,
        charset: String::new(),
    }];
    let ranges: &[AcceptRec] = accepts.accept.as_deref().unwrap_or(&star);
    let mut scores = Vec::with_capacity(variants.len());
    let mut best: Option<usize> = None;
    let mut bestq = 0.0f32;
    for (i, v) in variants.iter().enumerate() {
        let mut s = Scores::new();
        accept_quality(ranges, accepts.accept_q, fiddle, v, &mut s);
        language_quality(
            accepts.language.as_deref(),
            default_lang_q,
            fiddle,
            prefs,
            v,
            &mut s,
        );
        encoding_quality(accepts.encoding.as_deref(), v, &mut s);
        charset_quality(accepts.charset.as_deref(), fiddle, v, &mut s);
        if mode.may_choose {
            let better = if mode.use_rvsa {
                is_better_rvsa(v, &s, best.map(|b| &scores[b]), &mut bestq)
            } else {
                is_better(v, &s, best.map(|b| (&variants[b], &scores[b])), &mut bestq)
            };
            if better {
                best = Some(i);
            }
        }
        scores.push(s);
    }
    let chosen = if mode.use_rvsa {
        best.filter(|&b| scores[b].definite && bestq > 0.0)
    } else {
        best.filter(|_| bestq > 0.0)
    };
    Choice {
        best: chosen,
        scores,
    }
}

#[cfg(test)]
#[path = "choose_tests.rs"]
mod tests;
