//! What plan-diff compares about a task (units by Chinese name, so a plan written with ids equals
//! one written with names; rules as one line each; the next due dates from the planner), and the
//! text rendering of a [`PlanDiff`].

use std::fmt::Write as _;

use jiff::civil::Date;

use super::diff::{DeadlineView, PlanDiff, TaskRef, UnitsView};
use crate::catalog::{Deadline, MonthDay, QuarterDue, Rule, RuleForm};
use crate::loader::Loaded;

/// One task as plan-diff sees it.
#[derive(Debug, Clone)]
pub struct TaskView {
    /// Id.
    pub id: String,
    /// Area number.
    pub area: u32,
    /// Title.
    pub title: String,
    /// Measures.
    pub measures: String,
    /// Units by name.
    pub units: UnitsView,
    /// Deadline, rules, next dates.
    pub deadline: DeadlineView,
}

impl TaskView {
    /// The short reference.
    pub fn r(&self) -> TaskRef {
        TaskRef {
            id: self.id.clone(),
            area: self.area,
            title: self.title.clone(),
        }
    }
}

/// Every task of a loaded plan, with the next three due dates on or after `today`.
pub fn view(l: &Loaded, today: Date) -> Vec<TaskView> {
    let c = &l.catalog;
    let to = today.saturating_add(jiff::Span::new().years(3));
    let plan = crate::schedule::plan(c, &l.calendar, today, to);
    c.tasks
        .iter()
        .map(|t| {
            let mut next: Vec<Date> = plan
                .occurrences
                .iter()
                .filter(|o| o.task_id == t.id && o.due >= today)
                .map(|o| o.due)
                .collect();
            next.sort();
            next.dedup();
            next.truncate(3);
            let names = |ids: &[String]| ids.iter().map(|i| c.name_of(i).to_string()).collect();
            let leads = if t.leads.is_empty() {
                vec![t.lead.clone()]
            } else {
                t.leads.clone()
            };
            TaskView {
                id: t.id.clone(),
                area: t.area,
                title: t.title.clone(),
                measures: t.measures.clone(),
                units: UnitsView {
                    lead: names(&leads),
                    cooperating: names(&t.cooperating),
                    units_text: t.units_text.clone(),
                },
                deadline: DeadlineView {
                    deadline: match (&t.todo, t.deadline) {
                        (Some(p), _) => format!("TODO: {p}"),
                        (None, Deadline::Ongoing) => "ongoing".into(),
                        (None, Deadline::Date(d)) => d.to_string(),
                    },
                    rules: t.rules.iter().map(rule_line).collect(),
                    next: next.iter().map(Date::to_string).collect(),
                },
            }
        })
        .collect()
}

fn md((m, d): (i8, i8)) -> String {
    format!("{m:02}-{d:02}")
}

/// A rule as one line in the plan file's own words (`monthly: day 28, covers previous period`).
pub fn rule_line(r: &Rule) -> String {
    let form = match &r.form {
        RuleForm::Once { date } => format!("once: {date}"),
        RuleForm::YearlyDate { month, day } => format!("yearly: {}", md((*month, *day))),
        RuleForm::YearlyEvent { event, offset } => format!("yearly: {event} {offset}"),
        RuleForm::CampaignEvent {
            event,
            opens,
            closes,
        } => format!("campaign: {event} {opens} .. {closes}"),
        RuleForm::CampaignFixed { from, to } => format!("campaign: {} .. {}", md(*from), md(*to)),
        RuleForm::EveryNYears {
            years,
            anchor,
            due,
            times,
        } => format!(
            "every_n_years: {years} from {anchor}, due {}, {times} time(s)",
            md(*due)
        ),
        RuleForm::HalfYearly { due } => format!("half_yearly: {}", md(*due)),
        RuleForm::Quarterly { due } => match due {
            QuarterDue::WorkdaysAfterEnd(n) => format!("quarterly: {n} working days after the end"),
            QuarterDue::Day(d) => format!("quarterly: day {d} of the next month"),
        },
        RuleForm::Monthly { day } => match day {
            MonthDay::Day(d) => format!("monthly: day {d}"),
            MonthDay::LastDay => "monthly: last day".into(),
            MonthDay::LastWorkday => "monthly: last working day".into(),
        },
        RuleForm::Weekly { weekday } => format!("weekly: {weekday:?}").to_lowercase(),
        RuleForm::Daily { workdays_only } => {
            format!(
                "daily{}",
                if *workdays_only { ": working days" } else { "" }
            )
        }
        RuleForm::BeforeHolidays { names, before } => {
            let which = if names.is_empty() {
                "all".to_string()
            } else {
                names.join("、")
            };
            format!("before_holidays: {which}, {before} before")
        }
        RuleForm::Cron { expr } => format!("cron: {expr:?}"),
    };
    let mut extra = Vec::new();
    if let Some(l) = &r.label {
        extra.push(format!("label {l}"));
    }
    if let Some(a) = &r.at {
        extra.push(format!("at {a}"));
    }
    if r.covers_previous {
        extra.push("covers the previous period".into());
    }
    if !r.routine.is_empty() {
        extra.push(format!("routine {}", r.routine.join("、")));
    }
    if let Some(s) = r.since {
        extra.push(format!("since {s}"));
    }
    if let Some(u) = r.until {
        extra.push(format!("until {u}"));
    }
    if extra.is_empty() {
        form
    } else {
        format!("{form} ({})", extra.join(", "))
    }
}

