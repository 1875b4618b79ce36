//! The template contexts: what a template can use, as typed structs (documented in
//! `docs/TEMPLATES.md`). Built from the catalog, an occurrence and a reminder; pure.

use jiff::civil::{Date, Weekday};
use serde::Serialize;

use crate::catalog::{Catalog, Deadline, RuleForm, Task};
use crate::notify::Colour;
use crate::schedule::{Occurrence, OccurrenceKind, Reminder};

/// Longest chat excerpt of the measures, in characters.
const MEASURES_SHORT_CHARS: usize = 120;
/// Longest short title, in characters.
const SHORT_TITLE_CHARS: usize = 24;

/// Context of every task reminder template (`campaign_opening`, `lead`, `due_today`, `overdue`,
/// `escalation`, `checkin`).
#[derive(Debug, Clone, Serialize)]
pub struct ReminderContext {
    /// The task.
    pub task: TaskCtx,
    /// The occurrence (period) the reminder is about.
    pub occurrence: OccurrenceCtx,
    /// The reminder stage.
    pub stage: StageCtx,
    /// What the date means today.
    pub status: StatusCtx,
    /// Who this message is for.
    pub recipient: RecipientCtx,
    /// Responsible units.
    pub units: UnitsCtx,
    /// How to report progress.
    pub progress: ProgressCtx,
    /// The render date, e.g. `2027年2月26日（周五）`.
    pub today: String,
    /// Who to answer to (`settings.contact`, `settings.reply_to`).
    pub office: OfficeCtx,
}

/// `office.*`: how a recipient answers (issue 12: every message says so).
#[derive(Debug, Clone, Default, Serialize)]
pub struct OfficeCtx {
    /// `settings.contact`, e.g. `局督查办 张三 0952-1234567`, or empty.
    pub contact: String,
    /// `settings.reply_to`, or empty.
    pub reply_to: String,
}

impl OfficeCtx {
    /// From the catalog's settings.
    pub fn of(cat: &Catalog) -> OfficeCtx {
        let s = &cat.settings;
        OfficeCtx {
            contact: s.contact.clone().unwrap_or_default(),
            reply_to: s.reply_to.clone().unwrap_or_default(),
        }
    }
}

/// `task.*`.
#[derive(Debug, Clone, Serialize)]
pub struct TaskCtx {
    /// Id, e.g. `4.2`.
    pub id: String,
    /// Full title (具体任务).
    pub title: String,
    /// The rule's label or the title's first clause, at most 24 characters.
    pub short_title: String,
    /// Full measures (落实措施).
    pub measures: String,
    /// Measures cut to 120 characters with `…` (chat).
    pub measures_short: String,
    /// Area number and title.
    pub area: String,
    /// `长期坚持` or the deadline date.
    pub deadline: String,
    /// Notes, or empty.
    pub notes: String,
}

/// `occurrence.*`.
#[derive(Debug, Clone, Serialize)]
pub struct OccurrenceCtx {
    /// Stable key, e.g. `4.2@2027-spring_term_start`.
    pub key: String,
    /// `deadline`, `campaign` or `checkin`.
    pub kind: String,
    /// Period label, e.g. `2027年春季开学`; a rule label is merged in without repeating words
    /// (`2026年秋季开学校园食品安全专项整治`, not `2026年秋季开学 秋季开学…`).
    pub period_label: String,
    /// The period alone, without the words `进展报送` of a check-in (`2026年第1季度`).
    pub period: String,
    /// What the campaign is called in a sentence: `宣传周`, `专项行动` or `专项整治`.
    pub activity: String,
    /// The item as one phrase for subjects and titles: the merged period label when it names the
    /// task (`2026年秋季开学校园食品安全专项整治`), else `{short title}（{period}）`. Set by
    /// [`super::reminder_context`].
    pub heading: String,
    /// First day of the window/period (zh date).
    pub window_start: String,
    /// Last day of the window/period (zh date).
    pub window_end: String,
    /// The due date (zh date).
    pub due: String,
    /// The due date, ISO (`2027-03-31`).
    pub due_iso: String,
    /// The named event of a campaign/yearly-event rule, e.g. `春季开学`, or empty.
    pub event_name: String,
    /// That event's date (zh date), or empty.
    pub event_date: String,
}

