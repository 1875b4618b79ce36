//! What a digest says: for one unit and one week, its overdue (红) and due-soon or running (黄)
//! occurrences, campaigns opening soon, ongoing tasks with no progress reported this period, and
//! last week's progress notes, with lead (牵头) and supporting (配合) distinguished.
//!
//! Pure: the plan gives the occurrences' shape, the [`DigestView`] (loaded from the store) their
//! status and the notes. Everything is taken "as of" one instant (the digest's due instant), so
//! building the same week again later yields the same digest. May touch: nothing.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::lists::{Lists, Roles, build_lists};
use crate::calendar::WorkCalendar;
use crate::catalog::Catalog;
use crate::schedule::Plan;

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
/// groups (an office 所 supports what 各所 is asked to). Each list shows a task once, at its most
/// pressing period, with the others beneath it.
pub fn build_digest(
    cat: &Catalog,
    cal: &WorkCalendar,
    plan: &Plan,
    view: &DigestView,
    unit: &str,
    week_monday: Date,
    at: Timestamp,
) -> DigestContent {
    let roles: Roles<'_> = cat
        .tasks_for_unit(unit)
        .into_iter()
        .map(|(t, r)| (t.id.as_str(), (t, r)))
        .collect();
    let (lists, dates) = build_lists(cat, cal, plan, view, &roles, week_monday, at);
    let counts = DigestCounts {
        red: lists.red.len(),
        yellow: lists.yellow.len(),
        opening: lists.opening.len(),
        silent: lists.silent.len(),
        unreported: lists.unreported(),
        progress: lists.progress.len(),
    };
    let focus = focus(&lists.red, &lists.yellow, dates.sunday());
    let all_clear = lists.is_empty();
    let Lists {
        red,
        yellow,
        opening,
        silent,
        progress,
    } = lists;
    DigestContent {
        week: dates.week,
        week_label: dates.week_label,
        week_start: dates.week_start,
        week_end: dates.week_end,
        as_of: dates.as_of,
        last_week: dates.last_week,
        unit: DigestUnit::of(cat, unit),
        all_clear,
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

impl DigestUnit {
    /// `unit` as the digest names it (its head's name, or empty).
    pub fn of(cat: &Catalog, unit: &str) -> DigestUnit {
        DigestUnit {
            id: unit.to_owned(),
            name: cat.name_of(unit).to_owned(),
            head_name: cat
                .unit(unit)
                .and_then(|u| u.head.as_ref())
                .map(|h| h.name.clone())
                .unwrap_or_default(),
        }
    }
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
