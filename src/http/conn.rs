//! The keep-alive loop for one connection: read a head, serve it, log it, repeat.
//!
//! Owns the timing rules (Apache's): `timeout` for the first request and for any request whose
//! bytes have started to arrive, `keep_alive_timeout` while idle between requests, lingering
//! close after we decide to close. Graceful stop never cuts a connection: `stopping()` only
//! turns the next response into the last one (`Connection: close`); an idle connection keeps
//! waiting for its next request (which is then served, closing) until its keep-alive timeout.
//! Decisions are delegated to pure modules (`parse`, `keepalive`, `handlers`); this file only
//! sequences them and does the I/O through `io.rs` and `send.rs`.

use std::net::{SocketAddr, TcpStream};
use std::time::{Instant, SystemTime};

use crate::handlers::client::Client;
use crate::handlers::{self, Reply, RequestClock, RequestEnv};
use crate::http::body::{BodyDecoder, BodyError, BodyFraming, BodyReader};
use crate::http::error::HttpError;
use crate::http::io::{ConnIo, ReadResult};
use crate::http::keepalive::{self, DROP_STATUSES, KeepAlive, KeepAliveInput};
use crate::http::parse::{HeadScanner, HeaderSlots, Scan, parse_request};
use crate::http::request::{Method, Request, Version};
use crate::http::response::{CommonHeaders, ErrorContext, Response};
use crate::http::scratch::{self, InBuf, Scratch, Work};
use crate::http::send;
use crate::http::{ConnEnd, ConnObserver, Phase, Site};
use crate::logging::access::{ConnStatus, LogRecord};

/// Serve one connection to completion (keep-alive loop included). Blocking I/O; the stream is
/// in blocking mode; SO_RCVTIMEO/SO_SNDTIMEO implement `timeout` and `keep_alive_timeout`
/// (set only when the value changes). The stream is closed when this returns.
pub fn serve_connection(
    site: &Site,
    stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    obs: &mut dyn ConnObserver,
) -> ConnEnd {
    let mut s = scratch::take();
    let mut conn = Conn {
        site,
        peer,
        local,
        client: Client::new(peer, local),
        io: ConnIo::new(&stream),
        requests: 0,
        kept_alive: 0,
        pid: None,
        park: false,
    };
    let end = conn.run(&mut s, obs);
    scratch::give_back(s);
    end
}

/// Why no head could be read.
enum HeadEnd {
    Closed,
    Idle,
    /// Idle between requests, and the event MPM's poller does the waiting (`park`).
    Park,
    Io(std::io::Error),
    Reject(HttpError),
}

/// What comes after a request.
enum Step {
    Continue,
    End(ConnEnd),
}

/// One connection's state.
pub(super) struct Conn<'a, 's> {
    pub(super) site: &'a Site,
    pub(super) peer: SocketAddr,
    pub(super) local: SocketAddr,
    /// The client, its host names looked up at most once per connection.
    pub(super) client: Client,
    pub(super) io: ConnIo<'s>,
    /// Requests answered so far.
    pub(super) requests: u32,
    /// Responses that kept the connection alive (Apache's `keepalives`).
    pub(super) kept_alive: u32,
    pub(super) pid: Option<u32>,
    /// Served in bursts (event MPM, `burst.rs`): the idle wait between requests and the
    /// lingering close happen in the poller, not in this thread.
    pub(super) park: bool,
}

/// What the log line says about a request beyond the connection's fixed parts.
struct Outcome<'r> {
    req: Option<&'r Request<'r, 'r>>,
    request_line: &'r [u8],
    status: u16,
    body_bytes: u64,
    bytes_in: u64,
    conn_status: ConnStatus,
    /// Length of the response head at the start of `Work::out` (for `%{..}o`).
    head_end: usize,
    clock: RequestClock,
    started: Instant,
}

/// The first value of header `name` (lower case) in a raw head, for error pages about heads
/// that did not parse.
fn raw_header<'h>(head: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        line[..colon]
            .eq_ignore_ascii_case(name)
            .then(|| line[colon + 1..].trim_ascii())
    })
}

