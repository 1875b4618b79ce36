//! The web loop's rules (issue 13): what a unit sees on its page, what it may report and ask,
//! and what an office decision does. The web pages call these; they hold no rules themselves.
//!
//! Rules (why):
//! - A unit sees the open occurrences under way (window started) of the tasks it leads or
//!   cooperates on, plus the one its link names: that is what its reminders were about.
//! - Every submission records the progress note at once (进展情况/存在问题/下步打算 in one note), so
//!   the export and digests carry it even before the office looks.
//! - Only a lead unit may 申请办结 (the lead answers for the whole item; cooperating units report
//!   to it). A pending 办结 holds the occurrence's reminders: nagging a unit that says it is done
//!   while the office checks would teach people to ignore the bell.
//! - 延期 must be asked for a date after the current due date; granting it stores a due
//!   override that the planner honours (the ladder moves with the date), instead of cancelling
//!   and re-enqueueing rows: a later re-plan would otherwise bring the old rows back.
//! - 退办 and a refused 延期 send the reason to the unit through the outbox (same transaction).
//!
//! May touch: the store through the trait. `now` is a parameter.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::catalog::Role;
use crate::loader::Loaded;
use crate::notify::Colour;
use crate::store::{
    NewAudit, NewRequest, Occurrence, OccurrenceFilter, OccurrenceStatus, ProgressNote,
    ProgressSource, Request, RequestFilter, RequestKind, RequestState, Store, StoreError,
};

use super::progress::{Report, report};

/// Longest text field accepted from a form, in characters.
pub const MAX_FIELD_CHARS: usize = 2000;

/// Why a submission or decision is refused; the message is shown to the person (zh-CN).
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The input is not acceptable; the text says why.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Recording progress failed.
    #[error("{0}")]
    Report(#[from] super::progress::ReportError),
    /// Re-planning after a 延期 failed.
    #[error("re-plan: {0:#}")]
    Plan(anyhow::Error),
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, DeskError> {
    Err(DeskError::Invalid(msg.into()))
}

/// One item on a unit's page or the board.
#[derive(Debug, Clone)]
pub struct Item {
    /// The occurrence.
    pub occurrence: Occurrence,
    /// Colour as of today.
    pub colour: Colour,
    /// The unit's role (None on the board).
    pub role: Option<Role>,
    /// The task's latest note about this occurrence (or the task).
    pub last_progress: Option<ProgressNote>,
    /// Pending requests on it.
    pub pending: Vec<Request>,
}

/// Colour of a stored occurrence as of `today`: 红 past due, 黄 within 3 working days (or a
/// window under way that closes within them), 蓝 otherwise (same thresholds as the planner).
pub fn colour(l: &Loaded, o: &Occurrence, today: Date) -> Colour {
    let due = o.due_date.unwrap_or(o.window_end);
    if due < today {
        Colour::Red
    } else if l.calendar.workdays_between(today, due) <= 3 {
        Colour::Yellow
    } else {
        Colour::Blue
    }
}

/// The open items of `unit` on `today`, the linked occurrence first when given.
///
/// # Errors
/// A store error.
pub fn unit_items(
    store: &dyn Store,
    l: &Loaded,
    unit: &str,
    linked: Option<&str>,
    today: Date,
) -> Result<Vec<Item>, StoreError> {
    let cat = &l.catalog;
    let filter = OccurrenceFilter {
        status: Some(OccurrenceStatus::Open),
        started_by: Some(today),
        ..OccurrenceFilter::default()
    };
    let mut occs = store.occurrences(&filter)?;
    if let Some(k) = linked
        && !occs.iter().any(|o| o.key == k)
        && let Some(o) = store.occurrence(k)?
    {
        occs.push(o);
    }
    let pending = store.requests(&RequestFilter {
        state: Some(RequestState::Pending),
        ..RequestFilter::default()
    })?;
    let latest = store.latest_progress()?;
    let mut items: Vec<Item> = occs
        .into_iter()
        .filter_map(|o| {
            let task = cat.task(&o.task_id)?;
            let role = cat.role_of(task, unit)?;
            Some(Item {
                colour: colour(l, &o, today),
                role: Some(role),
                last_progress: latest.iter().find(|n| n.task_id == o.task_id).cloned(),
                pending: pending
                    .iter()
                    .filter(|r| r.occurrence_key == o.key)
                    .cloned()
                    .collect(),
                occurrence: o,
            })
        })
        .collect();
    items.sort_by(|a, b| {
        let first = |i: &Item| Some(i.occurrence.key.as_str()) != linked;
        (
            first(a),
            std::cmp::Reverse(a.colour),
            a.occurrence.due_date,
            &a.occurrence.key,
        )
            .cmp(&(
                first(b),
                std::cmp::Reverse(b.colour),
                b.occurrence.due_date,
                &b.occurrence.key,
            ))
    });
    Ok(items)
}

/// What a unit may ask for with a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// 申请办结 with a note.
    Done {
        /// 办结说明.
        note: String,
    },
    /// 申请延期 to `date`.
    Extend {
        /// The new date.
        date: Date,
        /// 延期理由.
        reason: String,
    },
}

