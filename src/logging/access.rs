//! The access log (mod_log_config): the open file, its compiled format (`format.rs`), and
//! how lines reach the file: one `write(2)` per line on the O_APPEND file, or, with
//! `buffered_logs`, batched by `buffer.rs` (BufferedLogs).

use std::fs::File;
use std::io::{self, Write};
use std::time::Instant;

pub use crate::logging::format::{ConnStatus, LogFormat, LogRecord};

use crate::logging::buffer;

/// The open access log and its format.
#[derive(Debug)]
pub struct AccessLog {
    format: LogFormat,
    file: File,
    buffered: bool,
}

impl AccessLog {
    pub fn new(format: LogFormat, file: File) -> AccessLog {
        AccessLog {
            format,
            file,
            buffered: false,
        }
    }

    /// The same, with BufferedLogs on or off.
    pub fn with_buffering(format: LogFormat, file: File, buffered: bool) -> AccessLog {
        AccessLog {
            format,
            file,
            buffered,
        }
    }

    pub fn format(&self) -> &LogFormat {
        &self.format
    }

    /// BufferedLogs is on.
    pub fn is_buffered(&self) -> bool {
        self.buffered
    }

    /// Logs one line (newline included): buffered, or with a single `write(2)` (O_APPEND
    /// makes concurrent children's lines land whole; a short write, which regular files do
    /// not produce, is finished off).
    pub fn write_line(&self, mut line: &[u8]) -> io::Result<()> {
        if self.buffered {
            return buffer::append(&self.file, line, Instant::now());
        }
        while !line.is_empty() {
            match (&self.file).write(line) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => line = &line[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes this log's buffered lines, if any.
    pub fn flush(&self) -> io::Result<()> {
        if self.buffered {
            buffer::flush_file(&self.file)
        } else {
            Ok(())
        }
    }
}

impl Drop for AccessLog {
    /// A generation's log closes with its site (single-process restarts): nothing it
    /// buffered may be lost.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Writes every buffered access log line (before a child leaves, and when it is idle).
pub fn flush_buffered() {
    if let Err(e) = buffer::flush() {
        log::warn!("could not write the access log: {e}");
    }
}
