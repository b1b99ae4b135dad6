//! Validators and conditional requests for files: Apache's ETag format (`http_etag.c`),
//! Last-Modified capping, `ap_meets_conditions` (If-Match, If-Unmodified-Since,
//! If-None-Match, If-Modified-Since, If-Range, in that order) as a pure function of plain
//! values, and APR's HTTP date parser (`apr_date_parse_http`), whose leniency decides which
//! odd dates count.
//!
//! Whether ranges then apply (If-Range's match) is `range.rs`'s business; here If-Range only
//! matters because, next to a Range header, it rules out a 304.

use crate::config::FileEtag;

/// What identifies a file version for ETags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub inode: u64,
    pub size: u64,
    /// Modification time in microseconds since the epoch (Apache's `apr_time_t`).
    pub mtime_us: i64,
}

/// Longest ETag: `W/"` + three 16-digit numbers + two dashes + `"`, then for a negotiated
/// file `;` and the variant list validator (at most three more numbers and two dashes).
pub const MAX_ETAG: usize = 3 + 16 * 3 + 2 + 1 + 1 + 16 * 3 + 2;

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
    etag_ex(stamp, bits, request_time_us, false)
}

fn etag_ex(stamp: &Stamp, bits: FileEtag, request_time_us: i64, force_weak: bool) -> Option<Etag> {
    if !(bits.inode || bits.size || bits.mtime) {
        return None;
    }
    let mut e = Etag {
        buf: [0; MAX_ETAG],
        len: 0,
    };
    if force_weak || request_time_us - stamp.mtime_us <= 1_000_000 {
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

/// Apache's ETag for something that is not a file (a MultiViews resource's directory
/// listing): `[W/]"mtime"`, weak when modified within a second of the request.
pub fn mtime_etag(mtime_us: i64, request_time_us: i64) -> Etag {
    let mut e = Etag {
        buf: [0; MAX_ETAG],
        len: 0,
    };
    if request_time_us - mtime_us <= 1_000_000 {
        e.push(b'W');
        e.push(b'/');
    }
    e.push(b'"');
    e.push_hex(mtime_us as u64);
    e.push(b'"');
    e
}

/// The ETag of a negotiated file (`ap_set_etag` with a variant list validator): the file's
/// ETag (weak if `vlv` is) without its closing quote, `;`, and the validator's value without
/// its quotes. httpd 2.4.71 sends it so, without a closing quote. `None` when FileETag is
/// None.
pub fn negotiated_etag(
    stamp: &Stamp,
    bits: FileEtag,
    request_time_us: i64,
    vlv: &Etag,
) -> Option<Etag> {
    let v = vlv.as_bytes();
    let weak = v.starts_with(b"W/");
    let mut e = etag_ex(stamp, bits, request_time_us, weak)?;
    e.len -= 1;
    e.push(b';');
    let inner = &v[if weak { 3 } else { 1 }..];
    for &b in inner.strip_suffix(b"\"").unwrap_or(inner) {
        e.push(b);
    }
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
    /// An If-Range header was sent (next to a Range header it rules out a 304).
    pub has_if_range: bool,
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
/// and `last_modified` (seconds), at request time `request_secs`. Last-Modified is only a
/// strong validator once it is a minute old: until then a Range request never matches a date.
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
        match parse_http_date(ius) {
            Some(t) if last_modified > t && !(recent && c.has_range) => {
                return Verdict::PreconditionFailed;
            }
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
        let t = parse_http_date(ims).unwrap_or(0);
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
    // If-Range with Range: the answer is the (maybe ranged) 200, whether or not it matches.
    if c.has_if_range && c.has_range {
        return Verdict::Proceed;
    }
    if not_modified == Some(true) {
        Verdict::NotModified
    } else {
        Verdict::Proceed
    }
}

/// `apr_date_parse_http`: RFC 1123 (`Sun, 06 Nov 1994 08:49:37 GMT`, also with a one-digit
/// day), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`),
/// in Unix seconds. Like APR: leading blanks and the weekday (anything up to the first space)
/// are skipped, anything after the seconds and one more byte is ignored (the zone is never
/// read), months are case-sensitive, day-of-month and time fields are range-checked, dates
/// before 1970 are bad. `None` is APR's `APR_DATE_BAD`.
pub fn parse_http_date(v: &[u8]) -> Option<i64> {
    let start = v.iter().position(|b| !b.is_ascii_whitespace())?;
    let v = &v[start..];
    let space = v.iter().position(|&b| b == b' ')?;
    let d = &v[space + 1..];
    let digit = |i: usize| i64::from(d[i] - b'0');
    let two = |i: usize| digit(i) * 10 + digit(i + 1);
    let century = |i: usize| -> Option<i64> {
        let c = (two(i) - 19) * 100;
        (c >= 0).then_some(c + two(i + 2))
    };
    let (year, mday, mon, time) = if check_mask(d, b"## @$$ #### ##:##:## *") {
        (century(7)?, two(0), 3, 12)
    } else if check_mask(d, b"##-@$$-## ##:##:## *") {
        let y = two(7);
        (if y < 70 { y + 100 } else { y }, two(0), 3, 10)
    } else if check_mask(d, b"@$$ ~# ##:##:## ####*") {
        let tens = if d[4] == b' ' { 0 } else { digit(4) * 10 };
        (century(16)?, tens + digit(5), 0, 7)
    } else if check_mask(d, b"# @$$ #### ##:##:## *") {
        (century(6)?, digit(0), 2, 11)
    } else {
        return None;
    };
    if !(1..=31).contains(&mday) {
        return None;
    }
    let (hour, min, sec) = (two(time), two(time + 3), two(time + 6));
    if hour > 23 || min > 59 || sec > 61 {
        return None;
    }
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|m| &d[mon..mon + 3] == *m)? as i64;
    if mday == 31 && matches!(month, 3 | 5 | 8 | 10) {
        return None;
    }
    if month == 1
        && (mday > 29 || (mday == 29 && (year & 3 != 0 || (year % 100 == 0 && year % 400 != 100))))
    {
        return None;
    }
    // apr_time_exp_get: days since 1 March 1900, shifted to the epoch.
    const DAY_OFFSET: [i64; 12] = [306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275];
    let y = if month < 2 { year - 1 } else { year };
    let mut days = y * 365 + y / 4 - y / 100 + (y / 100 + 3) / 4;
    days += DAY_OFFSET[month as usize] + mday - 1 - 25508;
    let secs = ((days * 24 + hour) * 60 + min) * 60 + sec;
    (secs > 0).then_some(secs)
}

/// `apr_date_checkmask`: `@` upper-case letter, `$` lower-case letter, `#` digit, `~` digit
/// or space, `*` anything from here on, any other byte itself; the data must end with the mask.
fn check_mask(data: &[u8], mask: &[u8]) -> bool {
    for (i, &m) in mask.iter().enumerate() {
        let d = data.get(i).copied().unwrap_or(0);
        let ok = match m {
            b'*' => return true,
            b'@' => d.is_ascii_uppercase(),
            b'$' => d.is_ascii_lowercase(),
            b'#' => d.is_ascii_digit(),
            b'~' => d == b' ' || d.is_ascii_digit(),
            _ => d == m,
        };
        if !ok {
            return false;
        }
    }
    data.len() == mask.len()
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
