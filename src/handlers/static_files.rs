//! The document tree: URL path -> file, and what to answer for it (Apache's core
//! `default_handler` with mod_dir's DirectorySlash / DirectoryIndex in front).
//!
//! [`resolve_url_path`] (`url_path.rs`, pure) never leaves `.`/`..` segments, so a path joined
//! to `document_root` is always inside it lexically; only symlinks can lead elsewhere, and the
//! directory walk (`dir_walk.rs`) checks those as each directory's `options` say. [`serve`]
//! stats the target, walks, checks `Require`, and picks the [`Reply`] (errors through
//! `error_document.rs`, a directory without an index through `autoindex` when its effective
//! options have Indexes, a missing name with MultiViews and type maps through `negotiated.rs`);
//! it never writes to the client.
//!
//! Nothing is borrowed from the file cache until the very end ([`finish`]), so an error can
//! still be turned into its ErrorDocument, which may open another file.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::config::{DirConfig, IndexOptions, Options};
use crate::handlers::autoindex;
use crate::handlers::conditional::{self, Conditions, Etag, Stamp, Verdict};
use crate::handlers::dir_walk::{DirRef, TargetKind, file_allowed};
use crate::handlers::file_cache::{FileCache, FileKey};
use crate::handlers::mime::MimeHeaders;
use crate::handlers::negotiated::{self, Extra, MultiOutcome};
use crate::handlers::range::ByteRange;
use crate::handlers::{
    FileReply, Page, Reply, RequestClock, RequestEnv, RequestPaths, access, error_document, ranged,
};
use crate::http::Site;
use crate::http::date::http_date;
use crate::http::request::{Method, Request};

pub use crate::handlers::url_path::{directory_location, resolve_url_path};

/// What follows the last `/` (empty for a directory path ending in `/`).
pub fn last_component(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(b"")
}

/// Apache's default `<Files ".ht*"> Require all denied`, matched like `<Files>` against the
/// name after the last `/` (so `/.htdir/` itself is not matched, `/.htdir` is).
pub fn is_protected_name(path: &[u8]) -> bool {
    last_component(path).starts_with(b".ht")
}

fn as_path(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

/// The answer for a resource not served as a file: OPTIONS is answered (with the media type
/// of what Apache's `r->filename` would be), unknown methods get 501, GET/HEAD/POST `status`
/// (404 missing, 403 no index), others 405.
fn not_a_file(method: Method, status: u16, content_type: Option<String>) -> Reply<'static> {
    match method {
        Method::Options => Reply::Options { content_type },
        Method::Unknown => Reply::error(501),
        Method::Get | Method::Head | Method::Post => Reply::error(status),
        _ => Reply::error(405),
    }
}

/// A directory served without an index: mod_autoindex lists it for GET/HEAD when Indexes is
/// in the directory's effective `options`, else refuses with 403; the core handler refuses
/// POST on a directory with 404. Entries are listed as a sub-request for them would find
/// them: no `.ht*` names, symbolic links only as `options` allow them.
fn no_index(
    site: &Site,
    lookup: Lookup<'_, '_>,
    options: Options,
    dir: &[u8],
    url_path: &[u8],
) -> Reply<'static> {
    let method = lookup.method;
    if !(method.is_get_or_head() && options.indexes) {
        return not_a_file(
            method,
            if method.is_get_or_head() { 403 } else { 404 },
            None,
        );
    }
    let body = if method == Method::Head {
        Vec::new()
    } else {
        let visible = |name: &[u8], link: bool, path: &Path| {
            !is_protected_name(name)
                && (!link || file_allowed(path.as_os_str().as_bytes(), options).is_ok())
        };
        match autoindex::listing(
            as_path(dir),
            url_path,
            lookup.query.map(str::as_bytes),
            index_format(site.files().index_options),
            &visible,
            &autoindex::system_zone,
        ) {
            Ok(body) => body,
            Err(e) => {
                log::error!(
                    "cannot read directory {} for a listing: {e}",
                    String::from_utf8_lossy(dir)
                );
                return Reply::error(403);
            }
        }
    };
    Reply::Page(Page {
        status: 200,
        content_type: autoindex::CONTENT_TYPE,
        body,
        ranges: Vec::new(),
    })
}

