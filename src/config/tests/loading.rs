//! Whole-file loading: the spec's defaults, paths, durations, listen, options, formats, clamps
//! and restarts, and the shipped `conf/mpmd.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{TempRoot, ok, warnings};
use crate::config::{
    FileEtag, HostnameLookups, IndexOptions, LogLevel, LogTarget, MpmModule, Options, ServerTokens,
    load, parse_str,
};

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[test]
fn defaults_equal_the_spec() {
    let root = TempRoot::new();
    let loaded = root.parse("").unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = loaded.config;
    let r = &root.dir;
    assert_eq!(c.source, root.file());
    assert_eq!(c.server_root, *r);
    assert_eq!(c.server_name, "localhost");
    assert_eq!(c.listen, [addr("127.0.0.1:8080")]);
    assert_eq!(c.listen_backlog, 511);
    assert_eq!(c.pid_file, r.join("logs/mpmd.pid"));
    assert_eq!(c.error_log, LogTarget::File(r.join("logs/error.log")));
    assert_eq!(c.log_level, LogLevel::Warn);
    assert_eq!((c.user, c.group), (None, None));
    assert_eq!(c.graceful_shutdown_timeout, None);
    assert_eq!(c.scoreboard_file, None);
    assert_eq!(c.server_tokens, ServerTokens::Full);

    let m = &c.mpm;
    assert_eq!(m.module, MpmModule::Prefork);
    assert_eq!(
        (m.start_servers, m.min_spare_servers, m.max_spare_servers),
        (5, 5, 10)
    );
    assert_eq!((m.server_limit, m.max_request_workers), (256, 256));
    assert_eq!(m.max_connections_per_child, 0);
    assert_eq!(
        (
            m.threads_per_child,
            m.thread_limit,
            m.min_spare_threads,
            m.max_spare_threads
        ),
        (25, 64, 75, 250)
    );

    let h = &c.http;
    assert_eq!(h.timeout, Duration::from_secs(60));
    assert!(h.keep_alive);
    assert_eq!(h.keep_alive_timeout, Duration::from_secs(5));
    assert_eq!(h.max_keep_alive_requests, 100);
    assert_eq!(
        (
            h.limit_request_line,
            h.limit_request_fields,
            h.limit_request_field_size
        ),
        (8190, 100, 8190)
    );
    assert_eq!(h.limit_request_body, 1_073_741_824);
    assert_eq!(h.hostname_lookups, HostnameLookups::Off);
    assert!(!h.enable_sendfile);
    assert!(h.enable_mmap);
    let mtime_size = FileEtag {
        inode: false,
        mtime: true,
        size: true,
    };
    assert_eq!(h.file_etag, mtime_size);
    assert_eq!(h.types_config, r.join("conf/mime.types"));
    assert_eq!(h.add_default_charset, None);
    assert!(h.trace_enable);
    assert_eq!(h.max_ranges, 200);

    assert_eq!(c.log.access_log, Some(r.join("logs/access.log")));
    assert_eq!(c.log.log_format, "%h %l %u %t \"%r\" %>s %b");
    assert!(!c.log.buffered_logs);

    let f = &c.files;
    assert_eq!(f.document_root, r.join("htdocs"));
    assert_eq!(f.directory_index, ["index.html"]);
    assert!(f.directory_slash);
    let follow = Options {
        follow_symlinks: true,
        ..Options::default()
    };
    assert_eq!(f.options, follow);
    assert!(f.add_type.is_empty());
    assert!(c.status.extended_status);
    assert!(c.locations.is_empty());
}

