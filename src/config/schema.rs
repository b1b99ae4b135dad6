//! The unknown-key check: walks the parsed document, reports every key that no section accepts
//! (with a did-you-mean), and removes it so serde can go on to check everything else.
//!
//! The accepted keys are read from the serde structs in `file.rs` (see
//! [`struct_fields`]), so this walk cannot drift from them. Maps whose keys are user data
//! (`add_type`, `error_document`, ...) are not walked.

use toml::de::{DeTable, DeValue};

use super::error::{Diagnostics, did_you_mean};
use super::file::{
    RawBalancer, RawConfig, RawDirectory, RawFiles, RawHttp, RawLocation, RawLog, RawMember,
    RawMpm, RawProxy, RawStatus,
};
use super::lenient::struct_fields;

/// A place in the file that has a fixed set of keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Top,
    Mpm,
    Http,
    Log,
    Files,
    Status,
    Directory,
    Location,
    Proxy,
    Balancer,
    Member,
}

/// Plain tables, searched when a key is in the wrong one.
const PLAIN: [Section; 6] = [
    Section::Top,
    Section::Mpm,
    Section::Http,
    Section::Log,
    Section::Files,
    Section::Status,
];

impl Section {
    /// The keys valid here, from the serde struct.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Section::Top => struct_fields::<RawConfig>(),
            Section::Mpm => struct_fields::<RawMpm>(),
            Section::Http => struct_fields::<RawHttp>(),
            Section::Log => struct_fields::<RawLog>(),
            Section::Files => struct_fields::<RawFiles>(),
            Section::Status => struct_fields::<RawStatus>(),
            Section::Directory => struct_fields::<RawDirectory>(),
            Section::Location => struct_fields::<RawLocation>(),
            Section::Proxy => struct_fields::<RawProxy>(),
            Section::Balancer => struct_fields::<RawBalancer>(),
            Section::Member => struct_fields::<RawMember>(),
        }
    }

    /// How messages name this place.
    pub fn label(self) -> &'static str {
        match self {
            Section::Top => "at the top level",
            Section::Mpm => "in [mpm]",
            Section::Http => "in [http]",
            Section::Log => "in [log]",
            Section::Files => "in [files]",
            Section::Status => "in [status]",
            Section::Directory => "in [[directory]]",
            Section::Location => "in [[location]]",
            Section::Proxy => "in [[proxy]]",
            Section::Balancer => "in [[balancer]]",
            Section::Member => "in [[balancer.member]]",
        }
    }

    /// The sub-section a key opens, and whether it is an array of tables.
    fn child(self, key: &str) -> Option<(Section, bool)> {
        let child = match (self, key) {
            (Section::Top, "mpm") => (Section::Mpm, false),
            (Section::Top, "http") => (Section::Http, false),
            (Section::Top, "log") => (Section::Log, false),
            (Section::Top, "files") => (Section::Files, false),
            (Section::Top, "status") => (Section::Status, false),
            (Section::Top, "directory") => (Section::Directory, true),
            (Section::Top, "location") => (Section::Location, true),
            (Section::Top, "proxy") => (Section::Proxy, true),
            (Section::Top, "balancer") => (Section::Balancer, true),
            (Section::Balancer, "member") => (Section::Member, true),
            _ => return None,
        };
        Some(child)
    }

    fn is_sub_section_key(self, key: &str) -> bool {
        self.child(key).is_some()
    }

    /// The TOML header, without brackets.
    fn header(self) -> &'static str {
        match self {
            Section::Top => "",
            Section::Mpm => "mpm",
            Section::Http => "http",
            Section::Log => "log",
            Section::Files => "files",
            Section::Status => "status",
            Section::Directory => "directory",
            Section::Location => "location",
            Section::Proxy => "proxy",
            Section::Balancer => "balancer",
            Section::Member => "balancer.member",
        }
    }
}