/// The method token of a request line, for error pages about heads that did not parse.
fn method_of(line: &[u8]) -> &str {
    std::str::from_utf8(line.split(|&b| b == b' ').next().unwrap_or(b"")).unwrap_or("")
}

impl<'a, 's> Conn<'a, 's> {
    pub(super) fn run(&mut self, s: &mut Scratch, obs: &mut dyn ConnObserver) -> ConnEnd {
        if let Err(e) = self.io.setup(self.site.http().timeout) {
            return ConnEnd::Error(e);
        }
        obs.phase(Phase::Reading);
        loop {
            let mut scanner = HeadScanner::new();
            let head_len = match self.read_head(&mut s.inbuf, &mut scanner, obs) {
                Ok(n) => n,
                Err(HeadEnd::Park) => return ConnEnd::Parked,
                Err(HeadEnd::Closed) => return ConnEnd::ClientClosed,
                Err(HeadEnd::Idle) if self.requests == 0 => return ConnEnd::ReadTimeout,
                Err(HeadEnd::Idle) => return ConnEnd::KeepAliveTimeout,
                Err(HeadEnd::Io(e)) => return ConnEnd::Error(e),
                Err(HeadEnd::Reject(err)) => {
                    let clock = RequestClock::from_system(SystemTime::now());
                    let line = scanner.request_line(s.inbuf.bytes());
                    obs.request_started(line);
                    let bytes_in = s.inbuf.len() as u64;
                    let head = s.inbuf.bytes();
                    return self.fail(
                        &mut s.work,
                        head,
                        line,
                        err,
                        bytes_in,
                        clock,
                        Instant::now(),
                        obs,
                    );
                }
            };
            match self.serve_request(s, &scanner, head_len, obs) {
                Step::Continue => obs.phase(Phase::KeepAlive),
                Step::End(end) => return end,
            }
        }
    }

    /// Reads until `scanner` finds a complete head at the start of the buffer.
    fn read_head(
        &mut self,
        inbuf: &mut InBuf,
        scanner: &mut HeadScanner,
        obs: &mut dyn ConnObserver,
    ) -> Result<usize, HeadEnd> {
        let limits = *self.site.limits();
        let max = limits.max_head_len();
        loop {
            if !inbuf.is_empty() {
                match scanner.scan(inbuf.bytes(), &limits) {
                    Ok(Scan::Complete { head_len }) => return Ok(head_len),
                    Ok(Scan::Incomplete) => {}
                    Err(e) => return Err(HeadEnd::Reject(e)),
                }
                if inbuf.len() >= max {
                    return Err(HeadEnd::Reject(HttpError::bad_request(
                        "request head too large",
                    )));
                }
            }
            let started = !inbuf.is_empty();
            // A burst reads what woke it; the next idle wait is the poller's.
            if self.park && !started && self.requests > 0 && self.io.bytes_in > 0 {
                return Err(HeadEnd::Park);
            }
            let http = self.site.http();
            let timeout = if started || self.requests == 0 {
                http.timeout
            } else {
                http.keep_alive_timeout
            };
            inbuf.make_room(max);
            match self.io.read(inbuf.spare(), timeout) {
                Ok(ReadResult::Data(n)) => {
                    if !started && self.requests > 0 {
                        obs.phase(Phase::Reading);
                    }
                    inbuf.filled(n);
                }
                Ok(ReadResult::Eof) => return Err(HeadEnd::Closed),
                Ok(ReadResult::TimedOut) if started => {
                    return Err(HeadEnd::Reject(HttpError::new(
                        408,
                        "timed out reading the request",
                    )));
                }
                Ok(ReadResult::TimedOut) => return Err(HeadEnd::Idle),
                Err(e) => return Err(HeadEnd::Io(e)),
            }
        }
    }

