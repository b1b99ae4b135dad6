use super::*;

/// `"206 a-b,c-d"` / `"200"` / `"416"` for a plan, as the Apache table below writes them.
fn show(p: &RangePlan) -> String {
    match p {
        RangePlan::Full => "200".into(),
        RangePlan::Unsatisfiable => "416".into(),
        RangePlan::Partial(rs) => {
            let parts: Vec<String> = rs
                .iter()
                .map(|r| format!("{}-{}", r.start, r.end))
                .collect();
            format!("206 {}", parts.join(","))
        }
    }
}

/// Each row was answered by Apache httpd 2.4.71 (Debian) for a 36-byte file with the
/// default MaxRanges / MaxRangeOverlaps / MaxRangeReversals.
#[test]
fn apache_range_table() {
    let cases: &[(&str, &str)] = &[
        ("bytes=0-4", "206 0-4"),
        ("bytes=0-4,10-12", "206 0-4,10-12"),
        ("bytes=-5", "206 31-35"),
        ("bytes=30-", "206 30-35"),
        ("bytes=36-", "416"),
        ("bytes=40-", "416"),
        ("bytes=40-,50-", "416"),
        ("bytes=0-", "206 0-35"),
        ("bytes=5-2", "200"),
        ("bytes=x", "200"),
        ("bytes=0-1,1-2", "206 0-2"),
        ("bytes=0-1,,5-6", "206 0-1,5-6"),
        ("bytes=,0-1", "200"),
        ("bytes= 0-1", "200"),
        ("bytes=0-1, 5-6", "200"),
        ("bytes=-", "200"),
        ("bytes=-0", "200"),
        ("bytes=--5", "200"),
        ("bytes=+3-4", "200"),
        ("bytes=3-+4", "200"),
        ("bytes=0-99999999999999999999", "200"),
        ("bytes=-100", "206 0-35"),
        ("Bytes=1-2", "206 1-2"),
        ("BYTES=1-2", "206 1-2"),
        ("bytes =1-2", "200"),
        ("bytes=1-2,", "206 1-2"),
        ("bytes=1-2,x", "200"),
        ("bytes=40-,1-2", "206 1-2"),
        ("bytes=1-2,40-", "206 1-2"),
        ("bytes=0-10,5-20,30-", "206 0-20,30-35"),
        ("bytes=10-20,0-5", "206 10-20,0-5"),
        ("bytes=10-20,0-9", "206 0-20"),
        ("bytes=10-20,0-8", "206 10-20,0-8"),
        ("bytes=0-5,3-", "206 0-35"),
        ("bytes=1-1,3-3,5-5,7-7", "206 1-1,3-3,5-5,7-7"),
        ("bytes=0-20,10-35", "206 0-35"),
        ("bytes=1-2,0-", "206 0-35"),
        ("bytes=5-,0-", "206 0-35"),
        ("bytes=1-2,3-4", "206 1-4"),
        ("bytes=3-4,1-2", "206 1-4"),
        ("bytes=1-3,2-2", "206 1-3"),
        ("bytes=2-2,1-3", "206 1-3"),
        ("bytes=0-0,-1", "206 0-0,35-35"),
        ("bytes=1-", "206 1-35"),
        ("bytes=35-35", "206 35-35"),
        ("bytes=36-36", "416"),
        ("bytes=-36", "206 0-35"),
        ("bytes=-37", "206 0-35"),
        ("bytes=01-02", "206 1-2"),
        ("bytes=1-2,,", "206 1-2"),
        ("bytes=,,1-2", "200"),
        ("bytes=1-2,-3", "206 1-2,33-35"),
        ("bytes=0x1-2", "200"),
        ("bytes=1-2-3", "200"),
        ("bytes=9223372036854775807-", "416"),
        ("bytes=-9223372036854775807", "206 0-35"),
        ("bytes=9223372036854775808-", "200"),
        ("bytes=1-9223372036854775807", "206 1-35"),
        ("bytes=1-2,100-200,5-6", "206 1-2,5-6"),
        ("bytes=20-30,0-10,5-25", "200"),
        ("bytes=0-1,2-3,4-5", "206 0-5"),
        ("bytes=4-5,2-3,0-1", "206 0-5"),
        ("bytes=10-12,0-3,11-20", "206 10-12,0-3,11-20"),
        ("bytes=0-10,0-10,0-10", "206 0-10"),
        ("bytes=0-17,18-35", "206 0-35"),
        ("bytes=0-17,17-35", "206 0-35"),
        ("bytes=0-20,15-35", "206 0-35"),
        ("bytes=1-34,0-0", "206 0-34"),
        ("bytes=-1,-1", "206 35-35"),
        ("bytes=-10,0-30", "206 0-35"),
        ("bytes=1-2;3-4", "200"),
        ("bytes=1.5-2", "200"),
        ("bytes==1-2", "200"),
        ("bytes=1-2=", "200"),
    ];
    for &(header, want) in cases {
        let got = plan(header.as_bytes(), 36, RangeLimits::with_max_ranges(200));
        assert_eq!(show(&got), want, "Range: {header}");
    }
}

