//! Parsers for the per-directory directives that both `mpmd.toml` (`[files]`,
//! `[[directory]]`) and `.htaccess` files (`handlers/htaccess.rs`) accept: `Options`,
//! `AllowOverride`, `Require`, `ErrorDocument`, status codes. One parser per directive, so a
//! value means the same thing in both places.
//!
//! Pure functions of their input; an error is the text that follows `invalid value for "KEY": `
//! (list parsers also say which entry was wrong). Nothing here reads files or logs.

use std::net::{IpAddr, Ipv4Addr};

use super::error::{did_you_mean, one_of};
use super::types::{
    AllowOverride, ErrorDocument, ForceLanguagePriority, IpPattern, Options, OptionsDirective,
    RequireLine,
};
use super::values::{merge_options, parse_force_language_priority};

/// AddType values are rewritten the same way in `mpmd.toml` and `.htaccess`.
pub use super::values::normalize_media_type;

/// `Options` as written in one scope: unprefixed words replace the inherited set, `+`/`-`
/// words change it (Apache's `opts_add` / `opts_remove`). `All`/`None` first count as
/// unprefixed (`["None", "+Indexes"]` replaces).
pub fn parse_options(words: &[&str]) -> Result<OptionsDirective, (usize, String)> {
    let signed = words
        .first()
        .is_some_and(|w| w.starts_with('+') || w.starts_with('-'));
    if !signed {
        return merge_options(words, Options::default()).map(OptionsDirective::Replace);
    }
    let add = merge_options(words, Options::default())?;
    let kept = merge_options(words, Options::ALL_KNOWN)?;
    let remove = Options {
        follow_symlinks: !kept.follow_symlinks,
        symlinks_if_owner_match: !kept.symlinks_if_owner_match,
        indexes: !kept.indexes,
        multiviews: !kept.multiviews,
    };
    Ok(OptionsDirective::Change { add, remove })
}

/// The options a directive names, whatever their sign (for `AllowOverride Options=list`).
pub fn options_named(directive: OptionsDirective) -> Options {
    match directive {
        OptionsDirective::Replace(o) => o,
        OptionsDirective::Change { add, remove } => Options {
            follow_symlinks: add.follow_symlinks || remove.follow_symlinks,
            symlinks_if_owner_match: add.symlinks_if_owner_match || remove.symlinks_if_owner_match,
            indexes: add.indexes || remove.indexes,
            multiviews: add.multiviews || remove.multiviews,
        },
    }
}

const OVERRIDE_CLASSES: [&str; 7] = [
    "None",
    "All",
    "Options",
    "FileInfo",
    "Indexes",
    "Limit",
    "AuthConfig",
];

/// AllowOverride, in Apache's order: `None` clears, `All` and the classes add;
/// `Options=Indexes,MultiViews` allows only those options.
pub fn parse_allow_override(words: &[&str]) -> Result<AllowOverride, (usize, String)> {
    if words.is_empty() {
        return Err((0, "the list is empty (use \"None\")".into()));
    }
    let mut allow = AllowOverride::NONE;
    for (i, word) in words.iter().enumerate() {
        let (class, args) = word
            .split_once('=')
            .map_or((*word, None), |(c, a)| (c, Some(a)));
        let known = OVERRIDE_CLASSES
            .iter()
            .find(|c| c.eq_ignore_ascii_case(class.trim()));
        match (known, args) {
            (Some(&"None"), None) => allow = AllowOverride::NONE,
            (Some(&"All"), None) => allow = AllowOverride::ALL,
            // Apache's set_override: a bare "Options" allows OPT_ALL only.
            (Some(&"Options"), None) => allow.options = Some(Options::OPT_ALL),
            (Some(&"Options"), Some(args)) => {
                let names: Vec<&str> = args.split(',').map(str::trim).collect();
                let listed =
                    merge_options(&names, Options::default()).map_err(|(_, detail)| (i, detail))?;
                allow.options = Some(listed);
            }
            (Some(&"FileInfo"), None) => allow.file_info = true,
            (Some(&"Indexes"), None) => allow.indexes = true,
            (Some(&"Limit"), None) => allow.limit = true,
            (Some(&"AuthConfig"), None) => allow.auth_config = true,
            _ => {
                return Err((
                    i,
                    format!(
                        "\"{word}\" is not an override class (expected {}){}",
                        one_of(&OVERRIDE_CLASSES),
                        did_you_mean(class, &OVERRIDE_CLASSES)
                    ),
                ));
            }
        }
    }
    Ok(allow)
}