/// The listing layout the configuration asks for (HTMLTable wins, as in Apache).
fn index_format(o: IndexOptions) -> autoindex::Format {
    if o.html_table {
        autoindex::Format::Table
    } else if o.fancy_indexing {
        autoindex::Format::Fancy
    } else {
        autoindex::Format::Plain
    }
}

/// The Content-Type mod_mime gives the file name `name` in the directory `config`.
fn type_of(site: &Site, config: &DirConfig, name: &[u8]) -> Option<String> {
    if config.mime_beyond_table {
        site.mime().headers_for(name, config).content_type
    } else {
        site.mime().type_for(name).map(str::to_string)
    }
}

/// The media type OPTIONS reports for a missing path: Apache's `r->filename` stops at the
/// first missing component, so the name's type counts only if its directory exists.
fn missing_type(site: &Site, config: &DirConfig, fs_path: &[u8]) -> Option<String> {
    let name = last_component(fs_path);
    let dir = &fs_path[..fs_path.len() - name.len()];
    std::fs::metadata(as_path(dir))
        .is_ok_and(|m| m.is_dir())
        .then(|| type_of(site, config, name))
        .flatten()
}

fn stat_error(e: &io::Error) -> u16 {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => 404,
        _ => 403,
    }
}

/// A file chosen for the reply, not yet borrowed from the cache (its path is in `fs_path`).
#[derive(Debug)]
pub struct FoundFile {
    pub key: FileKey,
    pub status: u16,
    pub etag: Option<Etag>,
    pub last_modified: [u8; 29],
    pub content_type: Option<u32>,
    pub mime: Option<Box<MimeHeaders>>,
    /// The merged ranges of a 206 (`ranged.rs`); else empty.
    pub ranges: Vec<ByteRange>,
}

impl FoundFile {
    /// The file's mod_mime headers, made from its table type when it has none yet (to carry
    /// negotiation headers).
    pub fn mime_mut(&mut self, site: &Site) -> &mut MimeHeaders {
        let content_type = self.content_type;
        self.mime.get_or_insert_with(|| {
            Box::new(MimeHeaders {
                content_type: content_type.map(|id| site.mime().content_type(id).to_string()),
                ..MimeHeaders::default()
            })
        })
    }
}

/// What the document tree decided, with the configuration that applies to it.
#[derive(Debug)]
pub enum Located<'s> {
    /// A file; `config` still decides an ErrorDocument for what the ranges make of it (416).
    File(FoundFile, DirRef<'s>),
    /// Anything else; for errors, `config` decides the ErrorDocument.
    Reply {
        reply: Reply<'static>,
        config: DirRef<'s>,
    },
}

impl<'s> Located<'s> {
    fn reply(reply: Reply<'static>, config: DirRef<'s>) -> Located<'s> {
        Located::Reply { reply, config }
    }
}

/// One lookup in the tree: the original request, or an ErrorDocument's internal redirect.
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'r, 'h> {
    pub req: &'r Request<'r, 'h>,
    pub method: Method,
    /// The query string (a listing's arguments): the request's, or the ErrorDocument URL's.
    pub query: Option<&'r str>,
    /// False for an ErrorDocument: no conditionals.
    pub conditional: bool,
    /// Internal redirects so far (a type map's choice is one).
    pub depth: u8,
}

