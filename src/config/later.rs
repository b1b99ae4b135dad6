//! Which issue brings each feature that is parsed but not supported yet, for the
//! "not supported yet" messages. Update these when an issue lands and its keys become live.

/// Byte ranges, `buffered_logs`.
pub const TREE: &str = "issue #3, \"HTTP/1.1 and document tree\"";
/// `[[location]]` and the server-status handler.
pub const STATUS: &str = "issue #4, \"status page\"";
/// `[[proxy]]`, `[[balancer]]`.
pub const PROXY: &str = "issue #6, \"reverse proxy\"";
/// MultiViews, type maps, the language/charset/encoding tables.
pub const NEGOTIATION: &str = "issue #7, \"content negotiation\"";
