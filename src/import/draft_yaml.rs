//! A small YAML writer for drafts: the project reads YAML through `config::yaml` only, and the
//! draft must come back exactly as written, so this emits a narrow, safe subset by hand. Every
//! string is double-quoted with escapes (no YAML 1.1 trap, no `: ` or `#` surprise in Chinese
//! text), multi-line text is a `|-` block literal when that keeps it byte-for-byte, keys are plain
//! only when they are simple identifiers, and comments are ours to add.

use crate::config::tree::{Node, Value};

/// A value to write, with optional comments.
#[derive(Debug, Clone, PartialEq)]
pub enum Y {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (always quoted, or a block literal).
    Str(String),
    /// A block sequence; each item may carry a comment line written above it.
    Seq(Vec<(Y, Option<String>)>),
    /// A block mapping in order; each entry may carry a comment line written above it.
    Map(Vec<(String, Y, Option<String>)>),
    /// The inner value written on one line in flow style (`{ day: 28 }`, `["各所"]`).
    Flow(Box<Y>),
}

impl Y {
    /// A string value.
    pub fn s(v: impl Into<String>) -> Y {
        Y::Str(v.into())
    }

    /// A mapping from `(key, value)` pairs without comments.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Y)>) -> Y {
        Y::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), v, None))
                .collect(),
        )
    }

    /// A sequence of strings.
    pub fn strs<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Y {
        Y::Seq(items.into_iter().map(|s| (Y::s(s), None)).collect())
    }

    /// The same value as a tree read back by `config::yaml` would hold it.
    pub fn from_node(n: &Node) -> Y {
        match &n.value {
            Value::Null => Y::Null,
            Value::Bool(b) => Y::Bool(*b),
            Value::Int(i) => Y::Int(*i),
            Value::Float(f) => Y::Float(*f),
            Value::Str(s) => Y::Str(s.clone()),
            Value::Seq(items) => Y::Seq(items.iter().map(|i| (Y::from_node(i), None)).collect()),
            Value::Map(m) => Y::Map(
                m.iter()
                    .map(|(k, v)| (k.name.clone(), Y::from_node(v), None))
                    .collect(),
            ),
        }
    }
}

/// A whole document: `header` lines as `# ` comments, then `root` in block style.
pub fn document(header: &[String], root: &Y) -> String {
    let mut out = String::new();
    for h in header {
        comment(&mut out, "", h);
    }
    match root {
        Y::Map(m) if !m.is_empty() => map_body(&mut out, m, 0),
        other => {
            out.push_str(&flow(other));
            out.push('\n');
        }
    }
    out
}

