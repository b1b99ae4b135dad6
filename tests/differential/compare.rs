//! Compares what Apache and mpmd did with one case, field by field, and formats the
//! disagreements as a table.
//!
//! Pure: no I/O. Always compared: the number and kind of replies, each status (interim ones
//! too), how the exchange ended, whether the connection stayed open, and the headers in
//! [`ALWAYS`]. Each case adds its own [`Check`]s. Date and Server are never compared. Values are
//! normalised first: each server's own port becomes `@PORT@`, a multipart boundary becomes
//! `<boundary>`, `Allow` is compared as a set.

use crate::exchange::{Observed, PORT_PLACEHOLDER, Reply};

/// Headers compared for equality in every reply (absent on both sides is agreement).
pub const ALWAYS: &[&str] = &[
    "Content-Type",
    "Location",
    "Allow",
    "Content-Range",
    "Transfer-Encoding",
    "Connection",
    "Keep-Alive",
    "Vary",
    "Content-Encoding",
    "Content-Language",
];

/// One extra comparison a case asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The header's values are equal (both absent is equal).
    Header(&'static str),
    /// Both have the header or neither has it; the values may differ.
    Present(&'static str),
    /// The bodies are byte-identical.
    Body,
    /// The bodies are of the same kind: both empty, or both HTML (error pages: the wording and
    /// size may differ).
    HtmlBody,
    /// Directory listings: the same set of link targets.
    Links,
    /// Directory listings: the same link targets in the same order.
    LinkOrder,
    /// multipart/byteranges: the same parts (part headers and bytes), whatever the boundary.
    Parts,
    /// The ETag's value with its double quotes removed (`W/` kept). Apache 2.4 drops the
    /// closing quote when it merges a negotiated variant's ETag with the variant list's
    /// validator (`"21-5bc...;5bc...`); a server that closes it still agrees on the value.
    ETagValue,
}

/// One field on which the servers disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    pub case: String,
    pub field: String,
    pub apache: String,
    pub mpmd: String,
}

/// The view of one server's reply used for comparing.
struct Side<'a> {
    observed: &'a Observed,
    port: u16,
}

/// Compares one case. `ports` are (apache, mpmd), for normalisation.
pub fn compare(
    case: &str,
    checks: &[Check],
    apache: &Observed,
    mpmd: &Observed,
    ports: (u16, u16),
) -> Vec<Disagreement> {
    let a = Side {
        observed: apache,
        port: ports.0,
    };
    let m = Side {
        observed: mpmd,
        port: ports.1,
    };
    let mut out = Vec::new();
    let mut diff = |field: String, av: String, mv: String| {
        if av != mv {
            out.push(Disagreement {
                case: case.to_string(),
                field,
                apache: av,
                mpmd: mv,
            });
        }
    };
    diff(
        "replies".into(),
        a.observed.replies.len().to_string(),
        m.observed.replies.len().to_string(),
    );
    diff("ended".into(), failure(&a), failure(&m));
    diff("connection after".into(), after(&a), after(&m));
    let n = a.observed.replies.len().min(m.observed.replies.len());
    for i in 0..n {
        let prefix = if i == 0 {
            String::new()
        } else {
            format!("#{} ", i + 1)
        };
        match (&a.observed.replies[i], &m.observed.replies[i]) {
            (
                Reply::Http {
                    interim: ai,
                    response: ar,
                },
                Reply::Http {
                    interim: mi,
                    response: mr,
                },
            ) => {
                diff(
                    format!("{prefix}interim"),
                    format!("{ai:?}"),
                    format!("{mi:?}"),
                );
                diff(
                    format!("{prefix}status"),
                    ar.status.to_string(),
                    mr.status.to_string(),
                );
                let header = |side: &Side, r: &crate::common::Response, name: &str| {
                    r.header(name)
                        .map(|v| normalise(name, v, side.port))
                        .unwrap_or_else(|| "(absent)".into())
                };
                for name in ALWAYS
                    .iter()
                    .copied()
                    .chain(checks.iter().filter_map(|c| match c {
                        Check::Header(h) => Some(*h),
                        _ => None,
                    }))
                {
                    diff(
                        format!("{prefix}{name}"),
                        header(&a, ar, name),
                        header(&m, mr, name),
                    );
                }
                for check in checks {
                    let (field, av, mv) = match check {
                        Check::Header(_) => continue,
                        Check::Present(name) => (
                            format!("{prefix}{name} present"),
                            ar.header(name).is_some().to_string(),
                            mr.header(name).is_some().to_string(),
                        ),
                        Check::Body => (
                            format!("{prefix}body"),
                            body_summary(&ar.body, a.port),
                            body_summary(&mr.body, m.port),
                        ),
                        Check::HtmlBody => (
                            format!("{prefix}body kind"),
                            body_kind(&ar.body).into(),
                            body_kind(&mr.body).into(),
                        ),
                        Check::Links => {
                            let (mut al, mut ml) = (links(&ar.body), links(&mr.body));
                            al.sort();
                            ml.sort();
                            (format!("{prefix}links"), al.join(" "), ml.join(" "))
                        }
                        Check::LinkOrder => (
                            format!("{prefix}link order"),
                            links(&ar.body).join(" "),
                            links(&mr.body).join(" "),
                        ),
                        Check::Parts => (
                            format!("{prefix}parts"),
                            parts_summary(ar),
                            parts_summary(mr),
                        ),
                        Check::ETagValue => (
                            format!("{prefix}ETag value"),
                            etag_value(ar),
                            etag_value(mr),
                        ),
                    };
                    diff(field, av, mv);
                }
            }
            (ar, mr) => diff(format!("{prefix}reply"), reply_kind(ar), reply_kind(mr)),
        }
    }
    out
}

