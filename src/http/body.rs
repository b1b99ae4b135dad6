//! Request bodies: framing (Content-Length or chunked), limits, and reading them off the wire.
//!
//! [`BodyDecoder`] is the pure part: it turns wire bytes into body data, enforcing
//! `limit_request_body` (413) and chunked syntax (400). [`BodyReader`] drives it over the
//! connection: bytes already buffered after the head first, then socket reads (each bounded by
//! `timeout`), sending `100 Continue` first when the client asked for it. The
//! static file handler only [`BodyReader::discard`]s (as Apache does); the proxy will stream
//! with [`BodyReader::next_chunk`].

use std::ops::Range;
use std::time::Duration;

use crate::http::io::{ConnIo, ReadResult};

/// How the request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body (no Content-Length, or `Content-Length: 0`).
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Over `limit_request_body`: 413.
    TooLarge,
    /// Bad chunked framing: 400.
    Invalid,
    /// The client stalled for `timeout`: 408.
    Timeout,
    /// The client closed mid-body.
    Closed,
    /// Any other I/O error.
    Io(std::io::Error),
}

impl BodyError {
    /// Status to answer with (if the connection still allows an answer).
    pub fn status(&self) -> u16 {
        match self {
            BodyError::TooLarge => 413,
            BodyError::Invalid => 400,
            BodyError::Timeout => 408,
            BodyError::Closed | BodyError::Io(_) => 400,
        }
    }
}

/// Longest chunk-size line (with extensions) or trailer line accepted.
const MAX_CHUNK_LINE: usize = 8192;
/// Most trailer lines accepted after the last chunk.
const MAX_TRAILERS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Length {
        remaining: u64,
    },
    /// Reading a chunk-size line: value so far, digits seen, in extension, line length, CR seen.
    Size {
        value: u64,
        digits: u32,
        in_ext: bool,
        len: usize,
        cr: bool,
    },
    Data {
        remaining: u64,
    },
    /// After chunk data: expecting CRLF (`saw_cr` once the CR came).
    DataEnd {
        saw_cr: bool,
    },
    /// Trailer section: current line length, lines seen.
    Trailer {
        len: usize,
        lines: usize,
    },
    Done,
}

/// One step of decoding: `consumed` input bytes, of which `data` (a range of the input) is body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub consumed: usize,
    pub data: Range<usize>,
}

/// Pure body decoder.
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    state: State,
    limit: u64,
    received: u64,
}

impl BodyDecoder {
    /// `limit` = `limit_request_body` (0 = unlimited). A Content-Length over the limit fails
    /// at once, before any byte is read (Apache answers 413 without reading).
    pub fn new(framing: BodyFraming, limit: u64) -> Result<BodyDecoder, BodyError> {
        let state = match framing {
            BodyFraming::None => State::Done,
            BodyFraming::Length(n) if limit != 0 && n > limit => return Err(BodyError::TooLarge),
            BodyFraming::Length(n) => State::Length { remaining: n },
            BodyFraming::Chunked => State::Size {
                value: 0,
                digits: 0,
                in_ext: false,
                len: 0,
                cr: false,
            },
        };
        Ok(BodyDecoder {
            state,
            limit,
            received: 0,
        })
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Body bytes decoded so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Decodes from `input` until a data span is found, the input ends, or the body ends.
    pub fn decode(&mut self, input: &[u8]) -> Result<Decoded, BodyError> {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                State::Done => break,
                State::Length { remaining } | State::Data { remaining } => {
                    let n = remaining.min((input.len() - i) as u64) as usize;
                    self.received += n as u64;
                    if self.limit != 0 && self.received > self.limit {
                        return Err(BodyError::TooLarge);
                    }
                    let left = remaining - n as u64;
                    self.state = match self.state {
                        State::Length { .. } if left == 0 => State::Done,
                        State::Length { .. } => State::Length { remaining: left },
                        _ if left == 0 => State::DataEnd { saw_cr: false },
                        _ => State::Data { remaining: left },
                    };
                    return Ok(Decoded {
                        consumed: i + n,
                        data: i..i + n,
                    });
                }
                State::Size {
                    value,
                    digits,
                    in_ext,
                    len,
                    cr,
                } => {
                    let b = input[i];
                    i += 1;
                    if len + 1 > MAX_CHUNK_LINE || (cr && b != b'\n') {
                        return Err(BodyError::Invalid);
                    }
                    let len = len + 1;
                    self.state = match b {
                        b'\n' if digits == 0 => return Err(BodyError::Invalid),
                        b'\n' if value == 0 => State::Trailer { len: 0, lines: 0 },
                        b'\n' => State::Data { remaining: value },
                        b'\r' => State::Size {
                            value,
                            digits,
                            in_ext,
                            len,
                            cr: true,
                        },
                        _ if in_ext => State::Size {
                            value,
                            digits,
                            in_ext,
                            len,
                            cr,
                        },
                        b';' | b' ' | b'\t' if digits > 0 => State::Size {
                            value,
                            digits,
                            in_ext: true,
                            len,
                            cr,
                        },
                        _ => {
                            let d = (b as char).to_digit(16).ok_or(BodyError::Invalid)?;
                            if value >> 60 != 0 {
                                return Err(BodyError::Invalid);
                            }
                            let value = value << 4 | u64::from(d);
                            State::Size {
                                value,
                                digits: digits + 1,
                                in_ext,
                                len,
                                cr,
                            }
                        }
                    };
                }
                State::DataEnd { saw_cr } => {
                    let b = input[i];
                    i += 1;
                    self.state = match (b, saw_cr) {
                        (b'\r', false) => State::DataEnd { saw_cr: true },
                        (b'\n', _) => State::Size {
                            value: 0,
                            digits: 0,
                            in_ext: false,
                            len: 0,
                            cr: false,
                        },
                        _ => return Err(BodyError::Invalid),
                    };
                }
                State::Trailer { len, lines } => {
                    let b = input[i];
                    i += 1;
                    self.state = match b {
                        b'\n' if len == 0 => State::Done,
                        b'\n' if lines + 1 > MAX_TRAILERS => return Err(BodyError::Invalid),
                        b'\n' => State::Trailer {
                            len: 0,
                            lines: lines + 1,
                        },
                        b'\r' if len == 0 => State::Trailer { len, lines },
                        _ if len + 1 > MAX_CHUNK_LINE => return Err(BodyError::Invalid),
                        _ => State::Trailer {
                            len: len + 1,
                            lines,
                        },
                    };
                }
            }
        }
        Ok(Decoded {
            consumed: i,
            data: i..i,
        })
    }
}

