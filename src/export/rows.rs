//! The checklist rows: the plan in the shape of the source table, with 进展情况 filled from the
//! recorded progress as of a date. Pure: the store's data comes in as a [`StoreView`].
//!
//! May touch: nothing (pure functions over the catalog and plain data).

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::catalog::{Catalog, Deadline, Task};
use crate::store::{Occurrence, OccurrenceStatus, ProgressNote};

/// How many of a task's latest notes 进展情况 shows (older ones are counted, not listed, so a
/// printed cell stays readable).
pub const MAX_NOTES: usize = 3;

/// What the exports need from the store, loaded up front so the formatting is testable without
/// SQLite (see [`super::load_view`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreView {
    /// Every stored occurrence (any status).
    pub occurrences: Vec<Occurrence>,
    /// Every progress note of the catalog's tasks, oldest first per task.
    pub notes: Vec<ProgressNote>,
}

/// One row of the checklist (one task), every cell as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Area number (序号), 1..=10.
    pub area: u32,
    /// 项目: `（一）加强食用农产品质量安全监管`.
    pub area_title: String,
    /// Task id, e.g. `1.2` (not printed in the table; the number is part of [`Row::task`]).
    pub task_id: String,
    /// 具体任务 with its number within the area, `2.引导种植…`.
    pub task: String,
    /// 落实措施.
    pub measures: String,
    /// 责任部门: lead first, then cooperating units, Chinese names joined with `、`.
    pub departments: String,
    /// 完成时限: `长期坚持` or `2027年6月30日`.
    pub deadline: String,
    /// 进展情况: latest notes and the current occurrence's status (may be empty).
    pub progress: String,
}

/// The checklist as of `as_of`: one row per task in plan order.
pub fn checklist_rows(cat: &Catalog, view: &StoreView, as_of: Date) -> Vec<Row> {
    let tz = cat.settings.tz.tz().clone();
    cat.tasks
        .iter()
        .map(|t| Row {
            area: t.area,
            area_title: area_label(t.area, cat.area_title(t.area)),
            task_id: t.id.clone(),
            task: format!("{}.{}", task_number(&t.id), t.title),
            measures: t.measures.clone(),
            departments: departments(cat, t),
            deadline: deadline_zh(t.deadline),
            progress: progress_text(t, view, as_of, &tz),
        })
        .collect()
}

/// `（一）title`: the area's Chinese ordinal, as the source prints its 项目 column.
pub fn area_label(number: u32, title: &str) -> String {
    format!("（{}）{title}", zh_number(number))
}

/// Chinese numerals for 1..=99 (一, 十, 十一, 二十一); anything else as digits.
pub fn zh_number(n: u32) -> String {
    const D: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n as usize].to_string(),
        10..=19 => format!("十{}", if n == 10 { "" } else { D[(n % 10) as usize] }),
        20..=99 => {
            let ones = if n.is_multiple_of(10) {
                ""
            } else {
                D[(n % 10) as usize]
            };
            format!("{}十{ones}", D[(n / 10) as usize])
        }
        _ => n.to_string(),
    }
}

/// The number of a task within its area: `4.2` → `2`.
fn task_number(id: &str) -> &str {
    id.split_once('.').map_or(id, |(_, n)| n)
}

/// Lead first, then cooperating units, by their Chinese names (groups keep their group name, as
/// the source writes 各市场监管所).
pub fn departments(cat: &Catalog, t: &Task) -> String {
    // Co-leads (`lead: [县安委办, 县应急办]`) all come first, in the source's order.
    let leads: Vec<&str> = if t.leads.is_empty() {
        vec![t.lead.as_str()]
    } else {
        t.leads.iter().map(String::as_str).collect()
    };
    leads
        .into_iter()
        .chain(t.cooperating.iter().map(String::as_str))
        .map(|id| cat.name_of(id))
        .collect::<Vec<_>>()
        .join("、")
}

/// 完成时限 text.
pub fn deadline_zh(d: Deadline) -> String {
    match d {
        Deadline::Ongoing => "长期坚持".to_string(),
        Deadline::Date(d) => date_zh(d),
    }
}

