//! The first start (issue 12): work already overdue before dutybell ever ran is summarised in ONE
//! message per recipient and channel (截至今日仍未办结的N项), not dropped and not sent one by one.
//!
//! The first plan sync inserts the reminders that fell before `now` as skipped ("past due when
//! planned"), so nothing is flushed. This pass then takes, per open overdue occurrence, recipient
//! and channel, the latest of those reminders (the stage that applies now), renders them as
//! members of a late group, and enqueues each group as one row carrying its message (idempotent
//! under `backlog|RECIPIENT|CHANNEL|DAY`). It runs once: a meta key records that it ran, and a
//! database that has ever sent anything is an upgrade, not a first start. A start after long
//! downtime is the catch-up pass's job (`cycle::catch_up`): its late rows are grouped the same
//! way at claim time.
//!
//! May touch: the store through the trait. Pure otherwise; `now` is a parameter.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::Engine;
use crate::notify::Notification;
use crate::render::group::{self, Member};
use crate::schedule::{self, Reminder};
use crate::store::{NewReminder, OccurrenceStatus, OutboxState, Store, StoreError};

/// The `meta` key recording that the first-start summary ran (its unix second, or `upgraded`).
pub const DONE_KEY: &str = "first_start_backlog";

/// Enqueues the first start's backlog summaries once the first plan sync has run; returns how
/// many rows were added (0 on every later call).
///
/// # Errors
/// A store error; the pass runs again at the next call (enqueueing is idempotent).
pub fn first_start(store: &mut dyn Store, e: &Engine, now: Timestamp) -> Result<usize, StoreError> {
    if store.meta(DONE_KEY)?.is_some_and(|v| !v.is_empty()) {
        return Ok(0);
    }
    if store.meta(super::plan::SYNCED_AT_KEY)?.is_none() {
        // Not synced yet: nothing to summarise until the plan is in the store.
        return Ok(0);
    }
    if !store.list_outbox(Some(OutboxState::Sent), 1)?.is_empty() {
        store.set_meta(DONE_KEY, "upgraded")?;
        return Ok(0);
    }
    let mut added = 0;
    for (recipient, channel, n) in summaries(store, e, now)? {
        let row = NewReminder {
            dedupe_key: n.id.clone(),
            occurrence_key: format!("backlog@{}", now.as_second()),
            task_id: "-".into(),
            stage: "backlog".into(),
            kind: n.kind,
            recipient,
            channel,
            fire_at: now,
            message: serde_json::to_string(&n).ok(),
        };
        if store.enqueue(&row, now)? {
            added += 1;
        }
    }
    if added > 0 {
        tracing::info!(
            messages = added,
            "work overdue before the first start summarised, one message per recipient and channel"
        );
    }
    store.set_meta(DONE_KEY, &now.as_second().to_string())?;
    Ok(added)
}

/// The latest reminder that fell before `now` per open overdue occurrence, recipient and channel.
fn latest_missed(
    store: &dyn Store,
    e: &Engine,
    now: Timestamp,
) -> Result<Vec<(schedule::Occurrence, Reminder)>, StoreError> {
    let l = &e.loaded;
    let today = now.to_zoned_datetime(e.tz().clone()).date();
    let from = today.saturating_sub(jiff::Span::new().days(super::plan::LOOKBACK_DAYS));
    let plan = schedule::plan(&l.catalog, &l.calendar, from, today);
    let mut latest: BTreeMap<(String, String, String), Reminder> = BTreeMap::new();
    for r in plan.reminders.iter().filter(|r| r.at < now) {
        let key = (
            r.occurrence_key.clone(),
            r.recipient.clone(),
            r.channel.clone(),
        );
        if latest.get(&key).is_none_or(|prev| prev.at <= r.at) {
            latest.insert(key, r.clone());
        }
    }
    let mut out = Vec::new();
    for r in latest.into_values() {
        let Some(occ) = plan.occurrences.iter().find(|o| o.key == r.occurrence_key) else {
            continue;
        };
        // Overdue and still open in the store (an occurrence the store does not track is not
        // the office's to chase).
        let open = store
            .occurrence(&occ.key)?
            .is_some_and(|o| o.status == OccurrenceStatus::Open);
        if occ.due < today && open {
            out.push((occ.clone(), r));
        }
    }
    Ok(out)
}

/// One late summary (recipient, channel, message) per recipient and channel: a group of one
/// reads 截至今日仍未办结的1项 too, since nothing was "sent late" at a first start.
fn summaries(
    store: &dyn Store,
    e: &Engine,
    now: Timestamp,
) -> Result<Vec<(String, String, Notification)>, StoreError> {
    let l = &e.loaded;
    let cat = &l.catalog;
    let today = now.to_zoned_datetime(e.tz().clone()).date();
    let mut groups: BTreeMap<(String, String), Vec<Member>> = BTreeMap::new();
    for (occ, rem) in latest_missed(store, e, now)? {
        let link = e.progress_link(&rem.recipient, &occ.key, now);
        let link = link.as_deref();
        let ctx = crate::render::reminder_context(cat, &l.calendar, &occ, &rem, true, today, link);
        let single = crate::render::notification_linked(
            &e.renderer,
            cat,
            &l.calendar,
            &occ,
            &rem,
            true,
            today,
            link,
        );
        match (ctx, single) {
            (Ok((ctx, _)), Ok(single)) => groups
                .entry((rem.recipient.clone(), rem.channel.clone()))
                .or_default()
                .push(Member { ctx, single }),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!(task = %rem.task_id, stage = %rem.stage, error = %err, "backlog item cannot be rendered; left out of the summary");
            }
        }
    }
    let mut out = Vec::new();
    for ((recipient, channel), members) in groups {
        match group::grouped(&e.renderer, members) {
            Ok(mut n) => {
                n.id = format!("backlog|{recipient}|{channel}|{today}");
                out.push((recipient, channel, n));
            }
            Err(err) => {
                tracing::warn!(%recipient, error = %err, "backlog summary cannot be rendered")
            }
        }
    }
    Ok(out)
}
