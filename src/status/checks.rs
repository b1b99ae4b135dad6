//! Validators for the outputs, used by the unit tests: a JSON parser, a checker of the
//! Prometheus text format 0.0.4 (what `promtool check metrics` rejects), and an HTML tag
//! balance check. Test-only.

use std::collections::BTreeSet;

/// A minimal JSON checker: parses the whole text (objects, arrays, strings, numbers,
/// literals) and returns the top-level keys in order.
pub fn check_json(text: &str) -> Result<Vec<String>, String> {
    let b = text.trim_end().as_bytes();
    let mut i = 0;
    let mut keys = Vec::new();
    value(b, &mut i, 0, &mut keys)?;
    if i != b.len() {
        return Err(format!("trailing bytes at {i}"));
    }
    Ok(keys)
}

fn ws(b: &[u8], i: &mut usize) {
    while *i < b.len() && b[*i].is_ascii_whitespace() {
        *i += 1;
    }
}

fn string(b: &[u8], i: &mut usize) -> Result<String, String> {
    if b.get(*i) != Some(&b'"') {
        return Err(format!("expected a string at {i}"));
    }
    *i += 1;
    let start = *i;
    while *i < b.len() {
        match b[*i] {
            b'"' => {
                *i += 1;
                return Ok(String::from_utf8_lossy(&b[start..*i - 1]).into_owned());
            }
            b'\\' => *i += 2,
            c if c < 0x20 => return Err(format!("raw control byte at {i}")),
            _ => *i += 1,
        }
    }
    Err("unterminated string".into())
}

fn value(b: &[u8], i: &mut usize, depth: usize, keys: &mut Vec<String>) -> Result<(), String> {
    ws(b, i);
    match b.get(*i) {
        Some(b'{') => {
            *i += 1;
            ws(b, i);
            if b.get(*i) == Some(&b'}') {
                *i += 1;
                return Ok(());
            }
            loop {
                ws(b, i);
                let k = string(b, i)?;
                if depth == 0 {
                    keys.push(k);
                }
                ws(b, i);
                if b.get(*i) != Some(&b':') {
                    return Err(format!("expected ':' at {i}"));
                }
                *i += 1;
                value(b, i, depth + 1, keys)?;
                ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b'}') => {
                        *i += 1;
                        return Ok(());
                    }
                    _ => return Err(format!("expected ',' or '}}' at {i}")),
                }
            }
        }
        Some(b'[') => {
            *i += 1;
            ws(b, i);
            if b.get(*i) == Some(&b']') {
                *i += 1;
                return Ok(());
            }
            loop {
                value(b, i, depth + 1, keys)?;
                ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b']') => {
                        *i += 1;
                        return Ok(());
                    }
                    _ => return Err(format!("expected ',' or ']' at {i}")),
                }
            }
        }
        Some(b'"') => string(b, i).map(|_| ()),
        Some(c) if c.is_ascii_digit() || *c == b'-' => {
            let start = *i;
            *i += 1;
            while *i < b.len() && (b[*i].is_ascii_digit() || b".eE+-".contains(&b[*i])) {
                *i += 1;
            }
            std::str::from_utf8(&b[start..*i])
                .ok()
                .and_then(|n| n.parse::<f64>().ok())
                .map(|_| ())
                .ok_or_else(|| format!("bad number at {start}"))
        }
        _ => {
            for lit in ["true", "false", "null"] {
                if b[*i..].starts_with(lit.as_bytes()) {
                    *i += lit.len();
                    return Ok(());
                }
            }
            Err(format!("unexpected byte at {i}"))
        }
    }
}

