//! URL paths as Apache 2.4.51+ reads them (`ap_normalize_path` + `ap_unescape_url`):
//! `%XX` escapes decoded, `.`/`..` segments and repeated slashes resolved, so the result
//! joined to the document root always stays inside it lexically.
//!
//! Pure; used for the request's path, ErrorDocument URLs and type maps' variant URIs. Also
//! the absolute URL of a DirectorySlash redirect.

use crate::http::escape::push_path_escaped;
use crate::http::request::Request;

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes the `%XX` at `raw[i]` if it is a valid escape: `Ok(Some(byte))`, `Ok(None)` if
/// `raw[i]` is not `%`, `Err(400)` for a malformed escape.
fn escape_at(raw: &[u8], i: usize) -> Result<Option<u8>, u16> {
    if raw[i] != b'%' {
        return Ok(None);
    }
    match (
        raw.get(i + 1).copied().and_then(hex),
        raw.get(i + 2).copied().and_then(hex),
    ) {
        (Some(h), Some(l)) => Ok(Some(h << 4 | l)),
        _ => Err(400),
    }
}

fn unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// The logical character at `raw[i]`: unreserved escapes decoded (`%2e` is `.`), other bytes
/// and other escapes as is (`escaped` = true: never a `/` or `.` for segment purposes).
fn char_at(raw: &[u8], i: usize) -> Result<(u8, usize, bool), u16> {
    match escape_at(raw, i)? {
        Some(c) if unreserved(c) => Ok((c, 3, false)),
        Some(_) => Ok((b'%', 3, true)),
        None => Ok((raw[i], 1, false)),
    }
}

/// URL path (still %-encoded, query already split off) -> decoded, normalized path in `out`.
/// Errors: not starting with `/`, a malformed escape, `..` above the root -> 400; an encoded
/// `/` (AllowEncodedSlashes Off) or NUL -> 404.
pub fn resolve_url_path(raw: &[u8], out: &mut Vec<u8>) -> Result<(), u16> {
    out.clear();
    if raw.first() != Some(&b'/') {
        return Err(400);
    }
    out.push(b'/');
    let mut l = 1;
    while l < raw.len() {
        let (c, adv, escaped) = char_at(raw, l)?;
        if out.last() == Some(&b'/') && !escaped {
            if c == b'/' {
                l += adv;
                continue;
            }
            if c == b'.' {
                let next = if l + adv < raw.len() {
                    Some(char_at(raw, l + adv)?)
                } else {
                    None
                };
                match next {
                    None | Some((b'/', _, false)) => {
                        l += adv + next.map_or(0, |n| n.1);
                        continue;
                    }
                    Some((b'.', adv2, false)) => {
                        let after = l + adv + adv2;
                        let third = if after < raw.len() {
                            Some(char_at(raw, after)?)
                        } else {
                            None
                        };
                        if matches!(third, None | Some((b'/', _, false))) {
                            if out.len() <= 1 {
                                return Err(400);
                            }
                            out.pop();
                            while out.last().is_some_and(|&b| b != b'/') {
                                out.pop();
                            }
                            l = after + third.map_or(0, |t| t.1);
                            continue;
                        }
                    }
                    _ => {}
                }
            }
        }
        if escaped {
            out.extend_from_slice(&raw[l..l + 3]);
        } else {
            out.push(c);
        }
        l += adv;
    }
    // Second pass: decode the remaining (reserved) escapes.
    let mut w = 0;
    let mut r = 0;
    while r < out.len() {
        match escape_at(out, r)? {
            Some(b'/') | Some(0) => return Err(404),
            Some(c) => {
                out[w] = c;
                r += 3;
            }
            None => {
                out[w] = out[r];
                r += 1;
            }
        }
        w += 1;
    }
    out.truncate(w);
    Ok(())
}

/// `http://host[:port]/escaped-path/?query` for a DirectorySlash redirect (Apache's
/// `ap_construct_url` with UseCanonicalName Off): the client's Host, else the name of
/// `server_name`; the Host's port, else `server_name`'s port, else none (80). Never the port
/// the connection came in on (UseCanonicalPhysicalPort Off).
pub fn directory_location(req: &Request<'_, '_>, server_name: &str, url_path: &[u8]) -> String {
    let (server, server_port) = split_host_port(server_name);
    let (name, port) = match req.host.filter(|h| !h.is_empty()) {
        Some(h) => match split_host_port(h) {
            (name, None) => (name, server_port),
            host => host,
        },
        None => (server, server_port),
    };
    let port = port.unwrap_or(80);
    let mut out = Vec::with_capacity(url_path.len() + name.len() + 24);
    out.extend_from_slice(b"http://");
    out.extend_from_slice(name.to_ascii_lowercase().as_bytes());
    if port != 80 {
        out.push(b':');
        crate::http::response::push_u64(&mut out, u64::from(port));
    }
    push_path_escaped(&mut out, url_path);
    out.push(b'/');
    if let Some(q) = req.query {
        out.push(b'?');
        out.extend_from_slice(q.as_bytes());
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn split_host_port(h: &str) -> (&str, Option<u16>) {
    let (name, port) = if h.starts_with('[') {
        match h.find(']') {
            Some(i) => (&h[..=i], h[i + 1..].strip_prefix(':')),
            None => (h, None),
        }
    } else {
        match h.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (h, None),
        }
    };
    (name, port.and_then(|p| p.parse().ok()))
}
