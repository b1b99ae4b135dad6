//! The pages against what Apache 2.4.71 (Debian) printed for the same balancer: three
//! members n1, n2, n3 (loadfactor 2), stickysession JSESSIONID|jsessionid, after 8 balanced
//! requests, 4 sticky to n1 and 4 more balanced.

use super::*;
use crate::config::{BackendUrl, BalancerMember, StickySession, WorkerParams};

fn member(url: &'static str, route: &'static str, lbfactor: u32) -> MemberSnapshot<'static> {
    MemberSnapshot {
        url,
        host: "127.0.0.1",
        route,
        redirect: "",
        lbfactor,
        lbset: 0,
        status: MemberStatus::default(),
        elected: 0,
        busy: 0,
        lbstatus: 0,
        transferred: 0,
        read: 0,
    }
}

/// The state Apache's pages showed.
fn apache_run() -> BalancerSnapshot<'static> {
    let counters = [(6, -800, 1331, 96), (3, 400, 591, 48), (7, 400, 1331, 112)];
    let mut members = vec![
        member("http://127.0.0.1:18481", "n1", 100),
        member("http://127.0.0.1:18482", "n2", 100),
        member("http://127.0.0.1:18483", "n3", 200),
    ];
    for (m, (elected, lbstatus, transferred, read)) in members.iter_mut().zip(counters) {
        m.elected = elected;
        m.lbstatus = lbstatus;
        m.transferred = transferred;
        m.read = read;
    }
    BalancerSnapshot {
        name: "cluster",
        sticky: Some(("JSESSIONID", "jsessionid")),
        nofailover: false,
        timeout_secs: 0,
        max_attempts: 2,
        lbmethod: LbMethod::ByRequests,
        path: "/app",
        members,
    }
}

#[test]
fn strfsize_as_apr() {
    for (size, expected) in [
        (0, "  0 "),
        (96, " 96 "),
        (591, "591 "),
        (972, "972 "),
        (973, "1.0K"),
        (1331, "1.3K"),
        (9 * 1024 + 972, "9.9K"),
        (10 * 1024, " 10K"),
        (972 * 1024 + 600, "973K"),
        (973 * 1024, "1.0M"),
        (5 << 20, "5.0M"),
        (300 << 30, "300G"),
    ] {
        assert_eq!(strfsize(size), expected, "{size}");
    }
}

#[test]
fn status_words_as_apache() {
    let s = |f: fn(&mut MemberStatus)| {
        let mut status = MemberStatus::default();
        f(&mut status);
        worker_status(&status)
    };
    assert_eq!(s(|_| {}), "Init Ok ");
    assert_eq!(s(|m| m.ignore_errors = true), "Init Ign Ok ");
    assert_eq!(s(|m| m.drain = true), "Init Drn Ok ");
    assert_eq!(s(|m| m.hot_standby = true), "Init Stby Ok ");
    assert_eq!(s(|m| m.disabled = true), "Init Dis ");
    assert_eq!(s(|m| m.stopped = true), "Init Stop ");
    assert_eq!(s(|m| m.in_error = true), "Init Err ");
    assert_eq!(
        s(|m| {
            m.in_error = true;
            m.hot_standby = true;
        }),
        "Init Err Stby "
    );
}

#[test]
fn auto_lines_as_apache() {
    let mut out = String::new();
    push_auto_lines(&mut out, &[apache_run()]);
    let expected = "ProxyBalancer[0]Name: balancer://cluster
ProxyBalancer[0]Worker[0]Name: http://127.0.0.1:18481
ProxyBalancer[0]Worker[0]Status: Init Ok 
ProxyBalancer[0]Worker[0]Elected: 6
ProxyBalancer[0]Worker[0]Busy: 0
ProxyBalancer[0]Worker[0]Sent: 1K
ProxyBalancer[0]Worker[0]Rcvd: 0K
ProxyBalancer[0]Worker[1]Name: http://127.0.0.1:18482
ProxyBalancer[0]Worker[1]Status: Init Ok 
ProxyBalancer[0]Worker[1]Elected: 3
ProxyBalancer[0]Worker[1]Busy: 0
ProxyBalancer[0]Worker[1]Sent: 0K
ProxyBalancer[0]Worker[1]Rcvd: 0K
ProxyBalancer[0]Worker[2]Name: http://127.0.0.1:18483
ProxyBalancer[0]Worker[2]Status: Init Ok 
ProxyBalancer[0]Worker[2]Elected: 7
ProxyBalancer[0]Worker[2]Busy: 0
ProxyBalancer[0]Worker[2]Sent: 1K
ProxyBalancer[0]Worker[2]Rcvd: 0K
";
    assert_eq!(out, expected);
    // Every line is "KEY: VALUE" as apache_exporter splits it, and Sent/Rcvd parse as a
    // number once the K is trimmed (the exporter's strings.TrimRight(v, "kK")).
    for line in out.lines() {
        let (key, value) = line.split_once(':').expect(line);
        assert!(key.starts_with("ProxyBalancer["), "{line}");
        if key.ends_with("]Sent") || key.ends_with("]Rcvd") {
            let number = value.trim().trim_end_matches(['k', 'K']);
            assert!(number.parse::<f64>().is_ok(), "{line}");
        }
    }
    let mut none = String::new();
    push_auto_lines(&mut none, &[]);
    assert_eq!(none, "");
}

