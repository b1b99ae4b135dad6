//! Which issue brings each feature that is parsed but not supported yet, for the
//! "not supported yet" messages. Update these when an issue lands and its keys become live.

/// `[[proxy]]`, `[[balancer]]`.
pub const PROXY: &str = "issue #6, \"reverse proxy\"";