fn repeat(spec: impl Fn(usize) -> String, n: usize) -> String {
    let specs: Vec<String> = (0..n).map(spec).collect();
    format!("bytes={}", specs.join(","))
}

/// The limits, as Apache 2.4.71 applied them to a 100-byte file.
#[test]
fn limits_table() {
    let default = RangeLimits::with_max_ranges(200);
    let cases: Vec<(String, RangeLimits, &str)> = vec![
        // 21 copies of 0-5: 20 overlaps, served; 22: 21 overlaps, ignored.
        (repeat(|_| "0-5".into(), 21), default, "206 0-5"),
        (repeat(|_| "0-5".into(), 22), default, "200"),
        // Each range one byte before the last: 20 reversals served, 21 ignored.
        (
            repeat(|i| format!("{0}-{0}", 50 - i), 21),
            default,
            "206 30-50",
        ),
        (repeat(|i| format!("{0}-{0}", 50 - i), 22), default, "200"),
        // MaxRanges counts merged ranges.
        (
            "bytes=0-1,3-4".into(),
            RangeLimits::with_max_ranges(2),
            "206 0-1,3-4",
        ),
        (
            "bytes=0-1,3-4,6-7".into(),
            RangeLimits::with_max_ranges(2),
            "200",
        ),
        (
            "bytes=0-1,2-3,199-".into(),
            RangeLimits::with_max_ranges(2),
            "206 0-3",
        ),
        // MaxRanges none: no ranges, but all-unsatisfiable is still 416.
        ("bytes=0-1".into(), RangeLimits::with_max_ranges(0), "200"),
        ("bytes=199-".into(), RangeLimits::with_max_ranges(0), "416"),
        // Unlimited.
        (
            repeat(|_| "0-5".into(), 40),
            RangeLimits {
                max_ranges: None,
                max_overlaps: None,
                max_reversals: None,
            },
            "206 0-5",
        ),
    ];
    for (header, limits, want) in cases {
        let got = plan(header.as_bytes(), 100, limits);
        assert_eq!(show(&got), want, "Range: {header} {limits:?}");
    }
    // 201 separate ranges are over MaxRanges 200; 200 are not.
    let many = |n| repeat(|i| format!("{0}-{0}", 2 * i), n);
    assert_eq!(plan(many(201).as_bytes(), 1000, default), RangePlan::Full);
    assert!(
        matches!(plan(many(200).as_bytes(), 1000, default), RangePlan::Partial(r) if r.len() == 200)
    );
    // An empty body is never ranged (Apache: clength <= 0), nor is a missing "bytes=".
    assert_eq!(plan(b"bytes=0-1", 0, default), RangePlan::Full);
    assert_eq!(plan(b"bytes=5-", 0, default), RangePlan::Full);
    assert_eq!(plan(b"items=0-1", 100, default), RangePlan::Full);
    assert_eq!(plan(b"", 100, default), RangePlan::Full);
    assert_eq!(default.accept_ranges(), b"bytes");
    assert_eq!(RangeLimits::with_max_ranges(0).accept_ranges(), b"none");
}

