//! The document tree's per-directory semantics on the wire (issue 3): `[[directory]]`
//! sections and their Options merging, symlink options, `.htaccess`, `require`,
//! ErrorDocument, per-directory mod_mime, HostnameLookups in `%h`.

use std::os::unix::fs::symlink;

use crate::common::{ServerGuard, TestConfig, wait_until};

fn link(server: &ServerGuard, target: &str, name: &str) {
    symlink(server.docroot().join(target), server.docroot().join(name)).expect("symlink");
}

fn status(server: &ServerGuard, path: &str) -> u16 {
    server.get(path).status
}

/// Waits until the access log has `n` lines (it is written after the response).
fn access_lines(server: &ServerGuard, n: usize) -> Vec<String> {
    let mut lines = Vec::new();
    wait_until(std::time::Duration::from_secs(10), || {
        lines = server.access_log().lines().map(str::to_owned).collect();
        lines.len() >= n
    });
    lines
}

#[test]
fn directory_sections_merge_options_and_indexes() {
    let cfg = TestConfig::default().sections(
        "[[directory]]\npath = \"htdocs\"\noptions = [\"-FollowSymLinks\"]\n\n\
         [[directory]]\npath = \"htdocs/open\"\noptions = [\"+FollowSymLinks\"]\n\
         directory_index = [\"start.html\"]\n\n\
         [[directory]]\npath = \"htdocs/open/closed\"\noptions = \"None\"\n",
    );
    let server = ServerGuard::start(&cfg);
    server.write_doc("real/file.txt", "real\n");
    server.write_doc("open/start.html", "<p>start</p>\n");
    server.write_doc("open/closed/x.txt", "x\n");
    link(&server, "real", "link");
    link(&server, "real", "open/link");
    link(&server, "real", "open/closed/link");
    for (path, expected) in [
        ("/real/file.txt", 200),
        ("/link/file.txt", 403),
        ("/open/link/file.txt", 200),
        ("/open/closed/link/file.txt", 403),
        ("/open/closed/x.txt", 200),
        ("/open/", 200),
        // The docroot's own index is still index.html; /open/ has its own.
        ("/", 200),
        ("/open/closed/", 403),
    ] {
        assert_eq!(status(&server, path), expected, "GET {path}");
    }
    assert_eq!(server.get("/open/").text(), "<p>start</p>\n");
    assert!(
        server
            .error_log()
            .contains("Symbolic link not allowed or link target not accessible"),
        "{}",
        server.error_log()
    );
}

#[test]
fn symlink_modes() {
    // FollowSymLinks (the default) serves through links.
    let server = ServerGuard::start(&TestConfig::default());
    server.write_doc("real/file.txt", "real\n");
    link(&server, "real", "link");
    link(&server, "real/file.txt", "file-link.txt");
    link(&server, "nowhere", "dangling");
    assert_eq!(server.get("/link/file.txt").text(), "real\n");
    assert_eq!(status(&server, "/file-link.txt"), 200);
    assert_eq!(status(&server, "/dangling"), 403);
    drop(server);

    // Neither option: any link is refused.
    let server = ServerGuard::start(&TestConfig::default().files("options = \"None\"\n"));
    server.write_doc("real/file.txt", "real\n");
    link(&server, "real", "link");
    link(&server, "real/file.txt", "file-link.txt");
    assert_eq!(status(&server, "/link/file.txt"), 403);
    assert_eq!(status(&server, "/file-link.txt"), 403);
    assert_eq!(status(&server, "/real/file.txt"), 200);
    drop(server);

    // SymLinksIfOwnerMatch: the link's owner must own the target.
    let cfg = TestConfig::default().files("options = [\"SymLinksIfOwnerMatch\"]\n");
    let server = ServerGuard::start(&cfg);
    server.write_doc("real/file.txt", "real\n");
    link(&server, "real", "link");
    link(&server, "real/file.txt", "file-link.txt");
    assert_eq!(status(&server, "/link/file.txt"), 200);
    assert_eq!(status(&server, "/file-link.txt"), 200);
    if nix::unistd::geteuid().is_root() {
        let other = nix::unistd::Uid::from_raw(1);
        nix::unistd::fchownat(
            nix::fcntl::AT_FDCWD,
            &server.docroot().join("file-link.txt"),
            Some(other),
            None,
            nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .expect("chown the link");
        assert_eq!(status(&server, "/file-link.txt"), 403);
        assert_eq!(status(&server, "/link/file.txt"), 200);
    }
}

#[test]
fn htaccess_is_applied() {
    let server = ServerGuard::start(&TestConfig::default().files("allow_override = \"All\"\n"));
    server.write_doc(
        "ht/.htaccess",
        "# per-directory settings\n\
         DirectoryIndex home.html\n\
         AddType text/x-special .spc\n\
         ErrorDocument 404 /ht/notfound.html\n\
         ErrorDocument 403 \"Not for you\"\n",
    );
    server.write_doc("ht/home.html", "<p>home</p>\n");
    server.write_doc("ht/a.spc", "special\n");
    server.write_doc("ht/notfound.html", "<p>custom 404</p>\n");
    server.write_doc("ht/closed/.htaccess", "Require all denied\n");
    server.write_doc("ht/closed/x.txt", "x\n");
    server.write_doc("denied/.htaccess", "Require all denied\n");
    server.write_doc("denied/x.txt", "x\n");

    let home = server.get("/ht/");
    assert_eq!((home.status, home.text().as_str()), (200, "<p>home</p>\n"));
    let spc = server.get("/ht/a.spc");
    assert_eq!(spc.header("content-type"), Some("text/x-special"));
    let missing = server.get("/ht/missing.txt");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text(), "<p>custom 404</p>\n");
    assert!(
        missing
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{missing:?}"
    );
    // Inherited by the subdirectory: its own file denies, the parent's ErrorDocument answers.
    let closed = server.get("/ht/closed/x.txt");
    assert_eq!(
        (closed.status, closed.text().as_str()),
        (403, "Not for you")
    );
    assert_eq!(status(&server, "/denied/x.txt"), 403);
    assert_eq!(status(&server, "/denied/"), 403);
    // The files themselves are never served.
    assert_eq!(status(&server, "/ht/.htaccess"), 403);
    // Outside /ht, the default index still applies.
    assert_eq!(status(&server, "/sub/"), 200);
    // An edit is seen on the next request.
    server.write_doc("ht/.htaccess", "DirectoryIndex other.html\n");
    server.write_doc("ht/other.html", "<p>other</p>\n");
    assert_eq!(server.get("/ht/").text(), "<p>other</p>\n");
}

