//! A proxied request in the keep-alive loop: runs the router's `Reply::Proxy` job through
//! `crate::proxy::forward`, answers the failures it reports with the server's own pages,
//! logs the request and decides how the connection goes on. Kept apart from `conn.rs`; the
//! backend side is entirely `crate::proxy`'s.

use std::ops::Range;
use std::time::Instant;

use super::{Conn, Outcome, Step};
use crate::handlers::{Reply, RequestClock};
use crate::http::answer::in_memory_response;
use crate::http::framing;
use crate::http::keepalive::KeepAliveInput;
use crate::http::request::{Request, Version};
use crate::http::response::{CommonHeaders, ErrorContext, Response};
use crate::http::scratch::{InBuf, Work};
use crate::http::{ConnEnd, ConnObserver, Phase};
use crate::logging::access::ConnStatus;
use crate::proxy::ProxyJob;
use crate::proxy::forward::{self, ClientEnd, ClientSide, RequestInfo};

/// Apache's error notes on a 502 from mod_proxy_http (what its page says after the canned
/// sentence).
const PROXY_502_NOTE: &str = "The proxy server could not handle the request<p>Reason: <strong>Error reading from remote server</strong></p>";

/// What the keep-alive loop does after a proxied request.
pub(super) struct ProxyDone {
    /// Bytes after the head that were request body.
    pub buffered_consumed: usize,
    /// Bytes past the body in the spill buffer (the next request).
    pub spill: Range<usize>,
    pub step: Step,
}

/// The request's part in the log line.
pub(super) struct ProxyRequest<'r, 'h, 'b> {
    pub req: &'r Request<'h, 'b>,
    pub line: &'r [u8],
    pub head_len: usize,
    pub clock: RequestClock,
    pub started: Instant,
}

impl ProxyDone {
    /// Drops the request (head and body) from the read buffer, keeps what followed it, and
    /// says how the loop goes on.
    pub(super) fn resume(self, inbuf: &mut InBuf, spill: &[u8], head_len: usize) -> Step {
        inbuf.consume(head_len + self.buffered_consumed);
        if !self.spill.is_empty() {
            inbuf.append(&spill[self.spill]);
        }
        self.step
    }
}

impl<'r, 'h, 'b> ProxyRequest<'r, 'h, 'b> {
    pub(super) fn new(
        req: &'r Request<'h, 'b>,
        line: &'r [u8],
        head_len: usize,
        (clock, started): (RequestClock, Instant),
    ) -> Self {
        ProxyRequest {
            req,
            line,
            head_len,
            clock,
            started,
        }
    }
}

