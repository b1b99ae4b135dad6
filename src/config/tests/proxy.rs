//! `[[proxy]]` and `[[balancer]]`: what a good file freezes into, and every refusal with its
//! `LINE:COL` and message.

use std::time::Duration;

use super::{errors, ok};
use crate::config::{
    BackendUrl, BalancerConfig, BalancerMember, DEFAULT_RETRY, LbMethod, MemberStatus, ProxyConfig,
    ProxyRule, ProxyTarget, StickySession, WorkerParams,
};

fn url(text: &str, host: &str, port: u16, path: &str) -> BackendUrl {
    BackendUrl {
        url: text.into(),
        host: host.into(),
        port,
        path: path.into(),
    }
}

fn defaults() -> WorkerParams {
    WorkerParams {
        retry: DEFAULT_RETRY,
        ..WorkerParams::default()
    }
}

const FULL: &str = r#"
[[proxy]]
path = "/static/"
url = "!"

[[proxy]]
path = "/app/"
url = "balancer://Cluster/app/"
reverse = false

[[proxy]]
path = "/"
url = "http://[::1]:9000/"
preserve_host = true
min = 1
max = 0
smax = 4
ttl = 30
timeout = "5s"
connectiontimeout = "250ms"
acquire = 100
retry = 0
keepalive = true
disablereuse = true

[[balancer]]
name = "balancer://cluster"
lbmethod = "bybusyness"
stickysession = "JSESSIONID|jsessionid"
stickysessionsep = "~"
nofailover = true
maxattempts = 2
timeout = 3
failonstatus = [500, 503]
failontimeout = true
forcerecovery = false

[[balancer.member]]
url = "http://127.0.0.1:8001"
route = "n1"
loadfactor = 1.5
max = 8

[[balancer.member]]
url = "http://127.0.0.1:8002/"
route = "n2"
redirect = "n1"
lbset = 1
status = "+H-E"

[[balancer]]
name = "plain"
stickysessionsep = "off"
stickysession = "SID"

[[balancer.member]]
url = "http://b"
"#;

#[test]
fn a_full_file_freezes_into_the_types() {
    let config = ok(FULL).config.proxy;
    let cluster = BalancerConfig {
        name: "cluster".into(),
        lbmethod: LbMethod::ByBusyness,
        sticky: Some(StickySession {
            cookie: "JSESSIONID".into(),
            url_param: "jsessionid".into(),
        }),
        sticky_separator: b'~',
        nofailover: true,
        max_attempts: Some(2),
        timeout: Some(Duration::from_secs(3)),
        fail_on_status: vec![500, 503],
        fail_on_timeout: true,
        force_recovery: false,
        members: vec![
            BalancerMember {
                url: url("http://127.0.0.1:8001", "127.0.0.1", 8001, "/"),
                worker: WorkerParams {
                    max: Some(8),
                    ..defaults()
                },
                route: "n1".into(),
                lbfactor: 150,
                lbset: 0,
                status: MemberStatus::default(),
                redirect: String::new(),
            },
            BalancerMember {
                url: url("http://127.0.0.1:8002/", "127.0.0.1", 8002, "/"),
                worker: defaults(),
                route: "n2".into(),
                lbfactor: 100,
                lbset: 1,
                status: MemberStatus {
                    hot_standby: true,
                    ..MemberStatus::default()
                },
                redirect: "n1".into(),
            },
        ],
    };
    let plain = BalancerConfig {
        name: "plain".into(),
        lbmethod: LbMethod::ByRequests,
        sticky: Some(StickySession {
            cookie: "SID".into(),
            url_param: "SID".into(),
        }),
        sticky_separator: 0,
        nofailover: false,
        max_attempts: None,
        timeout: None,
        fail_on_status: vec![],
        fail_on_timeout: false,
        force_recovery: true,
        members: vec![BalancerMember {
            url: url("http://b", "b", 80, "/"),
            worker: defaults(),
            route: String::new(),
            lbfactor: 100,
            lbset: 0,
            status: MemberStatus::default(),
            redirect: String::new(),
        }],
    };
    let expected = ProxyConfig {
        rules: vec![
            ProxyRule {
                path: "/static/".into(),
                target: ProxyTarget::Exclude,
                reverse: true,
                preserve_host: false,
                worker: defaults(),
            },
            ProxyRule {
                path: "/app/".into(),
                target: ProxyTarget::Balancer {
                    index: 0,
                    path: "/app/".into(),
                },
                reverse: false,
                preserve_host: false,
                worker: defaults(),
            },
            ProxyRule {
                path: "/".into(),
                target: ProxyTarget::Backend(url("http://[::1]:9000/", "::1", 9000, "/")),
                reverse: true,
                preserve_host: true,
                worker: WorkerParams {
                    min: 1,
                    max: None,
                    smax: Some(4),
                    ttl: Some(Duration::from_secs(30)),
                    timeout: Some(Duration::from_secs(5)),
                    connection_timeout: Some(Duration::from_millis(250)),
                    acquire: Some(Duration::from_millis(100)),
                    retry: Duration::ZERO,
                    keepalive: true,
                    disablereuse: true,
                },
            },
        ],
        balancers: vec![cluster, plain],
    };
    assert_eq!(config, expected);
}