/// Serves a request for the document tree. Afterwards `paths.url_path` holds the decoded path
/// (for `%U`) and `paths.fs_path` the file (for `%f`).
pub fn serve<'c>(
    site: &Site,
    req: &Request<'_, '_>,
    cache: &'c mut FileCache,
    paths: &mut RequestPaths,
    clock: RequestClock,
    env: &mut RequestEnv<'_>,
) -> Reply<'c> {
    paths.fs_path.clear();
    let tree = site.tree();
    if let Err(status) = resolve_url_path(req.path.as_bytes(), &mut paths.url_path) {
        let located = Located::reply(Reply::error(status), DirRef::Shared(tree.base()));
        let located = error_document::apply(site, req, cache, paths, clock, env, located);
        return finish(located, cache, &paths.fs_path);
    }
    if req.method == Method::Trace {
        // Apache answers TRACE from a map_to_storage hook (ap_send_http_trace): after the URL
        // is decoded, before the directory walk, .htaccess and access control.
        if site.trace_enable() {
            return Reply::Trace;
        }
        let located = Located::reply(Reply::error(405), DirRef::Shared(tree.base()));
        let located = error_document::apply(site, req, cache, paths, clock, env, located);
        return finish(located, cache, &paths.fs_path);
    }
    let lookup = Lookup {
        req,
        method: req.method,
        query: req.query,
        conditional: true,
        depth: 0,
    };
    let RequestPaths {
        url_path,
        fs_path,
        scratch,
    } = paths;
    let located = locate(site, lookup, url_path, fs_path, scratch, cache, clock, env);
    // Ranges before the ErrorDocument: Apache's byterange filter turns an unsatisfiable
    // range into an error bucket, which `ap_die` answers with the directory's ErrorDocument.
    let located = ranged::apply(site, req, clock, located);
    let located = error_document::apply(site, req, cache, paths, clock, env, located);
    finish(located, cache, &paths.fs_path)
}

/// The reply, borrowing the cached file at `fs_path` for a file.
pub fn finish<'c>(located: Located<'_>, cache: &'c mut FileCache, fs_path: &[u8]) -> Reply<'c> {
    match located {
        Located::Reply { reply, .. } => reply,
        Located::File(f, _) => match cache.get(fs_path) {
            Some(file) => Reply::File(FileReply {
                file,
                status: f.status,
                etag: f.etag,
                last_modified: f.last_modified,
                content_type: f.content_type,
                mime: f.mime,
                ranges: f.ranges,
            }),
            None => Reply::error(500),
        },
    }
}

fn kind_of(meta: &io::Result<std::fs::Metadata>) -> TargetKind {
    match meta {
        Ok(m) if m.is_dir() => TargetKind::Dir,
        Ok(_) => TargetKind::NotDir,
        Err(_) => TargetKind::Missing,
    }
}

