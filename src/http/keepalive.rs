//! Apache's keep-alive decision (`ap_set_keepalive`), as a pure function.
//!
//! Given what the request asked for, what the response is and how the connection has been
//! used, decide whether the connection persists and which `Connection` / `Keep-Alive` headers
//! the response carries. The connection loop applies the answer; nothing here does I/O.

use std::time::Duration;

/// Statuses after which Apache always drops the connection (`ap_status_drops_connection`).
pub const DROP_STATUSES: [u16; 8] = [400, 408, 411, 413, 414, 500, 503, 501];

/// Everything `ap_set_keepalive` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAliveInput {
    /// KeepAlive on.
    pub enabled: bool,
    /// KeepAliveTimeout (0 disables keep-alive, as in Apache).
    pub timeout: Duration,
    /// MaxKeepAliveRequests; 0 = unlimited.
    pub max_requests: u32,
    /// Responses already sent on this connection that kept it alive (Apache's `keepalives`).
    pub kept_alive_so_far: u32,
    /// The request is HTTP/1.1 (or later).
    pub http11: bool,
    /// The request's Connection header has `close`.
    pub client_close: bool,
    /// The request's Connection header has `keep-alive`.
    pub client_keep_alive: bool,
    /// Response status.
    pub status: u16,
    /// The response body length is known (Content-Length, HEAD, 304/204, or chunked).
    pub length_known: bool,
    /// The client sent `Expect: 100-continue` and the body was never asked for.
    pub awaiting_continue: bool,
    /// Something earlier marked the connection for closing (framing trouble, body unread).
    pub must_close: bool,
    /// The child is stopping (graceful restart/stop, max connections reached).
    pub stopping: bool,
}

/// What to do after this response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAlive {
    /// Keep the connection. `header` is `Some((timeout_secs, max_left))` when the client sent
    /// the `keep-alive` token: reply `Keep-Alive: timeout=T[, max=N]` and
    /// `Connection: Keep-Alive` (`max_left` is `None` when MaxKeepAliveRequests is 0).
    Persist { header: Option<(u64, Option<u32>)> },
    /// Reply `Connection: close` and close after the response.
    Close,
}

impl KeepAlive {
    pub fn persists(self) -> bool {
        matches!(self, KeepAlive::Persist { .. })
    }
}

/// `ap_set_keepalive`, condition by condition in Apache's order.
pub fn decide(i: &KeepAliveInput) -> KeepAlive {
    let left = i.max_requests.saturating_sub(i.kept_alive_so_far);
    let persist = !i.must_close
        && !i.awaiting_continue
        && i.length_known
        && i.enabled
        && !i.timeout.is_zero()
        && (i.max_requests == 0 || left > 0)
        && !DROP_STATUSES.contains(&i.status)
        && !i.client_close
        && (i.client_keep_alive || i.http11)
        && !i.stopping;
    if !persist {
        return KeepAlive::Close;
    }
    let header = i.client_keep_alive.then(|| {
        let max = (i.max_requests != 0).then_some(left);
        (i.timeout.as_secs(), max)
    });
    KeepAlive::Persist { header }
}

