//! mod_autoindex's query arguments (`index_directory`): `C=N|M|S|D` sort column, `O=A|D`
//! order, `F=0|1|2` format, `V=0|1` version sort, `P=pattern` name filter, separated by `&`
//! or `;`. The first argument that does not parse ends the parsing (Apache: "Syntax error?
//! Ignore the remainder!"). Pure.

use crate::http::escape::push_path_escaped;

/// Listing layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The default: a `<ul>` of links.
    Plain,
    /// IndexOptions FancyIndexing: a `<pre>` table with columns.
    Fancy,
    /// IndexOptions FancyIndexing HTMLTable: an HTML `<table>`.
    Table,
}

/// The sort column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Modified,
    Size,
    Description,
}

impl Column {
    /// The query letter (`C=N` ...).
    pub fn letter(self) -> u8 {
        match self {
            Column::Name => b'N',
            Column::Modified => b'M',
            Column::Size => b'S',
            Column::Description => b'D',
        }
    }

    fn from_letter(c: u8) -> Option<Column> {
        Some(match c {
            b'N' => Column::Name,
            b'M' => Column::Modified,
            b'S' => Column::Size,
            b'D' => Column::Description,
            _ => return None,
        })
    }
}

/// How to list, after the configuration and the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingQuery {
    pub column: Column,
    pub ascending: bool,
    pub format: Format,
    pub version_sort: bool,
    /// `P=`: only names matching this glob (already %-decoded).
    pub pattern: Option<Vec<u8>>,
    /// What the column links carry besides `C=` and `O=` (`;F=1`, `;V=1`, `;P=...`).
    pub colargs: Vec<u8>,
}

/// A single-letter argument `K=v` at the start of `q`, where `v` is one of `valid` and is
/// followed by `&`, `;` or the end; returns the value and the rest.
fn letter_arg<'q>(q: &'q [u8], key: u8, valid: &[u8]) -> Option<(u8, &'q [u8])> {
    if q.len() < 3 || q[0] != key || q[1] != b'=' || !valid.contains(&q[2]) {
        return None;
    }
    match q.get(3) {
        None => Some((q[2], &q[3..])),
        Some(b'&' | b';') => Some((q[2], &q[4..])),
        Some(_) => None,
    }
}

/// `ap_unescape_url` for the pattern: `%XX` decoded; a bad escape, `%2F` or `%00` fails.
fn unescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let h = s.get(i + 1..i + 3)?;
            let hex = |c: u8| (c as char).to_digit(16);
            let v = (hex(h[0])? * 16 + hex(h[1])?) as u8;
            if v == b'/' || v == 0 {
                return None;
            }
            out.push(v);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Parses the query (`args` without `?`) over the configured `format`.
pub fn parse(args: Option<&[u8]>, format: Format) -> ListingQuery {
    let mut q = ListingQuery {
        column: Column::Name,
        ascending: true,
        format,
        version_sort: false,
        pattern: None,
        colargs: Vec::new(),
    };
    let (mut fval, mut vval, mut pval) = (None, None, None::<Vec<u8>>);
    let mut rest = args.unwrap_or(b"");
    while !rest.is_empty() {
        if let Some((c, r)) = letter_arg(rest, b'C', b"NMSD") {
            q.column = Column::from_letter(c).unwrap_or(Column::Name);
            rest = r;
        } else if let Some((o, r)) = letter_arg(rest, b'O', b"AD") {
            q.ascending = o == b'A';
            rest = r;
        } else if let Some((f, r)) = letter_arg(rest, b'F', b"012") {
            q.format = match f {
                b'0' => Format::Plain,
                b'1' => Format::Fancy,
                _ => Format::Table,
            };
            fval = Some(f);
            rest = r;
        } else if let Some((v, r)) = letter_arg(rest, b'V', b"01") {
            q.version_sort = v == b'1';
            vval = Some(v);
            rest = r;
        } else if let Some(p) = rest.strip_prefix(b"P=") {
            let end = p
                .iter()
                .position(|&b| b == b'&' || b == b';')
                .unwrap_or(p.len());
            // A bad or empty pattern filters nothing, but an earlier good one stays in the
            // column links (as in Apache).
            q.pattern = None;
            if end > 0
                && let Some(pattern) = unescape(&p[..end])
            {
                pval = Some(pattern.clone());
                q.pattern = Some(pattern);
            }
            rest = p.get(end + 1..).unwrap_or(b"");
        } else {
            break;
        }
    }
    if let Some(f) = fval {
        q.colargs.extend_from_slice(b";F=");
        q.colargs.push(f);
    }
    if let Some(v) = vval {
        q.colargs.extend_from_slice(b";V=");
        q.colargs.push(v);
    }
    if let Some(p) = pval {
        q.colargs.extend_from_slice(b";P=");
        push_path_escaped(&mut q.colargs, &p);
    }
    q
}
