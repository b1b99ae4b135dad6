//! The listing page, byte for byte as Apache 2.4.71's mod_autoindex writes it with no
//! IndexOptions (a `<ul>`), with `FancyIndexing` (a `<pre>` table) and with `HTMLTable`, with
//! no icons, no descriptions, no header/readme files and ServerSignature Off. Pure: entries,
//! the URL path and the query come in, HTML comes out.

use std::cmp::Ordering;

use crate::handlers::autoindex::compare::{human_size, natural_cmp};
use crate::handlers::autoindex::query::{Column, Format, ListingQuery};
use crate::http::escape::{push_html_escaped, push_path_escaped};
use crate::http::strftime::{Tm, strftime};

/// Apache's `NameWidth` default: longer names are cut to 20 bytes and `..>`.
const NAME_WIDTH: usize = 23;
/// The "Last modified" column's format (IndexOptions' default `%Y-%m-%d %H:%M`).
const DATE_FORMAT: &[u8] = b"%Y-%m-%d %H:%M";

/// `DOCTYPE_HTML_4_01` (httpd 2.4.71 uses it for listings and error pages).
pub const DOCTYPE: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n";

/// One listed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name, with a trailing `/` for a directory; for the parent entry, its URL path.
    pub name: Vec<u8>,
    /// The "Parent Directory" entry (always sorted first).
    pub parent: bool,
    /// Size of a regular file (directories and the parent have none).
    pub size: Option<u64>,
    /// Modification time in microseconds (the parent has none).
    pub mtime_us: Option<i64>,
}

/// A local-time view of a Unix time: its UTC offset in seconds and the zone abbreviation.
pub type LocalZone<'z> = &'z dyn Fn(i64) -> (i64, String);

/// Apache's `dsortf`: the parent first; then the column (modification time and size only
/// in the fancy formats, where they are known), then the name (natural order with `V=1`,
/// else bytewise), all reversed for descending order.
pub fn compare(a: &Entry, b: &Entry, q: &ListingQuery) -> Ordering {
    if a.parent {
        return Ordering::Less;
    }
    if b.parent {
        return Ordering::Greater;
    }
    let (c1, c2) = if q.ascending { (a, b) } else { (b, a) };
    let detailed = q.format != Format::Plain;
    let by_column = match q.column {
        Column::Modified if detailed => c1.mtime_us.cmp(&c2.mtime_us),
        Column::Size if detailed => c1.size.cmp(&c2.size),
        _ => Ordering::Equal,
    };
    if by_column != Ordering::Equal {
        return by_column;
    }
    let natural = if q.version_sort {
        natural_cmp(&c1.name, &c2.name)
    } else {
        Ordering::Equal
    };
    natural.then_with(|| c1.name.cmp(&c2.name))
}

/// `ap_os_escape_path(name, 0)` then `ap_escape_html`: the href of an entry (a name with a
/// `:` before any `/` gets `./` so it is not read as a scheme).
fn push_anchor(out: &mut Vec<u8>, name: &[u8]) {
    let colon = name.iter().position(|&b| b == b':');
    let slash = name.iter().position(|&b| b == b'/');
    let mut escaped = Vec::with_capacity(name.len() + 8);
    if colon.is_some_and(|c| slash.is_none_or(|s| c < s)) {
        escaped.extend_from_slice(b"./");
    }
    push_path_escaped(&mut escaped, name);
    push_html_escaped(out, &escaped);
}

/// The shown name, cut to the column width as Apache does (`..>`), and the pad after it.
fn shown_name(e: &Entry) -> (Vec<u8>, usize) {
    let text: &[u8] = if e.parent {
        b"Parent Directory"
    } else {
        &e.name
    };
    if text.len() > NAME_WIDTH {
        let mut cut = text[..NAME_WIDTH - 3].to_vec();
        cut.extend_from_slice(b"..>");
        (cut, 0)
    } else {
        (text.to_vec(), NAME_WIDTH - text.len())
    }
}

fn push_spaces(out: &mut Vec<u8>, n: usize) {
    out.extend(std::iter::repeat_n(b' ', n));
}

fn push_date(out: &mut Vec<u8>, mtime_us: i64, zone: LocalZone<'_>) {
    let secs = mtime_us.div_euclid(1_000_000);
    let (offset, name) = zone(secs);
    strftime(out, DATE_FORMAT, &Tm::at(secs, offset, &name));
}

/// A column heading: a link that sorts by it (reversing the order if it is the current
/// column and ascending), carrying the other arguments.
fn push_sort_link(out: &mut Vec<u8>, label: &str, column: Column, q: &ListingQuery) {
    let order = if q.column == column && q.ascending {
        b'D'
    } else {
        b'A'
    };
    out.extend_from_slice(b"<a href=\"?C=");
    out.push(column.letter());
    out.extend_from_slice(b";O=");
    out.push(order);
    out.extend_from_slice(&q.colargs);
    out.extend_from_slice(b"\">");
    out.extend_from_slice(label.as_bytes());
    out.extend_from_slice(b"</a>");
}

