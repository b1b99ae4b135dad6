//! Case rows for the scenario `tree`: `<Directory>` sections, .htaccess, listings, Require,
//! symlink options, ErrorDocument, section-level AddType/AddCharset.

use crate::cases::{Case, TREE, case, get, req};
use crate::compare::Check::{Body, Header, HtmlBody, LinkOrder, Links};

/// The rows of scenario `tree`.
pub fn cases() -> Vec<Case> {
    let c = |name, target: &str| case(TREE, name, get(target));
    vec![
        c("listing", "/listing/").with(&[Links]),
        c("listing sorted by name, descending", "/listing/?C=N;O=D").with(&[LinkOrder]),
        c("listing sorted by size", "/listing/?C=S;O=A").with(&[LinkOrder]),
        case(TREE, "HEAD listing", req("HEAD", "/listing/", "")).with(&[HtmlBody]),
        c("listing directory without slash", "/listing").error(),
        c("-Indexes in a nested section", "/listing/subdir/").error(),
        c("file in a listed directory", "/listing/a.txt").file(),
        c("no Indexes without a section", "/noindex/").error(),
        c("DirectoryIndex order", "/altindex/").file(),
        c("Require all denied: file", "/denied/file.txt").error(),
        c("Require all denied: directory", "/denied/").error(),
        c("Require all denied: no slash", "/denied").error(),
        c("Require local", "/localonly/file.txt").file(),
        c("Require ip, not us", "/iponly/file.txt").error(),
        c("Require ip, two lines, any of", "/ipok/file.txt").file(),
        c("Options None: plain file", "/nofollow/real.txt").file(),
        c("Options None: symlink", "/nofollow/link.txt").error(),
        c("Options None: directory", "/nofollow/").error(),
        c("SymLinksIfOwnerMatch: same owner", "/ifowner/same.txt").file(),
        c(
            "SymLinksIfOwnerMatch: other owner",
            "/ifowner/foreign-link.txt",
        )
        .error(),
        c("SymLinksIfOwnerMatch: directory link", "/ifowner/dirlink/").file(),
        c("FollowSymLinks still at the root", "/follow/link.txt").file(),
        c(".htaccess DirectoryIndex", "/ht/").file(),
        c(".htaccess AddType", "/ht/thing.cust").file(),
        c(".htaccess AddCharset", "/ht/note.utf8.txt").file(),
        c(".htaccess AddEncoding", "/ht/data.txt.gz").file(),
        c(".htaccess ErrorDocument text", "/ht/missing.txt")
            .with(&[Body, Header("Content-Length")]),
        c(".htaccess Options +Indexes, inherited", "/ht/sub/").with(&[Links]),
        c(".htaccess AddLanguage", "/ht/lang/page.fr.html").file(),
        c(".htaccess DefaultLanguage", "/ht/lang/plain.html").file(),
        c(".htaccess itself", "/ht/.htaccess").error(),
        c(".htaccess Require all denied", "/htdeny/file.txt").error(),
        c(".htaccess directive not allowed", "/htbad/file.txt").error(),
        c(".htaccess unknown directive", "/htunknown/file.txt").error(),
        c(".htaccess with AllowOverride None", "/htnone/file.txt").file(),
        c("ErrorDocument local URL", "/errdoc/missing.html").file(),
        c("ErrorDocument text for 403", "/errdoc/.htsecret")
            .with(&[Body, Header("Content-Length")]),
        c("file next to ErrorDocument", "/errdoc/file.txt").file(),
        c("section AddType", "/mimedir/x.spc").file(),
        c("section AddCharset", "/mimedir/y.l2.txt").file(),
        c("no AddDefaultCharset", "/hello.txt").file(),
        // Where the sections meet the protocol: other methods, HTTP/0.9, request bodies.
        case(
            TREE,
            "OPTIONS in a denied directory",
            req("OPTIONS", "/denied/file.txt", ""),
        )
        .error(),
        case(
            TREE,
            "TRACE in a denied directory",
            req("TRACE", "/denied/file.txt", ""),
        )
        .error(),
        case(
            TREE,
            "TRACE with a broken .htaccess",
            req("TRACE", "/htbad/file.txt", ""),
        )
        .with(&[Body]),
        case(
            TREE,
            "TRACE to .htaccess",
            req("TRACE", "/ht/.htaccess", ""),
        )
        .with(&[Body]),
        case(
            TREE,
            "TRACE above the root",
            req("TRACE", "/../secret.txt", ""),
        )
        .error(),
        case(
            TREE,
            "TRACE with an encoded slash",
            req("TRACE", "/sub%2fpage.html", ""),
        )
        .error(),
        case(
            TREE,
            "OPTIONS on a section AddType file",
            req("OPTIONS", "/mimedir/x.spc", ""),
        )
        .with(&[Header("Allow"), Header("Content-Length")]),
        case(
            TREE,
            "POST to a listing",
            req("POST", "/listing/", "Content-Length: 3\r\n") + "a=b",
        )
        .error(),
        case(TREE, "HTTP/0.9 listing", "GET /listing/\r\n").with(&[Links]),
        case(
            TREE,
            "HTTP/0.9 in a denied directory",
            "GET /denied/file.txt\r\n",
        )
        .with(&[Body]),
        case(
            TREE,
            "POST to a missing file with an ErrorDocument",
            req("POST", "/errdoc/missing.html", "Content-Length: 3\r\n") + "a=b",
        )
        .file(),
        case(
            TREE,
            "Range on an ErrorDocument",
            req("GET", "/errdoc/missing.html", "Range: bytes=0-3\r\n"),
        )
        .file(),
    ]
}
