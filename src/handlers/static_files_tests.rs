use super::*;
use crate::http::parse::{Limits, Parsed, parse};

#[test]
fn resolve_table() {
    type Row = (&'static [u8], Result<&'static [u8], u16>);
    let cases: &[Row] = &[
        (b"/", Ok(b"/")),
        (b"/a/b", Ok(b"/a/b")),
        (b"/a//b", Ok(b"/a/b")),
        (b"//a///b//", Ok(b"/a/b/")),
        (b"/a/./b", Ok(b"/a/b")),
        (b"/a/.", Ok(b"/a/")),
        (b"/.", Ok(b"/")),
        (b"/a/b/../c", Ok(b"/a/c")),
        (b"/a/..", Ok(b"/")),
        (b"/a/./../b", Ok(b"/b")),
        (b"/a/b/../../c", Ok(b"/c")),
        (b"/a/b/../../../c", Err(400)),
        (b"/a/../..", Err(400)),
        (b"/..", Err(400)),
        (b"/../etc/passwd", Err(400)),
        (b"/%2e%2e/etc/passwd", Err(400)),
        (b"/%2E%2e/x", Err(400)),
        (b"/.%2e/x", Err(400)),
        (b"/a/%2e%2e/b", Ok(b"/b")),
        (b"/a/%2e/b", Ok(b"/a/b")),
        (b"/a%2fb", Err(404)),
        (b"/a%2F..%2F..%2Fetc", Err(404)),
        (b"/a%00b", Err(404)),
        (b"/a%zz", Err(400)),
        (b"/a%2", Err(400)),
        (b"/a%", Err(400)),
        (b"/a%20b", Ok(b"/a b")),
        (b"/caf%C3%A9", Ok(b"/caf\xc3\xa9")),
        (b"/%41%42c", Ok(b"/ABc")),
        (b"/%7euser/", Ok(b"/~user/")),
        (b"/a/...", Ok(b"/a/...")),
        (b"/a/..b", Ok(b"/a/..b")),
        (b"/a/b..", Ok(b"/a/b..")),
        (b"/%252e%252e/", Ok(b"/%2e%2e/")),
        (b"/a%3fb", Ok(b"/a?b")),
        (b"a/b", Err(400)),
        (b"", Err(400)),
        (b"/.htaccess", Ok(b"/.htaccess")),
    ];
    let mut out = Vec::new();
    for &(raw, want) in cases {
        let got = resolve_url_path(raw, &mut out).map(|()| out.clone());
        assert_eq!(
            got,
            want.map(<[u8]>::to_vec),
            "{}",
            String::from_utf8_lossy(raw)
        );
        if let Ok(p) = got {
            // Never a `.` or `..` segment: joined to the root it stays under it lexically.
            assert!(
                p.split(|&b| b == b'/')
                    .all(|seg| seg != b".." && seg != b"."),
                "{p:?}"
            );
        }
    }
}

#[test]
fn protected_names() {
    let cases: &[(&[u8], bool)] = &[
        (b"/.htaccess", true),
        (b"/a/.htpasswd", true),
        (b"/.ht", true),
        (b"/.htdir", true),
        (b"/.htdir/", false),
        (b"/.htdir/x.html", false),
        (b"/x.ht", false),
        (b"/.HTaccess", false),
        (b"/", false),
    ];
    for &(p, want) in cases {
        assert_eq!(is_protected_name(p), want, "{}", String::from_utf8_lossy(p));
    }
}

fn with_request(raw: &[u8], f: impl FnOnce(&Request<'_, '_>)) {
    let mut slots = vec![httparse::EMPTY_HEADER; 101];
    let mut unfolded = Vec::new();
    let limits = Limits {
        request_line: 8190,
        fields: 100,
        field_size: 8190,
        body: 0,
    };
    match parse(raw, &limits, &mut slots, &mut unfolded).unwrap() {
        Parsed::Complete(req, _) => f(&req),
        Parsed::Partial => panic!("partial"),
    }
}

#[test]
fn directory_location_table() {
    // (request, ServerName, decoded path, Location): Apache's ap_construct_url with
    // UseCanonicalName Off and UseCanonicalPhysicalPort Off (the local port never shows).
    let cases: &[(&[u8], &str, &[u8], &str)] = &[
        (
            b"GET /d HTTP/1.1\r\nHost: example.com\r\n\r\n",
            "srv.example",
            b"/d",
            "http://example.com/d/",
        ),
        (
            b"GET /d HTTP/1.1\r\nHost: Example.COM:8080\r\n\r\n",
            "srv.example",
            b"/d",
            "http://example.com:8080/d/",
        ),
        (
            b"GET /d HTTP/1.1\r\nHost: example.com:80\r\n\r\n",
            "srv.example:8080",
            b"/d",
            "http://example.com/d/",
        ),
        (
            b"GET /d HTTP/1.1\r\nHost: example.com\r\n\r\n",
            "srv.example:8080",
            b"/d",
            "http://example.com:8080/d/",
        ),
        (
            b"GET /d HTTP/1.0\r\n\r\n",
            "srv.example",
            b"/d",
            "http://srv.example/d/",
        ),
        (
            b"GET /d HTTP/1.0\r\n\r\n",
            "srv.example:8080",
            b"/d",
            "http://srv.example:8080/d/",
        ),
        (
            b"GET /d HTTP/1.0\r\nHost:\r\n\r\n",
            "srv.example",
            b"/d",
            "http://srv.example/d/",
        ),
        (
            b"GET /d HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
            "srv.example",
            b"/d",
            "http://[::1]:8080/d/",
        ),
        (
            b"GET /d?a=1&b HTTP/1.1\r\nHost: h\r\n\r\n",
            "srv.example",
            b"/d",
            "http://h/d/?a=1&b",
        ),
        (
            b"GET /d? HTTP/1.1\r\nHost: h\r\n\r\n",
            "srv.example",
            b"/d",
            "http://h/d/?",
        ),
        (
            b"GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n",
            "srv.example",
            b"/a b",
            "http://h/a%20b/",
        ),
        (
            b"GET http://abs:81/d HTTP/1.1\r\nHost: h\r\n\r\n",
            "srv.example",
            b"/d",
            "http://abs:81/d/",
        ),
    ];
    for &(raw, server_name, path, want) in cases {
        with_request(raw, |req| {
            assert_eq!(
                directory_location(req, server_name, path),
                want,
                "{}",
                String::from_utf8_lossy(raw)
            );
        });
    }
}
