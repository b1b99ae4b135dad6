//! What loading a configuration can report: errors that point at `FILE:LINE:COL` and name the
//! key, and warnings (Apache's clamp messages, deprecations) that the caller logs.
//!
//! Also the two helpers every message needs: byte offset -> line:column, and "did you mean".
//! Nothing here reads files or decides validity.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use super::types::LogLevel;

/// One configuration error, located in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The configuration file.
    pub file: PathBuf,
    /// 1-based line; 0 when the error is about the whole file (it could not be read).
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// Dotted key path, e.g. `mpm.start_servers` or `directory[0]` (empty for syntax errors).
    pub key: String,
    /// What is wrong, lower case, without the location.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            // Not about a place in the file (e.g. it could not be read).
            return write!(f, "{}: {}", self.file.display(), self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// Every error found in one file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Something the operator should read, though the configuration loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// `Warn` for clamps and adjustments, `Info` for deprecations.
    pub level: LogLevel,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Byte offset -> (line, column), both 1-based; columns count characters.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// Collects errors and warnings while a file is checked.
pub struct Diagnostics<'a> {
    file: PathBuf,
    index: LineIndex<'a>,
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<Warning>,
}

impl<'a> Diagnostics<'a> {
    pub fn new(file: PathBuf, text: &'a str) -> Self {
        Diagnostics {
            file,
            index: LineIndex::new(text),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records an error at `span` (its start is reported) about `key`.
    pub fn error(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        let (line, col) = self.index.line_col(span.start);
        self.errors.push(ConfigError {
            file: self.file.clone(),
            line,
            col,
            key: key.to_owned(),
            message: message.into(),
        });
    }

    /// `invalid value for "KEY": DETAIL`.
    pub fn invalid(&mut self, span: Range<usize>, key: &str, detail: impl fmt::Display) {
        self.error(span, key, format!("invalid value for \"{key}\": {detail}"));
    }

    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(Warning {
            level: LogLevel::Warn,
            message: message.into(),
        });
    }

    pub fn info(&mut self, message: impl Into<String>) {
        self.warnings.push(Warning {
            level: LogLevel::Info,
            message: message.into(),
        });
    }

    /// Errors sorted by position (stable, so same-place errors keep their order).
    pub fn into_parts(mut self) -> (Vec<ConfigError>, Vec<Warning>) {
        self.errors.sort_by_key(|e| (e.line, e.col));
        (self.errors, self.warnings)
    }
}

/// Levenshtein distance over characters, ASCII case-insensitive.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The closest candidate, if it is close enough to be a likely typo.
pub fn suggest<'c>(input: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let limit = (input.chars().count() / 3).clamp(1, 3);
    let lower = input.to_ascii_lowercase();
    let distance = |c: &str| {
        let c_lower = c.to_ascii_lowercase();
        let (short, long) = if c_lower.len() < lower.len() {
            (&c_lower, &lower)
        } else {
            (&lower, &c_lower)
        };
        // "warning" for "warn", "server_limits" for "server_limit": a prefix is a near miss.
        if short.len() >= 3 && long.starts_with(short.as_str()) && short != long {
            1
        } else {
            edit_distance(input, c)
        }
    };
    candidates
        .iter()
        .map(|c| (distance(c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean "x"?)` or nothing.
pub fn did_you_mean(input: &str, candidates: &[&str]) -> String {
    suggest(input, candidates)
        .map(|c| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default()
}

/// Quotes a list for messages: `"a", "b" or "c"`.
pub fn one_of(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_cases() {
        let text = "a = 1\nbb = 2\n\néé = 3";
        let index = LineIndex::new(text);
        for (offset, expected) in [
            (0, (1, 1)),
            (4, (1, 5)),
            (6, (2, 1)),
            (11, (2, 6)),
            (13, (3, 1)),
            (14, (4, 1)),
            (18, (4, 3)), // after two 2-byte characters
            (999, (4, 7)),
        ] {
            assert_eq!(index.line_col(offset), expected, "offset {offset}");
        }
    }

    #[test]
    fn edit_distance_cases() {
        for (a, b, d) in [
            ("", "", 0),
            ("abc", "abc", 0),
            ("mx_spare_servers", "max_spare_servers", 1),
            ("kitten", "sitting", 3),
            ("LISTEN", "listen", 0),
            ("", "abc", 3),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} vs {b}");
        }
    }

    #[test]
    fn suggest_cases() {
        let keys = ["max_spare_servers", "min_spare_servers", "start_servers"];
        for (input, expected) in [
            ("mx_spare_servers", Some("max_spare_servers")),
            ("min_spare_server", Some("min_spare_servers")),
            ("start_server", Some("start_servers")),
            ("totally_different", None),
            ("xy", None),
        ] {
            assert_eq!(suggest(input, &keys), expected, "{input}");
        }
    }

    #[test]
    fn display_formats() {
        let e = ConfigError {
            file: "/etc/mpmd.toml".into(),
            line: 12,
            col: 1,
            key: "mpm.mx_spare_servers".into(),
            message: "unknown key".into(),
        };
        assert_eq!(e.to_string(), "/etc/mpmd.toml:12:1: unknown key");
        let both = ConfigErrors(vec![e.clone(), e]);
        assert_eq!(both.to_string().lines().count(), 2);
        assert_eq!(one_of(&["a"]), "\"a\"");
        assert_eq!(one_of(&["a", "b", "c"]), "\"a\", \"b\" or \"c\"");
    }
}
