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
