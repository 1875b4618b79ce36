//! 责任单位 / 牵头单位 / 配合单位 cells → who leads and who cooperates, matched against the units
//! and groups of the config in force through the catalog's own name index
//! (`catalog::names::Names`: ids, names, aliases, groups such as 各所).
//!
//! The cell is scanned left to right: at the start of each name the longest known spelling wins
//! (so the group 各室、队、站、所 is not cut at its 、), otherwise a new name runs to the next
//! separator or marker. Markers: `X（牵头）`, `X牵头`, `牵头单位：X`, `配合单位：Y`, `（共同牵头）`;
//! without any, the first named unit leads and the rest cooperate (the seed's convention). Vague
//! lists (各有关部门, "…等") keep the whole cell as `units_text`.

use crate::catalog::names::{Names, is_vague};
use crate::config::diag::hint;

/// How one written name was matched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Matched {
    /// The name as written in the cell (what the draft writes under `lead`/`cooperating`).
    pub written: String,
    /// The id it resolves to in the config in force; `None` for a new unit.
    pub id: Option<String>,
    /// For a new unit: a did-you-mean over the known spellings, when one is close.
    pub hint: Option<String>,
}

/// The responsible units of one task as the draft writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Responsible {
    /// Leads (co-leads when several), as written.
    pub leads: Vec<String>,
    /// Cooperating units in the source's order, as written.
    pub cooperating: Vec<String>,
    /// The whole cell when it names a vague set (各有关部门, "…等").
    pub units_text: Option<String>,
    /// Every name met, in order, with how it matched.
    pub names: Vec<Matched>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Lead,
    Cooperating,
}

#[derive(Debug)]
enum Piece {
    Name(String),
    /// A marker after a name (`（牵头）`), or after several (`（共同牵头）`, `true`).
    After(Role, bool),
    /// A label before names (`牵头单位：`): applies to the names that follow.
    Before(Role),
    /// 等 / 等单位: the list goes on unnamed.
    Etc,
}

const SEPARATORS: &[char] = &[
    '，', ',', '、', '；', ';', '/', '／', '\n', ' ', '\t', '　', '和', '及', '。',
];

/// Markers, longest first; `true` for a label that applies to the names after it.
const MARKERS: &[(&str, Role, bool)] = &[
    ("（共同牵头）", Role::Lead, false),
    ("(共同牵头)", Role::Lead, false),
    ("共同牵头", Role::Lead, false),
    ("牵头单位：", Role::Lead, true),
    ("牵头单位:", Role::Lead, true),
    ("牵头部门：", Role::Lead, true),
    ("牵头：", Role::Lead, true),
    ("牵头:", Role::Lead, true),
    ("配合单位：", Role::Cooperating, true),
    ("配合单位:", Role::Cooperating, true),
    ("配合部门：", Role::Cooperating, true),
    ("协办单位：", Role::Cooperating, true),
    ("配合：", Role::Cooperating, true),
    ("配合:", Role::Cooperating, true),
    ("（牵头）", Role::Lead, false),
    ("(牵头)", Role::Lead, false),
    ("（配合）", Role::Cooperating, false),
    ("(配合)", Role::Cooperating, false),
    ("牵头", Role::Lead, false),
    ("配合", Role::Cooperating, false),
];

const ETC: &[&str] = &["等单位", "等部门", "等"];

