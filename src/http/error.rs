//! Errors a request can fail with before a handler runs: a status for the client and a short
//! reason for the error log.

use std::fmt;

/// A request that cannot be served: answer `status` and (for most statuses) close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpError {
    /// The HTTP status to answer with (400, 413, 414, 501, 505 ...).
    pub status: u16,
    /// Why, in a few words, for the error log ("request header field too long").
    pub reason: &'static str,
}

impl HttpError {
    pub const fn new(status: u16, reason: &'static str) -> HttpError {
        HttpError { status, reason }
    }

    pub const fn bad_request(reason: &'static str) -> HttpError {
        HttpError::new(400, reason)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason, self.status)
    }
}

impl std::error::Error for HttpError {}