/// Apache's request processing for one (already normalized) URL path in `url_path`: stat,
/// directory walk (403/500), `.ht*` and `Require` (403), then mod_dir and the core handler
/// (TRACE is answered before, by [`serve`]).
/// The chosen file is opened into the cache (but not borrowed) and its path left in
/// `fs_path`.
#[allow(clippy::too_many_arguments)]
pub fn locate<'s>(
    site: &'s Site,
    lookup: Lookup<'_, '_>,
    url_path: &[u8],
    fs_path: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    cache: &mut FileCache,
    clock: RequestClock,
    env: &mut RequestEnv<'_>,
) -> Located<'s> {
    let tree = site.tree();
    let method = lookup.method;
    let root = site.document_root();
    fs_path.clear();
    fs_path.extend_from_slice(root);
    fs_path.extend_from_slice(url_path);
    let stat = std::fs::metadata(as_path(fs_path));
    let config = match tree.walk(env.htaccess, root, url_path, kind_of(&stat), scratch) {
        Ok(c) => c,
        Err(status) => return Located::reply(Reply::error(status), DirRef::Shared(tree.base())),
    };
    if is_protected_name(url_path) {
        return Located::reply(Reply::error(403), config);
    }
    let client = &mut *env.client;
    if !config.require.is_empty()
        && !access::granted(&config.require, client.ip(), client.local.ip(), client)
    {
        log::error!(
            "[client {}] AH01630: client denied by server configuration: {}",
            client.peer,
            String::from_utf8_lossy(fs_path)
        );
        return Located::reply(Reply::error(403), config);
    }
    let mut negotiated: Option<Extra> = None;
    let stat = match stat {
        Err(e)
            if e.kind() == io::ErrorKind::NotFound
                && config.options.multiviews
                && url_path.ends_with(b"/") =>
        {
            // `/doc/` with no `doc`: negotiated with "/" as path info.
            let neg = &mut *env.negotiation;
            match negotiated::with_path_info(site, lookup, &config, url_path, neg) {
                Some(reply) => return Located::reply(reply, config),
                None => Err(e),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound && config.options.multiviews => {
            match negotiated::multiviews(
                site,
                lookup,
                &config,
                fs_path,
                env.negotiation,
                clock,
                false,
            ) {
                MultiOutcome::Declined => {
                    let neg = &mut *env.negotiation;
                    if let Some(reply) =
                        negotiated::with_path_info(site, lookup, &config, url_path, neg)
                    {
                        return Located::reply(reply, config);
                    }
                    Err(e)
                }
                MultiOutcome::Reply(reply) => return Located::reply(reply, config),
                MultiOutcome::Map { meta } => {
                    return negotiated::type_map(
                        site, lookup, url_path, fs_path, scratch, cache, clock, env, config, &meta,
                    );
                }
                MultiOutcome::Chosen { meta, extra } => {
                    negotiated = Some(extra);
                    Ok(meta)
                }
            }
        }
        s => s,
    };
    let mut meta = match stat {
        Ok(m) => m,
        Err(e) => {
            cache.remove(fs_path);
            let reply = match stat_error(&e) {
                404 if method == Method::Options => {
                    not_a_file(method, 404, missing_type(site, &config, fs_path))
                }
                404 => not_a_file(method, 404, None),
                s => Reply::error(s),
            };
            return Located::reply(reply, config);
        }
    };
    if meta.is_dir() {
        if !url_path.ends_with(b"/") {
            if site.files().directory_slash {
                let loc = directory_location(lookup.req, site.server_name(), url_path);
                return Located::reply(Reply::redirect(301, loc), config);
            }
            let reply = no_index(site, lookup, config.options, fs_path, url_path);
            return Located::reply(reply, config);
        }
        let dir_len = fs_path.len();
        let mut found = false;
        let mut refused = None;
        for name in &config.directory_index {
            if is_protected_name(name.as_bytes()) {
                continue;
            }
            fs_path.truncate(dir_len);
            if name.starts_with('/') {
                // An absolute local URL ("/cgi-bin/index.pl"): from the document root.
                fs_path.truncate(root.len());
            }
            fs_path.extend_from_slice(name.as_bytes());
            let m = match std::fs::metadata(as_path(fs_path)) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && config.options.multiviews => {
                    // The sub-request for the name negotiates (DirectoryIndex index).
                    match negotiated::multiviews(
                        site,
                        lookup,
                        &config,
                        fs_path,
                        env.negotiation,
                        clock,
                        true,
                    ) {
                        MultiOutcome::Chosen { meta, extra } => {
                            negotiated = Some(extra);
                            Ok(meta)
                        }
                        MultiOutcome::Map { meta } => Ok(meta),
                        // mod_dir passes on a redirect (a 300 list), or the 406 of its
                        // only name.
                        MultiOutcome::Reply(reply)
                            if (300..400).contains(&reply.status())
                                || (reply.status() == 406 && config.directory_index.len() == 1) =>
                        {
                            return Located::reply(reply, config);
                        }
                        _ => Err(e),
                    }
                }
                m => m,
            };
            if let Ok(m) = m
                && m.is_file()
            {
                // mod_dir's sub-request: a refused candidate is remembered, the next tried.
                if let Err(status) = file_allowed(fs_path, config.options) {
                    refused = Some(status);
                    continue;
                }
                meta = m;
                found = true;
                break;
            }
        }
        if !found {
            fs_path.truncate(dir_len);
            let reply = match refused {
                Some(status) => Reply::error(status),
                None => no_index(site, lookup, config.options, fs_path, url_path),
            };
            return Located::reply(reply, config);
        }
    } else if !meta.is_file() {
        return Located::reply(Reply::error(403), config);
    }
    if negotiated.is_none() && negotiated::is_type_map(last_component(fs_path), &config) {
        return negotiated::type_map(
            site, lookup, url_path, fs_path, scratch, cache, clock, env, config, &meta,
        );
    }
    match method {
        // The core handler serves POST like GET (the body is read and dropped).
        Method::Get | Method::Head | Method::Post => {}
        m => {
            let content_type = type_of(site, &config, last_component(fs_path));
            let reply = match negotiated {
                Some(extra) => negotiated::not_a_file(site, lookup.req, m, &config, fs_path, extra),
                None => not_a_file(m, 405, content_type),
            };
            return Located::reply(reply, config);
        }
    }
    let (content_type, mime) = if config.mime_beyond_table {
        let mut headers = site.mime().headers_for(last_component(fs_path), &config);
        if let Some(enc) = &headers.encoding
            && let Some(fixed) = fix_encoding(enc, lookup.req.header("accept-encoding"))
        {
            headers.encoding = Some(fixed);
        }
        (None, Some(Box::new(headers)))
    } else {
        (site.mime().lookup(last_component(fs_path)), None)
    };
    let key = match cache.open(fs_path, &meta, site.send_policy()) {
        Ok(f) => f.key,
        Err(e) => {
            let status = stat_error(&e);
            let reply = match negotiated {
                Some(extra) => {
                    negotiated::error_with(site, &config, lookup.req, status, extra.headers)
                }
                None => Reply::error(status),
            };
            return Located::reply(reply, config);
        }
    };
    let (status, etag, last_modified) = validate(site, lookup, &key, clock);
    let mut found = FoundFile {
        key,
        status,
        etag,
        last_modified,
        content_type,
        mime,
        ranges: Vec::new(),
    };
    if let Some(extra) = negotiated {
        negotiated::decorate(site, lookup, &mut found, extra, clock);
    }
    Located::File(found, config)
}