    /// Answers a request we cannot serve or trust (unreadable head, limits, 408) with Apache's
    /// page and `Connection: close`, logs it, and closes.
    #[allow(clippy::too_many_arguments)]
    fn fail(
        &mut self,
        work: &mut Work,
        head: &[u8],
        line: &[u8],
        err: HttpError,
        bytes_in: u64,
        clock: RequestClock,
        started: Instant,
        obs: &mut dyn ConnObserver,
    ) -> ConnEnd {
        let ctx = ErrorContext {
            method: method_of(line),
            location: None,
            allow: None,
            expect: raw_header(head, b"expect"),
            recursive_error: None,
        };
        let response = Response::error(err.status, &ctx);
        let common = CommonHeaders {
            date: work.dates.get(clock.secs),
            server_line: self.site.server_line(),
        };
        response.serialize(&mut work.out, &common, KeepAlive::Close, false);
        obs.phase(Phase::Writing);
        let out_before = self.io.bytes_out;
        let written = self.io.write_all(&work.out);
        work.paths.url_path.clear();
        work.paths.fs_path.clear();
        let outcome = Outcome {
            req: None,
            request_line: line,
            status: err.status,
            body_bytes: if written.is_ok() {
                response.body.len() as u64
            } else {
                0
            },
            bytes_in,
            conn_status: if written.is_ok() {
                ConnStatus::Close
            } else {
                ConnStatus::Aborted
            },
            head_end: work.out.len() - response.body.len(),
            clock,
            started,
        };
        let sent = self.io.bytes_out - out_before;
        self.log(obs, work, &outcome, sent);
        obs.request_finished(outcome.body_bytes, started.elapsed());
        if let Err(e) = written {
            return ConnEnd::Error(e);
        }
        obs.phase(Phase::Closing);
        self.io.close(!self.park, work.drain_buf());
        if err.status == 408 {
            ConnEnd::ReadTimeout
        } else {
            ConnEnd::ServerClosed
        }
    }

