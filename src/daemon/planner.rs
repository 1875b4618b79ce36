//! The planner: schedule the plan for the horizon, render every reminder, and hand the store a
//! [`PlanSet`] to sync. Pure apart from rendering templates; `now` is a parameter.

use std::collections::HashMap;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::loader::Loaded;
use crate::render::Renderer;
use crate::schedule::{self, Occurrence};
use crate::store::{NewOccurrence, NewReminder, PlanSet};

/// Days before today that are planned too, so occurrences still under way (a campaign that
/// opened last week, a deadline overdue since last month) stay tracked with their future stages.
pub const LOOKBACK_DAYS: i64 = 62;

/// Build the plan set for `[today - LOOKBACK_DAYS, today + horizon]`.
///
/// # Errors
/// A template that fails to render (checked at start-up, so this means a bug or an edit).
pub fn plan_set(l: &Loaded, r: &Renderer, now: Timestamp) -> anyhow::Result<PlanSet> {
    let tz = jiff::tz::TimeZone::get(&l.catalog.settings.timezone)?;
    let today = now.to_zoned_datetime(tz.clone()).date();
    let from = today.saturating_sub(jiff::Span::new().days(LOOKBACK_DAYS));
    let to =
        today.saturating_add(jiff::Span::new().days(i64::from(l.catalog.settings.horizon_days)));
    let plan = schedule::plan(&l.catalog, &l.calendar, from, to);
    let occ_by_key: HashMap<&str, &Occurrence> = plan
        .occurrences
        .iter()
        .map(|o| (o.key.as_str(), o))
        .collect();
    let mut hash = Sha256::new();
    let mut reminders = Vec::with_capacity(plan.reminders.len());
    for rem in &plan.reminders {
        let Some(occ) = occ_by_key.get(rem.occurrence_key.as_str()) else {
            anyhow::bail!(
                "reminder {} has no occurrence in the plan",
                rem.dedupe_key()
            );
        };
        let n = crate::render::notification(r, &l.catalog, &l.calendar, occ, rem, false, rem.date)?;
        let message = serde_json::to_string(&n)?;
        let dedupe_key = rem.dedupe_key();
        hash.update(dedupe_key.as_bytes());
        hash.update(rem.at.as_second().to_le_bytes());
        hash.update(message.as_bytes());
        reminders.push(NewReminder {
            dedupe_key,
            occurrence_key: rem.occurrence_key.clone(),
            task_id: rem.task_id.clone(),
            stage: rem.stage.clone(),
            kind: rem.kind,
            recipient: rem.recipient.clone(),
            channel: rem.channel.clone(),
            fire_at: rem.at,
            message,
        });
    }
    let occurrences = plan
        .occurrences
        .iter()
        .map(|o| {
            hash.update(o.key.as_bytes());
            hash.update(o.due.to_string().as_bytes());
            new_occurrence(o, colour_on(l, o, today))
        })
        .collect();
    let horizon_end = to
        .saturating_add(jiff::Span::new().days(1))
        .to_zoned_datetime(tz)?
        .timestamp();
    let version_hash = hash
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(PlanSet {
        version_hash,
        horizon_end,
        occurrences,
        reminders,
    })
}

/// The store's row for a planned occurrence (check-ins have no rule: index `u32::MAX`).
pub fn new_occurrence(o: &Occurrence, colour: crate::notify::Colour) -> NewOccurrence {
    NewOccurrence {
        key: o.key.clone(),
        task_id: o.task_id.clone(),
        rule_index: o.rule_index.map_or(u32::MAX, |i| i as u32),
        period_label: o.period_label.clone(),
        window_start: o.window_start,
        window_end: o.window_end,
        due_date: Some(o.due),
        colour,
    }
}

/// The colour of an occurrence as of `today`: 红 past due, 黄 a campaign under way or a date within
/// 3 working days, 蓝 otherwise. Progress recorded as done is kept by the store whatever this says.
pub fn colour_on(l: &Loaded, o: &Occurrence, today: jiff::civil::Date) -> crate::notify::Colour {
    use crate::notify::Colour;
    if o.due < today {
        Colour::Red
    } else if (o.kind == crate::schedule::OccurrenceKind::Campaign && o.window_start <= today)
        || l.calendar.workdays_between(today, o.due) <= 3
    {
        Colour::Yellow
    } else {
        Colour::Blue
    }
}
