//! The connection's thin I/O layer: reads with a timeout, writes, sendfile, lingering close.
//!
//! Blocking sockets with `SO_RCVTIMEO` / `SO_SNDTIMEO`. The receive timeout is set only when
//! the wanted value differs from the one already set (one `setsockopt` per change, not per
//! read). A read interrupted by a signal (EINTR: the child's graceful-restart signal) is
//! retried with the time left until its deadline, so a signal never shortens or lengthens a
//! wait and never drops a connection. No decisions about HTTP are made here.

use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::MsgFlags;
use socket2::SockRef;

/// Shortest wait worth asking the kernel for; less counts as expired (SO_RCVTIMEO 0 = forever).
const MIN_WAIT: Duration = Duration::from_millis(1);
/// Apache's lingering close: wait this long per read for the client's FIN ...
const LINGER_READ: Duration = Duration::from_secs(2);
/// ... and at most this long in total.
const LINGER_MAX: Duration = Duration::from_secs(30);

/// The outcome of one timed read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadResult {
    /// This many bytes arrived.
    Data(usize),
    /// The peer closed its side.
    Eof,
    /// Nothing arrived before the deadline.
    TimedOut,
}

/// Time left before `deadline`, as a socket timeout; `None` once (nearly) expired.
pub fn remaining(deadline: Instant, now: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(now)
        .filter(|d| *d >= MIN_WAIT)
}

/// The socket options a connection has set, so each is set once, not per request (or per
/// burst, for the event MPM).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketState {
    /// The receive timeout (`None` = not set by us yet).
    rcv_timeout: Option<Duration>,
    /// The write timeout and TCP_NODELAY were set ([`ConnIo::setup`]), with this timeout.
    set_up: Option<Duration>,
}

/// The rest of a file response that the socket would not take without blocking (event MPM:
/// the poller finishes it, Apache's write completion): bytes already prepared (the rest of a
/// head), then a range of the file, sent with sendfile(2) when the body was going out that
/// way, else read with `pread` and sent (a mapped body: `enable_sendfile` may be off).
#[derive(Debug)]
pub struct PendingWrite {
    /// Bytes to send before the file part (the rest of the head, or of the last read).
    buf: Vec<u8>,
    sent: usize,
    /// A handle of its own on the file (the cache's may be dropped meanwhile).
    file: File,
    offset: u64,
    end: u64,
    sendfile: bool,
}

/// Bytes of one `pread` when the poller continues a body without sendfile.
const PENDING_CHUNK: usize = 64 * 1024;

impl PendingWrite {
    /// Sends what the (non-blocking) `stream` takes now: `Ok(true)` once all is sent,
    /// `Ok(false)` when it would block (wait until writable and call again).
    pub fn resume(&mut self, stream: &TcpStream) -> io::Result<bool> {
        let sock = SockRef::from(stream);
        loop {
            while self.sent < self.buf.len() {
                let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
                match sock.send_with_flags(&self.buf[self.sent..], flags) {
                    Ok(n) => self.sent += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) => return Err(e),
                }
            }
            if self.offset >= self.end {
                return Ok(true);
            }
            if self.sendfile {
                return sendfile_until_blocked(
                    stream,
                    &self.file,
                    &mut self.offset,
                    self.end,
                    &mut 0,
                );
            }
            let want = (self.end - self.offset).min(PENDING_CHUNK as u64) as usize;
            self.buf.resize(want, 0);
            let n = loop {
                match self.file.read_at(&mut self.buf, self.offset) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shrank while sending",
                ));
            }
            self.buf.truncate(n);
            self.sent = 0;
            self.offset += n as u64;
        }
    }
}

/// sendfile(2) until done (`true`) or EAGAIN (`false`: a non-blocking socket would block, a
/// blocking one's send timeout expired); `sent` counts the bytes that went out.
fn sendfile_until_blocked(
    stream: &TcpStream,
    file: &File,
    offset: &mut u64,
    end: u64,
    sent: &mut u64,
) -> io::Result<bool> {
    while *offset < end {
        let mut off = *offset as libc::off_t;
        let chunk = (end - *offset).min(1 << 30) as usize;
        match nix::sys::sendfile::sendfile(stream, file, Some(&mut off), chunk) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shrank while sending",
                ));
            }
            Ok(n) => {
                *sent += n as u64;
                *offset += n as u64;
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(nix::errno::Errno::EAGAIN) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

/// A connection's socket plus its byte counters and the receive timeout currently set.
pub struct ConnIo<'s> {
    stream: &'s TcpStream,
    /// What is set on the socket already (kept across the event MPM's bursts).
    state: SocketState,
    /// Our side is shut down; the event MPM's poller does the lingering close.
    write_closed: bool,
    /// event: a file body that would block may be left to the poller ([`PendingWrite`]);
    /// set per response, only when nothing else is waiting to be read or written after it.
    pub defer_writes: bool,
    /// The body left to the poller, if any.
    pending: Option<PendingWrite>,
    /// A close was asked for while a body is pending: the poller closes after writing it.
    close_after_write: bool,
    /// Bytes read from the client so far (for `%I`).
    pub bytes_in: u64,
    /// Bytes written to the client so far (for `%O`).
    pub bytes_out: u64,
}