#[test]
fn disallowed_htaccess_directive_is_500_with_the_reason_logged() {
    let server =
        ServerGuard::start(&TestConfig::default().files("allow_override = [\"FileInfo\"]\n"));
    server.write_doc(
        "bad/.htaccess",
        "AddType text/plain .x\nDirectoryIndex x.html\n",
    );
    server.write_doc("bad/f.txt", "f\n");
    server.write_doc("typo/.htaccess", "Optoins +Indexes\n");
    server.write_doc("typo/f.txt", "f\n");
    assert_eq!(status(&server, "/bad/f.txt"), 500);
    assert_eq!(status(&server, "/typo/f.txt"), 500);
    assert_eq!(status(&server, "/hello.txt"), 200);
    let bad = format!("{}/bad/.htaccess:2: ", server.docroot().display());
    server.wait_log_count(&bad, 1);
    server.wait_log_count(
        "DirectoryIndex not allowed here (AllowOverride does not include Indexes)",
        1,
    );
    server.wait_log_count("Invalid command 'Optoins'", 1);
}

#[test]
fn allow_override_none_never_reads_htaccess() {
    let server = ServerGuard::start(&TestConfig::default());
    server.write_doc(
        "sub/.htaccess",
        "This is not a directive\nRequire all denied\n",
    );
    assert_eq!(status(&server, "/sub/"), 200);
    assert_eq!(status(&server, "/sub/index.html"), 200);
    assert_eq!(status(&server, "/sub/.htaccess"), 403);
    assert!(!server.error_log().contains(".htaccess"));
}

#[test]
fn require_ip_and_local() {
    let cfg = TestConfig::default().sections(
        "[[directory]]\npath = \"htdocs/local\"\nrequire = \"local\"\n\n\
         [[directory]]\npath = \"htdocs/elsewhere\"\nrequire = [\"ip 10.9.9.9\", \"ip 192.168.0.0/16\"]\n\n\
         [[directory]]\npath = \"htdocs/elsewhere/mine\"\nrequire = [\"ip 10.1\", \"ip 127.0.0.0/255.0.0.0\"]\n\n\
         [[directory]]\npath = \"htdocs/nobody\"\nrequire = \"all denied\"\n",
    );
    let server = ServerGuard::start(&cfg);
    for dir in ["local", "elsewhere", "elsewhere/mine", "nobody"] {
        server.write_doc(&format!("{dir}/f.txt"), "f\n");
    }
    for (path, expected) in [
        ("/local/f.txt", 200),
        ("/elsewhere/f.txt", 403),
        ("/elsewhere/missing.txt", 403),
        ("/elsewhere/mine/f.txt", 200),
        ("/nobody/f.txt", 403),
        ("/nobody", 403),
        ("/hello.txt", 200),
    ] {
        assert_eq!(status(&server, path), expected, "GET {path}");
    }
    server.wait_log_count("client denied by server configuration", 1);
}

