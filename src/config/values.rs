//! Parsers for single values: listen addresses, keyword sets, `Options` merging, `FileETag`,
//! `LogFormat` nicknames. Pure functions of their input; each error is the text that follows
//! `invalid value for "KEY": `, and list parsers say which entry was wrong.

use std::net::{Ipv6Addr, SocketAddr};

use super::error::{did_you_mean, one_of};
use super::types::{FileEtag, HostnameLookups, LogLevel, MpmModule, Options, ServerTokens};

/// `"8080"`, `"*:8080"`, `"127.0.0.1:8080"`, `"[::1]:8080"`; port 0 is allowed. A bare port is
/// the IPv6 wildcard `[::]:PORT`, bound dual-stack (IPv4 too) as Apache binds `Listen PORT`;
/// see `net::listener`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let bad = || {
        format!("\"{text}\" is not an address (expected \"PORT\", \"IP:PORT\" or \"[IPv6]:PORT\")")
    };
    let trimmed = text.trim();
    let port_only = trimmed.strip_prefix("*:").unwrap_or(trimmed);
    if !port_only.is_empty() && port_only.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = port_only.parse().map_err(|_| bad())?;
        return Ok(SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)));
    }
    trimmed.parse().map_err(|_| bad())
}

/// Looks `text` up case-insensitively in `(spelling, value)` pairs; the error lists the first
/// `shown` spellings and suggests the closest one.
fn keyword<T: Copy>(text: &str, table: &[(&str, T)], shown: usize) -> Result<T, String> {
    let lower = text.trim().to_ascii_lowercase();
    if let Some((_, value)) = table.iter().find(|(name, _)| *name == lower) {
        return Ok(*value);
    }
    let names: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
    Err(format!(
        "\"{text}\" is not one of {}{}",
        one_of(&names[..shown.min(names.len())]),
        did_you_mean(text, &names)
    ))
}

/// LogLevel; Apache's `emerg`, `alert`, `crit` count as `error`, `trace1`..`trace8` as `trace`.
pub fn parse_log_level(text: &str) -> Result<LogLevel, String> {
    use LogLevel::*;
    let table = [
        ("error", Error),
        ("warn", Warn),
        ("notice", Notice),
        ("info", Info),
        ("debug", Debug),
        ("trace", Trace),
        ("emerg", Error),
        ("alert", Error),
        ("crit", Error),
        ("trace1", Trace),
        ("trace2", Trace),
        ("trace3", Trace),
        ("trace4", Trace),
        ("trace5", Trace),
        ("trace6", Trace),
        ("trace7", Trace),
        ("trace8", Trace),
    ];
    keyword(text, &table, 6)
}

/// ServerTokens, with Apache's spellings `Min` and `ProductOnly`.
pub fn parse_server_tokens(text: &str) -> Result<ServerTokens, String> {
    use ServerTokens::*;
    let table = [
        ("full", Full),
        ("os", Os),
        ("minimal", Minimal),
        ("minor", Minor),
        ("major", Major),
        ("prod", Prod),
        ("min", Minimal),
        ("productonly", Prod),
    ];
    keyword(text, &table, 6)
}

pub fn parse_hostname_lookups(text: &str) -> Result<HostnameLookups, String> {
    use HostnameLookups::*;
    keyword(text, &[("off", Off), ("on", On), ("double", Double)], 3)
}

pub fn parse_module(text: &str) -> Result<MpmModule, String> {
    use MpmModule::*;
    keyword(
        text,
        &[("prefork", Prefork), ("worker", Worker), ("event", Event)],
        3,
    )
}

/// ForceLanguagePriority: returns the canonical spelling.
pub fn parse_force_language_priority(text: &str) -> Result<&'static str, String> {
    let table = [
        ("none", "none"),
        ("prefer", "prefer"),
        ("fallback", "fallback"),
        ("prefer fallback", "prefer fallback"),
        ("fallback prefer", "prefer fallback"),
    ];
    let squeezed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    keyword(&squeezed, &table, 4)
}

/// Apache's `Options` keywords mpmd knows.
const OPTION_NAMES: [&str; 6] = [
    "FollowSymLinks",
    "SymLinksIfOwnerMatch",
    "Indexes",
    "MultiViews",
    "All",
    "None",
];

const MIXED: &str = "either all options must start with + or -, or none may (as in Apache 2.4)";

