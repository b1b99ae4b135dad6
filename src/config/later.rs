//! Which issue brings each feature that is parsed but not supported yet, for the
//! "not supported yet" messages. Update these when an issue lands and its keys become live.

/// MultiViews, type maps, the language/charset/encoding tables.
pub const NEGOTIATION: &str = "issue #7, \"content negotiation\"";
