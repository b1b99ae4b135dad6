//! Configuration: TOML in, a frozen [`Config`] out.
//!
//! The pipeline is raw (`file.rs`, serde with `deny_unknown_fields`) -> validated
//! (`validate.rs`: defaults, Apache's clamps, warnings, "not supported yet") -> frozen
//! (`types.rs`). Errors carry `FILE:LINE:COL` and the key (`error.rs`).

mod types;
pub use types::*;

// TEMPORARY STUB until the loader lands.
use std::path::Path;
pub struct Warning {
    pub level: LogLevel,
    pub message: String,
}
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<Warning>,
}
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);
impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
pub fn load(_path: &Path, _previous: Option<&Config>) -> Result<Loaded, ConfigErrors> {
    Err(ConfigErrors(vec![]))
}