/// One submission from a unit's page.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The occurrence reported on.
    pub occurrence: String,
    /// 进展情况.
    pub progress: String,
    /// 存在问题.
    pub problems: String,
    /// 下步打算.
    pub next_steps: String,
    /// An optional request.
    pub ask: Option<Ask>,
}

fn field(name: &str, v: &str) -> Result<String, DeskError> {
    let v = v.trim();
    if v.chars().count() > MAX_FIELD_CHARS {
        return invalid(format!("{name}不能超过{MAX_FIELD_CHARS}字"));
    }
    Ok(v.to_owned())
}

/// The note recorded for a submission: the three parts that were filled in, labelled.
pub fn note_text(s: &Submission) -> String {
    [
        ("进展情况", &s.progress),
        ("存在问题", &s.problems),
        ("下步打算", &s.next_steps),
    ]
    .iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| format!("{k}：{}", v.trim()))
    .collect::<Vec<_>>()
    .join("\n")
}

/// Records a unit's submission: the progress note at once, then the request (a 办结 request
/// holds the occurrence's reminders). Returns the request id when one was filed.
///
/// # Errors
/// [`DeskError::Invalid`] with a zh-CN reason; store errors.
pub fn submit(
    store: &mut dyn Store,
    l: &Loaded,
    unit: &str,
    s: &Submission,
    address: &str,
    now: Timestamp,
) -> Result<Option<i64>, DeskError> {
    let cat = &l.catalog;
    let today = now.to_zoned_datetime(cat.settings.tz.tz().clone()).date();
    let Some(occ) = store.occurrence(&s.occurrence)? else {
        return invalid("该事项不存在或已不在计划中");
    };
    let Some(task) = cat.task(&occ.task_id) else {
        return invalid("该事项不存在或已不在计划中");
    };
    let Some(role) = cat.role_of(task, unit) else {
        return invalid("本单位不是该事项的责任单位");
    };
    if occ.status != OccurrenceStatus::Open {
        return invalid("该事项已办结，无需再报送");
    }
    let s = Submission {
        occurrence: s.occurrence.clone(),
        progress: field("进展情况", &s.progress)?,
        problems: field("存在问题", &s.problems)?,
        next_steps: field("下步打算", &s.next_steps)?,
        ask: s.ask.clone(),
    };
    let note = note_text(&s);
    if note.is_empty() && s.ask.is_none() {
        return invalid("请至少填写进展情况");
    }
    let request = match &s.ask {
        None => None,
        Some(ask) => Some(check_ask(store, &occ, unit, role, ask, today)?),
    };
    let by = cat.name_of(unit).to_owned();
    if !note.is_empty() {
        report(
            store,
            &Report {
                task: occ.task_id.clone(),
                occurrence: Some(occ.key.clone()),
                note: note.clone(),
                by: by.clone(),
                done: false,
                source: ProgressSource::Web,
            },
            today,
            now,
        )?;
    }
    let Some(mut req) = request else {
        audit(
            store,
            unit,
            address,
            "progress.report",
            &occ.key,
            "",
            &note,
            now,
        )?;
        return Ok(None);
    };
    req.by_name = by;
    let hold = req.kind == RequestKind::Done;
    let id = store.add_request(&req, hold, now)?;
    let what = match req.kind {
        RequestKind::Done => "request.done",
        RequestKind::Extend => "request.extend",
    };
    let after = format!("pending #{id}: {}", req.note);
    audit(store, unit, address, what, &occ.key, "open", &after, now)?;
    Ok(Some(id))
}

fn check_ask(
    store: &dyn Store,
    occ: &Occurrence,
    unit: &str,
    role: Role,
    ask: &Ask,
    today: Date,
) -> Result<NewRequest, DeskError> {
    let (kind, note, new_due) = match ask {
        Ask::Done { note } => {
            if role != Role::Lead {
                return invalid("申请办结由牵头单位提出；配合单位请向牵头单位报送进展");
            }
            (RequestKind::Done, field("办结说明", note)?, None)
        }
        Ask::Extend { date, reason } => {
            let reason = field("延期理由", reason)?;
            if reason.is_empty() {
                return invalid("申请延期须说明理由");
            }
            let due = occ.due_date.unwrap_or(occ.window_end);
            if *date <= due || *date < today {
                return invalid(format!("延期后的日期须晚于当前截止日期（{due}）"));
            }
            (RequestKind::Extend, reason, Some(*date))
        }
    };
    let dup = store
        .requests(&RequestFilter {
            state: Some(RequestState::Pending),
            occurrence_key: Some(occ.key.clone()),
            ..RequestFilter::default()
        })?
        .into_iter()
        .any(|r| r.kind == kind);
    if dup {
        return invalid("已有同类申请在审核中，请等待督查办处理");
    }
    Ok(NewRequest {
        kind,
        task_id: occ.task_id.clone(),
        occurrence_key: occ.key.clone(),
        unit: unit.to_owned(),
        note,
        new_due,
        by_name: String::new(),
    })
}

#[allow(clippy::too_many_arguments)] // one audit line's fields
fn audit(
    store: &mut dyn Store,
    unit: &str,
    address: &str,
    action: &str,
    subject: &str,
    before: &str,
    after: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    store.add_audit(
        &NewAudit {
            actor: format!("unit:{unit}"),
            address: address.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
        },
        now,
    )?;
    Ok(())
}

pub use super::decide::{Verdict, decide};
