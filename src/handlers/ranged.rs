//! Applies `Range` / `If-Range` to what the document tree located, as Apache's byterange
//! filter does to every response: only a 200 whose whole length is known (a file, a generated
//! page) is ranged; a 206 gets its merged ranges, an unsatisfiable set becomes a 416 under the
//! directory's configuration (so its ErrorDocument still applies, as `ap_die` does with the
//! filter's error bucket), anything else is left as it was. The decisions are `range.rs`'s;
//! this only reads the request.

use crate::handlers::conditional::last_modified_secs;
use crate::handlers::dir_walk::DirRef;
use crate::handlers::range::{self, RangeLimits, RangePlan};
use crate::handlers::static_files::Located;
use crate::handlers::{Reply, RequestClock};
use crate::http::Site;
use crate::http::request::Request;

/// The request's `Range` header, trimmed.
fn range_header<'b>(req: &Request<'_, 'b>) -> Option<&'b [u8]> {
    req.header("range").map(<[u8]>::trim_ascii)
}

/// `located` with the request's ranges applied.
pub fn apply<'s>(
    site: &Site,
    req: &Request<'_, '_>,
    clock: RequestClock,
    located: Located<'s>,
) -> Located<'s> {
    let Some(spec) = range_header(req) else {
        return located;
    };
    let limits = RangeLimits::with_max_ranges(site.http().max_ranges);
    let if_range = req.header("if-range").map(<[u8]>::trim_ascii);
    match located {
        Located::File(mut f, config) if f.status == 200 => {
            if let Some(ir) = if_range {
                let lm = last_modified_secs(f.key.mtime.0, clock.secs);
                let etag = f.etag.as_ref().map(|e| e.as_bytes());
                if !range::if_range_allows(ir, etag, lm, clock.secs) {
                    return Located::File(f, config);
                }
            }
            match range::plan(spec, f.key.size, limits) {
                RangePlan::Full => {}
                RangePlan::Partial(ranges) => {
                    f.status = 206;
                    f.ranges = ranges;
                }
                RangePlan::Unsatisfiable => return unsatisfiable(config),
            }
            Located::File(f, config)
        }
        // A generated page has no validators: any If-Range fails to match it.
        Located::Reply {
            reply: Reply::Page(mut p),
            config,
        } if p.status == 200 && if_range.is_none() => {
            match range::plan(spec, p.body.len() as u64, limits) {
                RangePlan::Full => {}
                RangePlan::Partial(ranges) => {
                    p.status = 206;
                    p.ranges = ranges;
                }
                RangePlan::Unsatisfiable => return unsatisfiable(config),
            }
            Located::Reply {
                reply: Reply::Page(p),
                config,
            }
        }
        other => other,
    }
}

fn unsatisfiable(config: DirRef<'_>) -> Located<'_> {
    Located::Reply {
        reply: Reply::error(416),
        config,
    }
}
