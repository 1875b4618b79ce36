//! The plan: areas, tasks (ids unique across files), responsible units, deadlines, rules.

use std::collections::{BTreeMap, BTreeSet};

use super::build::{Ctx, checkin, ladder};
use super::model::*;
use super::names::Names;
use super::parse;
use super::rule_attrs::*;
use crate::calendar::{Offset, Shift};
use crate::config::diag::Diagnostics;
use crate::config::raw::*;
use crate::config::{Located, RawConfig};

pub(super) fn plan(
    diags: &mut Diagnostics,
    raw: &RawConfig,
    settings: &Settings,
    names: &Names,
    events: &BTreeMap<String, NamedEvent>,
) -> (Vec<Area>, Vec<Task>) {
    let mut areas: Vec<Area> = Vec::new();
    let mut tasks = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for p in &raw.plans {
        let mut ctx = Ctx {
            file: p.file.clone(),
            diags,
        };
        let Some(area) = &p.area else { continue };
        if areas.iter().any(|a| a.number == area.number.value) {
            ctx.error(
                &area.number,
                format!(
                    "area {} is defined in more than one plan file",
                    area.number.value
                ),
            );
        }
        areas.push(Area {
            number: area.number.value,
            title: area.title.clone(),
        });
        for t in &p.tasks {
            let here = format!("{}:{}", p.file.display(), t.id.pos.line);
            if let Some(first) = seen.insert(t.id.value.clone(), here) {
                ctx.error(
                    &t.id,
                    format!(
                        "duplicate task id `{}` (first defined at {first})",
                        t.id.value
                    ),
                );
            }
            let refs = Refs { names, events };
            if let Some(task) = task(&mut ctx, t, area.number.value, settings, &refs) {
                tasks.push(task);
            }
        }
    }
    if raw.plans.is_empty() && !raw.plans_explained {
        diags.push(crate::config::Diagnostic::error(
            &raw.main_file,
            crate::config::Pos { line: 1, col: 1 },
            "settings.plan",
            "no plan files: set settings.plan to the plan directory",
        ));
    }
    areas.sort_by_key(|a| a.number);
    (areas, tasks)
}

/// What a task may refer to.
struct Refs<'a> {
    names: &'a Names,
    events: &'a BTreeMap<String, NamedEvent>,
}

fn task(ctx: &mut Ctx, t: &RawTask, area: u32, settings: &Settings, refs: &Refs) -> Option<Task> {
    let Refs { names, events } = *refs;
    let id_ok =
        t.id.value
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !id_ok {
        ctx.error(
            &t.id,
            format!(
                "task id `{}` is not valid: a task id is numbers separated by dots, as the \
                 source numbers its rows (`4`, `4.2`, `4.2.1`), and is quoted in YAML (\"4.2\"); \
                 letters such as `3b` are not allowed: number the row (`3.2`) and keep the \
                 source's marker in the title",
                t.id.value
            ),
        );
    }
    let units = super::responsible::units(ctx, t, settings, names);
    let todo = super::todo::marker(ctx, t);
    let dated = t.deadline.as_ref().filter(|d| d.value.date.is_some());
    let (mut deadline, mut deadline_shift) = match dated {
        Some(d) => (
            match d.value.date.as_deref().unwrap_or("ongoing") {
                "ongoing" | "长期坚持" => Deadline::Ongoing,
                s => Deadline::Date(
                    ctx.check(d, parse::date(s).map_err(|e| format!("{e}, or `ongoing`")))?,
                ),
            },
            shift(
                ctx,
                &d.value.shift.as_ref().map(|s| Located {
                    value: s.clone(),
                    pos: d.pos,
                    path: format!("{}.shift", d.path),
                }),
            ),
        ),
        None => (Deadline::Ongoing, Shift::Previous),
    };
    let mut checkin = match &t.checkin {
        Some(c) => ctx.check(c, checkin(&c.value)).unwrap_or(settings.checkin),
        None => settings.checkin,
    };
    let (task_ladder, _) = ladder_override(ctx, t.reminders.as_ref(), &settings.ladder, names);
    let rules = t
        .rules
        .iter()
        .filter_map(|r| rule(ctx, r, &task_ladder, names, events))
        .collect::<Vec<Rule>>();
    // A 完成时限 nobody has understood yet: no reminders at all until its rule is written.
    let rules = if todo.is_some() {
        checkin = Checkin::None;
        Vec::new()
    } else {
        rules
    };
    // A one-off dated task says its date (完成时限 6月30日, not 长期坚持): without `deadline:`, the
    // date of its only rule when that rule is `once`.
    if t.deadline.is_none()
        && let [
            Rule {
                form: RuleForm::Once { date },
                shift: s,
                ..
            },
        ] = rules.as_slice()
    {
        deadline = Deadline::Date(*date);
        deadline_shift = *s;
    }
    if let Deadline::Date(d) = deadline {
        overlap_warnings(ctx, t, d, &rules);
    }
    Some(Task {
        id: t.id.value.clone(),
        area,
        title: t.title.trim().to_string(),
        measures: t.measures.trim().to_string(),
        lead: units.leads.first().cloned().unwrap_or_default(),
        leads: units.leads,
        cooperating: units.cooperating,
        units_text: units.text,
        deadline,
        deadline_shift,
        checkin,
        rules,
        ladder: task_ladder,
        notes: t.notes.clone(),
        todo,
        source: format!("{}:{}", ctx.file.display(), t.id.pos.line),
    })
}

