//! The request side of negotiation: Accept, Accept-Language, Accept-Charset and
//! Accept-Encoding lists as mod_negotiation reads them (`do_header_line`, `get_entry`,
//! `atoq`), and the `Negotiate` header (`parse_negotiate_header`).
//!
//! Pure and lenient as Apache is: nothing here rejects a header; odd input gives the entries
//! Apache would make of it (a malformed q is 1, `0.x` is 0, names and values are lower-cased).

/// One entry of an Accept* list.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptRec {
    /// Lower case (`text/html`, `en-us`, `*`).
    pub name: String,
    pub quality: f32,
    /// `level=` (Accept only); `text/html` defaults to 2.
    pub level: f32,
    /// `charset=` (Accept only), lower case; empty if none.
    pub charset: String,
}

/// Apache's `atoq`: `1` for a missing or malformed value, else up to three decimals.
pub fn atoq(text: &str) -> f32 {
    let b = text
        .trim_start_matches(|c: char| c.is_ascii_whitespace())
        .as_bytes();
    if b.is_empty() {
        return 1.0;
    }
    let mut i = 0;
    if b[0] != b'.' {
        if b[0] != b'0' {
            return 1.0;
        }
        i = 1;
    }
    if b.get(i) != Some(&b'.') {
        return 0.0;
    }
    let digit = |k: usize, lowest: u8| {
        b.get(k)
            .copied()
            .filter(|d| (lowest..=b'9').contains(d))
            .map(|d| u32::from(d - b'0'))
    };
    let mut q = 0u32;
    if let Some(d) = digit(i + 1, b'0') {
        q += d * 100;
        if let Some(d) = digit(i + 2, b'0') {
            q += d * 10;
            if let Some(d) = digit(i + 3, b'1') {
                q += d;
            }
        }
    }
    q as f32 / 1000.0
}

/// Apache's `ap_get_token`: skips leading white space, reads up to `;` or `,` (and white
/// space unless `accept_white`), skipping over quoted strings; then skips white space.
fn get_token<'a>(line: &mut &'a str, accept_white: bool) -> &'a str {
    let s = line.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len()
        && (accept_white || !b[i].is_ascii_whitespace())
        && b[i] != b';'
        && b[i] != b','
    {
        let c = b[i];
        i += 1;
        if c == b'"' {
            while i < b.len() {
                i += 1;
                if b[i - 1] == b'"' {
                    break;
                }
            }
        }
    }
    let token = &s[..i];
    *line = s[i..].trim_start_matches(|c: char| c.is_ascii_whitespace());
    token
}

/// C `atoi`: optional sign, leading digits; 0 if none.
fn atoi(text: &str) -> f32 {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n: i64 = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .take(9)
        .fold(0, |n, d| n * 10 + i64::from(d - b'0'));
    (if neg { -n } else { n }) as f32
}

/// Apache's `get_entry`: one media range (or language, charset, coding) with its parameters.
/// Returns the entry and the rest of the line.
pub fn get_entry(mut line: &str) -> (AcceptRec, &str) {
    let name = get_token(&mut line, false).to_ascii_lowercase();
    let level = match name.as_str() {
        "text/html" | "text/x-server-parsed-html" => 2.0,
        "text/x-server-parsed-html3" => 3.0,
        _ => 0.0,
    };
    let mut rec = AcceptRec {
        name,
        quality: 1.0,
        level,
        charset: String::new(),
    };
    while let Some(rest) = line.strip_prefix(';') {
        line = rest;
        let parm = get_token(&mut line, true);
        let var_end = parm
            .find(|c: char| c.is_ascii_whitespace() || c == '=')
            .unwrap_or(parm.len());
        if var_end == parm.len() {
            continue;
        }
        let var = parm[..var_end].to_ascii_lowercase();
        let value =
            parm[var_end + 1..].trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '=');
        let value = match value.strip_prefix('"') {
            Some(v) => &v[..v.find(['"', '\n', '\r']).unwrap_or(v.len())],
            None => {
                &value[..value
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(value.len())]
            }
        };
        let value = value.to_ascii_lowercase();
        match var.as_str() {
            "q" | "qs" => rec.quality = atoq(&value),
            "level" => rec.level = atoi(&value),
            "charset" => rec.charset = value,
            _ => {}
        }
    }
    if let Some(rest) = line.strip_prefix(',') {
        line = rest;
    }
    (rec, line)
}

