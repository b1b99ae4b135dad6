//! Session routes from URLs and cookies, and the member behind a route.

use super::*;

fn sticky(cookie: &str, url_param: &str) -> StickySession {
    StickySession {
        cookie: cookie.into(),
        url_param: url_param.into(),
    }
}

#[test]
fn routes_from_urls_and_cookies() {
    let j = sticky("JSESSIONID", "jsessionid");
    // (target, Cookie headers, separator, expected route)
    let cases: &[(&str, &[&str], u8, Option<&str>)] = &[
        ("/app/", &["JSESSIONID=abc.node1"], b'.', Some("node1")),
        (
            "/app/",
            &["a=1; JSESSIONID=abc.node1; b=2"],
            b'.',
            Some("node1"),
        ),
        (
            "/app/",
            &["a=1,JSESSIONID=abc.node1,b=2"],
            b'.',
            Some("node1"),
        ),
        ("/app/", &["a=1;JSESSIONID=abc.n2"], b'.', Some("n2")),
        ("/app/", &["JSESSIONID = abc.n2"], b'.', Some("n2")),
        // The route is after the FIRST separator.
        ("/app/", &["JSESSIONID=abc.n1.x"], b'.', Some("n1.x")),
        // No separator, or nothing after it: no route.
        ("/app/", &["JSESSIONID=abc"], b'.', None),
        ("/app/", &["JSESSIONID=abc."], b'.', None),
        // Another separator, or none at all.
        ("/app/", &["JSESSIONID=abc~n3"], b'~', Some("n3")),
        ("/app/", &["JSESSIONID=abc.n1"], 0, Some("abc.n1")),
        // The name must start a cookie.
        ("/app/", &["XJSESSIONID=abc.n1"], b'.', None),
        (
            "/app/",
            &["XJSESSIONID=abc.n1; JSESSIONID=d.n2"],
            b'.',
            Some("n2"),
        ),
        ("/app/", &["JSESSIONIDX=abc.n1"], b'.', None),
        // Empty value: no route.
        ("/app/", &["JSESSIONID="], b'.', None),
        // Later Cookie headers are looked at too, in order.
        ("/app/", &["a=1", "JSESSIONID=x.n2"], b'.', Some("n2")),
        (
            "/app/",
            &["JSESSIONID=x.n1", "JSESSIONID=x.n2"],
            b'.',
            Some("n1"),
        ),
        // The URL parameter, ending at ? or &.
        ("/app/x?jsessionid=abc.n3", &[], b'.', Some("n3")),
        ("/app/x?a=1&jsessionid=abc.n3&b=2", &[], b'.', Some("n3")),
        ("/app/x;jsessionid=abc.n3", &[], b'.', Some("n3")),
        ("/app/x;jsessionid=abc.n3?q=1", &[], b'.', Some("n3")),
        // The URL parameter wins over the cookie, even when it has no route.
        (
            "/app/?jsessionid=abc.n3",
            &["JSESSIONID=abc.n1"],
            b'.',
            Some("n3"),
        ),
        ("/app/?jsessionid=abc", &["JSESSIONID=abc.n1"], b'.', None),
        // The cookie name is not the URL parameter name (case-sensitive).
        ("/app/?JSESSIONID=abc.n3", &[], b'.', None),
        // A name not followed by = is skipped; an empty value continues the search.
        ("/jsessionid/x?jsessionid=a.n4", &[], b'.', Some("n4")),
        ("/x?jsessionid=", &["JSESSIONID=a.n1"], b'.', Some("n1")),
        // Nothing.
        ("/app/", &[], b'.', None),
        ("/app/", &["other=1"], b'.', None),
    ];
    for (target, cookies, separator, expected) in cases {
        let headers: Vec<&[u8]> = cookies.iter().map(|c| c.as_bytes()).collect();
        let got = session_route(&j, *separator, target.as_bytes(), &headers);
        assert_eq!(
            got,
            expected.map(str::as_bytes),
            "{target} {cookies:?} {:?}",
            *separator as char
        );
    }
    // One name for both.
    let s = sticky("SID", "SID");
    assert_eq!(
        session_route(&s, b'.', b"/?SID=1.r1", &[]),
        Some(&b"r1"[..])
    );
    assert_eq!(
        session_route(&s, b'.', b"/", &[b"SID=1.r2"]),
        Some(&b"r2"[..])
    );
}

#[test]
fn url_param_skips_leading_delimiters_as_apr_strtok() {
    assert_eq!(url_param(b"/?p=&a.r1", b"p"), Some(&b"a.r1"[..]));
    assert_eq!(url_param(b"/?p=&&", b"p"), None);
}

fn member(route: &'static str) -> MemberView<'static> {
    MemberView {
        route,
        lbfactor: 100,
        ..MemberView::default()
    }
}

#[test]
fn route_lookup() {
    let mut members = vec![member("n1"), member("n2"), member("")];
    assert_eq!(route_member(&mut members, b"n2"), Some(1));
    assert_eq!(route_member(&mut members, b"n3"), None);
    // An empty route never matches.
    assert_eq!(route_member(&mut members, b""), None);
    // Draining members still take their sticky requests.
    members[0].drain = true;
    assert_eq!(route_member(&mut members, b"n1"), Some(0));
    // Unusable: none, unless its retry is due.
    members[0].in_error = true;
    assert_eq!(route_member(&mut members, b"n1"), None);
    members[0].retry_due = true;
    assert_eq!(route_member(&mut members, b"n1"), Some(0));
    assert_eq!((members[0].in_error, members[0].retries), (false, 1));
}

#[test]
fn standby_pass_comes_second() {
    // Two members with one route (the config refuses it, the lookup still orders them).
    let mut members = vec![
        MemberView {
            hot_standby: true,
            ..member("r")
        },
        member("r"),
    ];
    assert_eq!(route_member(&mut members, b"r"), Some(1));
    members[1].disabled = true;
    assert_eq!(route_member(&mut members, b"r"), Some(0));
}

#[test]
fn redirects_are_followed_and_bounded() {
    let with_redirect = |route, redirect| MemberView {
        redirect,
        ..member(route)
    };
    let mut members = vec![
        with_redirect("a", "b"),
        with_redirect("b", "c"),
        member("c"),
    ];
    members[0].disabled = true;
    assert_eq!(route_member(&mut members, b"a"), Some(1));
    members[1].stopped = true;
    assert_eq!(route_member(&mut members, b"a"), Some(2));
    members[2].in_error = true;
    assert_eq!(route_member(&mut members, b"a"), None);
    // A cycle ends.
    let mut members = vec![with_redirect("a", "b"), with_redirect("b", "a")];
    members[0].disabled = true;
    members[1].disabled = true;
    assert_eq!(route_member(&mut members, b"a"), None);
    assert!(route_is_member(&members, b"a"));
    assert!(!route_is_member(&members, b"c"));
    assert!(!route_is_member(&[member("")], b""));
}
