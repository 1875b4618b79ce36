//! No silent loss: every non-empty cell of the document must end up in the draft or the report.
//! [`unaccounted`] reads what was written (the draft's YAML through our own loader, the JSON
//! report) and lists each cell whose text is found in neither; the tests run it on every draft.

use std::path::Path;

use super::source::{CellPos, SourcePlan};
use crate::config::tree::{Node, Value};

/// Cells of `plan` whose text is not in the draft directory `dir` (its YAML files and
/// `import-report.json`), with their text.
///
/// # Errors
/// A draft file that cannot be read or parsed.
pub fn unaccounted(plan: &SourcePlan, dir: &Path) -> Result<Vec<(CellPos, String)>, String> {
    let mut hay: Vec<String> = Vec::new();
    let mut files = vec![dir.join("dutybell.yaml")];
    files.extend(
        crate::config::load::files_in(&dir.join("plan"), &["yaml"]).map_err(|e| e.to_string())?,
    );
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let (node, _) = crate::config::yaml::parse(f, &bytes).map_err(|d| d.to_string())?;
        strings(&node, &mut hay);
    }
    let json = dir.join("import-report.json");
    let text = std::fs::read_to_string(&json).map_err(|e| format!("{}: {e}", json.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    json_strings(&v, &mut hay);
    // A task cell read as marker + title ("1.落实…") is in the draft as `seq` and `title`.
    let joined: String = hay
        .iter()
        .map(|s| squash(s))
        .collect::<Vec<_>>()
        .join("\u{1}");
    let mut out = Vec::new();
    for t in &plan.doc.tables {
        for c in t.rows.iter().flatten() {
            let want = squash(&c.text);
            if c.merged_from.is_some() || want.is_empty() {
                continue;
            }
            // A short cell (序号 `1`) must match a whole value: any text contains a digit.
            let found = if want.chars().count() <= 3 {
                hay.iter().any(|h| squash(h) == want)
            } else {
                joined.contains(&want) || split_found(&want, &hay)
            };
            if !found {
                out.push((c.pos, c.text.clone()));
            }
        }
    }
    Ok(out)
}

/// Whitespace is layout: compare texts without it.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// True when `want` is some string followed directly by another (marker + title).
fn split_found(want: &str, hay: &[String]) -> bool {
    hay.iter().map(|s| squash(s)).any(|a| {
        !a.is_empty()
            && want
                .strip_prefix(a.as_str())
                .is_some_and(|rest| !rest.is_empty() && hay.iter().any(|b| squash(b) == rest))
    })
}

fn strings(n: &Node, out: &mut Vec<String>) {
    match &n.value {
        Value::Str(s) => out.push(s.clone()),
        Value::Int(i) => out.push(i.to_string()),
        Value::Seq(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Map(m) => m.iter().for_each(|(_, v)| strings(v, out)),
        _ => {}
    }
}

fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|i| json_strings(i, out)),
        serde_json::Value::Object(o) => o.values().for_each(|i| json_strings(i, out)),
        _ => {}
    }
}
