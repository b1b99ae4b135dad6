//! The APR string helpers mod_autoindex leans on, ported for identical output: natural
//! ("version") ordering (`apr_strnatcmp`), glob matching for `P=` (`apr_fnmatch` with
//! `APR_FNM_NOESCAPE | APR_FNM_PERIOD`) and human-readable sizes (`apr_strfsize`). Pure.

use std::cmp::Ordering;

/// A byte as C's (signed) `char` compares it.
fn signed(b: u8) -> i8 {
    b as i8
}

fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// Right-aligned digit runs: the longer run wins, else the first difference.
fn compare_right(a: &[u8], b: &[u8]) -> Ordering {
    let mut bias = Ordering::Equal;
    let mut i = 0;
    loop {
        let (ca, cb) = (at(a, i), at(b, i));
        match (ca.is_ascii_digit(), cb.is_ascii_digit()) {
            (false, false) => return bias,
            (false, true) => return Ordering::Less,
            (true, false) => return Ordering::Greater,
            (true, true) => {
                if bias == Ordering::Equal {
                    bias = ca.cmp(&cb);
                }
            }
        }
        i += 1;
    }
}

/// Left-aligned (fractional, leading-zero) digit runs: the first difference wins.
fn compare_left(a: &[u8], b: &[u8]) -> Ordering {
    let mut i = 0;
    loop {
        let (ca, cb) = (at(a, i), at(b, i));
        match (ca.is_ascii_digit(), cb.is_ascii_digit()) {
            (false, false) => return Ordering::Equal,
            (false, true) => return Ordering::Less,
            (true, false) => return Ordering::Greater,
            (true, true) if ca != cb => return ca.cmp(&cb),
            _ => {}
        }
        i += 1;
    }
}

/// `apr_strnatcmp` (Martin Pool's strnatcmp): digit runs compare as numbers, blanks are
/// skipped. `Equal` for strings that differ only in ways it ignores.
pub fn natural_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut ai, mut bi) = (0, 0);
    loop {
        while at(a, ai).is_ascii_whitespace() {
            ai += 1;
        }
        while at(b, bi).is_ascii_whitespace() {
            bi += 1;
        }
        let (ca, cb) = (at(a, ai), at(b, bi));
        if ca.is_ascii_digit() && cb.is_ascii_digit() {
            let result = if ca == b'0' || cb == b'0' {
                compare_left(&a[ai..], &b[bi..])
            } else {
                compare_right(&a[ai..], &b[bi..])
            };
            if result != Ordering::Equal {
                return result;
            }
        }
        if ca == 0 && cb == 0 {
            return Ordering::Equal;
        }
        match signed(ca).cmp(&signed(cb)) {
            Ordering::Equal => {}
            other => return other,
        }
        ai += 1;
        bi += 1;
    }
}

/// `[...]` at the start of `p` against `c`: `Some((matched, bytes of pattern used))`, `None`
/// when the bracket is not closed (then `[` is an ordinary character).
fn bracket(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let lo = *p.get(i)?;
        if lo == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&hi| hi != b']') {
            let hi = p[i + 2];
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
}

/// `apr_fnmatch(pattern, name, APR_FNM_NOESCAPE | APR_FNM_PERIOD)`: `*`, `?` and `[...]`
/// (with `!`/`^` and ranges); backslash is literal; a leading `.` must be matched by a `.`.
pub fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pattern.first() != Some(&b'.') {
        return false;
    }
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                b'?' if n < name.len() => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' if n < name.len() => match bracket(&pattern[p..], name[n]) {
                    Some((true, used)) => {
                        p += used;
                        n += 1;
                        continue;
                    }
                    Some((false, _)) => {}
                    None if name[n] == b'[' => {
                        p += 1;
                        n += 1;
                        continue;
                    }
                    None => {}
                },
                c if n < name.len() && c == name[n] && c != b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        } else if n == name.len() {
            return true;
        }
        // Mismatch: let the last `*` swallow one more byte.
        match star {
            Some((sp, sn)) if sn < name.len() => {
                star = Some((sp, sn + 1));
                p = sp + 1;
                n = sn + 1;
            }
            _ => return false,
        }
    }
}

/// `apr_strfsize`: a size in at most four characters (`  0 `, `973 `, `1.0K`, ` 12M`);
/// `  - ` for none (directories).
pub fn human_size(size: Option<u64>) -> String {
    match size {
        Some(size) => crate::status::apr_format::strfsize(size),
        None => "  - ".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_table() {
        use Ordering::*;
        let cases: &[(&[u8], &[u8], Ordering)] = &[
            (b"a2", b"a10", Less),
            (b"a10", b"a2", Greater),
            (b"x1.10", b"x1.9", Greater),
            (b"x1.01", b"x1.1", Less),
            (b"abc", b"abc", Equal),
            (b"a 1", b"a1", Equal),
            (b"file007", b"file7", Less),
            (b"B", b"a", Less),
            (b"2", b"10", Less),
            (b"\xc3\xa9", b"e", Less),
        ];
        for &(a, b, want) in cases {
            assert_eq!(
                natural_cmp(a, b),
                want,
                "{} vs {}",
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            );
        }
    }

    #[test]
    fn glob_table() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"*.txt", b"a.txt", true),
            (b"*.txt", b"a.txt.bak", false),
            (b"*.txt", b".hidden.txt", false),
            (b".*", b".hidden", true),
            (b"?.txt", b"a.txt", true),
            (b"?.txt", b"ab.txt", false),
            (b"[ab]*", b"bcd", true),
            (b"[!ab]*", b"bcd", false),
            (b"[^ab]*", b"cde", true),
            (b"[a-c]x", b"bx", true),
            (b"[a-c]x", b"dx", false),
            (b"[]]", b"]", true),
            (b"[", b"[", true),
            (b"a\\b", b"a\\b", true),
            (b"*", b"", true),
            (b"", b"", true),
            (b"", b"a", false),
            (b"a*b*c", b"aXbYc", true),
            (b"a*b*c", b"aXbY", false),
            (b"*a", b"aaa", true),
        ];
        for &(p, n, want) in cases {
            assert_eq!(
                glob_match(p, n),
                want,
                "{} ~ {}",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(n)
            );
        }
    }

    /// Apache 2.4.71 printed these sizes.
    #[test]
    fn human_size_table() {
        let cases: &[(Option<u64>, &str)] = &[
            (None, "  - "),
            (Some(0), "  0 "),
            (Some(2), "  2 "),
            (Some(36), " 36 "),
            (Some(972), "972 "),
            (Some(973), "1.0K"),
            (Some(5000), "4.9K"),
            (Some(10_000), "9.8K"),
            (Some(20_000), " 20K"),
            (Some(1_500_000), "1.4M"),
            (Some(9 * 1024 + 972), "9.9K"),
            (Some(9 * 1024 + 1000), " 10K"),
            (Some(996_147), "973K"),
            (Some(996_352), "1.0M"),
            (Some(u64::MAX), " 16E"),
        ];
        for &(size, want) in cases {
            assert_eq!(human_size(size), want, "{size:?}");
        }
    }
}