#[test]
fn manager_page_tables_as_apache() {
    let info = ServerInfo {
        server_name: "127.0.0.1".into(),
        local_ip: "127.0.0.1".into(),
        version: "mpmd/0.1.0 (Unix)".into(),
        built: "Nov 21 2026 08:00:00".into(),
    };
    let page = render_page(&info, &[apache_run()]);
    assert!(page.starts_with("<!DOCTYPE HTML PUBLIC"), "{page}");
    assert!(page.contains("<body><h1>Load Balancer Manager for 127.0.0.1</h1>"));
    assert!(page.contains("<dt>Server Version: mpmd/0.1.0 (Unix)</dt>"));
    // Apache's text with the edit links taken out.
    let expected = "<hr />
<h3>LoadBalancer Status for balancer://cluster</h3>


<table><tr><th>MaxMembers</th><th>StickySession</th><th>DisableFailover</th><th>Timeout</th><th>FailoverAttempts</th><th>Method</th><th>Path</th><th>Active</th></tr>
<tr><td>3 [3 Used]</td>
<td>JSESSIONID|jsessionid</td><td>Off</td>
<td>0</td><td>2</td>
<td>byrequests</td>
<td>/app</td>
<td>Yes</td>
</tr>
</table>
<br />

<table><tr><th>Worker URL</th><th>Route</th><th>RouteRedir</th><th>Factor</th><th>Set</th><th>Status</th><th>Elected</th><th>Busy</th><th>Load</th><th>To</th><th>From</th></tr>
<tr>
<td>http://127.0.0.1:18481</td><td>n1</td><td></td><td>1.00</td><td>0</td><td>Init Ok </td><td>6</td><td>0</td><td>-800</td><td>1.3K</td><td> 96 </td></tr>
<tr>
<td>http://127.0.0.1:18482</td><td>n2</td><td></td><td>1.00</td><td>0</td><td>Init Ok </td><td>3</td><td>0</td><td>400</td><td>591 </td><td> 48 </td></tr>
<tr>
<td>http://127.0.0.1:18483</td><td>n3</td><td></td><td>2.00</td><td>0</td><td>Init Ok </td><td>7</td><td>0</td><td>400</td><td>1.3K</td><td>112 </td></tr>
</table>
<hr />
</body></html>
";
    assert!(page.ends_with(expected), "{page}");
}

#[test]
fn manager_page_other_settings_and_escaping() {
    let mut b = apache_run();
    b.sticky = None;
    b.nofailover = true;
    b.timeout_secs = 3;
    b.lbmethod = LbMethod::ByBusyness;
    b.members[0].lbfactor = 250;
    b.members[0].redirect = "n<2>";
    let mut out = String::new();
    balancer_tables(&mut out, &b);
    assert!(
        out.contains("<td> (None) </td><td>On</td>\n<td>3</td><td>2</td>\n<td>bybusyness</td>")
    );
    assert!(out.contains("<td>n1</td><td>n&lt;2&gt;</td><td>2.50</td>"));
    b.sticky = Some(("SID", "SID"));
    let mut out = String::new();
    balancer_tables(&mut out, &b);
    assert!(out.contains("<td>SID</td><td>On</td>"), "{out}");
}

