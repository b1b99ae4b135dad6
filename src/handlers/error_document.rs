//! ErrorDocument (core's `ap_die`): what an error reply becomes under the configuration of
//! the directory it happened in. A message is sent as the body; a full URL becomes a 302 to
//! it; a local URL is served by internal redirect (GET, or HEAD for HEAD), keeping the
//! original status, with no conditionals; if that fails, Apache's page for the original status
//! says so ("Additionally, a 404 Not Found error was encountered ...").

use crate::config::ErrorDocument;
use crate::handlers::dir_walk::DirRef;
use crate::handlers::file_cache::FileCache;
use crate::handlers::static_files::{Located, Lookup, locate, resolve_url_path};
use crate::handlers::{Reply, RequestClock, RequestEnv, RequestPaths};
use crate::http::Site;
use crate::http::request::{Method, Request};

/// `located` after its ErrorDocument, if it is an error (4xx, 5xx) that has one.
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
    let Located::Reply { config, .. } = located else {
        unreachable!("matched above")
    };
    let reply = match doc {
        ErrorDocument::Default => Reply::error(status),
        ErrorDocument::Text(text) => Reply::ErrorText { status, text },
        ErrorDocument::Redirect(url) => Reply::Error {
            status: 302,
            location: Some(url),
        },
        ErrorDocument::Local(url) => {
            return internal_redirect(site, req, cache, paths, clock, env, status, &url, config);
        }
    };
    Located::Reply { reply, config }
}

#[allow(clippy::too_many_arguments)]
fn internal_redirect<'s>(
    site: &'s Site,
    req: &Request<'_, '_>,
    cache: &mut FileCache,
    paths: &mut RequestPaths,
    clock: RequestClock,
    env: &mut RequestEnv<'_>,
    status: u16,
    url: &str,
    config: DirRef<'s>,
) -> Located<'s> {
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    let mut doc_path = Vec::with_capacity(path.len());
    let failed = |recursive: u16, config| Located::Reply {
        reply: Reply::ErrorRecursive { status, recursive },
        config,
    };
    if let Err(recursive) = resolve_url_path(path.as_bytes(), &mut doc_path) {
        return failed(recursive, config);
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
            Located::File(f, config)
        }
        // A directory listing, sent with the original status as a file would be.
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
        Located::Reply { reply, .. } => failed(reply.status(), config),
    }
}