    /// Parses, handles, answers and logs one request whose head is `head_len` bytes.
    fn serve_request(
        &mut self,
        s: &mut Scratch,
        scanner: &HeadScanner,
        head_len: usize,
        obs: &mut dyn ConnObserver,
    ) -> Step {
        let started = Instant::now();
        let clock = RequestClock::from_system(SystemTime::now());
        let site = self.site;
        let Scratch { inbuf, work } = s;
        let buf = inbuf.bytes();
        let line = scanner.request_line(buf);
        obs.request_started(line);
        let mut slots = HeaderSlots::for_count(scanner.header_lines());
        let req = match parse_request(&buf[..head_len], slots.as_mut_slice()) {
            Ok(req) => req,
            // A head we cannot parse gives no trustworthy framing: answer and close.
            Err(err) => {
                let head = &buf[..head_len];
                return Step::End(self.fail(
                    work,
                    head,
                    line,
                    err,
                    head_len as u64,
                    clock,
                    started,
                    obs,
                ));
            }
        };
        let mut env = RequestEnv {
            client: &mut self.client,
            htaccess: &mut work.htaccess,
        };
        let mut reply = handlers::handle(
            site,
            &req,
            &mut work.cache,
            &mut work.paths,
            clock,
            &mut env,
        );
        if matches!(reply, Reply::Trace) && req.body != BodyFraming::None {
            reply = Reply::error(413);
        }

        // The request body: read and dropped (Apache's discard), unless the answer closes the
        // connection anyway or the client still waits for a 100 we will not send.
        let mut must_close = req.must_close;
        let mut awaiting_continue = req.expect_continue && req.body != BodyFraming::None;
        let (mut buffered_consumed, mut spill_leftover, mut body_wire) = (0, 0..0, 0);
        if req.body != BodyFraming::None {
            let status = reply.status();
            if DROP_STATUSES.contains(&status) || (awaiting_continue && status >= 400) {
                must_close = true;
            } else {
                match BodyDecoder::new(req.body, site.limits().body) {
                    Err(e) => {
                        reply = Reply::error(e.status());
                        must_close = true;
                    }
                    Ok(dec) => {
                        let send_continue = req.expect_continue && req.version == Version::Http11;
                        let timeout = site.http().timeout;
                        let rest = &buf[head_len..];
                        let mut rd = BodyReader::new(
                            dec,
                            rest,
                            &mut work.spill,
                            &mut self.io,
                            timeout,
                            send_continue,
                        );
                        let result = rd.discard();
                        let left = rd.finish();
                        body_wire = left.wire;
                        match result {
                            Ok(()) => {
                                awaiting_continue = false;
                                buffered_consumed = left.buffered_consumed;
                                spill_leftover = left.spill;
                            }
                            Err(e @ (BodyError::Closed | BodyError::Io(_))) => {
                                work.out.clear();
                                let outcome = Outcome {
                                    req: Some(&req),
                                    request_line: line,
                                    status: 400,
                                    body_bytes: 0,
                                    bytes_in: head_len as u64 + body_wire,
                                    conn_status: ConnStatus::Aborted,
                                    head_end: 0,
                                    clock,
                                    started,
                                };
                                self.log(obs, work, &outcome, 0);
                                obs.request_finished(0, started.elapsed());
                                return Step::End(match e {
                                    BodyError::Io(e) => ConnEnd::Error(e),
                                    _ => ConnEnd::ClientClosed,
                                });
                            }
                            Err(e) => {
                                reply = Reply::error(e.status());
                                must_close = true;
                            }
                        }
                    }
                }
            }
        }

        let status = reply.status();
        let http = site.http();
        let ka = keepalive::decide(&KeepAliveInput {
            enabled: http.keep_alive,
            timeout: http.keep_alive_timeout,
            max_requests: http.max_keep_alive_requests,
            kept_alive_so_far: self.kept_alive,
            http11: req.version == Version::Http11,
            client_close: req.connection.close,
            client_keep_alive: req.connection.keep_alive,
            status,
            length_known: true,
            awaiting_continue,
            must_close,
            stopping: obs.stopping(),
        });
        if ka.persists() {
            self.kept_alive += 1;
        }

        obs.phase(Phase::Writing);
        let out_before = self.io.bytes_out;
        let common = CommonHeaders {
            date: work.dates.get(clock.secs),
            server_line: site.server_line(),
        };
        let head_only = req.method == Method::Head;
        let (written, head_end) = match &reply {
            Reply::File(f) => {
                send::file_head(&mut work.out, &common, f, f.content_type(site), ka);
                let head_end = work.out.len();
                let written = if head_only || f.status == 304 {
                    self.io.write_all(&work.out).map(|()| 0)
                } else {
                    send::send_file(
                        &mut self.io,
                        &work.out,
                        f.file,
                        site.send_policy(),
                        &mut work.io_buf,
                    )
                    .map(|()| f.file.len())
                };
                (written, head_end)
            }
            other => {
                let response = in_memory_response(site, &req, other);
                response.serialize(&mut work.out, &common, ka, head_only);
                let body_len = if head_only { 0 } else { response.body.len() };
                let head_end = work.out.len() - body_len;
                (
                    self.io.write_all(&work.out).map(|()| body_len as u64),
                    head_end,
                )
            }
        };
        let conn_status = match (&written, ka) {
            (Err(_), _) => ConnStatus::Aborted,
            (Ok(_), KeepAlive::Close) => ConnStatus::Close,
            (Ok(_), KeepAlive::Persist { .. }) => ConnStatus::KeepAlive,
        };
        let body_bytes = *written.as_ref().unwrap_or(&0);
        let outcome = Outcome {
            req: Some(&req),
            request_line: line,
            status,
            body_bytes,
            bytes_in: head_len as u64 + body_wire,
            conn_status,
            head_end,
            clock,
            started,
        };
        let sent = self.io.bytes_out - out_before;
        self.log(obs, work, &outcome, sent);
        obs.request_finished(body_bytes, started.elapsed());
        self.requests += 1;

        inbuf.consume(head_len + buffered_consumed);
        if !spill_leftover.is_empty() {
            inbuf.append(&work.spill[spill_leftover]);
        }
        if let Err(e) = written {
            return Step::End(ConnEnd::Error(e));
        }
        if ka.persists() {
            return Step::Continue;
        }
        obs.phase(Phase::Closing);
        self.io.close(!self.park, work.drain_buf());
        Step::End(ConnEnd::ServerClosed)
    }

