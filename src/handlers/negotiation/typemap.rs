//! Type map (`.var`) files as mod_negotiation reads them (`read_type_map`,
//! `get_header_line`, `get_body`): RFC 822-style records separated by blank lines, `#`
//! comment lines, continuation lines starting with white space, and `Body:` records whose
//! content sits inline between two copies of a tag.
//!
//! Pure: the map's bytes in, its variants out. A syntax error Apache answers with 500 is
//! `Err(500)`; an error after which Apache stops reading (a bad Content-Length, a body
//! without its end tag) keeps the variants read so far, as Apache does.

use super::accept::get_entry;
use super::variant::{Source, Variant};

/// Apache's line buffer (`MAX_STRING_LEN`): longer lines are cut, a body is looked for in
/// this many bytes.
const MAX_STRING_LEN: usize = 8192;

enum HeaderState {
    Eof,
    Seen(Vec<u8>),
    Sep,
}

struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    /// `apr_file_gets`: one line with its newline (at most `MAX_STRING_LEN - 1` bytes).
    fn gets(&mut self) -> Option<&[u8]> {
        if self.pos >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.pos..];
        let max = rest.len().min(MAX_STRING_LEN - 1);
        let end = rest[..max]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(max, |i| i + 1);
        self.pos += end;
        Some(&rest[..end])
    }

    fn getc(&mut self) -> Option<u8> {
        let c = self.text.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// `get_header_line`.
    fn header_line(&mut self) -> HeaderState {
        let mut buf = loop {
            match self.gets() {
                None => return HeaderState::Eof,
                Some(line) if line.first() == Some(&b'#') => continue,
                Some(line) => break line.to_vec(),
            }
        };
        if buf.iter().all(u8::is_ascii_whitespace) {
            return HeaderState::Sep;
        }
        if buf.len() >= 5 && buf[..5].eq_ignore_ascii_case(b"body:") {
            return HeaderState::Seen(buf);
        }
        while let Some(c) = self.getc() {
            if c == b'#' {
                while let Some(c) = self.getc() {
                    if c == b'\n' {
                        break;
                    }
                }
            } else if c.is_ascii_whitespace() {
                let mut c = Some(c);
                while let Some(x) = c.filter(|&x| x != b'\n' && x.is_ascii_whitespace()) {
                    let _ = x;
                    c = self.getc();
                }
                // ungetc
                if c.is_some() {
                    self.pos -= 1;
                }
                if c == Some(b'\n') || c.is_none() {
                    return HeaderState::Seen(buf);
                }
                while buf.len() < MAX_STRING_LEN - 2 {
                    match self.getc() {
                        Some(b'\n') | None => break,
                        Some(x) => buf.push(x),
                    }
                }
                buf.push(b'\n');
            } else {
                self.pos -= 1;
                return HeaderState::Seen(buf);
            }
        }
        HeaderState::Seen(buf)
    }

    /// `get_body`: the body starting here up to `tag`; afterwards the reader is past the end
    /// of the tag's line. `None` if the tag is not within Apache's window.
    fn body(&mut self, tag: &[u8]) -> Option<(u64, u64)> {
        let window = (MAX_STRING_LEN.checked_sub(tag.len())?).min(self.text.len() - self.pos);
        let data = &self.text[self.pos..self.pos + window];
        // strstr stops at a NUL byte.
        let data = &data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())];
        let at = find(data, tag)?;
        let start = self.pos;
        let mut end = at + tag.len();
        while end < data.len() {
            end += 1;
            if data[end - 1] == b'\n' {
                break;
            }
        }
        self.pos += end;
        Some((start as u64, at as u64))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `strip_paren_comments`: `(comments)` outside quotes become spaces.