/// `2027年3月5日`.
pub fn date_zh(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The local date of a note.
fn note_date(at: Timestamp, tz: &TimeZone) -> Date {
    at.to_zoned_datetime(tz.clone()).date()
}

/// 进展情况: up to [`MAX_NOTES`] latest notes recorded by `as_of`, then the current occurrence.
fn progress_text(t: &Task, view: &StoreView, as_of: Date, tz: &TimeZone) -> String {
    let notes: Vec<&ProgressNote> = view
        .notes
        .iter()
        .filter(|n| n.task_id == t.id && note_date(n.at, tz) <= as_of)
        .collect();
    let mut lines = Vec::new();
    let skip = notes.len().saturating_sub(MAX_NOTES);
    if skip > 0 {
        lines.push(format!("（另有{skip}条较早记录）"));
    }
    for n in &notes[skip..] {
        let date = note_date(n.at, tz);
        lines.push(format!("{date} {}：{}", n.by_name, n.note));
    }
    let done = |o: &Occurrence| done_by(o, view, tz, as_of);
    lines.extend(occurrence_lines(t, view, as_of, &done));
    lines.join("\n")
}

/// Whether `o` was done by `as_of`: by its done notes when it has any (the first one dated on or
/// before `as_of` counts), else (e.g. marked done without a note) by the stored status.
fn done_by(o: &Occurrence, view: &StoreView, tz: &TimeZone, as_of: Date) -> bool {
    let mut done_notes = view
        .notes
        .iter()
        .filter(|n| n.done && n.occurrence_key.as_deref() == Some(o.key.as_str()))
        .peekable();
    if done_notes.peek().is_some() {
        return done_notes.any(|n| note_date(n.at, tz) <= as_of);
    }
    o.status == OccurrenceStatus::Done && note_date(o.updated_at, tz) <= as_of
}

/// `当前：…` (or `下次：…`) and a count of other overdue occurrences.
fn occurrence_lines(
    t: &Task,
    view: &StoreView,
    as_of: Date,
    done: &dyn Fn(&Occurrence) -> bool,
) -> Vec<String> {
    let occs: Vec<&Occurrence> = view
        .occurrences
        .iter()
        .filter(|o| o.task_id == t.id && o.status != OccurrenceStatus::Cancelled)
        .collect();
    let current = occs
        .iter()
        .filter(|o| o.window_start <= as_of)
        .max_by_key(|o| (o.window_start, due_of(o), o.key.clone()));
    let mut lines = Vec::new();
    match current {
        Some(o) => lines.push(format!(
            "当前：{} {}",
            o.period_label,
            status_zh(o, as_of, done(o))
        )),
        None => {
            if let Some(o) = occs.iter().min_by_key(|o| (o.window_start, o.key.clone())) {
                lines.push(format!("下次：{} {}开始", o.period_label, o.window_start));
            }
        }
    }
    let overdue = occs
        .iter()
        .filter(|o| Some(o.key.as_str()) != current.map(|c| c.key.as_str()))
        .filter(|o| o.status != OccurrenceStatus::Skipped && !done(o) && due_of(o) < as_of)
        .count();
    if overdue > 0 {
        lines.push(format!("另有{overdue}项已逾期未完成"));
    }
    lines
}

/// The due date of an occurrence (its window end when it has none).
pub fn due_of(o: &Occurrence) -> Date {
    o.due_date.unwrap_or(o.window_end)
}

/// The status of an occurrence as of a date, in Chinese, with the due date while it matters.
pub fn status_zh(o: &Occurrence, as_of: Date, done: bool) -> String {
    let due = due_of(o);
    if done {
        return "已完成".into();
    }
    match o.status {
        OccurrenceStatus::Skipped => "不适用".into(),
        OccurrenceStatus::Cancelled => "已取消".into(),
        _ if due < as_of => format!("已逾期（截止{due}）"),
        _ if o.window_start > as_of => format!("未开始（{}开始）", o.window_start),
        _ => format!("进行中（截止{due}）"),
    }
}

/// One row of the 执行情况 sheet: an occurrence with its status as of a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccurrenceRow {
    /// The stored occurrence.
    pub occurrence: Occurrence,
    /// 具体任务 (`4.2 title`).
    pub task: String,
    /// Status as of the date (`已完成`, `进行中（截止…）`, …).
    pub status: String,
}

/// Every stored occurrence (store order: window start, task, key) with its status as of `as_of`.
pub fn occurrence_rows(cat: &Catalog, view: &StoreView, as_of: Date) -> Vec<OccurrenceRow> {
    let tz = cat.settings.tz.tz().clone();
    view.occurrences
        .iter()
        .map(|o| OccurrenceRow {
            occurrence: o.clone(),
            task: match cat.task(&o.task_id) {
                Some(t) => format!("{} {}", t.id, t.title),
                None => format!("{}（已不在计划中）", o.task_id),
            },
            status: status_zh(o, as_of, done_by(o, view, &tz, as_of)),
        })
        .collect()
}

#[cfg(test)]
#[path = "rows_tests.rs"]
mod tests;
