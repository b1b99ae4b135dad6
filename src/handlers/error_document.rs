//! ErrorDocument (core's `ap_die`): what an error reply becomes under the configuration of
//! the directory it happened in. A message is sent as the body; a full URL becomes a 302 to
//! it; a local URL is served by internal redirect (GET, or HEAD for HEAD), keeping the
//! original status, with no conditionals; if that fails, Apache's page for the original status
//! says so ("Additionally, a 404 Not Found error was encountered ...").

use crate::config::ErrorDocument;
use crate::handlers::dir_walk::DirRef;
use crate::handlers::file_cache::FileCache;
use crate::handlers::static_files::{Located, Lookup, locate, resolve_url_path};
use crate::handlers::{ErrHeaders, Reply, RequestClock, RequestEnv, RequestPaths};
use crate::http::Site;
use crate::http::request::{Method, Request};

/// `located` after its ErrorDocument, if it is an error (4xx, 5xx) that has one. The error's
/// `err_headers` (a negotiation's Vary, Alternates, TCN) stay with whatever answers it, as
/// Apache's `err_headers_out` do (also into the internal redirect of a local URL).
pub fn apply<'s>(
    site: &'s Site,
    req: &Request<'_, '_>,
    cache: &mut FileCache,
    paths: &mut RequestPaths,
    clock: RequestClock,
    env: &mut RequestEnv<'_>,
    located: Located<'s>,
) -> Located<'s> {
    let (status, doc) = match &located {
        Located::Reply {
            reply: Reply::Error { status, .. },
            config,
        } if *status >= 400 => match config.error_document.get(status) {
            Some(doc) => (*status, doc.clone()),
            None => return located,
        },
        _ => return located,
    };
    let Located::Reply {
        reply: Reply::Error { err_headers, .. },
        config,
    } = located
    else {
        unreachable!("matched above")
    };
    let reply = match doc {
        ErrorDocument::Default => Reply::Error {
            status,
            location: None,
            err_headers,
        },
        ErrorDocument::Text(text) => Reply::ErrorText {
            status,
            text,
            err_headers,
        },
        ErrorDocument::Redirect(url) => Reply::Error {
            status: 302,
            location: Some(url),
            err_headers,
        },
        ErrorDocument::Local(url) => {
            let redirect = Redirect {
                status,
                err_headers,
            };
            return internal_redirect(site, req, cache, paths, clock, env, redirect, &url, config);
        }
    };
    Located::Reply { reply, config }
}

/// The error an ErrorDocument's internal redirect answers.
struct Redirect {
    status: u16,
    err_headers: ErrHeaders,
}

#[allow(clippy::too_many_arguments)]
fn internal_redirect<'s>(
    site: &'s Site,
    req: &Request<'_, '_>,
    cache: &mut FileCache,
    paths: &mut RequestPaths,
    clock: RequestClock,
    env: &mut RequestEnv<'_>,
    redirect: Redirect,
    url: &str,
    config: DirRef<'s>,
) -> Located<'s> {
    let Redirect {
        status,
        err_headers,
    } = redirect;
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    let mut doc_path = Vec::with_capacity(path.len());
    let failed = |recursive: u16, config, err_headers| Located::Reply {
        reply: Reply::ErrorRecursive {
            status,
            recursive,
            err_headers,
        },
        config,
    };
    if let Err(recursive) = resolve_url_path(path.as_bytes(), &mut doc_path) {
        return failed(recursive, config, err_headers);
    }
    let lookup = Lookup {
        req,
        method: if req.method == Method::Head {
            Method::Head
        } else {
            Method::Get
        },
        query,
        conditional: false,
        depth: 0,
    };
    let RequestPaths {
        fs_path, scratch, ..
    } = paths;
    match locate(site, lookup, &doc_path, fs_path, scratch, cache, clock, env) {
        Located::File(mut f, config) => {
            f.status = status;
            if !err_headers.is_empty() {
                f.mime_mut(site).negotiation.splice(0..0, err_headers);
            }
            Located::File(f, config)
        }
        // A directory listing, sent with the original status as a file would be (a page has
        // no header lines of its own: err_headers are dropped).
        Located::Reply {
            reply: Reply::Page(mut p),
            config,
        } if p.status == 200 => {
            p.status = status;
            Located::Reply {
                reply: Reply::Page(p),
                config,
            }
        }
        Located::Reply { reply, .. } => failed(reply.status(), config, err_headers),
    }
}