/// Apache's `Options` parsing over `base` (the inherited set): an unprefixed list replaces it,
/// a list of `+X`/`-X` changes it; `All`/`None` only first and without a prefix. `All` is
/// Apache's `OPT_ALL`: FollowSymLinks and Indexes (not SymLinksIfOwnerMatch, not MultiViews).
/// The error says which entry (by index) was wrong.
pub fn merge_options(words: &[&str], base: Options) -> Result<Options, (usize, String)> {
    if words.is_empty() {
        return Err((
            0,
            "the list is empty (use [\"None\"] for no options)".into(),
        ));
    }
    let mut result = base;
    let (mut first, mut merge, mut all_none) = (true, false, false);
    for (i, word) in words.iter().enumerate() {
        let (action, name) = match word.chars().next() {
            Some(c @ ('+' | '-')) => (Some(c), &word[1..]),
            _ => (None, *word),
        };
        if action.is_some() {
            if !merge && !first && !all_none {
                return Err((i, MIXED.into()));
            }
            merge = true;
        } else if first {
            result = Options::default();
        } else if merge {
            return Err((i, MIXED.into()));
        }
        let bits = match name.to_ascii_lowercase().as_str() {
            "followsymlinks" => Options {
                follow_symlinks: true,
                ..Options::default()
            },
            "symlinksifownermatch" => Options {
                symlinks_if_owner_match: true,
                ..Options::default()
            },
            "indexes" => Options {
                indexes: true,
                ..Options::default()
            },
            "multiviews" => Options {
                multiviews: true,
                ..Options::default()
            },
            keyword @ ("all" | "none") => {
                let shown = if keyword == "all" { "All" } else { "None" };
                if !first {
                    return Err((i, format!("\"{shown}\" must be the first option given")));
                }
                if merge {
                    return Err((
                        i,
                        format!("\"{word}\" is not allowed: {shown} takes no + or -"),
                    ));
                }
                all_none = true;
                if keyword == "all" {
                    Options {
                        follow_symlinks: true,
                        indexes: true,
                        ..Options::default()
                    }
                } else {
                    Options::default()
                }
            }
            _ => {
                return Err((
                    i,
                    format!(
                        "\"{word}\" is not an option mpmd knows (expected {}){}",
                        one_of(&OPTION_NAMES),
                        did_you_mean(name, &OPTION_NAMES)
                    ),
                ));
            }
        };
        result = if action == Some('-') {
            Options {
                follow_symlinks: result.follow_symlinks && !bits.follow_symlinks,
                symlinks_if_owner_match: result.symlinks_if_owner_match
                    && !bits.symlinks_if_owner_match,
                indexes: result.indexes && !bits.indexes,
                multiviews: result.multiviews && !bits.multiviews,
            }
        } else {
            Options {
                follow_symlinks: result.follow_symlinks || bits.follow_symlinks,
                symlinks_if_owner_match: result.symlinks_if_owner_match
                    || bits.symlinks_if_owner_match,
                indexes: result.indexes || bits.indexes,
                multiviews: result.multiviews || bits.multiviews,
            }
        };
        first = false;
    }
    Ok(result)
}

const ETAG_NAMES: [&str; 5] = ["inode", "mtime", "size", "all", "none"];

/// FileETag: components `inode`, `mtime`, `size` (also `all`), or `["none"]` alone.
pub fn parse_file_etag(words: &[&str]) -> Result<FileEtag, (usize, String)> {
    if words.is_empty() {
        return Err((0, "the list is empty (use [\"none\"] for no ETag)".into()));
    }
    let mut etag = FileEtag {
        inode: false,
        mtime: false,
        size: false,
    };
    for (i, word) in words.iter().enumerate() {
        match word.to_ascii_lowercase().as_str() {
            "inode" => etag.inode = true,
            "mtime" | "lmtime" | "lastmodified" => etag.mtime = true,
            "size" => etag.size = true,
            "all" => (etag.inode, etag.mtime, etag.size) = (true, true, true),
            "none" if words.len() == 1 => {}
            "none" => {
                return Err((
                    i,
                    "\"none\" cannot be combined with other components".into(),
                ));
            }
            _ => {
                return Err((
                    i,
                    format!(
                        "\"{word}\" is not a FileETag component (expected {}){}",
                        one_of(&ETAG_NAMES),
                        did_you_mean(word, &ETAG_NAMES)
                    ),
                ));
            }
        }
    }
    Ok(etag)
}

pub const COMMON_FORMAT: &str = "%h %l %u %t \"%r\" %>s %b";
pub const COMBINED_FORMAT: &str = "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"";

/// LogFormat: the nicknames `common` and `combined`, or a format string kept as written.
pub fn expand_log_format(text: &str) -> String {
    match text.trim().to_ascii_lowercase().as_str() {
        "common" => COMMON_FORMAT.into(),
        "combined" => COMBINED_FORMAT.into(),
        _ => text.into(),
    }
}