/// A checker for the text exposition format 0.0.4 (what Prometheus's parser and
/// `promtool check metrics` reject): metric and label names, quoting and escapes, values,
/// one HELP and TYPE per family before its samples, families not interleaved, no
/// duplicate series, `_total` exactly on counters. Returns (family, type) in order.
pub fn check_exposition(text: &str) -> Result<Vec<(String, String)>, String> {
    fn name_ok(n: &str, colon: bool) -> bool {
        let mut chars = n.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'))
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
    }
    let mut families: Vec<(String, String)> = Vec::new();
    let mut help_seen = BTreeSet::new();
    let mut series = BTreeSet::new();
    if !text.ends_with('\n') {
        return Err("no final newline".into());
    }
    for (n, line) in text.lines().enumerate() {
        let at = |m: &str| format!("line {}: {m}: {line}", n + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _help) = rest
                .split_once(' ')
                .ok_or_else(|| at("HELP without text"))?;
            if !name_ok(name, true) || !help_seen.insert(name.to_string()) {
                return Err(at("bad or repeated HELP"));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest
                .split_once(' ')
                .ok_or_else(|| at("TYPE without type"))?;
            if !["counter", "gauge", "untyped", "summary", "histogram"].contains(&kind) {
                return Err(at("unknown type"));
            }
            if families.iter().any(|(f, _)| f == name) || !help_seen.contains(name) {
                return Err(at("TYPE repeated or without HELP"));
            }
            if (kind == "counter") != name.ends_with("_total") {
                return Err(at("_total must be exactly on counters"));
            }
            families.push((name.to_string(), kind.to_string()));
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            return Err(at("stray comment or blank line"));
        }
        let (name, rest) = match line.find(['{', ' ']) {
            Some(i) => line.split_at(i),
            None => return Err(at("sample without value")),
        };
        if !name_ok(name, true) {
            return Err(at("bad metric name"));
        }
        if families.last().map(|(f, _)| f.as_str()) != Some(name) {
            return Err(at("sample outside its family"));
        }
        let (labels, value) = if let Some(body) = rest.strip_prefix('{') {
            let end = body.find("} ").ok_or_else(|| at("unterminated labels"))?;
            (&body[..end], &body[end + 2..])
        } else {
            ("", &rest[1..])
        };
        let mut label_names = BTreeSet::new();
        let mut l = labels;
        while !l.is_empty() {
            let (lname, after) = l.split_once("=\"").ok_or_else(|| at("bad label"))?;
            if !name_ok(lname, false) || lname.starts_with("__") || !label_names.insert(lname) {
                return Err(at("bad or repeated label name"));
            }
            let mut end = None;
            let mut escaped = false;
            for (i, c) in after.char_indices() {
                match (escaped, c) {
                    (true, '\\' | '"' | 'n') => escaped = false,
                    (true, _) => return Err(at("bad escape")),
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(i);
                        break;
                    }
                    (false, '\n') => return Err(at("raw newline")),
                    _ => {}
                }
            }
            let end = end.ok_or_else(|| at("unterminated label value"))?;
            l = &after[end + 1..];
            l = match l.strip_prefix(',') {
                Some(rest) if !rest.is_empty() => rest,
                Some(_) => return Err(at("trailing comma")),
                None if l.is_empty() => l,
                None => return Err(at("garbage after label")),
            };
        }
        let value = value.split(' ').next().unwrap_or("");
        let parsed = match value {
            "+Inf" | "-Inf" | "NaN" => true,
            v => v.parse::<f64>().is_ok(),
        };
        if !parsed {
            return Err(at("bad value"));
        }
        if !series.insert(format!("{name}{{{labels}}}")) {
            return Err(at("duplicate series"));
        }
    }
    Ok(families)
}

/// HTML well-formedness as the status page needs it: every tag closed in order (`br`, `hr`
/// are void), tag names known, no stray `<`, every `&` an entity. Returns the tag names in
/// document order.
pub fn check_html(text: &str) -> Result<Vec<String>, String> {
    const VOID: [&str; 2] = ["br", "hr"];
    const KNOWN: [&str; 22] = [
        "html", "head", "title", "body", "h1", "h2", "dl", "dt", "hr", "br", "pre", "p", "b", "i",
        "code", "table", "tr", "th", "td", "a", "em", "span",
    ];
    let mut open: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = text;
    if let Some(after) = rest.strip_prefix("<!DOCTYPE") {
        rest = &after[after.find('>').ok_or("unterminated doctype")? + 1..];
    }
    while let Some(lt) = rest.find(['<', '&']) {
        let (before, at) = rest.split_at(lt);
        if before.contains('>') {
            return Err(format!("stray '>' before {:.40}", at));
        }
        if let Some(entity) = at.strip_prefix('&') {
            let end = entity
                .find(';')
                .ok_or_else(|| format!("bare '&' at {:.40}", at))?;
            let name = &entity[..end];
            let ok = ["amp", "lt", "gt", "quot", "nbsp"].contains(&name)
                || name
                    .strip_prefix('#')
                    .is_some_and(|n| n.parse::<u32>().is_ok());
            if !ok {
                return Err(format!("unknown entity &{name};"));
            }
            rest = &entity[end + 1..];
            continue;
        }
        let close = at
            .find('>')
            .ok_or_else(|| format!("unterminated tag {:.40}", at))?;
        let tag = &at[1..close];
        if tag.contains('<') {
            return Err(format!("'<' inside a tag: {tag:.40}"));
        }
        rest = &at[close + 1..];
        let (closing, body) = match tag.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, tag.trim_end_matches('/').trim_end()),
        };
        let name = body
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !KNOWN.contains(&name.as_str()) {
            return Err(format!("unknown tag <{tag}>"));
        }
        seen.push(name.clone());
        if VOID.contains(&name.as_str()) {
            continue;
        }
        if closing {
            match open.pop() {
                Some(top) if top == name => {}
                top => return Err(format!("</{name}> closes {top:?}")),
            }
        } else {
            open.push(name);
        }
    }
    if rest.contains('>') {
        return Err("stray '>' at the end".into());
    }
    if !open.is_empty() {
        return Err(format!("unclosed: {open:?}"));
    }
    Ok(seen)
}

#[test]
fn html_checker_catches_breakage() {
    assert!(check_html("<html><body><p>a<br />b</p></body></html>").is_ok());
    for bad in [
        "<p><b>x</p></b>",
        "<p>x",
        "<p>a < b</p>",
        "<p>a & b</p>",
        "<blink>x</blink>",
        "<p>x</p>>",
    ] {
        assert!(check_html(bad).is_err(), "{bad}");
    }
}
