//! The document tree: URL path -> file, and what to answer for it (Apache's core
//! `default_handler` with mod_dir's DirectorySlash / DirectoryIndex in front).
//!
//! [`resolve_url_path`] is pure (Apache 2.4.51+'s `ap_normalize_path` + `ap_unescape_url`):
//! its output never has `.`/`..` segments, so joined to `document_root` it is always inside it
//! lexically; only symlinks can lead elsewhere, and [`symlinks_allowed`] is the seam where the
//! `options` decide about those. [`serve`] does the stats and picks the [`Reply`]; it never
//! writes to the client.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::config::Options;
use crate::handlers::conditional::{self, Conditions, Etag, Stamp, Verdict};
use crate::handlers::file_cache::{FileCache, FileKey};
use crate::handlers::{FileReply, Reply, RequestClock};
use crate::http::Site;
use crate::http::date::http_date;
use crate::http::escape::push_path_escaped;
use crate::http::request::{Method, Request};

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes the `%XX` at `raw[i]` if it is a valid escape: `Ok(Some(byte))`, `Ok(None)` if
/// `raw[i]` is not `%`, `Err(400)` for a malformed escape.
fn escape_at(raw: &[u8], i: usize) -> Result<Option<u8>, u16> {
    if raw[i] != b'%' {
        return Ok(None);
    }
    match (
        raw.get(i + 1).copied().and_then(hex),
        raw.get(i + 2).copied().and_then(hex),
    ) {
        (Some(h), Some(l)) => Ok(Some(h << 4 | l)),
        _ => Err(400),
    }
}

fn unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// The logical character at `raw[i]`: unreserved escapes decoded (`%2e` is `.`), other bytes
/// and other escapes as is (`escaped` = true: never a `/` or `.` for segment purposes).
fn char_at(raw: &[u8], i: usize) -> Result<(u8, usize, bool), u16> {
    match escape_at(raw, i)? {
        Some(c) if unreserved(c) => Ok((c, 3, false)),
        Some(_) => Ok((b'%', 3, true)),
        None => Ok((raw[i], 1, false)),
    }
}

/// URL path (still %-encoded, query already split off) -> decoded, normalized path in `out`.
/// Errors: not starting with `/`, a malformed escape, `..` above the root -> 400; an encoded
/// `/` (AllowEncodedSlashes Off) or NUL -> 404.
pub fn resolve_url_path(raw: &[u8], out: &mut Vec<u8>) -> Result<(), u16> {
    out.clear();
    if raw.first() != Some(&b'/') {
        return Err(400);
    }
    out.push(b'/');
    let mut l = 1;
    while l < raw.len() {
        let (c, adv, escaped) = char_at(raw, l)?;
        if out.last() == Some(&b'/') && !escaped {
            if c == b'/' {
                l += adv;
                continue;
            }
            if c == b'.' {
                let next = if l + adv < raw.len() {
                    Some(char_at(raw, l + adv)?)
                } else {
                    None
                };
                match next {
                    None | Some((b'/', _, false)) => {
                        l += adv + next.map_or(0, |n| n.1);
                        continue;
                    }
                    Some((b'.', adv2, false)) => {
                        let after = l + adv + adv2;
                        let third = if after < raw.len() {
                            Some(char_at(raw, after)?)
                        } else {
                            None
                        };
                        if matches!(third, None | Some((b'/', _, false))) {
                            if out.len() <= 1 {
                                return Err(400);
                            }
                            out.pop();
                            while out.last().is_some_and(|&b| b != b'/') {
                                out.pop();
                            }
                            l = after + third.map_or(0, |t| t.1);
                            continue;
                        }
                    }
                    _ => {}
                }
            }
        }
        if escaped {
            out.extend_from_slice(&raw[l..l + 3]);
        } else {
            out.push(c);
        }
        l += adv;
    }
    // Second pass: decode the remaining (reserved) escapes.
    let mut w = 0;
    let mut r = 0;
    while r < out.len() {
        match escape_at(out, r)? {
            Some(b'/') | Some(0) => return Err(404),
            Some(c) => {
                out[w] = c;
                r += 3;
            }
            None => {
                out[w] = out[r];
                r += 1;
            }
        }
        w += 1;
    }
    out.truncate(w);
    Ok(())
}

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

