//! Errors a request can fail with before a handler runs: a status for the client, a short
//! reason for the error log, and sometimes a note for the client's error page.

use std::fmt;

/// Apache's `error-notes` for a header line over `limit_request_field_size`.
pub const NOTE_FIELD_TOO_LONG: &str = "Size of a request header field exceeds server limit.";
/// Apache's `error-notes` for more header lines than `limit_request_fields`.
pub const NOTE_TOO_MANY_FIELDS: &str =
    "The number of request header fields exceeds this server's limit.";

/// A request that cannot be served: answer `status` and (for most statuses) close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpError {
    /// The HTTP status to answer with (400, 408, 413, 414 ...).
    pub status: u16,
    /// Why, in a few words, for the error log ("request header field too long").
    pub reason: &'static str,
    /// A sentence Apache's error page adds for the client (its `error-notes`), if any.
    pub note: Option<&'static str>,
}

impl HttpError {
    pub const fn new(status: u16, reason: &'static str) -> HttpError {
        HttpError {
            status,
            reason,
            note: None,
        }
    }

    pub const fn bad_request(reason: &'static str) -> HttpError {
        HttpError::new(400, reason)
    }

    /// The same error with an `error-notes` sentence for the page.
    pub const fn with_note(self, note: &'static str) -> HttpError {
        HttpError {
            note: Some(note),
            ..self
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason, self.status)
    }
}

impl std::error::Error for HttpError {}