/// The ETag without its double quotes, or `(absent)`.
fn etag_value(r: &crate::common::Response) -> String {
    r.header("etag")
        .map(|v| v.replace('"', ""))
        .unwrap_or_else(|| "(absent)".into())
}

fn failure(side: &Side) -> String {
    side.observed
        .failure
        .clone()
        .unwrap_or_else(|| "complete".into())
}

fn after(side: &Side) -> String {
    side.observed.after.unwrap_or("-").to_string()
}

fn reply_kind(reply: &Reply) -> String {
    match reply {
        Reply::Http { response, .. } => format!("HTTP {}", response.status),
        Reply::Raw(bytes) => format!("raw {:?}", shorten(&String::from_utf8_lossy(bytes))),
    }
}

/// A header value with the server's port replaced, a multipart boundary blanked, and the
/// methods of `Allow` sorted (Apache builds that list from a hash table: its order changes
/// from one child to the next).
pub fn normalise(name: &str, value: &str, port: u16) -> String {
    if name.eq_ignore_ascii_case("allow") {
        let mut methods: Vec<String> = value
            .split(',')
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
        methods.sort();
        return methods.join(",");
    }
    let mut v = value.replace(&format!(":{port}"), &format!(":{PORT_PLACEHOLDER}"));
    if name.eq_ignore_ascii_case("content-type")
        && let Some(at) = v.find("boundary=")
    {
        let end = v[at..].find(';').map_or(v.len(), |e| at + e);
        v.replace_range(at + "boundary=".len()..end, "<boundary>");
    }
    v
}

/// A body as a short, comparable string: the text when short and printable, else its length
/// and a checksum.
fn body_summary(body: &[u8], port: u16) -> String {
    let text =
        String::from_utf8_lossy(body).replace(&format!(":{port}"), &format!(":{PORT_PLACEHOLDER}"));
    if text.len() <= 80 && !text.contains('\u{fffd}') {
        format!("{text:?}")
    } else {
        format!("{} bytes, fnv {:016x}", body.len(), fnv(text.as_bytes()))
    }
}

/// What kind of body this is: empty, HTML, other text, or binary.
pub fn body_kind(body: &[u8]) -> &'static str {
    if body.is_empty() {
        return "empty";
    }
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    if text.contains("<html") || text.contains("<!doctype html") {
        "html"
    } else if std::str::from_utf8(body).is_ok() {
        "text"
    } else {
        "binary"
    }
}

/// The `href` targets of a listing, in document order.
pub fn links(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(at) = rest.to_ascii_lowercase().find("href=\"") {
        rest = &rest[at + 6..];
        let end = rest.find('"').unwrap_or(rest.len());
        out.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    out
}

/// The parts of a multipart/byteranges body: `type | range | checksum` each, in order.
fn parts_summary(r: &crate::common::Response) -> String {
    let Some(boundary) = r
        .header("content-type")
        .and_then(|ct| ct.split("boundary=").nth(1))
        .map(|b| b.split(';').next().unwrap_or(b).trim().trim_matches('"'))
    else {
        return format!("not multipart ({} bytes)", r.body.len());
    };
    match parse_parts(&r.body, boundary) {
        Some(parts) => parts.join(" || "),
        None => format!("malformed multipart ({} bytes)", r.body.len()),
    }
}

/// Splits a multipart body; each part as `content-type | content-range | len/checksum`.
pub fn parse_parts(body: &[u8], boundary: &str) -> Option<Vec<String>> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut pos = find(body, delimiter.as_bytes(), 0)?;
    loop {
        pos += delimiter.len();
        if body[pos..].starts_with(b"--") {
            return Some(parts);
        }
        let head_start = pos + skip_crlf(&body[pos..]);
        let head_end = find(body, b"\r\n\r\n", head_start)?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]).to_string();
        let data_start = head_end + 4;
        let next = find(body, delimiter.as_bytes(), data_start)?;
        // The CRLF before the next delimiter belongs to the delimiter.
        let data_end = next.checked_sub(2).filter(|&e| e >= data_start)?;
        let data = &body[data_start..data_end];
        let mut content_type = String::new();
        let mut content_range = String::new();
        for line in head.lines() {
            if let Some((name, value)) = line.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-type" => content_type = value.trim().to_string(),
                    "content-range" => content_range = value.trim().to_string(),
                    _ => {}
                }
            }
        }
        parts.push(format!(
            "{content_type} | {content_range} | {} bytes fnv {:016x}",
            data.len(),
            fnv(data)
        ));
        pos = next;
    }
}

