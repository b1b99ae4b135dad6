//! Case rows for files (scenario `core`): URL mapping (traversal, decoding, odd names,
//! directories, media types, symlinks under FollowSymLinks), then validators: ETag,
//! Last-Modified, conditional requests and ranges.

use crate::cases::{CORE, Case, NOT_MODIFIED, case, get, req};
use crate::compare::Check::{Header, Parts};
use crate::tree::{BIG_LEN, LAST_MODIFIED, Tree};

/// URL mapping: traversal, decoding, names, directories, types, symlinks under FollowSymLinks.
pub fn paths() -> Vec<Case> {
    let c = |name, target: &str| case(CORE, name, get(target));
    vec![
        c("/../ above the root", "/../secret.txt").error(),
        c("/sub/../ inside the root", "/sub/../hello.txt").file(),
        c("/./ segment", "/sub/./page.html").file(),
        c("%2e%2e above the root", "/%2e%2e/secret.txt").error(),
        c("mixed-case %2E%2E twice", "/sub/%2E%2E/%2e%2e/secret.txt").error(),
        c("%2f encoded slash", "/sub%2fpage.html").error(),
        c("%00 NUL", "/hello.txt%00.html").error(),
        c("merged slashes", "//sub///page.html").file(),
        c("percent-decoded letters", "/%68ello.txt").file(),
        c("invalid escape %zz", "/bad%zz.txt").error(),
        c("backslashes", "/sub\\..\\hello.txt").error(),
        c("path info after a file", "/hello.txt/extra").error(),
        c("query string", "/hello.txt?a=1&b=%20").file(),
        c("name with a space", "/with%20space.txt").file(),
        c("name with a percent sign", "/100%25.txt").file(),
        c("UTF-8 name, escaped", "/caf%C3%A9.txt").file(),
        case(
            CORE,
            "UTF-8 name, raw bytes",
            "GET /caf\u{e9}.txt HTTP/1.1\r\nHost: diff.test\r\n\r\n",
        )
        .file(),
        case(
            CORE,
            "Latin-1 name, raw byte",
            &b"GET /latin1-caf\xe9.txt HTTP/1.1\r\nHost: diff.test\r\n\r\n"[..],
        )
        .file(),
        c("Latin-1 name, escaped", "/latin1-caf%E9.txt").file(),
        c("missing file, raw byte", "/nothing-\u{e9}").error(),
        case(
            CORE,
            "missing file, raw Latin-1 byte",
            &b"GET /nothing-\xe9 HTTP/1.1\r\nHost: diff.test\r\n\r\n"[..],
        )
        .error(),
        c("name with a plus", "/plus+sign.txt").file(),
        c("name with a question mark", "/question%3F.txt").file(),
        c("dotfile", "/.hidden.txt").file(),
        c(".htpasswd", "/.htpasswd").error(),
        c(".ht prefix", "/.htsecret.txt").error(),
        c(".HT upper case", "/.HTcase.txt").file(),
        c(".htaccess in a subdirectory", "/sub/.htaccess").error(),
        c(".ht escaped as %2e", "/%2ehtpasswd").error(),
        c("unreadable file (mode 000)", "/unreadable.txt").error(),
        c("a FIFO", "/pipe")
            .error()
            .expect_difference(
                "replies",
                "Apache opens the FIFO and its child blocks until a writer appears, so the \
                 client never gets an answer; mpmd refuses a non-regular file at once. A request \
                 must never hang a prefork child",
            )
            .expect_difference("ended", "see replies")
            .expect_difference("connection after", "see replies"),
        c("directory without slash", "/sub").error(),
        c("directory without slash, query kept", "/sub?x=1&y=2").error(),
        case(
            CORE,
            "directory without slash, Host with port",
            "GET /sub HTTP/1.1\r\nHost: localhost:@PORT@\r\n\r\n",
        )
        .error(),
        case(
            CORE,
            "directory without slash, HTTP/1.0 without Host",
            "GET /sub HTTP/1.0\r\n\r\n",
        )
        .error(),
        c("directory index", "/sub/").file(),
        case(CORE, "HEAD directory index", req("HEAD", "/sub/", "")).file(),
        c("directory without index, no Indexes", "/noindex/").error(),
        c("deep file", "/sub/deeper/file.txt").file(),
        c("type: html", "/index.html").file(),
        c("type: css", "/style.css").file(),
        c("type: json", "/data.json").file(),
        c("type: png", "/image.png").file(),
        c("type: .tar.gz", "/archive.tar.gz").file(),
        c("type: unknown extension", "/blob.zzqx").file(),
        c("type: no extension", "/noext").file(),
        c("type: upper-case extension", "/UPPER.HTML").file(),
        c("type: html then unknown extension", "/page.html.zzqx").file(),
        c("type: 100 KiB binary", "/big.bin").file(),
        c("symlink to a file", "/follow/link.txt").file(),
        c("symlink out of the root", "/follow/outside.txt").file(),
        c("symlink to a directory", "/follow/dirlink/").file(),
        c("symlink to a directory, no slash", "/follow/dirlink").error(),
        c("dangling symlink", "/follow/dangling").error(),
    ]
}