/// Reads a body from the bytes buffered after the head, then from the socket.
pub struct BodyReader<'a, 's> {
    decoder: BodyDecoder,
    buffered: &'a [u8],
    buffered_pos: usize,
    spill: &'a mut Vec<u8>,
    spill_range: Range<usize>,
    io: &'a mut ConnIo<'s>,
    timeout: Duration,
    send_continue: bool,
    wire: u64,
}

/// Where the bytes after the body are once a [`BodyReader`] is finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyLeftover {
    /// Bytes of the connection buffer (after the head) that belonged to the body.
    pub buffered_consumed: usize,
    /// Bytes read from the socket past the body (the next pipelined request), in the spill.
    pub spill: Range<usize>,
    /// Body bytes as they were on the wire (framing included), for `%I`.
    pub wire: u64,
}

/// Size of a socket read into the spill buffer.
const SPILL_SIZE: usize = 16 * 1024;

impl<'a, 's> BodyReader<'a, 's> {
    /// `buffered` = bytes after the head already read; `spill` = scratch for socket reads;
    /// `send_continue` = answer `100 Continue` when the body is first read, even if it is
    /// already buffered (Apache does not look before it sends the 100).
    pub fn new(
        decoder: BodyDecoder,
        buffered: &'a [u8],
        spill: &'a mut Vec<u8>,
        io: &'a mut ConnIo<'s>,
        timeout: Duration,
        send_continue: bool,
    ) -> BodyReader<'a, 's> {
        if spill.len() < SPILL_SIZE {
            spill.resize(SPILL_SIZE, 0);
        }
        BodyReader {
            decoder,
            buffered,
            buffered_pos: 0,
            spill,
            spill_range: 0..0,
            io,
            timeout,
            send_continue,
            wire: 0,
        }
    }

