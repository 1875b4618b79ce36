//! The daemon's cron-shaped jobs, each tick recorded in the store (`ticks` table) so that a tick
//! missed while dutybell was down runs once at the next start and never twice, whatever the
//! number of processes.
//!
//! - `calendar-warning` (Mondays 09:00): while next year's holiday notice is missing (from
//!   1 November) or this year's is, one operator alert a week naming the years.
//! - `plan-recheck` (every 6 hours): re-check the plan (cheap when nothing changed; the window
//!   moves weekly) so edits and the moving horizon are picked up without a signal.
//!
//! Weekly digests keep their own per-week claim (`digest::enqueue_due_digests`), which is exactly
//! once and caught up after downtime in the same way. The crons are tokio-cron-scheduler's dialect
//! (seconds first), parsed with the project's one cron set-up ([`CronExpr`]); see
//! docs/ARCHITECTURE.md for why its `JobScheduler` ticker is not used.
//!
//! May touch: the store through the trait. `now` is a parameter.

use jiff::{SignedDuration, Timestamp};

use super::Engine;
use crate::model::CronExpr;
use crate::notify::MessageKind;
use crate::store::{NewReminder, Store, StoreError};

/// A periodic job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The weekly operator alert about missing calendar years.
    CalendarWarning,
    /// The 6-hourly plan re-check.
    PlanRecheck,
}

impl Job {
    /// Every job.
    pub const ALL: [Job; 2] = [Job::CalendarWarning, Job::PlanRecheck];

    /// The name recorded in the `ticks` table.
    pub fn name(self) -> &'static str {
        match self {
            Job::CalendarWarning => "calendar-warning",
            Job::PlanRecheck => "plan-recheck",
        }
    }

    fn cron_text(self) -> &'static str {
        match self {
            Job::CalendarWarning => "0 0 9 * * Mon",
            Job::PlanRecheck => "0 0 */6 * * *",
        }
    }

    /// How far back to look for the latest tick (a little over one period).
    fn lookback(self) -> SignedDuration {
        match self {
            Job::CalendarWarning => SignedDuration::from_hours(8 * 24),
            Job::PlanRecheck => SignedDuration::from_hours(7),
        }
    }

    /// The parsed cron, parsed once per process: the loop asks at every turn, and re-parsing
    /// was 2 % of a simulated year (`perf`, croner's parser).
    fn cron(self) -> Option<&'static CronExpr> {
        static PARSED: std::sync::LazyLock<[Option<CronExpr>; 2]> =
            std::sync::LazyLock::new(|| Job::ALL.map(|j| CronExpr::parse(j.cron_text()).ok()));
        let i = match self {
            Job::CalendarWarning => 0,
            Job::PlanRecheck => 1,
        };
        PARSED[i].as_ref()
    }
}

fn civil(e: &Engine, t: Timestamp) -> jiff::civil::DateTime {
    t.to_zoned_datetime(e.tz().clone()).datetime()
}

fn instant(e: &Engine, dt: jiff::civil::DateTime) -> Option<Timestamp> {
    dt.to_zoned_datetime(e.tz().clone())
        .ok()
        .map(|z| z.timestamp())
}

/// The latest scheduled tick of `job` at or before `now`.
pub fn latest_due(e: &Engine, job: Job, now: Timestamp) -> Option<Timestamp> {
    let cron = job.cron()?;
    let mut cur = civil(e, now.checked_sub(job.lookback()).ok()?);
    let end = civil(e, now);
    let mut last = None;
    while let Some(next) = cron.next_at_or_after(cur) {
        if next > end {
            break;
        }
        last = Some(next);
        cur = next.checked_add(SignedDuration::from_secs(1)).ok()?;
    }
    instant(e, last?)
}

/// The next scheduled tick of any job strictly after `now` (the loop wakes for it).
pub fn next_due(e: &Engine, now: Timestamp) -> Option<Timestamp> {
    let from = civil(e, now.checked_add(SignedDuration::from_secs(1)).ok()?);
    Job::ALL
        .iter()
        .filter_map(|j| j.cron()?.next_at_or_after(from))
        .filter_map(|dt| instant(e, dt))
        .min()
}

/// Runs every job whose latest tick has not been recorded yet, once; returns the jobs that ran
/// (the caller re-checks the plan when [`Job::PlanRecheck`] is among them).
///
/// # Errors
/// A store error; a job whose tick was not recorded runs again at the next wake.
pub fn run_due(store: &mut dyn Store, e: &Engine, now: Timestamp) -> Result<Vec<Job>, StoreError> {
    let mut ran = Vec::new();
    for job in Job::ALL {
        let Some(due) = latest_due(e, job, now) else {
            continue;
        };
        if store.last_tick(job.name())?.is_some_and(|t| t >= due) {
            continue;
        }
        if job == Job::CalendarWarning
            && let Some(alert) = calendar_alert(e, due, now)
        {
            store.enqueue(&alert, now)?;
            tracing::warn!(
                "holiday data missing; operator alerted (dutybell calendar import-notice)"
            );
        }
        if store.record_tick(job.name(), due, now)? {
            ran.push(job);
        }
    }
    Ok(ran)
}

/// The weekly operator alert while holiday data is missing for this year or (from November) the
/// next; `None` when every year needed is covered.
pub fn calendar_alert(e: &Engine, due: Timestamp, now: Timestamp) -> Option<NewReminder> {
    let today = due.to_zoned_datetime(e.tz().clone()).date();
    let years = e.loaded.calendar.years_to_warn(today);
    if years.is_empty() {
        return None;
    }
    let list = years
        .iter()
        .map(i16::to_string)
        .collect::<Vec<_>>()
        .join("、");
    let detail = format!("{list}年节假日安排尚未导入");
    let body = format!(
        "{detail}：这些年份的“工作日”日期目前按周一至周五推算，节假日前后的提醒日期可能不准。\n\
         处理：国务院办公厅发布{list}年部分节假日安排的通知后，执行 \
         `dutybell calendar import-notice 通知全文.txt`，确认后重载（systemctl reload dutybell）。"
    );
    let mut n = crate::render::operator_alert(&e.renderer, &detail, &body);
    let settings = &e.loaded.catalog.settings;
    if let Some(to) = &settings.operator_email {
        n.recipients.to.push(crate::notify::Mailbox {
            name: Some("dutybell 管理员".into()),
            email: to.clone(),
        });
    }
    let week = crate::digest::iso_week_key(crate::digest::week_monday(today));
    Some(NewReminder {
        dedupe_key: format!("operator|calendar|{list}|{week}"),
        occurrence_key: format!("calendar@{week}"),
        task_id: "-".into(),
        stage: "calendar-warning".into(),
        kind: MessageKind::OperatorAlert,
        recipient: "operator".into(),
        channel: settings.operator_channel.clone(),
        // Due when it is enqueued: a tick caught up after downtime is news, not a 补发.
        fire_at: now,
        message: Some(serde_json::to_string(&n).ok()?),
    })
}