#[test]
fn locations_are_kept_in_file_order() {
    let loaded = ok(r#"
[[location]]
path = "/server-status"
handler = "server-status"
require = ["local", "ip 10.1 ::1"]
[[location]]
path = "/private"
require = "all denied"
"#);
    let l = &loaded.config.locations;
    assert_eq!(l.len(), 2);
    assert_eq!(l[0].path, "/server-status");
    assert_eq!(l[0].handler.as_deref(), Some("server-status"));
    let parsed = |lines: &[&str]| -> Vec<crate::config::RequireLine> {
        lines
            .iter()
            .map(|l| crate::config::directives::parse_require(l).unwrap())
            .collect()
    };
    assert_eq!(l[0].require, parsed(&["local", "ip 10.1 ::1"]));
    assert_eq!(l[1].path, "/private");
    assert_eq!(l[1].handler, None);
    assert_eq!(l[1].require, parsed(&["all denied"]));
}

/// Explicit defaults of keys whose features come later are accepted.
#[test]
fn defaults_of_later_features_are_accepted() {
    let loaded = ok(r#"
[mpm]
module = "prefork"
[http]
hostname_lookups = "Off"
[log]
buffered_logs = false
[files]
options = ["FollowSymLinks"]
allow_override = "None"
access_file_name = [".htaccess"]
language_priority = []
force_language_priority = "prefer"
error_document = {}
add_language = {}
add_charset = {}
add_encoding = {}
add_handler = {}
"#);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn paths_resolve_against_server_root() {
    let root = TempRoot::new();
    std::fs::create_dir_all(root.dir.join("site/www")).unwrap();
    std::fs::write(root.dir.join("site/types"), "").unwrap();
    let text = r#"
server_root = "site"
pid_file = "run/../run/mpmd.pid"
error_log = "-"
scoreboard_file = "/var/tmp/sb"
[http]
types_config = "types"
[log]
access_log = ""
[files]
document_root = "./www/"
"#;
    let c = root.parse(text).unwrap().config;
    let site = root.dir.join("site");
    assert_eq!(c.server_root, site);
    assert_eq!(c.pid_file, site.join("run/mpmd.pid"));
    assert_eq!(c.error_log, LogTarget::Stderr);
    assert_eq!(c.scoreboard_file, Some(PathBuf::from("/var/tmp/sb")));
    assert_eq!(c.http.types_config, site.join("types"));
    assert_eq!(c.log.access_log, None);
    assert_eq!(c.files.document_root, site.join("www"));

    // An absolute server_root, and a config path given relative with `..` in it.
    let abs = format!("server_root = \"{}\"\n", root.dir.display());
    let elsewhere = root.dir.join("site/www/../mpmd.toml");
    let c = parse_str(&abs, &elsewhere, None).unwrap().config;
    assert_eq!(c.source, root.dir.join("site/mpmd.toml"));
    assert_eq!(c.server_root, root.dir);
}

#[test]
fn durations_in_units_and_with_suffixes() {
    for (text, graceful, timeout, keep_alive) in [
        ("", None, 60_000, 5_000),
        ("graceful_shutdown_timeout = 0\n", None, 60_000, 5_000),
        (
            "graceful_shutdown_timeout = 30\n",
            Some(30_000),
            60_000,
            5_000,
        ),
        (
            "graceful_shutdown_timeout = \"2m\"\n",
            Some(120_000),
            60_000,
            5_000,
        ),
        ("[http]\ntimeout = \"1500ms\"\n", None, 1_500, 5_000),
        (
            "[http]\nkeep_alive_timeout = \"250ms\"\n",
            None,
            60_000,
            250,
        ),
        ("[http]\nkeep_alive_timeout = 0\n", None, 60_000, 0),
        ("[http]\ntimeout = \"1h\"\n", None, 3_600_000, 5_000),
    ] {
        let c = ok(text).config;
        let ms = |d: Duration| d.as_millis() as u64;
        assert_eq!(c.graceful_shutdown_timeout.map(ms), graceful, "{text}");
        assert_eq!(ms(c.http.timeout), timeout, "{text}");
        assert_eq!(ms(c.http.keep_alive_timeout), keep_alive, "{text}");
    }
}

#[test]
fn listen_forms_and_duplicates() {
    let loaded = ok(
        r#"listen = ["8080", "127.0.0.1:0", "[::1]:8080", "*:8081", "[::]:8080", "0.0.0.0:8080"]"#,
    );
    assert_eq!(
        loaded.config.listen,
        [
            addr("[::]:8080"),
            addr("127.0.0.1:0"),
            addr("[::1]:8080"),
            addr("[::]:8081"),
            addr("0.0.0.0:8080")
        ]
    );
    assert_eq!(
        warnings(&loaded),
        ["listen address [::]:8080 is given more than once; it is bound once"]
    );
}

#[test]
fn keywords_and_formats() {
    let c = ok(r#"
log_level = "Debug"
server_tokens = "ProductOnly"
[http]
add_default_charset = "On"
file_etag = ["none"]
[log]
log_format = "combined"
"#)
    .config;
    assert_eq!(c.log_level, LogLevel::Debug);
    assert_eq!(c.server_tokens, ServerTokens::Prod);
    assert_eq!(c.http.add_default_charset.as_deref(), Some("iso-8859-1"));
    assert_eq!(
        c.http.file_etag,
        FileEtag {
            inode: false,
            mtime: false,
            size: false
        }
    );
    assert_eq!(
        c.log.log_format,
        "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""
    );

    let c =
        ok("[http]\nadd_default_charset = \"utf-8\"\n[log]\nlog_format = \"%h %>s %D\"\n").config;
    assert_eq!(c.http.add_default_charset.as_deref(), Some("utf-8"));
    assert_eq!(c.log.log_format, "%h %>s %D");

    let loaded = ok("[log]\nlog_format = \"comon\"\n");
    assert_eq!(loaded.config.log.log_format, "comon");
    assert_eq!(
        warnings(&loaded),
        [
            "log_format \"comon\" has no % directive, so every access log line will be exactly \
          that text (did you mean \"common\"?)"
        ]
    );
}

#[test]
fn options_merge_onto_the_default() {
    for text in [
        "options = [\"FollowSymLinks\"]",
        "options = \"FollowSymLinks\"",
        "options = [\"+FollowSymLinks\"]",
        "options = [\"All\", \"-Indexes\"]",
        "options = [\"None\", \"+FollowSymLinks\"]",
        "options = [\"-Indexes\"]",
    ] {
        let c = ok(&format!("[files]\n{text}\n")).config;
        assert!(c.files.options.follow_symlinks, "{text}");
        assert!(!c.files.options.indexes, "{text}");
    }
}

#[test]
fn add_type_and_directory_index() {
    let c = ok(r#"
[files]
add_type = { "text/markdown" = [".md", "Markdown"], "application/x-thing" = "thing" }
directory_index = ["index.htm", "index.html"]
directory_slash = false
"#)
    .config;
    let pairs: Vec<(&str, &str)> = c
        .files
        .add_type
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("markdown", "text/markdown"),
            ("md", "text/markdown"),
            ("thing", "application/x-thing")
        ]
    );
    assert_eq!(c.files.directory_index, ["index.htm", "index.html"]);
    assert!(!c.files.directory_slash);
    let c = ok("[files]\ndirectory_index = []\n").config;
    assert!(c.files.directory_index.is_empty());
    let c = ok("[files]\ndirectory_index = \"disabled\"\n").config;
    assert!(c.files.directory_index.is_empty());
}

#[test]
fn clamps_warn_and_aliases_inform() {
    let loaded = ok(r#"
[mpm]
server_limit = 10
max_clients = 300
max_requests_per_child = 1000
min_spare_servers = 0
max_spare_servers = 0
threads_per_child = 10
"#);
    let m = &loaded.config.mpm;
    assert_eq!(
        (
            m.server_limit,
            m.max_request_workers,
            m.max_connections_per_child
        ),
        (10, 10, 1000)
    );
    assert_eq!(
        (m.start_servers, m.min_spare_servers, m.max_spare_servers),
        (5, 1, 2)
    );
    assert_eq!(m.threads_per_child, 10);
    let got: Vec<(LogLevel, &str)> = loaded
        .warnings
        .iter()
        .map(|w| (w.level, w.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                LogLevel::Info,
                "max_clients is deprecated, use max_request_workers instead."
            ),
            (
                LogLevel::Info,
                "max_requests_per_child is deprecated, use max_connections_per_child instead."
            ),
            (
                LogLevel::Warn,
                "max_request_workers of 300 exceeds server_limit value of 10 servers, decreasing \
                 max_request_workers to 10. To increase, please see the server_limit key."
            ),
            (
                LogLevel::Warn,
                "min_spare_servers of 0 not allowed, increasing to 1 to avoid almost certain \
                 server failure. Please read the documentation."
            ),
            (
                LogLevel::Warn,
                "max_spare_servers of 0 is less than min_spare_servers + 1, increasing to 2."
            ),
            (
                LogLevel::Warn,
                "threads_per_child is ignored by the prefork MPM"
            ),
        ]
    );
}

#[test]
fn a_restart_keeps_server_limit() {
    let root = TempRoot::new();
    let first = root
        .parse("[mpm]\nserver_limit = 100\nmax_request_workers = 100\n")
        .unwrap()
        .config;
    let second = parse_str(
        "[mpm]\nserver_limit = 400\nmax_request_workers = 400\n",
        &root.file(),
        Some(&first),
    )
    .unwrap();
    assert_eq!(second.config.mpm.server_limit, 100);
    assert_eq!(second.config.mpm.max_request_workers, 100);
    assert_eq!(
        warnings(&second),
        [
            "changing server_limit to 400 from original value of 100 not allowed during restart",
            "max_request_workers of 400 exceeds server_limit value of 100 servers, decreasing \
             max_request_workers to 100. To increase, please see the server_limit key."
        ]
    );
    // Other keys do change on a restart.
    let third = parse_str("[mpm]\nstart_servers = 2\n", &root.file(), Some(&first)).unwrap();
    assert_eq!(third.config.mpm.start_servers, 2);
    assert_eq!(third.config.mpm.server_limit, 100);
}

/// The shipped default configuration loads cleanly, and lists every key the parser knows
/// (set, or commented out).
#[test]
fn the_shipped_config_loads_and_lists_every_key() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/conf/mpmd.toml"));
    let loaded = load(path, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = &loaded.config;
    let project = std::fs::canonicalize(env!("CARGO_MANIFEST_DIR")).unwrap();
    assert_eq!(c.server_root, project);
    assert_eq!(c.listen, [addr("127.0.0.1:8080")]);
    let htdocs = std::fs::canonicalize(project.join("conf/htdocs")).unwrap();
    assert_eq!(c.files.document_root, htdocs);
    assert_eq!(c.http.types_config, project.join("conf/mime.types"));
    assert_eq!(c.pid_file, project.join("logs/mpmd.pid"));
    assert_eq!(c.error_log, LogTarget::File(project.join("logs/error.log")));
    assert_eq!(c.log.access_log, Some(project.join("logs/access.log")));

    let text = std::fs::read_to_string(path).unwrap();
    // Plain sections: a `key = ...` line, set or commented out.
    let has_line = |key: &str| {
        text.lines()
            .map(|line| line.trim_start_matches(['#', ' ']))
            .any(|line| line.starts_with(&format!("{key} =")) || line == format!("[{key}]"))
    };
    // [[...]] sections: at least named, as a whole word, in the comments.
    let has_word = |key: &str| {
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        text.match_indices(key).any(|(at, _)| {
            let before = text[..at].chars().next_back().is_none_or(|c| !ident(c));
            let after = text[at + key.len()..]
                .chars()
                .next()
                .is_none_or(|c| !ident(c));
            before && after
        })
    };
    use crate::config::schema::Section::*;
    for section in [Top, Mpm, Http, Log, Files, Status] {
        for key in section.keys() {
            let nested = matches!(*key, "directory" | "location" | "proxy" | "balancer");
            let alias = matches!(*key, "max_clients" | "max_requests_per_child");
            assert!(
                has_line(key)
                    || (nested && has_word(&format!("[[{key}]]")))
                    || (alias && has_word(key)),
                "conf/mpmd.toml has no line for {key} ({section:?})"
            );
        }
    }
    for section in [Directory, Location, Proxy, Balancer, Member] {
        for key in section.keys() {
            assert!(
                has_word(key),
                "conf/mpmd.toml does not name {key} ({section:?})"
            );
        }
    }
}

/// Keys made live by the ranges / listings / buffered-logs work.
#[test]
fn ranges_indexes_and_buffered_logs() {
    let c = ok(r#"
[http]
max_ranges = 0
[log]
buffered_logs = true
[files]
options = ["+Indexes"]
index_options = ["fancyindexing", "HTMLTable"]
"#)
    .config;
    assert_eq!(c.http.max_ranges, 0);
    assert!(c.log.buffered_logs);
    assert!(c.files.options.indexes && c.files.options.follow_symlinks);
    assert_eq!(
        c.files.index_options,
        IndexOptions {
            fancy_indexing: true,
            html_table: true
        }
    );
    let c = ok("[http]\nmax_ranges = 5\n").config;
    assert_eq!(c.http.max_ranges, 5);
    assert_eq!(c.files.index_options, IndexOptions::default());
}

#[test]
fn document_tree_keys_and_directory_sections() {
    use crate::config::{ErrorDocument, RequireLine};
    let root = super::TempRoot::new();
    std::fs::create_dir_all(root.dir.join("real")).unwrap();
    std::os::unix::fs::symlink(root.dir.join("real"), root.dir.join("docs")).unwrap();
    let text = r#"
[http]
hostname_lookups = "double"
[files]
document_root = "docs"
options = ["+Indexes", "+MultiViews"]
allow_override = ["FileInfo", "Options=Indexes"]
add_handler = { "type-map" = [".var", "map"] }
access_file_name = [".acl", ".htaccess"]
error_document = { "404" = "/missing.html", "403" = "Go away", "500" = "http://example.com/oops" }
add_charset = { "UTF-8" = [".utf8"] }
add_language = { "en" = [".en"] }
add_encoding = { "x-gzip" = [".gz"] }
default_language = "fr"
language_priority = ["en", "fr"]
force_language_priority = "prefer fallback"

[[directory]]
path = "docs/a/b"
options = ["-Indexes"]
require = ["ip 10.1 ::1", "host example.org"]

[[directory]]
path = "/"
allow_override = "None"

[[directory]]
path = "docs/a"
directory_index = "disabled"
error_document = { "404" = "default" }
"#;
    let c = root.parse(text).unwrap().config;
    assert_eq!(c.http.hostname_lookups, HostnameLookups::Double);
    let f = &c.files;
    assert!(f.options.indexes && f.options.follow_symlinks && f.options.multiviews);
    assert_eq!(f.add_handler["var"], "type-map");
    assert_eq!(f.add_handler["map"], "type-map");
    assert!(f.allow_override.file_info && !f.allow_override.indexes);
    assert_eq!(
        f.allow_override.options,
        Some(Options {
            indexes: true,
            ..Options::default()
        })
    );
    assert_eq!(f.access_file_name, [".acl", ".htaccess"]);
    assert_eq!(
        f.error_document[&404],
        ErrorDocument::Local("/missing.html".into())
    );
    assert_eq!(
        f.error_document[&403],
        ErrorDocument::Text("Go away".into())
    );
    assert_eq!(
        f.error_document[&500],
        ErrorDocument::Redirect("http://example.com/oops".into())
    );
    assert_eq!(f.add_charset["utf8"], "utf-8");
    assert_eq!(f.add_language["en"], "en");
    assert_eq!(f.add_encoding["gz"], "x-gzip");
    assert_eq!(f.default_language.as_deref(), Some("fr"));
    assert_eq!(f.language_priority, ["en", "fr"]);
    assert!(f.force_language_priority.fallback);
    // Sorted by depth; paths under the document root as written are re-based onto the
    // canonical one (docs -> real).
    let paths: Vec<PathBuf> = f.directories.iter().map(|d| d.path.clone()).collect();
    let real = root.dir.join("real");
    assert_eq!(
        paths,
        [PathBuf::from("/"), real.join("a"), real.join("a/b")]
    );
    assert_eq!(f.directories[1].settings.directory_index, Some(Vec::new()));
    assert_eq!(
        f.directories[1].settings.error_document[&404],
        ErrorDocument::Default
    );
    assert!(matches!(
        f.directories[2].settings.require.as_deref(),
        Some([RequireLine::Ip(_), RequireLine::Host(_)])
    ));
}
