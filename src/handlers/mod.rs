//! Request handlers: decide what to answer, never write to the client.
//!
//! [`handle`] is the router. Today every request goes to the document tree
//! (`static_files`, with `dir_walk` for per-directory configuration, `access` for `Require`,
//! `error_document` for ErrorDocument); `[[location]]` handlers (server-status) and
//! `[[proxy]]` rules will be tried before it, in that order, and return the same [`Reply`].

pub mod access;
pub mod client;
pub mod conditional;
pub mod dir_walk;
pub mod error_document;
pub mod file_cache;
pub mod htaccess;
pub mod htaccess_cache;
pub mod mime;
pub mod static_files;

use crate::handlers::client::Client;
use crate::handlers::conditional::Etag;
use crate::handlers::file_cache::{CachedFile, FileCache};
use crate::handlers::htaccess_cache::HtaccessCache;
use crate::handlers::mime::MimeHeaders;
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
    /// 200, or 304 when a conditional matched.
    pub status: u16,
    pub etag: Option<Etag>,
    /// `Last-Modified` value.
    pub last_modified: [u8; 29],
    /// Media type id in the site's mime table (`None`: no Content-Type header).
    pub content_type: Option<u32>,
    /// Set when the directory has mod_mime settings beyond the site's table: its
    /// Content-Type replaces `content_type`'s, and Content-Language / Content-Encoding are
    /// sent. `None` on the common path.
    pub mime: Option<Box<MimeHeaders>>,
}

impl FileReply<'_> {
    /// The Content-Type header value, if any.
    pub fn content_type<'a>(&'a self, site: &'a Site) -> Option<&'a str> {
        match &self.mime {
            Some(m) => m.content_type.as_deref(),
            None => self.content_type.map(|id| site.mime().content_type(id)),
        }
    }
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
    /// An ErrorDocument message: the status, the message as the `text/html` body.
    ErrorText { status: u16, text: String },
    /// Apache's page for `status`, saying that its ErrorDocument failed with `recursive`.
    ErrorRecursive { status: u16, recursive: u16 },
    /// `200` with `Allow`.
    Options,
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
            Reply::Error { status, .. }
            | Reply::ErrorText { status, .. }
            | Reply::ErrorRecursive { status, .. } => *status,
            Reply::Options | Reply::Trace => 200,
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
    /// Scratch for the directory walk and ErrorDocument URLs.
    pub scratch: Vec<u8>,
}

/// Per-connection and per-child state a request may use beyond the file cache.
#[derive(Debug)]
pub struct RequestEnv<'a> {
    /// The client, with its host names cached for the connection.
    pub client: &'a mut Client,
    /// Parsed `.htaccess` files (per child).
    pub htaccess: &'a mut HtaccessCache,
}

/// Routes a parsed request. `cache` is the per-child file cache the reply may borrow from.
pub fn handle<'c>(
    site: &Site,
    req: &Request<'_, '_>,
    cache: &'c mut FileCache,
    paths: &mut RequestPaths,
    clock: RequestClock,
    env: &mut RequestEnv<'_>,
) -> Reply<'c> {
    if req.target_form == TargetForm::Asterisk {
        paths.url_path.clear();
        paths.url_path.push(b'*');
        paths.fs_path.clear();
        return Reply::Options;
    }
    static_files::serve(site, req, cache, paths, clock, env)
}
