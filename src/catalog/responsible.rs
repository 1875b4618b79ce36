//! The responsible units of one task (责任单位) as the row writes them: one lead or several
//! co-leads, cooperating units in the source's order, rows without a lead (无牵头单位的，责任单位
//! 即为牵头单位), rows without any unit and vague lists (各有关部门, "…等") tracked by the office
//! (`settings.default_unit`).

use super::build::Ctx;
use super::model::Settings;
use super::names::Names;
use crate::config::Located;
use crate::config::raw::{OneOrMany, RawTask};

/// Resolved responsible units of a task.
pub(super) struct Units {
    /// Lead ids, first named first (never empty when the build succeeds).
    pub leads: Vec<String>,
    /// Cooperating ids in the source's order, leads excluded.
    pub cooperating: Vec<String>,
    /// `units_text` as written.
    pub text: Option<String>,
}

/// Resolve `lead`, `units`, `cooperating` and `units_text` of `t`.
pub(super) fn units(ctx: &mut Ctx, t: &RawTask, settings: &Settings, names: &Names) -> Units {
    let mut leads: Vec<String> = Vec::new();
    let push = |v: &mut Vec<String>, id: String| {
        if !v.contains(&id) {
            v.push(id);
        }
    };
    if let Some(l) = &t.lead {
        let written: Vec<String> = match &l.value {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        };
        if written.is_empty() {
            ctx.error(
                l,
                "`lead: []` names no unit; leave `lead` out when the row names none",
            );
        }
        for (i, w) in written.into_iter().enumerate() {
            let path = match &l.value {
                OneOrMany::One(_) => l.path.clone(),
                OneOrMany::Many(_) => format!("{}[{i}]", l.path),
            };
            let at = Located {
                value: w,
                pos: l.pos,
                path,
            };
            if let Some(id) = names.resolve(ctx, &at) {
                push(&mut leads, id);
            }
        }
        if let Some(u) = t.units.first() {
            ctx.error(
                u,
                "`units` is for a row that names no lead (all its units lead); with `lead`, list \
                 the other units under `cooperating`",
            );
        }
    } else {
        // 无牵头单位的，责任单位即为牵头单位: every unit of the row leads.
        for u in &t.units {
            if let Some(id) = names.resolve(ctx, u) {
                push(&mut leads, id);
            }
        }
    }
    let mut cooperating = Vec::new();
    for c in &t.cooperating {
        let Some(id) = names.resolve(ctx, c) else {
            continue;
        };
        if leads.contains(&id) {
            ctx.warning(c, format!("`{}` is already a lead", c.value));
        } else {
            push(&mut cooperating, id);
        }
    }
    let text = t.units_text.as_ref().map(|x| x.value.trim().to_string());
    let named_lead = !leads.is_empty();
    match (&settings.default_unit, &t.units_text) {
        (Some(d), Some(x)) => {
            let role = if named_lead { "cooperating" } else { "lead" };
            ctx.warning(
                x,
                format!(
                    "`{}` does not name its units; kept as written and routed to the default \
                     unit `{d}` ({role}) until the office names them",
                    x.value
                ),
            );
            if named_lead {
                if !leads.contains(d) {
                    push(&mut cooperating, d.clone());
                }
            } else {
                leads.push(d.clone());
            }
        }
        (Some(d), None) if !named_lead && !t.cooperating.is_empty() => {
            ctx.error(
                &t.cooperating[0],
                format!(
                    "this row has cooperating units but no lead; name the lead with `lead:`, or \
                     list every responsible unit under `units:` (all lead); the default unit \
                     `{d}` is only for rows that name no unit"
                ),
            );
        }
        (Some(d), None) if !named_lead => {
            // A row with no unit at all is tracked by the office.
            leads.push(d.clone());
        }
        (None, _) if !named_lead => {
            ctx.error(
                &t.id,
                "this task names no responsible unit: give `lead:` or `units:`, or set \
                 settings.default_unit (the office that tracks rows without a unit)",
            );
        }
        (None, Some(x)) => {
            ctx.error(
                x,
                "`units_text` is routed to settings.default_unit, which is not set",
            );
        }
        _ => {}
    }
    Units {
        leads,
        cooperating,
        text,
    }
}
