//! Backend sockets: connecting (with `connectiontimeout`, SO_KEEPALIVE, the I/O timeout),
//! checking a pooled connection before reuse, and reads that tell timeouts apart. Thin I/O;
//! no HTTP decisions.

use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};

use socket2::SockRef;

use super::Worker;

/// An open backend connection.
#[derive(Debug)]
pub struct BackendConn {
    pub stream: TcpStream,
    /// Requests sent on it before the current one.
    pub used: u32,
}

/// How a read from the backend went.
#[derive(Debug)]
pub enum BackendRead {
    Data(usize),
    Eof,
    TimedOut,
    Failed(io::Error),
}

impl BackendConn {
    /// Whether a pooled connection still looks usable: nothing to read and not closed (a
    /// non-blocking peek: EOF, stray data or an error mean it must be dropped).
    pub fn still_usable(&self) -> bool {
        let mut byte = [MaybeUninit::<u8>::uninit(); 1];
        match SockRef::from(&self.stream)
            .recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT)
        {
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            Ok(_) => false,
        }
    }

    pub fn read(&mut self, buf: &mut [u8]) -> BackendRead {
        loop {
            match self.stream.read(buf) {
                Ok(0) => return BackendRead::Eof,
                Ok(n) => return BackendRead::Data(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return BackendRead::TimedOut;
                }
                Err(e) => return BackendRead::Failed(e),
            }
        }
    }

    /// Writes every slice (EINTR-safe; a send timeout is an error).
    pub fn write_all(&mut self, mut bufs: &mut [io::IoSlice<'_>]) -> io::Result<()> {
        io::IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            match self.stream.write_vectored(bufs) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => io::IoSlice::advance_slices(&mut bufs, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "backend send timeout",
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The worker's addresses, resolved once per child.
fn addresses(worker: &Worker) -> io::Result<Vec<SocketAddr>> {
    let mut cached = worker.addrs.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(a) = cached.as_ref() {
        return Ok(a.clone());
    }
    let addrs: Vec<SocketAddr> = (worker.url.host.as_str(), worker.url.port)
        .to_socket_addrs()?
        .collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no address for the backend host",
        ));
    }
    *cached = Some(addrs.clone());
    Ok(addrs)
}

/// Opens a connection to the worker: each address in turn within `connectiontimeout`, then
/// the socket options (I/O timeout, TCP_NODELAY, SO_KEEPALIVE when asked).
pub fn connect(worker: &Worker) -> io::Result<BackendConn> {
    let s = &worker.settings;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in addresses(worker)? {
        match TcpStream::connect_timeout(&addr, s.connect_timeout) {
            Ok(stream) => {
                stream.set_read_timeout(Some(s.timeout))?;
                stream.set_write_timeout(Some(s.timeout))?;
                stream.set_nodelay(true)?;
                if s.keepalive {
                    SockRef::from(&stream).set_keepalive(true)?;
                }
                worker.shared.opened_connection();
                return Ok(BackendConn { stream, used: 0 });
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}