/// One value in flow style on a single line (multi-line strings are escaped).
pub fn flow(y: &Y) -> String {
    match y {
        Y::Null => "null".into(),
        Y::Bool(b) => b.to_string(),
        Y::Int(i) => i.to_string(),
        Y::Float(f) => float(*f),
        Y::Str(s) => quote(s),
        Y::Flow(inner) => flow(inner),
        Y::Seq(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|(i, _)| flow(i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Y::Map(m) if m.is_empty() => "{}".into(),
        Y::Map(m) => format!(
            "{{ {} }}",
            m.iter()
                .map(|(k, v, _)| format!("{}: {}", key(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A double-quoted YAML scalar: backslash, quote, every control character and the Unicode line
/// and paragraph separators escaped; everything else (Chinese text) as is.
pub fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            '\r' => q.push_str("\\r"),
            '\u{85}' => q.push_str("\\N"),
            '\u{a0}' => q.push_str("\\_"),
            '\u{2028}' => q.push_str("\\L"),
            '\u{2029}' => q.push_str("\\P"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{feff}' => {
                q.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// A mapping key: plain when it is a simple identifier that YAML 1.1 and 1.2 read the same way.
fn key(k: &str) -> String {
    const TRAPS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "Y", "N",
    ];
    let simple = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if simple && !TRAPS.contains(&k.to_ascii_lowercase().as_str()) {
        k.to_string()
    } else {
        quote(k)
    }
}

fn float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        }
    } else {
        format!("{f:?}")
    }
}

fn comment(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        out.push_str(indent);
        out.push_str("# ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// Whether `s` can be a `|-` literal and read back identical: several lines, no carriage
/// return or other control character, no leading blank on the first line (it would set the
/// indentation), no trailing blank on any line and no trailing line break.
fn literal_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.ends_with('\n')
        && !s.starts_with(['\n', ' ', '\t'])
        && !s.chars().any(|c| {
            (c.is_control() && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
        })
        && s.lines()
            .all(|l| !l.is_empty() && !l.ends_with([' ', '\t']))
}

fn literal(out: &mut String, s: &str, indent: usize) {
    out.push_str("|-\n");
    let pad = " ".repeat(indent);
    for line in s.split('\n') {
        out.push_str(&pad);
        out.push_str(line);
        out.push('\n');
    }
}

/// A value after `key:` or `- `: scalars and flow on the same line, blocks below.
fn value_after(out: &mut String, y: &Y, indent: usize, in_seq: bool) {
    match y {
        Y::Str(s) if literal_ok(s) => literal(out, s, indent + 2),
        Y::Map(m) if !m.is_empty() => {
            if in_seq {
                // `- key: value` continues on the dash's line.
                map_body_first_inline(out, m, indent + 2);
            } else {
                out.push('\n');
                map_body(out, m, indent + 2);
            }
        }
        Y::Seq(items) if !items.is_empty() => {
            out.push('\n');
            seq_body(out, items, indent + 2);
        }
        other => {
            out.push_str(&flow(other));
            out.push('\n');
        }
    }
}

fn entry(out: &mut String, k: &str, v: &Y, c: &Option<String>, indent: usize, first_inline: bool) {
    let pad = " ".repeat(indent);
    if let Some(c) = c {
        comment(out, &pad, c);
        if first_inline {
            out.push_str(&pad);
        }
    }
    if !first_inline {
        out.push_str(&pad);
    }
    out.push_str(&key(k));
    out.push(':');
    let block_follows =
        matches!(v, Y::Map(m) if !m.is_empty()) || matches!(v, Y::Seq(s) if !s.is_empty());
    if !block_follows {
        out.push(' ');
    }
    value_after(out, v, indent, false);
}

fn map_body(out: &mut String, m: &[(String, Y, Option<String>)], indent: usize) {
    for (k, v, c) in m {
        entry(out, k, v, c, indent, false);
    }
}

fn map_body_first_inline(out: &mut String, m: &[(String, Y, Option<String>)], indent: usize) {
    for (i, (k, v, c)) in m.iter().enumerate() {
        // A comment on the first key would break the `- ` line: it was written above the item.
        let c = if i == 0 { &None } else { c };
        entry(out, k, v, c, indent, i == 0);
    }
}

fn seq_body(out: &mut String, items: &[(Y, Option<String>)], indent: usize) {
    let pad = " ".repeat(indent);
    for (y, c) in items {
        if let Some(c) = c {
            comment(out, &pad, c);
        }
        out.push_str(&pad);
        out.push_str("- ");
        value_after(out, y, indent, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;
    use std::path::Path;

    fn back(text: &str) -> Y {
        let (node, _) = yaml::parse(Path::new("t.yaml"), text.as_bytes())
            .unwrap_or_else(|d| panic!("{d}\n{text}"));
        Y::from_node(&node)
    }

    /// Comments and flow markers are presentation: compare what a reader gets.
    fn plain(y: &Y) -> Y {
        match y {
            Y::Flow(i) => plain(i),
            Y::Seq(v) => Y::Seq(v.iter().map(|(i, _)| (plain(i), None)).collect()),
            Y::Map(m) => Y::Map(
                m.iter()
                    .map(|(k, v, _)| (k.clone(), plain(v), None))
                    .collect(),
            ),
            o => o.clone(),
        }
    }

    const NASTY: &[&str] = &[
        "",
        "yes",
        "no",
        "on",
        "~",
        "null",
        "010",
        "12:30",
        "2027-06-30",
        "- item",
        "# not a comment",
        "a: b",
        "县农业农村局，城关南区所：食品室",
        "\"quoted\" and \\back\\slash",
        "tab\there",
        "cr\r\nlf",
        "line1\nline2",
        "1.加大监测频次。\n2.推进合格证制度。\n3.落实记录制度。",
        "trailing space \nnext",
        "\nleading newline",
        " leading space\nx",
        "ends with newline\n",
        "blank\n\nline",
        "nel\u{85}ls\u{2028}ps\u{2029}bom\u{feff}nbsp\u{a0}",
        "bell\u{7}del\u{7f}",
        "{flow}",
        "[seq]",
        "&anchor *alias !tag |pipe >fold %dir @at `tick`",
        "“日管控、周排查、月调度”（牵头）",
    ];

    #[test]
    fn every_nasty_string_reads_back_the_same_in_block_flow_and_as_key() {
        for s in NASTY {
            let doc = Y::map([
                ("v", Y::s(*s)),
                ("list", Y::strs([*s, "x"])),
                ("f", Y::Flow(Box::new(Y::map([("a", Y::s(*s))])))),
                (*s, Y::Int(1)),
            ]);
            let text = document(&["header".into()], &doc);
            assert_eq!(back(&text), plain(&doc), "{s:?}:\n{text}");
        }
    }

    #[test]
    fn nested_shapes_comments_and_scalars_round_trip() {
        let doc = Y::Map(vec![
            (
                "tasks".into(),
                Y::Seq(vec![
                    (
                        Y::Map(vec![
                            ("id".into(), Y::s("1.1"), None),
                            (
                                "rules".into(),
                                Y::Seq(vec![(
                                    Y::Flow(Box::new(Y::map([(
                                        "monthly",
                                        Y::map([("day", Y::Int(28))]),
                                    )]))),
                                    None,
                                )]),
                                Some("derived from 每月28日前".into()),
                            ),
                            ("measures".into(), Y::s("一\n二"), None),
                            ("empty".into(), Y::Seq(vec![]), None),
                            ("none".into(), Y::Map(vec![]), None),
                        ]),
                        Some("new task\nsecond comment line".into()),
                    ),
                    (
                        Y::Seq(vec![(Y::Int(-3), None), (Y::Bool(true), None)]),
                        None,
                    ),
                ]),
                Some("tasks".into()),
            ),
            ("f".into(), Y::Float(1.5), None),
            ("n".into(), Y::Null, None),
            ("2026".into(), Y::s("2026-03-02"), None),
        ]);
        let text = document(&[], &doc);
        assert!(text.contains("measures: |-\n"), "{text}");
        assert!(text.contains("- { monthly: { day: 28 } }"), "{text}");
        assert!(text.contains("\"2026\": \"2026-03-02\""), "{text}");
        assert_eq!(back(&text), plain(&doc), "\n{text}");
    }

    #[test]
    fn the_reference_config_round_trips_through_the_writer() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dutybell.yaml");
        let src = std::fs::read(&path).unwrap();
        let (node, _) = yaml::parse(&path, &src).unwrap();
        let text = document(&[], &Y::from_node(&node));
        assert_eq!(back(&text), Y::from_node(&node), "\n{text}");
    }
}