impl<'s> ConnIo<'s> {
    pub fn new(stream: &'s TcpStream) -> ConnIo<'s> {
        ConnIo::resume(stream, SocketState::default())
    }

    /// A connection served in bursts (event MPM): `state` is what an earlier burst left set
    /// on the socket ([`ConnIo::state`]), so it is not set again for nothing.
    pub fn resume(stream: &'s TcpStream, state: SocketState) -> ConnIo<'s> {
        ConnIo {
            stream,
            state,
            write_closed: false,
            defer_writes: false,
            pending: None,
            close_after_write: false,
            bytes_in: 0,
            bytes_out: 0,
        }
    }

    /// What is set on the socket now.
    pub fn state(&self) -> SocketState {
        self.state
    }

    pub fn stream(&self) -> &'s TcpStream {
        self.stream
    }

    /// Per-connection socket set-up: send timeout and TCP_NODELAY (responses go out in as few
    /// writes as possible; Nagle would only delay the last segment of a sendfile).
    pub fn setup(&mut self, write_timeout: Duration) -> io::Result<()> {
        if self.state.set_up == Some(write_timeout) {
            return Ok(());
        }
        self.state.set_up = Some(write_timeout);
        let sock = SockRef::from(self.stream);
        sock.set_write_timeout(Some(write_timeout.max(MIN_WAIT)))?;
        sock.set_tcp_nodelay(true)
    }

    fn set_rcv_timeout(&mut self, d: Duration) -> io::Result<()> {
        if self.state.rcv_timeout != Some(d) {
            SockRef::from(self.stream).set_read_timeout(Some(d))?;
            self.state.rcv_timeout = Some(d);
        }
        Ok(())
    }

    /// One read of at most `buf.len()` bytes, waiting at most `timeout` (EINTR-safe).
    pub fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<ReadResult> {
        let deadline = Instant::now() + timeout;
        let mut wait = timeout.max(MIN_WAIT);
        loop {
            self.set_rcv_timeout(wait)?;
            match (&*self.stream).read(buf) {
                Ok(0) => return Ok(ReadResult::Eof),
                Ok(n) => {
                    self.bytes_in += n as u64;
                    return Ok(ReadResult::Data(n));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    match remaining(deadline, Instant::now()) {
                        Some(left) => wait = left,
                        None => return Ok(ReadResult::TimedOut),
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(ReadResult::TimedOut);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads what is there without waiting: `WouldBlock` when nothing is (the event MPM's
    /// resumed burst, whose wake-up may be stale: its data was served by the previous burst).
    pub fn read_now(&mut self, buf: &mut [u8]) -> io::Result<ReadResult> {
        let fd = self.stream.as_raw_fd();
        loop {
            match nix::sys::socket::recv(fd, buf, MsgFlags::MSG_DONTWAIT) {
                Ok(0) => return Ok(ReadResult::Eof),
                Ok(n) => {
                    self.bytes_in += n as u64;
                    return Ok(ReadResult::Data(n));
                }
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Writes all of `buf`.
    pub fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all_vectored(&mut [IoSlice::new(buf)])
    }

    /// Writes all of `bufs` with as few `writev(2)` calls as the socket allows.
    pub fn write_all_vectored(&mut self, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
        IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            match (&*self.stream).write_vectored(bufs) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.bytes_out += n as u64;
                    IoSlice::advance_slices(&mut bufs, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(write_error(e)),
            }
        }
        Ok(())
    }

    /// Writes `prefix` and `data`, the bytes of `file` from `data_offset` (a mapped body).
    /// With `defer_writes`, what the socket does not take at once is left pending for the
    /// poller ([`ConnIo::take_pending`]), which reads the rest from `file`.
    pub fn write_mapped(
        &mut self,
        prefix: &[u8],
        data: &[u8],
        file: &File,
        data_offset: u64,
    ) -> io::Result<()> {
        if !self.defer_writes {
            return self.write_all_vectored(&mut [IoSlice::new(prefix), IoSlice::new(data)]);
        }
        let sock = SockRef::from(self.stream);
        let total = prefix.len() + data.len();
        let mut done = 0;
        while done < total {
            let slices = if done < prefix.len() {
                [IoSlice::new(&prefix[done..]), IoSlice::new(data)]
            } else {
                [
                    IoSlice::new(&data[done - prefix.len()..]),
                    IoSlice::new(&[]),
                ]
            };
            let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
            match sock.send_vectored_with_flags(&slices, flags) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.bytes_out += n as u64;
                    done += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        if done == total {
            return Ok(());
        }
        let (buf, data_done) = match done.checked_sub(prefix.len()) {
            None => (prefix[done..].to_vec(), 0),
            Some(d) => (Vec::new(), d),
        };
        self.pending = Some(PendingWrite {
            buf,
            sent: 0,
            file: file.try_clone()?,
            offset: data_offset + data_done as u64,
            end: data_offset + data.len() as u64,
            sendfile: false,
        });
        Ok(())
    }

    /// Writes all of `buf` with MSG_MORE: the kernel holds it to coalesce with what follows
    /// (the head before a sendfile body).
    pub fn write_all_more(&mut self, mut buf: &[u8]) -> io::Result<()> {
        let sock = SockRef::from(self.stream);
        while !buf.is_empty() {
            match sock.send_with_flags(buf, libc::MSG_MORE | libc::MSG_NOSIGNAL) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.bytes_out += n as u64;
                    buf = &buf[n..];
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(write_error(e)),
            }
        }
        Ok(())
    }

    /// Sends `len` bytes of `file` from `offset` with sendfile(2). With `defer_writes`, what
    /// the socket does not take at once is left pending for the poller ([`ConnIo::take_pending`]).
    pub fn sendfile(&mut self, file: &File, mut offset: u64, len: u64) -> io::Result<()> {
        let end = offset + len;
        let defer = self.defer_writes && len > 0;
        if defer {
            self.stream.set_nonblocking(true)?;
        }
        let mut sent = 0;
        let done = sendfile_until_blocked(self.stream, file, &mut offset, end, &mut sent);
        self.bytes_out += sent;
        if defer && !matches!(done, Ok(false)) {
            self.stream.set_nonblocking(false)?;
        }
        match done {
            Ok(true) => Ok(()),
            Ok(false) if defer => {
                self.pending = Some(PendingWrite {
                    buf: Vec::new(),
                    sent: 0,
                    file: file.try_clone()?,
                    offset,
                    end,
                    sendfile: true,
                });
                Ok(())
            }
            // A blocking socket says EAGAIN when its send timeout expired.
            Ok(false) => Err(write_error(io::ErrorKind::WouldBlock.into())),
            Err(e) => Err(write_error(e)),
        }
    }

    /// Ends the connection after a response: lingering close here (`linger_here`), or only
    /// the half-close when the event MPM's poller does the draining (no thread waits).
    pub fn close(&mut self, linger_here: bool, scratch: &mut [u8]) {
        if self.pending.is_some() {
            // A FIN now would overtake the body: the poller closes once it is written.
            self.close_after_write = true;
        } else if linger_here {
            self.lingering_close(scratch);
        } else {
            self.write_closed = self.stream.shutdown(Shutdown::Write).is_ok();
        }
    }

    /// Ends the connection after a response when the client sends nothing more and left
    /// nothing unread: no lingering; the socket closes when dropped (after a pending body, the
    /// poller closes it as after [`ConnIo::close`]).
    pub fn close_at_once(&mut self) {
        if self.pending.is_some() {
            self.close_after_write = true;
        }
    }

    /// True once [`ConnIo::close`] half-closed the socket for the poller to drain.
    pub fn write_closed(&self) -> bool {
        self.write_closed
    }

    /// True while a body is left to the poller: nothing more may be read or written here.
    pub fn write_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// The body left to the poller, and whether the connection closes after it.
    pub fn take_pending(&mut self) -> Option<(PendingWrite, bool)> {
        self.pending.take().map(|p| (p, self.close_after_write))
    }

    /// Apache's `ap_lingering_close`: send FIN, then read and drop whatever the client still
    /// sends until it closes (2 s per read, 30 s at most), so unread requests in our receive
    /// buffer never turn our close into a RST that destroys the response in flight.
    pub fn lingering_close(&mut self, scratch: &mut [u8]) {
        if self.stream.shutdown(Shutdown::Write).is_err() {
            return;
        }
        let deadline = Instant::now() + LINGER_MAX;
        while let Some(left) = remaining(deadline, Instant::now()) {
            match self.read(scratch, left.min(LINGER_READ)) {
                Ok(ReadResult::Data(_)) => {}
                _ => return,
            }
        }
    }
}

/// A write that hit SO_SNDTIMEO reports WouldBlock; call it what it is.
fn write_error(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::new(
            io::ErrorKind::TimedOut,
            "client did not read the response in time",
        )
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_table() {
        let t0 = Instant::now();
        let cases: &[(u64, u64, Option<u64>)] = &[
            (5000, 0, Some(5000)),
            (5000, 4000, Some(1000)),
            (5000, 4999, Some(1)),
            (5000, 5000, None),
            (5000, 6000, None),
        ];
        for &(deadline_ms, now_ms, want) in cases {
            let got = remaining(
                t0 + Duration::from_millis(deadline_ms),
                t0 + Duration::from_millis(now_ms),
            );
            assert_eq!(
                got,
                want.map(Duration::from_millis),
                "{deadline_ms} {now_ms}"
            );
        }
    }
}
