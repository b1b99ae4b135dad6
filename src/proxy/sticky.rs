//! Sticky sessions as mod_proxy_balancer reads them: the session value from the URL
//! parameter or the cookie (`get_path_param`, `get_cookie_param`), the route after the
//! separator (`find_session_route`), and the member that has the route
//! (`find_route_worker`: non-standby members first, then hot standbys; an unusable member's
//! `redirect` is followed, at most once per member).
//!
//! Pure byte work over the request target and the `Cookie` header values; no I/O.

use super::balance::MemberView;
use crate::config::StickySession;

/// The route a request asks for, or `None`. The URL parameter (`sticky.url_param`) is looked
/// for first, anywhere in `target` (the request target as received, path and query), its
/// value ending at `?` or `&`; only if there is none, the cookie `sticky.cookie` in the
/// `Cookie` header values in order, its value ending at `;` or `,`. The route is what follows
/// the first `separator` in the value (`JSESSIONID=abc.node1` -> `node1`); a value without
/// one has no route. `separator` 0 (`stickysessionsep = "off"`): the whole value is the route.
pub fn session_route<'a>(
    sticky: &StickySession,
    separator: u8,
    target: &'a [u8],
    cookie_headers: &[&'a [u8]],
) -> Option<&'a [u8]> {
    let value = match url_param(target, sticky.url_param.as_bytes()) {
        Some(v) => v,
        None => cookie_headers
            .iter()
            .find_map(|h| cookie_param(h, sticky.cookie.as_bytes()))?,
    };
    let route = if separator == 0 {
        value
    } else {
        let at = value.iter().position(|&b| b == separator)?;
        &value[at + 1..]
    };
    (!route.is_empty()).then_some(route)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// `get_path_param`: `name=` anywhere; the value is the first run of bytes other than `?`
/// and `&` after the `=` (apr_strtok skips leading delimiters).
fn url_param<'a>(target: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    const DELIMITERS: &[u8] = b"?&";
    let mut from = 0;
    while let Some(at) = find(target, name, from) {
        let after = at + name.len();
        if target.get(after) == Some(&b'=') && after + 1 < target.len() {
            let value = &target[after + 1..];
            let start = value.iter().position(|b| !DELIMITERS.contains(b))?;
            let rest = &value[start..];
            let end = rest
                .iter()
                .position(|b| DELIMITERS.contains(b))
                .unwrap_or(rest.len());
            return Some(&rest[..end]);
        }
        from = after + 1;
    }
    None
}

/// C's `isspace`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `get_cookie_param`: `name` at the start or after `;`, `,` or a space, then optional spaces,
/// `=` and a non-empty rest; the value ends at the first `;`, then at the first `,`.
fn cookie_param<'a>(header: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(at) = find(header, name, from) {
        let boundary = at == 0 || matches!(header[at - 1], b';' | b',') || is_space(header[at - 1]);
        if !boundary {
            from = at + 1;
            continue;
        }
        let mut p = at + name.len();
        while p < header.len() && is_space(header[p]) {
            p += 1;
        }
        if header.get(p) == Some(&b'=') && p + 1 < header.len() {
            let value = &header[p + 1..];
            let value = value.split(|&b| b == b';').next().unwrap_or(value);
            let value = value.split(|&b| b == b',').next().unwrap_or(value);
            return Some(value);
        }
        from = p + 2;
    }
    None
}

/// The member serving `route` (`find_route_worker`): a usable member whose route it is (after
/// a retry check), non-standby members first, then hot standbys; an unusable one with a
/// `redirect` hands over to the member with that route. Draining members are not skipped:
/// sticky requests are exactly what they still serve.
pub fn route_member(members: &mut [MemberView], route: &[u8]) -> Option<usize> {
    find_route(members, route, 1)
}

fn find_route<'a>(members: &mut [MemberView<'a>], route: &[u8], depth: usize) -> Option<usize> {
    let count = members.len();
    for standby_pass in [false, true] {
        for i in 0..count {
            let m = &mut members[i];
            if m.hot_standby != standby_pass || m.route.is_empty() || m.route.as_bytes() != route {
                continue;
            }
            if !m.usable() {
                m.retry_check();
            }
            if m.usable() {
                return Some(i);
            }
            let redirect: &'a str = m.redirect;
            // Bounded by the member count, so redirect cycles end.
            if !redirect.is_empty()
                && depth < count
                && let Some(r) = find_route(members, redirect.as_bytes(), depth + 1)
            {
                return Some(r);
            }
        }
    }
    None
}

/// Whether some member has this route (with `nofailover`, a request for it is refused with
/// 503 when [`route_member`] finds no usable member).
pub fn route_is_member(members: &[MemberView], route: &[u8]) -> bool {
    members
        .iter()
        .any(|m| !m.route.is_empty() && m.route.as_bytes() == route)
}

#[cfg(test)]
#[path = "sticky_tests.rs"]
mod tests;