/// `ap_condition_if_range`, checked against Apache 2.4.71 for a file last modified
/// Thu, 02 Jan 2020 03:04:05 GMT.
#[test]
fn if_range_table() {
    const LM: i64 = 1_577_934_245;
    let etag: &[u8] = b"\"24-59b1f7226f340\"";
    let old = LM + 3600;
    /// If-Range, the response's ETag, the request time, whether ranges apply.
    type Row<'a> = (&'a [u8], Option<&'a [u8]>, i64, bool);
    let cases: &[Row<'_>] = &[
        (b"\"24-59b1f7226f340\"", Some(etag), old, true),
        (b"W/\"24-59b1f7226f340\"", Some(etag), old, false),
        (b"\"nope\"", Some(etag), old, false),
        (b"\"24-59b1f7226f340\"", None, old, false),
        // A weak ETag from the server never equals a quoted If-Range.
        (
            b"\"24-59b1f7226f340\"",
            Some(b"W/\"24-59b1f7226f340\""),
            old,
            false,
        ),
        (b"Thu, 02 Jan 2020 03:04:05 GMT", Some(etag), old, true),
        (b"Thu, 02 Jan 2020 03:04:06 GMT", Some(etag), old, false),
        (b"Thursday, 02-Jan-20 03:04:05 GMT", Some(etag), old, true),
        (b"Thu Jan  2 03:04:05 2020", Some(etag), old, true),
        (b"garbage", Some(etag), old, false),
        // The date only counts once the file is a minute old.
        (b"Thu, 02 Jan 2020 03:04:05 GMT", Some(etag), LM + 59, false),
        (b"Thu, 02 Jan 2020 03:04:05 GMT", Some(etag), LM + 60, true),
    ];
    for &(if_range, etag, now, want) in cases {
        assert_eq!(
            if_range_allows(if_range, etag, LM, now),
            want,
            "If-Range: {}",
            String::from_utf8_lossy(if_range)
        );
    }
}

/// The multipart body Apache 2.4.71 sent for `Range: bytes=0-4,10-12` on a 36-byte
/// text/plain file, and for `bytes=0-1,5-6` on a file with no type.
#[test]
fn multipart_framing_is_apaches() {
    let body = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let ranges = [
        ByteRange { start: 0, end: 4 },
        ByteRange { start: 10, end: 12 },
    ];
    let mut out = Vec::new();
    multipart_body(
        &mut out,
        body,
        &ranges,
        "4cce74156b29142e",
        Some("text/plain"),
    );
    let want = "\r\n--4cce74156b29142e\r\nContent-type: text/plain\r\nContent-range: bytes 0-4/36\r\n\r\n01234\
                \r\n--4cce74156b29142e\r\nContent-type: text/plain\r\nContent-range: bytes 10-12/36\r\n\r\nabc\
                \r\n--4cce74156b29142e--\r\n";
    assert_eq!(String::from_utf8(out.clone()).unwrap(), want);
    assert_eq!(out.len(), 192, "Apache's Content-Length");
    assert_eq!(
        multipart_len(&ranges, "4cce74156b29142e", Some("text/plain"), 36),
        192
    );
    let untyped = [
        ByteRange { start: 0, end: 1 },
        ByteRange { start: 5, end: 6 },
    ];
    let mut out = Vec::new();
    multipart_body(&mut out, body, &untyped, "4cce74156b29142e", None);
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        "\r\n--4cce74156b29142e\r\nContent-range: bytes 0-1/36\r\n\r\n01\
         \r\n--4cce74156b29142e\r\nContent-range: bytes 5-6/36\r\n\r\n56\
         \r\n--4cce74156b29142e--\r\n"
    );
    assert_eq!(out.len(), 134);
    assert_eq!(multipart_len(&untyped, "4cce74156b29142e", None, 36), 134);
    let mut cr = Vec::new();
    push_content_range(&mut cr, ByteRange { start: 31, end: 35 }, 36);
    assert_eq!(cr, b"bytes 31-35/36");
}

#[test]
fn boundaries_are_lower_hex_without_leading_zeros() {
    let b = new_boundary();
    assert!(!b.is_empty() && b.len() <= 16, "{b}");
    assert!(
        b.bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(!b.starts_with('0') || b == "0");
}