/// Apache's `do_header_line`: every entry of a header value (`None` when the header is
/// absent; an empty header is an empty list, which accepts nothing).
pub fn parse_list(value: Option<&str>) -> Option<Vec<AcceptRec>> {
    let mut line = value?;
    let mut out = Vec::new();
    while !line.is_empty() {
        let (rec, rest) = get_entry(line);
        out.push(rec);
        if rest.len() == line.len() {
            // Nothing consumed (cannot happen with get_token's rules, but never loop).
            break;
        }
        line = rest;
    }
    Some(out)
}

/// What the client's headers ask for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accepts {
    pub accept: Option<Vec<AcceptRec>>,
    pub language: Option<Vec<AcceptRec>>,
    pub charset: Option<Vec<AcceptRec>>,
    pub encoding: Option<Vec<AcceptRec>>,
    /// Some Accept entry has q < 1 (turns the wildcard fiddles off).
    pub accept_q: bool,
}

impl Accepts {
    /// From the four header values (each already merged as Apache merges repeated fields).
    pub fn parse(
        accept: Option<&str>,
        language: Option<&str>,
        charset: Option<&str>,
        encoding: Option<&str>,
    ) -> Accepts {
        let accept = parse_list(accept);
        let accept_q = accept
            .as_ref()
            .is_some_and(|list| list.iter().any(|r| r.quality < 1.0));
        Accepts {
            accept,
            language: parse_list(language),
            charset: parse_list(charset),
            encoding: parse_list(encoding),
            accept_q,
        }
    }
}

/// How the `Negotiate` header sets up a transparently negotiable resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NegotiateMode {
    pub ua_supports_trans: bool,
    pub send_alternates: bool,
    pub may_choose: bool,
    pub use_rvsa: bool,
    pub dont_fiddle_headers: bool,
}

impl NegotiateMode {
    /// No Negotiate header (or a non-transparent resource): Apache's algorithm with fiddles.
    pub const PLAIN: NegotiateMode = NegotiateMode {
        ua_supports_trans: false,
        send_alternates: false,
        may_choose: true,
        use_rvsa: false,
        dont_fiddle_headers: false,
    };

