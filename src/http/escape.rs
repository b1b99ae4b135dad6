//! Apache's escaping helpers: HTML (`ap_escape_html`), log items (`ap_escape_logitem`), URL
//! paths (`ap_escape_uri`) and path segments (`ap_escape_path_segment`). Pure byte-to-byte functions appending to a buffer.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `&`, `<`, `>`, `"` as entities.
pub fn push_html_escaped(out: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            _ => out.push(c),
        }
    }
}

/// Log-item escaping: `"` and `\` get a backslash, control characters their C escape, every
/// other non-printable byte (including all bytes >= 0x80) `\xhh`.
pub fn push_log_escaped(out: &mut Vec<u8>, s: &[u8]) {
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\x0b' => out.extend_from_slice(b"\\v"),
            0x20..=0x7e => out.push(c),
            _ => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ]),
        }
    }
}

/// Path escaping (`ap_os_escape_path` with partial=1): every byte except letters, digits and
/// `$-_.+!*'(),:@&=/~` becomes `%hh` (lower-case hex, as Apache writes it).
pub fn push_path_escaped(out: &mut Vec<u8>, s: &[u8]) {
    push_escaped_except(out, s, b"$-_.+!*'(),:@&=/~");
}

/// Path segment escaping (`ap_escape_path_segment`): as [`push_path_escaped`], and `/` too.
pub fn push_segment_escaped(out: &mut Vec<u8>, s: &[u8]) {
    push_escaped_except(out, s, b"$-_.+!*'(),:@&=~");
}

/// Every byte but letters, digits and `keep` as `%hh`.
fn push_escaped_except(out: &mut Vec<u8>, s: &[u8], keep: &[u8]) {
    for &c in s {
        if c.is_ascii_alphanumeric() || keep.contains(&c) {
            out.push(c);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: fn(&mut Vec<u8>, &[u8]), s: &[u8]) -> String {
        let mut out = Vec::new();
        f(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escape_tables() {
        type Escaper = fn(&mut Vec<u8>, &[u8]);
        let cases: &[(Escaper, &[u8], &str)] = &[
            (push_html_escaped, b"a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c'"),
            (push_log_escaped, b"GET / HTTP/1.1", "GET / HTTP/1.1"),
            (push_log_escaped, b"a\"b\\c", "a\\\"b\\\\c"),
            (push_log_escaped, b"\t\n\r\x08\x0b", "\\t\\n\\r\\b\\v"),
            (
                push_log_escaped,
                b"\x01\x7f\xc3\xa9",
                "\\x01\\x7f\\xc3\\xa9",
            ),
            (push_path_escaped, b"/a b/c%d", "/a%20b/c%25d"),
            (push_path_escaped, b"/caf\xc3\xa9/?#", "/caf%c3%a9/%3f%23"),
            (
                push_path_escaped,
                b"/ok-_.~$+!*'(),:@&=/",
                "/ok-_.~$+!*'(),:@&=/",
            ),
            (push_segment_escaped, b"a b/c.html", "a%20b%2fc.html"),
            (
                push_segment_escaped,
                b"ok-_.~$+!*'(),:@&=\xc3\xa9",
                "ok-_.~$+!*'(),:@&=%c3%a9",
            ),
        ];
        for &(f, input, want) in cases {
            assert_eq!(run(f, input), want, "{}", String::from_utf8_lossy(input));
        }
    }
}