/// Read the unit cells of one task: `units` (责任单位: first named leads unless marked), `lead`
/// (牵头单位: all lead) and `cooperating` (配合单位).
pub(crate) fn responsible(
    units: Option<&str>,
    lead: Option<&str>,
    cooperating: Option<&str>,
    names: &Names,
) -> Responsible {
    let mut r = Responsible::default();
    let mut vague_cells: Vec<&str> = Vec::new();
    if let Some(cell) = lead {
        let (ls, cs, vague) = roles(cell, names, Role::Lead, &mut r.names);
        r.leads.extend(ls);
        r.cooperating.extend(cs);
        vague.then(|| vague_cells.push(cell));
    }
    if let Some(cell) = units {
        let default = if r.leads.is_empty() {
            None
        } else {
            Some(Role::Cooperating)
        };
        let (ls, cs, vague) = match default {
            Some(role) => roles(cell, names, role, &mut r.names),
            None => roles_first_leads(cell, names, &mut r.names),
        };
        r.leads.extend(ls);
        r.cooperating.extend(cs);
        vague.then(|| vague_cells.push(cell));
    }
    if let Some(cell) = cooperating {
        let (ls, cs, vague) = roles(cell, names, Role::Cooperating, &mut r.names);
        r.leads.extend(ls);
        r.cooperating.extend(cs);
        vague.then(|| vague_cells.push(cell));
    }
    dedup(&mut r.leads);
    dedup(&mut r.cooperating);
    let leads = r.leads.clone();
    r.cooperating.retain(|c| !leads.contains(c));
    if !vague_cells.is_empty() {
        r.units_text = Some(vague_cells.join("；"));
    }
    r
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = Vec::new();
    v.retain(|x| {
        let fresh = !seen.contains(x);
        seen.push(x.clone());
        fresh
    });
}

/// Names of a cell with a default role for unmarked names. Returns (leads, cooperating, vague).
fn roles(
    cell: &str,
    names: &Names,
    default: Role,
    seen: &mut Vec<Matched>,
) -> (Vec<String>, Vec<String>, bool) {
    let pieces = scan(cell, names);
    let (assigned, vague) = assign(&pieces, names, seen);
    let mut leads = Vec::new();
    let mut coop = Vec::new();
    for (n, role) in assigned {
        match role.unwrap_or(default) {
            Role::Lead => leads.push(n),
            Role::Cooperating => coop.push(n),
        }
    }
    (leads, coop, vague)
}

/// 责任单位 without a 牵头单位 column: markers when the cell has them; otherwise (or for the names
/// no marker covers, when only 配合 is marked) the first named unit leads.
fn roles_first_leads(
    cell: &str,
    names: &Names,
    seen: &mut Vec<Matched>,
) -> (Vec<String>, Vec<String>, bool) {
    let pieces = scan(cell, names);
    let (assigned, vague) = assign(&pieces, names, seen);
    let any_lead = assigned.iter().any(|(_, r)| *r == Some(Role::Lead));
    let any_coop = assigned.iter().any(|(_, r)| *r == Some(Role::Cooperating));
    let mut leads = Vec::new();
    let mut coop = Vec::new();
    for (i, (n, role)) in assigned.into_iter().enumerate() {
        let role = match role {
            Some(r) => r,
            None if any_lead => Role::Cooperating,
            None if any_coop => Role::Lead,
            None if i == 0 => Role::Lead,
            None => Role::Cooperating,
        };
        match role {
            Role::Lead => leads.push(n),
            Role::Cooperating => coop.push(n),
        }
    }
    (leads, coop, vague)
}

/// Give each name its marked role (if any); record how each matched; report vagueness.
fn assign(
    pieces: &[Piece],
    names: &Names,
    seen: &mut Vec<Matched>,
) -> (Vec<(String, Option<Role>)>, bool) {
    let mut out: Vec<(String, Option<Role>)> = Vec::new();
    let mut label: Option<Role> = None;
    let mut since_marker = 0;
    let mut vague = false;
    for p in pieces {
        match p {
            Piece::Name(n) if is_vague(n) => vague = true,
            Piece::Name(n) => {
                let m = matched(n, names);
                out.push((m.written.clone(), label));
                seen.push(m);
            }
            Piece::After(role, all) => {
                // `X（牵头）` marks X; `X、Y（共同牵头）` marks every name since the last marker.
                let from = if *all {
                    since_marker
                } else {
                    out.len().saturating_sub(1)
                };
                for x in out.iter_mut().skip(from) {
                    x.1.get_or_insert(*role);
                }
                since_marker = out.len();
            }
            Piece::Before(role) => {
                label = Some(*role);
                since_marker = out.len();
            }
            Piece::Etc => vague = true,
        }
    }
    (out, vague)
}

