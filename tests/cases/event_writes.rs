//! The event MPM's write completion: a large file sent to a client that does not read holds
//! no worker thread, whether it goes out with sendfile or from a memory map. The body the socket does not take at once is left to the listener's
//! poller (counted as ConnsAsyncWriting), which sends the rest as the client reads and then
//! waits for the connection's next request.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use super::status::{STATUS_LOCATION, auto_value};
use crate::common::http::read_response;
use crate::common::{INDEX_HTML, START_DEADLINE, ServerGuard, TestConfig, wait_until};

const BIG: usize = 32 << 20;

/// A client socket with a small receive buffer, so that the server's sends block early.
fn slow_reader(port: u16) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    socket
        .connect_timeout(&addr.into(), START_DEADLINE)
        .expect("connect");
    let stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// The two ways a large file goes out: sendfile(2), or a memory map written with writev
/// (the default: `enable_sendfile` off, `enable_mmap` on).
const SEND_PATHS: [&str; 2] = [
    "enable_sendfile = true\nenable_mmap = false\n",
    "enable_sendfile = false\nenable_mmap = true\n",
];

/// One event child of two workers, `http` in `[http]`, a 32 MiB file; returns the file's
/// bytes.
fn event_server_with_big_file(http: &str) -> (ServerGuard, Vec<u8>) {
    let server = ServerGuard::start(
        &TestConfig::default()
            .mpm(
                "module = \"event\"\nstart_servers = 1\nthreads_per_child = 2\n\
                 min_spare_threads = 1\nmax_spare_threads = 4\nserver_limit = 1\n\
                 max_request_workers = 2\n",
            )
            .http(http)
            .sections(STATUS_LOCATION),
    );
    server.wait_children(1);
    let body: Vec<u8> = (0..BIG).map(|i| (i % 251) as u8).collect();
    std::fs::write(server.docroot().join("big.bin"), &body).unwrap();
    (server, body)
}

/// Waits until `?auto` says `ConnsAsyncWriting: n`; returns the page.
fn wait_writing(server: &ServerGuard, n: &str) -> String {
    let mut auto = String::new();
    let seen = wait_until(START_DEADLINE, || {
        auto = String::from_utf8_lossy(&server.get("/server-status?auto").body).into_owned();
        auto_value(&auto, "ConnsAsyncWriting") == n
    });
    assert!(seen, "ConnsAsyncWriting never {n}:\n{auto}");
    auto
}

#[test]
fn event_pending_body_then_close_arrives_whole_before_the_end_of_file() {
    for http in SEND_PATHS {
        pending_body_then_close(http);
    }
}

fn pending_body_then_close(http: &str) {
    let (server, body) = event_server_with_big_file(http);
    let mut client = slow_reader(server.port());
    client
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    wait_writing(&server, "1");
    // The FIN comes only after the last byte of the body.
    let mut all = Vec::new();
    client.read_to_end(&mut all).expect("read to the end");
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let head = String::from_utf8_lossy(&all[..split]);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Connection: close\r\n"), "{head}");
    assert_eq!(all.len() - split, BIG, "{head}");
    assert!(all[split..] == body[..], "the body differs from the file");
    wait_writing(&server, "0");
}

#[test]
fn event_slow_reader_of_a_large_file_holds_no_worker_thread() {
    for http in SEND_PATHS {
        slow_reader_holds_no_worker(http);
    }
}

fn slow_reader_holds_no_worker(http: &str) {
    // One child of two workers: the status requests need one, the slow download must not.
    let (server, body) = event_server_with_big_file(http);
    let mut client = slow_reader(server.port());
    client
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    // The client reads nothing: the response waits in the poller, not in a thread.
    let auto = wait_writing(&server, "1");
    // Only the status request itself holds a worker.
    assert_eq!(auto_value(&auto, "BusyWorkers"), "1", "{auto}");
    assert_eq!(auto_value(&auto, "IdleWorkers"), "1", "{auto}");

    // The client reads: the whole body arrives intact, and the connection serves its next
    // request.
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let response = read_response(&mut reader, false).expect("the large response");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("Content-Length"),
        Some(BIG.to_string().as_str())
    );
    assert!(response.body == body, "the body differs from the file");
    client
        .write_all(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let next = read_response(&mut reader, false).expect("the next response");
    assert_eq!(next.status, 200);
    assert_eq!(next.body, INDEX_HTML.as_bytes());

    wait_writing(&server, "0");
    // Logged once, with the whole length.
    let log = server.access_log();
    let line = log
        .lines()
        .find(|l| l.contains("GET /big.bin"))
        .unwrap_or_else(|| panic!("not logged:\n{log}"));
    assert!(line.ends_with(&format!(" 200 {BIG}")), "{line}");
    drop(reader);
    let mut rest = Vec::new();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let _ = client.read_to_end(&mut rest);
}