    /// The next piece of body data, or `None` at the end of the body.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, BodyError> {
        if self.send_continue {
            self.send_continue = false;
            self.io
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .map_err(BodyError::Io)?;
        }
        loop {
            if self.decoder.is_done() {
                return Ok(None);
            }
            if self.buffered_pos < self.buffered.len() {
                let d = self.decoder.decode(&self.buffered[self.buffered_pos..])?;
                let base = self.buffered_pos;
                self.buffered_pos += d.consumed;
                self.wire += d.consumed as u64;
                if !d.data.is_empty() {
                    return Ok(Some(&self.buffered[base + d.data.start..base + d.data.end]));
                }
                continue;
            }
            if !self.spill_range.is_empty() {
                let d = self.decoder.decode(&self.spill[self.spill_range.clone()])?;
                let base = self.spill_range.start;
                self.spill_range.start += d.consumed;
                self.wire += d.consumed as u64;
                if !d.data.is_empty() {
                    return Ok(Some(&self.spill[base + d.data.start..base + d.data.end]));
                }
                continue;
            }
            self.fill()?;
        }
    }

    /// Reads and drops the whole body.
    pub fn discard(&mut self) -> Result<(), BodyError> {
        while self.next_chunk()?.is_some() {}
        Ok(())
    }

    /// Body bytes read so far.
    pub fn received(&self) -> u64 {
        self.decoder.received()
    }

    fn fill(&mut self) -> Result<(), BodyError> {
        match self.io.read(&mut self.spill[..], self.timeout) {
            Ok(ReadResult::Data(n)) => {
                self.spill_range = 0..n;
                Ok(())
            }
            Ok(ReadResult::Eof) => Err(BodyError::Closed),
            Ok(ReadResult::TimedOut) => Err(BodyError::Timeout),
            Err(e) => Err(BodyError::Io(e)),
        }
    }

    /// Ends reading: where the bytes after the body are.
    pub fn finish(self) -> BodyLeftover {
        BodyLeftover {
            buffered_consumed: self.buffered_pos,
            spill: self.spill_range,
            wire: self.wire,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` split at every `step` bytes; returns (body, consumed) or the error status.
    fn run(
        framing: BodyFraming,
        limit: u64,
        input: &[u8],
        step: usize,
    ) -> Result<(Vec<u8>, usize), u16> {
        let mut d = BodyDecoder::new(framing, limit).map_err(|e| e.status())?;
        let mut body = Vec::new();
        let mut pos = 0;
        let mut avail = 0;
        while !d.is_done() {
            if pos == avail {
                if avail == input.len() {
                    return Err(0); // incomplete
                }
                avail = (avail + step).min(input.len());
            }
            let r = d.decode(&input[pos..avail]).map_err(|e| e.status())?;
            body.extend_from_slice(&input[pos..avail][r.data.clone()]);
            pos += r.consumed;
        }
        Ok((body, pos))
    }

    #[test]
    fn decoder_table() {
        type Case = (
            &'static str,
            BodyFraming,
            u64,
            &'static [u8],
            Result<(&'static [u8], usize), u16>,
        );
        let cases: &[Case] = &[
            ("none", BodyFraming::None, 0, b"GET", Ok((b"", 0))),
            (
                "length",
                BodyFraming::Length(5),
                0,
                b"helloNEXT",
                Ok((b"hello", 5)),
            ),
            (
                "length over limit",
                BodyFraming::Length(11),
                10,
                b"",
                Err(413),
            ),
            (
                "length at limit",
                BodyFraming::Length(3),
                3,
                b"abc",
                Ok((b"abc", 3)),
            ),
            (
                "length incomplete",
                BodyFraming::Length(5),
                0,
                b"hel",
                Err(0),
            ),
            (
                "chunked",
                BodyFraming::Chunked,
                0,
                b"5\r\nhello\r\n0\r\n\r\nGET",
                Ok((b"hello", 15)),
            ),
            (
                "chunked two chunks",
                BodyFraming::Chunked,
                0,
                b"3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n",
                Ok((b"abc0123456789", 28)),
            ),
            (
                "chunked ext",
                BodyFraming::Chunked,
                0,
                b"3;name=v\r\nabc\r\n0\r\n\r\n",
                Ok((b"abc", 20)),
            ),
            (
                "chunked bws",
                BodyFraming::Chunked,
                0,
                b"3 ;x\r\nabc\r\n0\r\n\r\n",
                Ok((b"abc", 16)),
            ),
            (
                "chunked trailers",
                BodyFraming::Chunked,
                0,
                b"1\r\na\r\n0\r\nX-T: 1\r\n\r\n",
                Ok((b"a", 19)),
            ),
            (
                "chunked bare lf",
                BodyFraming::Chunked,
                0,
                b"1\na\n0\n\n",
                Ok((b"a", 7)),
            ),
            (
                "chunked uppercase hex",
                BodyFraming::Chunked,
                0,
                b"B\r\nhello world\r\n0\r\n\r\n",
                Ok((b"hello world", 21)),
            ),
            (
                "chunked no digits",
                BodyFraming::Chunked,
                0,
                b"\r\n",
                Err(400),
            ),
            (
                "chunked bad digit",
                BodyFraming::Chunked,
                0,
                b"xyz\r\n",
                Err(400),
            ),
            (
                "chunked missing crlf after data",
                BodyFraming::Chunked,
                0,
                b"1\r\naX0\r\n\r\n",
                Err(400),
            ),
            (
                "chunked overflow",
                BodyFraming::Chunked,
                0,
                b"10000000000000000\r\n",
                Err(400),
            ),
            (
                "chunked over limit",
                BodyFraming::Chunked,
                4,
                b"5\r\nhello\r\n0\r\n\r\n",
                Err(413),
            ),
            (
                "chunked cr without lf",
                BodyFraming::Chunked,
                0,
                b"1\rx",
                Err(400),
            ),
        ];
        for (name, framing, limit, input, want) in cases {
            for step in [1, 2, 7, input.len().max(1)] {
                let got = run(*framing, *limit, input, step);
                let want = want.map(|(b, n)| (b.to_vec(), n));
                assert_eq!(got, want, "{name} (step {step})");
            }
        }
    }
}
