//! Writing to a raw file descriptor, for the buffered access log: its signal handler must
//! write without a `File` (and without allocating), and `write(2)` is async-signal-safe.

use std::io;
use std::os::fd::RawFd;

/// Writes all of `buf` to `fd`, retrying after EINTR and short writes.
pub fn write_all_fd(fd: RawFd, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is a valid, initialised slice for the duration of the call and write
        // reads at most `buf.len()` bytes from it. An invalid `fd` is reported as EBADF, not
        // undefined behaviour.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// The calling thread's id as the C library knows it (`pthread_self`, what Apache logs for
/// `%{tid}P`).
pub fn thread_id() -> u64 {
    // SAFETY: pthread_self has no preconditions and always succeeds.
    unsafe { libc::pthread_self() as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn writes_everything_and_reports_bad_fds() {
        let path = std::env::temp_dir().join(format!("mpmd-fdio-{}", std::process::id()));
        let f = std::fs::File::create(&path).unwrap();
        write_all_fd(f.as_raw_fd(), b"hello\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello\n");
        assert!(write_all_fd(-1, b"x").is_err());
        std::fs::remove_file(&path).unwrap();
        assert_eq!(thread_id(), thread_id());
    }
}
