//! The lists every digest is made of, for any set of tasks: 红, 黄, 本期未报, 即将启动 and last
//! week's notes, each task once at its most pressing period with its other open periods beneath
//! it. A unit's digest ([`super::content`]) takes the tasks its unit leads or supports; the
//! bureau's ([`super::bureau`]) takes every task. Pure. May touch: nothing.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;

use super::classify::AsOf;
use super::content::{DigestItem, DigestView, NoteItem};
use super::week::{add_days, iso_week_key, week_label};
use crate::calendar::WorkCalendar;
use crate::catalog::{Catalog, Role, Task};
use crate::export::date_zh;
use crate::render::context::{period_label, short_title, zh_date};
use crate::schedule::{Occurrence, Plan};
use crate::store::ProgressNote;

/// The tasks a digest covers, by id, with the reader's role in each.
pub(super) type Roles<'c> = HashMap<&'c str, (&'c Task, Role)>;

/// A digest's lists, each task once (see [`build_lists`]).
#[derive(Debug, Default)]
pub(super) struct Lists {
    /// 红: overdue.
    pub(super) red: Vec<DigestItem>,
    /// 黄: due within the look-ahead, or a campaign under way.
    pub(super) yellow: Vec<DigestItem>,
    /// Campaigns opening within the look-ahead.
    pub(super) opening: Vec<DigestItem>,
    /// Ongoing tasks with no progress this period.
    pub(super) silent: Vec<DigestItem>,
    /// Last week's notes on the tasks.
    pub(super) progress: Vec<NoteItem>,
}

impl Lists {
    /// Nothing in any list.
    pub(super) fn is_empty(&self) -> bool {
        self.red.is_empty()
            && self.yellow.is_empty()
            && self.opening.is_empty()
            && self.silent.is_empty()
            && self.progress.is_empty()
    }

    /// Listed tasks (红, 黄, 本期未报) with no progress since their period began.
    pub(super) fn unreported(&self) -> usize {
        self.red
            .iter()
            .chain(&self.yellow)
            .chain(&self.silent)
            .filter(|i| i.unreported)
            .count()
    }
}

/// The week's dates as every digest heads them.
#[derive(Debug, Clone)]
pub(super) struct WeekDates {
    pub(super) monday: Date,
    pub(super) week: String,
    pub(super) week_label: String,
    pub(super) week_start: String,
    pub(super) week_end: String,
    pub(super) as_of: String,
    pub(super) last_week: String,
}

impl WeekDates {
    pub(super) fn new(week_monday: Date, as_of: Date) -> WeekDates {
        let monday = super::week::week_monday(week_monday);
        WeekDates {
            monday,
            week: iso_week_key(monday),
            week_label: week_label(monday),
            week_start: zh_date(monday),
            week_end: zh_date(add_days(monday, 6)),
            as_of: zh_date(as_of),
            last_week: format!(
                "{}至{}",
                month_day(add_days(monday, -7)),
                month_day(add_days(monday, -1))
            ),
        }
    }

    /// The week's Sunday.
    pub(super) fn sunday(&self) -> Date {
        add_days(self.monday, 6)
    }
}

/// The lists of the tasks in `roles` for the ISO week containing `week_monday`, as of `at`, and
/// the week's dates. `plan` must cover the occurrences to consider ([`super::plan_for_week`]);
/// the view gives their stored status and the notes.
pub(super) fn build_lists(
    cat: &Catalog,
    cal: &WorkCalendar,
    plan: &Plan,
    view: &DigestView,
    roles: &Roles<'_>,
    week_monday: Date,
    at: Timestamp,
) -> (Lists, WeekDates) {
    let tz = cat.settings.tz.tz().clone();
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
    let dates = WeekDates::new(week_monday, asof.day);
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
    let lists = Lists {
        red: attach(red, &shown),
        yellow: attach(yellow, &shown),
        silent: attach(silent, &shown),
        opening: attach(opening, &shown),
        progress: last_week_notes(&asof, roles, dates.monday),
    };
    (lists, dates)
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
    let earlier: HashSet<String> = shown.iter().map(|s| s.task_id.clone()).collect();
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
pub(super) fn number(id: &str) -> Vec<u64> {
    id.split('.')
        .map(|p| p.parse().unwrap_or(u64::MAX))
        .collect()
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
pub(super) fn month_day(d: Date) -> String {
    let full = date_zh(d);
    full.split_once('年')
        .map_or(full.clone(), |(_, md)| md.to_owned())
}

/// Notes on the unit's tasks recorded last week (Monday to Sunday before `monday`, local), by
/// `at`, oldest first.
fn last_week_notes(asof: &AsOf<'_>, roles: &Roles<'_>, monday: Date) -> Vec<NoteItem> {
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
