//! The chunked body decoder fed a body in pieces (the first byte picks the piece size): it
//! must never panic, never report more data than it was given, and never loop without
//! consuming input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpmd::http::body::{BodyDecoder, BodyFraming};

fuzz_target!(|data: &[u8]| {
    let Some((&piece, data)) = data.split_first() else {
        return;
    };
    let piece = usize::from(piece).max(1);
    let Ok(mut dec) = BodyDecoder::new(BodyFraming::Chunked, 1 << 20) else {
        return;
    };
    for chunk in data.chunks(piece) {
        let mut rest = chunk;
        while !rest.is_empty() && !dec.is_done() {
            match dec.decode(rest) {
                Ok(d) => {
                    assert!(d.consumed <= rest.len());
                    assert!(d.data.end <= d.consumed && d.data.start <= d.data.end);
                    if d.consumed == 0 {
                        break;
                    }
                    rest = &rest[d.consumed..];
                }
                Err(_) => return,
            }
        }
    }
});
