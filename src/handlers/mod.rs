//! Request handlers: decide what to answer, never write to the client.
//!
//! [`handle`] is the router. Today every request goes to the document tree
//! (`static_files`); `[[location]]` handlers (server-status) and `[[proxy]]` rules will be
//! tried before it, in that order, and return the same [`Reply`].

pub mod conditional;
pub mod file_cache;
pub mod mime;
pub mod static_files;

use crate::handlers::conditional::Etag;
use crate::handlers::file_cache::{CachedFile, FileCache};
use crate::http::Site;
use crate::http::request::{Request, TargetForm};

/// The request time, read once per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestClock {
    /// Unix seconds.
    pub secs: i64,
    /// Unix microseconds.
    pub micros: i64,
}

impl RequestClock {
    pub fn from_system(t: std::time::SystemTime) -> RequestClock {
        RequestClock {
            secs: crate::http::date::unix_secs(t),
            micros: crate::http::date::unix_micros(t),
        }
    }
}

/// A file to send (or to answer 304 about).
#[derive(Debug)]
pub struct FileReply<'c> {
    pub file: &'c CachedFile,
    /// 200, 304 (a conditional matched: validators only) or 412 (a precondition failed: the
    /// file's headers, no body).
    pub status: u16,
    pub etag: Option<Etag>,
    /// `Last-Modified` value.
    pub last_modified: [u8; 29],
    /// Media type id in the site's mime table (`None`: no Content-Type header).
    pub content_type: Option<u32>,
}

/// What a handler wants sent.
#[derive(Debug)]
pub enum Reply<'c> {
    /// Send a file.
    File(FileReply<'c>),
    /// Apache's canned page for `status` (with `Location` for redirects).
    Error {
        status: u16,
        location: Option<String>,
    },
    /// `200` to OPTIONS: `Allow` (not for `OPTIONS *`) and, if the path names something with a
    /// type, its `Content-Type` (media type id in the site's mime table).
    Options { content_type: Option<u32> },
    /// `200 message/http` echoing the request head.
    Trace,
}

impl Reply<'_> {
    pub fn error(status: u16) -> Reply<'static> {
        Reply::Error {
            status,
            location: None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Reply::File(f) => f.status,
            Reply::Error { status, .. } => *status,
            Reply::Options { .. } | Reply::Trace => 200,
        }
    }
}

/// Per-request path buffers, reused across requests.
#[derive(Debug, Default)]
pub struct RequestPaths {
    /// Decoded URL path of the current request (`%U`).
    pub url_path: Vec<u8>,
    /// Filesystem path of the current request (`%f`).
    pub fs_path: Vec<u8>,
}

/// Routes a parsed request. `cache` is the per-child file cache the reply may borrow from.
pub fn handle<'c>(
    site: &Site,
    req: &Request<'_, '_>,
    cache: &'c mut FileCache,
    paths: &mut RequestPaths,
    clock: RequestClock,
) -> Reply<'c> {
    if req.target_form == TargetForm::Asterisk {
        paths.url_path.clear();
        paths.url_path.push(b'*');
        paths.fs_path.clear();
        return Reply::Options { content_type: None };
    }
    static_files::serve(
        site,
        req,
        cache,
        &mut paths.url_path,
        &mut paths.fs_path,
        clock,
    )
}
