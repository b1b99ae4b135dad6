//! Tests of the whole pipeline (`parse_str`, `load`) against real temporary directories, plus the
//! pure `[mpm]` clamp tables. Each test makes its own directory, so they run in parallel.

mod errors;
mod loading;
mod mpm;
mod proxy;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{ConfigErrors, Loaded, parse_str};

/// A throwaway server root: `htdocs/` and `conf/mime.types` exist, so the defaults validate.
pub struct TempRoot {
    pub dir: PathBuf,
}

impl TempRoot {
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mpmd-config-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("htdocs")).unwrap();
        std::fs::create_dir_all(dir.join("conf")).unwrap();
        std::fs::write(dir.join("conf/mime.types"), "text/html html htm\n").unwrap();
        let dir = std::fs::canonicalize(&dir).unwrap();
        TempRoot { dir }
    }

    /// The config file path (not written: `parse_str` takes the text).
    pub fn file(&self) -> PathBuf {
        self.dir.join("mpmd.toml")
    }

    pub fn parse(&self, text: &str) -> Result<Loaded, ConfigErrors> {
        parse_str(text, &self.file(), None)
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Parses `text` in a fresh root; panics with the errors if it does not load.
pub fn ok(text: &str) -> Loaded {
    let root = TempRoot::new();
    match root.parse(text) {
        Ok(loaded) => loaded,
        Err(errors) => panic!("{text}\n---\n{errors}"),
    }
}

/// Parses `text` in a fresh root and returns its errors as `LINE:COL: MESSAGE` lines.
pub fn errors(text: &str) -> Vec<String> {
    let root = TempRoot::new();
    match root.parse(text) {
        Ok(loaded) => panic!("{text}\n--- loaded, expected errors\n{:?}", loaded.config),
        Err(ConfigErrors(errors)) => errors
            .iter()
            .map(|e| format!("{}:{}: {}", e.line, e.col, e.message))
            .collect(),
    }
}

/// Warnings as plain strings.
pub fn warnings(loaded: &Loaded) -> Vec<String> {
    loaded.warnings.iter().map(|w| w.message.clone()).collect()
}
