//! The request head as a client sends it: scanned in two reads (the first byte picks where the
//! input is split), parsed, and every pure decision the head feeds (the URL path, Range,
//! If-Range and conditional dates, listing query arguments). Any panic is a bug; errors are
//! fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpmd::handlers::autoindex::query;
use mpmd::handlers::conditional::parse_http_date;
use mpmd::handlers::range::{RangeLimits, if_range_allows, plan};
use mpmd::handlers::static_files::resolve_url_path;
use mpmd::http::parse::{HeadScanner, HeaderSlots, Limits, Scan, parse_request};

const LIMITS: Limits = Limits {
    request_line: 8190,
    fields: 100,
    field_size: 8190,
    body: 1 << 30,
};

fuzz_target!(|data: &[u8]| {
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let split = usize::from(split).min(data.len());
    let mut scanner = HeadScanner::new();
    let mut result = scanner.scan(&data[..split], &LIMITS);
    if matches!(result, Ok(Scan::Incomplete)) {
        result = scanner.scan(data, &LIMITS);
    }
    let Ok(Scan::Complete { head_len }) = result else {
        return;
    };
    let _ = scanner.request_line(data);
    let mut slots = HeaderSlots::for_count(scanner.header_lines());
    let mut unfolded = Vec::new();
    let Ok(req) = parse_request(
        &data[..head_len],
        &scanner,
        slots.as_mut_slice(),
        &mut unfolded,
    ) else {
        return;
    };
    let mut path = Vec::new();
    let _ = resolve_url_path(req.path.as_bytes(), &mut path);
    let len = data.len() as u64 * 97;
    if let Some(range) = req.header("range") {
        let _ = plan(range, len, RangeLimits::with_max_ranges(200));
        let _ = plan(range, len, RangeLimits::with_max_ranges(0));
    }
    for name in ["if-modified-since", "if-unmodified-since", "if-range"] {
        if let Some(v) = req.header(name) {
            let _ = parse_http_date(v);
            let _ = if_range_allows(v, Some(b"\"1-2\""), 1_700_000_000, 1_700_000_100);
        }
    }
    let _ = query::parse(req.query.map(str::as_bytes), query::Format::Plain);
});
