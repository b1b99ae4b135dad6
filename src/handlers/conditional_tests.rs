use super::*;

const ALL: FileEtag = FileEtag {
    inode: true,
    mtime: true,
    size: true,
};
const DEFAULT: FileEtag = FileEtag {
    inode: false,
    mtime: true,
    size: true,
};
const NONE: FileEtag = FileEtag {
    inode: false,
    mtime: false,
    size: false,
};

#[test]
fn etag_table() {
    let st = Stamp {
        inode: 0x1a2b,
        size: 1024,
        mtime_us: 1_700_000_000_123_456,
    };
    let old = 1_700_000_100_000_000;
    let cases: &[(FileEtag, i64, Option<&str>)] = &[
        (DEFAULT, old, Some("\"400-60a2418202240\"")),
        (ALL, old, Some("\"1a2b-400-60a2418202240\"")),
        (
            FileEtag {
                inode: false,
                mtime: true,
                size: false,
            },
            old,
            Some("\"60a2418202240\""),
        ),
        (
            FileEtag {
                inode: true,
                mtime: false,
                size: false,
            },
            old,
            Some("\"1a2b\""),
        ),
        (NONE, old, None),
        (
            DEFAULT,
            st.mtime_us + 1_000_000,
            Some("W/\"400-60a2418202240\""),
        ),
        (
            DEFAULT,
            st.mtime_us + 1_000_001,
            Some("\"400-60a2418202240\""),
        ),
        (DEFAULT, st.mtime_us - 5, Some("W/\"400-60a2418202240\"")),
    ];
    for &(bits, now, want) in cases {
        let got = etag(&st, bits, now).map(|e| String::from_utf8(e.as_bytes().to_vec()).unwrap());
        assert_eq!(got.as_deref(), want, "{bits:?} {now}");
    }
    let zero = Stamp {
        inode: 0,
        size: 0,
        mtime_us: 0,
    };
    assert_eq!(etag(&zero, ALL, old).unwrap().as_bytes(), b"\"0-0-0\"");
}

#[test]
fn last_modified_is_capped_at_request_time() {
    assert_eq!(last_modified_secs(100, 200), 100);
    assert_eq!(last_modified_secs(300, 200), 200);
}

#[test]
fn conditions_table() {
    const ET: &[u8] = b"\"400-abc\"";
    const LM: i64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT
    const NOW: i64 = LM + 3600;
    let lm_date: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";
    let later: &[u8] = b"Sun, 06 Nov 1994 09:00:00 GMT";
    let earlier: &[u8] = b"Sun, 06 Nov 1994 08:00:00 GMT";
    let future: &[u8] = b"Sun, 06 Nov 1994 10:00:00 GMT";
    let get = Conditions {
        get_or_head: true,
        ..Default::default()
    };
    use Verdict::*;
    let cases: Vec<(&str, Conditions<'_>, Verdict)> = vec![
        ("no conditions", get, Proceed),
        (
            "inm match",
            Conditions {
                if_none_match: Some(ET),
                ..get
            },
            NotModified,
        ),
        (
            "inm star",
            Conditions {
                if_none_match: Some(b"*"),
                ..get
            },
            NotModified,
        ),
        (
            "inm list",
            Conditions {
                if_none_match: Some(b"\"x\", \"400-abc\""),
                ..get
            },
            NotModified,
        ),
        (
            "inm weak client tag, weak compare",
            Conditions {
                if_none_match: Some(b"W/\"400-abc\""),
                ..get
            },
            NotModified,
        ),
        (
            "inm with range is strong",
            Conditions {
                if_none_match: Some(b"W/\"400-abc\""),
                has_range: true,
                ..get
            },
            Proceed,
        ),
        (
            "inm no match",
            Conditions {
                if_none_match: Some(b"\"other\""),
                ..get
            },
            Proceed,
        ),
        (
            "inm match, non-GET",
            Conditions {
                if_none_match: Some(ET),
                get_or_head: false,
                ..get
            },
            PreconditionFailed,
        ),
        (
            "ims equal",
            Conditions {
                if_modified_since: Some(lm_date),
                ..get
            },
            NotModified,
        ),
        (
            "ims later",
            Conditions {
                if_modified_since: Some(later),
                ..get
            },
            NotModified,
        ),
        (
            "ims earlier",
            Conditions {
                if_modified_since: Some(earlier),
                ..get
            },
            Proceed,
        ),
        (
            "ims in the future",
            Conditions {
                if_modified_since: Some(future),
                ..get
            },
            Proceed,
        ),
        (
            "ims garbage",
            Conditions {
                if_modified_since: Some(b"yesterday"),
                ..get
            },
            Proceed,
        ),
        (
            "ims ignored for POST",
            Conditions {
                if_modified_since: Some(later),
                get_or_head: false,
                ..get
            },
            Proceed,
        ),
        (
            "inm match but ims earlier cancels",
            Conditions {
                if_none_match: Some(ET),
                if_modified_since: Some(earlier),
                ..get
            },
            Proceed,
        ),
        (
            "inm no match wins over ims",
            Conditions {
                if_none_match: Some(b"\"zzz\""),
                if_modified_since: Some(later),
                ..get
            },
            Proceed,
        ),
        (
            "if-match ok",
            Conditions {
                if_match: Some(ET),
                ..get
            },
            Proceed,
        ),
        (
            "if-match star",
            Conditions {
                if_match: Some(b"*"),
                ..get
            },
            Proceed,
        ),
        (
            "if-match fails",
            Conditions {
                if_match: Some(b"\"nope\""),
                ..get
            },
            PreconditionFailed,
        ),
        (
            "if-match weak never matches",
            Conditions {
                if_match: Some(b"W/\"400-abc\""),
                ..get
            },
            PreconditionFailed,
        ),
        (
            "ius after mtime",
            Conditions {
                if_unmodified_since: Some(later),
                ..get
            },
            Proceed,
        ),
        (
            "ius before mtime",
            Conditions {
                if_unmodified_since: Some(earlier),
                ..get
            },
            PreconditionFailed,
        ),
        (
            "ius ok cancels a later 304",
            Conditions {
                if_unmodified_since: Some(later),
                if_none_match: Some(ET),
                ..get
            },
            Proceed,
        ),
    ];
    for (name, c, want) in cases {
        assert_eq!(evaluate(&c, Some(ET), LM, NOW), want, "{name}");
    }
    // A weak ETag from the server (file modified within the last second).
    let weak: &[u8] = b"W/\"400-abc\"";
    assert_eq!(
        evaluate(
            &Conditions {
                if_none_match: Some(ET),
                ..get
            },
            Some(weak),
            LM,
            NOW
        ),
        NotModified
    );
    assert_eq!(
        evaluate(
            &Conditions {
                if_match: Some(ET),
                ..get
            },
            Some(weak),
            LM,
            NOW
        ),
        PreconditionFailed
    );
    // No ETag at all (FileETag None): If-None-Match never matches.
    assert_eq!(
        evaluate(
            &Conditions {
                if_none_match: Some(ET),
                ..get
            },
            None,
            LM,
            NOW
        ),
        Proceed
    );
}

