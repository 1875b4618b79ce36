//! The only module that touches the YAML crate (serde-saphyr).
//!
//! It turns file bytes into a located [`Node`] tree, refusing, with a located message: input that
//! is not UTF-8, files over [`MAX_FILE_BYTES`], nesting deeper than [`MAX_DEPTH`], alias bombs
//! (serde-saphyr's budget caps aliases and replayed events, so a billion-laughs document fails fast
//! with bounded memory), duplicate keys, and YAML 1.1 traps (`no`, `010`, `12:30` unquoted).
//!
//! Why serde-saphyr: serde_yaml is deprecated upstream; serde-saphyr is maintained, panic-free by
//! design, fuzzed, enforces resource budgets, rejects duplicate keys, and gives spans for every node.
//! Keeping it behind this module means a future swap touches one file.

use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, Options, Spanned};

use super::diag::{Diagnostic, Pos};
use super::tree::{Key, Node, Value};

/// Largest config or plan file accepted.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting accepted (our schema needs about 6).
pub const MAX_DEPTH: usize = 32;

/// Parse one YAML file's bytes into a located tree, plus any YAML 1.1 trap diagnostics.
///
/// # Errors
/// A single located diagnostic when the file cannot be parsed at all.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<(Node, Vec<Diagnostic>), Diagnostic> {
    let whole = Pos { line: 1, col: 1 };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            file,
            whole,
            "",
            format!(
                "file is {} bytes; the limit is {MAX_FILE_BYTES}",
                bytes.len()
            ),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, col) = line_col(bytes, e.valid_up_to());
        Diagnostic::error(
            file,
            Pos { line, col },
            "",
            "file is not valid UTF-8 (save it as UTF-8; GBK/GB18030 are not accepted)",
        )
    })?;
    if let Some((pos, key)) = full_width_colon(text) {
        return Err(Diagnostic::error(
            file,
            pos,
            key.clone(),
            format!(
                "`{key}：` has a full-width colon `：` (U+FF1A); YAML needs the ASCII colon: `{key}:`"
            ),
        ));
    }
    let raw: Spanned<Raw> = serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        let (pos, msg) = describe(&e);
        Diagnostic::error(file, pos, "", msg)
    })?;
    let mut traps = Vec::new();
    let node = convert(raw, text, file, &mut traps, String::new());
    Ok((node, traps))
}

/// A key written with a full-width colon (`title：…`, easy to type with a Chinese input method):
/// YAML reads the whole line as one string, and the error it then gives points elsewhere.
fn full_width_colon(text: &str) -> Option<(Pos, String)> {
    for (i, line) in text.lines().enumerate() {
        let body = line.trim_start();
        let body = body.strip_prefix("- ").unwrap_or(body).trim_start();
        if body.starts_with('#') {
            continue;
        }
        let Some((key, _)) = body.split_once('：') else {
            continue;
        };
        let key = key.trim_end();
        if !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            let col = line.len() - body.len() + 1;
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            return Some((Pos { line, col }, key.to_string()));
        }
    }
    None
}

fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_events = 200_000;
    budget.max_nodes = 100_000;
    budget.max_recorded_anchor_events = 20_000;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES;
    let mut opts = Options::default();
    opts.budget = Some(budget);
    opts.with_snippet = false;
    opts
}

fn line_col(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line as u32, col as u32)
}

fn describe(e: &serde_saphyr::Error) -> (Pos, String) {
    let pos = e
        .location()
        .map(|l| Pos {
            line: l.line() as u32,
            col: l.column() as u32,
        })
        .unwrap_or(Pos { line: 1, col: 1 });
    // The crate's Display starts with "error: line N column M: "; keep only the message.
    let full = e.to_string();
    let first = full.lines().next().unwrap_or("invalid YAML").to_string();
    let msg = match first.split_once(": ") {
        Some((_, rest)) if first.starts_with("error") => match rest.split_once(": ") {
            Some((loc, m)) if loc.starts_with("line ") => m.to_string(),
            _ => rest.to_string(),
        },
        _ => first,
    };
    (pos, format!("invalid YAML: {msg}"))
}

/// The generic shape serde-saphyr fills; children carry spans.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<String>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        i64::try_from(v)
            .map(Raw::Int)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(x) = a.next_element()? {
            items.push(x);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = a.next_key::<Spanned<String>>()? {
            entries.push((k, a.next_value()?));
        }
        Ok(Raw::Map(entries))
    }
}