/// True for an RFC 9110 token (charset names, media type parts).
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// AddDefaultCharset: `off` -> None, `on` -> iso-8859-1, else the charset itself.
pub fn parse_default_charset(text: &str) -> Result<Option<String>, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "off" => Ok(None),
        "on" => Ok(Some("iso-8859-1".into())),
        _ if is_token(text.trim()) => Ok(Some(text.trim().into())),
        _ => Err(format!(
            "\"{text}\" is not \"off\", \"on\" or a charset name (such as \"utf-8\")"
        )),
    }
}

/// A mod_mime extension: `.md` or `md` -> `md` (lower case, without the dot).
pub fn normalize_extension(text: &str) -> Result<String, String> {
    let ext = text.trim().trim_start_matches('.').to_ascii_lowercase();
    if ext.is_empty() || ext.contains(['/', '.']) || ext.contains(char::is_whitespace) {
        return Err(format!(
            "\"{text}\" is not a file extension (expected \".ext\" or \"ext\")"
        ));
    }
    Ok(ext)
}

/// `type/subtype`, both tokens.
pub fn is_media_type(text: &str) -> bool {
    matches!(text.split_once('/'), Some((a, b)) if is_token(a) && is_token(b))
}

/// A media type with optional parameters, as AddType takes it (`text/html;qs=0.5`): the type
/// is `type/subtype`, each parameter `name=value`.
pub fn is_media_type_with_params(text: &str) -> bool {
    let mut parts = text.split(';');
    parts.next().is_some_and(|t| is_media_type(t.trim()))
        && parts.all(|p| {
            let p = p.trim();
            p.is_empty()
                || matches!(p.split_once('='), Some((n, v)) if is_token(n.trim()) && !v.trim().is_empty())
        })
}