#[test]
fn error_documents() {
    let cfg = TestConfig::default()
        .files("error_document = { \"404\" = \"/errors/404.html\", \"403\" = \"Go away\" }\n")
        .sections(
            "[[directory]]\npath = \"htdocs/private\"\nrequire = \"all denied\"\n\n\
             [[directory]]\npath = \"htdocs/moved\"\nrequire = \"all denied\"\n\
             error_document = { \"403\" = \"http://example.com/elsewhere\" }\n\n\
             [[directory]]\npath = \"htdocs/broken\"\n\
             error_document = { \"404\" = \"/errors/none.html\" }\n\n\
             [[directory]]\npath = \"htdocs/plain\"\nerror_document = { \"404\" = \"default\" }\n",
        );
    let server = ServerGuard::start(&cfg);
    server.write_doc("errors/404.html", "<h1>custom</h1>\n");
    for dir in ["private", "moved", "broken", "plain"] {
        server.write_doc(&format!("{dir}/f.txt"), "f\n");
    }
    let r = server.get("/nothing-here");
    assert_eq!((r.status, r.text().as_str()), (404, "<h1>custom</h1>\n"));
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
    );
    assert!(r.header("last-modified").is_some(), "{r:?}");

    let r = server.get("/private/f.txt");
    assert_eq!((r.status, r.text().as_str()), (403, "Go away"));
    assert_eq!(
        r.header("content-type"),
        Some("text/html; charset=iso-8859-1")
    );

    let r = server.get("/moved/f.txt");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("http://example.com/elsewhere"));

    let r = server.get("/broken/missing");
    assert_eq!(r.status, 404);
    let text = r.text();
    assert!(
        text.contains("<p>Additionally, a 404 Not Found\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>"),
        "{text}"
    );
    assert!(text.contains("The requested URL was not found on this server."));

    let r = server.get("/plain/missing");
    assert_eq!(r.status, 404);
    assert!(r.text().contains("<title>404 Not Found</title>"));

    // HEAD gets the ErrorDocument's head, status kept.
    let mut conn = crate::common::http::Connection::open(server.port()).expect("connect");
    let r = conn.request("HEAD", "/nothing-here").expect("HEAD");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-length"), Some("16"));
    assert!(r.body.is_empty());
}

#[test]
fn mod_mime_charset_language_encoding() {
    let cfg = TestConfig::default().files(
        "add_charset = { \"UTF-8\" = [\".utf8\"] }\n\
         add_language = { \"de\" = [\".de\"], \"en\" = [\".en\"] }\n\
         add_encoding = { \"x-gzip\" = [\".gz\"] }\n",
    );
    let server = ServerGuard::start(&cfg);
    server.write_doc("a.html.utf8", "a\n");
    server.write_doc("welcome.html.en.de", "w\n");
    server.write_doc("data.txt.gz", "z\n");
    let r = server.get("/a.html.utf8");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = server.get("/welcome.html.en.de");
    assert_eq!(r.header("content-language"), Some("en,de"));
    let r = server.get("/data.txt.gz");
    assert_eq!(r.header("content-encoding"), Some("x-gzip"));
    let r = server.get("/hello.txt");
    assert_eq!(r.header("content-language"), None);
    assert_eq!(r.header("content-encoding"), None);
}

/// The first name /etc/hosts gives 127.0.0.1, if any (what the reverse lookup returns).
fn hosts_name_of_loopback() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts.lines().find_map(|line| {
        let mut words = line.split('#').next()?.split_whitespace();
        (words.next()? == "127.0.0.1").then(|| words.next().map(str::to_ascii_lowercase))?
    })
}

#[test]
fn hostname_lookups_on_logs_the_name() {
    let cfg = TestConfig::default()
        .http("hostname_lookups = \"on\"\n")
        .log("log_format = \"%h %>s %U\"\n");
    let server = ServerGuard::start(&cfg);
    assert_eq!(status(&server, "/hello.txt"), 200);
    let lines = access_lines(&server, 1);
    if let Some(name) = hosts_name_of_loopback() {
        assert_eq!(lines[0], format!("{name} 200 /hello.txt"), "{lines:?}");
    }
    drop(server);

    // Double: localhost resolves back to 127.0.0.1, so the name is kept.
    let cfg = TestConfig::default()
        .http("hostname_lookups = \"double\"\n")
        .log("log_format = \"%h %>s %U\"\n");
    let server = ServerGuard::start(&cfg);
    assert_eq!(status(&server, "/hello.txt"), 200);
    let lines = access_lines(&server, 1);
    if hosts_name_of_loopback().as_deref() == Some("localhost") {
        assert_eq!(lines[0], "localhost 200 /hello.txt", "{lines:?}");
    }
    drop(server);

    // Off (the default): the IP.
    let server = ServerGuard::start(&TestConfig::default().log("log_format = \"%h %>s %U\"\n"));
    assert_eq!(status(&server, "/hello.txt"), 200);
    let lines = access_lines(&server, 1);
    assert_eq!(lines[0], "127.0.0.1 200 /hello.txt", "{lines:?}");
}