/// The symlink seam (Apache's `resolve_symlink`). With FollowSymLinks nothing is checked (and
/// no lstat is done, the point of the tuning guides' advice). Otherwise every component under
/// the document root is lstat'ed: a symlink is refused unless SymLinksIfOwnerMatch and the
/// link's owner owns its target. Per-directory options arrive with the document tree issue.
pub fn symlinks_allowed(options: Options, root: &[u8], rel: &[u8]) -> io::Result<bool> {
    if options.follow_symlinks {
        return Ok(true);
    }
    let mut path = root.to_vec();
    for comp in rel.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
        path.push(b'/');
        path.extend_from_slice(comp);
        let meta = match std::fs::symlink_metadata(as_path(&path)) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            if !options.symlinks_if_owner_match {
                return Ok(false);
            }
            match std::fs::metadata(as_path(&path)) {
                Ok(target) if target.uid() == meta.uid() => {}
                _ => return Ok(false),
            }
        }
    }
    Ok(true)
}

/// The answer for a resource not served as a file: OPTIONS is answered (with the media type
/// of what Apache's `r->filename` would be), unknown methods get 501, GET/HEAD/POST `status`
/// (404 missing, 403 no index), others 405.
fn not_a_file(method: Method, status: u16, content_type: Option<u32>) -> Reply<'static> {
    match method {
        Method::Options => Reply::Options { content_type },
        Method::Unknown => Reply::error(501),
        Method::Get | Method::Head | Method::Post => Reply::error(status),
        _ => Reply::error(405),
    }
}

/// A directory served without an index: mod_autoindex (Indexes is not supported yet) refuses
/// GET/HEAD with 403; the core handler refuses POST on a directory with 404.
fn no_index(method: Method) -> Reply<'static> {
    not_a_file(
        method,
        if method.is_get_or_head() { 403 } else { 404 },
        None,
    )
}

/// The media type OPTIONS reports for a missing path: Apache's `r->filename` stops at the
/// first missing component, so the name's type counts only if its directory exists.
fn missing_type(site: &Site, fs_path: &[u8]) -> Option<u32> {
    let name = last_component(fs_path);
    let dir = &fs_path[..fs_path.len() - name.len()];
    std::fs::metadata(as_path(dir))
        .is_ok_and(|m| m.is_dir())
        .then(|| site.mime().lookup(name))
        .flatten()
}

fn stat_error(e: &io::Error) -> u16 {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => 404,
        _ => 403,
    }
}