fn skip_crlf(bytes: &[u8]) -> usize {
    if bytes.starts_with(b"\r\n") { 2 } else { 0 }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

/// The disagreements as an aligned text table (`case | field | apache | mpmd`).
pub fn table(rows: &[Disagreement]) -> String {
    let cell = |s: &str| shorten(&s.replace('\r', "\\r").replace('\n', "\\n"));
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|d| {
            [
                cell(&d.case),
                cell(&d.field),
                cell(&d.apache),
                cell(&d.mpmd),
            ]
        })
        .collect();
    let header = ["case", "field", "apache", "mpmd"].map(String::from);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: &[String; 4]| {
        let padded: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(&header);
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    for row in &cells {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Response;

    fn http(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Observed {
        Observed {
            replies: vec![Reply::Http {
                interim: vec![],
                response: Response {
                    status,
                    headers: headers
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.to_string()))
                        .collect(),
                    body: body.to_vec(),
                },
            }],
            failure: None,
            after: Some("open"),
        }
    }

    #[test]
    fn compare_cases() {
        type Case = (
            &'static str,
            Vec<Check>,
            Observed,
            Observed,
            Vec<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                "same",
                vec![Check::Body],
                http(200, &[], b"x"),
                http(200, &[], b"x"),
                vec![],
            ),
            (
                "status",
                vec![],
                http(200, &[], b""),
                http(404, &[], b""),
                vec!["status"],
            ),
            (
                "ports normalised",
                vec![],
                http(301, &[("Location", "http://h:1000/a/")], b""),
                http(301, &[("location", "http://h:2000/a/")], b""),
                vec![],
            ),
            (
                "boundary blanked",
                vec![],
                http(
                    206,
                    &[("Content-Type", "multipart/byteranges; boundary=abc")],
                    b"",
                ),
                http(
                    206,
                    &[("Content-Type", "multipart/byteranges; boundary=xyz")],
                    b"",
                ),
                vec![],
            ),
            (
                "Allow in any order",
                vec![],
                http(405, &[("Allow", "HEAD,GET,POST")], b""),
                http(405, &[("Allow", "GET, HEAD, POST")], b""),
                vec![],
            ),
            (
                "html bodies of different wording agree",
                vec![Check::HtmlBody],
                http(404, &[], b"<html>a</html>"),
                http(404, &[], b"<!DOCTYPE html><html>bb</html>"),
                vec![],
            ),
            (
                "present but different",
                vec![Check::Present("ETag")],
                http(200, &[("ETag", "\"1\"")], b""),
                http(200, &[], b""),
                vec!["ETag present"],
            ),
            (
                "link sets",
                vec![Check::Links],
                http(200, &[], b"<a href=\"a\">a</a><a href=\"b\">b</a>"),
                http(200, &[], b"<a HREF=\"b\">b</a><a href=\"a\">a</a>"),
                vec![],
            ),
            (
                "ETag value ignores an unclosed quote",
                vec![Check::ETagValue],
                http(200, &[("ETag", "\"1-2;2")], b""),
                http(200, &[("ETag", "\"1-2;2\"")], b""),
                vec![],
            ),
            (
                "ETag value keeps W/",
                vec![Check::ETagValue],
                http(200, &[("ETag", "W/\"1-2\"")], b""),
                http(200, &[("ETag", "\"1-2\"")], b""),
                vec!["ETag value"],
            ),
            (
                "link order",
                vec![Check::LinkOrder],
                http(200, &[], b"<a href=\"a\">a</a><a href=\"b\">b</a>"),
                http(200, &[], b"<a href=\"b\">b</a><a href=\"a\">a</a>"),
                vec!["link order"],
            ),
        ];
        for (name, checks, a, m, want) in cases {
            let got: Vec<String> = compare(name, &checks, &a, &m, (1000, 2000))
                .into_iter()
                .map(|d| d.field)
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn parse_parts_cases() {
        let body = b"\r\n--B\r\nContent-type: text/plain\r\nContent-range: bytes 0-0/5\r\n\r\nh\r\n--B\r\nContent-type: text/plain\r\nContent-range: bytes 4-4/5\r\n\r\no\r\n--B--\r\n";
        let parts = parse_parts(body, "B").expect("parts");
        assert_eq!(parts.len(), 2);
        assert!(parts[0].starts_with("text/plain | bytes 0-0/5 | 1 bytes"));
        assert!(parts[1].starts_with("text/plain | bytes 4-4/5 | 1 bytes"));
        assert_eq!(parse_parts(b"no delimiter", "B"), None);
    }

    #[test]
    fn body_kind_cases() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (
                b"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html>",
                "html",
            ),
            (b"Custom not found text", "text"),
            (b"\xff\xfe\x00", "binary"),
        ];
        for (body, want) in cases {
            assert_eq!(body_kind(body), *want, "{body:?}");
        }
    }
}