impl Conn<'_, '_> {
    pub(super) fn serve_proxy(
        &mut self,
        work: &mut Work,
        pr: ProxyRequest<'_, '_, '_>,
        job: ProxyJob,
        rest: &[u8],
        obs: &mut dyn ConnObserver,
    ) -> ProxyDone {
        let site = self.site;
        let req = pr.req;
        let http = site.http();
        let proxy = site
            .proxy()
            .expect("a proxy job comes from the site's proxy");
        let public_host = match req.host {
            Some(h) => h.to_string(),
            None if self.local.port() == 80 => site.server_name().to_string(),
            None => format!("{}:{}", site.server_name(), self.local.port()),
        };
        let ka = KeepAliveInput {
            enabled: http.keep_alive,
            timeout: http.keep_alive_timeout,
            max_requests: http.max_keep_alive_requests,
            kept_alive_so_far: self.kept_alive,
            http11: req.version == Version::Http11,
            client_close: req.connection.close,
            client_keep_alive: req.connection.keep_alive,
            status: 200,
            length_known: true,
            awaiting_continue: false,
            must_close: req.must_close,
            stopping: obs.stopping(),
        };
        let date = *work.dates.get(pr.clock.secs);
        let info = RequestInfo {
            req,
            client_ip: self.peer.ip(),
            public_host: &public_host,
            server_name: site.server_name(),
            body_limit: site.limits().body,
            client_timeout: http.timeout,
            date: &date,
            server_line: site.server_line(),
            ka,
        };
        let out_before = self.io.bytes_out;
        let outcome = {
            let mut client = ClientSide {
                io: &mut self.io,
                buffered: rest,
                spill: &mut work.spill,
                out: &mut work.out,
            };
            let mut bufs =
                forward::Buffers::new(&mut work.proxy_body, &mut work.proxy_head, &mut work.io_buf);
            forward::forward(proxy, &job, &info, &mut client, &mut bufs)
        };
        let max = http.max_keep_alive_requests;
        let (status, body_bytes, head_end, conn_status, body, step) = match outcome {
            forward::Outcome::Relayed {
                status,
                body_bytes,
                head_end,
                end,
                keepalives_used,
                body,
            } => {
                self.kept_alive += keepalives_used;
                let (conn_status, step) = match end {
                    ClientEnd::Persist if max == 0 || max > self.kept_alive => {
                        (ConnStatus::KeepAlive, None)
                    }
                    ClientEnd::Persist => (ConnStatus::Close, None),
                    ClientEnd::Close => (ConnStatus::Close, Some(ConnEnd::ServerClosed)),
                    ClientEnd::Abort(e) => (ConnStatus::Aborted, Some(ConnEnd::Error(e))),
                };
                (status, body_bytes, head_end, conn_status, body, step)
            }
            forward::Outcome::Refused { status, body, .. } => {
                let (written, conn_status, head_end, body_len, persists) =
                    self.proxy_error_page(work, req, status, body.unread, &ka, pr.clock);
                let step = match written {
                    Err(e) => Some(ConnEnd::Error(e)),
                    Ok(()) if persists => None,
                    Ok(()) => Some(ConnEnd::ServerClosed),
                };
                (status, body_len, head_end, conn_status, body, step)
            }
            forward::Outcome::ClientGone { error, body } => {
                work.out.clear();
                let end = match error {
                    Some(e) => ConnEnd::Error(e),
                    None => ConnEnd::ClientClosed,
                };
                (400, 0, 0, ConnStatus::Aborted, body, Some(end))
            }
        };
        let outcome = Outcome {
            req: Some(req),
            request_line: pr.line,
            status,
            body_bytes,
            bytes_in: pr.head_len as u64 + body.wire,
            conn_status,
            head_end,
            clock: pr.clock,
            started: pr.started,
        };
        let sent = self.io.bytes_out - out_before;
        self.log(obs, work, &outcome, sent);
        obs.request_finished(body_bytes, pr.started.elapsed());
        self.requests += 1;
        let step = match step {
            None => Step::Continue,
            Some(ConnEnd::ServerClosed) => {
                obs.phase(Phase::Closing);
                self.io.close(!self.park, work.drain_buf());
                Step::End(ConnEnd::ServerClosed)
            }
            Some(end) => Step::End(end),
        };
        ProxyDone {
            buffered_consumed: body.buffered_consumed,
            spill: body.spill,
            step,
        }
    }

    /// Sends the server's page for `status` (a proxy failure found before anything was sent).
    /// Returns the write result, the log's connection status, the head length, the body
    /// length sent, and whether the connection persists.
    fn proxy_error_page(
        &mut self,
        work: &mut Work,
        req: &Request<'_, '_>,
        status: u16,
        body_unread: bool,
        ka: &KeepAliveInput,
        clock: RequestClock,
    ) -> (std::io::Result<()>, ConnStatus, usize, u64, bool) {
        let site = self.site;
        let head_only = req.is_head();
        let input = KeepAliveInput {
            status,
            must_close: ka.must_close || body_unread,
            ..*ka
        };
        let framed = framing::decide(&input, true, head_only, false);
        self.kept_alive += framed.keepalives_used;
        let mut response = if status == 502 {
            // mod_proxy's ap_proxyerror: "502 Proxy Error" with the reason in the page.
            let ctx = ErrorContext {
                method: req.method_str,
                reason: Some("Proxy Error"),
                note: Some(PROXY_502_NOTE),
                ..ErrorContext::default()
            };
            Response::error(502, &ctx)
        } else {
            in_memory_response(site, req, Reply::error(status), None)
        };
        response.framing = framing::response_framing(framed.delimit);
        let common = CommonHeaders {
            date: work.dates.get(clock.secs),
            server_line: site.server_line(),
        };
        work.out.clear();
        response.serialize(&mut work.out, &common, framed.ka, head_only);
        let body_len = if head_only { 0 } else { response.body.len() };
        let head_end = framing::head_length(&work.out);
        let written = self.io.write_all(&work.out);
        let max = site.http().max_keep_alive_requests;
        let persists = framed.ka.persists();
        let conn_status = match (&written, persists) {
            (Err(_), _) => ConnStatus::Aborted,
            (Ok(_), true) if max == 0 || max > self.kept_alive => ConnStatus::KeepAlive,
            (Ok(_), _) => ConnStatus::Close,
        };
        let body_len = if written.is_ok() { body_len as u64 } else { 0 };
        (written, conn_status, head_end, body_len, persists)
    }
}
