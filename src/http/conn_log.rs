//! The access log line of one request: the connection's view of it (`Outcome`) turned into a
//! `LogRecord` for the configured format. Kept apart from the keep-alive loop in `conn.rs`;
//! it does no I/O but the log write.

use super::{Conn, Outcome};
use crate::http::ConnObserver;
use crate::http::Phase;
use crate::http::scratch::Work;
use crate::logging::access::LogRecord;

impl Conn<'_, '_> {
    /// Formats and writes the access log line (if there is an access log).
    pub(super) fn log(
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
        let tid = if log.format().uses_tid() {
            crate::sys::fdio::thread_id()
        } else {
            0
        };
        let utc_offset = work.tz.get(o.clock.secs);
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
            protocol: req.map_or(b"", |r| r.protocol.as_bytes()),
            request_headers: req.map_or(&[], |r| r.headers),
            response_head: &work.out[..o.head_end],
            status: o.status,
            body_bytes: o.body_bytes,
            bytes_in: o.bytes_in,
            bytes_out,
            request_micros: o.clock.micros,
            utc_offset,
            zone: work.tz.zone(),
            duration: o.started.elapsed(),
            keepalives: self.kept_alive.saturating_sub(1),
            conn_status: o.conn_status,
            server_name: self.site.server_name(),
            host: req.and_then(|r| r.host),
            pid,
            tid,
            filename: &paths.fs_path,
        };
        work.log_line.clear();
        log.format().format(&record, &mut work.log_line);
        if let Err(e) = log.write_line(&work.log_line) {
            log::warn!("could not write the access log: {e}");
        }
    }
}
