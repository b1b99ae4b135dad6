//! Byte ranges as Apache 2.4's `byterange_filter.c` serves them, as pure functions: the
//! `Range` header -> which bytes of a body of known length to send (or 416, or ignore it),
//! `If-Range`, and the `multipart/byteranges` framing.
//!
//! Apache's rules, checked against httpd 2.4.71: the header must start with `bytes=`
//! (case-insensitive); every spec is `N-M`, `N-` or `-N` with plain decimal digits (no signs,
//! no blanks; a number that overflows `i64` makes the spec invalid); one invalid spec ignores
//! the whole header (full 200). Runs of commas are skipped; an empty spec at the start ends the
//! list. `0-` anywhere means the whole body as one range. Specs starting at or after the end
//! are dropped (all dropped: 416). Each spec is merged with the one before it when they overlap
//! or touch (an *overlap*; starting before it is also a *reversal*); more than `max_ranges`
//! merged ranges, more than 20 overlaps or reversals, or merged lengths summing to more than
//! the body: the header is ignored. Nothing here reads a file or a clock.

use crate::handlers::conditional::parse_http_date;

/// Apache's MaxRangeOverlaps / MaxRangeReversals defaults (there are no keys for them).
pub const MAX_OVERLAPS: u32 = 20;
pub const MAX_REVERSALS: u32 = 20;

/// Apache sends a multipart body in pieces every 32 ranges, which loses the Content-Length:
/// responses with more merged ranges than this go out chunked (HTTP/1.1) or close-delimited.
pub const MULTIPART_KNOWN_LENGTH_MAX: usize = 32;

/// An inclusive byte range `start..=end` of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The range limits in force (`None` = unlimited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeLimits {
    /// MaxRanges: most merged ranges served; `Some(0)` is Apache's `none`.
    pub max_ranges: Option<u32>,
    pub max_overlaps: Option<u32>,
    pub max_reversals: Option<u32>,
}

impl RangeLimits {
    /// `max_ranges` from the configuration (0 = `none`) with Apache's other defaults.
    pub fn with_max_ranges(max_ranges: u32) -> RangeLimits {
        RangeLimits {
            max_ranges: Some(max_ranges),
            max_overlaps: Some(MAX_OVERLAPS),
            max_reversals: Some(MAX_REVERSALS),
        }
    }

    /// The `Accept-Ranges` value (`none` when MaxRanges is `none`).
    pub fn accept_ranges(&self) -> &'static [u8] {
        if self.max_ranges == Some(0) {
            b"none"
        } else {
            b"bytes"
        }
    }
}

/// What to send for a 200 response of known length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangePlan {
    /// The whole body, status unchanged (no Range, or one Apache ignores).
    Full,
    /// 206 with these merged ranges (one: `Content-Range`; several: multipart).
    Partial(Vec<ByteRange>),
    /// 416: every range starts at or after the end.
    Unsatisfiable,
}

/// `ap_set_byterange`'s parse-and-merge result.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Parsed {
    Ignore,
    Unsatisfiable,
    Ranges {
        ranges: Vec<ByteRange>,
        overlaps: u32,
        reversals: u32,
    },
}

/// Decimal digits only, into an `i64` (Apache's `apr_strtoff` after 2.4's strictness).
fn number(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: i64 = 0;
    for &d in s {
        n = n.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some(n)
}

/// Apache's `ap_getword(..., ',')`: the next comma-separated word and the rest after the run
/// of commas that ended it.
fn next_word(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s.iter().position(|&b| b == b',').unwrap_or(s.len());
    let mut rest = &s[end..];
    while let Some(r) = rest.strip_prefix(b",") {
        rest = r;
    }
    (&s[..end], rest)
}

/// Parses and merges the specs after `bytes=` for a body of `clength` (> 0) bytes.
fn parse(specs: &[u8], clength: i64) -> Parsed {
    let mut ranges = Vec::new();
    let (mut overlaps, mut reversals) = (0u32, 0u32);
    let (mut ostart, mut oend, mut sum) = (0i64, 0i64, 0i64);
    let mut in_merge = false;
    let mut unsatisfiable = false;
    let mut rest = specs;
    while !rest.is_empty() {
        let (cur, after) = next_word(rest);
        rest = after;
        if cur.is_empty() {
            break;
        }
        let Some(dash) = cur.iter().position(|&b| b == b'-') else {
            return Parsed::Ignore;
        };
        let (mut start, mut end);
        if dash == 0 {
            // "-N": the last N bytes.
            match number(&cur[1..]) {
                Some(n) if n >= 1 => {
                    start = clength - n;
                    end = clength - 1;
                }
                _ => return Parsed::Ignore,
            }
        } else {
            let Some(s) = number(&cur[..dash]) else {
                return Parsed::Ignore;
            };
            start = s;
            let tail = &cur[dash + 1..];
            if tail.is_empty() {
                end = clength - 1;
                if start == 0 {
                    // "0-": the whole body, whatever else was asked for.
                    ranges.clear();
                    sum = 0;
                    in_merge = true;
                    ostart = 0;
                    oend = end;
                    break;
                }
            } else {
                let Some(e) = number(tail) else {
                    return Parsed::Ignore;
                };
                end = e;
                if start > end {
                    return Parsed::Ignore;
                }
            }
        }
        start = start.max(0);
        if start >= clength {
            unsatisfiable = true;
            continue;
        }
        end = end.min(clength - 1);
        if !in_merge {
            ostart = start;
            oend = end;
            in_merge = true;
            continue;
        }
        in_merge = false;
        if start >= ostart && end <= oend {
            in_merge = true;
        }
        if start < ostart && end >= ostart - 1 {
            ostart = start;
            reversals += 1;
            in_merge = true;
        }
        if end >= oend && start <= oend + 1 {
            oend = end;
            in_merge = true;
        }
        if in_merge {
            overlaps += 1;
        } else {
            ranges.push(ByteRange {
                start: ostart as u64,
                end: oend as u64,
            });
            sum += oend - ostart + 1;
            in_merge = true;
            ostart = start;
            oend = end;
        }
    }
    if in_merge {
        ranges.push(ByteRange {
            start: ostart as u64,
            end: oend as u64,
        });
        sum += oend - ostart + 1;
    } else if ranges.is_empty() && unsatisfiable {
        return Parsed::Unsatisfiable;
    }
    if sum > clength || ranges.is_empty() {
        return Parsed::Ignore;
    }
    Parsed::Ranges {
        ranges,
        overlaps,
        reversals,
    }
}

/// The plan for a `Range` header value (already known to apply: status 200, If-Range
/// satisfied) over a body of `clength` bytes.
pub fn plan(range: &[u8], clength: u64, limits: RangeLimits) -> RangePlan {
    let Some(specs) = range
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case(b"bytes="))
        .map(|_| &range[6..])
    else {
        return RangePlan::Full;
    };
    let Ok(clength) = i64::try_from(clength) else {
        return RangePlan::Full;
    };
    if clength <= 0 {
        return RangePlan::Full;
    }
    let over = |limit: Option<u32>, n: usize| limit.is_some_and(|l| n > l as usize);
    match parse(specs, clength) {
        Parsed::Ignore => RangePlan::Full,
        // A count of -1 is never over a limit: MaxRanges none still answers 416.
        Parsed::Unsatisfiable => RangePlan::Unsatisfiable,
        Parsed::Ranges {
            ranges,
            overlaps,
            reversals,
        } => {
            if over(limits.max_ranges, ranges.len())
                || over(limits.max_overlaps, overlaps as usize)
                || over(limits.max_reversals, reversals as usize)
            {
                RangePlan::Full
            } else {
                RangePlan::Partial(ranges)
            }
        }
    }
}

