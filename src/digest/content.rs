//! What a digest says: for one unit and one week, its overdue (红) and due-soon or running (黄)
//! occurrences, campaigns opening soon, ongoing tasks with no progress reported this period, and
//! last week's progress notes, with lead (牵头) and supporting (配合) distinguished.
//!
//! Pure: the plan gives the occurrences' shape, the [`DigestView`] (loaded from the store) their
//! status and the notes. Everything is taken "as of" one instant (the digest's due instant), so
//! building the same week again later yields the same digest. May touch: nothing.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::classify::AsOf;
use super::week::{add_days, iso_week_key, week_label};
use crate::calendar::WorkCalendar;
use crate::catalog::{Catalog, Role, Task};
use crate::export::date_zh;
use crate::render::context::{period_label, short_title, zh_date};
use crate::schedule::{Occurrence, Plan};
use crate::store::ProgressNote;

/// What a digest needs from the store: every stored occurrence (with its status) and the notes
/// of the catalog's tasks. The same plain data as the exports read (`export::load_view`).
pub use crate::export::StoreView as DigestView;

/// How far ahead 黄 (due soon) and 即将启动 (opening soon) look, in calendar days.
pub const AHEAD_DAYS: i64 = 14;

/// One task line of a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestItem {
    /// Task id, e.g. `4.2`.
    pub task_id: String,
    /// Short title (rule label or the title's first clause).
    pub title: String,
    /// `lead` or `cooperating`.
    pub role: String,
    /// `牵头` or `配合`.
    pub role_zh: String,
    /// The lead units' names (shown to supporting units).
    pub lead_names: String,
    /// Occurrence key.
    pub occurrence: String,
    /// Period label, e.g. `2026年秋季开学`.
    pub period_label: String,
    /// Due date, zh (`2026年9月30日（周三）`).
    pub due: String,
    /// What the date means as of the digest, e.g. `已逾期 5 个工作日（…截止）`.
    pub status: String,
    /// How many further open periods of the task are listed beneath ([`Self::others`]).
    pub more: usize,
    /// The task's other open periods, one line each (`2026年第3季度进展报送：…截止`): a task
    /// appears once in a digest, its open occurrences beneath it (issue 12).
    pub others: Vec<String>,
    /// No progress reported on the task since this period began.
    pub unreported: bool,
    /// The last progress reported on the task, with its date (`9月3日 张三：已完成…`), or empty.
    pub last_progress: String,
    /// The task: its periods collapse into one line.
    #[serde(skip)]
    pub(crate) group: (String, Option<usize>),
    /// Due date, for ordering.
    #[serde(skip)]
    pub(crate) due_date: Option<Date>,
}

/// One progress note of last week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteItem {
    /// Task id.
    pub task_id: String,
    /// Short title.
    pub title: String,
    /// `牵头` or `配合`.
    pub role_zh: String,
    /// Local date, `9月3日`.
    pub date: String,
    /// Who reported.
    pub by: String,
    /// The note.
    pub note: String,
    /// The note completed its occurrence.
    pub done: bool,
}

/// The numbers at the top of a digest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DigestCounts {
    /// 红: overdue.
    pub red: usize,
    /// 黄: due within [`AHEAD_DAYS`] or a campaign under way.
    pub yellow: usize,
    /// Campaigns opening within [`AHEAD_DAYS`].
    pub opening: usize,
    /// Ongoing tasks with no progress reported this period.
    pub silent: usize,
    /// Listed tasks (红, 黄, 本期未报) with no progress reported since their period began.
    pub unreported: usize,
    /// Progress notes recorded last week.
    pub progress: usize,
}

/// A unit and its head as the digest names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestUnit {
    /// Unit id.
    pub id: String,
    /// Unit name, e.g. `餐饮室`.
    pub name: String,
    /// Head's name (empty when the unit has none).
    pub head_name: String,
}

/// Everything one digest says: the template context of `digest.*` (see docs/DIGEST.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestContent {
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
    /// The unit.
    pub unit: DigestUnit,
    /// Counts.
    pub counts: DigestCounts,
    /// 红.
    pub red: Vec<DigestItem>,
    /// 黄.
    pub yellow: Vec<DigestItem>,
    /// Opening soon.
    pub opening: Vec<DigestItem>,
    /// No progress this period.
    pub silent: Vec<DigestItem>,
    /// Last week's notes.
    pub progress: Vec<NoteItem>,
    /// 本周需关注: the most overdue and what falls due this week, a few lines (issue 12).
    pub focus: Vec<String>,
    /// Nothing in any list (本周无待办事项).
    pub all_clear: bool,
    /// `settings.progress_url`, or empty.
    pub progress_url: String,
}

