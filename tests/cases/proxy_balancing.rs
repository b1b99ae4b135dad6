//! Balancers (issue 6), engine side: byrequests' exact sequence shared by every child, sticky
//! sessions by cookie and URL parameter, `nofailover`, failover to another member, hot standby.

use super::proxy_backend::{Backend, ok};
use crate::common::http::{exchange, get};
use crate::common::{ServerGuard, TestConfig};

/// Backends that answer with their name.
fn named(names: &[&'static str]) -> Vec<Backend> {
    names
        .iter()
        .map(|&n| Backend::start(move |_| ok(n)))
        .collect()
}

fn member(b: &Backend, extra: &str) -> String {
    format!("[[balancer.member]]\nurl = \"{}\"\n{extra}\n", b.url(""))
}

fn balancer_config(balancer: &str, members: &str) -> String {
    format!(
        "[[proxy]]\npath = \"/\"\nurl = \"balancer://cluster/\"\n\n\
         [[balancer]]\nname = \"cluster\"\n{balancer}\n{members}"
    )
}

const PREFORK4: &str = "start_servers = 4\nmin_spare_servers = 4\nmax_spare_servers = 8\n";

#[test]
fn byrequests_follows_apaches_sequence_across_children() {
    let b = named(&["a", "b", "c"]);
    let members = format!(
        "{}{}{}",
        member(&b[0], ""),
        member(&b[1], ""),
        member(&b[2], "loadfactor = 2")
    );
    let cfg = TestConfig::default()
        .mpm(PREFORK4)
        .sections(&balancer_config("", &members));
    let server = ServerGuard::start(&cfg);
    // Fresh connections land on any of the 4 children; the lbstatus is shared.
    let got: Vec<String> = (0..12).map(|_| get(server.port(), "/").text()).collect();
    assert_eq!(
        got.join(""),
        "cabccabccabc",
        "Apache's byrequests with factors 1:1:2"
    );
}

#[test]
fn sticky_sessions_by_url_then_cookie() {
    let b = named(&["a", "b", "c"]);
    let members = format!(
        "{}{}{}",
        member(&b[0], "route = \"n1\""),
        member(&b[1], "route = \"n2\""),
        member(&b[2], "route = \"n3\"")
    );
    let cfg = TestConfig::default().sections(&balancer_config(
        "stickysession = \"JSESSIONID|jsessionid\"",
        &members,
    ));
    let server = ServerGuard::start(&cfg);
    let port = server.port();
    let with_cookie = |path: &str, cookie: &str| {
        let raw = format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nCookie: other=1; JSESSIONID={cookie}\r\nConnection: close\r\n\r\n"
        );
        exchange(port, raw.as_bytes()).unwrap().text()
    };
    for _ in 0..4 {
        assert_eq!(with_cookie("/x", "abc.n2"), "b");
    }
    assert_eq!(with_cookie("/x", "abc.n3"), "c");
    // The URL parameter wins over the cookie.
    assert_eq!(with_cookie("/x?jsessionid=zz.n1", "abc.n2"), "a");
    assert_eq!(get(port, "/x?jsessionid=zz.n3").text(), "c");
    // No route after the separator: balanced.
    assert!(["a", "b", "c"].contains(&with_cookie("/x", "noroute").as_str()));
}

#[test]
fn sticky_member_down_fails_over_or_503_with_nofailover() {
    let b = named(&["a", "b"]);
    let members = format!(
        "{}{}",
        member(&b[0], "route = \"n1\""),
        member(&b[1], "route = \"n2\"")
    );
    let sticky = "stickysession = \"JSESSIONID\"";
    // The /strict/ rule comes first (first match wins).
    let cfg = TestConfig::default().sections(&format!(
        "[[proxy]]\npath = \"/strict/\"\nurl = \"balancer://strict/\"\n\
         [[balancer]]\nname = \"strict\"\n{sticky}\nnofailover = true\n{members}\n{}",
        balancer_config(sticky, &members)
    ));
    let server = ServerGuard::start(&cfg);
    let port = server.port();
    let req = |path: &str| {
        let raw = format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nCookie: JSESSIONID=s.n2\r\nConnection: close\r\n\r\n"
        );
        exchange(port, raw.as_bytes()).unwrap()
    };
    assert_eq!(req("/x").text(), "b");
    assert_eq!(req("/strict/x").text(), "b");
    b[1].kill();
    // Failover: the other member answers.
    assert_eq!(req("/x").text(), "a");
    // nofailover: the session's member is down, 503.
    let r = req("/strict/x");
    assert_eq!(r.status, 503, "{}", r.text());
}

#[test]
fn hot_standby_only_when_the_others_are_down() {
    let b = named(&["a", "b", "standby"]);
    let members = format!(
        "{}{}{}",
        member(&b[0], ""),
        member(&b[1], ""),
        member(&b[2], "status = \"+H\"")
    );
    let cfg = TestConfig::default().sections(&balancer_config("", &members));
    let server = ServerGuard::start(&cfg);
    let port = server.port();
    for _ in 0..6 {
        assert_ne!(get(port, "/").text(), "standby");
    }
    b[0].kill();
    b[1].kill();
    // The first request finds a dead member, fails over ..., and ends on the standby.
    for _ in 0..4 {
        assert_eq!(get(port, "/").text(), "standby");
    }
    assert_eq!(b[2].seen().len(), 4);
}

#[test]
fn failonstatus_puts_the_member_in_error() {
    let sick = Backend::start(|_| {
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nsick".to_vec()
    });
    let well = Backend::start(|_| ok("well"));
    let members = format!("{}{}", member(&sick, ""), member(&well, ""));
    let cfg = TestConfig::default().sections(&balancer_config("failonstatus = [500]", &members));
    let server = ServerGuard::start(&cfg);
    let port = server.port();
    let mut bodies: Vec<String> = (0..6).map(|_| get(port, "/").text()).collect();
    // The first request goes to the sick member (its 500 is relayed), then it is in error.
    assert_eq!(bodies.remove(0), "sick");
    assert!(bodies.iter().all(|b| b == "well"), "{bodies:?}");
    assert_eq!(sick.seen().len(), 1);
    assert!(server.error_log().contains("failonstatus"));
}

#[test]
fn bybusyness_counts_busy_requests_across_children() {
    let b = named(&["a", "b"]);
    let members = format!("{}{}", member(&b[0], ""), member(&b[1], ""));
    let cfg = TestConfig::default()
        .mpm(PREFORK4)
        .sections(&balancer_config("lbmethod = \"bybusyness\"", &members));
    let server = ServerGuard::start(&cfg);
    let port = server.port();
    b[0].hold();
    let first = std::thread::spawn(move || get(port, "/").text());
    assert!(crate::common::wait_until(
        std::time::Duration::from_secs(10),
        || b[0].held() == 1
    ));
    // `a` has a request in progress (in another child): everything else goes to `b`.
    for _ in 0..4 {
        assert_eq!(get(port, "/").text(), "b");
    }
    b[0].release();
    assert_eq!(first.join().unwrap(), "a");
}
