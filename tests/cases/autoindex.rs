//! Directory listings (mod_autoindex) over the real binary: `Indexes` on and off (server-wide
//! and per directory), the plain and fancy layouts, the sort arguments.

use std::os::unix::fs::symlink;
use std::time::{Duration, UNIX_EPOCH};

use crate::common::{ServerGuard, TestConfig};

fn with_files(files: &str) -> TestConfig {
    TestConfig {
        files: files.to_string(),
        ..TestConfig::default()
    }
}

/// A directory without an index: three files of different sizes and ages, a subdirectory,
/// an `.ht` file and an odd name.
fn populate(server: &ServerGuard) {
    let files: &[(&str, usize, u64)] = &[
        ("list/b.txt", 3000, 1_600_000_000),
        ("list/a.txt", 10, 1_700_000_000),
        ("list/c d&e.html", 500, 1_500_000_000),
        ("list/.htpasswd", 1, 1_500_000_000),
        ("list/sub/x", 1, 1_500_000_000),
    ];
    for &(rel, size, mtime) in files {
        server.write_doc(rel, &"x".repeat(size));
        std::fs::File::options()
            .write(true)
            .open(server.docroot().join(rel))
            .unwrap()
            .set_modified(UNIX_EPOCH + Duration::from_secs(mtime))
            .unwrap();
    }
}

#[test]
fn indexes_off_is_403_and_on_lists_the_files() {
    let server = ServerGuard::start(&TestConfig::default());
    populate(&server);
    assert_eq!(server.get("/list/").status, 403);
    drop(server);

    let server = ServerGuard::start(&with_files("options = [\"+Indexes\"]\n"));
    populate(&server);
    let r = server.get("/list/");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/html;charset=ISO-8859-1")
    );
    let page = r.text();
    let want_items = "<ul><li><a href=\"/\"> Parent Directory</a></li>\n\
                      <li><a href=\"a.txt\"> a.txt</a></li>\n\
                      <li><a href=\"b.txt\"> b.txt</a></li>\n\
                      <li><a href=\"c%20d&amp;e.html\"> c d&amp;e.html</a></li>\n\
                      <li><a href=\"sub/\"> sub/</a></li>\n\
                      </ul>\n";
    assert!(page.contains("<title>Index of /list</title>"), "{page}");
    assert!(page.contains(want_items), "{page}");
    assert!(page.ends_with("</body></html>\n"));
    // Sorting applies to the plain list too (names descending).
    let page = server.get("/list/?C=N;O=D").text();
    let order: Vec<usize> = ["sub/", "c%20d", "b.txt", "a.txt"]
        .iter()
        .map(|n| page.find(n).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{page}");
    // An index file still wins.
    assert_eq!(server.get("/sub/").status, 200);
    // The root has no parent entry.
    assert!(!server.get("/").text().contains("Parent Directory"));
}

#[test]
fn fancy_listing_and_sort_arguments() {
    let server = ServerGuard::start(&with_files(
        "options = [\"+Indexes\"]\nindex_options = [\"FancyIndexing\"]\n",
    ));
    populate(&server);
    let page = server.get("/list/").text();
    assert!(
        page.contains("<pre>      <a href=\"?C=N;O=D\">Name</a>"),
        "{page}"
    );
    assert!(page.contains("<a href=\"?C=M;O=A\">Last modified</a>"));
    assert!(page.contains("<a href=\"a.txt\">a.txt</a>"));
    assert!(page.contains("2.9K"), "{page}");
    let positions = |page: &str| -> Vec<usize> {
        ["a.txt\"", "b.txt\"", "c%20d"]
            .iter()
            .map(|n| page.find(n).unwrap())
            .collect()
    };
    // By size ascending: a (10), c (500), b (3000).
    let p = positions(&server.get("/list/?C=S;O=A").text());
    assert!(p[0] < p[2] && p[2] < p[1], "{p:?}");
    // By date descending: a (2023), b (2020), c (2017).
    let p = positions(&server.get("/list/?C=M;O=D").text());
    assert!(p[0] < p[1] && p[1] < p[2], "{p:?}");
    // The active column's link reverses the order.
    let page = server.get("/list/?C=S;O=A").text();
    assert!(page.contains("<a href=\"?C=S;O=D\">Size</a>"), "{page}");
    // F=0 asks for the plain list.
    assert!(server.get("/list/?F=0").text().contains("<ul><li>"));
}

/// Indexes comes from the listed directory's effective options: `[[directory]]` sections and
/// `.htaccess` files turn listings on and off below the server-wide setting, and that
/// directory's symlink options decide which links are listed. An ErrorDocument that is a
/// directory is listed with the error's status.
#[test]
fn per_directory_options_decide_listings() {
    let cfg = TestConfig::default()
        .files(
            "allow_override = [\"Options\"]\n\
             error_document = { \"404\" = \"/open/\" }\n",
        )
        .sections(
            "[[directory]]\npath = \"htdocs/list\"\n\
             options = [\"+Indexes\", \"-FollowSymLinks\"]\n",
        );
    let server = ServerGuard::start(&cfg);
    server.write_doc("real.txt", "real\n");
    server.write_doc("list/a.txt", "a\n");
    server.write_doc("list/sub/x.txt", "x\n");
    server.write_doc("list/sub/.htaccess", "Options -Indexes\n");
    server.write_doc("open/b.txt", "b\n");
    server.write_doc("open/.htaccess", "Options +Indexes\n");
    server.write_doc("closed/c.txt", "c\n");
    let docroot = server.docroot();
    for dir in ["list", "open"] {
        symlink(docroot.join("real.txt"), docroot.join(dir).join("ln.txt")).expect("symlink");
    }

    let r = server.get("/list/");
    assert_eq!(r.status, 200, "{r:?}");
    let page = r.text();
    assert!(page.contains("<a href=\"a.txt\">"), "{page}");
    assert!(page.contains("<a href=\"sub/\">"), "{page}");
    // -FollowSymLinks here: the link is refused, so it is not listed.
    assert!(!page.contains("ln.txt"), "{page}");
    assert_eq!(server.get("/list/ln.txt").status, 403);
    // The .htaccess below takes Indexes away again.
    assert_eq!(server.get("/list/sub/").status, 403);
    assert_eq!(server.get("/list/sub/x.txt").status, 200);

    let r = server.get("/open/");
    assert_eq!(r.status, 200, "{r:?}");
    let page = r.text();
    assert!(page.contains("<a href=\"b.txt\">"), "{page}");
    assert!(page.contains("<a href=\"ln.txt\">"), "{page}");
    assert!(!page.contains(".htaccess"), "{page}");

    // No Indexes anywhere above /closed/.
    assert_eq!(server.get("/closed/").status, 403);

    let r = server.get("/nothing-here");
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/html;charset=ISO-8859-1")
    );
    assert!(r.text().contains("<title>Index of /open</title>"), "{r:?}");
}