/// ETag, Last-Modified, conditionals, ranges.
pub fn validators(tree: &Tree) -> Vec<Case> {
    let etag = tree.etag("hello.txt");
    let big_etag = tree.etag("big.bin");
    let with = |name, path: &str, header: String| {
        case(CORE, name, req("GET", path, &format!("{header}\r\n")))
    };
    let hello = |name, header: String| with(name, "/hello.txt", header);
    let big = |name, header: String| with(name, "/big.bin", header);
    let older = "Wed, 03 Mar 2021 05:06:07 GMT";
    let newer = "Fri, 05 Mar 2021 05:06:07 GMT";
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";
    let last = BIG_LEN - 1;
    // 40 two-byte ranges: more than the 32 whose multipart length Apache computes.
    let many = (0..40)
        .map(|i| format!("{}-{}", i * 10, i * 10 + 1))
        .collect::<Vec<_>>()
        .join(",");
    vec![
        hello(
            "If-None-Match: matching ETag",
            format!("If-None-Match: {etag}"),
        )
        .with(NOT_MODIFIED),
        hello("If-None-Match: *", "If-None-Match: *".into()).with(NOT_MODIFIED),
        hello(
            "If-None-Match: other ETag",
            "If-None-Match: \"nope\"".into(),
        )
        .file(),
        hello(
            "If-None-Match: weak form",
            format!("If-None-Match: W/{etag}"),
        )
        .with(NOT_MODIFIED),
        hello(
            "If-None-Match: list",
            format!("If-None-Match: \"x\", {etag}"),
        )
        .with(NOT_MODIFIED),
        case(
            CORE,
            "HEAD If-None-Match: matching ETag",
            req("HEAD", "/hello.txt", &format!("If-None-Match: {etag}\r\n")),
        )
        .with(NOT_MODIFIED),
        hello(
            "If-Modified-Since: Last-Modified",
            format!("If-Modified-Since: {LAST_MODIFIED}"),
        )
        .with(NOT_MODIFIED),
        hello(
            "If-Modified-Since: older",
            format!("If-Modified-Since: {older}"),
        )
        .file(),
        hello(
            "If-Modified-Since: newer",
            format!("If-Modified-Since: {newer}"),
        )
        .with(NOT_MODIFIED),
        hello(
            "If-Modified-Since: future",
            format!("If-Modified-Since: {future}"),
        )
        .file(),
        hello(
            "If-Modified-Since: not a date",
            "If-Modified-Since: yesterday".into(),
        )
        .file(),
        hello(
            "If-None-Match mismatch wins over If-Modified-Since",
            format!("If-None-Match: \"nope\"\r\nIf-Modified-Since: {LAST_MODIFIED}"),
        )
        .file(),
        hello("If-Match: other ETag", "If-Match: \"nope\"".into()).error(),
        hello("If-Match: *", "If-Match: *".into()).file(),
        hello("If-Match: matching ETag", format!("If-Match: {etag}")).file(),
        hello("If-Match: weak ETag", format!("If-Match: W/{etag}")).error(),
        hello(
            "If-Unmodified-Since: older",
            format!("If-Unmodified-Since: {older}"),
        )
        .error(),
        hello(
            "If-Unmodified-Since: newer",
            format!("If-Unmodified-Since: {newer}"),
        )
        .file(),
        case(
            CORE,
            "HEAD If-Match: other ETag",
            req("HEAD", "/hello.txt", "If-Match: \"nope\"\r\n"),
        )
        .file(),
        case(
            CORE,
            "POST If-None-Match: matching ETag",
            req("POST", "/hello.txt", &format!("If-None-Match: {etag}\r\n")),
        )
        .file(),
        case(
            CORE,
            "POST If-Modified-Since: Last-Modified",
            req(
                "POST",
                "/hello.txt",
                &format!("If-Modified-Since: {LAST_MODIFIED}\r\n"),
            ),
        )
        .file(),
        big("Range: first 100 bytes", "Range: bytes=0-99".into()).file(),
        big("Range: suffix", "Range: bytes=-100".into()).file(),
        big("Range: open end", format!("Range: bytes={}-", BIG_LEN - 10)).file(),
        big(
            "Range: end past the length",
            format!("Range: bytes={}-999999", BIG_LEN - 5),
        )
        .file(),
        big("Range: whole file 0-", "Range: bytes=0-".into()).file(),
        big("Range: two ranges", "Range: bytes=0-0,-1".into()).with(&[
            Parts,
            Header("ETag"),
            Header("Last-Modified"),
            Header("Accept-Ranges"),
        ]),
        big("Range: overlapping ranges", "Range: bytes=0-10,5-20".into()).with(&[
            Parts,
            Header("ETag"),
            Header("Accept-Ranges"),
        ]),
        big(
            "Range: unsatisfiable",
            format!("Range: bytes={}-", BIG_LEN + 100),
        )
        .error(),
        big("Range: syntax error", "Range: bytes=abc".into()).file(),
        big("Range: other unit", "Range: items=0-1".into()).file(),
        big("Range: reversed", format!("Range: bytes={last}-0")).file(),
        big(
            "If-Range: matching ETag",
            format!("Range: bytes=0-99\r\nIf-Range: {big_etag}"),
        )
        .file(),
        big(
            "If-Range: other ETag",
            "Range: bytes=0-99\r\nIf-Range: \"nope\"".into(),
        )
        .file(),
        big(
            "If-Range: Last-Modified",
            format!("Range: bytes=0-99\r\nIf-Range: {LAST_MODIFIED}"),
        )
        .file(),
        big(
            "If-Range: other date",
            format!("Range: bytes=0-99\r\nIf-Range: {older}"),
        )
        .file(),
        case(
            CORE,
            "HEAD with Range",
            req("HEAD", "/big.bin", "Range: bytes=0-99\r\n"),
        )
        .file(),
        with(
            "Range on a text file",
            "/hello.txt",
            "Range: bytes=0-4".into(),
        )
        .file(),
        hello(
            "Range with a matching If-None-Match",
            format!("Range: bytes=0-4\r\nIf-None-Match: {etag}"),
        )
        .with(NOT_MODIFIED),
        // Where ranges meet the protocol: POST served as a file, HTTP/1.0, closing clients,
        // and the unknown-length bodies (chunked or until close).
        case(
            CORE,
            "POST with Range",
            req(
                "POST",
                "/big.bin",
                "Range: bytes=0-99\r\nContent-Length: 3\r\n",
            ) + "a=b",
        )
        .file(),
        case(
            CORE,
            "Range unsatisfiable over HTTP/1.0",
            format!(
                "GET /big.bin HTTP/1.0\r\nRange: bytes={}-\r\n\r\n",
                BIG_LEN + 100
            ),
        )
        .error(),
        big(
            "Range unsatisfiable, Connection: close",
            format!("Range: bytes={}-\r\nConnection: close", BIG_LEN + 100),
        )
        .error(),
        big("Range: 40 ranges", format!("Range: bytes={many}")).with(&[
            Parts,
            Header("Content-Length"),
            Header("Transfer-Encoding"),
        ]),
        case(
            CORE,
            "Range: 40 ranges over HTTP/1.0",
            format!("GET /big.bin HTTP/1.0\r\nRange: bytes={many}\r\n\r\n"),
        )
        .with(&[Parts, Header("Content-Length")]),
    ]
}
