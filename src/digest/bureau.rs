//! The bureau-wide digest (局领导的督办周报, `scope: bureau`): one digest over every task of the
//! plan for the leaders, not a unit's own list. It leads with the counts by colour, then
//! 本周需关注 across units, the counts by area and by lead unit, the bureau's own overdue tasks
//! with their lead unit and last progress, and, apart, the overdue tasks that other county
//! bureaus or the townships lead (协调 items: the leaders coordinate them, they do not order).
//!
//! Pure: the same lists as a unit's digest ([`super::lists`]) over all tasks. May touch: nothing.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::content::{DigestItem, DigestUnit, DigestView};
use super::lists::{Lists, Roles, build_lists};
use crate::calendar::WorkCalendar;
use crate::catalog::{Catalog, Role};
use crate::schedule::Plan;
use crate::schedule::route::led_from_outside;

/// How many overdue tasks 本周需关注 names in the bureau digest.
const FOCUS_RED: usize = 5;
/// How many tasks due this week 本周需关注 names after them.
const FOCUS_YELLOW: usize = 3;

/// One line of the tables by area or by lead unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountLine {
    /// The area (`（一）加强食用农产品质量安全监管`) or the unit (`食品室`).
    pub name: String,
    /// Overdue tasks.
    pub red: usize,
    /// Tasks due within the look-ahead or campaigns under way.
    pub yellow: usize,
}

/// The numbers at the top of the bureau digest: the bureau's own tasks, and apart the tasks
/// other county bureaus or the townships lead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BureauCounts {
    /// The bureau's own overdue tasks.
    pub red: usize,
    /// The bureau's own tasks due soon or under way.
    pub yellow: usize,
    /// Campaigns opening within the look-ahead.
    pub opening: usize,
    /// The bureau's own listed tasks with no progress since their period began.
    pub unreported: usize,
    /// Progress notes recorded last week, on any task.
    pub progress: usize,
    /// Overdue tasks led by other county bureaus or the townships (协调).
    pub coordination: usize,
}

/// Everything the bureau digest says: the template context of `digest_bureau.*` (see
/// docs/DIGEST.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BureauContent {
    /// ISO week key, `2026-W37`.
    pub week: String,
    /// `2026年第37周`.
    pub week_label: String,
    /// Monday of the week (zh date).
    pub week_start: String,
    /// Sunday of the week (zh date).
    pub week_end: String,
    /// The day the digest is taken as of (zh date).
    pub as_of: String,
    /// Last week as `9月1日至9月7日`.
    pub last_week: String,
    /// Who reads it (the 局领导 unit, or a head named by keyword).
    pub unit: DigestUnit,
    /// Counts.
    pub counts: BureauCounts,
    /// 本周需关注: the most overdue of the bureau's tasks and what falls due by Sunday, each with
    /// its lead unit.
    pub focus: Vec<String>,
    /// Areas (领域) with red or yellow tasks, in plan order.
    pub areas: Vec<CountLine>,
    /// Lead units with red or yellow tasks, most red first.
    pub units: Vec<CountLine>,
    /// The bureau's own overdue tasks (lead unit, status, last progress), most overdue first.
    pub red: Vec<DigestItem>,
    /// Overdue tasks led by other county bureaus or the townships: 协调 items.
    pub coordination: Vec<DigestItem>,
    /// Nothing overdue, due or opening anywhere, and no progress last week.
    pub all_clear: bool,
    /// `settings.progress_url`, or empty.
    pub progress_url: String,
}