fn strip_paren_comments(s: &mut [u8]) {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'"' => match s[i + 1..].iter().position(|&b| b == b'"') {
                Some(j) => i += j + 2,
                None => return,
            },
            b'(' => {
                while i < s.len() && s[i] != b')' {
                    s[i] = b' ';
                    i += 1;
                }
                if i < s.len() {
                    s[i] = b' ';
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
}

/// `ap_get_token` without white space: the first token of `s`.
fn first_token(s: &str) -> &str {
    let s = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let end = s
        .find(|c: char| c.is_ascii_whitespace() || c == ';' || c == ',')
        .unwrap_or(s.len());
    &s[..end]
}

/// `do_languages_line`: tokens separated by `,`, `;` or white space, lower-cased.
fn languages(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ';' || c.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Parses a type map. `map_name` is the map's own file name (the name of `Body:` variants).
pub fn parse(text: &[u8], map_name: &str) -> Result<Vec<Variant>, u16> {
    let mut r = Reader { text, pos: 0 };
    let mut out = Vec::new();
    let mut cur = Variant::with_type("", None);
    let mut has_content = false;
    loop {
        match r.header_line() {
            HeaderState::Seen(mut line) => {
                let Some(colon) = line.iter().position(|&b| b == b':') else {
                    log::error!("Syntax error in type map, no ':' for header");
                    return Err(500);
                };
                line[..colon].make_ascii_lowercase();
                let body_start = colon
                    + 1
                    + line[colon + 1..]
                        .iter()
                        .position(|b| !b.is_ascii_whitespace())
                        .unwrap_or(line.len() - colon - 1);
                if body_start >= line.len() {
                    log::error!("Syntax error in type map --- no header body");
                    return Err(500);
                }
                strip_paren_comments(&mut line[body_start..]);
                let name = String::from_utf8_lossy(&line[..colon]).into_owned();
                let body = String::from_utf8_lossy(&line[body_start..]).into_owned();
                match name.as_str() {
                    "uri" => cur.file_name = first_token(&body).to_owned(),
                    "content-type" => {
                        let (rec, _) = get_entry(&body);
                        cur.mime_type = rec.name;
                        cur.source_quality = rec.quality;
                        cur.level = rec.level;
                        cur.charset = rec.charset;
                        has_content = true;
                    }
                    "content-length" => {
                        let tok = first_token(&body);
                        match tok.parse::<u64>() {
                            Ok(n) => cur.bytes = Some(n),
                            _ => {
                                log::error!(
                                    "Parse error in type map, Content-Length: '{tok}' is invalid."
                                );
                                break;
                            }
                        }
                        has_content = true;
                    }
                    "content-language" => {
                        cur.languages = languages(&body);
                        has_content = true;
                    }
                    "content-encoding" => {
                        cur.encoding = Some(first_token(&body).to_owned());
                        has_content = true;
                    }
                    "description" => {
                        let mut d = body.replace('\n', " ");
                        d.pop();
                        cur.description = d;
                    }
                    "body" => {
                        let tag = body.trim_end_matches(|c: char| c.is_ascii_whitespace());
                        match r.body(tag.as_bytes()) {
                            Some((offset, len)) => {
                                cur.source = Source::Body { offset, len };
                                cur.bytes = Some(len);
                                cur.file_name = map_name.to_owned();
                            }
                            None => {
                                log::error!(
                                    "Syntax error in type map, no end tag '{tag}' found for Body: content."
                                );
                                break;
                            }
                        }
                    }
                    _ => {}
                }
            }
            state => {
                if !cur.file_name.is_empty() && has_content {
                    out.push(std::mem::replace(&mut cur, Variant::with_type("", None)));
                } else {
                    cur = Variant::with_type("", None);
                }
                has_content = false;
                if matches!(state, HeaderState::Eof) {
                    break;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(v: &Variant) -> String {
        format!(
            "{} {} qs={} l={} cs={} lang={} enc={} len={:?} {:?}",
            v.file_name,
            v.mime_type,
            v.source_quality,
            v.level,
            v.charset,
            v.languages.join(","),
            v.encoding.as_deref().unwrap_or("-"),
            v.bytes,
            v.source
        )
    }

    #[test]
    fn records() {
        let map = b"# a comment\nURI: a.html\nContent-Type: text/html; qs=0.5\n\nURI: a.txt\n\
Content-type: text/plain;charset=UTF-8\nContent-Language: en, FR\nContent-Encoding: x-gzip\n\
Content-Length: 42\n\n\nURI: b (comment)\nContent-Type: text/html;level=3\n  ;qs=0.8\n\
Description: the\n  b one\n\nURI: nocontent\n\nContent-Type: text/plain\n";
        let got: Vec<String> = parse(map, "m.var").unwrap().iter().map(summary).collect();
        assert_eq!(
            got,
            [
                "a.html text/html qs=0.5 l=2 cs= lang= enc=- len=None File",
                "a.txt text/plain qs=1 l=0 cs=utf-8 lang=en,fr enc=x-gzip len=Some(42) File",
                "b text/html qs=0.8 l=3 cs= lang= enc=- len=None File",
            ]
        );
        let v = parse(map, "m.var").unwrap();
        assert_eq!(v[2].description, "the b one");
    }

    #[test]
    fn bodies() {
        let map = b"URI: b\nContent-Type: text/plain\nContent-Language: en\nBody:----en--\n\
Hello body\n----en--\n\nURI: b\nContent-Type: text/plain\nContent-Language: fr\n\
Body:--fr--  \nBonjour\n--fr-- trailing\nURI: c\nContent-Type: text/html\n";
        let v = parse(map, "b.var").unwrap();
        // No blank line after the second body: "URI: c" still belongs to its record.
        assert_eq!(v.len(), 2, "{v:?}");
        let body = |i: usize| match v[i].source {
            Source::Body { offset, len } => {
                String::from_utf8_lossy(&map[offset as usize..(offset + len) as usize]).into_owned()
            }
            Source::File => panic!("not a body"),
        };
        assert_eq!(body(0), "Hello body\n");
        assert_eq!(body(1), "Bonjour\n");
        assert_eq!((v[0].file_name.as_str(), v[0].bytes), ("b.var", Some(11)));
        assert_eq!(
            (v[1].file_name.as_str(), v[1].mime_type.as_str()),
            ("c", "text/html")
        );
    }

    #[test]
    fn errors() {
        assert_eq!(parse(b"URI a.html\n", "m"), Err(500));
        assert_eq!(parse(b"URI:   \n", "m"), Err(500));
        // A bad length stops the reading; what came before stays.
        let v = parse(
            b"URI: a\nContent-Type: text/plain\n\nURI: b\nContent-Length: x\nContent-Type: text/html\n\nURI: c\nContent-Type: text/css\n",
            "m",
        )
        .unwrap();
        assert_eq!(v.len(), 1);
        let v = parse(
            b"URI: a\nContent-Type: text/plain\nBody:--x--\nno end\n",
            "m",
        )
        .unwrap();
        assert!(v.is_empty());
        // No Content-Type: the variant exists with qs 0 (never chosen).
        let v = parse(b"URI: a\nContent-Language: en\n", "m").unwrap();
        assert_eq!((v.len(), v[0].source_quality), (1, 0.0));
    }
}