fn pos_of(l: &serde_saphyr::Location) -> Pos {
    Pos {
        line: l.line() as u32,
        col: l.column() as u32,
    }
}

/// The source text of a scalar, when byte spans are known.
fn source_of<'t>(text: &'t str, l: &serde_saphyr::Location) -> Option<&'t str> {
    let span = l.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    text.get(start..start + len)
}

fn convert(
    raw: Spanned<Raw>,
    text: &str,
    file: &Path,
    traps: &mut Vec<Diagnostic>,
    path: String,
) -> Node {
    let pos = pos_of(&raw.referenced);
    let src = source_of(text, &raw.referenced);
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => {
            check_trap(src, file, pos, &path, traps);
            Value::Bool(b)
        }
        Raw::Int(i) => {
            check_trap(src, file, pos, &path, traps);
            Value::Int(i)
        }
        Raw::Float(f) => {
            check_trap(src, file, pos, &path, traps);
            Value::Float(f)
        }
        Raw::Str(s) => {
            check_trap(src, file, pos, &path, traps);
            Value::Str(s)
        }
        Raw::Seq(items) => Value::Seq(
            items
                .into_iter()
                .enumerate()
                .map(|(i, x)| convert(x, text, file, traps, format!("{path}[{i}]")))
                .collect(),
        ),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let child = join(&path, &k.value);
                    let key = Key {
                        name: k.value,
                        pos: pos_of(&k.referenced),
                    };
                    (key, convert(v, text, file, traps, child))
                })
                .collect(),
        ),
    };
    Node { pos, value }
}

/// `a.b` for a key under `a`.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn check_trap(src: Option<&str>, file: &Path, pos: Pos, path: &str, traps: &mut Vec<Diagnostic>) {
    let Some(src) = src else { return };
    if let Some(why) = yaml11_trap(src) {
        traps.push(Diagnostic::error(
            file,
            pos,
            path,
            format!(
                "unquoted `{src}` {why}; quote it (\"{src}\") or write what you mean explicitly"
            ),
        ));
    }
}

/// Why a plain scalar means something else in YAML 1.1 than in 1.2, if it does.
pub fn yaml11_trap(src: &str) -> Option<&'static str> {
    let s = src.trim();
    if s.starts_with(['"', '\'']) {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(lower.as_str(), "yes" | "no" | "on" | "off" | "y" | "n") {
        return Some(
            "is a boolean in YAML 1.1 but a string in YAML 1.2 (use true/false, or quote it)",
        );
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some("is octal in YAML 1.1 but decimal in YAML 1.2");
    }
    let parts: Vec<&str> = digits.split(':').collect();
    if parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some("is a base-60 number in YAML 1.1 (times must be quoted)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<(Node, Vec<Diagnostic>), Diagnostic> {
        parse(Path::new("t.yaml"), s.as_bytes())
    }

    #[test]
    fn tree_has_positions() {
        let (n, traps) = parse_str("a: 1\nb:\n  - x\n  - \"y\"\n").unwrap();
        assert!(traps.is_empty());
        let b = n.get("b").unwrap();
        assert_eq!(b.as_seq().unwrap()[1].pos, Pos { line: 4, col: 5 });
    }

    #[test]
    fn yaml11_traps_are_reported_with_location() {
        let (_, traps) =
            parse_str("a: no\nb: \"no\"\nc: 010\nd: 12:30\ne: \"12:30\"\nf: 10\n").unwrap();
        let where_: Vec<_> = traps.iter().map(|d| (d.pos.line, d.path.clone())).collect();
        assert_eq!(
            where_,
            vec![(1, "a".into()), (3, "c".into()), (4, "d".into())]
        );
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_are_located() {
        let e = parse_str("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.pos.line, 2);
        assert!(e.message.contains("duplicate"), "{}", e.message);
        let e = parse_str("a:\n  - x\n b: 1\n").unwrap_err();
        assert_eq!(e.pos.line, 3);
    }

    #[test]
    fn non_utf8_is_refused_with_position() {
        let e = parse(Path::new("t.yaml"), b"a: 1\nb: \xb2\xe2\n").unwrap_err();
        assert_eq!((e.pos.line, e.pos.col), (2, 4));
        assert!(e.message.contains("UTF-8"));
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = parse_str(&s).unwrap_err();
        assert!(
            e.message.contains("budget") || e.message.contains("alias"),
            "{}",
            e.message
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_str(&s).is_err());
    }
}
