//! Sending file and page responses: the head, then the body by the cheapest means the
//! configuration allows. Small mapped files go out with the head in one `writev`; large files
//! with `enable_sendfile` as head (MSG_MORE) + `sendfile(2)`; mapped large files as one
//! `writev` loop; otherwise `pread` into a reused buffer and write. A byte range uses the same
//! three paths from its offset; the parts of a multipart/byteranges body each go through
//! them, with their part heads; only a multipart body Apache would not give a length (over 32
//! ranges) is assembled in memory first, to be chunked.

use std::io::{self, IoSlice};
use std::os::unix::fs::FileExt;

use crate::handlers::file_cache::{CachedFile, SendPolicy};
use crate::handlers::range::{self, ByteRange, MULTIPART_KNOWN_LENGTH_MAX};
use crate::handlers::{FileReply, Page};
use crate::http::framing::{Delimit, Framed, LAST_CHUNK, push_chunk, push_content_length};
use crate::http::io::ConnIo;
use crate::http::keepalive;
use crate::http::response::{CommonHeaders, push_header, start_head};

/// Size of one read on the buffered (no mmap, no sendfile) path.
const READ_CHUNK: usize = 64 * 1024;
/// Most slices handed to one `writev` (Linux's IOV_MAX is 1024).
const MAX_SLICES: usize = 512;

/// What a ranged or typed response needs besides the reply itself.
#[derive(Debug, Clone, Copy)]
pub struct BodyMeta<'a> {
    /// The entity's Content-Type, if any.
    pub content_type: Option<&'a str>,
    /// `Accept-Ranges` value for files (`bytes` or `none`).
    pub accept_ranges: &'a [u8],
    /// The multipart boundary of this configuration generation.
    pub boundary: &'a str,
}

