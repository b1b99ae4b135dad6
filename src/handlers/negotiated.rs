//! The document tree's side of content negotiation: MultiViews for a missing file (and for a
//! DirectoryIndex name), and the `type-map` handler for `.var` files. The choice itself is
//! `negotiation::negotiate` (pure); the variants come from `negotiation::lookup` (cached per
//! child); the chosen file is then served by `static_files::locate` like any other, with the
//! negotiation's headers and ETag added here.
//!
//! Nothing here writes to the client; a 406 or 300 is an in-memory [`Reply::Generated`].

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;

use crate::config::DirConfig;
use crate::handlers::conditional::{self, Etag, Stamp};
use crate::handlers::dir_walk::DirRef;
use crate::handlers::file_cache::FileCache;
use crate::handlers::mime::{MimeTable, TYPE_MAP};
use crate::handlers::negotiation::lookup::Multi;
use crate::handlers::negotiation::{
    self, Decision, LanguagePrefs, NegHeaders, NegotiationCache, RequestHeaders, Source,
};
use crate::handlers::static_files::{FoundFile, Located, Lookup, last_component, locate};
use crate::handlers::{Reply, RequestClock, RequestEnv};
use crate::http::Site;
use crate::http::request::{Method, Request};
use crate::http::response::{ErrorContext, Response};

/// Internal redirects allowed (Apache's LimitInternalRecursion default).
const MAX_DEPTH: u8 = 10;

/// What a negotiated file adds to its reply.
#[derive(Debug, Clone)]
pub struct Extra {
    pub headers: NegHeaders,
    /// The variant list validator merged into the ETag (none for a DirectoryIndex name).
    pub vlv: Option<Etag>,
}

/// The outcome of MultiViews for a missing name.
#[derive(Debug)]
pub enum MultiOutcome {
    /// Nothing negotiable: the request goes on as a missing file.
    Declined,
    /// A 403, 404, 406 or 300.
    Reply(Reply<'static>),
    /// `fs_path` now names the chosen file (stat `meta`).
    Chosen { meta: Metadata, extra: Extra },
    /// `fs_path` now names a type map found among the candidates: serve it as one.
    Map { meta: Metadata },
}

/// A request header, repeated fields joined by `, ` as Apache merges them.
fn merged(req: &Request<'_, '_>, name: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for h in req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
    {
        let v = String::from_utf8_lossy(h.value);
        match &mut out {
            Some(s) => {
                s.push_str(", ");
                s.push_str(&v);
            }
            None => out = Some(v.into_owned()),
        }
    }
    out
}

/// The request's Accept* and Negotiate headers.
struct Headers {
    values: [Option<String>; 6],
}

impl Headers {
    fn of(req: &Request<'_, '_>) -> Headers {
        Headers {
            values: [
                "accept",
                "accept-language",
                "accept-charset",
                "accept-encoding",
                "negotiate",
                "user-agent",
            ]
            .map(|n| merged(req, n)),
        }
    }

    fn view(&self) -> RequestHeaders<'_> {
        let v = |i: usize| self.values[i].as_deref();
        RequestHeaders {
            accept: v(0),
            accept_language: v(1),
            accept_charset: v(2),
            accept_encoding: v(3),
            negotiate: v(4),
            user_agent: v(5),
        }
    }
}

fn prefs(config: &DirConfig) -> LanguagePrefs<'_> {
    LanguagePrefs {
        priority: &config.language_priority,
        force: config.force_language_priority,
    }
}

/// The 406 or 300 page: Apache's canned page with the list of variants, after the
/// negotiation's headers.
fn list_reply(
    site: &Site,
    config: &DirConfig,
    req: &Request<'_, '_>,
    status: u16,
    headers: NegHeaders,
    list: &str,
) -> Reply<'static> {
    page_with(site, config, req, status, headers, Some(list))
}

