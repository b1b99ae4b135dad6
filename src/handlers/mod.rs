//! Request handlers: decide what to answer, never write to the client.
//!
//! [`handle`] is the router: `[[location]]` sections first (their `require` lines, then their
//! handler: server-status), then the document tree (`static_files`, with `dir_walk` for
//! per-directory configuration, `access` for `Require`, `error_document` for ErrorDocument,
//! `autoindex` for listings). `[[proxy]]` rules come between the two (after a location's `require`, before its handler). Every path returns
//! the same [`Reply`]. Byte ranges are applied to the document tree's 200s (`ranged`), as
//! Apache's byterange filter does, before the ErrorDocument (a 416 has one too).

pub mod access;
pub mod autoindex;
pub mod balancer_manager;
pub mod client;
pub mod conditional;
pub mod dir_walk;
pub mod error_document;
pub mod file_cache;
pub mod htaccess;
pub mod htaccess_cache;
pub mod location;
pub mod mime;
pub mod negotiated;
pub mod negotiation;
pub mod range;
pub mod ranged;
pub mod static_files;
pub mod status;
pub mod url_path;

use std::net::SocketAddr;

use crate::handlers::client::Client;
use crate::handlers::conditional::Etag;
use crate::handlers::file_cache::{CachedFile, FileCache};
use crate::handlers::htaccess_cache::HtaccessCache;
use crate::handlers::mime::MimeHeaders;
use crate::handlers::negotiation::NegotiationCache;
use crate::handlers::range::ByteRange;
use crate::http::request::{Method, Request, TargetForm};
use crate::http::{Response, Site};
use crate::scoreboard::Scoreboard;

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

/// A file to send (or to answer 304/412 about).
#[derive(Debug)]
pub struct FileReply<'c> {
    pub file: &'c CachedFile,
    /// 200; 206 with `ranges`; 304 or 412 when a conditional decided (the file's headers
    /// without its body, as Apache 2.4 answers them).
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
    /// The merged ranges of a 206 (one: `Content-Range`; several: multipart); else empty.
    pub ranges: Vec<ByteRange>,
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

/// A page generated in memory (a directory listing).
#[derive(Debug)]
pub struct Page {
    /// 200, or 206 with `ranges`.
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// The merged ranges of a 206; else empty.
    pub ranges: Vec<ByteRange>,
}

/// What a handler wants sent.
#[derive(Debug)]
pub enum Reply<'c> {
    /// Send a file.
    File(FileReply<'c>),
    /// Send a generated page (mod_autoindex).
    Page(Page),
    /// Apache's canned page for `status` (with `Location` for redirects).
    Error {
        status: u16,
        location: Option<String>,
        err_headers: ErrHeaders,
    },
    /// An ErrorDocument message: the status, the message as the `text/html` body.
    ErrorText {
        status: u16,
        text: String,
        err_headers: ErrHeaders,
    },
    /// Apache's page for `status`, saying that its ErrorDocument failed with `recursive`.
    ErrorRecursive {
        status: u16,
        recursive: u16,
        err_headers: ErrHeaders,
    },
    /// `200` to OPTIONS: `Allow` (not for `OPTIONS *`) and, if the path names something with a
    /// type, its `Content-Type` (as mod_mime gives it for the directory).
    Options { content_type: Option<String> },
    /// `200 message/http` echoing the request head.
    Trace,
    /// A response built in memory by a handler (the status page; its own 405 and OPTIONS).
    Generated(Response),
    /// Forward to a backend (`[[proxy]]`); the connection loop runs it (`crate::proxy`).
    Proxy(crate::proxy::ProxyJob),
}

/// Apache's `err_headers_out`: header lines an error keeps whatever answers it (its canned
/// page, its ErrorDocument), sent before the page's own. Content negotiation's Vary,
/// Alternates and TCN are the only ones; empty (no allocation) for every other error.
pub type ErrHeaders = Vec<(&'static str, String)>;

impl Reply<'_> {
    pub fn error(status: u16) -> Reply<'static> {
        Reply::Error {
            status,
            location: None,
            err_headers: Vec::new(),
        }
    }

    /// A redirect (`status` 3xx) to `location`.
    pub fn redirect(status: u16, location: String) -> Reply<'static> {
        Reply::Error {
            status,
            location: Some(location),
            err_headers: Vec::new(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Reply::File(f) => f.status,
            Reply::Page(p) => p.status,
            Reply::Error { status, .. }
            | Reply::ErrorText { status, .. }
            | Reply::ErrorRecursive { status, .. } => *status,
            Reply::Options { .. } | Reply::Trace => 200,
            Reply::Generated(r) => r.status,
            // Not known before the backend answers.
            Reply::Proxy(_) => 200,
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
pub struct RequestEnv<'a> {
    /// The client, with its host names cached for the connection.
    pub client: &'a mut Client,
    /// Parsed `.htaccess` files (per child).
    pub htaccess: &'a mut HtaccessCache,
    /// Directory listings and type maps for content negotiation (per child).
    pub negotiation: &'a mut NegotiationCache,
    /// The scoreboard, for the status handler (`None` in unit tests).
    pub board: Option<&'a Scoreboard>,
}

/// The connection a request arrived on, as handlers need it.
#[derive(Clone, Copy)]
pub struct ConnContext<'a> {
    /// The client.
    pub peer: SocketAddr,
    /// The address the client connected to.
    pub local: SocketAddr,
    /// The scoreboard, for the status handler (`None` in unit tests).
    pub board: Option<&'a Scoreboard>,
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
        return Reply::Options { content_type: None };
    }
    let locations = site.locations();
    if (!locations.is_empty() || site.proxy().is_some())
        && static_files::resolve_url_path(req.path.as_bytes(), &mut paths.url_path).is_ok()
    {
        let resolved = locations.resolve(&paths.url_path);
        // TRACE is answered before access control (see static_files::serve).
        if let Some(lines) = resolved.require.filter(|_| req.method != Method::Trace) {
            let (peer, local) = (env.client.ip(), env.client.local.ip());
            if !access::granted(lines, peer, local, env.client) {
                log::error!("client denied by server configuration: {}", req.path);
                paths.fs_path.clear();
                return Reply::error(403);
            }
        }
        // ProxyPass wins over a location's handler (Apache: translate_name runs first).
        // TraceEnable off refuses TRACE for proxied URLs too (405 from the document tree).
        let proxied = req.method != Method::Trace || site.trace_enable();
        if let Some(job) = site
            .proxy()
            .filter(|_| proxied)
            .and_then(|p| p.route(&paths.url_path, req.query))
        {
            paths.fs_path.clear();
            paths.fs_path.extend_from_slice(b"proxy:");
            paths.fs_path.extend_from_slice(job.target.as_bytes());
            return Reply::Proxy(job);
        }
        match resolved.handler {
            Some(location::LocationHandler::ServerStatus) => {
                paths.fs_path.clear();
                let conn = ConnContext {
                    peer: env.client.peer,
                    local: env.client.local,
                    board: env.board,
                };
                return status::serve(site, req, &conn, clock);
            }
            Some(location::LocationHandler::BalancerManager) => {
                paths.fs_path.clear();
                return balancer_manager::serve(site, req, env.client.local);
            }
            None => {}
        }
    }
    static_files::serve(site, req, cache, paths, clock, env)
}
