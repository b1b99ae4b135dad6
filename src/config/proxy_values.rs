//! The values of `[[proxy]]` and `[[balancer]]` keys, parsed as Apache parses them: backend
//! URLs (which kind a URL is, the parsed `http://host[:port][/path]`), `stickysession`,
//! `loadfactor`, member `status`. Pure string work: no name resolution (Apache resolves the
//! backend on first connect, and so does the engine), no diagnostics (callers report).

use std::net::Ipv6Addr;

use super::proxy_types::{BackendUrl, MemberStatus, StickySession};

/// What a `url` value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlKind<'a> {
    /// `!`: excluded from proxying.
    Exclude,
    /// `http://...` (parse with [`parse_http_url`]).
    Http,
    /// `balancer://NAME[/path]`; `path` as written after the name ("" when absent).
    Balancer { name: &'a str, path: &'a str },
    /// Anything else, with the reason it is refused.
    Other(String),
}

const EXPECTED: &str =
    "expected \"http://host[:port][/path]\", \"balancer://NAME[/path]\" or \"!\"";

fn strip_scheme<'a>(text: &'a str, scheme: &str) -> Option<&'a str> {
    let head = text.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &text[scheme.len()..])
}

/// Sorts a `url` value into its kind (schemes are case-insensitive, as in Apache).
pub fn classify(text: &str) -> UrlKind<'_> {
    if text == "!" {
        return UrlKind::Exclude;
    }
    if strip_scheme(text, "http://").is_some() {
        return UrlKind::Http;
    }
    if let Some(rest) = strip_scheme(text, "balancer://") {
        let (name, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        if name.is_empty() {
            return UrlKind::Other(format!(
                "\"{text}\" names no balancer (expected \"balancer://NAME[/path]\")"
            ));
        }
        return UrlKind::Balancer { name, path };
    }
    if let Some((scheme, _)) = text.split_once("://")
        && !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return UrlKind::Other(format!(
            "\"{text}\": {scheme}:// backends are not supported; only http:// backends are"
        ));
    }
    if strip_scheme(text, "unix:").is_some() {
        return UrlKind::Other(format!(
            "\"{text}\": unix: socket backends are not supported; only http:// backends are"
        ));
    }
    UrlKind::Other(format!("\"{text}\" is not a backend URL ({EXPECTED})"))
}

/// Parses `http://host[:port][/path]` (IPv6 hosts in brackets); the error says what is wrong.
pub fn parse_http_url(text: &str) -> Result<BackendUrl, String> {
    let bad = |why: &str| format!("\"{text}\" is not a usable http:// URL: {why}");
    let rest = strip_scheme(text, "http://").ok_or_else(|| bad("it must start with http://"))?;
    if let Some(c) = text
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || *c == '?' || *c == '#')
    {
        let shown = if c.is_whitespace() || c.is_control() {
            "a space or control character".to_owned()
        } else {
            format!("'{c}' (a backend URL has no query or fragment)")
        };
        return Err(bad(&format!("it contains {shown}")));
    }
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    if authority.contains('@') {
        return Err(bad("user names in backend URLs are not supported"));
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (addr, after) = inner
            .split_once(']')
            .ok_or_else(|| bad("missing ']' after the IPv6 address"))?;
        if addr.parse::<Ipv6Addr>().is_err() {
            return Err(bad(&format!("\"{addr}\" is not an IPv6 address")));
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| bad("expected ':PORT' after ']'"))?,
            ),
        };
        (addr, port)
    } else if authority.matches(':').count() > 1 {
        return Err(bad("IPv6 addresses go in brackets (http://[::1]:8080/)"));
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("the host is missing"));
    }
    if !authority.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    {
        return Err(bad(&format!(
            "\"{host}\" is not a host name (IPv6 addresses go in brackets: http://[::1]:8080/)"
        )));
    }
    let port = match port {
        None => 80,
        Some(digits) => digits
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0 && digits.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad(&format!("\"{digits}\" is not a port (1 to 65535)")))?,
    };
    Ok(BackendUrl {
        url: text.to_owned(),
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

/// `"COOKIE"` (both names) or `"COOKIE|urlparam"`, as Apache splits it.
pub fn parse_sticky(text: &str) -> Result<StickySession, String> {
    const EXPECTED: &str = "expected \"COOKIE\" or \"COOKIE|urlparam\"";
    if text.len() > 63 {
        return Err(format!("{EXPECTED}, at most 63 characters"));
    }
    let (cookie, url_param) = text.split_once('|').unwrap_or((text, text));
    let good = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"|;,=?&".contains(&b))
    };
    if !good(cookie) || !good(url_param) {
        return Err(format!(
            "{EXPECTED}: names of printable characters other than | ; , = ? &"
        ));
    }
    Ok(StickySession {
        cookie: cookie.to_owned(),
        url_param: url_param.to_owned(),
    })
}