    /// Apache's `parse_negotiate_header`.
    pub fn parse(negotiate: Option<&str>, user_agent: Option<&str>) -> NegotiateMode {
        let mut m = NegotiateMode::PLAIN;
        let Some(value) = negotiate else {
            return m;
        };
        if value == "trans" && user_agent.is_some_and(|ua| ua.starts_with("Lynx")) {
            return m;
        }
        m.may_choose = false;
        for tok in value.split(',').map(|t| t.trim()).filter(|t| !t.is_empty()) {
            let tok = tok.to_ascii_lowercase();
            let first = tok.as_bytes()[0];
            if tok == "trans"
                || tok == "vlist"
                || tok == "guess-small"
                || first.is_ascii_digit()
                || tok == "*"
            {
                m.ua_supports_trans = true;
                m.send_alternates = true;
                if tok == "1.0" {
                    m.may_choose = true;
                    m.use_rvsa = true;
                    m.dont_fiddle_headers = true;
                } else if first == b'*' {
                    m.may_choose = true;
                    m.dont_fiddle_headers = true;
                }
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_values() {
        for (text, q) in [
            ("", 1.0),
            ("1", 1.0),
            ("1.0", 1.0),
            ("2", 1.0),
            ("0", 0.0),
            ("0.", 0.0),
            ("0.5", 0.5),
            (".5", 0.5),
            ("  0.25", 0.25),
            ("0.123", 0.123),
            ("0.1239", 0.123),
            ("0.100", 0.1),
            ("0.x", 0.0),
            ("0x", 0.0),
            ("abc", 1.0),
            ("0.000", 0.0),
            ("0.001", 0.001),
        ] {
            assert_eq!(atoq(text), q, "{text:?}");
        }
    }

    fn names(list: &[AcceptRec]) -> Vec<(&str, f32)> {
        list.iter().map(|r| (r.name.as_str(), r.quality)).collect()
    }

    #[test]
    fn lists() {
        type Row = (&'static str, &'static [(&'static str, f32)]);
        let cases: &[Row] = &[
            ("text/html", &[("text/html", 1.0)]),
            (
                "Text/HTML;q=0.5, */*;q=0.1",
                &[("text/html", 0.5), ("*/*", 0.1)],
            ),
            (
                "text/html text/plain",
                &[("text/html", 1.0), ("text/plain", 1.0)],
            ),
            (
                "en-US,en;q=0.9,fr;q=0.8",
                &[("en-us", 1.0), ("en", 0.9), ("fr", 0.8)],
            ),
            ("en ; q = 0.3", &[("en", 0.3)]),
            ("fr;Q=0.2", &[("fr", 0.2)]),
            ("fr;q=\"0.4\"", &[("fr", 0.4)]),
            ("fr;q", &[("fr", 1.0)]),
            ("fr;q=", &[("fr", 1.0)]),
            ("gzip;q=0, identity", &[("gzip", 0.0), ("identity", 1.0)]),
            (",fr", &[("", 1.0), ("fr", 1.0)]),
            ("", &[]),
        ];
        for &(line, want) in cases {
            let got = parse_list(Some(line)).unwrap();
            assert_eq!(names(&got), want, "{line:?}");
        }
        assert_eq!(parse_list(None), None);
    }

    #[test]
    fn parameters() {
        let (r, rest) = get_entry("text/html;level=3;charset=UTF-8;qs=0.7, x");
        assert_eq!(
            (r.level, r.charset.as_str(), r.quality, rest),
            (3.0, "utf-8", 0.7, " x")
        );
        let (r, _) = get_entry("text/html");
        assert_eq!(r.level, 2.0);
        let (r, _) = get_entry("text/plain; level=1");
        assert_eq!(r.level, 1.0);
        let (r, _) = get_entry("text/html; level=x");
        assert_eq!(r.level, 0.0);
        let a = Accepts::parse(Some("text/html, */*;q=0.1"), None, None, None);
        assert!(a.accept_q);
        let a = Accepts::parse(Some("text/html, */*"), None, None, None);
        assert!(!a.accept_q);
    }

    #[test]
    fn negotiate_header() {
        let plain = NegotiateMode::PLAIN;
        assert_eq!(NegotiateMode::parse(None, None), plain);
        assert_eq!(NegotiateMode::parse(Some("trans"), Some("Lynx/2.8")), plain);
        let trans = NegotiateMode::parse(Some("trans"), None);
        assert!(trans.ua_supports_trans && !trans.may_choose && !trans.use_rvsa);
        let rvsa = NegotiateMode::parse(Some("trans, 1.0"), None);
        assert!(rvsa.may_choose && rvsa.use_rvsa && rvsa.dont_fiddle_headers);
        let star = NegotiateMode::parse(Some("*"), None);
        assert!(star.may_choose && !star.use_rvsa && star.dont_fiddle_headers);
        let empty = NegotiateMode::parse(Some(""), None);
        assert!(!empty.may_choose && !empty.ua_supports_trans);
        let other = NegotiateMode::parse(Some("foo"), None);
        assert!(!other.may_choose && !other.send_alternates);
    }
}