/// The whole page for `entries` (already sorted) of the directory at URL path `uri`.
pub fn render(
    out: &mut Vec<u8>,
    uri: &[u8],
    entries: &[Entry],
    q: &ListingQuery,
    zone: LocalZone<'_>,
) {
    let mut title = Vec::with_capacity(uri.len());
    push_html_escaped(&mut title, uri);
    while title.len() > 1 && title.last() == Some(&b'/') {
        title.pop();
    }
    out.extend_from_slice(DOCTYPE.as_bytes());
    out.extend_from_slice(b"<html>\n <head>\n  <title>Index of ");
    out.extend_from_slice(&title);
    out.extend_from_slice(b"</title>\n </head>\n <body>\n<h1>Index of ");
    out.extend_from_slice(&title);
    out.extend_from_slice(b"</h1>\n");
    match q.format {
        Format::Plain => plain(out, entries),
        Format::Fancy => fancy(out, entries, q, zone),
        Format::Table => table(out, entries, q, zone),
    }
    out.extend_from_slice(b"</body></html>\n");
}

fn plain(out: &mut Vec<u8>, entries: &[Entry]) {
    out.extend_from_slice(b"<ul>");
    for e in entries {
        out.extend_from_slice(b"<li><a href=\"");
        push_anchor(out, &e.name);
        out.extend_from_slice(b"\"> ");
        let text: &[u8] = if e.parent {
            b"Parent Directory"
        } else {
            &e.name
        };
        push_html_escaped(out, text);
        out.extend_from_slice(b"</a></li>\n");
    }
    out.extend_from_slice(b"</ul>\n");
}

fn fancy(out: &mut Vec<u8>, entries: &[Entry], q: &ListingQuery, zone: LocalZone<'_>) {
    out.extend_from_slice(b"<pre>      ");
    push_sort_link(out, "Name", Column::Name, q);
    push_spaces(out, NAME_WIDTH - 4 + 1);
    push_sort_link(out, "Last modified", Column::Modified, q);
    push_spaces(out, 6);
    push_sort_link(out, "Size", Column::Size, q);
    push_spaces(out, 2);
    push_sort_link(out, "Description", Column::Description, q);
    out.extend_from_slice(b"<hr>");
    for e in entries {
        out.extend_from_slice(b"      <a href=\"");
        push_anchor(out, &e.name);
        out.extend_from_slice(b"\">");
        let (text, pad) = shown_name(e);
        push_html_escaped(out, &text);
        out.extend_from_slice(b"</a>");
        push_spaces(out, pad + 1);
        match e.mtime_us {
            Some(us) => {
                push_date(out, us, zone);
                push_spaces(out, 2);
            }
            None => push_spaces(out, 19),
        }
        out.extend_from_slice(human_size(e.size).as_bytes());
        out.extend_from_slice(b"  \n");
    }
    out.extend_from_slice(b"<hr></pre>\n");
}

fn table(out: &mut Vec<u8>, entries: &[Entry], q: &ListingQuery, zone: LocalZone<'_>) {
    const BREAK_ROW: &[u8] = b"   <tr><th colspan=\"5\"><hr></th></tr>\n";
    out.extend_from_slice(b"  <table>\n   <tr><th valign=\"top\">&nbsp;</th><th>");
    push_sort_link(out, "Name", Column::Name, q);
    out.extend_from_slice(b"</th><th>");
    push_sort_link(out, "Last modified", Column::Modified, q);
    out.extend_from_slice(b"</th><th>");
    push_sort_link(out, "Size", Column::Size, q);
    out.extend_from_slice(b"</th><th>");
    push_sort_link(out, "Description", Column::Description, q);
    out.extend_from_slice(b"</th></tr>\n");
    out.extend_from_slice(BREAK_ROW);
    for e in entries {
        out.extend_from_slice(b"<tr><td valign=\"top\">&nbsp;</td><td><a href=\"");
        push_anchor(out, &e.name);
        out.extend_from_slice(b"\">");
        let (text, pad) = shown_name(e);
        push_html_escaped(out, &text);
        out.extend_from_slice(b"</a>");
        push_spaces(out, pad);
        match e.mtime_us {
            Some(us) => {
                out.extend_from_slice(b"</td><td align=\"right\">");
                push_date(out, us, zone);
                push_spaces(out, 2);
            }
            None => out.extend_from_slice(b"</td><td>&nbsp;"),
        }
        out.extend_from_slice(b"</td><td align=\"right\">");
        out.extend_from_slice(human_size(e.size).as_bytes());
        out.extend_from_slice(b"</td><td>&nbsp;</td></tr>\n");
    }
    out.extend_from_slice(BREAK_ROW);
    out.extend_from_slice(b"</table>\n");
}