/// `apr_date_parse_http`'s leniency, as Apache 2.4.71 showed it on If-Modified-Since.
#[test]
fn http_date_table() {
    const T: Option<i64> = Some(1_577_934_245); // Thu, 02 Jan 2020 03:04:05 GMT
    let cases: &[(&[u8], Option<i64>)] = &[
        (b"Thu, 02 Jan 2020 03:04:05 GMT", T),
        (b"  Thu, 02 Jan 2020 03:04:05 GMT", T),
        (b"Thu, 02 Jan 2020 03:04:05 GMT; length=36", T),
        (b"Thu, 02 Jan 2020 03:04:05 XYZ", T),
        (b"Thu, 02 Jan 2020 03:04:05 +0100", T),
        (b"Xyz, 02 Jan 2020 03:04:05 GMT", T),
        (b"Thursday, 02-Jan-20 03:04:05 GMT", T),
        (b"Thu Jan  2 03:04:05 2020", T),
        (b"Thu, 2 Jan 2020 03:04:05 GMT", T),
        (b"Thu, 02 Jan 2020 03:04:05", None),
        (b"02 Jan 2020 03:04:05 GMT", None),
        (b"Thu, 02 Jan 2020 3:04:05 GMT", None),
        (b"Thu, 02 jan 2020 03:04:05 GMT", None),
        (b"Thu, 02 JAN 2020 03:04:05 GMT", None),
        (b"Thu, 32 Jan 2020 03:04:05 GMT", None),
        (b"Thu, 31 Apr 2020 03:04:05 GMT", None),
        (b"Sat, 29 Feb 2020 00:00:00 GMT", Some(1_582_934_400)),
        (b"Sun, 29 Feb 2021 00:00:00 GMT", None),
        (b"Thu, 02 Jan 2020 24:00:00 GMT", None),
        (b"Thu, 02 Jan 2020 23:59:61 GMT", Some(1_578_009_601)),
        (b"Thu, 01 Jan 1969 00:00:00 GMT", None),
        (b"Sunday, 06-Nov-94 08:49:37 GMT", Some(784_111_777)),
        (b"", None),
        (b"yesterday", None),
        (b"\xff\xfe 02 Jan 2020 03:04:05 GMT", T),
    ];
    for &(input, want) in cases {
        assert_eq!(
            parse_http_date(input),
            want,
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

/// Apache's answers for a file last modified an hour before the request, with Range and
/// If-Range in play (checked against httpd 2.4.71).
#[test]
fn range_and_if_range_table() {
    const ET: &[u8] = b"\"24-59b1f7226f340\"";
    const LM: i64 = 1_577_934_245;
    let lm: &[u8] = b"Thu, 02 Jan 2020 03:04:05 GMT";
    let get = Conditions {
        get_or_head: true,
        ..Default::default()
    };
    use Verdict::*;
    let cases: Vec<(&str, Conditions<'_>, i64, Verdict)> = vec![
        (
            "IMS with Range, old file: 304",
            Conditions {
                if_modified_since: Some(lm),
                has_range: true,
                ..get
            },
            LM + 3600,
            NotModified,
        ),
        (
            "IMS with Range, file under a minute old: no 304",
            Conditions {
                if_modified_since: Some(lm),
                has_range: true,
                ..get
            },
            LM + 30,
            Proceed,
        ),
        (
            "IMS with Range and If-Range: never 304",
            Conditions {
                if_modified_since: Some(lm),
                has_range: true,
                has_if_range: true,
                ..get
            },
            LM + 3600,
            Proceed,
        ),
        (
            "INM with Range: 304",
            Conditions {
                if_none_match: Some(ET),
                has_range: true,
                ..get
            },
            LM + 3600,
            NotModified,
        ),
        (
            "INM with Range and a mismatching If-Range: 200",
            Conditions {
                if_none_match: Some(ET),
                has_range: true,
                has_if_range: true,
                ..get
            },
            LM + 3600,
            Proceed,
        ),
        (
            "If-Range without Range changes nothing",
            Conditions {
                if_none_match: Some(ET),
                has_if_range: true,
                ..get
            },
            LM + 3600,
            NotModified,
        ),
        (
            "If-Match failing still wins over If-Range",
            Conditions {
                if_match: Some(b"\"x\""),
                has_range: true,
                has_if_range: true,
                ..get
            },
            LM + 3600,
            PreconditionFailed,
        ),
        (
            "IUS before mtime: 412",
            Conditions {
                if_unmodified_since: Some(b"Thu, 02 Jan 2020 03:04:04 GMT"),
                ..get
            },
            LM + 3600,
            PreconditionFailed,
        ),
        (
            "IUS before a recent mtime with Range: a weak match, not 412",
            Conditions {
                if_unmodified_since: Some(b"Thu, 02 Jan 2020 03:04:04 GMT"),
                has_range: true,
                ..get
            },
            LM + 30,
            Proceed,
        ),
        (
            "IUS garbage is ignored",
            Conditions {
                if_unmodified_since: Some(b"junk"),
                ..get
            },
            LM + 3600,
            Proceed,
        ),
        (
            "IMS with a trailing length= (old browsers)",
            Conditions {
                if_modified_since: Some(b"Thu, 02 Jan 2020 03:04:05 GMT; length=36"),
                ..get
            },
            LM + 3600,
            NotModified,
        ),
        (
            "POST: INM weak tag is no match (strong comparison)",
            Conditions {
                if_none_match: Some(b"W/\"24-59b1f7226f340\""),
                get_or_head: false,
                ..get
            },
            LM + 3600,
            Proceed,
        ),
        (
            "POST: IMS is ignored",
            Conditions {
                if_modified_since: Some(lm),
                get_or_head: false,
                ..get
            },
            LM + 3600,
            Proceed,
        ),
    ];
    for (name, c, now, want) in cases {
        assert_eq!(evaluate(&c, Some(ET), LM, now), want, "{name}");
    }
}

#[test]
fn negotiated_etags_carry_the_variant_list_validator() {
    // Values seen from httpd 2.4.71: "8-59b08c1fa4000;5f128840d4000 (no closing quote).
    let file = Stamp {
        inode: 7,
        size: 8,
        mtime_us: 0x59b08c1fa4000,
    };
    let dir_mtime = 0x5f128840d4000;
    let later = dir_mtime + 5_000_000;
    let vlv = mtime_etag(dir_mtime, later);
    assert_eq!(vlv.as_bytes(), b"\"5f128840d4000\"");
    let e = negotiated_etag(&file, DEFAULT, later, &vlv).unwrap();
    assert_eq!(e.as_bytes(), b"\"8-59b08c1fa4000;5f128840d4000");
    // A type map's validator is the map's own ETag.
    let map = etag(
        &Stamp {
            inode: 1,
            size: 0x51,
            mtime_us: 0x5d479f7f96000,
        },
        DEFAULT,
        later,
    )
    .unwrap();
    let e = negotiated_etag(&file, DEFAULT, later, &map).unwrap();
    assert_eq!(e.as_bytes(), b"\"8-59b08c1fa4000;51-5d479f7f96000");
    // A weak validator makes the whole tag weak.
    let weak = mtime_etag(dir_mtime, dir_mtime + 500_000);
    assert_eq!(weak.as_bytes(), b"W/\"5f128840d4000\"");
    let e = negotiated_etag(&file, DEFAULT, dir_mtime + 500_000, &weak).unwrap();
    assert_eq!(e.as_bytes(), b"W/\"8-59b08c1fa4000;5f128840d4000");
    // The longest tag fits.
    let big = Stamp {
        inode: u64::MAX,
        size: u64::MAX,
        mtime_us: i64::MAX,
    };
    let vlv = etag(&big, ALL, 0).unwrap();
    let e = negotiated_etag(&big, ALL, 0, &vlv).unwrap();
    assert_eq!(e.as_bytes().len(), MAX_ETAG - 1);
    assert!(negotiated_etag(&file, NONE, later, &vlv).is_none());
}