/// Builds the digest of `unit` for the ISO week containing `week_monday`, as of the instant `at`
/// (the digest's due instant; `as_of` is its local date in the plan's time zone).
///
/// `plan` must cover the occurrences to consider (see [`super::plan_for_week`]); the view gives
/// their stored status and the notes. Tasks are those the unit leads or supports, through
/// groups. Each list shows a task once, at its most pressing period, with the others counted.
pub fn build_digest(
    cat: &Catalog,
    cal: &WorkCalendar,
    plan: &Plan,
    view: &DigestView,
    unit: &str,
    week_monday: Date,
    at: Timestamp,
) -> DigestContent {
    let tz = cat.settings.tz.tz().clone();
    let monday = super::week::week_monday(week_monday);
    let asof = AsOf {
        cal,
        tz: &tz,
        at,
        day: at.to_zoned_datetime(tz.clone()).date(),
        stored: view
            .occurrences
            .iter()
            .map(|o| (o.key.as_str(), o))
            .collect(),
        notes: &view.notes,
    };
    let roles: HashMap<&str, (&Task, Role)> = cat
        .tasks_for_unit(unit)
        .into_iter()
        .map(|(t, r)| (t.id.as_str(), (t, r)))
        .collect();
    let mut lists: [Vec<(Date, DigestItem)>; 4] = Default::default();
    for o in &plan.occurrences {
        let Some((task, role)) = roles.get(o.task_id.as_str()) else {
            continue;
        };
        if let Some(list) = asof.classify(o) {
            let mut item = item(cat, task, *role, o, asof.status(list, o));
            item.unreported = !asof.reported_since(&task.id, o.window_start);
            item.last_progress = asof.last_progress(&task.id);
            lists[list as usize].push((o.due, item));
        }
    }
    // A task appears once: in its most pressing list (红, 黄, 本期未报, 即将启动), at its
    // latest overdue or earliest other period, its other open periods beneath it.
    let [red, yellow, opening, silent] = lists;
    let mut shown: Vec<DigestItem> = Vec::new();
    let red = collapse(red, true, &mut shown);
    let yellow = collapse(yellow, false, &mut shown);
    let silent = collapse(silent, false, &mut shown);
    let opening = collapse(opening, false, &mut shown);
    let (red, yellow, silent, opening) = (
        attach(red, &shown),
        attach(yellow, &shown),
        attach(silent, &shown),
        attach(opening, &shown),
    );
    let progress = last_week_notes(&asof, &roles, monday);
    let counts = DigestCounts {
        red: red.len(),
        yellow: yellow.len(),
        opening: opening.len(),
        silent: silent.len(),
        unreported: red
            .iter()
            .chain(&yellow)
            .chain(&silent)
            .filter(|i| i.unreported)
            .count(),
        progress: progress.len(),
    };
    let focus = focus(&red, &yellow, add_days(monday, 6));
    let u = cat.unit(unit);
    DigestContent {
        week: iso_week_key(monday),
        week_label: week_label(monday),
        week_start: zh_date(monday),
        week_end: zh_date(add_days(monday, 6)),
        as_of: zh_date(asof.day),
        last_week: format!(
            "{}至{}",
            month_day(add_days(monday, -7)),
            month_day(add_days(monday, -1))
        ),
        unit: DigestUnit {
            id: unit.to_owned(),
            name: cat.name_of(unit).to_owned(),
            head_name: u
                .and_then(|u| u.head.as_ref())
                .map(|h| h.name.clone())
                .unwrap_or_default(),
        },
        all_clear: red.is_empty()
            && yellow.is_empty()
            && opening.is_empty()
            && silent.is_empty()
            && progress.is_empty(),
        counts,
        red,
        yellow,
        opening,
        silent,
        progress,
        focus,
        progress_url: cat.settings.progress_url.clone().unwrap_or_default(),
    }
}