/// `stage.*`.
#[derive(Debug, Clone, Serialize)]
pub struct StageCtx {
    /// Stage name, e.g. `lead-3wd`, `overdue-2`.
    pub name: String,
    /// Message kind (`lead`, `due_today`, …).
    pub kind: String,
    /// `blue`, `yellow` or `red`.
    pub colour: String,
    /// `蓝`, `黄` or `红`.
    pub colour_zh: String,
    /// Sent late after downtime (补发).
    pub late: bool,
    /// The recipient is a cooperating (配合) unit.
    pub supporting: bool,
    /// The opening sentence: what is asked of this recipient ([`super::wording::headline`]).
    pub headline: String,
}

/// `status.*`: the date and what it means, computed with the working-day calendar.
#[derive(Debug, Clone, Serialize)]
pub struct StatusCtx {
    /// For the subject, e.g. `还有3天截止`, `今天截止`, `已逾期5个工作日`, `今日启动`.
    pub short: String,
    /// A sentence for the body, e.g. `2027年3月31日（周三）截止，还有 3 天（3 个工作日）`.
    pub long: String,
    /// The event line, e.g. `距春季开学还有 14 天`, or empty.
    pub event: String,
    /// Calendar days until the due date (negative when overdue).
    pub days_left: i64,
    /// Working days overdue (0 when not overdue).
    pub workdays_overdue: i64,
}

/// `recipient.*`.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientCtx {
    /// Unit id, `{unit}#head`, or group id.
    pub id: String,
    /// Display name, e.g. `餐饮室` or `餐饮室负责人 张三`.
    pub name: String,
    /// The recipient is a unit head (escalation).
    pub is_head: bool,
    /// `unit`, `head` (a unit's own head), `leaders` (the bureau's leaders, asked to know and
    /// urge) or `coordinator` (the coordinating office, asked to coordinate).
    pub kind: String,
    /// `lead`, `cooperating`, or empty (head, leadership).
    pub role: String,
}

/// One unit in `units.lead` / `units.cooperating`.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRef {
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name: String,
}

/// `units.*`.
#[derive(Debug, Clone, Serialize)]
pub struct UnitsCtx {
    /// Lead units (牵头).
    pub lead: Vec<UnitRef>,
    /// Cooperating units (配合).
    pub cooperating: Vec<UnitRef>,
    /// Lead names joined by `、`.
    pub lead_names: String,
    /// Cooperating names joined by `、` (empty when none).
    pub cooperating_names: String,
}

/// `progress.*`.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressCtx {
    /// `dutybell progress 4.2 --note "…"`.
    pub command: String,
    /// `dutybell progress 4.2 --note "…" --done`.
    pub command_done: String,
    /// `settings.progress_url`, or empty.
    pub url: String,
}

/// `2027年3月1日（周一）`.
pub fn zh_date(d: Date) -> String {
    let wd = match d.weekday() {
        Weekday::Monday => "一",
        Weekday::Tuesday => "二",
        Weekday::Wednesday => "三",
        Weekday::Thursday => "四",
        Weekday::Friday => "五",
        Weekday::Saturday => "六",
        Weekday::Sunday => "日",
    };
    format!("{}年{}月{}日（周{wd}）", d.year(), d.month(), d.day())
}

