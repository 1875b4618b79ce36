//! Rule forms that depend on what happens at run time: steps that follow another step of the task
//! once it is reported done (`after:`), and duties repeated while an event the office declares is
//! under way (`during:`), plus the checks that tie them together within a task (step names
//! unique and known, no step following itself) and the declared events of `events:`.
//!
//! May touch: nothing (validation only). The run-time facts (which step was reported done on
//! which day, which event windows are open) come from the store through `service::events`.

use std::collections::{BTreeMap, BTreeSet};

use super::build::Ctx;
use super::model::{NamedEvent, RuleForm};
use super::parse;
use crate::calendar::Offset;
use crate::config::Located;
use crate::config::raw::{RawAfter, RawDuring, RawEvent, RawRule, RawTask};

/// `after: {step, within}`: the step's name is checked by [`check_steps`] (it needs the task's
/// other rules); `within` must be a positive offset.
pub(super) fn after(ctx: &mut Ctx, x: &RawAfter) -> Option<RuleForm> {
    let within = ctx.check(&x.within, parse::offset(&x.within.value))?;
    if !positive(within) {
        ctx.error(
            &x.within,
            format!(
                "`within: {}` must be after the report: a positive offset such as `10wd` or `7d`",
                x.within.value
            ),
        );
        return None;
    }
    Some(RuleForm::After {
        step: x.step.value.clone(),
        within,
    })
}

/// `during: {event, every}`: the event must be a declared one; `every` defaults to every day.
pub(super) fn during(
    ctx: &mut Ctx,
    x: &RawDuring,
    events: &BTreeMap<String, NamedEvent>,
) -> Option<RuleForm> {
    let declared: BTreeSet<String> = events
        .values()
        .filter(|e| e.declared)
        .map(|e| e.id.clone())
        .collect();
    if events.get(&x.event.value).is_some_and(|e| !e.declared) {
        ctx.error(
            &x.event,
            format!(
                "event `{}` has dates in the config; `during:` needs an event the office declares \
                 (`declared: true` under events, started with `dutybell event start`)",
                x.event.value
            ),
        );
        return None;
    }
    if !ctx.reference(&x.event, &declared, "declared event") {
        return None;
    }
    let every = match &x.every {
        Some(e) => ctx.check(e, parse::offset(&e.value))?,
        None => Offset::Days(1),
    };
    if !positive(every) {
        if let Some(e) = &x.every {
            ctx.error(e, "`every` must be at least `1d` or `1wd`");
        }
        return None;
    }
    Some(RuleForm::During {
        event: x.event.value.clone(),
        every,
    })
}

fn positive(o: Offset) -> bool {
    match o {
        Offset::Days(n) | Offset::Workdays(n) => n > 0,
    }
}

/// A declared event has no dates: its windows are declared at run time.
pub(super) fn declared_event_check(ctx: &mut Ctx, id: &Located<String>, ev: &RawEvent) {
    if ev.default.is_some() || !ev.dates.is_empty() {
        ctx.error(
            id,
            format!(
                "event `{}` is `declared: true` and also has `default`/`dates`; a declared event \
                 happens when the office starts it (`dutybell event start {}`), so drop the dates",
                id.value, id.value
            ),
        );
    }
}

/// The name of a raw rule, if it has one.
fn rule_name(r: &RawRule) -> Option<&Located<String>> {
    match r {
        RawRule::Once(x) => x.name.as_ref(),
        RawRule::Yearly(x) => x.name.as_ref(),
        RawRule::Campaign(x) => x.name.as_ref(),
        RawRule::EveryNYears(x) => x.name.as_ref(),
        RawRule::HalfYearly(x) => x.name.as_ref(),
        RawRule::Quarterly(x) => x.name.as_ref(),
        RawRule::Monthly(x) => x.name.as_ref(),
        RawRule::Weekly(x) => x.name.as_ref(),
        RawRule::Daily(x) => x.name.as_ref(),
        RawRule::Cron(x) => x.name.as_ref(),
        RawRule::BeforeHolidays(x) => x.name.as_ref(),
        RawRule::After(x) => x.name.as_ref(),
        RawRule::During(x) => x.name.as_ref(),
    }
}

/// The name of the `i`th raw rule of `t` (what the validated [`super::model::Rule::name`] holds).
pub(super) fn name_of(r: &RawRule) -> Option<String> {
    rule_name(r).map(|n| n.value.trim().to_owned())
}

/// Task-level checks of step names: unique within the task, every `after: {step}` names another
/// rule of the task, no chain of steps loops back on itself, and `yearly`/`campaign` never use a
/// declared event (it has no date to count from).
pub(super) fn check_steps(ctx: &mut Ctx, t: &RawTask, events: &BTreeMap<String, NamedEvent>) {
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in t.rules.iter().enumerate() {
        let Some(n) = rule_name(&r.value) else {
            continue;
        };
        if n.value.trim().is_empty() {
            ctx.error(n, "a step name cannot be empty");
        } else if let Some(j) = names.insert(n.value.trim().to_owned(), i) {
            ctx.error(
                n,
                format!(
                    "step name `{}` is used by rules[{j}] already; names are unique in a task",
                    n.value
                ),
            );
        }
    }
    let known: BTreeSet<String> = names.keys().cloned().collect();
    // Which step each `after` rule follows, to find loops (a → b → a).
    let mut follows: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, r) in t.rules.iter().enumerate() {
        match &r.value {
            RawRule::After(x) => {
                if !ctx.reference(&x.step, &known, "step (the `name:` of a rule of this task)") {
                    continue;
                }
                if let Some(&j) = names.get(x.step.value.trim()) {
                    follows.insert(i, j);
                }
            }
            RawRule::Yearly(x) => declared_misuse(ctx, x.event.as_ref(), events),
            RawRule::Campaign(x) => declared_misuse(ctx, x.event.as_ref(), events),
            _ => {}
        }
    }
    for (&start, _) in follows.iter() {
        let mut seen = BTreeSet::from([start]);
        let mut at = start;
        while let Some(&next) = follows.get(&at) {
            // A loop through other rules is reported at each of its own members.
            if next == start
                && let RawRule::After(x) = &t.rules[start].value
            {
                ctx.error(
                    &x.step,
                    format!(
                        "rules[{start}] follows step `{}`, which (through its own `after:`) \
                             follows rules[{start}]: a chain of steps cannot loop",
                        x.step.value
                    ),
                );
                break;
            }
            if !seen.insert(next) {
                break;
            }
            at = next;
        }
    }
}

fn declared_misuse(
    ctx: &mut Ctx,
    e: Option<&Located<String>>,
    events: &BTreeMap<String, NamedEvent>,
) {
    if let Some(e) = e
        && events.get(&e.value).is_some_and(|ev| ev.declared)
    {
        ctx.error(
            e,
            format!(
                "event `{}` is declared by the office and has no date to count from; use \
                 `during: {{event: {}}}` for duties while it is under way",
                e.value, e.value
            ),
        );
    }
}
