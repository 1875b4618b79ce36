//! Units and groups: ids, names, heads, emails, channel references, group members and cycles.

use std::collections::{BTreeMap, BTreeSet};

use super::build::Ctx;
use super::model::{Group, Head, Unit, UnitKind};
use super::names::Names;
use super::{Catalog, parse};
use crate::config::raw::{RawGroup, RawUnit};

/// Guard against pathological nesting even though cycles are rejected at build time.
const MAX_GROUP_DEPTH: usize = 32;

pub(super) fn expand_into(cat: &Catalog, id: &str, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_GROUP_DEPTH {
        return;
    }
    if cat.unit(id).is_some() {
        if !out.iter().any(|u| u == id) {
            out.push(id.to_string());
        }
    } else if let Some(g) = cat.group(id) {
        for m in &g.members {
            expand_into(cat, m, out, depth + 1);
        }
    }
}

/// A unit's id: `id` when given, else its name (plans name units by name; the id is only for
/// config, the outbox and links, so a unit that no config refers to by id needs none).
pub(super) fn unit_id(u: &RawUnit) -> crate::config::Located<String> {
    u.id.clone().unwrap_or_else(|| u.name.clone())
}

fn kind(s: &str) -> Result<UnitKind, String> {
    Ok(match s {
        "section" => UnitKind::Section,
        "team" => UnitKind::Team,
        "office" => UnitKind::Office,
        "township" => UnitKind::Township,
        "county_bureau" => UnitKind::CountyBureau,
        "other" => UnitKind::Other,
        _ => {
            const K: &[&str] = &[
                "section",
                "team",
                "office",
                "township",
                "county_bureau",
                "other",
            ];
            return Err(format!(
                "unknown unit kind `{s}`{}; expected one of: {}",
                crate::config::diag::hint(s, K.iter().copied()),
                K.join(", ")
            ));
        }
    })
}

pub(super) fn units(ctx: &mut Ctx, raw: &[RawUnit], ids: &mut BTreeSet<String>) -> Vec<Unit> {
    let mut out = Vec::new();
    for u in raw {
        let id = unit_id(u);
        if let Some(given) = &u.id {
            ctx.check(given, parse::id(&given.value));
        }
        if !ids.insert(id.value.clone()) {
            ctx.error(
                &id,
                format!(
                    "duplicate id `{}` (unit and group ids share one namespace; a unit without \
                     `id` is known by its name)",
                    id.value
                ),
            );
        }
        let kind = ctx
            .check(&u.kind, kind(&u.kind.value))
            .unwrap_or(UnitKind::Other);
        for e in &u.email {
            ctx.check(e, parse::email(&e.value));
        }
        let head = u.head.as_ref().map(|h| {
            if let Some(e) = &h.email {
                ctx.check(e, parse::email(&e.value));
            }
            if let Some(m) = &h.mobile
                && let Err(e) = mobile(&m.value)
            {
                ctx.error(m, e);
            }
            Head {
                name: h.name.clone(),
                email: h.email.as_ref().map(|e| e.value.clone()),
                mobile: h.mobile.as_ref().map(|m| m.value.clone()),
            }
        });
        out.push(Unit {
            id: id.value.clone(),
            name: u.name.value.clone(),
            kind,
            head,
            email: u.email.iter().map(|e| e.value.clone()).collect(),
            channels: u.channels.iter().map(|c| c.value.clone()).collect(),
            aliases: u.aliases.clone(),
            link_version: match &u.link_version {
                Some(v) if v.value == 0 => {
                    ctx.error(v, "link_version starts at 1");
                    1
                }
                Some(v) => v.value,
                None => 1,
            },
        });
    }
    out
}

/// Groups with their ids checked; members are resolved later by [`members`], once every name
/// is known.
pub(super) fn groups(ctx: &mut Ctx, raw: &[RawGroup], ids: &mut BTreeSet<String>) -> Vec<Group> {
    for g in raw {
        ctx.check(&g.id, parse::id(&g.id.value));
        if !ids.insert(g.id.value.clone()) {
            ctx.error(
                &g.id,
                format!(
                    "duplicate id `{}` (unit and group ids share one namespace)",
                    g.id.value
                ),
            );
        }
    }
    raw.iter()
        .map(|g| Group {
            id: g.id.value.clone(),
            name: g.name.value.clone(),
            members: Vec::new(),
            aliases: g.aliases.clone(),
        })
        .collect()
}

/// Resolve each group's members (ids, names or aliases) and report cycles.
pub(super) fn members(ctx: &mut Ctx, raw: &[RawGroup], groups: &mut [Group], names: &Names) {
    for (g, r) in groups.iter_mut().zip(raw) {
        g.members = r
            .members
            .iter()
            .filter_map(|m| names.resolve(ctx, m))
            .collect();
    }
    report_cycles(ctx, raw, groups);
}

/// Report each group that can reach itself through members.
fn report_cycles(ctx: &mut Ctx, raw: &[RawGroup], groups: &[Group]) {
    let edges: BTreeMap<&str, Vec<&str>> = groups
        .iter()
        .map(|g| {
            (
                g.id.as_str(),
                g.members.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    for g in raw {
        let start = g.id.value.as_str();
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(start, vec![start])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in edges.get(node).into_iter().flatten() {
                if *next == start {
                    let mut cycle = path.clone();
                    cycle.push(start);
                    ctx.error(&g.id, format!("group cycle: {}", cycle.join(" → ")));
                    stack.clear();
                    break;
                }
                if edges.contains_key(next) && seen.insert(*next) {
                    let mut p = path.clone();
                    p.push(next);
                    stack.push((next, p));
                }
            }
        }
    }
}

/// A mainland China mobile number as WeCom (`mentioned_mobile_list`) and DingTalk (`atMobiles`)
/// match it: 11 digits, `1` then `3`–`9`. Anything else would make the @-mention fail silently at
/// the vendor (the message still arrives, nobody is mentioned), so it is refused here.
fn mobile(m: &str) -> Result<(), String> {
    let b = m.as_bytes();
    if b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
    {
        return Ok(());
    }
    let digits: String = m.chars().filter(char::is_ascii_digit).collect();
    let hint = match digits.strip_prefix("86") {
        Some(rest) if rest.len() == 11 => {
            format!("; write it without the country code: \"{rest}\"")
        }
        _ if digits.len() == 11 && digits != m => format!("; write the digits only: \"{digits}\""),
        _ => String::new(),
    };
    Err(format!(
        "`{m}` is not a mobile number: expected 11 digits starting with 13–19, quoted \
         (e.g. \"13800000000\"); WeCom and DingTalk @-mention heads by it{hint}"
    ))
}

#[cfg(test)]
mod tests {
    use super::mobile;

    #[test]
    fn mobiles_are_eleven_mainland_digits() {
        assert!(mobile("13800000001").is_ok());
        assert!(mobile("19912345678").is_ok());
        for bad in [
            "12345",
            "12800000001",
            "1380000000",
            "138000000012",
            "1380000000a",
            "",
        ] {
            assert!(mobile(bad).is_err(), "{bad}");
        }
        assert!(
            mobile("+86 138 0000 0001")
                .unwrap_err()
                .contains("\"13800000001\"")
        );
        assert!(
            mobile("138-0000-0001")
                .unwrap_err()
                .contains("digits only: \"13800000001\"")
        );
    }
}