/// `s` cut to `max` characters, with `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `s` cut to at most `max` characters at the end of a sentence (`。；！？`), with `…` when
/// cut; a first sentence longer than `max` is cut at a clause mark (`，、`), and only then
/// mid-clause.
pub fn shorten_at_sentence(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let head: Vec<char> = s.chars().take(max.saturating_sub(1)).collect();
    let cut_at = |marks: &[char]| head.iter().rposition(|c| marks.contains(c));
    if let Some(i) = cut_at(&['。', '；', '！', '？']) {
        return head[..=i].iter().collect::<String>() + "…";
    }
    if let Some(i) = cut_at(&['，', '、']).filter(|i| *i >= max / 3) {
        return head[..i].iter().collect::<String>() + "…";
    }
    shorten(s, max)
}

/// Joins a period and a rule label without repeating the words they share: the longest suffix of
/// `period` that starts `label` is written once (`2026年度` + `年度“昆仑”专项行动` →
/// `2026年度“昆仑”专项行动`; `2026年食品安全宣传周` + `食品安全宣传周` → `2026年食品安全宣传周`).
pub fn merge_label(period: &str, label: &str) -> String {
    let p: Vec<char> = period.chars().collect();
    let l: Vec<char> = label.chars().collect();
    let overlap = (1..=p.len().min(l.len()))
        .rev()
        .find(|n| p[p.len() - n..] == l[..*n])
        .unwrap_or(0);
    if overlap == l.len() || period.contains(label) {
        return period.to_owned();
    }
    format!("{period}{}", l[overlap..].iter().collect::<String>())
}

/// The planner's `{period} {rule label}` as one phrase ([`merge_label`]).
pub fn period_label(raw: &str) -> String {
    match raw.split_once(' ') {
        Some((p, l)) => merge_label(p.trim(), l.trim()),
        None => raw.to_owned(),
    }
}

/// What a campaign is called in a sentence, from its label: a publicity week is a 宣传周, not a
/// 专项整治.
pub fn activity(label: &str) -> &'static str {
    if label.contains("宣传周") || label.contains("宣传月") {
        "宣传周"
    } else if label.contains("专项行动") {
        "专项行动"
    } else if label.contains("演练") {
        "演练"
    } else {
        "专项整治"
    }
}

/// The rule label, else the title up to its first clause mark, at most 24 characters.
pub fn short_title(task: &Task, rule_index: Option<usize>) -> String {
    let label = rule_index
        .and_then(|i| task.rules.get(i))
        .and_then(|r| r.label.as_deref());
    let base = label.unwrap_or_else(|| {
        task.title
            .split(['，', '。', '；', '：'])
            .find(|p| !p.trim().is_empty())
            .unwrap_or(&task.title)
    });
    shorten(base, SHORT_TITLE_CHARS)
}

/// `task.*` for a task.
pub fn task_ctx(cat: &Catalog, task: &Task, rule_index: Option<usize>) -> TaskCtx {
    TaskCtx {
        id: task.id.clone(),
        title: task.title.clone(),
        short_title: short_title(task, rule_index),
        measures: task.measures.trim().to_owned(),
        measures_short: shorten_at_sentence(&task.measures, MEASURES_SHORT_CHARS),
        area: format!("{}. {}", task.area, cat.area_title(task.area)),
        deadline: match task.deadline {
            Deadline::Ongoing => "长期坚持".into(),
            Deadline::Date(d) => zh_date(d),
        },
        notes: task.notes.clone().unwrap_or_default(),
    }
}

/// The named event (name, date) of the occurrence's rule, when it is event-based.
pub fn event_of(cat: &Catalog, task: &Task, occ: &Occurrence) -> Option<(String, Date)> {
    let rule = task.rules.get(occ.rule_index?)?;
    let id = match &rule.form {
        RuleForm::CampaignEvent { event, .. } | RuleForm::YearlyEvent { event, .. } => event,
        _ => return None,
    };
    let ev = cat.events.get(id)?;
    // The event lies in the window's year, or (a window crossing New Year) the due date's.
    [occ.window_start.year(), occ.due.year()]
        .into_iter()
        .filter_map(|y| ev.date_in(y).map(|(d, _)| d))
        .find(|d| *d >= occ.window_start && *d <= occ.window_end)
        .or_else(|| ev.date_in(occ.due.year()).map(|(d, _)| d))
        .map(|d| (ev.name.clone(), d))
}