/// Apache's page for `status` (with `note`, the list of variants) after `headers`; an error
/// keeping them as its `err_headers` when the directory has an ErrorDocument for it, which
/// then applies.
fn page_with(
    site: &Site,
    config: &DirConfig,
    req: &Request<'_, '_>,
    status: u16,
    headers: NegHeaders,
    note: Option<&str>,
) -> Reply<'static> {
    if config.error_document.contains_key(&status) {
        return Reply::Error {
            status,
            location: None,
            err_headers: headers,
        };
    }
    let ctx = ErrorContext {
        method: req.method_str,
        allow: Some(site.allow()),
        note,
        ..ErrorContext::default()
    };
    let mut r = Response::error(status, &ctx);
    let mut all = headers;
    all.append(&mut r.headers);
    r.headers = all;
    Reply::Generated(r)
}

/// The directory part of `path`, with its trailing `/`.
fn parent(path: &[u8]) -> &[u8] {
    &path[..path.len() - last_component(path).len()]
}

/// Apache's `handle_multi` for the missing `fs_path` in a directory whose configuration is
/// `config` (MultiViews on). `for_index`: the name is a DirectoryIndex candidate (its ETag
/// keeps no variant list validator, as mod_dir's fast redirect drops it).
pub fn multiviews(
    site: &Site,
    lookup: Lookup<'_, '_>,
    config: &DirConfig,
    fs_path: &mut Vec<u8>,
    neg: &mut NegotiationCache,
    clock: RequestClock,
    for_index: bool,
) -> MultiOutcome {
    let name = last_component(fs_path).to_vec();
    let dir_len = fs_path.len() - name.len();
    if name.is_empty() {
        return MultiOutcome::Declined;
    }
    let found = neg.multiviews(site.mime(), config, &fs_path[..dir_len], &name);
    let (variants, mut metas, dir_mtime_us) = match found {
        Multi::None => return MultiOutcome::Declined,
        Multi::Forbidden => return MultiOutcome::Reply(Reply::error(403)),
        Multi::Map(map) => {
            fs_path.truncate(dir_len);
            fs_path.extend_from_slice(&map);
            return match std::fs::metadata(as_path(fs_path)) {
                Ok(meta) => MultiOutcome::Map { meta },
                Err(_) => MultiOutcome::Reply(Reply::error(404)),
            };
        }
        Multi::Variants {
            variants,
            metas,
            dir_mtime_us,
        } => (variants, metas, dir_mtime_us),
    };
    let headers = Headers::of(lookup.req);
    let get_like = lookup.method.is_get_or_head();
    match negotiation::negotiate(&variants, &headers.view(), get_like, false, prefs(config)) {
        Decision::List {
            status,
            headers,
            list,
        } => {
            log::error!(
                "AH00690: no acceptable variant: {}",
                String::from_utf8_lossy(fs_path)
            );
            MultiOutcome::Reply(list_reply(site, config, lookup.req, status, headers, &list))
        }
        Decision::Choose { index, headers } => {
            fs_path.truncate(dir_len);
            fs_path.extend_from_slice(variants[index].file_name.as_bytes());
            // The candidate's stat from the listing (a regular file).
            MultiOutcome::Chosen {
                meta: metas.swap_remove(index),
                extra: Extra {
                    headers,
                    vlv: (!for_index).then(|| conditional::mtime_etag(dir_mtime_us, clock.micros)),
                },
            }
        }
    }
}

fn as_path(bytes: &[u8]) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(bytes))
}

/// MultiViews for a missing directory in the middle of the path (`/doc/more` with no `doc`):
/// Apache negotiates `doc` with `/more` as path info, and the core handler then refuses the
/// path info: a 404 carrying the negotiation's Vary, or the 406 if nothing was acceptable.
/// `None` when the first missing component is the last one, or nothing matches it.
pub fn with_path_info(
    site: &Site,
    lookup: Lookup<'_, '_>,
    config: &DirConfig,
    url_path: &[u8],
    neg: &mut NegotiationCache,
) -> Option<Reply<'static>> {
    let mut dir = site.document_root().to_vec();
    dir.push(b'/');
    let comps: Vec<&[u8]> = url_path
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    let mut name = None;
    for (i, comp) in comps.iter().enumerate() {
        let len = dir.len();
        dir.extend_from_slice(comp);
        match std::fs::metadata(as_path(&dir)) {
            Ok(m) if m.is_dir() => dir.push(b'/'),
            Ok(_) => return None,
            Err(_) if i + 1 < comps.len() || url_path.ends_with(b"/") => {
                dir.truncate(len);
                name = Some(*comp);
                break;
            }
            Err(_) => return None,
        }
    }
    let name = name?;
    let Multi::Variants { variants, .. } = neg.multiviews(site.mime(), config, &dir, name) else {
        return None;
    };
    let headers = Headers::of(lookup.req);
    let get_like = lookup.method.is_get_or_head();
    let reply =
        match negotiation::negotiate(&variants, &headers.view(), get_like, true, prefs(config)) {
            Decision::List {
                status,
                headers,
                list,
            } => list_reply(site, config, lookup.req, status, headers, &list),
            Decision::Choose { headers, .. } => error_with(site, config, lookup.req, 404, headers),
        };
    Some(reply)
}