/// mod_mime's rewriting of an AddType value: parameters after `; ` (`text/html;qs=0.5` ->
/// `text/html; qs=0.5`), which is how the Content-Type header shows them.
pub fn normalize_media_type(text: &str) -> String {
    text.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A language tag such as `en`, `en-GB`, `zh-Hant`.
pub fn is_language_tag(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_cases() {
        for (text, expected) in [
            ("8080", Some("[::]:8080")),
            ("0", Some("[::]:0")),
            ("*:81", Some("[::]:81")),
            ("127.0.0.1:8080", Some("127.0.0.1:8080")),
            ("127.0.0.1:0", Some("127.0.0.1:0")),
            ("[::1]:8080", Some("[::1]:8080")),
            ("[::]:80", Some("[::]:80")),
            (" 8080 ", Some("[::]:8080")),
            ("127.0.0.1:99999", None),
            ("99999", None),
            ("::1:8080", None),
            ("localhost:80", None),
            ("127.0.0.1", None),
            ("", None),
            ("-1", None),
        ] {
            let got = parse_listen(text).ok().map(|a| a.to_string());
            assert_eq!(got.as_deref(), expected, "{text:?}");
        }
        assert_eq!(
            parse_listen("127.0.0.1:99999").unwrap_err(),
            "\"127.0.0.1:99999\" is not an address (expected \"PORT\", \"IP:PORT\" or \"[IPv6]:PORT\")"
        );
    }

    #[test]
    fn keyword_cases() {
        assert_eq!(parse_log_level("WARN"), Ok(LogLevel::Warn));
        assert_eq!(parse_log_level("crit"), Ok(LogLevel::Error));
        assert_eq!(parse_log_level("trace4"), Ok(LogLevel::Trace));
        assert_eq!(
            parse_log_level("warning").unwrap_err(),
            "\"warning\" is not one of \"error\", \"warn\", \"notice\", \"info\", \"debug\" or \"trace\" (did you mean \"warn\"?)"
        );
        for (text, tokens) in [
            ("full", ServerTokens::Full),
            ("OS", ServerTokens::Os),
            ("Min", ServerTokens::Minimal),
            ("minimal", ServerTokens::Minimal),
            ("Minor", ServerTokens::Minor),
            ("major", ServerTokens::Major),
            ("Prod", ServerTokens::Prod),
            ("ProductOnly", ServerTokens::Prod),
        ] {
            assert_eq!(parse_server_tokens(text), Ok(tokens), "{text}");
        }
        assert!(parse_server_tokens("product").is_err());
        assert_eq!(
            parse_hostname_lookups("Double"),
            Ok(HostnameLookups::Double)
        );
        assert_eq!(parse_module("event"), Ok(MpmModule::Event));
        assert!(
            parse_module("perfork")
                .unwrap_err()
                .contains("did you mean \"prefork\"")
        );
        assert_eq!(
            parse_force_language_priority("Fallback  Prefer"),
            Ok("prefer fallback")
        );
    }

    fn opts(names: &str) -> Options {
        Options::from_letters(names)
    }

    #[test]
    fn options_merging() {
        let default = opts("F");
        for (words, expected) in [
            (&["FollowSymLinks"][..], opts("F")),
            (&["Indexes"], opts("I")),
            (&["+Indexes"], opts("F I")),
            (&["-FollowSymLinks"], opts("")),
            (&["+FollowSymLinks"], opts("F")),
            (&["+Indexes", "-FollowSymLinks", "+MultiViews"], opts("I M")),
            (&["All"], opts("F I")),
            (&["all", "-Indexes"], opts("F")),
            (&["None"], opts("")),
            (&["None", "+Indexes"], opts("I")),
            (&["Indexes", "MultiViews"], opts("I M")),
            (&["SymLinksIfOwnerMatch"], opts("S")),
            (&["followsymlinks"], opts("F")),
        ] {
            assert_eq!(merge_options(words, default), Ok(expected), "{words:?}");
        }
    }

    #[test]
    fn options_errors() {
        for (words, index, message) in [
            (
                &["Indexes", "+MultiViews"][..],
                1,
                "either all options must start",
            ),
            (
                &["+Indexes", "MultiViews"],
                1,
                "either all options must start",
            ),
            (
                &["Indexes", "All"],
                1,
                "\"All\" must be the first option given",
            ),
            (
                &["+None"],
                0,
                "\"+None\" is not allowed: None takes no + or -",
            ),
            (&["-All"], 0, "\"-All\" is not allowed"),
            (&["ExecCGI"], 0, "\"ExecCGI\" is not an option mpmd knows"),
            (&["Indexs"], 0, "(did you mean \"Indexes\"?)"),
            (&[], 0, "the list is empty"),
        ] {
            let (i, error) = merge_options(words, opts("F")).unwrap_err();
            assert_eq!(i, index, "{words:?}");
            assert!(error.contains(message), "{words:?}: {error}");
        }
    }

    #[test]
    fn file_etag_cases() {
        let e = |inode, mtime, size| FileEtag { inode, mtime, size };
        for (words, expected) in [
            (&["mtime", "size"][..], e(false, true, true)),
            (&["INode"], e(true, false, false)),
            (&["all"], e(true, true, true)),
            (&["none"], e(false, false, false)),
            (&["size", "size"], e(false, false, true)),
        ] {
            assert_eq!(parse_file_etag(words), Ok(expected), "{words:?}");
        }
        for (words, index, message) in [
            (&["none", "size"][..], 0, "cannot be combined"),
            (&["size", "none"], 1, "cannot be combined"),
            (&["digest"], 0, "not a FileETag component"),
            (&["mtme"], 0, "did you mean \"mtime\""),
            (&[], 0, "empty"),
        ] {
            let (i, error) = parse_file_etag(words).unwrap_err();
            assert_eq!(i, index, "{words:?}");
            assert!(error.contains(message), "{words:?}: {error}");
        }
    }

    #[test]
    fn small_values() {
        assert_eq!(expand_log_format("common"), COMMON_FORMAT);
        assert_eq!(expand_log_format("combined"), COMBINED_FORMAT);
        assert_eq!(expand_log_format("%h %>s"), "%h %>s");
        assert_eq!(parse_default_charset("Off"), Ok(None));
        assert_eq!(parse_default_charset("on"), Ok(Some("iso-8859-1".into())));
        assert_eq!(parse_default_charset("utf-8"), Ok(Some("utf-8".into())));
        assert!(parse_default_charset("utf 8").is_err());
        assert_eq!(normalize_extension(".MD"), Ok("md".into()));
        assert_eq!(normalize_extension("markdown"), Ok("markdown".into()));
        assert!(normalize_extension(".").is_err());
        assert!(normalize_extension("a/b").is_err());
        assert!(is_media_type("text/markdown"));
        assert!(!is_media_type("markdown"));
        for (text, ok) in [
            ("text/html;qs=0.5", true),
            ("text/html; qs=0.5; level=3", true),
            ("text/html;", true),
            ("text/html;qs", false),
            ("text/html;=1", false),
            ("html;qs=1", false),
        ] {
            assert_eq!(is_media_type_with_params(text), ok, "{text}");
        }
        assert_eq!(
            normalize_media_type("text/html;qs=0.5"),
            "text/html; qs=0.5"
        );
        assert_eq!(
            normalize_media_type(" text/html ;  level=3;"),
            "text/html; level=3"
        );
        assert!(is_language_tag("en-GB"));
        assert!(!is_language_tag("en_GB"));
    }
}
