//! Configuration: TOML in, a frozen [`Config`] out.
//!
//! The pipeline is raw (`file.rs`, serde with `deny_unknown_fields`) -> validated
//! (`validate.rs`: defaults, Apache's clamps, warnings) -> frozen
//! (`types.rs`). Errors carry `FILE:LINE:COL` and the key (`error.rs`).
//!
//! Steps of [`parse_str`]: the TOML is parsed into a spanned tree (a syntax error stops here);
//! `schema.rs` reports and removes unknown keys; serde fills the raw structs, whose values are
//! lenient (`lenient.rs`) so a wrong type is one more error rather than the end; `validate.rs`
//! checks every value. All errors are returned together, in file order. This module never
//! logs: the caller prints the warnings (to the error log and stderr, and for `-t`).

mod dir_keys;
pub mod directives;
mod duration;
mod error;
mod extract;
mod file;
mod files;
mod lenient;
mod merge;
mod mpm;
mod proxy;
mod proxy_types;
mod proxy_values;
mod schema;
mod sections;
mod types;
mod validate;
mod values;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use error::{ConfigError, ConfigErrors, Warning};
pub use merge::apply_options;
pub use mpm::WORKER_FACTOR_SCALE;
pub use proxy_types::*;
pub use types::*;

use error::Diagnostics;

/// A configuration that passed validation, and what the operator should be told about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// Clamps and adjustments (`Warn`), deprecated names (`Info`), in the order found.
    pub warnings: Vec<Warning>,
}

/// Reads and validates `path`. `previous` is the running configuration on a restart: its
/// `server_limit` and `thread_limit` are kept, as in Apache.
pub fn load(path: &Path, previous: Option<&Config>) -> Result<Loaded, ConfigErrors> {
    let source = absolute(path);
    match std::fs::read_to_string(&source) {
        Ok(text) => parse_str(&text, &source, previous),
        Err(e) => Err(ConfigErrors(vec![ConfigError {
            file: source,
            line: 0,
            col: 0,
            key: String::new(),
            message: format!(
                "could not read the configuration file: {}",
                validate::io_text(&e)
            ),
        }])),
    }
}

/// Like [`load`], with the file's text given; `path` names the file in messages and anchors
/// relative paths (the default `server_root` is its directory).
pub fn parse_str(
    text: &str,
    path: &Path,
    previous: Option<&Config>,
) -> Result<Loaded, ConfigErrors> {
    let source = absolute(path);
    let mut diag = Diagnostics::new(source.clone(), text);

    // Only the first syntax error: after one, toml's recovery mostly reports its own echoes.
    let mut root = match toml::de::DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            diag.error(
                span,
                "",
                format!("TOML syntax error: {}", e.message().trim()),
            );
            return Err(ConfigErrors(diag.into_parts().0));
        }
    };
    schema::remove_unknown_keys(root.get_mut(), &mut diag);

    let raw = match file::RawConfig::deserialize(toml::de::Deserializer::from(root)) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            diag.error(span, "", e.message().trim().to_owned());
            return Err(ConfigErrors(diag.into_parts().0));
        }
    };
    let config = validate::build(raw, &source, previous, &mut diag);
    let (errors, warnings) = diag.into_parts();
    if errors.is_empty() {
        Ok(Loaded { config, warnings })
    } else {
        Err(ConfigErrors(errors))
    }
}

/// `path` made absolute against the current directory, `.` and `..` removed.
fn absolute(path: &Path) -> PathBuf {
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    extract::normalize(&joined)
}
