//! Sending a file response: the head, then the body by the cheapest means the configuration
//! allows. Small mapped files go out with the head in one `writev`; large files with
//! `enable_sendfile` as head (MSG_MORE) + `sendfile(2)`; mapped large files as one `writev`
//! loop; otherwise `pread` into a reused buffer and write.

use std::io::{self, IoSlice};
use std::os::unix::fs::FileExt;

use crate::handlers::FileReply;
use crate::handlers::file_cache::{CachedFile, SendPolicy};
use crate::http::io::ConnIo;
use crate::http::keepalive::{self, KeepAlive};
use crate::http::response::{CommonHeaders, push_header, push_u64, start_head};

/// Size of one read on the buffered (no mmap, no sendfile) path.
const READ_CHUNK: usize = 64 * 1024;

/// Writes the head of a file response into `out` (cleared). 304s carry only the validators;
/// a 412 carries the file's headers with `Content-Length: 0` (a HEAD keeps the file's length,
/// as in Apache, which sets it before the conditions are checked).
pub fn file_head(
    out: &mut Vec<u8>,
    common: &CommonHeaders<'_>,
    f: &FileReply<'_>,
    content_type: Option<&str>,
    ka: KeepAlive,
    head_only: bool,
) {
    start_head(out, f.status);
    common.push(out);
    let full = f.status != 304;
    push_header(out, "Last-Modified", &f.last_modified);
    if let Some(etag) = &f.etag {
        push_header(out, "ETag", etag.as_bytes());
    }
    if full {
        let len = if f.status == 412 && !head_only {
            0
        } else {
            f.file.len()
        };
        out.extend_from_slice(b"Content-Length: ");
        push_u64(out, len);
        out.extend_from_slice(b"\r\n");
    }
    keepalive::push_headers(out, ka);
    if let (true, Some(ct)) = (full, content_type) {
        push_header(out, "Content-Type", ct.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// Sends `head` followed by the whole of `file`.
pub fn send_file(
    io: &mut ConnIo<'_>,
    head: &[u8],
    file: &CachedFile,
    policy: SendPolicy,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    let len = file.len();
    if len == 0 {
        return io.write_all(head);
    }
    if let (true, Some(map)) = (policy.enable_mmap, &file.map)
        && map.len() as u64 == len
    {
        return io.write_all_vectored(&mut [IoSlice::new(head), IoSlice::new(map.as_slice())]);
    }
    if policy.enable_sendfile {
        io.write_all_more(head)?;
        return io.sendfile(&file.file, 0, len);
    }
    if buf.len() < READ_CHUNK {
        buf.resize(READ_CHUNK, 0);
    }
    let mut off = 0u64;
    let mut head = Some(head);
    while off < len {
        let want = (len - off).min(READ_CHUNK as u64) as usize;
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
        match head.take() {
            Some(h) => io.write_all_vectored(&mut [IoSlice::new(h), IoSlice::new(&buf[..n])])?,
            None => io.write_all(&buf[..n])?,
        }
        off += n as u64;
    }
    Ok(())
}
