//! Applies `Range` / `If-Range` to a handler's reply, as Apache's byterange filter does to
//! every response: only a 200 whose whole length is known (a file, a generated page) is
//! ranged; a 206 gets its merged ranges, an unsatisfiable set becomes a 416, anything else
//! is left as it was. The decisions are `range.rs`'s; this only reads the request.

use crate::handlers::conditional::last_modified_secs;
use crate::handlers::range::{self, RangeLimits, RangePlan};
use crate::handlers::{Reply, RequestClock};
use crate::http::Site;
use crate::http::request::Request;

/// The request's `Range` header, trimmed.
fn range_header<'b>(req: &Request<'_, 'b>) -> Option<&'b [u8]> {
    req.header("range").map(<[u8]>::trim_ascii)
}

/// `reply` with the request's ranges applied.
pub fn apply<'c>(
    site: &Site,
    req: &Request<'_, '_>,
    clock: RequestClock,
    reply: Reply<'c>,
) -> Reply<'c> {
    let Some(spec) = range_header(req) else {
        return reply;
    };
    let limits = RangeLimits::with_max_ranges(site.http().max_ranges);
    let if_range = req.header("if-range").map(<[u8]>::trim_ascii);
    match reply {
        Reply::File(mut f) if f.status == 200 => {
            if let Some(ir) = if_range {
                let lm = last_modified_secs(f.file.key.mtime.0, clock.secs);
                let etag = f.etag.as_ref().map(|e| e.as_bytes());
                if !range::if_range_allows(ir, etag, lm, clock.secs) {
                    return Reply::File(f);
                }
            }
            match range::plan(spec, f.file.len(), limits) {
                RangePlan::Full => Reply::File(f),
                RangePlan::Partial(ranges) => {
                    f.status = 206;
                    f.ranges = ranges;
                    Reply::File(f)
                }
                RangePlan::Unsatisfiable => Reply::error(416),
            }
        }
        // A generated page has no validators: any If-Range fails to match it.
        Reply::Page(mut p) if p.status == 200 && if_range.is_none() => {
            match range::plan(spec, p.body.len() as u64, limits) {
                RangePlan::Full => Reply::Page(p),
                RangePlan::Partial(ranges) => {
                    p.status = 206;
                    p.ranges = ranges;
                    Reply::Page(p)
                }
                RangePlan::Unsatisfiable => Reply::error(416),
            }
        }
        other => other,
    }
}