fn push_multipart_type(out: &mut Vec<u8>, boundary: &str) {
    out.extend_from_slice(b"Content-Type: multipart/byteranges; boundary=");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Content-Encoding and Content-Language, when the directory's mod_mime settings give them
/// (after Content-Type, as Apache's header filter adds them).
fn push_mime_headers(out: &mut Vec<u8>, f: &FileReply<'_>) {
    if let Some(m) = &f.mime {
        if let Some(encoding) = &m.encoding {
            push_header(out, "Content-Encoding", encoding.as_bytes());
        }
        if let Some(language) = &m.language {
            push_header(out, "Content-Language", language.as_bytes());
        }
    }
}

/// A negotiated file's Content-Location, Alternates, Vary and TCN (Apache's
/// `err_headers_out`, which come first, on a 304 too).
fn push_negotiation_headers(out: &mut Vec<u8>, f: &FileReply<'_>) {
    if let Some(m) = &f.mime {
        for (name, value) in &m.negotiation {
            push_header(out, name, value.as_bytes());
        }
    }
}

/// The multipart Content-Length (several ranges, when known), the file's mod_mime headers
/// and the keep-alive / framing / type headers that close every ranged head.
fn push_ranged_tail(out: &mut Vec<u8>, f: &FileReply<'_>, meta: &BodyMeta<'_>, framed: Framed) {
    let ranges = f.ranges.as_slice();
    // Over 32 ranges Apache has no length, even for HEAD.
    if framed.delimit == Delimit::Length && (2..=MULTIPART_KNOWN_LENGTH_MAX).contains(&ranges.len())
    {
        push_content_length(
            out,
            range::multipart_len(ranges, meta.boundary, meta.content_type, f.file.len()),
        );
    }
    keepalive::push_headers(out, framed.ka);
    if framed.delimit == Delimit::Chunked {
        out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    }
    if ranges.len() > 1 {
        push_multipart_type(out, meta.boundary);
    } else if let Some(ct) = meta.content_type {
        push_header(out, "Content-Type", ct.as_bytes());
    }
    push_mime_headers(out, f);
    out.extend_from_slice(b"\r\n");
}

/// Writes the head of a file response into `out` (cleared), in Apache's header order. 304s
/// carry the validators and Accept-Ranges only; 412s the file's headers with a zero length
/// (HEAD: the file's length) and no body; an ErrorDocument's file (its error status) the
/// headers of a 200.
pub fn file_head(
    out: &mut Vec<u8>,
    common: &CommonHeaders<'_>,
    f: &FileReply<'_>,
    meta: &BodyMeta<'_>,
    framed: Framed,
    head_only: bool,
) {
    start_head(out, f.status);
    common.push(out);
    push_negotiation_headers(out, f);
    push_header(out, "Last-Modified", &f.last_modified);
    if let Some(etag) = &f.etag {
        push_header(out, "ETag", etag.as_bytes());
    }
    push_header(out, "Accept-Ranges", meta.accept_ranges);
    match (f.status, f.ranges.as_slice()) {
        (304, _) => {
            keepalive::push_headers(out, framed.ka);
            out.extend_from_slice(b"\r\n");
        }
        (206, ranges) if !ranges.is_empty() => {
            if let [one] = ranges {
                push_content_length(out, one.len());
                let mut value = Vec::with_capacity(40);
                range::push_content_range(&mut value, *one, f.file.len());
                push_header(out, "Content-Range", &value);
            }
            push_ranged_tail(out, f, meta, framed);
        }
        (status, _) => {
            let len = if status == 412 && !head_only {
                0
            } else {
                f.file.len()
            };
            push_content_length(out, len);
            keepalive::push_headers(out, framed.ka);
            if let Some(ct) = meta.content_type {
                push_header(out, "Content-Type", ct.as_bytes());
            }
            push_mime_headers(out, f);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// The whole file mapped, when the policy lets the map be used.
fn usable_map(file: &CachedFile, policy: SendPolicy) -> Option<&[u8]> {
    match (policy.enable_mmap, &file.map) {
        (true, Some(map)) if map.len() as u64 == file.len() => Some(map.as_slice()),
        _ => None,
    }
}

/// Sends `prefix` (a head, a part head) followed by `len` bytes of `file` from `start`.
pub fn send_range(
    io: &mut ConnIo<'_>,
    prefix: &[u8],
    file: &CachedFile,
    policy: SendPolicy,
    buf: &mut Vec<u8>,
    start: u64,
    len: u64,
) -> io::Result<()> {
    if len == 0 {
        return io.write_all(prefix);
    }
    if let Some(map) = usable_map(file, policy) {
        let data = &map[start as usize..(start + len) as usize];
        return io.write_mapped(prefix, data, &file.file, start);
    }
    if policy.enable_sendfile {
        io.write_all_more(prefix)?;
        return io.sendfile(&file.file, start, len);
    }
    if buf.len() < READ_CHUNK {
        buf.resize(READ_CHUNK, 0);
    }
    let end = start + len;
    let mut off = start;
    let mut prefix = Some(prefix);
    while off < end {
        let want = (end - off).min(READ_CHUNK as u64) as usize;
        let n = match file.file.read_at(&mut buf[..want], off) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shrank while sending",
                ));
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match prefix.take() {
            Some(p) => io.write_all_vectored(&mut [IoSlice::new(p), IoSlice::new(&buf[..n])])?,
            None => io.write_all(&buf[..n])?,
        }
        off += n as u64;
    }
    Ok(())
}

/// Sends `head` followed by the whole of `file`.
pub fn send_file(
    io: &mut ConnIo<'_>,
    head: &[u8],
    file: &CachedFile,
    policy: SendPolicy,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    send_range(io, head, file, policy, buf, 0, file.len())
}

/// Appends bytes `r` of `file` to `out` (from the map or with `pread`).
fn read_range(
    out: &mut Vec<u8>,
    file: &CachedFile,
    policy: SendPolicy,
    r: ByteRange,
) -> io::Result<()> {
    if let Some(map) = usable_map(file, policy) {
        out.extend_from_slice(&map[r.start as usize..=r.end as usize]);
        return Ok(());
    }
    let at = out.len();
    out.resize(at + r.len() as usize, 0);
    file.file.read_exact_at(&mut out[at..], r.start)
}

/// Sends `head` and the multipart body of `ranges` of `file`; returns the body length.
#[allow(clippy::too_many_arguments)]
fn send_multipart(
    io: &mut ConnIo<'_>,
    head: &[u8],
    file: &CachedFile,
    policy: SendPolicy,
    buf: &mut Vec<u8>,
    ranges: &[ByteRange],
    meta: &BodyMeta<'_>,
    delimit: Delimit,
) -> io::Result<u64> {
    let total = file.len();
    if delimit != Delimit::Length {
        // Apache has no length for this one: assemble it, then chunk it (or not).
        let mut body = Vec::new();
        for r in ranges {
            range::push_part_head(&mut body, meta.boundary, meta.content_type, *r, total);
            read_range(&mut body, file, policy, *r)?;
        }
        range::push_closing(&mut body, meta.boundary);
        let mut wire = Vec::with_capacity(body.len() + 32);
        if delimit == Delimit::Chunked {
            push_chunk(&mut wire, &body);
            wire.extend_from_slice(LAST_CHUNK);
        } else {
            wire.extend_from_slice(&body);
        }
        io.write_all_vectored(&mut [IoSlice::new(head), IoSlice::new(&wire)])?;
        return Ok(body.len() as u64);
    }
    let mut heads = Vec::with_capacity(ranges.len() * 96 + 32);
    let mut ends = Vec::with_capacity(ranges.len());
    for r in ranges {
        range::push_part_head(&mut heads, meta.boundary, meta.content_type, *r, total);
        ends.push(heads.len());
    }
    let closing_at = heads.len();
    range::push_closing(&mut heads, meta.boundary);
    let data_len: u64 = ranges.iter().map(ByteRange::len).sum();
    if let Some(map) = usable_map(file, policy) {
        let mut slices = Vec::with_capacity(2 * ranges.len() + 2);
        slices.push(IoSlice::new(head));
        let mut from = 0;
        for (r, &end) in ranges.iter().zip(&ends) {
            slices.push(IoSlice::new(&heads[from..end]));
            slices.push(IoSlice::new(&map[r.start as usize..=r.end as usize]));
            from = end;
        }
        slices.push(IoSlice::new(&heads[closing_at..]));
        for batch in slices.chunks_mut(MAX_SLICES) {
            io.write_all_vectored(batch)?;
        }
    } else {
        let mut prefix = Vec::with_capacity(head.len() + 128);
        prefix.extend_from_slice(head);
        let mut from = 0;
        for (r, &end) in ranges.iter().zip(&ends) {
            prefix.extend_from_slice(&heads[from..end]);
            send_range(io, &prefix, file, policy, buf, r.start, r.len())?;
            prefix.clear();
            from = end;
        }
        io.write_all(&heads[closing_at..])?;
    }
    Ok(heads.len() as u64 + data_len)
}

/// Sends a file reply whose head is in `head`; returns the body bytes sent (0 for HEAD and
/// bodiless statuses: 304, 412). Any other status is the whole file (200, or an
/// ErrorDocument's file with its error status).
#[allow(clippy::too_many_arguments)]
pub fn send_file_reply(
    io: &mut ConnIo<'_>,
    head: &[u8],
    f: &FileReply<'_>,
    meta: &BodyMeta<'_>,
    framed: Framed,
    head_only: bool,
    policy: SendPolicy,
    buf: &mut Vec<u8>,
) -> io::Result<u64> {
    match (f.status, f.ranges.as_slice()) {
        _ if head_only => io.write_all(head).map(|()| 0),
        (304 | 412, _) => io.write_all(head).map(|()| 0),
        (206, [one]) => {
            send_range(io, head, f.file, policy, buf, one.start, one.len()).map(|()| one.len())
        }
        (206, ranges) if !ranges.is_empty() => {
            // Parts follow each other: none may be left pending.
            io.defer_writes = false;
            send_multipart(io, head, f.file, policy, buf, ranges, meta, framed.delimit)
        }
        _ => send_file(io, head, f.file, policy, buf).map(|()| f.file.len()),
    }
}

/// Serializes a generated page (head, and the body unless HEAD) into `out` (cleared);
/// returns the body length and the head's length. As Apache: HEAD gets no Content-Length; a single range puts
/// Content-Range before Content-Length.
pub fn page_response(
    out: &mut Vec<u8>,
    common: &CommonHeaders<'_>,
    p: &Page,
    boundary: &str,
    framed: Framed,
    head_only: bool,
) -> (u64, usize) {
    start_head(out, p.status);
    common.push(out);
    let total = p.body.len() as u64;
    let mut body = Vec::new();
    let payload: &[u8] = match p.ranges.as_slice() {
        [] => &p.body,
        [one] => &p.body[one.start as usize..=one.end as usize],
        ranges => {
            range::multipart_body(&mut body, &p.body, ranges, boundary, Some(p.content_type));
            &body
        }
    };
    if let [one] = p.ranges.as_slice() {
        let mut value = Vec::with_capacity(40);
        range::push_content_range(&mut value, *one, total);
        push_header(out, "Content-Range", &value);
    }
    if !head_only
        && framed.delimit == Delimit::Length
        && p.ranges.len() <= MULTIPART_KNOWN_LENGTH_MAX
    {
        push_content_length(out, payload.len() as u64);
    }
    keepalive::push_headers(out, framed.ka);
    if framed.delimit == Delimit::Chunked {
        out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
    }
    if p.ranges.len() > 1 {
        push_multipart_type(out, boundary);
    } else {
        push_header(out, "Content-Type", p.content_type.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    let head_len = out.len();
    if head_only {
        return (0, head_len);
    }
    match framed.delimit {
        Delimit::Chunked => {
            push_chunk(out, payload);
            out.extend_from_slice(LAST_CHUNK);
        }
        _ => out.extend_from_slice(payload),
    }
    (payload.len() as u64, head_len)
}
