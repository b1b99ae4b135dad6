//! `[[proxy]]` rule matching (ProxyPass) and the reverse mapping of redirects
//! (ProxyPassReverse). Pure: no I/O, no configuration parsing.
//!
//! Matching is Apache's `alias_match` against the decoded, normalized URL path: a run of `/`
//! in the rule's path matches a run of `/` in the URL, other bytes compare literally, and the
//! last component must match whole unless the rule's path ends in `/`. Rules are tried in
//! file order; the first match wins, and a match of an excluding rule (`url = "!"`) means "not
//! proxied". The backend target is the backend path + the rest of the URL path (re-encoded as
//! Apache's canonicalisation does) + `?query`.

/// How many bytes of `uri` the rule path `alias` matches (Apache's `alias_match`), or `None`.
pub fn alias_match(uri: &[u8], alias: &[u8]) -> Option<usize> {
    let (mut a, mut u) = (0, 0);
    while a < alias.len() && u < uri.len() {
        if alias[a] == b'/' {
            if uri[u] != b'/' {
                return None;
            }
            while a < alias.len() && alias[a] == b'/' {
                a += 1;
            }
            while u < uri.len() && uri[u] == b'/' {
                u += 1;
            }
        } else {
            if uri[u] != alias[a] {
                return None;
            }
            a += 1;
            u += 1;
        }
    }
    if u == uri.len() && a != alias.len() {
        return None;
    }
    let alias_ends_in_slash = a > 0 && alias[a - 1] == b'/';
    if !alias_ends_in_slash && u < uri.len() && uri[u] != b'/' {
        return None;
    }
    Some(u)
}

/// Bytes kept as they are in a forwarded path (RFC 3986 pchar and `/`); others are %XX.
fn path_byte_allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b)
}

/// Appends `path` (decoded) percent-encoded for a request line.
pub fn push_encoded_path(out: &mut String, path: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in path {
        if path_byte_allowed(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// The request target for the backend: `base` (the backend URL's path) + the encoded rest of
/// the URL path + `?query`.
pub fn backend_target(base: &str, rest: &[u8], query: Option<&str>) -> String {
    let mut t = String::with_capacity(base.len() + rest.len() + query.map_or(0, |q| q.len() + 1));
    t.push_str(base);
    push_encoded_path(&mut t, rest);
    if t.is_empty() {
        t.push('/');
    }
    if let Some(q) = query {
        t.push('?');
        t.push_str(q);
    }
    t
}

/// A rule as the matcher sees it.
#[derive(Debug, Clone, Copy)]
pub struct RulePath<'a> {
    pub path: &'a str,
    pub exclude: bool,
}

/// The first rule matching `url_path`: `Some((index, matched length))` unless no rule matches
/// or the first match excludes.
pub fn first_match<'a>(
    rules: impl IntoIterator<Item = RulePath<'a>>,
    url_path: &[u8],
) -> Option<(usize, usize)> {
    for (i, rule) in rules.into_iter().enumerate() {
        if let Some(len) = alias_match(url_path, rule.path.as_bytes()) {
            return (!rule.exclude).then_some((i, len));
        }
    }
    None
}

/// One ProxyPassReverse pair: the backend URL prefix and the local path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReversePair {
    pub backend: String,
    pub local: String,
}

/// ProxyPassReverse for one header value: the first pair whose backend URL prefixes `value`
/// (case-insensitively, as Apache compares) gives `local + rest`, made absolute with
/// `http://` + `host` (the request's Host, or the server's name and port).
pub fn reverse_map(pairs: &[ReversePair], value: &[u8], host: &str) -> Option<String> {
    for p in pairs {
        let b = p.backend.as_bytes();
        if value.len() >= b.len() && value[..b.len()].eq_ignore_ascii_case(b) {
            let rest = String::from_utf8_lossy(&value[b.len()..]);
            let local = format!("{}{rest}", p.local);
            if local.starts_with("http://") || local.starts_with("https://") {
                return Some(local);
            }
            return Some(format!("http://{host}{local}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_match_table() {
        let cases: &[(&str, &str, Option<usize>)] = &[
            ("/foo", "/foo", Some(4)),
            ("/foo/x", "/foo", Some(4)),
            ("/foobar", "/foo", None),
            ("/fo", "/foo", None),
            ("/", "/foo", None),
            ("/foo", "/foo/", None),
            ("/foo/", "/foo/", Some(5)),
            ("/foo/bar", "/foo/", Some(5)),
            ("/foo//bar", "/foo/", Some(6)),
            ("//foo///x", "/foo", Some(5)),
            ("/x", "/", Some(1)),
            ("/", "/", Some(1)),
            ("/a//b/c", "/a/b", Some(5)),
            ("/a/bc", "/a/b", None),
            ("/app", "//app", Some(4)),
            ("/APP", "/app", None),
        ];
        for &(uri, alias, want) in cases {
            assert_eq!(
                alias_match(uri.as_bytes(), alias.as_bytes()),
                want,
                "{uri} vs {alias}"
            );
        }
    }

    #[test]
    fn first_match_honours_order_and_exclusions() {
        let rules = [
            RulePath {
                path: "/app/static",
                exclude: true,
            },
            RulePath {
                path: "/app",
                exclude: false,
            },
            RulePath {
                path: "/",
                exclude: false,
            },
        ];
        let cases: &[(&str, Option<(usize, usize)>)] = &[
            ("/app/x", Some((1, 4))),
            ("/app", Some((1, 4))),
            ("/app/static/a.css", None),
            ("/app/staticx", Some((1, 4))),
            ("/other", Some((2, 1))),
        ];
        for &(path, want) in cases {
            assert_eq!(first_match(rules, path.as_bytes()), want, "{path}");
        }
        assert_eq!(first_match(rules[..2].iter().copied(), b"/x"), None);
    }

    #[test]
    fn backend_target_table() {
        let cases: &[(&str, &[u8], Option<&str>, &str)] = &[
            ("/", b"x/y", None, "/x/y"),
            ("/back/", b"", Some("a=1"), "/back/?a=1"),
            ("/back", b"/a b", None, "/back/a%20b"),
            ("", b"", None, "/"),
            ("/b", b"/%\xc3\xa9?", Some("q"), "/b/%25%C3%A9%3F?q"),
        ];
        for &(base, rest, query, want) in cases {
            assert_eq!(backend_target(base, rest, query), want);
        }
    }

    #[test]
    fn reverse_map_table() {
        let pairs = vec![
            ReversePair {
                backend: "http://127.0.0.1:8080/app/".into(),
                local: "/a/".into(),
            },
            ReversePair {
                backend: "http://back/".into(),
                local: "/".into(),
            },
        ];
        let cases: &[(&str, Option<&str>)] = &[
            (
                "http://127.0.0.1:8080/app/login?x=1",
                Some("http://front:81/a/login?x=1"),
            ),
            ("HTTP://BACK/z", Some("http://front:81/z")),
            ("http://elsewhere/", None),
            ("/relative", None),
        ];
        for &(v, want) in cases {
            assert_eq!(
                reverse_map(&pairs, v.as_bytes(), "front:81").as_deref(),
                want,
                "{v}"
            );
        }
    }
}