/// One line per task not shown in an earlier list: its latest (`latest`) or earliest period;
/// the task's other periods of this list become its `others` lines. Lines are ordered by that
/// period's due date, then task id as numbers. Every period is recorded in `shown` (a line per
/// period) so [`attach`] can put a later list's periods of the task beneath its first line.
fn collapse(
    mut items: Vec<(Date, DigestItem)>,
    latest: bool,
    shown: &mut Vec<DigestItem>,
) -> Vec<DigestItem> {
    items.sort_by(|a, b| {
        (a.0, number(&a.1.task_id), &a.1.occurrence).cmp(&(
            b.0,
            number(&b.1.task_id),
            &b.1.occurrence,
        ))
    });
    if latest {
        items.reverse();
    }
    let earlier: std::collections::HashSet<String> =
        shown.iter().map(|s| s.task_id.clone()).collect();
    let mut out: Vec<(Date, DigestItem)> = Vec::new();
    for (due, mut item) in items {
        item.due_date = Some(due);
        shown.push(item.clone());
        if earlier.contains(&item.task_id) {
            continue;
        }
        match out.iter_mut().find(|(_, o)| o.task_id == item.task_id) {
            Some((_, first)) => first.others.push(other_line(&item)),
            None => out.push((due, item)),
        }
    }
    out.sort_by_key(|a| (a.0, number(&a.1.task_id)));
    out.into_iter().map(|(_, i)| i).collect()
}

/// Puts the periods of each line's task that a LATER list holds beneath the line.
fn attach(mut lines: Vec<DigestItem>, shown: &[DigestItem]) -> Vec<DigestItem> {
    for line in &mut lines {
        for s in shown {
            let listed = s.occurrence == line.occurrence || line.others.contains(&other_line(s));
            if s.task_id == line.task_id && !listed {
                line.others.push(other_line(s));
            }
        }
        line.more = line.others.len();
    }
    lines
}

fn other_line(i: &DigestItem) -> String {
    format!("{}：{}", i.period_label, i.status)
}

/// `4.10` → `[4, 10]`: task ids sort as numbers.
fn number(id: &str) -> Vec<u64> {
    id.split('.')
        .map(|p| p.parse().unwrap_or(u64::MAX))
        .collect()
}

/// 本周需关注: the three most overdue tasks, then what falls due by `sunday`.
fn focus(red: &[DigestItem], yellow: &[DigestItem], sunday: Date) -> Vec<String> {
    let mut out: Vec<String> = red
        .iter()
        .take(3)
        .map(|i| format!("【红】{} {}：{}", i.task_id, i.title, i.status))
        .collect();
    out.extend(
        yellow
            .iter()
            .filter(|i| i.due_date.is_some_and(|d| d <= sunday))
            .take(3)
            .map(|i| format!("【黄】{} {}：{}", i.task_id, i.title, i.status)),
    );
    out
}

fn role_names(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Lead => ("lead", "牵头"),
        Role::Cooperating => ("cooperating", "配合"),
    }
}

fn item(cat: &Catalog, task: &Task, role: Role, o: &Occurrence, status: String) -> DigestItem {
    let (role, role_zh) = role_names(role);
    DigestItem {
        task_id: task.id.clone(),
        title: short_title(task, None),
        role: role.into(),
        role_zh: role_zh.into(),
        lead_names: cat
            .lead_units(task)
            .iter()
            .map(|u| cat.name_of(u))
            .collect::<Vec<_>>()
            .join("、"),
        occurrence: o.key.clone(),
        // `2025年秋季开学 秋季开学…` from the planner reads as one phrase.
        period_label: period_label(&o.period_label),
        due: zh_date(o.due),
        status,
        more: 0,
        others: Vec::new(),
        unreported: false,
        last_progress: String::new(),
        group: (task.id.clone(), o.rule_index),
        due_date: Some(o.due),
    }
}

/// `9月3日`.
fn month_day(d: Date) -> String {
    let full = date_zh(d);
    full.split_once('年')
        .map_or(full.clone(), |(_, md)| md.to_owned())
}

/// Notes on the unit's tasks recorded last week (Monday to Sunday before `monday`, local), by
/// `at`, oldest first.
fn last_week_notes(
    asof: &AsOf<'_>,
    roles: &HashMap<&str, (&Task, Role)>,
    monday: Date,
) -> Vec<NoteItem> {
    let from = add_days(monday, -7);
    let mut notes: Vec<&ProgressNote> = asof
        .notes
        .iter()
        .filter(|n| roles.contains_key(n.task_id.as_str()) && n.at <= asof.at)
        .filter(|n| (from..monday).contains(&asof.local(n.at)))
        .collect();
    notes.sort_by_key(|n| (n.at, n.id));
    notes
        .into_iter()
        .filter_map(|n| {
            let (task, role) = roles.get(n.task_id.as_str())?;
            Some(NoteItem {
                task_id: task.id.clone(),
                title: short_title(task, None),
                role_zh: role_names(*role).1.into(),
                date: month_day(asof.local(n.at)),
                by: n.by_name.clone(),
                note: n.note.clone(),
                done: n.done,
            })
        })
        .collect()
}