/// Apache's page for `status` after the negotiation's headers (Apache keeps its
/// `err_headers_out` on error pages).
pub fn error_with(
    site: &Site,
    config: &DirConfig,
    req: &Request<'_, '_>,
    status: u16,
    headers: NegHeaders,
) -> Reply<'static> {
    page_with(site, config, req, status, headers, None)
}

/// A negotiated file asked for with a method the core handler does not serve: OPTIONS is
/// answered with the variant's Content-Type and Content-Language, unknown methods get 501,
/// others 405, each after the negotiation's headers (Apache keeps them for every answer).
pub fn not_a_file(
    site: &Site,
    req: &Request<'_, '_>,
    method: Method,
    config: &DirConfig,
    fs_path: &[u8],
    extra: Extra,
) -> Reply<'static> {
    match method {
        Method::Options => {
            let mime = site.mime().headers_for(last_component(fs_path), config);
            let mut r = Response::new(200);
            r.headers = extra.headers;
            r.headers.push(("Allow", site.allow().to_string()));
            r.content_type = mime.content_type;
            if let Some(l) = mime.language {
                r.after_type.push(("Content-Language", l));
            }
            Reply::Generated(r)
        }
        Method::Unknown => error_with(site, config, req, 501, extra.headers),
        _ => error_with(site, config, req, 405, extra.headers),
    }
}

/// Is `file_name` handled by the type-map handler in this directory? Cheap when there is no
/// AddHandler: only a `.var` extension is looked at.
pub fn is_type_map(file_name: &[u8], config: &DirConfig) -> bool {
    if config.add_handler.is_empty() {
        return file_name
            .split(|&b| b == b'.')
            .skip(1)
            .any(|e| e.eq_ignore_ascii_case(b"var"));
    }
    MimeTable::handler_for(file_name, config).as_deref() == Some(TYPE_MAP)
}

/// The file reply's headers with the negotiation's added (and ETag / validators redone with
/// the variant list validator).
pub fn decorate(
    site: &Site,
    lookup: Lookup<'_, '_>,
    f: &mut FoundFile,
    extra: Extra,
    clock: RequestClock,
) {
    f.mime_mut(site).negotiation = extra.headers;
    if let Some(vlv) = extra.vlv {
        let stamp = Stamp {
            inode: f.key.ino,
            size: f.key.size,
            mtime_us: f.key.mtime_us(),
        };
        let etag = conditional::negotiated_etag(&stamp, site.http().file_etag, clock.micros, &vlv);
        f.status = crate::handlers::static_files::verdict(lookup, etag.as_ref(), &f.key, clock);
        f.etag = etag;
    }
}

