//! The pid file: written atomically (temp file + rename) at start, removed on stop, read by
//! `-k` commands.

use std::io;
use std::path::Path;

/// Writes `pid` to `path` via a temporary file and rename. Returns true if a previous file was
/// overwritten (Apache warns about an unclean shutdown then).
pub fn write(path: &Path, pid: u32) -> io::Result<bool> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let existed = path.exists();
    let tmp = path.with_extension(format!("tmp.{pid}"));
    std::fs::write(&tmp, format!("{pid}\n"))?;
    std::fs::rename(&tmp, path)?;
    Ok(existed)
}

/// Reads the pid in `path`: `Ok(None)` if there is no file.
pub fn read(path: &Path) -> io::Result<Option<i32>> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.trim().parse().map(Some).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("pid file {} does not hold a pid", path.display()),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes the pid file if it still names `pid` (a newer master may have replaced it).
pub fn remove(path: &Path, pid: u32) {
    if matches!(read(path), Ok(Some(p)) if p as u32 == pid) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_remove() {
        let dir = std::env::temp_dir().join(format!("mpmd-pid-{}", std::process::id()));
        let path = dir.join("run/mpmd.pid");
        assert_eq!(read(&path).unwrap(), None);
        assert!(!write(&path, 1234).unwrap());
        assert!(write(&path, 1234).unwrap());
        assert_eq!(read(&path).unwrap(), Some(1234));
        remove(&path, 999);
        assert!(path.exists(), "a pid file of another master is left alone");
        remove(&path, 1234);
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
