//! The `?auto` `ProxyBalancer[...]` lines as Debian's prometheus-apache-exporter reads them.
//! The lines come from mpmd's own renderer (`mpmd::proxy::manager_page::push_auto_lines`),
//! appended to a real Apache 2.4.71 `?auto` page and served by a stub, so this checks the
//! format alone, whatever the proxy engine does; `proxy_balancer.rs` checks the live page.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mpmd::config::{LbMethod, MemberStatus};
use mpmd::proxy::manager_page::{BalancerSnapshot, MemberSnapshot, push_auto_lines};

use crate::common::http::{exchange, request_bytes};
use crate::common::{START_DEADLINE, wait_until};

const APACHE_AUTO: &str = include_str!("../fixtures/apache-2.4.71-prefork-server-status-auto.txt");

/// Serves `body` to every request until dropped.
struct Stub {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Stub {
    fn start(body: String) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stub");
        let port = listener.local_addr().expect("stub address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Stub {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn member(url: &'static str, route: &'static str) -> MemberSnapshot<'static> {
    MemberSnapshot {
        url,
        host: "127.0.0.1",
        route,
        redirect: "",
        lbfactor: 100,
        lbset: 0,
        status: MemberStatus::default(),
        elected: 0,
        busy: 0,
        lbstatus: 0,
        transferred: 0,
        read: 0,
    }
}

/// The value of the sample line that starts with `series` (name and labels).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn apache_exporter_reads_the_proxy_balancer_lines() {
    let exporter = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("prometheus-apache-exporter"))
        .find(|p| p.is_file())
        .expect("prometheus-apache-exporter is not installed (apt-get install prometheus-apache-exporter)");
    let mut a = member("http://127.0.0.1:9001/", "n1");
    a.elected = 6;
    a.busy = 2;
    a.transferred = 5 << 20;
    a.read = 1331;
    let mut b = member("http://127.0.0.1:9002/", "n2");
    b.elected = 3;
    b.status.in_error = true;
    let balancer = BalancerSnapshot {
        name: "cluster",
        sticky: None,
        nofailover: false,
        timeout_secs: 0,
        max_attempts: 1,
        lbmethod: LbMethod::ByRequests,
        path: "/app/",
        members: vec![a, b],
    };
    let mut body = APACHE_AUTO.to_owned();
    push_auto_lines(&mut body, &[balancer]);
    let stub = Stub::start(body);

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let dir = std::env::temp_dir().join(format!("mpmd-proxy-exporter-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let _running = Running(
        Command::new(exporter)
            .arg(format!("--telemetry.address=127.0.0.1:{port}"))
            .arg(format!(
                "--scrape_uri=http://127.0.0.1:{}/server-status?auto",
                stub.port
            ))
            .stdin(Stdio::null())
            .stdout(File::create(dir.join("exporter.log")).expect("log"))
            .stderr(File::create(dir.join("exporter.err")).expect("log"))
            .spawn()
            .expect("start the exporter"),
    );
    let mut metrics = String::new();
    let up = wait_until(START_DEADLINE, || {
        metrics = exchange(port, &request_bytes("GET", "/metrics", true))
            .ok()
            .filter(|r| r.status == 200)
            .map(|r| r.text())
            .unwrap_or_default();
        !metrics.is_empty()
    });
    assert!(up, "the exporter never answered on 127.0.0.1:{port}");
    let labels = |worker: &str| format!("{{balancer=\"balancer://cluster\",worker=\"{worker}\"}}");
    let w1 = "http://127.0.0.1:9001/";
    let w2 = "http://127.0.0.1:9002/";
    for (series, value) in [
        (
            format!("apache_proxy_balancer_accesses_total{}", labels(w1)),
            6.0,
        ),
        (
            format!("apache_proxy_balancer_accesses_total{}", labels(w2)),
            3.0,
        ),
        (format!("apache_proxy_balancer_busy{}", labels(w1)), 2.0),
        (
            format!("apache_proxy_balancer_request_kbytes_total{}", labels(w1)),
            5120.0,
        ),
        (
            format!("apache_proxy_balancer_response_kbytes_total{}", labels(w1)),
            1.0,
        ),
        (
            format!(
                "apache_proxy_balancer_status{{balancer=\"balancer://cluster\",status=\"Init Ok\",worker=\"{w1}\"}}"
            ),
            1.0,
        ),
        (
            format!(
                "apache_proxy_balancer_status{{balancer=\"balancer://cluster\",status=\"Init Err\",worker=\"{w2}\"}}"
            ),
            1.0,
        ),
        ("apache_up".to_owned(), 1.0),
    ] {
        assert_eq!(
            sample(&metrics, &series),
            Some(value),
            "{series} in\n{metrics}"
        );
    }
    assert_eq!(
        sample(&metrics, "apache_exporter_scrape_failures_total").unwrap_or(0.0),
        0.0,
        "{metrics}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