/// `http://host[:port]/escaped-path/?query` for a DirectorySlash redirect (Apache's
/// `ap_construct_url` with UseCanonicalName Off): the client's Host, else the name of
/// `server_name`; the Host's port, else `server_name`'s port, else none (80). Never the port
/// the connection came in on (UseCanonicalPhysicalPort Off).
pub fn directory_location(req: &Request<'_, '_>, server_name: &str, url_path: &[u8]) -> String {
    let (server, server_port) = split_host_port(server_name);
    let (name, port) = match req.host.filter(|h| !h.is_empty()) {
        Some(h) => match split_host_port(h) {
            (name, None) => (name, server_port),
            host => host,
        },
        None => (server, server_port),
    };
    let port = port.unwrap_or(80);
    let mut out = Vec::with_capacity(url_path.len() + name.len() + 24);
    out.extend_from_slice(b"http://");
    out.extend_from_slice(name.to_ascii_lowercase().as_bytes());
    if port != 80 {
        out.push(b':');
        crate::http::response::push_u64(&mut out, u64::from(port));
    }
    push_path_escaped(&mut out, url_path);
    out.push(b'/');
    if let Some(q) = req.query {
        out.push(b'?');
        out.extend_from_slice(q.as_bytes());
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn split_host_port(h: &str) -> (&str, Option<u16>) {
    let (name, port) = if h.starts_with('[') {
        match h.find(']') {
            Some(i) => (&h[..=i], h[i + 1..].strip_prefix(':')),
            None => (h, None),
        }
    } else {
        match h.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (h, None),
        }
    };
    (name, port.and_then(|p| p.parse().ok()))
}

/// Serves a request for the document tree. `url_path` and `fs_path` are scratch buffers;
/// afterwards `url_path` holds the decoded path (for `%U`) and `fs_path` the file (for `%f`).
pub fn serve<'c>(
    site: &Site,
    req: &Request<'_, '_>,
    cache: &'c mut FileCache,
    url_path: &mut Vec<u8>,
    fs_path: &mut Vec<u8>,
    clock: RequestClock,
) -> Reply<'c> {
    fs_path.clear();
    if let Err(status) = resolve_url_path(req.path.as_bytes(), url_path) {
        return Reply::error(status);
    }
    if req.method == Method::Trace {
        return if site.trace_enable() {
            Reply::Trace
        } else {
            Reply::error(405)
        };
    }
    if is_protected_name(url_path) {
        return Reply::error(403);
    }
    let root = site.document_root();
    fs_path.extend_from_slice(root);
    fs_path.extend_from_slice(url_path);
    match symlinks_allowed(site.files().options, root, url_path) {
        Ok(true) => {}
        Ok(false) => return Reply::error(403),
        Err(e) => return Reply::error(stat_error(&e)),
    }
    let mut meta = match std::fs::metadata(as_path(fs_path)) {
        Ok(m) => m,
        Err(e) => {
            cache.remove(fs_path);
            return match stat_error(&e) {
                404 if req.method == Method::Options => {
                    not_a_file(req.method, 404, missing_type(site, fs_path))
                }
                404 => not_a_file(req.method, 404, None),
                s => Reply::error(s),
            };
        }
    };
    if meta.is_dir() {
        if !url_path.ends_with(b"/") {
            if site.files().directory_slash {
                let loc = directory_location(req, site.server_name(), url_path);
                return Reply::Error {
                    status: 301,
                    location: Some(loc),
                };
            }
            return no_index(req.method);
        }
        let dir_len = fs_path.len();
        let mut found = false;
        for name in &site.files().directory_index {
            if is_protected_name(name.as_bytes()) {
                continue;
            }
            fs_path.truncate(dir_len);
            if name.starts_with('/') {
                // An absolute local URL ("/cgi-bin/index.pl"): from the document root.
                fs_path.truncate(root.len());
            }
            fs_path.extend_from_slice(name.as_bytes());
            if let Ok(m) = std::fs::metadata(as_path(fs_path))
                && m.is_file()
            {
                meta = m;
                found = true;
                break;
            }
        }
        if !found {
            fs_path.truncate(dir_len);
            return no_index(req.method);
        }
    } else if !meta.is_file() {
        return Reply::error(403);
    }
    let content_type = site.mime().lookup(last_component(fs_path));
    match req.method {
        // The core handler serves POST like GET (the body is read and dropped).
        Method::Get | Method::Head | Method::Post => {}
        m => return not_a_file(m, 405, content_type),
    }
    let file = match cache.open(fs_path, &meta, site.send_policy()) {
        Ok(f) => f,
        Err(e) => return Reply::error(stat_error(&e)),
    };
    match validate(site, req, &file.key, clock) {
        Ok((status, etag, last_modified)) => Reply::File(FileReply {
            file,
            status,
            etag,
            last_modified,
            content_type,
        }),
        Err(status) => Reply::error(status),
    }
}

/// ETag, Last-Modified and the conditional verdict (200, 304 or 412) for a file.
fn validate(
    site: &Site,
    req: &Request<'_, '_>,
    key: &FileKey,
    clock: RequestClock,
) -> Result<(u16, Option<Etag>, [u8; 29]), u16> {
    let stamp = Stamp {
        inode: key.ino,
        size: key.size,
        mtime_us: key.mtime_us(),
    };
    let etag = conditional::etag(&stamp, site.http().file_etag, clock.micros);
    let lm = conditional::last_modified_secs(key.mtime.0, clock.secs);
    let conds = Conditions {
        if_match: req.header("if-match"),
        if_unmodified_since: req.header("if-unmodified-since"),
        if_none_match: req.header("if-none-match"),
        if_modified_since: req.header("if-modified-since"),
        has_range: req.header("range").is_some(),
        get_or_head: req.method.is_get_or_head(),
    };
    let status = if conds.any() {
        match conditional::evaluate(&conds, etag.as_ref().map(|e| e.as_bytes()), lm, clock.secs) {
            Verdict::Proceed => 200,
            Verdict::NotModified => 304,
            // A 412 still carries the file's headers, without a body (Apache's default
            // handler answers it, not ap_die).
            Verdict::PreconditionFailed => 412,
        }
    } else {
        200
    };
    Ok((status, etag, http_date(lm)))
}

#[cfg(test)]
#[path = "static_files_tests.rs"]
mod tests;