fn units_line(u: &UnitsView) -> String {
    let mut s = format!("lead {}", u.lead.join("、"));
    if !u.cooperating.is_empty() {
        let _ = write!(s, "; cooperating {}", u.cooperating.join("、"));
    }
    if let Some(t) = &u.units_text {
        let _ = write!(s, "; as written {t}");
    }
    s
}

fn deadline_line(d: &DeadlineView) -> String {
    let rules = if d.rules.is_empty() {
        "no rules".to_string()
    } else {
        d.rules.join("; ")
    };
    let next = if d.next.is_empty() {
        "none".to_string()
    } else {
        d.next.join(", ")
    };
    format!("{}; {rules}; next: {next}", d.deadline)
}

/// The text rendering.
pub fn text(d: &PlanDiff) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "plan-diff {} -> {}", d.old, d.new);
    if d.equal {
        let _ = writeln!(o, "equal: no differences");
        return o;
    }
    let head = |o: &mut String, title: &str, n: usize| {
        if n > 0 {
            let _ = writeln!(o, "\n{title} ({n}):");
        }
    };
    head(&mut o, "areas", d.areas.len());
    for a in &d.areas {
        let _ = writeln!(
            o,
            "  area {}: {} -> {}",
            a.number,
            a.old.as_deref().unwrap_or("(none)"),
            a.new.as_deref().unwrap_or("(none)")
        );
    }
    head(&mut o, "added", d.added.len());
    for t in &d.added {
        let _ = writeln!(o, "  + {} [area {}] {}", t.id, t.area, t.title);
    }
    head(&mut o, "removed", d.removed.len());
    for t in &d.removed {
        let _ = writeln!(o, "  - {} [area {}] {}", t.id, t.area, t.title);
    }
    head(&mut o, "moved", d.moved.len());
    for m in &d.moved {
        let _ = writeln!(
            o,
            "  ~ {} [area {}] -> {} [area {}] {} (similarity {:.2})",
            m.old.id, m.old.area, m.new.id, m.new.area, m.new.title, m.similarity
        );
    }
    head(&mut o, "reworded", d.reworded.len());
    for r in &d.reworded {
        let _ = writeln!(o, "  * {} {}: {}", r.id, r.field, r.diff);
    }
    head(&mut o, "units changed", d.units.len());
    for u in &d.units {
        let _ = writeln!(
            o,
            "  * {}: {}\n      -> {}",
            u.id,
            units_line(&u.old),
            units_line(&u.new)
        );
    }
    head(&mut o, "deadlines changed", d.deadlines.len());
    for x in &d.deadlines {
        let _ = writeln!(
            o,
            "  * {}: {}\n      -> {}",
            x.id,
            deadline_line(&x.old),
            deadline_line(&x.new)
        );
    }
    let _ = writeln!(o, "\n{} difference(s)", d.count());
    o
}