    /// Formats and writes the access log line (if there is an access log).
    fn log(
        &mut self,
        obs: &mut dyn ConnObserver,
        work: &mut Work,
        o: &Outcome<'_>,
        bytes_out: u64,
    ) {
        let Some(log) = self.site.access_log() else {
            return;
        };
        obs.phase(Phase::Logging);
        let pid = if log.format().uses_pid() {
            *self.pid.get_or_insert_with(std::process::id)
        } else {
            0
        };
        let req = o.req;
        let paths = &work.paths;
        let remote_host = self.client.log_name(self.site.http().hostname_lookups);
        let record = LogRecord {
            peer: self.peer,
            local: self.local,
            remote_host,
            request_line: o.request_line,
            method: req.map_or(b"", |r| r.method_str.as_bytes()),
            url_path: match (paths.url_path.is_empty(), req) {
                (false, _) => &paths.url_path,
                (true, Some(r)) => r.path.as_bytes(),
                (true, None) => b"",
            },
            query: req.and_then(|r| r.query).map(str::as_bytes),
            protocol: req.map_or(b"", |r| r.version.as_str().as_bytes()),
            request_headers: req.map_or(&[], |r| r.headers),
            response_head: &work.out[..o.head_end],
            status: o.status,
            body_bytes: o.body_bytes,
            bytes_in: o.bytes_in,
            bytes_out,
            request_micros: o.clock.micros,
            utc_offset: work.tz.get(o.clock.secs),
            duration: o.started.elapsed(),
            keepalives: self.kept_alive.saturating_sub(1),
            conn_status: o.conn_status,
            server_name: self.site.server_name(),
            host: req.and_then(|r| r.host),
            pid,
            filename: &paths.fs_path,
        };
        work.log_line.clear();
        log.format().format(&record, &mut work.log_line);
        if let Err(e) = log.write_line(&work.log_line) {
            log::warn!("could not write the access log: {e}");
        }
    }
}

/// OPTIONS, TRACE and error replies.
fn in_memory_response(site: &Site, req: &Request<'_, '_>, reply: &Reply<'_>) -> Response {
    match reply {
        Reply::Options => Response::new(200).with_header("Allow", site.allow()),
        Reply::Trace => {
            // Apache's ap_send_http_trace: the request line and headers as received.
            let mut body = Vec::with_capacity(req.head_len);
            body.extend_from_slice(req.request_line);
            body.extend_from_slice(b"\r\n");
            for h in req.headers {
                body.extend_from_slice(h.name.as_bytes());
                body.extend_from_slice(b": ");
                body.extend_from_slice(h.value);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"\r\n");
            let mut r = Response::new(200);
            r.content_type = Some("message/http".to_string());
            r.body = body;
            r
        }
        Reply::Error { status, location } => {
            let ctx = ErrorContext {
                method: req.method_str,
                location: location.as_deref(),
                allow: Some(site.allow()),
                expect: None,
                recursive_error: None,
            };
            Response::error(*status, &ctx)
        }
        Reply::ErrorRecursive { status, recursive } => {
            let ctx = ErrorContext {
                method: req.method_str,
                location: None,
                allow: Some(site.allow()),
                expect: None,
                recursive_error: Some(*recursive),
            };
            Response::error(*status, &ctx)
        }
        Reply::ErrorText { status, text } => {
            let ctx = ErrorContext {
                method: req.method_str,
                allow: Some(site.allow()),
                ..ErrorContext::default()
            };
            let mut r = Response::error(*status, &ctx);
            r.body = text.as_bytes().to_vec();
            r
        }
        Reply::File(_) => unreachable!("files are sent by send.rs"),
    }
}
