//! Validators and conditional requests for files: Apache's ETag format (`http_etag.c`),
//! Last-Modified capping, and `ap_meets_conditions` (If-Match, If-Unmodified-Since,
//! If-None-Match, If-Modified-Since) as a pure function of plain values.
//!
//! Range / If-Range are not served yet (no `Accept-Ranges` is advertised); the presence of a
//! `Range` header is still passed in because Apache's comparisons depend on it.

use crate::config::FileEtag;

/// What identifies a file version for ETags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub inode: u64,
    pub size: u64,
    /// Modification time in microseconds since the epoch (Apache's `apr_time_t`).
    pub mtime_us: i64,
}

/// Longest ETag: `W/"` + three 16-digit numbers + two dashes + `"`.
pub const MAX_ETAG: usize = 3 + 16 * 3 + 2 + 1;

/// An ETag value held inline (no allocation).
#[derive(Debug, Clone, Copy)]
pub struct Etag {
    buf: [u8; MAX_ETAG],
    len: u8,
}

impl Etag {
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    fn push(&mut self, b: u8) {
        self.buf[usize::from(self.len)] = b;
        self.len += 1;
    }

    fn push_hex(&mut self, mut v: u64) {
        let mut digits = [0u8; 16];
        let mut n = 0;
        loop {
            digits[n] = b"0123456789abcdef"[(v & 15) as usize];
            n += 1;
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        for &d in digits[..n].iter().rev() {
            self.push(d);
        }
    }
}

/// Apache's ETag for a file: the selected components (INode, Size, MTime, in that order) in
/// lower-case hex joined by `-`, quoted; weak (`W/`) unless the file was modified more than a
/// second before the request. `None` when FileETag is None.
pub fn etag(stamp: &Stamp, bits: FileEtag, request_time_us: i64) -> Option<Etag> {
    if !(bits.inode || bits.size || bits.mtime) {
        return None;
    }
    let mut e = Etag {
        buf: [0; MAX_ETAG],
        len: 0,
    };
    if request_time_us - stamp.mtime_us <= 1_000_000 {
        e.push(b'W');
        e.push(b'/');
    }
    e.push(b'"');
    let parts = [
        (bits.inode, stamp.inode),
        (bits.size, stamp.size),
        (bits.mtime, stamp.mtime_us as u64),
    ];
    let mut first = true;
    for (on, v) in parts {
        if on {
            if !first {
                e.push(b'-');
            }
            e.push_hex(v);
            first = false;
        }
    }
    e.push(b'"');
    Some(e)
}

/// Last-Modified in seconds: the mtime, capped at the request time (`ap_update_mtime`).
pub fn last_modified_secs(mtime_secs: i64, request_secs: i64) -> i64 {
    mtime_secs.min(request_secs)
}

/// The conditional headers of a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a [u8]>,
    pub if_unmodified_since: Option<&'a [u8]>,
    pub if_none_match: Option<&'a [u8]>,
    pub if_modified_since: Option<&'a [u8]>,
    /// A Range header was sent (forces strong comparison, disables weak date matches).
    pub has_range: bool,
    /// GET or HEAD (Apache's `M_GET`).
    pub get_or_head: bool,
}

impl Conditions<'_> {
    pub fn any(&self) -> bool {
        self.if_match.is_some()
            || self.if_unmodified_since.is_some()
            || self.if_none_match.is_some()
            || self.if_modified_since.is_some()
    }
}

/// Result of evaluating conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Serve the resource normally.
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    PreconditionFailed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    NoMatch,
    Weak,
    Strong,
}

/// `ap_meets_conditions` for a 200 response with validators `etag` (as sent, maybe `W/`)
/// and `last_modified` (seconds), at request time `request_secs`.
pub fn evaluate(
    c: &Conditions<'_>,
    etag: Option<&[u8]>,
    last_modified: i64,
    request_secs: i64,
) -> Verdict {
    let mut not_modified: Option<bool> = None;
    if let Some(im) = c.if_match {
        let ok = im.first() == Some(&b'*') || etag.is_some_and(|e| list_has_etag(im, e, true));
        if !ok {
            return Verdict::PreconditionFailed;
        }
    }
    let recent = request_secs < last_modified + 60;
    if let Some(ius) = c.if_unmodified_since {
        match parse_date(ius) {
            Some(t) if last_modified > t => return Verdict::PreconditionFailed,
            _ => not_modified = Some(false),
        }
    }
    let inm = c.if_none_match.map(|inm| {
        if inm.first() == Some(&b'*') {
            Cond::Strong
        } else {
            match etag {
                Some(e) if list_has_etag(inm, e, !c.get_or_head || c.has_range) => Cond::Strong,
                _ => Cond::NoMatch,
            }
        }
    });
    match inm {
        Some(Cond::NoMatch) => not_modified = Some(false),
        Some(_) if !c.get_or_head => return Verdict::PreconditionFailed,
        Some(_) if not_modified != Some(false) => not_modified = Some(true),
        _ => {}
    }
    if let Some(ims) = c.if_modified_since {
        let t = parse_date(ims).unwrap_or(0);
        let cond = if t >= last_modified && t <= request_secs {
            if recent && c.has_range {
                Cond::NoMatch
            } else {
                Cond::Weak
            }
        } else {
            Cond::NoMatch
        };
        match cond {
            Cond::NoMatch => not_modified = Some(false),
            _ if c.get_or_head && not_modified != Some(false) => not_modified = Some(true),
            _ => {}
        }
    }
    if not_modified == Some(true) {
        Verdict::NotModified
    } else {
        Verdict::Proceed
    }
}

fn parse_date(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?;
    let t = httpdate::parse_http_date(s.trim()).ok()?;
    Some(crate::http::date::unix_secs(t))
}

/// Whether the comma-separated entity-tag list contains `etag` (strong or weak comparison).
fn list_has_etag(list: &[u8], etag: &[u8], strong: bool) -> bool {
    let (etag_weak, etag_opaque) = split_weak(etag);
    if strong && etag_weak {
        return false;
    }
    list.split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .any(|item| {
            let (weak, opaque) = split_weak(item);
            !(strong && weak) && opaque == etag_opaque
        })
}

fn split_weak(tag: &[u8]) -> (bool, &[u8]) {
    match tag.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, tag),
    }
}

#[cfg(test)]
#[path = "conditional_tests.rs"]
mod tests;
