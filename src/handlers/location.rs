//! `[[location]]` sections as the router sees them: URL prefixes with a handler and/or access
//! rules, matched in file order against the decoded, normalized URL path. As in Apache's
//! `<Location>` merging, a later matching section overrides an earlier one: the last match with
//! a handler gives the handler, the last match with `require` lines gives the access rules.
//! Pure.

use crate::config::{LocationConfig, RequireLine};

/// What a location hands the request to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationHandler {
    /// mod_status's `server-status`.
    ServerStatus,
    /// mod_proxy_balancer's `balancer-manager` (read-only).
    BalancerManager,
}

/// One `[[location]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub handler: Option<LocationHandler>,
    pub require: Vec<RequireLine>,
}

/// Every location, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locations {
    list: Vec<Location>,
}

/// What applies to one URL path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resolved<'a> {
    pub handler: Option<LocationHandler>,
    /// `None`: no matching section has access rules.
    pub require: Option<&'a [RequireLine]>,
}

/// Apache's `<Location>` prefix test: `/status` matches `/status`, `/status/` and
/// `/status/x`, not `/statusx`; a prefix ending in `/` matches below it only.
pub fn path_matches(prefix: &str, path: &[u8]) -> bool {
    let prefix = prefix.as_bytes();
    if !path.starts_with(prefix) {
        return false;
    }
    prefix.last() == Some(&b'/') || matches!(path.get(prefix.len()), None | Some(b'/'))
}

impl Locations {
    /// Builds the table; errors (lines the configuration should have refused) are one line.
    pub fn from_config(sections: &[LocationConfig]) -> Result<Locations, String> {
        let mut list = Vec::with_capacity(sections.len());
        for s in sections {
            let handler = match s.handler.as_deref() {
                None => None,
                Some("server-status") => Some(LocationHandler::ServerStatus),
                Some("balancer-manager") => Some(LocationHandler::BalancerManager),
                Some(other) => {
                    return Err(format!(
                        "location {}: handler {other:?} is not supported",
                        s.path
                    ));
                }
            };
            list.push(Location {
                path: s.path.clone(),
                handler,
                require: s.require.clone(),
            });
        }
        Ok(Locations { list })
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The handler and access rules for a decoded URL path.
    pub fn resolve(&self, path: &[u8]) -> Resolved<'_> {
        let mut resolved = Resolved::default();
        for l in self.list.iter().filter(|l| path_matches(&l.path, path)) {
            if l.handler.is_some() {
                resolved.handler = l.handler;
            }
            if !l.require.is_empty() {
                resolved.require = Some(&l.require);
            }
        }
        resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(path: &str, handler: Option<&str>, require: &[&str]) -> LocationConfig {
        LocationConfig {
            path: path.into(),
            handler: handler.map(String::from),
            require: require
                .iter()
                .map(|r| crate::config::directives::parse_require(r).unwrap())
                .collect(),
        }
    }

    #[test]
    fn prefix_rules() {
        let cases: &[(&str, &str, bool)] = &[
            ("/server-status", "/server-status", true),
            ("/server-status", "/server-status/", true),
            ("/server-status", "/server-status/x", true),
            ("/server-status", "/server-statusx", false),
            ("/server-status", "/server", false),
            ("/s/", "/s/", true),
            ("/s/", "/s/x", true),
            ("/s/", "/s", false),
            ("/", "/anything", true),
        ];
        for &(prefix, path, want) in cases {
            assert_eq!(
                path_matches(prefix, path.as_bytes()),
                want,
                "{prefix} vs {path}"
            );
        }
    }

    #[test]
    fn later_sections_override() {
        let table = Locations::from_config(&[
            section("/", None, &["all granted"]),
            section("/server-status", Some("server-status"), &["local"]),
            section("/server-status/open", None, &["all granted"]),
        ])
        .unwrap();
        let r = table.resolve(b"/server-status");
        assert_eq!(r.handler, Some(LocationHandler::ServerStatus));
        assert_eq!(r.require, Some(&[RequireLine::Local][..]));
        let r = table.resolve(b"/server-status/open");
        assert_eq!(r.handler, Some(LocationHandler::ServerStatus));
        assert_eq!(r.require, Some(&[RequireLine::AllGranted][..]));
        let r = table.resolve(b"/index.html");
        assert_eq!(r.handler, None);
        assert_eq!(r.require, Some(&[RequireLine::AllGranted][..]));
        assert_eq!(Locations::default().resolve(b"/x"), Resolved::default());
        let table =
            Locations::from_config(&[section("/b", Some("balancer-manager"), &[])]).unwrap();
        assert_eq!(
            table.resolve(b"/b").handler,
            Some(LocationHandler::BalancerManager)
        );
        assert!(Locations::from_config(&[section("/b", Some("cgi-script"), &[])]).is_err());
    }
}
