//! A small HTTP/1.1 backend for the proxy tests: loopback threads (std::net) that record every
//! request, count connections, can hold answers until released, and can be killed (listener
//! closed, every connection shut) and started again on the same port.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// One request as the backend saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub head: String,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    pub fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or("")
    }
}

pub type Respond = dyn Fn(&Seen) -> Vec<u8> + Send + Sync;

#[derive(Default)]
struct Shared {
    seen: Mutex<Vec<Seen>>,
    conns: AtomicUsize,
    /// Requests being held (see `Backend::hold`).
    held: AtomicUsize,
    hold: Mutex<bool>,
    released: Condvar,
    stopped: AtomicBool,
    streams: Mutex<Vec<TcpStream>>,
}

/// The backend.
pub struct Backend {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    respond: Arc<Respond>,
    /// Close each connection after one response, without saying so.
    pub close_after_one: bool,
}

const WAIT: Duration = Duration::from_secs(10);

fn read_line(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if s.read(&mut b).ok()? == 0 {
            return None;
        }
        line.push(b[0]);
    }
    Some(line)
}

fn read_request(s: &mut TcpStream) -> Option<Seen> {
    let mut head = Vec::new();
    loop {
        let line = read_line(s)?;
        head.extend_from_slice(&line);
        if line == b"\r\n" {
            break;
        }
    }
    let mut seen = Seen {
        head: String::from_utf8(head).ok()?,
        body: Vec::new(),
    };
    if let Some(n) = seen.header("content-length") {
        seen.body = vec![0; n.parse().ok()?];
        s.read_exact(&mut seen.body).ok()?;
    } else if seen.header("transfer-encoding").is_some() {
        loop {
            let line = read_line(s)?;
            let size =
                usize::from_str_radix(std::str::from_utf8(&line[..line.len() - 2]).ok()?, 16)
                    .ok()?;
            let mut chunk = vec![0; size + 2];
            s.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            seen.body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(seen)
}

/// `200 OK` with `body` and a Content-Length.
pub fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Backend: yes\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl Backend {
    /// Starts on a free loopback port.
    pub fn start(respond: impl Fn(&Seen) -> Vec<u8> + Send + Sync + 'static) -> Backend {
        Backend::start_on("127.0.0.1:0", Arc::new(respond), false)
    }

    fn start_on(addr: &str, respond: Arc<Respond>, close_after_one: bool) -> Backend {
        let listener = TcpListener::bind(addr).expect("bind backend");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let backend = Backend {
            addr,
            shared: shared.clone(),
            respond: respond.clone(),
            close_after_one,
        };
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut s) = stream else { return };
                shared.conns.fetch_add(1, Ordering::SeqCst);
                if let Ok(clone) = s.try_clone() {
                    shared.streams.lock().unwrap().push(clone);
                }
                let (shared, respond) = (shared.clone(), respond.clone());
                std::thread::spawn(move || {
                    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                    while let Some(req) = read_request(&mut s) {
                        shared.seen.lock().unwrap().push(req.clone());
                        shared.held.fetch_add(1, Ordering::SeqCst);
                        {
                            let mut hold = shared.hold.lock().unwrap();
                            while *hold {
                                hold = shared.released.wait_timeout(hold, WAIT).unwrap().0;
                            }
                        }
                        shared.held.fetch_sub(1, Ordering::SeqCst);
                        let resp = respond(&req);
                        if shared.stopped.load(Ordering::SeqCst) || s.write_all(&resp).is_err() {
                            return;
                        }
                        if close_after_one {
                            let _ = s.shutdown(Shutdown::Both);
                            return;
                        }
                    }
                });
            }
        });
        backend
    }

    /// Starts one that closes every connection after its first response.
    pub fn start_closing(respond: impl Fn(&Seen) -> Vec<u8> + Send + Sync + 'static) -> Backend {
        Backend::start_on("127.0.0.1:0", Arc::new(respond), true)
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        self.shared.conns.load(Ordering::SeqCst)
    }

    /// Requests received but not answered yet (while holding).
    pub fn held(&self) -> usize {
        self.shared.held.load(Ordering::SeqCst)
    }

    /// From now on, requests wait (up to 10 s) until [`Backend::release`].
    pub fn hold(&self) {
        *self.shared.hold.lock().unwrap() = true;
    }

    pub fn release(&self) {
        *self.shared.hold.lock().unwrap() = false;
        self.shared.released.notify_all();
    }

    /// Closes the listener and every connection: the port refuses connections.
    pub fn kill(&self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it drops the listener.
        let _ = TcpStream::connect_timeout(&self.addr, WAIT);
        for s in self.shared.streams.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        // Wait until the port refuses (the accept thread has dropped the listener).
        let deadline = std::time::Instant::now() + WAIT;
        while TcpStream::connect_timeout(&self.addr, WAIT).is_ok() {
            assert!(std::time::Instant::now() < deadline, "backend did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A new backend on the same port, answering the same way.
    pub fn restart(&self) -> Backend {
        Backend::start_on(
            &self.addr.to_string(),
            self.respond.clone(),
            self.close_after_one,
        )
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.release();
        if !self.shared.stopped.swap(true, Ordering::SeqCst) {
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        }
        for s in self.shared.streams.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}