/// `occurrence.*`.
pub fn occurrence_ctx(occ: &Occurrence, event: Option<&(String, Date)>) -> OccurrenceCtx {
    OccurrenceCtx {
        key: occ.key.clone(),
        kind: match occ.kind {
            OccurrenceKind::Deadline => "deadline",
            OccurrenceKind::Campaign => "campaign",
            OccurrenceKind::Checkin => "checkin",
        }
        .into(),
        period_label: period_label(&occ.period_label),
        period: period_label(&occ.period_label)
            .trim_end_matches("进展报送")
            .to_owned(),
        activity: activity(&occ.period_label).into(),
        heading: String::new(),
        window_start: zh_date(occ.window_start),
        window_end: zh_date(occ.window_end),
        due: zh_date(occ.due),
        due_iso: occ.due.to_string(),
        event_name: event.map(|e| e.0.clone()).unwrap_or_default(),
        event_date: event.map(|e| zh_date(e.1)).unwrap_or_default(),
    }
}

/// `stage.*`.
pub fn stage_ctx(rem: &Reminder, late: bool) -> StageCtx {
    StageCtx {
        name: rem.stage.to_string(),
        kind: super::kind_name(rem.kind).into(),
        colour: colour_name(rem.colour).into(),
        colour_zh: rem.colour.zh().into(),
        late,
        supporting: rem.supporting,
        headline: String::new(),
    }
}

/// `blue`, `yellow`, `red`.
pub fn colour_name(c: Colour) -> &'static str {
    match c {
        Colour::Blue => "blue",
        Colour::Yellow => "yellow",
        Colour::Red => "red",
    }
}

/// `units.*` for a task.
pub fn units_ctx(cat: &Catalog, task: &Task) -> UnitsCtx {
    let refs = |ids: Vec<String>| -> Vec<UnitRef> {
        ids.into_iter()
            .map(|id| UnitRef {
                name: cat.name_of(&id).to_owned(),
                id,
            })
            .collect()
    };
    let lead = refs(cat.lead_units(task));
    let cooperating = refs(cat.cooperating_units(task));
    let join = |v: &[UnitRef]| {
        v.iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    };
    UnitsCtx {
        lead_names: join(&lead),
        cooperating_names: join(&cooperating),
        lead,
        cooperating,
    }
}

/// `progress.*` for a task.
pub fn progress_ctx(task_id: &str, url: Option<&str>) -> ProgressCtx {
    let command = format!("dutybell progress {task_id} --note \"…\"");
    ProgressCtx {
        command_done: format!("{command} --done"),
        command,
        url: url.unwrap_or_default().to_owned(),
    }
}

/// Context of the `operator_alert` templates.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorCtx {
    /// One line saying what happened (goes into the subject).
    pub subject_detail: String,
    /// The details (plain text, several lines).
    pub body: String,
}

/// Context of the `test` templates.
#[derive(Debug, Clone, Serialize)]
pub struct TestCtx {
    /// The channel id being tested.
    pub channel: String,
    /// When the test was sent, e.g. `2027-02-26 09:00:00 (Asia/Shanghai)`.
    pub sent_at: String,
}

/// `occurrence.heading`: the period label when it already names the task, else the short title
/// with the period in brackets.
pub fn heading(short_title: &str, period_label: &str, period: &str) -> String {
    let merged = merge_label(period_label, short_title);
    let saved = (period_label.chars().count() + short_title.chars().count())
        .saturating_sub(merged.chars().count());
    if period_label.contains(short_title) {
        period_label.to_owned()
    } else if saved >= 2 {
        // `2026年春季开学` + `春季开学校园食品安全专项整治`: one phrase, nothing repeated.
        merged
    } else {
        format!("{short_title}（{period}）")
    }
}