#[test]
fn status_page_section_as_apache() {
    let mut out = String::new();
    push_status_html(&mut out, &[apache_run()]);
    let expected_head = "<hr />
<h1>Proxy LoadBalancer Status for balancer://cluster</h1>



<table border=\"0\"><tr><th>SSes</th><th>Timeout</th><th>Method</th></tr>
<tr><td>JSESSIONID | jsessionid</td><td>0</td><td>byrequests</td>
</table>


<table border=\"0\"><tr><th>Sch</th><th>Host</th><th>Stat</th><th>Route</th><th>Redir</th><th>F</th><th>Set</th><th>Acc</th><th>Busy</th><th>Wr</th><th>Rd</th></tr>
<tr>
<td>http</td><td>127.0.0.1</td><td>Init Ok </td><td>n1</td><td></td><td>1.00</td><td>0</td><td>6</td><td>0</td><td>1.3K</td><td> 96 </td>
</tr>
<tr>
<td>http</td><td>127.0.0.1</td><td>Init Ok </td><td>n2</td><td></td><td>1.00</td><td>0</td><td>3</td><td>0</td><td>591 </td><td> 48 </td>
</tr>
<tr>
<td>http</td><td>127.0.0.1</td><td>Init Ok </td><td>n3</td><td></td><td>2.00</td><td>0</td><td>7</td><td>0</td><td>1.3K</td><td>112 </td>
</tr>
</table>
<hr /><table>
<tr><th>SSes</th><td>Sticky session name</td></tr>
";
    assert!(out.starts_with(expected_head), "{out}");
    assert!(out.ends_with("<tr><th>Rd</th><td>Number of bytes read</td></tr>\n</table>"));
    let mut none = String::new();
    push_status_html(&mut none, &[]);
    assert_eq!(none, "");
}

#[test]
fn json_fragment() {
    let mut b = apache_run();
    b.members.truncate(1);
    b.members[0].status.hot_standby = true;
    let mut out = String::new();
    push_json(&mut out, &[b]);
    assert_eq!(
        out,
        "[{\"name\":\"balancer://cluster\",\"lbmethod\":\"byrequests\",\
         \"stickysession\":\"JSESSIONID|jsessionid\",\"nofailover\":false,\"timeout\":0,\
         \"maxattempts\":2,\"path\":\"/app\",\"members\":[{\"url\":\"http://127.0.0.1:18481\",\
         \"route\":\"n1\",\"redirect\":\"\",\"status\":\"Init Stby Ok\",\"lbfactor\":100,\
         \"lbset\":0,\"disabled\":false,\"stopped\":false,\"in_error\":false,\
         \"hot_standby\":true,\"drain\":false,\"ignore_errors\":false,\"usable\":true,\
         \"elected\":6,\"busy\":0,\"lbstatus\":-800,\"transferred\":1331,\"read\":96}]}]"
    );
    let mut none = String::new();
    push_json(&mut none, &[]);
    assert_eq!(none, "[]");
}

#[test]
fn snapshot_from_config() {
    let url = |text: &str, port| BackendUrl {
        url: text.into(),
        host: "127.0.0.1".into(),
        port,
        path: "/".into(),
    };
    let config = BalancerConfig {
        name: "cluster".into(),
        lbmethod: LbMethod::ByTraffic,
        sticky: Some(StickySession {
            cookie: "S".into(),
            url_param: "s".into(),
        }),
        sticky_separator: b'.',
        nofailover: false,
        max_attempts: None,
        timeout: Some(std::time::Duration::from_secs(4)),
        fail_on_status: vec![],
        fail_on_timeout: false,
        force_recovery: true,
        members: [
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            "http://127.0.0.1:3",
        ]
        .iter()
        .zip(1..)
        .map(|(u, p)| BalancerMember {
            url: url(u, p),
            worker: WorkerParams::default(),
            route: format!("r{p}"),
            lbfactor: 100 * u32::from(p),
            lbset: 0,
            status: MemberStatus::default(),
            redirect: String::new(),
        })
        .collect(),
    };
    let snap = BalancerSnapshot::from_config(&config, "/x");
    assert_eq!(snap.name, "cluster");
    assert_eq!(snap.sticky, Some(("S", "s")));
    assert_eq!(
        (snap.timeout_secs, snap.max_attempts, snap.path),
        (4, 2, "/x")
    );
    let routes: Vec<(&str, u32)> = snap.members.iter().map(|m| (m.route, m.lbfactor)).collect();
    assert_eq!(routes, [("r1", 100), ("r2", 200), ("r3", 300)]);
}
