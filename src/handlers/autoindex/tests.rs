use super::*;
use std::fs::File;
use std::time::{Duration, UNIX_EPOCH};

use crate::http::test_support::TempDir;

fn set_mtime(path: &Path, secs: u64) {
    File::open(path)
        .unwrap()
        .set_modified(UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

/// The tree the `testdata/` pages were taken from (Apache httpd 2.4.71, `Options Indexes
/// FollowSymLinks`, `<Files ".ht*"> Require all denied`, TZ=UTC), served at `/t1/`.
fn tree() -> TempDir {
    let t = TempDir::new("autoindex");
    let d = &t.path;
    let files: &[(&[u8], u64, u64)] = &[
        (b"a.txt", 3, 1_620_284_889),
        (b"B.txt", 5000, 1_577_836_800),
        (b"b <&> \"q\".html", 6, 1_643_767_322),
        (b"a:b.txt", 1, 1_514_764_800),
        (
            b"averyveryverylongfilename-0123456789.txt",
            1_500_000,
            1_677_812_583,
        ),
        (b"file10.txt", 0, 1_499_411_227),
        (b"file9.txt", 0, 1_499_411_228),
        (b".hidden", 0, 1_465_193_166),
        (b".htsecret", 0, 1_465_193_166),
        (b"\xc3\xa9.txt", 1, 1_465_193_166),
    ];
    for &(name, size, mtime) in files {
        let p = d.join(as_path(name));
        File::create(&p).unwrap().set_len(size).unwrap();
        set_mtime(&p, mtime);
    }
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::create_dir(d.join("sp ace")).unwrap();
    set_mtime(&d.join("sub"), 1_551_582_183);
    set_mtime(&d.join("sp ace"), 1_551_582_184);
    std::os::unix::fs::symlink("a.txt", d.join("link")).unwrap();
    std::os::unix::fs::symlink("nowhere", d.join("broken")).unwrap();
    t
}

fn utc(_: i64) -> (i64, String) {
    (0, "UTC".to_string())
}

fn not_ht(name: &[u8], _link: bool, _path: &Path) -> bool {
    !name.starts_with(b".ht")
}

fn page(dir: &Path, uri: &str, args: &str, format: Format) -> String {
    let args = (!args.is_empty()).then_some(args.as_bytes());
    let body = listing(dir, uri.as_bytes(), args, format, &not_ht, &utc).unwrap();
    String::from_utf8(body).unwrap()
}

#[test]
fn pages_are_apaches() {
    let t = tree();
    let cases: &[(&str, &str)] = &[
        ("", include_str!("testdata/q0.html")),
        ("C=M;O=D", include_str!("testdata/q1.html")),
        ("C=S;O=A", include_str!("testdata/q2.html")),
        ("F=1", include_str!("testdata/q3.html")),
        ("F=1&C=S;O=D", include_str!("testdata/q4.html")),
        ("F=2", include_str!("testdata/q5.html")),
        ("F=1;V=1", include_str!("testdata/q6.html")),
        ("P=*.txt;F=1", include_str!("testdata/q7.html")),
        ("C=X;F=1", include_str!("testdata/q8.html")),
        ("F=1;P=%2A.txt", include_str!("testdata/q9.html")),
        ("O=D", include_str!("testdata/q10.html")),
        ("F=2;C=M;O=A", include_str!("testdata/q11.html")),
        ("V=1", include_str!("testdata/q12.html")),
        ("C=D;O=D;F=1", include_str!("testdata/q13.html")),
    ];
    for &(args, want) in cases {
        assert_eq!(page(&t.path, "/t1/", args, Format::Plain), want, "?{args}");
    }
    let sub = t.path.join("sub");
    assert_eq!(
        page(&sub, "/t1/sub/", "", Format::Plain),
        include_str!("testdata/sub.html")
    );
    assert_eq!(
        page(&sub, "/t1/sub/", "F=1", Format::Plain),
        include_str!("testdata/subfancy.html")
    );
    assert_eq!(
        page(&t.path.join("sp ace"), "/t1/sp ace/", "F=2", Format::Plain),
        include_str!("testdata/space.html")
    );
}

#[test]
fn configured_format_is_the_default_and_f0_goes_back_to_plain() {
    let t = tree();
    let fancy = page(&t.path, "/t1/", "", Format::Fancy);
    assert!(
        fancy.contains("<pre>      <a href=\"?C=N;O=D\">Name</a>"),
        "{fancy}"
    );
    assert_eq!(
        page(&t.path, "/t1/", "F=1", Format::Fancy).replace(";F=1", ""),
        fancy
    );
    assert!(page(&t.path, "/t1/", "F=0", Format::Fancy).contains("<ul><li>"));
    let table = page(&t.path, "/t1/", "", Format::Table);
    assert!(table.contains("  <table>\n"), "{table}");
}

#[test]
fn root_has_no_parent_and_hidden_entries_stay_hidden() {
    let t = tree();
    let root = page(&t.path, "/", "", Format::Plain);
    assert!(root.contains("<title>Index of /</title>"));
    assert!(!root.contains("Parent Directory"));
    assert!(!root.contains(".htsecret"));
    assert!(!root.contains("broken"), "a broken link is not listed");
    let hide_links = |name: &[u8], link: bool, _: &Path| !link && !name.starts_with(b".ht");
    let body = listing(&t.path, b"/t1/", None, Format::Plain, &hide_links, &utc).unwrap();
    let body = String::from_utf8(body).unwrap();
    assert!(!body.contains("link"), "{body}");
    assert!(body.contains("a.txt"));
}

#[test]
fn parent_table() {
    let cases: &[(&[u8], Option<&[u8]>)] = &[
        (b"/", None),
        (b"/dir/", Some(b"/")),
        (b"/dir", Some(b"/")),
        (b"/a/b/", Some(b"/a/")),
        (b"/a b/c/", Some(b"/a b/")),
    ];
    for &(uri, want) in cases {
        assert_eq!(
            parent_of(uri).as_deref(),
            want,
            "{}",
            String::from_utf8_lossy(uri)
        );
    }
}

#[test]
fn title_escapes_the_path_and_links_escape_names() {
    let t = tree();
    let body = page(&t.path.join("sub"), "/a<b>&\"c\"/", "", Format::Plain);
    assert!(
        body.contains("<title>Index of /a&lt;b&gt;&amp;&quot;c&quot;</title>"),
        "{body}"
    );
    assert!(body.contains("<a href=\"/\"> Parent Directory</a>"));
    let parent = page(&t.path.join("sub"), "/x y/%/sub/", "", Format::Plain);
    assert!(
        parent.contains("<a href=\"/x%20y/%25/\"> Parent Directory</a>"),
        "{parent}"
    );
}

#[test]
fn query_table() {
    use query::Column;
    /// Query, column, ascending, format, version sort, pattern, colargs.
    type Row<'a> = (
        &'a str,
        Column,
        bool,
        Format,
        bool,
        Option<&'a str>,
        &'a str,
    );
    let cases: &[Row<'_>] = &[
        ("", Column::Name, true, Format::Plain, false, None, ""),
        (
            "C=M;O=D",
            Column::Modified,
            false,
            Format::Plain,
            false,
            None,
            "",
        ),
        (
            "C=S&O=A",
            Column::Size,
            true,
            Format::Plain,
            false,
            None,
            "",
        ),
        (
            "O=D&C=D",
            Column::Description,
            false,
            Format::Plain,
            false,
            None,
            "",
        ),
        (
            "F=1",
            Column::Name,
            true,
            Format::Fancy,
            false,
            None,
            ";F=1",
        ),
        (
            "F=2;V=1",
            Column::Name,
            true,
            Format::Table,
            true,
            None,
            ";F=2;V=1",
        ),
        (
            "V=1;F=0",
            Column::Name,
            true,
            Format::Plain,
            true,
            None,
            ";F=0;V=1",
        ),
        (
            "P=*.txt",
            Column::Name,
            true,
            Format::Plain,
            false,
            Some("*.txt"),
            ";P=*.txt",
        ),
        (
            "P=a%20b*",
            Column::Name,
            true,
            Format::Plain,
            false,
            Some("a b*"),
            ";P=a%20b*",
        ),
        (
            "P=a%2Fb;F=1",
            Column::Name,
            true,
            Format::Fancy,
            false,
            None,
            ";F=1",
        ),
        (
            "P=;F=1",
            Column::Name,
            true,
            Format::Fancy,
            false,
            None,
            ";F=1",
        ),
        (
            "C=X;F=1",
            Column::Name,
            true,
            Format::Plain,
            false,
            None,
            "",
        ),
        ("C=m", Column::Name, true, Format::Plain, false, None, ""),
        ("C=MO=D", Column::Name, true, Format::Plain, false, None, ""),
        (
            "C=M;",
            Column::Modified,
            true,
            Format::Plain,
            false,
            None,
            "",
        ),
        (
            "F=1;junk;O=D",
            Column::Name,
            true,
            Format::Fancy,
            false,
            None,
            ";F=1",
        ),
    ];
    for &(args, column, ascending, format, version_sort, pattern, colargs) in cases {
        let q = query::parse(Some(args.as_bytes()), Format::Plain);
        assert_eq!(
            (
                q.column,
                q.ascending,
                q.format,
                q.version_sort,
                q.pattern.as_deref(),
                q.colargs.as_slice()
            ),
            (
                column,
                ascending,
                format,
                version_sort,
                pattern.map(str::as_bytes),
                colargs.as_bytes()
            ),
            "?{args}"
        );
    }
}
