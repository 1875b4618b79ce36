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
use crate::render::context::{short_title, zh_date};
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
    /// Further periods of the same task and rule in the same list (e.g. older overdue weeks).
    pub more: usize,
    /// Task and rule: periods of one group collapse into one line.
    #[serde(skip)]
    pub(crate) group: (String, Option<usize>),
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
            let item = item(cat, task, *role, o, asof.status(list, o));
            lists[list as usize].push((o.due, item));
        }
    }
    // Red shows a task's latest overdue period (the others counted); the rest its earliest.
    let [red, yellow, opening, silent] = lists;
    let red = collapse(red, true);
    let yellow = collapse(yellow, false);
    let opening = collapse(opening, false);
    let mut silent = collapse(silent, false);
    // A check-in already overdue is not repeated for the current period.
    silent.retain(|i| !red.iter().any(|r| r.group == i.group));
    let progress = last_week_notes(&asof, &roles, monday);
    let counts = DigestCounts {
        red: red.len(),
        yellow: yellow.len(),
        opening: opening.len(),
        silent: silent.len(),
        progress: progress.len(),
    };
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
        progress_url: cat.settings.progress_url.clone().unwrap_or_default(),
    }
}

/// One line per task: its latest (`latest`) or earliest period, with the others counted in
/// `more`; lines ordered by that period's due date, then task id.
fn collapse(mut items: Vec<(Date, DigestItem)>, latest: bool) -> Vec<DigestItem> {
    items.sort_by(|a, b| {
        (a.0, &a.1.task_id, &a.1.occurrence).cmp(&(b.0, &b.1.task_id, &b.1.occurrence))
    });
    if latest {
        items.reverse();
    }
    let mut out: Vec<(Date, DigestItem)> = Vec::new();
    for (due, item) in items {
        match out.iter_mut().find(|(_, o)| o.group == item.group) {
            Some((_, first)) => first.more += 1,
            None => out.push((due, item)),
        }
    }
    out.sort_by(|a, b| (a.0, &a.1.task_id).cmp(&(b.0, &b.1.task_id)));
    out.into_iter().map(|(_, i)| i).collect()
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
        period_label: o.period_label.clone(),
        due: zh_date(o.due),
        status,
        more: 0,
        group: (task.id.clone(), o.rule_index),
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