/// `ap_condition_if_range`: whether `If-Range` lets the ranges apply. An entity tag (starts
/// with `"`) must equal the response's ETag exactly (so a weak ETag never matches); anything
/// else is a date that must equal Last-Modified, and only once the file is a minute old.
pub fn if_range_allows(
    if_range: &[u8],
    etag: Option<&[u8]>,
    last_modified: i64,
    request_secs: i64,
) -> bool {
    if if_range.first() == Some(&b'"') {
        return etag == Some(if_range);
    }
    let date = parse_http_date(if_range).unwrap_or(0);
    date == last_modified && request_secs >= last_modified + 60
}

/// `CRLF--boundary CRLF [Content-type: ct CRLF] Content-range: bytes a-b/len CRLF CRLF`.
pub fn push_part_head(
    out: &mut Vec<u8>,
    boundary: &str,
    content_type: Option<&str>,
    r: ByteRange,
    total: u64,
) {
    use crate::http::response::push_u64;
    out.extend_from_slice(b"\r\n--");
    out.extend_from_slice(boundary.as_bytes());
    if let Some(ct) = content_type {
        out.extend_from_slice(b"\r\nContent-type: ");
        out.extend_from_slice(ct.as_bytes());
    }
    out.extend_from_slice(b"\r\nContent-range: bytes ");
    push_u64(out, r.start);
    out.push(b'-');
    push_u64(out, r.end);
    out.push(b'/');
    push_u64(out, total);
    out.extend_from_slice(b"\r\n\r\n");
}

/// `CRLF--boundary--CRLF`.
pub fn push_closing(out: &mut Vec<u8>, boundary: &str) {
    out.extend_from_slice(b"\r\n--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
}

/// Length of the multipart body for `ranges` (the sum of part heads, data and the closing).
pub fn multipart_len(
    ranges: &[ByteRange],
    boundary: &str,
    content_type: Option<&str>,
    total: u64,
) -> u64 {
    let mut scratch = Vec::with_capacity(128);
    let mut len = 0u64;
    for r in ranges {
        scratch.clear();
        push_part_head(&mut scratch, boundary, content_type, *r, total);
        len += scratch.len() as u64 + r.len();
    }
    scratch.clear();
    push_closing(&mut scratch, boundary);
    len + scratch.len() as u64
}

/// `Content-Range` value for one range: `bytes a-b/len`.
pub fn push_content_range(out: &mut Vec<u8>, r: ByteRange, total: u64) {
    use crate::http::response::push_u64;
    out.extend_from_slice(b"bytes ");
    push_u64(out, r.start);
    out.push(b'-');
    push_u64(out, r.end);
    out.push(b'/');
    push_u64(out, total);
}

/// The multipart body of `ranges` cut out of `body` (an in-memory response, or a file
/// assembled for a chunked reply).
pub fn multipart_body(
    out: &mut Vec<u8>,
    body: &[u8],
    ranges: &[ByteRange],
    boundary: &str,
    content_type: Option<&str>,
) {
    let total = body.len() as u64;
    for r in ranges {
        push_part_head(out, boundary, content_type, *r, total);
        out.extend_from_slice(&body[r.start as usize..=r.end as usize]);
    }
    push_closing(out, boundary);
}

/// A boundary as Apache makes it: a random 64-bit number in lower-case hex without leading
/// zeros (`"%0" APR_UINT64_T_HEX_FMT`), made once per configuration generation.
pub fn new_boundary() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    format!("{:x}", h.finish())
}

#[cfg(test)]
#[path = "range_tests.rs"]
mod tests;
