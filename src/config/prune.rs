//! Every independent problem of one mapping, not only the first: serde stops at the first bad
//! field, so after an error the offending key (or list item) is removed from a copy of the tree
//! and the node is deserialized again, until it parses or nothing more can be removed.
//!
//! A "missing required key" that only appears because its bad value was removed is a
//! consequence, not a second problem, and is not reported.

use super::de::{DeError, from_node};
use super::tree::{Node, Value};
use serde::de::DeserializeOwned;

/// At most this many errors are collected from one node (a file of garbage should not loop long).
const MAX_ERRORS: usize = 64;

/// Deserialize `node` (key path `path`). On failure, return every independent error found by
/// pruning, in the order found, and the value parsed from what was left, if anything parsed.
pub fn from_node_all<T: DeserializeOwned>(
    node: &Node,
    path: &str,
) -> Result<T, (Vec<DeError>, Option<T>)> {
    let first = match from_node(node, path) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let mut errors = vec![first];
    let mut copy = node.clone();
    loop {
        let last = errors.last().expect("one error at least");
        let Some(removed) = last
            .path
            .as_deref()
            .and_then(|p| remove(&mut copy, path, p))
        else {
            return Err((errors, None));
        };
        match from_node(&copy, path) {
            Ok(v) => return Err((errors, Some(v))),
            Err(e) if is_consequence(&e, &removed) || errors.len() >= MAX_ERRORS => {
                return Err((errors, None));
            }
            Err(e) if errors.iter().any(|o| o.path == e.path && o.pos == e.pos) => {
                // The same place again: removing did not help; stop rather than loop.
                return Err((errors, None));
            }
            Err(e) => errors.push(e),
        }
    }
}

/// True when `e` only says that the key just removed is now missing.
fn is_consequence(e: &DeError, removed: &str) -> bool {
    e.message == format!("missing required key `{removed}`")
}

/// Remove the node at `target` (a key path below `base`, e.g. `settings.reminders.before[1]`)
/// from `root`; returns the removed key's name (or index), or `None` when `target` is `base`
/// itself or not found.
fn remove(root: &mut Node, base: &str, target: &str) -> Option<String> {
    let rest = target.strip_prefix(base)?;
    let segments = segments(rest)?;
    let (last, parents) = segments.split_last()?;
    let mut node = root;
    for seg in parents {
        node = child(node, seg)?;
    }
    match (&mut node.value, last) {
        (Value::Map(entries), Seg::Key(k)) => {
            let i = entries.iter().position(|(key, _)| key.name == *k)?;
            entries.remove(i);
            Some(k.clone())
        }
        (Value::Seq(items), Seg::Index(i)) if *i < items.len() => {
            items.remove(*i);
            Some(i.to_string())
        }
        _ => None,
    }
}

/// One step of a key path.
#[derive(Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `.a.b[2].c` → [a, b, 2, c]; `None` when the text is not a key path.
fn segments(rest: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    let mut s = rest;
    while !s.is_empty() {
        if let Some(r) = s.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Seg::Index(r[..end].parse().ok()?));
            s = &r[end + 1..];
        } else {
            let r = s.strip_prefix('.')?;
            let end = r.find(['.', '[']).unwrap_or(r.len());
            out.push(Seg::Key(r[..end].to_string()));
            s = &r[end..];
        }
    }
    Some(out)
}

fn child<'n>(node: &'n mut Node, seg: &Seg) -> Option<&'n mut Node> {
    match (&mut node.value, seg) {
        (Value::Map(entries), Seg::Key(k)) => entries
            .iter_mut()
            .find(|(key, _)| key.name == *k)
            .map(|(_, v)| v),
        (Value::Seq(items), Seg::Index(i)) => items.get_mut(*i),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct S {
        n: u32,
        #[serde(default)]
        m: Option<u32>,
        #[serde(default)]
        list: Vec<u32>,
    }

    fn errs(text: &str) -> (Vec<String>, bool) {
        let (node, _) = parse(std::path::Path::new("t.yaml"), text.as_bytes()).unwrap();
        match from_node_all::<S>(&node, "s") {
            Ok(_) => (Vec::new(), true),
            Err((e, v)) => (
                e.into_iter()
                    .map(|e| format!("{}: {}", e.path.unwrap_or_default(), e.message))
                    .collect(),
                v.is_some(),
            ),
        }
    }

    #[test]
    fn every_unknown_key_and_type_error_of_one_mapping_is_reported() {
        let (e, parsed) = errs("n: 1\nbogus: 1\nm: many\nother: 2\nlist: [1, x, 3]\n");
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(e[0].starts_with("s.bogus: unknown key `bogus`"), "{e:#?}");
        assert!(e[1].starts_with("s.m: invalid type"), "{e:#?}");
        assert!(e[2].starts_with("s.other: unknown key"), "{e:#?}");
        assert!(e[3].starts_with("s.list[1]: invalid type"), "{e:#?}");
        assert!(parsed, "what is left parses");
    }

    #[test]
    fn a_bad_required_value_is_one_error_not_also_missing() {
        let (e, parsed) = errs("n: many\n");
        assert_eq!(
            e,
            vec![r#"s.n: invalid type: string "many", expected u32"#.to_string()]
        );
        assert!(!parsed);
    }

    #[test]
    fn key_paths_split_into_segments() {
        assert_eq!(
            segments(".a.b[2].c"),
            Some(vec![
                Seg::Key("a".into()),
                Seg::Key("b".into()),
                Seg::Index(2),
                Seg::Key("c".into())
            ])
        );
        assert_eq!(segments("x"), None);
    }
}