/// Builds the bureau digest read by `reader` for the ISO week containing `week_monday`, as of
/// `at`, over every task of the plan (see [`super::build_digest`] for `plan` and `view`).
pub fn build_bureau(
    cat: &Catalog,
    cal: &WorkCalendar,
    plan: &Plan,
    view: &DigestView,
    reader: &str,
    week_monday: Date,
    at: Timestamp,
) -> BureauContent {
    let roles: Roles<'_> = cat
        .tasks
        .iter()
        .map(|t| (t.id.as_str(), (t, Role::Lead)))
        .collect();
    let (lists, dates) = build_lists(cat, cal, plan, view, &roles, week_monday, at);
    let outside = |i: &DigestItem| {
        cat.task(&i.task_id)
            .is_some_and(|t| led_from_outside(cat, &cat.lead_units(t)))
    };
    let all_clear = lists.is_empty();
    let Lists {
        red,
        yellow,
        opening,
        silent,
        progress,
    } = lists;
    let (coordination, red): (Vec<_>, Vec<_>) = red.into_iter().partition(|i| outside(i));
    let yellow: Vec<DigestItem> = yellow.into_iter().filter(|i| !outside(i)).collect();
    let silent: Vec<DigestItem> = silent.into_iter().filter(|i| !outside(i)).collect();
    let own = Lists {
        red,
        yellow,
        opening: Vec::new(),
        silent,
        progress: Vec::new(),
    };
    let counts = BureauCounts {
        red: own.red.len(),
        yellow: own.yellow.len(),
        opening: opening.len(),
        unreported: own.unreported(),
        progress: progress.len(),
        coordination: coordination.len(),
    };
    BureauContent {
        week: dates.week.clone(),
        week_label: dates.week_label.clone(),
        week_start: dates.week_start.clone(),
        week_end: dates.week_end.clone(),
        as_of: dates.as_of.clone(),
        last_week: dates.last_week.clone(),
        unit: DigestUnit::of(cat, reader),
        counts,
        focus: focus(&own, dates.sunday()),
        areas: by_area(cat, &own),
        units: by_unit(cat, &own),
        red: own.red,
        coordination,
        all_clear,
        progress_url: cat.settings.progress_url.clone().unwrap_or_default(),
    }
}

/// 本周需关注 for the leaders: the [`FOCUS_RED`] most overdue tasks, then up to [`FOCUS_YELLOW`]
/// falling due by `sunday`, each naming its lead unit (the leader urges a unit, not a task).
fn focus(own: &Lists, sunday: Date) -> Vec<String> {
    let line = |tag: &str, i: &DigestItem| {
        format!(
            "【{tag}】{} {}（{}）：{}",
            i.task_id, i.title, i.lead_names, i.status
        )
    };
    let mut out: Vec<String> = own
        .red
        .iter()
        .take(FOCUS_RED)
        .map(|i| line("红", i))
        .collect();
    out.extend(
        own.yellow
            .iter()
            .filter(|i| i.due_date.is_some_and(|d| d <= sunday))
            .take(FOCUS_YELLOW)
            .map(|i| line("黄", i)),
    );
    out
}

/// Red and yellow counts per area, in plan order, areas with neither left out.
fn by_area(cat: &Catalog, own: &Lists) -> Vec<CountLine> {
    let mut out = Vec::new();
    for a in &cat.areas {
        let of = |list: &[DigestItem]| {
            list.iter()
                .filter(|i| cat.task(&i.task_id).is_some_and(|t| t.area == a.number))
                .count()
        };
        let (red, yellow) = (of(&own.red), of(&own.yellow));
        if red + yellow > 0 {
            out.push(CountLine {
                name: format!("（{}）{}", numeral(a.number), a.title),
                red,
                yellow,
            });
        }
    }
    out
}

/// Red and yellow counts per lead unit (a task led by several counts for each), most red first,
/// then most yellow, then the config's order.
fn by_unit(cat: &Catalog, own: &Lists) -> Vec<CountLine> {
    let mut out: Vec<CountLine> = Vec::new();
    let mut add = |unit: &str, red: usize, yellow: usize| {
        let name = cat.name_of(unit).to_owned();
        match out.iter_mut().find(|l| l.name == name) {
            Some(l) => {
                l.red += red;
                l.yellow += yellow;
            }
            None => out.push(CountLine { name, red, yellow }),
        }
    };
    for (list, red) in [(&own.red, true), (&own.yellow, false)] {
        for i in list {
            let Some(task) = cat.task(&i.task_id) else {
                continue;
            };
            for u in cat.lead_units(task) {
                add(&u, usize::from(red), usize::from(!red));
            }
        }
    }
    let order = |name: &str| cat.units.iter().position(|u| u.name == name);
    out.sort_by(|a, b| {
        (b.red, b.yellow)
            .cmp(&(a.red, a.yellow))
            .then_with(|| order(&a.name).cmp(&order(&b.name)))
    });
    out
}

/// `4` → `四`: the plan numbers its areas 一、二、… (up to 99).
fn numeral(n: u32) -> String {
    const D: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        20..=99 if n.is_multiple_of(10) => format!("{}十", D[(n / 10) as usize]),
        20..=99 => format!("{}十{}", D[(n / 10) as usize], D[(n % 10) as usize]),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::numeral;

    #[test]
    fn areas_are_numbered_as_the_plan_writes_them() {
        let got: Vec<String> = [1, 4, 10, 12, 20, 35].into_iter().map(numeral).collect();
        assert_eq!(got, ["一", "四", "十", "十二", "二十", "三十五"]);
    }
}
