//! The scenarios (server configurations) and the case table's row type and helpers: raw
//! request bytes, sent as-is, and what to compare besides the status. The rows themselves are in
//! `cases_protocol.rs`, `cases_files.rs` and `cases_tree.rs`.
//!
//! Two scenarios, each an equivalent configuration of both servers over the same tree:
//! - `core`: server-wide settings only (limits, AddDefaultCharset, FollowSymLinks on the root):
//!   the protocol, methods, limits, traversal, names, types, ETags, conditionals and ranges.
//! - `tree`: the same plus `<Directory>` sections (listings, DirectoryIndex, Require, symlink
//!   options, AllowOverride for .htaccess, ErrorDocument, AddType/AddCharset).
//!
//! The negotiation scenario (issue 7) has its own test and lives in `cases_neg.rs`.
//!
//! Expected differences (an mpmd behaviour that is a deliberate improvement over Apache) are
//! listed on the case itself with the reason, never dropped silently.

use crate::compare::Check::{self, Body, Header, HtmlBody, Present};
use crate::config::{Scenario, Section};
use crate::exchange::Script;
use crate::tree::Tree;

pub const CORE: &str = "core";
pub const TREE: &str = "tree";

/// The scenarios, in the order they run.
pub fn scenarios() -> Vec<Scenario> {
    let s = Section::default;
    vec![
        Scenario {
            name: CORE,
            add_default_charset: Some("UTF-8"),
            sections: vec![],
            negotiation: false,
        },
        Scenario {
            name: TREE,
            add_default_charset: None,
            sections: vec![
                Section {
                    dir: "listing",
                    options: &["+Indexes"],
                    ..s()
                },
                Section {
                    dir: "listing/subdir",
                    options: &["-Indexes"],
                    ..s()
                },
                Section {
                    dir: "altindex",
                    directory_index: &["start.html", "index.html"],
                    ..s()
                },
                Section {
                    dir: "denied",
                    require: &["all denied"],
                    ..s()
                },
                Section {
                    dir: "localonly",
                    require: &["local"],
                    ..s()
                },
                Section {
                    dir: "iponly",
                    require: &["ip 10.0.0.0/8 192.168.1"],
                    ..s()
                },
                Section {
                    dir: "ipok",
                    require: &["ip 10.0.0.0/8", "ip 127.0.0.0/8 ::1"],
                    ..s()
                },
                Section {
                    dir: "nofollow",
                    options: &["None"],
                    ..s()
                },
                Section {
                    dir: "ifowner",
                    options: &["SymLinksIfOwnerMatch"],
                    ..s()
                },
                Section {
                    dir: "ht",
                    allow_override: &["All"],
                    ..s()
                },
                Section {
                    dir: "htdeny",
                    allow_override: &["AuthConfig"],
                    ..s()
                },
                Section {
                    dir: "htbad",
                    allow_override: &["FileInfo"],
                    ..s()
                },
                Section {
                    dir: "htunknown",
                    allow_override: &["All"],
                    ..s()
                },
                Section {
                    dir: "errdoc",
                    error_document: &[
                        (404, "/errors/404.html"),
                        (403, "Forbidden by the errdoc section"),
                    ],
                    ..s()
                },
                Section {
                    dir: "mimedir",
                    add_type: &[("text/x-special", ".spc")],
                    add_charset: &[("ISO-8859-2", ".l2")],
                    ..s()
                },
            ],
            negotiation: false,
        },
    ]
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Case {
    pub scenario: &'static str,
    pub name: &'static str,
    pub script: Script,
    pub checks: Vec<Check>,
    /// Fields allowed to differ, each with the reason: documented intended differences.
    pub expected: Vec<(&'static str, &'static str)>,
}

/// A file response: everything about it must be the same.
pub const FILE: &[Check] = &[
    Header("Content-Length"),
    Header("ETag"),
    Header("Last-Modified"),
    Header("Accept-Ranges"),
    Body,
];
/// An error response: same status and type, and Apache's page byte for byte (its length too,
/// or no length where Apache sends none).
pub const ERROR: &[Check] = &[
    HtmlBody,
    Header("Content-Length"),
    Body,
    Present("ETag"),
    Present("Last-Modified"),
    Present("Accept-Ranges"),
];
/// A 304: validators repeated, no body.
pub const NOT_MODIFIED: &[Check] = &[
    Header("ETag"),
    Header("Last-Modified"),
    Present("Content-Length"),
    Body,
];

pub fn case(scenario: &'static str, name: &'static str, send: impl Into<Vec<u8>>) -> Case {
    Case {
        scenario,
        name,
        script: Script {
            send: send.into(),
            after_continue: None,
            replies: 1,
            probe: true,
        },
        checks: Vec::new(),
        expected: Vec::new(),
    }
}

impl Case {
    pub fn with(mut self, checks: &[Check]) -> Case {
        self.checks.extend_from_slice(checks);
        self
    }
    pub fn file(self) -> Case {
        self.with(FILE)
    }
    pub fn error(self) -> Case {
        self.with(ERROR)
    }
    pub fn replies(mut self, n: usize) -> Case {
        self.script.replies = n;
        self
    }
    /// Bytes sent after an interim `100 Continue`.
    pub fn after_continue(mut self, bytes: &[u8]) -> Case {
        self.script.after_continue = Some(bytes.to_vec());
        self
    }
    /// A documented, intended difference on `field`.
    pub fn expect_difference(mut self, field: &'static str, reason: &'static str) -> Case {
        self.expected.push((field, reason));
        self
    }
}

/// `METHOD target HTTP/1.1`, `Host: diff.test`, then `extra` (complete header lines).
pub fn req(method: &str, target: &str, extra: &str) -> String {
    format!("{method} {target} HTTP/1.1\r\nHost: diff.test\r\n{extra}\r\n")
}

pub fn get(target: &str) -> String {
    req("GET", target, "")
}

/// Every case, for every scenario. ETags come from the built tree.
pub fn all(tree: &Tree) -> Vec<Case> {
    let mut v = crate::cases_protocol::cases();
    v.extend(crate::cases_files::paths());
    v.extend(crate::cases_files::validators(tree));
    v.extend(crate::cases_tree::cases());
    v
}