const PROVIDERS: [&str; 4] = ["all", "local", "ip", "host"];

/// One `Require` line: `all granted|denied`, `local`, `ip ADDR...`, `host NAME...`.
/// `not ...` is refused as Apache refuses it outside `<RequireAll>`/`<RequireNone>`.
pub fn parse_require(line: &str) -> Result<RequireLine, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let expected = "expected \"all granted\", \"all denied\", \"local\", \"ip ADDRESS...\" or \
                    \"host NAME...\"";
    match words.as_slice() {
        ["all", "granted"] => Ok(RequireLine::AllGranted),
        ["all", "denied"] => Ok(RequireLine::AllDenied),
        ["local"] => Ok(RequireLine::Local),
        ["ip", addrs @ ..] if !addrs.is_empty() => {
            let mut patterns = Vec::with_capacity(addrs.len());
            for a in addrs {
                match parse_ip_pattern(a) {
                    Some(p) => patterns.push(p),
                    None => return Err(format!("\"{a}\" is not an IP address, network or prefix")),
                }
            }
            Ok(RequireLine::Ip(patterns))
        }
        ["host", names @ ..] if !names.is_empty() => Ok(RequireLine::Host(
            names.iter().map(|n| n.to_ascii_lowercase()).collect(),
        )),
        ["not", ..] => Err(format!(
            "\"{line}\": a negative Require line has no effect here (Apache: \"negative Require \
             directive has no effect in <RequireAny> directive\")"
        )),
        [first, ..] if PROVIDERS.contains(first) => Err(format!(
            "\"{line}\" is not a valid require line ({expected})"
        )),
        _ => Err(format!(
            "\"{line}\" is not a require line mpmd knows ({expected}){}",
            did_you_mean(words.first().copied().unwrap_or(""), &PROVIDERS)
        )),
    }
}

fn v4_mask(prefix: u32) -> u32 {
    u32::MAX.checked_shl(32 - prefix).unwrap_or(0)
}

fn v6_mask(prefix: u32) -> u128 {
    u128::MAX.checked_shl(128 - prefix).unwrap_or(0)
}

/// `10.1`, `10.1.`, `192.168.0.0/16`, `10.0.0.0/255.0.0.0`, `::1`, `2001:db8::/32` (APR's
/// `apr_ipsubnet_create`: the network is masked).
pub fn parse_ip_pattern(text: &str) -> Option<IpPattern> {
    if let Some((addr, mask)) = text.split_once('/') {
        let ip: IpAddr = addr.parse().ok()?;
        return match ip {
            IpAddr::V4(a) => {
                let mask = match mask.parse::<u32>() {
                    Ok(bits) if bits <= 32 && !mask.starts_with('+') => v4_mask(bits),
                    Ok(_) => return None,
                    Err(_) => mask.parse::<Ipv4Addr>().ok()?.to_bits(),
                };
                Some(IpPattern::V4 {
                    net: a.to_bits() & mask,
                    mask,
                })
            }
            IpAddr::V6(a) => {
                let bits: u32 = mask.parse().ok().filter(|b| *b <= 128)?;
                if mask.starts_with('+') {
                    return None;
                }
                let mask = v6_mask(bits);
                Some(IpPattern::V6 {
                    net: a.to_bits() & mask,
                    mask,
                })
            }
        };
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(IpPattern::host(ip));
    }
    let parts: Vec<&str> = text.strip_suffix('.').unwrap_or(text).split('.').collect();
    if parts.len() >= 4 {
        return None;
    }
    let mut net = 0u32;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let octet: u8 = part.parse().ok()?;
        net |= u32::from(octet) << (24 - 8 * i);
    }
    Some(IpPattern::V4 {
        net,
        mask: v4_mask(8 * parts.len() as u32),
    })
}