#[test]
fn no_sections_no_proxy() {
    assert!(ok("").config.proxy.is_empty());
}

#[test]
fn balancer_manager_handler_is_accepted() {
    let loaded = ok("[[location]]\npath = \"/balancer-manager\"\nhandler = \"balancer-manager\"\n");
    let location = &loaded.config.locations[0];
    assert_eq!(location.handler.as_deref(), Some("balancer-manager"));
}

/// A balancer every rule below may use.
const B: &str = "[[balancer]]\nname = \"b\"\n[[balancer.member]]\nurl = \"http://a\"\n";

/// (file text, expected errors as `LINE:COL: MESSAGE`).
const CASES: &[(&str, &[&str])] = &[
    (
        "[[proxy]]\npath = \"app\"\nurl = \"http://a\"\n",
        &["2:8: invalid value for \"proxy[0].path\": expected a URL path starting with '/'"],
    ),
    (
        "[[proxy]]\npath = \"/\"\n",
        &["1:1: missing key \"url\" in proxy[0]"],
    ),
    (
        "[[proxy]]\npath = \"/\"\nurl = \"https://a/\"\n",
        &[
            "3:7: invalid value for \"proxy[0].url\": \"https://a/\": https:// backends are not supported; only http:// backends are",
        ],
    ),
    (
        "[[proxy]]\npath = \"/\"\nurl = \"a:80\"\n",
        &[
            "3:7: invalid value for \"proxy[0].url\": \"a:80\" is not a backend URL (expected \"http://host[:port][/path]\", \"balancer://NAME[/path]\" or \"!\")",
        ],
    ),
    (
        "[[proxy]]\npath = \"/\"\nurl = \"http://a:99999/\"\n",
        &[
            "3:7: invalid value for \"proxy[0].url\": \"http://a:99999/\" is not a usable http:// URL: \"99999\" is not a port (1 to 65535)",
        ],
    ),
    (
        "[[proxy]]\npath = \"/\"\nurl = \"balancer://nope/\"\n",
        &[
            "3:7: invalid value for \"proxy[0].url\": no [[balancer]] is named \"nope\" (no [[balancer]] is defined)",
        ],
    ),
    // A balancer may be defined after the rule that uses it; a near miss is suggested.
    (
        "[[proxy]]\npath = \"/\"\nurl = \"balancer://bb\"\n[[balancer]]\nname = \"b\"\n[[balancer.member]]\nurl = \"http://a\"\n",
        &[
            "3:7: invalid value for \"proxy[0].url\": no [[balancer]] is named \"bb\" (defined: \"b\") (did you mean \"b\"?)",
        ],
    ),
    (
        "[[proxy]]\npath = \"/\"\nurl = \"!\"\nretry = 5\nreverse = true\n",
        &[
            "4:9: \"retry\" has no effect on an excluded path (url = \"!\"); remove it",
            "5:11: \"reverse\" has no effect on an excluded path (url = \"!\"); remove it",
        ],
    ),
    (
        "[[proxy]]\npath = \"/\"\nurl = \"balancer://b\"\nmax = 2\n[[balancer]]\nname = \"b\"\n[[balancer.member]]\nurl = \"http://a\"\n",
        &["4:7: \"max\" has no effect on a balancer:// rule; set it on each [[balancer.member]]"],
    ),
    // Apache's ranges for the worker parameters.
    (
        "[[proxy]]\npath = \"/\"\nurl = \"http://a\"\ntimeout = 0\nttl = \"1500ms\"\nconnectiontimeout = 0\nacquire = \"0s\"\nretry = -1\n",
        &[
            "4:11: invalid value for \"proxy[0].timeout\": must be at least 1 second",
            "5:7: invalid value for \"proxy[0].ttl\": Apache takes whole seconds here",
            "6:21: invalid value for \"proxy[0].connectiontimeout\": must be at least 1 millisecond",
            "7:11: invalid value for \"proxy[0].acquire\": must be at least 1 millisecond",
            "8:9: invalid value for \"proxy[0].retry\": -1 is negative (expected an integer in seconds, or a number with a unit: \"250ms\", \"5s\", \"2m\", \"1h\")",
        ],
    ),
    // Balancer sections.
    (
        "[[balancer]]\nname = \"b\"\n",
        &["1:1: balancer[0] has no [[balancer.member]] (give at least one)"],
    ),
    (
        "[[balancer]]\nname = \"B\"\n[[balancer.member]]\nurl = \"http://a\"\n[[balancer]]\nname = \"balancer://b\"\n[[balancer.member]]\nurl = \"http://a\"\n",
        &[
            "6:8: invalid value for \"balancer[1].name\": a balancer named \"b\" is already defined (names are case-insensitive)",
        ],
    ),
    (
        "[[balancer]]\nname = \"a b\"\nlbmethod = \"byrequest\"\nstickysession = \"a|b|c\"\nstickysessionsep = \"::\"\ntimeout = 0\nfailonstatus = [404, 600]\n[[balancer.member]]\nurl = \"http://a\"\n",
        &[
            "2:8: invalid value for \"balancer[0].name\": expected a name of letters, digits, '-', '_' or '.'",
            "3:12: invalid value for \"balancer[0].lbmethod\": \"byrequest\" is not a method (expected \"byrequests\", \"bytraffic\" or \"bybusyness\") (did you mean \"byrequests\"?)",
            "4:17: invalid value for \"balancer[0].stickysession\": expected \"COOKIE\" or \"COOKIE|urlparam\": names of printable characters other than | ; , = ? &",
            "5:20: invalid value for \"balancer[0].stickysessionsep\": expected one ASCII character or \"off\"",
            "6:11: invalid value for \"balancer[0].timeout\": must be at least 1 second",
            "7:22: invalid value for \"balancer[0].failonstatus\": expected an HTTP status (100 to 599)",
        ],
    ),
    // Members.
    (
        "[[balancer]]\nname = \"b\"\n[[balancer.member]]\nurl = \"balancer://b\"\n[[balancer.member]]\nurl = \"https://x\"\n",
        &[
            "4:7: invalid value for \"balancer[0].member[0].url\": a member needs an http:// URL (\"http://host[:port][/path]\")",
            "6:7: invalid value for \"balancer[0].member[1].url\": \"https://x\": https:// backends are not supported; only http:// backends are",
        ],
    ),
    (
        "[[balancer]]\nname = \"b\"\n[[balancer.member]]\nurl = \"http://a\"\nloadfactor = 0.5\nlbset = 100\nroute = \"\"\nstatus = \"+R\"\n",
        &[
            "5:14: invalid value for \"balancer[0].member[0].loadfactor\": expected a number from 1 to 100, with at most two decimals",
            "6:9: invalid value for \"balancer[0].member[0].lbset\": expected 0 to 99",
            "7:9: invalid value for \"balancer[0].member[0].route\": expected 1 to 63 characters, no spaces",
            "8:10: invalid value for \"balancer[0].member[0].status\": R (hot spare) is not supported; use H (hot standby)",
        ],
    ),
    (
        "[[balancer]]\nname = \"b\"\n[[balancer.member]]\nurl = \"http://a\"\nroute = \"r\"\nredirect = \"x\"\n[[balancer.member]]\nurl = \"http://a\"\nroute = \"r\"\n",
        &[
            "6:12: invalid value for \"balancer[0].member[0].redirect\": no member of this balancer has route \"x\"",
            "8:7: invalid value for \"balancer[0].member[1].url\": \"http://a\" is already a member of this balancer",
            "9:9: invalid value for \"balancer[0].member[1].route\": route \"r\" is already used in this balancer",
        ],
    ),
    (
        "[[balancer]]\nname = \"b\"\n[[balancer.member]]\nurl = \"http://a\"\nloadfactor = \"2\"\nmax = -1\n",
        &[
            "5:14: invalid value for \"balancer[0].member[0].loadfactor\": expected a number, found a string",
            "6:7: invalid value for \"balancer[0].member[0].max\": expected a non-negative integer, found -1",
        ],
    ),
];

#[test]
fn each_refusal_has_its_place_and_message() {
    let mut failures = Vec::new();
    for (text, expected) in CASES {
        let got = errors(text);
        if got != *expected {
            failures.push(format!(
                "{text}\n  expected: {expected:#?}\n  got: {got:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_shared_balancer_serves_several_rules() {
    let text = format!(
        "[[proxy]]\npath = \"/a\"\nurl = \"balancer://b/x\"\n[[proxy]]\npath = \"/c\"\nurl = \"BALANCER://B\"\n{B}"
    );
    let rules = ok(&text).config.proxy.rules;
    let targets: Vec<&ProxyTarget> = rules.iter().map(|r| &r.target).collect();
    assert_eq!(
        targets,
        [
            &ProxyTarget::Balancer {
                index: 0,
                path: "/x".into()
            },
            &ProxyTarget::Balancer {
                index: 0,
                path: String::new()
            },
        ]
    );
}