fn matched(n: &str, names: &Names) -> Matched {
    let ids = names.ids(n);
    match ids {
        [one] => Matched {
            written: n.to_string(),
            id: Some(one.clone()),
            hint: None,
        },
        // A spelling two units share must be written as an id (docs/CONFIG.md).
        [first, ..] => Matched {
            written: first.clone(),
            id: Some(first.clone()),
            hint: Some(format!(
                "`{n}` names {}; the first was used",
                ids.join(", ")
            )),
        },
        [] => {
            let h = hint(n, names.spellings());
            Matched {
                written: n.to_string(),
                id: None,
                hint: (!h.is_empty()).then(|| h.trim_start_matches("; ").trim().to_string()),
            }
        }
    }
}

/// Cut a cell into names, markers and 等.
fn scan(cell: &str, names: &Names) -> Vec<Piece> {
    let chars: Vec<char> = cell.trim().chars().collect();
    let text = |i: usize| chars[i..].iter().collect::<String>();
    let mut out = Vec::new();
    let mut i = 0;
    let mut at_start = true;
    while i < chars.len() {
        let rest = text(i);
        if SEPARATORS.contains(&chars[i]) {
            i += 1;
            at_start = true;
            continue;
        }
        if let Some((w, role, before)) = MARKERS.iter().find(|(w, ..)| rest.starts_with(w)) {
            out.push(if *before {
                Piece::Before(*role)
            } else {
                Piece::After(*role, w.contains("共同"))
            });
            i += w.chars().count();
            at_start = true;
            continue;
        }
        if let Some(w) = ETC
            .iter()
            .find(|w| rest.starts_with(*w))
            .filter(|_| etc_ends(&rest))
        {
            out.push(Piece::Etc);
            i += w.chars().count();
            continue;
        }
        let known = at_start
            .then(|| {
                names
                    .spellings()
                    .filter(|s| rest.starts_with(s) && boundary(&rest[s.len()..]))
                    .max_by_key(|s| s.len())
            })
            .flatten();
        let len = match known {
            Some(s) => s.chars().count(),
            None => (i..chars.len())
                .take_while(|&j| {
                    j == i || (!SEPARATORS.contains(&chars[j]) && !boundary_marker(&text(j)))
                })
                .count(),
        };
        out.push(Piece::Name(chars[i..i + len].iter().collect()));
        i += len;
        at_start = false;
    }
    out
}

/// True when `rest` (what follows a known spelling) starts a new piece.
fn boundary(rest: &str) -> bool {
    rest.is_empty() || rest.starts_with(SEPARATORS) || boundary_marker(rest)
}

fn boundary_marker(rest: &str) -> bool {
    MARKERS.iter().any(|(w, ..)| rest.starts_with(w))
        || (ETC.iter().any(|w| rest.starts_with(w)) && etc_ends(rest))
}

/// 等 ends a list only at the end of the cell or before a separator (等级 is not 等).
fn etc_ends(rest: &str) -> bool {
    ETC.iter().any(|w| {
        rest.strip_prefix(w).is_some_and(|r| {
            r.is_empty() || r.starts_with(SEPARATORS) || r.starts_with(['（', '('])
        })
    })
}

/// The kind a new unit most likely is, from how its name ends; flagged in the report.
pub fn guess_kind(name: &str) -> &'static str {
    let last = name.trim_end_matches(['）', ')']).chars().last();
    match last {
        Some('室') => "section",
        Some('队') => "team",
        Some('所') => "office",
        Some('乡' | '镇') => "township",
        Some('局' | '委' | '办') if name.starts_with('县') => "county_bureau",
        _ => "other",
    }
}

#[cfg(test)]
#[path = "units_tests.rs"]
mod tests;