/// Apply a `reminders:` override (or `none`) on top of `base`.
fn ladder_override(
    ctx: &mut Ctx,
    r: Option<&Located<RawLadderOrNone>>,
    base: &Ladder,
    names: &Names,
) -> (Ladder, bool) {
    match r.map(|r| &r.value) {
        None => (base.clone(), false),
        Some(RawLadderOrNone::None) => (
            Ladder {
                push: false,
                ..base.clone()
            },
            true,
        ),
        Some(RawLadderOrNone::Ladder(l)) => (ladder(ctx, l, Some(base), names), true),
    }
}

fn shift(ctx: &mut Ctx, s: &Option<Located<String>>) -> Shift {
    match s.as_ref().map(|s| s.value.as_str()) {
        None | Some("previous") => Shift::Previous,
        Some("next") => Shift::Next,
        Some("none") => Shift::None,
        Some(other) => {
            if let Some(at) = s {
                ctx.error(
                    at,
                    format!("`{other}` is not a shift; expected none, previous or next"),
                );
            }
            Shift::Previous
        }
    }
}

pub(super) fn md(ctx: &mut Ctx, s: &Located<String>) -> Option<(i8, i8)> {
    ctx.check(s, parse::month_day(&s.value))
}

fn rule(
    ctx: &mut Ctx,
    r: &Located<RawRule>,
    base: &Ladder,
    names: &Names,
    events: &BTreeMap<String, NamedEvent>,
) -> Option<Rule> {
    // An activity at a time (a meeting at 10:00) is over once it happened: never overdue.
    let activity = matches!(&r.value, RawRule::Once(x) if x.at.is_some());
    macro_rules! common {
        ($x:expr) => {{
            let routine = $x.routine.as_ref();
            // A routine report is reminded once per period (on its due day) and escalated only
            // when that report is overdue; its own `reminders:` still override this.
            let base = match routine {
                Some(_) => routine_ladder(base),
                None if activity => Ladder {
                    overdue_every: None,
                    escalate_after: None,
                    ..base.clone()
                },
                None => base.clone(),
            };
            let (ladder, _) = ladder_override(ctx, $x.reminders.as_ref(), &base, names);
            (
                ladder,
                $x.label.clone(),
                shift(ctx, &$x.shift),
                routine.cloned(),
                $x.covers.clone(),
            )
        }};
    }
    let mut event_ref = |ctx: &mut Ctx, e: &Located<String>| -> bool {
        let known: BTreeSet<String> = events.keys().cloned().collect();
        ctx.reference(e, &known, "event")
    };
    let (form, (ladder, label, shift, routine, covers)) = match &r.value {
        RawRule::Once(x) => (
            RuleForm::Once {
                date: ctx.check(&x.date, parse::date(&x.date.value))?,
            },
            common!(x),
        ),
        RawRule::Yearly(x) => {
            let form = match (&x.date, &x.event) {
                (Some(d), None) => {
                    let (month, day) = md(ctx, d)?;
                    RuleForm::YearlyDate { month, day }
                }
                (None, Some(e)) => {
                    event_ref(ctx, e);
                    let offset = match &x.offset {
                        Some(o) => ctx.check(o, parse::offset_value(&o.value))?,
                        None => Offset::Days(0),
                    };
                    RuleForm::YearlyEvent {
                        event: e.value.clone(),
                        offset,
                    }
                }
                _ => {
                    ctx.error(r, "yearly needs exactly one of `date` or `event`");
                    return None;
                }
            };
            (form, common!(x))
        }
        RawRule::Campaign(x) => (
            super::campaign::campaign(ctx, r, x, &mut event_ref)?,
            common!(x),
        ),
        RawRule::EveryNYears(x) => {
            if x.years.value == 0 || x.years.value > 10 {
                ctx.error(&x.years, "years must be between 1 and 10");
            }
            let times = x.times.as_ref().map(|t| t.value).unwrap_or(1);
            if times == 0 {
                ctx.error(x.times.as_ref()?, "times must be at least 1");
            }
            let anchor = i16::try_from(x.anchor.value)
                .ok()
                .filter(|y| (2000..=2100).contains(y));
            let Some(anchor) = anchor else {
                ctx.error(&x.anchor, "anchor must be a year between 2000 and 2100");
                return None;
            };
            (
                RuleForm::EveryNYears {
                    years: x.years.value.max(1),
                    anchor,
                    due: md(ctx, &x.due)?,
                    times: times.max(1),
                },
                common!(x),
            )
        }
        RawRule::HalfYearly(x) => {
            let due = md(ctx, &x.due)?;
            if due.0 > 6 {
                ctx.error(&x.due, "half_yearly `due` is the first half's date (January–June); the second is six months later");
            }
            (RuleForm::HalfYearly { due }, common!(x))
        }
        RawRule::Quarterly(x) => {
            let due = match (&x.workdays_after_end, &x.day) {
                (Some(n), None) if (1..=60).contains(&n.value) => {
                    QuarterDue::WorkdaysAfterEnd(n.value)
                }
                (None, Some(d)) if (1..=28).contains(&d.value) => QuarterDue::Day(d.value as i8),
                (Some(n), None) => {
                    ctx.error(n, "workdays_after_end must be between 1 and 60");
                    return None;
                }
                (None, Some(d)) => {
                    ctx.error(
                        d,
                        "day must be between 1 and 28 (it must exist in every month)",
                    );
                    return None;
                }
                _ => {
                    ctx.error(
                        r,
                        "quarterly needs exactly one of `workdays_after_end` or `day`",
                    );
                    return None;
                }
            };
            (RuleForm::Quarterly { due }, common!(x))
        }
        RawRule::Monthly(x) => {
            let day = match &x.day.value {
                OffsetValue::Int(-1) => MonthDay::LastDay,
                OffsetValue::Int(d) if (1..=31).contains(d) => MonthDay::Day(*d as i8),
                OffsetValue::Text(s) if s == "last_workday" => MonthDay::LastWorkday,
                OffsetValue::Text(s) if s == "last_day" => MonthDay::LastDay,
                _ => {
                    ctx.error(
                        &x.day,
                        "day must be 1–31, -1 (last day), last_day or last_workday",
                    );
                    return None;
                }
            };
            if let MonthDay::Day(d) = day
                && d > 28
            {
                ctx.warning(
                    &x.day,
                    format!(
                        "day {d} does not exist in every month; shorter months use their last day"
                    ),
                );
            }
            (RuleForm::Monthly { day }, common!(x))
        }
        RawRule::Weekly(x) => (
            RuleForm::Weekly {
                weekday: ctx.check(&x.weekday, parse::weekday(&x.weekday.value))?,
            },
            common!(x),
        ),
        RawRule::Daily(x) => (
            RuleForm::Daily {
                workdays_only: x.workdays_only.unwrap_or(true),
            },
            common!(x),
        ),
        RawRule::BeforeHolidays(x) => {
            let names = match &x.holidays.value {
                OneOrMany::One(s) if s == "all" => Vec::new(),
                OneOrMany::One(s) => vec![s.clone()],
                OneOrMany::Many(v) => v.clone(),
            };
            for n in &names {
                if !NATIONAL_HOLIDAYS
                    .iter()
                    .any(|h| h.contains(n.as_str()) || n.contains(h))
                {
                    ctx.error(
                        &x.holidays,
                        format!(
                            "`{n}` is not a statutory holiday; expected `all` or some of: {}",
                            NATIONAL_HOLIDAYS.join(", ")
                        ),
                    );
                }
            }
            let before = match &x.before {
                Some(b) => ctx.check(b, parse::offset(&b.value))?,
                None => Offset::Workdays(1),
            };
            (RuleForm::BeforeHolidays { names, before }, common!(x))
        }
        RawRule::Cron(x) => {
            let expr = ctx.check(&x.expr, parse::cron(&x.expr.value))?;
            (
                RuleForm::Cron {
                    expr: Box::new(expr),
                },
                common!(x),
            )
        }
    };
    let routine = routine
        .map(|x| routine_list(ctx, &x, &form))
        .unwrap_or_default();
    let label = match label {
        None if !routine.is_empty() => Some(format!("报送{}落实情况", routine.join("、"))),
        l => l,
    };
    let covers_previous = covers.is_some_and(|c| covers_ok(ctx, &c, &form));
    let (since, until) = bounds(ctx, &r.value);
    let at = match &r.value {
        RawRule::Once(RawOnce { at: Some(a), .. }) => Some(ctx.check(a, activity_time(&a.value))?),
        _ => None,
    };
    Some(Rule {
        form,
        label,
        shift,
        ladder,
        routine,
        covers_previous,
        at,
        since,
        until,
    })
}
