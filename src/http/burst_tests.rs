//! `serve_ready` over real loopback sockets: bursts park, resume, pipeline, close and linger.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use super::*;
use crate::http::test_support::*;

fn pair() -> (TcpStream, ParkedConn) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.set_read_timeout(Some(WAIT)).unwrap();
    let (stream, peer) = listener.accept().unwrap();
    let local = stream.local_addr().unwrap();
    (client, ParkedConn::new(stream, peer, local))
}

fn get(path: &str, close: bool) -> Vec<u8> {
    let connection = if close { "Connection: close\r\n" } else { "" };
    format!("GET {path} HTTP/1.1\r\nHost: h\r\n{connection}\r\n").into_bytes()
}

#[test]
fn a_burst_serves_what_is_there_then_parks() {
    let ts = TestSite::new("burst-park");
    let site = ts.site();
    let (mut client, mut conn) = pair();
    let mut rec = Recorder::default();

    // A new connection: the first request is read (blocking, as for a fresh connection).
    client.write_all(&get("/index.html", false)).unwrap();
    let burst = serve_ready(&site, &mut conn, &mut rec);
    assert!(matches!(burst, Burst::Park), "{burst:?}");
    assert_eq!(read_response(&mut client, false).status, 200);
    assert_eq!(conn.requests(), 1);

    // Two pipelined requests in one write: one burst answers both, then parks again.
    let mut two = get("/plain.txt", false);
    two.extend(get("/noext", false));
    client.write_all(&two).unwrap();
    let burst = serve_ready(&site, &mut conn, &mut rec);
    assert!(matches!(burst, Burst::Park), "{burst:?}");
    assert_eq!(read_response(&mut client, false).body, b"plain\n");
    assert_eq!(read_response(&mut client, false).body, b"data");
    assert_eq!(conn.requests(), 3);
    assert_eq!(rec.finished, [1024, 6, 4]);

    // A stale wake-up (nothing to read): the burst parks again at once, without waiting.
    let burst = serve_ready(&site, &mut conn, &mut rec);
    assert!(matches!(burst, Burst::Park), "{burst:?}");
    assert_eq!(conn.requests(), 3);

    // The client closes while parked: the next burst ends the connection.
    drop(client);
    let burst = serve_ready(&site, &mut conn, &mut rec);
    assert!(
        matches!(burst, Burst::Closed(ConnEnd::ClientClosed)),
        "{burst:?}"
    );
}

#[test]
fn a_closing_response_leaves_the_lingering_close_to_the_caller() {
    let ts = TestSite::new("burst-linger");
    let site = ts.site();
    let (mut client, mut conn) = pair();
    let mut rec = Recorder::default();
    // The client says close, but sent more after its request: unread input, so the close
    // must linger (a plain close would answer the unread bytes with a reset).
    let mut request = get("/index.html", true);
    request.extend_from_slice(b"GET /more");
    client.write_all(&request).unwrap();
    let burst = serve_ready(&site, &mut conn, &mut rec);
    assert!(matches!(burst, Burst::Linger), "{burst:?}");
    let response = read_response(&mut client, false);
    assert_eq!(response.header("connection"), Some("close"));
    // Our side is already shut down: the client sees end of file, the socket still open.
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    let stream = conn.into_stream();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut byte = [0u8; 1];
    stream.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!((&stream).read(&mut byte).unwrap(), 0);
}

#[test]
fn a_client_that_said_close_and_left_nothing_unread_is_closed_without_lingering() {
    let ts = TestSite::new("burst-close");
    let site = ts.site();
    for request in [
        get("/index.html", true),
        b"GET /index.html HTTP/1.0\r\n\r\n".to_vec(),
    ] {
        let (mut client, mut conn) = pair();
        let mut rec = Recorder::default();
        client.write_all(&request).unwrap();
        let burst = serve_ready(&site, &mut conn, &mut rec);
        assert!(
            matches!(burst, Burst::Closed(ConnEnd::ServerClosed)),
            "{burst:?}"
        );
        assert_eq!(read_response(&mut client, false).status, 200);
        // Dropping the connection closes the socket: the client reads the end of file.
        drop(conn);
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }
}

#[test]
fn stopping_turns_the_next_response_into_the_last() {
    let ts = TestSite::new("burst-stop");
    let site = ts.site();
    let (mut client, mut conn) = pair();
    let mut rec = Recorder::default();
    client.write_all(&get("/index.html", false)).unwrap();
    assert!(matches!(
        serve_ready(&site, &mut conn, &mut rec),
        Burst::Park
    ));
    read_response(&mut client, false);
    rec.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    client.write_all(&get("/index.html", false)).unwrap();
    let burst = serve_ready(&site, &mut conn, &mut rec);
    assert!(matches!(burst, Burst::Linger), "{burst:?}");
    let response = read_response(&mut client, false);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
}
