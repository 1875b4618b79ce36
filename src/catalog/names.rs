//! Unit names as plans write them: a plan names a unit or group by its id, its Chinese name or
//! one of its aliases (`lead: 县安委办`, `cooperating: [各所]`); [`Names`] resolves each to the
//! id the rest of the program uses, and an unknown name gets a did-you-mean over all three.

use std::collections::BTreeMap;

use super::build::Ctx;
use super::model::{Group, Unit};
use crate::config::Located;
use crate::config::diag::hint;

/// Every way of naming a unit or group (id, name, aliases) → its id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    map: BTreeMap<String, Vec<String>>,
}

/// The spellings that do not name any unit but a vague set of them (各有关部门, 预案所列成员单位):
/// kept as written and routed to the default unit, never guessed.
pub(crate) fn is_vague(s: &str) -> bool {
    const VAGUE: &[&str] = &["有关", "相关", "成员单位", "所列"];
    s.ends_with('等') || s.ends_with("等单位") || VAGUE.iter().any(|v| s.contains(v))
}

impl Names {
    /// Index the units and groups. A name or alias shared by two of them (the unit 局领导 and the
    /// group 局领导 of the reference config) is not an error until a plan uses it.
    pub(crate) fn new(units: &[Unit], groups: &[Group]) -> Names {
        let mut n = Names::default();
        let entries = units
            .iter()
            .map(|u| (&u.id, &u.name, &u.aliases))
            .chain(groups.iter().map(|g| (&g.id, &g.name, &g.aliases)));
        for (id, ..) in entries.clone() {
            n.map.insert(id.clone(), vec![id.clone()]);
        }
        for (id, name, aliases) in entries {
            for s in std::iter::once(name).chain(aliases) {
                let ids = n.map.entry(s.clone()).or_default();
                // An id always names its own unit, whatever else uses the same spelling.
                let taken_by_id = ids.len() == 1 && ids[0] == *s;
                if !taken_by_id && !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        n
    }

    /// The id named by `s` (an id, a name or an alias).
    pub(crate) fn get(&self, s: &str) -> Option<&str> {
        match self.map.get(s).map(Vec::as_slice) {
            Some([one]) => Some(one),
            _ => None,
        }
    }

    /// Every id that `s` names (empty when unknown; several when two units share a spelling).
    pub(crate) fn ids(&self, s: &str) -> &[String] {
        self.map.get(s).map(Vec::as_slice).unwrap_or_default()
    }

    /// Every spelling known (ids, names, aliases), for the importer's longest-match scan.
    pub(crate) fn spellings(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// Resolve a located name, reporting an unknown one with a did-you-mean over ids, names and
    /// aliases.
    pub(super) fn resolve(&self, ctx: &mut Ctx, at: &Located<String>) -> Option<String> {
        self.resolve_or(ctx, at, None)
    }

    /// [`Names::resolve`] where one keyword is valid besides the names (`head` in
    /// `escalate_to`): the did-you-mean considers it, and the error says it exists.
    pub(super) fn resolve_or(
        &self,
        ctx: &mut Ctx,
        at: &Located<String>,
        keyword: Option<(&str, &str)>,
    ) -> Option<String> {
        if let Some(id) = self.get(&at.value) {
            return Some(id.to_string());
        }
        if let Some(ids) = self.map.get(&at.value).filter(|v| v.len() > 1) {
            ctx.error(
                at,
                format!(
                    "`{}` names more than one unit or group ({}); write the id",
                    at.value,
                    ids.join(", ")
                ),
            );
            return None;
        }
        let words = keyword.map(|(w, _)| w);
        let h = hint(&at.value, self.map.keys().map(String::as_str).chain(words));
        let or = keyword
            .map(|(w, what)| format!("; expected a unit or group, or `{w}` ({what})"))
            .unwrap_or_default();
        let vague = if is_vague(&at.value) {
            "; a vague list such as 各有关部门 goes under `units_text:` (kept as written, routed to settings.default_unit)"
        } else {
            ""
        };
        ctx.error(
            at,
            format!("unknown unit or group `{}`{h}{vague}{or}", at.value),
        );
        None
    }
}
