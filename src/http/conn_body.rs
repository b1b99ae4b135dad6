//! Reading (and dropping) a request body in the keep-alive loop before the handler's answer
//! goes out, as Apache's discard does; what it leaves behind for the next request.

use super::Conn;
use crate::handlers::Reply;
use crate::http::ConnEnd;
use crate::http::answer::reads_body_first;
use crate::http::body::{BodyDecoder, BodyError, BodyReader};
use crate::http::keepalive::DROP_STATUSES;
use crate::http::request::{Expectation, Request, Version};

/// What reading the request body left behind.
#[derive(Default)]
pub(super) struct BodyRead {
    /// Bytes of the read buffer after the head that belonged to the body.
    pub(super) buffered_consumed: usize,
    /// Bytes read past the body (the next request), in `Work::spill`.
    pub(super) spill_leftover: std::ops::Range<usize>,
    /// Body bytes on the wire (`%I`).
    pub(super) wire: u64,
    /// A `100 Continue` was sent.
    pub(super) continued: bool,
    /// The connection cannot be reused (body unread, or broken).
    pub(super) must_close: bool,
    /// Reading the body failed: answer this status instead.
    pub(super) error: Option<u16>,
    /// The client went away mid-body: nothing more to send.
    pub(super) aborted: Option<ConnEnd>,
}

impl Conn<'_, '_> {
    /// Reads and drops the request body (Apache's discard) before `reply` is sent. A refusal
    /// made before the handler leaves it unread when the connection closes anyway or the client
    /// waits for a 100 (which is then never sent).
    /// `rest` = the bytes read after the head.
    pub(super) fn read_body(
        &mut self,
        req: &Request<'_, '_>,
        reply: &Reply<'_>,
        rest: &[u8],
        spill: &mut Vec<u8>,
    ) -> BodyRead {
        let mut out = BodyRead::default();
        let wants_continue = req.expect == Expectation::Continue;
        let handler_answer = reads_body_first(reply);
        if !handler_answer && (DROP_STATUSES.contains(&reply.status()) || wants_continue) {
            out.must_close = true;
            return out;
        }
        let dec = match BodyDecoder::new(req.body, self.site.limits().body) {
            Ok(dec) => dec,
            Err(e) => {
                out.error = Some(e.status());
                out.must_close = true;
                return out;
            }
        };
        let send_continue = wants_continue && req.version == Version::Http11;
        let timeout = self.site.http().timeout;
        let mut rd = BodyReader::new(dec, rest, spill, &mut self.io, timeout, send_continue);
        let result = rd.discard();
        let left = rd.finish();
        out.wire = left.wire;
        // The 100 goes out before the first read, so any outcome but a failed write means
        // it was sent.
        out.continued = send_continue && !matches!(result, Err(BodyError::Io(_)));
        match result {
            Ok(()) => {
                out.buffered_consumed = left.buffered_consumed;
                out.spill_leftover = left.spill;
            }
            Err(BodyError::Io(e)) => out.aborted = Some(ConnEnd::Error(e)),
            Err(BodyError::Closed) => out.aborted = Some(ConnEnd::ClientClosed),
            Err(e) => {
                out.error = Some(e.status());
                out.must_close = true;
            }
        }
        out
    }
}