/// `loadfactor` (1 to 100, two decimals) x 100, as Apache stores it.
pub fn parse_loadfactor(value: f64) -> Result<u32, String> {
    const EXPECTED: &str = "expected a number from 1 to 100, with at most two decimals";
    if !(1.0..=100.0).contains(&value) {
        return Err(EXPECTED.to_owned());
    }
    let scaled = value * 100.0;
    if (scaled - scaled.round()).abs() > 1e-6 {
        return Err(EXPECTED.to_owned());
    }
    Ok(scaled.round() as u32)
}

/// Apache's `status` flags (`ap_proxy_set_wstatus`): letters, each set, or cleared after a
/// `-` (until a `+`). R (hot spare) and C (health-check failed) are refused.
pub fn parse_member_status(text: &str) -> Result<MemberStatus, String> {
    let mut status = MemberStatus::default();
    let mut set = true;
    if text.is_empty() {
        return Err("expected status flags such as \"+H\", \"+D\", \"+N\", \"+S\"".into());
    }
    for c in text.chars() {
        let flag = match c.to_ascii_uppercase() {
            '+' => {
                set = true;
                continue;
            }
            '-' => {
                set = false;
                continue;
            }
            'D' => &mut status.disabled,
            'S' => &mut status.stopped,
            'H' => &mut status.hot_standby,
            'N' => &mut status.drain,
            'I' => &mut status.ignore_errors,
            'E' => &mut status.in_error,
            'R' => return Err("R (hot spare) is not supported; use H (hot standby)".into()),
            'C' => {
                return Err(
                    "C (health check failed) is not supported: mpmd has no health checks".into(),
                );
            }
            other => {
                return Err(format!(
                    "'{other}' is not a member status flag (expected D, S, H, N, I or E, each after an optional + or -)"
                ));
            }
        };
        *flag = set;
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        for (text, expected) in [
            ("!", UrlKind::Exclude),
            ("http://a", UrlKind::Http),
            ("HTTP://a", UrlKind::Http),
            (
                "balancer://app",
                UrlKind::Balancer {
                    name: "app",
                    path: "",
                },
            ),
            (
                "balancer://app/x/",
                UrlKind::Balancer {
                    name: "app",
                    path: "/x/",
                },
            ),
        ] {
            assert_eq!(classify(text), expected, "{text}");
        }
        for (text, message) in [
            (
                "https://a/",
                "https:// backends are not supported; only http://",
            ),
            ("ajp://a/", "ajp:// backends are not supported"),
            ("unix:/run/x.sock|http://a/", "unix: socket backends"),
            ("balancer://", "names no balancer"),
            ("balancer:///x", "names no balancer"),
            ("/x", "is not a backend URL (expected"),
            ("!!", "is not a backend URL"),
        ] {
            match classify(text) {
                UrlKind::Other(why) => assert!(why.contains(message), "{text}: {why}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn http_urls() {
        for (text, host, port, path) in [
            ("http://127.0.0.1:9000/", "127.0.0.1", 9000, "/"),
            ("http://127.0.0.1:9000", "127.0.0.1", 9000, "/"),
            ("http://backend", "backend", 80, "/"),
            ("http://backend/app/", "backend", 80, "/app/"),
            (
                "Http://b-1.example_x:8080/a/b",
                "b-1.example_x",
                8080,
                "/a/b",
            ),
            ("http://[::1]:8080/x", "::1", 8080, "/x"),
            ("http://[fe80::1]", "fe80::1", 80, "/"),
        ] {
            let url = parse_http_url(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (
                    url.url.as_str(),
                    url.host.as_str(),
                    url.port,
                    url.path.as_str()
                ),
                (text, host, port, path)
            );
        }
    }

    #[test]
    fn bad_http_urls() {
        for (text, message) in [
            ("http://", "the host is missing"),
            ("http:///x", "the host is missing"),
            ("http://:80/", "the host is missing"),
            ("http://a:0/", "\"0\" is not a port"),
            ("http://a:65536/", "\"65536\" is not a port"),
            ("http://a:/", "\"\" is not a port"),
            ("http://a:+8/", "\"+8\" is not a port"),
            ("http://::1/", "IPv6 addresses go in brackets"),
            ("http://a%b/", "\"a%b\" is not a host name"),
            ("http://[::1/", "missing ']'"),
            ("http://[zz]/", "\"zz\" is not an IPv6 address"),
            ("http://[::1]8080/", "expected ':PORT' after ']'"),
            ("http://u@a/", "user names"),
            ("http://a/x?y=1", "'?' (a backend URL has no query"),
            ("http://a/x#f", "'#'"),
            ("http://a/x y", "a space"),
        ] {
            let error = parse_http_url(text).unwrap_err();
            assert!(error.contains(message), "{text}: {error}");
        }
    }

    #[test]
    fn member_status_flags() {
        let s = |d, st, h, n, i, e| MemberStatus {
            disabled: d,
            stopped: st,
            hot_standby: h,
            drain: n,
            ignore_errors: i,
            in_error: e,
        };
        let f = false;
        let t = true;
        for (text, expected) in [
            ("+H", Ok(s(f, f, t, f, f, f))),
            ("H", Ok(s(f, f, t, f, f, f))),
            ("h", Ok(s(f, f, t, f, f, f))),
            ("+D", Ok(s(t, f, f, f, f, f))),
            ("+S", Ok(s(f, t, f, f, f, f))),
            ("+N", Ok(s(f, f, f, t, f, f))),
            ("+I+E", Ok(s(f, f, f, f, t, t))),
            ("S-E", Ok(s(f, t, f, f, f, f))),
            ("+E-E", Ok(s(f, f, f, f, f, f))),
            ("-H", Ok(s(f, f, f, f, f, f))),
            ("DH", Ok(s(t, f, t, f, f, f))),
            ("", Err("expected status flags")),
            ("+R", Err("R (hot spare) is not supported")),
            ("+C", Err("C (health check failed) is not supported")),
            ("+X", Err("'X' is not a member status flag")),
        ] {
            match (parse_member_status(text), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{text}"),
                (Err(got), Err(want)) => assert!(got.starts_with(want), "{text}: {got}"),
                (got, want) => panic!("{text}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn loadfactors() {
        for (value, expected) in [
            (1.0, Ok(100)),
            (2.0, Ok(200)),
            (100.0, Ok(10000)),
            (1.5, Ok(150)),
            (1.15, Ok(115)),
            (0.99, Err(())),
            (0.0, Err(())),
            (100.01, Err(())),
            (1.555, Err(())),
        ] {
            assert_eq!(parse_loadfactor(value).map_err(|_| ()), expected, "{value}");
        }
    }

    #[test]
    fn sticky_names() {
        for (text, expected) in [
            ("JSESSIONID", Some(("JSESSIONID", "JSESSIONID"))),
            ("JSESSIONID|jsessionid", Some(("JSESSIONID", "jsessionid"))),
            ("a|", None),
            ("|b", None),
            ("a|b|c", None),
            ("", None),
            ("a b", None),
            ("a=b", None),
        ] {
            let got = parse_sticky(text).ok();
            let want = expected.map(|(c, u)| StickySession {
                cookie: c.into(),
                url_param: u.into(),
            });
            assert_eq!(got, want, "{text}");
        }
        assert!(parse_sticky(&"x".repeat(64)).is_err());
        assert!(parse_sticky(&"x".repeat(63)).is_ok());
    }
}