/// An ErrorDocument status: 400 to 599.
pub fn parse_error_status(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(s) if (400..=599).contains(&s) => Ok(s),
        _ => Err(format!(
            "\"{text}\" is not an error status (expected 400 to 599)"
        )),
    }
}

/// True for Apache's `ap_is_url`: a scheme (a letter, then letters, digits, `+`, `-`, `.`)
/// followed by `:`.
fn is_url(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// ErrorDocument's target, with Apache's heuristic (`set_error_document`): `default`; a
/// message if it has a space; a local URL if it starts with `/`; a redirect if it is a full
/// URL; else a message. Empty text is an error.
pub fn parse_error_document(target: &str) -> Result<ErrorDocument, String> {
    if target.trim().is_empty() {
        return Err("expected a local URL, a full URL or a message".into());
    }
    Ok(if target.eq_ignore_ascii_case("default") {
        ErrorDocument::Default
    } else if target.contains(' ') {
        ErrorDocument::Text(target.to_owned())
    } else if target.starts_with('/') {
        ErrorDocument::Local(target.to_owned())
    } else if is_url(target) {
        ErrorDocument::Redirect(target.to_owned())
    } else {
        ErrorDocument::Text(target.to_owned())
    })
}

/// ForceLanguagePriority as flags.
pub fn parse_force_language(text: &str) -> Result<ForceLanguagePriority, String> {
    let canonical = parse_force_language_priority(text)?;
    Ok(ForceLanguagePriority {
        prefer: canonical.contains("prefer"),
        fallback: canonical.contains("fallback"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(names: &str) -> Options {
        Options::from_letters(names)
    }

    #[test]
    fn options_directives() {
        use OptionsDirective::*;
        for (words, expected) in [
            (&["Indexes"][..], Replace(opts("I"))),
            (&["None"], Replace(opts(""))),
            (&["None", "+Indexes"], Replace(opts("I"))),
            (&["All", "-Indexes"], Replace(opts("F"))),
            (
                &["+Indexes"],
                Change {
                    add: opts("I"),
                    remove: opts(""),
                },
            ),
            (
                &["-FollowSymLinks", "+SymLinksIfOwnerMatch"],
                Change {
                    add: opts("S"),
                    remove: opts("F"),
                },
            ),
            (
                &["+Indexes", "-Indexes"],
                Change {
                    add: opts(""),
                    remove: opts("I"),
                },
            ),
        ] {
            assert_eq!(parse_options(words), Ok(expected), "{words:?}");
        }
        assert!(parse_options(&["+Indexes", "FollowSymLinks"]).is_err());
        assert_eq!(
            options_named(parse_options(&["+Indexes", "-FollowSymLinks"]).unwrap()),
            opts("F I")
        );
    }

    #[test]
    fn allow_override_words() {
        let none = AllowOverride::NONE;
        for (words, expected) in [
            (&["None"][..], none),
            (&["All"], AllowOverride::ALL),
            (&["All", "None"], none),
            (
                &["FileInfo", "Indexes"],
                AllowOverride {
                    file_info: true,
                    indexes: true,
                    ..none
                },
            ),
            (
                &["Options=Indexes,MultiViews", "AuthConfig"],
                AllowOverride {
                    options: Some(opts("I M")),
                    auth_config: true,
                    ..none
                },
            ),
            (
                &["options", "limit"],
                AllowOverride {
                    options: Some(Options::OPT_ALL),
                    limit: true,
                    ..none
                },
            ),
        ] {
            assert_eq!(parse_allow_override(words), Ok(expected), "{words:?}");
        }
        for (words, index, message) in [
            (
                &["FileInfo", "Fileinfos"][..],
                1,
                "did you mean \"FileInfo\"",
            ),
            (&["Options=Bogus"], 0, "\"Bogus\" is not an option"),
            (&["All=x"], 0, "is not an override class"),
            (&[], 0, "the list is empty"),
        ] {
            let (i, error) = parse_allow_override(words).unwrap_err();
            assert_eq!(i, index, "{words:?}");
            assert!(error.contains(message), "{words:?}: {error}");
        }
    }

    fn v4(net: [u8; 4], mask: [u8; 4]) -> IpPattern {
        IpPattern::V4 {
            net: u32::from_be_bytes(net),
            mask: u32::from_be_bytes(mask),
        }
    }

    #[test]
    fn ip_patterns() {
        for (text, expected) in [
            ("10", Some(v4([10, 0, 0, 0], [255, 0, 0, 0]))),
            ("10.1", Some(v4([10, 1, 0, 0], [255, 255, 0, 0]))),
            ("10.1.", Some(v4([10, 1, 0, 0], [255, 255, 0, 0]))),
            ("192.168.2", Some(v4([192, 168, 2, 0], [255, 255, 255, 0]))),
            ("10.1.2.3", Some(v4([10, 1, 2, 3], [255; 4]))),
            (
                "192.168.7.9/16",
                Some(v4([192, 168, 0, 0], [255, 255, 0, 0])),
            ),
            (
                "10.0.0.0/255.0.0.0",
                Some(v4([10, 0, 0, 0], [255, 0, 0, 0])),
            ),
            ("0.0.0.0/0", Some(v4([0; 4], [0; 4]))),
            (
                "::1",
                Some(IpPattern::V6 {
                    net: 1,
                    mask: u128::MAX,
                }),
            ),
            (
                "2001:db8::/32",
                Some(IpPattern::V6 {
                    net: 0x2001_0db8 << 96,
                    mask: u128::MAX << 96,
                }),
            ),
            ("300.1", None),
            ("10.0.0.0/33", None),
            ("::/129", None),
            ("10..1", None),
            ("a.b", None),
            ("1.2.3.4.5", None),
            ("", None),
        ] {
            assert_eq!(parse_ip_pattern(text), expected, "{text}");
        }
    }

    #[test]
    fn require_lines() {
        assert_eq!(parse_require("all granted"), Ok(RequireLine::AllGranted));
        assert_eq!(parse_require(" all  denied "), Ok(RequireLine::AllDenied));
        assert_eq!(parse_require("local"), Ok(RequireLine::Local));
        assert_eq!(
            parse_require("host Example.ORG .net"),
            Ok(RequireLine::Host(vec!["example.org".into(), ".net".into()]))
        );
        assert!(matches!(
            parse_require("ip 10.1 192.168.0.0/16 ::1"),
            Ok(RequireLine::Ip(p)) if p.len() == 3
        ));
        for (line, message) in [
            ("all", "is not a valid require line"),
            ("ip", "is not a valid require line"),
            ("ip 300.1", "\"300.1\" is not an IP address"),
            ("ip 10.0.0.0/33", "is not an IP address"),
            ("everyone", "is not a require line mpmd knows"),
            ("lokal", "(did you mean \"local\"?)"),
            (
                "not ip 10.0.0.1",
                "negative Require directive has no effect",
            ),
        ] {
            let error = parse_require(line).unwrap_err();
            assert!(error.contains(message), "{line}: {error}");
        }
    }

    #[test]
    fn error_document_targets() {
        use ErrorDocument::*;
        for (text, expected) in [
            ("/missing.html", Local("/missing.html".into())),
            (
                "http://example.com/x",
                Redirect("http://example.com/x".into()),
            ),
            (
                "https://example.com/",
                Redirect("https://example.com/".into()),
            ),
            ("Sorry, not here", Text("Sorry, not here".into())),
            ("nope", Text("nope".into())),
            ("/with space", Text("/with space".into())),
            ("default", Default),
            ("DEFAULT", Default),
        ] {
            assert_eq!(parse_error_document(text), Ok(expected), "{text}");
        }
        assert!(parse_error_document(" ").is_err());
        assert_eq!(parse_error_status("404"), Ok(404));
        assert!(parse_error_status("200").is_err());
        assert!(parse_error_status("abc").is_err());
        assert_eq!(
            parse_force_language("fallback prefer"),
            Ok(ForceLanguagePriority {
                prefer: true,
                fallback: true
            })
        );
    }
}