/// Appends the `Keep-Alive` / `Connection` header lines for `ka` to a response head.
pub fn push_headers(out: &mut Vec<u8>, ka: KeepAlive) {
    match ka {
        KeepAlive::Persist { header: None } => {}
        KeepAlive::Persist {
            header: Some((timeout, max)),
        } => {
            out.extend_from_slice(b"Keep-Alive: timeout=");
            crate::http::response::push_u64(out, timeout);
            if let Some(max) = max {
                out.extend_from_slice(b", max=");
                crate::http::response::push_u64(out, u64::from(max));
            }
            out.extend_from_slice(b"\r\nConnection: Keep-Alive\r\n");
        }
        KeepAlive::Close => out.extend_from_slice(b"Connection: close\r\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> KeepAliveInput {
        KeepAliveInput {
            enabled: true,
            timeout: Duration::from_secs(5),
            max_requests: 100,
            kept_alive_so_far: 0,
            http11: true,
            client_close: false,
            client_keep_alive: false,
            status: 200,
            length_known: true,
            awaiting_continue: false,
            must_close: false,
            stopping: false,
        }
    }

    #[test]
    fn decision_table() {
        let p = KeepAlive::Persist { header: None };
        type Case = (&'static str, fn(&mut KeepAliveInput), KeepAlive);
        let cases: &[Case] = &[
            ("http/1.1 default persists", |_| {}, p),
            (
                "http/1.0 without keep-alive closes",
                |i| i.http11 = false,
                KeepAlive::Close,
            ),
            (
                "http/1.0 keep-alive persists with header",
                |i| {
                    i.http11 = false;
                    i.client_keep_alive = true;
                },
                KeepAlive::Persist {
                    header: Some((5, Some(100))),
                },
            ),
            (
                "http/1.1 keep-alive token also gets the header",
                |i| {
                    i.client_keep_alive = true;
                    i.kept_alive_so_far = 99;
                },
                KeepAlive::Persist {
                    header: Some((5, Some(1))),
                },
            ),
            (
                "unlimited max omits max=",
                |i| {
                    i.client_keep_alive = true;
                    i.max_requests = 0;
                    i.kept_alive_so_far = 5000;
                },
                KeepAlive::Persist {
                    header: Some((5, None)),
                },
            ),
            (
                "max reached closes",
                |i| i.kept_alive_so_far = 100,
                KeepAlive::Close,
            ),
            ("client close", |i| i.client_close = true, KeepAlive::Close),
            ("keep_alive off", |i| i.enabled = false, KeepAlive::Close),
            (
                "zero timeout",
                |i| i.timeout = Duration::ZERO,
                KeepAlive::Close,
            ),
            ("stopping", |i| i.stopping = true, KeepAlive::Close),
            (
                "awaiting 100-continue",
                |i| i.awaiting_continue = true,
                KeepAlive::Close,
            ),
            (
                "unknown length",
                |i| i.length_known = false,
                KeepAlive::Close,
            ),
            ("must close", |i| i.must_close = true, KeepAlive::Close),
            ("400", |i| i.status = 400, KeepAlive::Close),
            ("408", |i| i.status = 408, KeepAlive::Close),
            ("411", |i| i.status = 411, KeepAlive::Close),
            ("413", |i| i.status = 413, KeepAlive::Close),
            ("414", |i| i.status = 414, KeepAlive::Close),
            ("500", |i| i.status = 500, KeepAlive::Close),
            ("501", |i| i.status = 501, KeepAlive::Close),
            ("503", |i| i.status = 503, KeepAlive::Close),
            ("404 persists", |i| i.status = 404, p),
            ("405 persists", |i| i.status = 405, p),
            ("301 persists", |i| i.status = 301, p),
            ("304 persists", |i| i.status = 304, p),
            ("505 persists (not a drop status)", |i| i.status = 505, p),
            (
                "sub-second timeout truncates to 0 in the header",
                |i| {
                    i.client_keep_alive = true;
                    i.timeout = Duration::from_millis(500);
                },
                KeepAlive::Persist {
                    header: Some((0, Some(100))),
                },
            ),
        ];
        for (name, tweak, want) in cases {
            let mut i = base();
            tweak(&mut i);
            assert_eq!(decide(&i), *want, "{name}");
        }
    }

    #[test]
    fn header_lines() {
        let cases: &[(KeepAlive, &str)] = &[
            (KeepAlive::Persist { header: None }, ""),
            (
                KeepAlive::Persist {
                    header: Some((5, Some(99))),
                },
                "Keep-Alive: timeout=5, max=99\r\nConnection: Keep-Alive\r\n",
            ),
            (
                KeepAlive::Persist {
                    header: Some((15, None)),
                },
                "Keep-Alive: timeout=15\r\nConnection: Keep-Alive\r\n",
            ),
            (KeepAlive::Close, "Connection: close\r\n"),
        ];
        for &(ka, want) in cases {
            let mut out = Vec::new();
            push_headers(&mut out, ka);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }
}