/// Apache's `handle_map_file` for the type map at `fs_path` (stat `meta`), requested as
/// `url_path` in a directory configured by `config`.
#[allow(clippy::too_many_arguments)]
pub fn type_map<'s>(
    site: &'s Site,
    lookup: Lookup<'_, '_>,
    url_path: &[u8],
    fs_path: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    cache: &mut FileCache,
    clock: RequestClock,
    env: &mut RequestEnv<'_>,
    config: DirRef<'s>,
    meta: &Metadata,
) -> Located<'s> {
    let dir = parent(fs_path).to_vec();
    let map = match env.negotiation.type_map(fs_path, meta, &dir) {
        Ok(m) => m,
        Err(status) => {
            return Located::Reply {
                reply: Reply::error(status),
                config,
            };
        }
    };
    let headers = Headers::of(lookup.req);
    let get_like = lookup.method.is_get_or_head();
    let (index, neg_headers) = match negotiation::negotiate(
        &map.variants,
        &headers.view(),
        get_like,
        false,
        prefs(&config),
    ) {
        Decision::List {
            status,
            headers,
            list,
        } => {
            log::error!(
                "AH00690: no acceptable variant: {}",
                String::from_utf8_lossy(fs_path)
            );
            let reply = list_reply(site, &config, lookup.req, status, headers, &list);
            return Located::Reply { reply, config };
        }
        Decision::Choose { index, headers } => (index, headers),
    };
    let best = &map.variants[index];
    if let Source::Body { offset, len } = best.source {
        let reply = match lookup.method {
            Method::Get | Method::Head | Method::Post => {
                let body = env
                    .negotiation
                    .body(fs_path, offset, len)
                    .unwrap_or_default();
                let mut r = body_response(best, neg_headers, body);
                if lookup.method == Method::Head {
                    // Apache sets the length itself, so a HEAD has it too.
                    r.headers.push(("Content-Length", len.to_string()));
                }
                Reply::Generated(r)
            }
            _ => Reply::error(405),
        };
        return Located::Reply { reply, config };
    }
    let transparent = neg_headers.iter().any(|(n, _)| *n == "Content-Location");
    if transparent && is_type_map(best.file_name.as_bytes(), &config) {
        return Located::Reply {
            reply: Reply::error(506),
            config,
        };
    }
    if lookup.depth >= MAX_DEPTH {
        log::error!("AH00124: Request exceeded the limit of 10 internal redirects");
        return Located::Reply {
            reply: Reply::error(500),
            config,
        };
    }
    // ap_internal_redirect to the variant's URI, relative to the map's.
    let mut target = parent(url_path).to_vec();
    target.extend_from_slice(best.file_name.as_bytes());
    let mut url = Vec::with_capacity(target.len());
    if let Err(status) = crate::handlers::static_files::resolve_url_path(&target, &mut url) {
        return Located::Reply {
            reply: Reply::error(status),
            config,
        };
    }
    let vlv = conditional::etag(
        &Stamp {
            inode: meta.ino(),
            size: meta.len(),
            mtime_us: mtime_us(meta),
        },
        site.http().file_etag,
        clock.micros,
    );
    let inner = Lookup {
        depth: lookup.depth + 1,
        ..lookup
    };
    match locate(site, inner, &url, fs_path, scratch, cache, clock, env) {
        // The variant's directory configuration goes on (Apache's ap_internal_fast_redirect).
        Located::File(mut f, variant_config) => {
            let extra = Extra {
                headers: neg_headers,
                vlv,
            };
            decorate(site, lookup, &mut f, extra, clock);
            Located::File(f, variant_config)
        }
        // The redirect's error keeps the map's headers (Apache's err_headers_out).
        Located::Reply {
            reply:
                Reply::Error {
                    status,
                    location: None,
                    ..
                },
            config,
        } => Located::Reply {
            reply: error_with(site, &config, lookup.req, status, neg_headers),
            config,
        },
        other => other,
    }
}

fn mtime_us(meta: &Metadata) -> i64 {
    meta.mtime() * 1_000_000 + meta.mtime_nsec() / 1000
}

/// A `Body:` variant's response: the negotiation's headers, `Accept-Ranges`, then the
/// variant's type, encoding and languages as the map gives them.
fn body_response(v: &negotiation::Variant, headers: NegHeaders, body: Vec<u8>) -> Response {
    let mut r = Response::new(200);
    r.headers = headers;
    r.headers.push(("Accept-Ranges", "bytes".into()));
    if let Some(e) = v.encoding.as_deref().filter(|e| !e.is_empty()) {
        r.after_type.push(("Content-Encoding", e.to_string()));
    }
    if !v.languages.is_empty() {
        r.after_type
            .push(("Content-Language", v.languages.join(",")));
    }
    if !v.mime_type.is_empty() {
        r.content_type = Some(if v.charset.is_empty() {
            v.mime_type.clone()
        } else {
            format!("{}; charset={}", v.mime_type, v.charset)
        });
    }
    r.body = body;
    r
}