/// Reports and removes every unknown key under `root`.
pub fn remove_unknown_keys(root: &mut DeTable<'_>, diag: &mut Diagnostics<'_>) {
    walk(root, Section::Top, "", diag);
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(table: &mut DeTable<'_>, section: Section, path: &str, diag: &mut Diagnostics<'_>) {
    let keys = section.keys();
    let mut remove = Vec::new();
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        if !keys.contains(&name) {
            diag.error(
                key.span(),
                &join(path, name),
                unknown_key_message(name, section),
            );
            remove.push(name.to_owned());
        } else if let Some((child, is_array)) = section.child(name)
            && let Some(found) = wrong_shape(value.get_ref(), is_array, child.header())
        {
            let header = if is_array {
                format!("an array of tables ([[{}]])", child.header())
            } else {
                format!("a table ([{}])", child.header())
            };
            let key = join(path, name);
            let detail = format!("invalid value for \"{key}\": expected {header}, found {found}");
            diag.error(value.span(), &key, detail);
            remove.push(name.to_owned());
        }
    }
    for name in remove {
        table.remove(name.as_str());
    }
    for (key, value) in table.iter_mut() {
        let key = key.get_ref().as_ref();
        let Some((child, _)) = section.child(key) else {
            continue;
        };
        let child_path = join(path, key);
        match value.get_mut() {
            DeValue::Table(sub) => walk(sub, child, &child_path, diag),
            DeValue::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let DeValue::Table(sub) = item.get_mut() {
                        walk(sub, child, &format!("{child_path}[{i}]"), diag);
                    }
                }
            }
            _ => {}
        }
    }
}

/// What was found instead of a table (or an array of tables), if the shape is wrong.
fn wrong_shape(value: &DeValue<'_>, want_array: bool, header: &str) -> Option<String> {
    let found = match value {
        DeValue::Table(_) if !want_array => return None,
        DeValue::Array(items) if want_array => {
            if items.iter().all(|item| item.get_ref().is_table()) {
                return None;
            }
            "an array with a value that is not a table"
        }
        DeValue::Table(_) => {
            return Some(format!(
                "a single table (write [[{header}]], with double brackets)"
            ));
        }
        DeValue::Array(_) => {
            return Some(format!("an array (write [{header}], with single brackets)"));
        }
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
    };
    Some(found.to_owned())
}

/// `unknown key "x" in [mpm] (did you mean "y"?)`, or a hint that it belongs elsewhere.
pub fn unknown_key_message(key: &str, section: Section) -> String {
    let mut message = format!("unknown key \"{key}\" {}", section.label());
    let close = did_you_mean(key, section.keys());
    if !close.is_empty() {
        message.push_str(&close);
        return message;
    }
    if PLAIN.contains(&section)
        && let Some(home) = PLAIN
            .iter()
            .find(|s| **s != section && s.keys().contains(&key) && !s.is_sub_section_key(key))
    {
        let hint = match home {
            Section::Top => " (it belongs at the top level, before any [section] header)".into(),
            other => format!(" (it belongs {})", other.label()),
        };
        message.push_str(&hint);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_structs() {
        assert!(Section::Top.keys().contains(&"listen"));
        assert!(Section::Top.keys().contains(&"balancer"));
        assert!(Section::Mpm.keys().contains(&"max_clients"));
        assert!(Section::Mpm.keys().contains(&"max_requests_per_child"));
        assert!(Section::Balancer.keys().contains(&"member"));
        assert!(Section::Member.keys().contains(&"loadfactor"));
        assert_eq!(Section::Status.keys(), &["extended_status"]);
    }

    #[test]
    fn unknown_key_messages() {
        for (key, section, expected) in [
            (
                "mx_spare_servers",
                Section::Mpm,
                "unknown key \"mx_spare_servers\" in [mpm] (did you mean \"max_spare_servers\"?)",
            ),
            (
                "start_servers",
                Section::Top,
                "unknown key \"start_servers\" at the top level (it belongs in [mpm])",
            ),
            (
                "listen",
                Section::Mpm,
                "unknown key \"listen\" in [mpm] (it belongs at the top level, before any [section] header)",
            ),
            (
                "zzzzzzzz",
                Section::Http,
                "unknown key \"zzzzzzzz\" in [http]",
            ),
            (
                "handlr",
                Section::Location,
                "unknown key \"handlr\" in [[location]] (did you mean \"handler\"?)",
            ),
        ] {
            assert_eq!(unknown_key_message(key, section), expected);
        }
    }
}
