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
use crate::handlers::range::RangeLimits;
use crate::handlers::{self, Reply, RequestClock, RequestEnv};
use crate::http::answer::{self, BodyFailure, in_memory_response, refusal_is_head_only};
use crate::http::body::BodyFraming;
use crate::http::error::HttpError;
use crate::http::framing;
use crate::http::io::{ConnIo, ReadResult};
use crate::http::keepalive::{KeepAlive, KeepAliveInput};
use crate::http::parse::{HeadScanner, HeaderSlots, Scan, parse_request};
use crate::http::request::{Expectation, Method, Request, Version};
use crate::http::response::{CommonHeaders, ErrorContext, Response};
use crate::http::scratch::{self, InBuf, Scratch, Work};
use crate::http::send::{self, BodyMeta};
use crate::http::{ConnEnd, ConnObserver, Phase, Site};
use crate::logging::access::{self, ConnStatus};
use crate::logging::buffer;

#[path = "conn_body.rs"]
mod conn_body;
#[path = "conn_log.rs"]
mod conn_log;
#[path = "conn_proxy.rs"]
mod conn_proxy;

use conn_body::BodyRead;

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

/// A head refused before any handler ran.
struct Refused<'r> {
    /// The bytes received (for the Expect value of a 417 page).
    head: &'r [u8],
    line: &'r [u8],
    err: HttpError,
    bytes_in: u64,
    /// Send nothing (a timeout before the request line was complete).
    silent: bool,
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
                    // Apache answers a timeout with 408 only once the request line is in;
                    // before that it closes silently (logging it on a fresh connection).
                    let silent = err.status == 408 && !scanner.has_request_line();
                    return self.fail(
                        &mut s.work,
                        Refused {
                            head,
                            line,
                            err,
                            bytes_in,
                            silent,
                        },
                        clock,
                        obs,
                    );
                }
            };
            match self.serve_request(s, &scanner, head_len, obs) {
                // The poller writes the rest, then waits for the next request.
                Step::Continue if self.io.write_pending() => return ConnEnd::Parked,
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
        // A keep-alive wait split to write buffered log lines: when the wait ends.
        let mut idle_deadline: Option<Instant> = None;
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
            let idle = !started && self.requests > 0;
            let mut timeout = if idle {
                http.keep_alive_timeout
            } else {
                http.timeout
            };
            // The connection goes idle with access log lines buffered: write them if no
            // request comes within a second.
            let mut flush_wake = false;
            if idle {
                if let Some(deadline) = idle_deadline {
                    timeout = deadline.saturating_duration_since(Instant::now());
                } else if self.site.access_log().is_some_and(|l| l.is_buffered())
                    && buffer::pending_since().is_some()
                    && timeout > buffer::MAX_AGE
                {
                    idle_deadline = Some(Instant::now() + timeout);
                    timeout = buffer::MAX_AGE;
                    flush_wake = true;
                }
            }
            inbuf.make_room(max);
            // A resumed burst never waits (its wake-up may be stale): `WouldBlock` parks it.
            let read = if self.park && idle && self.io.bytes_in == 0 {
                self.io.read_now(inbuf.spare())
            } else {
                self.io.read(inbuf.spare(), timeout)
            };
            match read {
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
                Ok(ReadResult::TimedOut) if flush_wake => access::flush_buffered(),
                Ok(ReadResult::TimedOut) => return Err(HeadEnd::Idle),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Err(HeadEnd::Park),
                Err(e) => return Err(HeadEnd::Io(e)),
            }
        }
    }

    /// Answers a request we cannot serve or trust (unreadable head, limits, 408) with Apache's
    /// page and `Connection: close` (headers only for HEAD; nothing at all for a timeout before
    /// the request line), logs it, and closes.
    fn fail(
        &mut self,
        work: &mut Work,
        r: Refused<'_>,
        clock: RequestClock,
        obs: &mut dyn ConnObserver,
    ) -> ConnEnd {
        let started = Instant::now();
        let ctx = ErrorContext {
            method: answer::method_of(r.line),
            expect: answer::raw_header(r.head, b"expect"),
            note: r.err.note,
            ..ErrorContext::default()
        };
        let response = Response::error(r.err.status, &ctx);
        let head_only = refusal_is_head_only(r.line, &r.err);
        let common = CommonHeaders {
            date: work.dates.get(clock.secs),
            server_line: self.site.server_line(),
        };
        work.out.clear();
        if !r.silent {
            response.serialize(&mut work.out, &common, KeepAlive::Close, head_only);
        }
        let body_len = if r.silent || head_only {
            0
        } else {
            response.body.len()
        };
        obs.phase(Phase::Writing);
        let out_before = self.io.bytes_out;
        let written = self.io.write_all(&work.out);
        work.paths.url_path.clear();
        work.paths.fs_path.clear();
        let outcome = Outcome {
            req: None,
            request_line: r.line,
            status: r.err.status,
            body_bytes: if written.is_ok() { body_len as u64 } else { 0 },
            bytes_in: r.bytes_in,
            conn_status: if written.is_ok() {
                ConnStatus::Close
            } else {
                ConnStatus::Aborted
            },
            head_end: work.out.len() - body_len,
            clock,
            started,
        };
        let sent = self.io.bytes_out - out_before;
        if !r.silent || self.requests == 0 {
            self.log(obs, work, &outcome, sent);
        }
        obs.request_finished(outcome.body_bytes, started.elapsed());
        if let Err(e) = written {
            return ConnEnd::Error(e);
        }
        obs.phase(Phase::Closing);
        self.io.close(!self.park, work.drain_buf());
        if r.err.status == 408 {
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
        // Until this request is logged (a stopping child waits for it: logging/buffer.rs).
        let _in_flight = buffer::InFlight::enter();
        let clock = RequestClock::from_system(SystemTime::now());
        let site = self.site;
        let Scratch { inbuf, work } = s;
        let buf = inbuf.bytes();
        let line = scanner.request_line(buf);
        obs.request_started(line);
        let mut unfolded = Vec::new();
        let mut slots = HeaderSlots::for_count(scanner.header_lines());
        let head = &buf[..head_len];
        let req = match parse_request(head, scanner, slots.as_mut_slice(), &mut unfolded) {
            Ok(req) => req,
            // A head we cannot parse gives no trustworthy framing: answer and close.
            Err(err) => {
                let refused = Refused {
                    head,
                    line,
                    err,
                    bytes_in: head_len as u64,
                    silent: false,
                };
                return Step::End(self.fail(work, refused, clock, obs));
            }
        };
        let http09 = req.version == Version::Http09;
        // Apache marks the slot W as soon as the request is read, before the handler runs
        // (so a status page shows its own slot as W).
        obs.phase(Phase::Writing);
        // Apache refuses an unknown expectation once the head is read (417), without running
        // a handler or reading the body, and closes after the answer, though the answer's
        // headers are those of a connection that stays open.
        let refused_expect = req.expect == Expectation::Unsupported;
        let reply = if refused_expect {
            work.paths.url_path.clear();
            work.paths.fs_path.clear();
            Reply::error(417)
        } else {
            let mut env = RequestEnv {
                client: &mut self.client,
                htaccess: &mut work.htaccess,
                negotiation: &mut work.negotiation,
                board: obs.scoreboard(),
            };
            handlers::handle(
                site,
                &req,
                &mut work.cache,
                &mut work.paths,
                clock,
                &mut env,
            )
        };
        let mut reply = match reply {
            Reply::Proxy(job) => {
                let pr = conn_proxy::ProxyRequest::new(&req, line, head_len, (clock, started));
                let done = self.serve_proxy(work, pr, job, &buf[head_len..], obs);
                return done.resume(inbuf, &work.spill, head_len);
            }
            other => other,
        };
        if matches!(reply, Reply::Trace) && req.body != BodyFraming::None {
            reply = Reply::error(413);
        }

        let body = if req.body == BodyFraming::None || refused_expect {
            BodyRead::default()
        } else {
            self.read_body(&req, &reply, &buf[head_len..], &mut work.spill)
        };
        if let Some(end) = body.aborted {
            work.out.clear();
            let outcome = Outcome {
                req: Some(&req),
                request_line: line,
                status: 400,
                body_bytes: 0,
                bytes_in: head_len as u64 + body.wire,
                conn_status: ConnStatus::Aborted,
                head_end: 0,
                clock,
                started,
            };
            self.log(obs, work, &outcome, 0);
            obs.request_finished(0, started.elapsed());
            return Step::End(end);
        }
        let failure = body.error.map(|status| BodyFailure::new(status, &reply));
        if let Some(status) = body.error {
            reply = Reply::error(status);
        }
        let no_length = failure.is_some_and(|f| f.no_length);

        let status = reply.status();
        let http = site.http();
        // An `Expect: 100-continue` not answered with a 100 (HTTP/1.0, no body, body left
        // unread) keeps Apache from reusing the connection.
        let awaiting_continue = req.expect == Expectation::Continue && !body.continued;
        let head_only = req.method == Method::Head;
        let (has_length, twice) = framing::length_of(&reply);
        let has_length = has_length && !no_length;
        let ka_input = KeepAliveInput {
            enabled: http.keep_alive,
            timeout: http.keep_alive_timeout,
            max_requests: http.max_keep_alive_requests,
            kept_alive_so_far: self.kept_alive,
            http11: req.version == Version::Http11,
            client_close: req.connection.close,
            client_keep_alive: req.connection.keep_alive,
            status,
            // Derived by framing::decide.
            length_known: has_length,
            awaiting_continue,
            must_close: req.must_close || body.must_close || http09,
            stopping: obs.stopping(),
        };
        let framed = framing::decide(&ka_input, has_length, head_only, twice);
        let ka = framed.ka;
        let persists = ka.persists() && !refused_expect;
        // The client said it sends nothing more (RFC 9112 9.6: `Connection: close`, or
        // HTTP/1.0 without keep-alive), and its request was read to the end.
        let client_done = (req.connection.close
            || (req.version != Version::Http11 && !req.connection.keep_alive))
            && !ka_input.must_close
            && !awaiting_continue
            && !refused_expect;
        self.kept_alive += framed.keepalives_used;

        let out_before = self.io.bytes_out;
        let common = CommonHeaders {
            date: work.dates.get(clock.secs),
            server_line: site.server_line(),
        };
        work.out.clear();
        let (written, head_end) = match reply {
            Reply::File(f) => {
                let meta = BodyMeta {
                    content_type: f.content_type(site),
                    accept_ranges: RangeLimits::with_max_ranges(http.max_ranges).accept_ranges(),
                    boundary: site.multipart_boundary(),
                };
                // HTTP/0.9: the body alone.
                if !http09 {
                    send::file_head(&mut work.out, &common, &f, &meta, framed, head_only);
                }
                let head_end = work.out.len();
                // event: the poller may finish a body that would block, if nothing follows it.
                let rest = buf.len() - head_len - body.buffered_consumed;
                self.io.defer_writes = self.park && rest == 0 && body.spill_leftover.is_empty();
                let written = send::send_file_reply(
                    &mut self.io,
                    &work.out,
                    &f,
                    &meta,
                    framed,
                    head_only,
                    site.send_policy(),
                    &mut work.io_buf,
                );
                (written, head_end)
            }
            Reply::Page(p) => {
                let boundary = site.multipart_boundary();
                let (body_len, mut head_end) =
                    send::page_response(&mut work.out, &common, &p, boundary, framed, head_only);
                if http09 {
                    work.out.drain(..head_end);
                    head_end = 0;
                }
                (self.io.write_all(&work.out).map(|()| body_len), head_end)
            }
            other => {
                let mut response = in_memory_response(site, &req, other, failure);
                response.framing = framing::response_framing(framed.delimit);
                if http09 {
                    response.push_body(&mut work.out);
                } else {
                    response.serialize(&mut work.out, &common, ka, head_only);
                }
                let body_len = if head_only { 0 } else { response.body.len() };
                let head_end = match http09 {
                    true => 0,
                    false => framing::head_length(&work.out),
                };
                (
                    self.io.write_all(&work.out).map(|()| body_len as u64),
                    head_end,
                )
            }
        };
        // Apache's %X: `+` only while keep-alive requests remain after this one.
        let max = http.max_keep_alive_requests;
        let conn_status = match (&written, persists) {
            (Err(_), _) => ConnStatus::Aborted,
            (Ok(_), true) if max == 0 || max > self.kept_alive => ConnStatus::KeepAlive,
            (Ok(_), _) => ConnStatus::Close,
        };
        let body_bytes = *written.as_ref().unwrap_or(&0);
        let outcome = Outcome {
            req: Some(&req),
            request_line: line,
            status,
            body_bytes,
            bytes_in: head_len as u64 + body.wire,
            conn_status,
            head_end,
            clock,
            started,
        };
        let sent = self.io.bytes_out - out_before;
        self.log(obs, work, &outcome, sent);
        obs.request_finished(body_bytes, started.elapsed());
        self.requests += 1;

        inbuf.consume(head_len + body.buffered_consumed);
        if !body.spill_leftover.is_empty() {
            inbuf.append(&work.spill[body.spill_leftover]);
        }
        if let Err(e) = written {
            return Step::End(ConnEnd::Error(e));
        }
        if persists {
            return Step::Continue;
        }
        obs.phase(Phase::Closing);
        if client_done && inbuf.is_empty() {
            // Nothing unread, nothing more coming: the close cannot turn into a reset that
            // destroys the response, so there is nothing to linger for (nginx's heuristic;
            // Apache lingers always, and its event MPM pays a poller round for it).
            self.io.close_at_once();
        } else {
            self.io.close(!self.park, work.drain_buf());
        }
        Step::End(ConnEnd::ServerClosed)
    }
}
