//! `dutybell tasks [--unit ID] [--area N] [--json]`: the catalog as a table or JSON.

use clap::Args;
use serde_json::{Value, json};

use super::CliError;
use crate::catalog::{Catalog, Deadline, Role, Rule, RuleForm, Task};
use crate::loader::Loaded;

/// Arguments of `tasks`.
#[derive(Debug, Args)]
pub struct TasksArgs {
    /// Only tasks this unit leads or supports (groups included).
    #[arg(long)]
    pub unit: Option<String>,
    /// Only this area.
    #[arg(long)]
    pub area: Option<u32>,
    /// JSON: one object per task.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(l: &Loaded, a: &TasksArgs) -> Result<(), CliError> {
    let c = &l.catalog;
    if let Some(u) = &a.unit
        && c.unit(u).is_none()
    {
        let known = c.units.iter().map(|u| u.id.as_str());
        let hint = crate::config::diag::hint(u, known);
        return Err(CliError::Usage(format!("unknown unit `{u}`{hint}")));
    }
    let rows: Vec<(&Task, Option<Role>)> = c
        .tasks
        .iter()
        .filter(|t| a.area.is_none_or(|n| t.area == n))
        .filter_map(|t| match &a.unit {
            Some(u) => c.role_of(t, u).map(|r| (t, Some(r))),
            None => Some((t, None)),
        })
        .collect();
    if a.json {
        let v: Vec<Value> = rows.iter().map(|(t, r)| task_json(c, t, *r)).collect();
        let text = serde_json::to_string_pretty(&v).map_err(|e| CliError::Runtime(e.into()))?;
        println!("{text}");
    } else {
        print_table(c, &rows);
    }
    Ok(())
}

fn unit_ref(c: &Catalog, id: &str) -> Value {
    json!({ "id": id, "name": c.name_of(id) })
}

fn task_json(c: &Catalog, t: &Task, role: Option<Role>) -> Value {
    json!({
        "id": t.id,
        "area": t.area,
        "area_title": c.area_title(t.area),
        "title": t.title,
        "measures": t.measures,
        "lead": unit_ref(c, &t.lead),
        "cooperating": t.cooperating.iter().map(|u| unit_ref(c, u)).collect::<Vec<_>>(),
        "lead_units": c.lead_units(t).iter().map(|u| unit_ref(c, u)).collect::<Vec<_>>(),
        "cooperating_units": c.cooperating_units(t).iter().map(|u| unit_ref(c, u)).collect::<Vec<_>>(),
        "deadline": match t.deadline { Deadline::Ongoing => "ongoing".to_string(), Deadline::Date(d) => d.to_string() },
        "checkin": t.checkin,
        "rules": t.rules.iter().map(|r| json!({"summary": describe(c, r), "rule": r})).collect::<Vec<_>>(),
        "role": role,
        "notes": t.notes,
        "source": t.source,
    })
}

/// A one-line English description of a rule, with the event's Chinese name.
pub fn describe(c: &Catalog, r: &Rule) -> String {
    let ev = |e: &str| {
        c.events
            .get(e)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| e.to_string())
    };
    let s = match &r.form {
        RuleForm::Once { date } => format!("once on {date}"),
        RuleForm::YearlyDate { month, day } => format!("yearly on {month:02}-{day:02}"),
        RuleForm::YearlyEvent { event, offset } => format!("yearly at {} {offset:+}", ev(event))
            .replace("+0d", "")
            .trim_end()
            .to_string(),
        RuleForm::CampaignEvent {
            event,
            opens,
            closes,
        } => format!("campaign {} {opens} .. {closes}", ev(event)),
        RuleForm::CampaignFixed { from, to } => format!(
            "campaign {:02}-{:02} .. {:02}-{:02}",
            from.0, from.1, to.0, to.1
        ),
        RuleForm::EveryNYears {
            years,
            anchor,
            due,
            times,
        } => format!(
            "at least {times}× every {years} years from {anchor}, due {:02}-{:02}",
            due.0, due.1
        ),
        RuleForm::HalfYearly { due } => format!("half-yearly, due {:02}-{:02}", due.0, due.1),
        RuleForm::Quarterly { due } => format!("quarterly, {due:?}"),
        RuleForm::Monthly { day } => format!("monthly, {day:?}"),
        RuleForm::Weekly { weekday } => format!("weekly on {weekday:?}"),
        RuleForm::Daily { workdays_only } => format!(
            "daily{}",
            if *workdays_only {
                " (working days)"
            } else {
                ""
            }
        ),
        RuleForm::Cron { expr } => format!("cron `{expr}`"),
        RuleForm::After { step, within } => {
            format!("{within} after step `{step}` is reported done")
        }
        RuleForm::During { event, every } => format!("every {every} while `{event}` is declared"),
        RuleForm::BeforeHolidays { names, before } => {
            format!("{before} before holidays {names:?}")
        }
    };
    let label = r
        .label
        .as_ref()
        .map(|l| format!(" 「{l}」"))
        .unwrap_or_default();
    let push = if r.ladder.push { "" } else { " [digest only]" };
    format!("{s}{label}{push}")
}

fn print_table(c: &Catalog, rows: &[(&Task, Option<Role>)]) {
    let mut area = 0;
    for (t, role) in rows {
        if t.area != area {
            area = t.area;
            println!("\n({area}) {}", c.area_title(area));
        }
        let role = match role {
            Some(Role::Lead) => "[牵头] ",
            Some(Role::Cooperating) => "[配合] ",
            None => "",
        };
        let coop: Vec<&str> = t.cooperating.iter().map(|u| c.name_of(u)).collect();
        let deadline = match t.deadline {
            Deadline::Ongoing => "长期坚持".to_string(),
            Deadline::Date(d) => d.to_string(),
        };
        println!("  {:<5} {role}{}", t.id, shorten(&t.title, 60));
        println!(
            "        lead: {}  cooperating: {}  deadline: {deadline}",
            t.leads
                .iter()
                .map(|l| c.name_of(l))
                .collect::<Vec<_>>()
                .join("、"),
            if coop.is_empty() {
                "—".into()
            } else {
                coop.join("、")
            }
        );
        for r in &t.rules {
            println!("        rule: {}", describe(c, r));
        }
    }
    println!("\n{} task(s)", rows.len());
}

fn shorten(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}