/// mod_negotiation's `fix_encoding` on the raw header value.
fn fix_encoding(encoding: &str, accept_encoding: Option<&[u8]>) -> Option<String> {
    let accept = accept_encoding.map(String::from_utf8_lossy)?;
    crate::handlers::negotiation::fix_encoding(encoding, Some(&accept))
}

/// ETag, Last-Modified and the conditional verdict (200, 304 or 412) for a file.
fn validate(
    site: &Site,
    lookup: Lookup<'_, '_>,
    key: &FileKey,
    clock: RequestClock,
) -> (u16, Option<Etag>, [u8; 29]) {
    let stamp = Stamp {
        inode: key.ino,
        size: key.size,
        mtime_us: key.mtime_us(),
    };
    let etag = conditional::etag(&stamp, site.http().file_etag, clock.micros);
    let status = verdict(lookup, etag.as_ref(), key, clock);
    let lm = conditional::last_modified_secs(key.mtime.0, clock.secs);
    (status, etag, http_date(lm))
}

/// The conditional verdict (200, 304 or 412) for a file with the ETag `etag`.
pub fn verdict(
    lookup: Lookup<'_, '_>,
    etag: Option<&Etag>,
    key: &FileKey,
    clock: RequestClock,
) -> u16 {
    let req = lookup.req;
    let lm = conditional::last_modified_secs(key.mtime.0, clock.secs);
    let conds = Conditions {
        if_match: req.header("if-match"),
        if_unmodified_since: req.header("if-unmodified-since"),
        if_none_match: req.header("if-none-match"),
        if_modified_since: req.header("if-modified-since"),
        has_range: req.header("range").is_some(),
        has_if_range: req.header("if-range").is_some(),
        get_or_head: lookup.method.is_get_or_head(),
    };
    if lookup.conditional && conds.any() {
        match conditional::evaluate(&conds, etag.map(|e| e.as_bytes()), lm, clock.secs) {
            Verdict::Proceed => 200,
            Verdict::NotModified => 304,
            // A 412 still carries the file's headers, without a body (Apache's default
            // handler answers it, not ap_die).
            Verdict::PreconditionFailed => 412,
        }
    } else {
        200
    }
}

#[cfg(test)]
#[path = "static_files_tests.rs"]
mod tests;
