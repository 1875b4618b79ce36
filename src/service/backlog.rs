//! Backlog summaries (issue 12): work overdue and still open when dutybell (re)starts is
//! summarised in ONE message per recipient and channel (截至今日仍未办结的N项), not flushed one
//! reminder at a time and not silently dropped. Two occasions, one code path:
//!
//! - **First start.** The first plan sync inserts the reminders that fell before `now` as
//!   skipped ("past due when planned"), so nothing is flushed; [`first_start`] then summarises.
//!   Those due in the last [`JUST_DUE`](crate::model::JUST_DUE) are planned pending instead (a
//!   start at 09:00:05 still sends the 09:00 reminders); the ones about a summarised occurrence
//!   are skipped, so nobody reads an overdue item twice.
//!   It runs once: a meta key records that it ran, and a database that has ever sent anything is
//!   an upgrade, not a first start.
//! - **Long downtime.** A start after the daemon was down longer than the downtime grace
//!   (`downtime.grace`, 14 days by default) finds pending rows older than the grace, which the
//!   catch-up policy would drop. [`after_long_downtime`] summarises instead, and the missed rows
//!   about the summarised occurrences are skipped as summarised; the other missed rows (work not
//!   yet overdue) go on through the policy. A shorter downtime needs no summary: the policy keeps
//!   the latest missed stage of each occurrence, and the claim groups them per recipient.
//!
//! Both take, per open overdue occurrence, recipient and channel, the latest reminder that fell
//! before `now` (the stage that applies now), render it as of now (an overdue item is red, worded
//! as overdue, whatever its last reminder was), group them per recipient and channel, and enqueue
//! each group as one row carrying its message (idempotent under `backlog|RECIPIENT|CHANNEL|DAY`).
//!
//! May touch: the store through the trait. Pure otherwise; `now` is a parameter.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::Date;

use super::Engine;
use crate::catalog::CatchUp;
use crate::model::SharedStr;
use crate::notify::{Colour, MessageKind, Notification};
use crate::render::group::{self, Member};
use crate::schedule::{self, Reminder};
use crate::store::{NewReminder, OccurrenceStatus, OutboxItem, OutboxState, Store, StoreError};

/// The `meta` key recording that the first-start summary ran (its unix second, or `upgraded`).
pub const DONE_KEY: &str = "first_start_backlog";

/// Why a missed row is skipped when its occurrence went into a long-downtime summary.
pub const SUMMARISED: &str =
    "missed during a long downtime; summarised in the backlog message (截至今日仍未办结)";

/// Why a row planned at the first start, due minutes before it, is skipped when its occurrence
/// is in the first start's summary.
pub const SUMMARISED_AT_START: &str =
    "due just before the first start; summarised in the backlog message (截至今日仍未办结)";

/// (occurrence key, recipient, channel) of a summarised item.
type ItemKey = (String, String, String);

/// The summary item a row is about.
fn item_key(i: &OutboxItem) -> ItemKey {
    (
        i.occurrence_key.clone(),
        i.recipient.clone(),
        i.channel.clone(),
    )
}

/// Missed rows for the catch-up policy, and missed rows to skip with their reason.
pub type Split = (Vec<OutboxItem>, Vec<(OutboxItem, String)>);

/// One summary: recipient, channel, the message, and the occurrence keys it lists.
type Summary = (String, String, Notification, Vec<String>);

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
    let (added, items) = enqueue_summaries(store, e, now)?;
    // The sync planned the reminders due in the last `JUST_DUE` as pending, not past: those
    // about an occurrence the summary lists are skipped, so its recipient reads it once.
    for item in store.missed(now)? {
        if item.needs_render() && items.contains(&item_key(&item)) {
            store.skip_pending(item.id, now, SUMMARISED_AT_START)?;
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

/// After a long downtime: when some missed reminder (`missed`, every pending row that fell due
/// while nobody was sending) is older than `cutoff` (the grace limit) under the `late` policy,
/// enqueues the backlog summaries and returns the missed rows to skip as summarised (those about
/// an occurrence in a summary, for the same recipient and channel) and the rest, for the
/// catch-up policy. Without such a row it returns `missed` unchanged and enqueues nothing.
///
/// # Errors
/// A store error; nothing is skipped then, and the next call summarises again (idempotently).
pub fn after_long_downtime(
    store: &mut dyn Store,
    e: &Engine,
    now: Timestamp,
    cutoff: Timestamp,
    missed: Vec<OutboxItem>,
) -> Result<Split, StoreError> {
    let summarisable = |i: &OutboxItem| i.needs_render() && e.catchup.for_item(i) == CatchUp::Late;
    if !missed.iter().any(|i| summarisable(i) && i.fire_at < cutoff) {
        return Ok((missed, Vec::new()));
    }
    let (added, items) = enqueue_summaries(store, e, now)?;
    tracing::info!(
        messages = added,
        items = items.len(),
        "long downtime: work overdue and still open summarised, one message per recipient and channel"
    );
    let (skip, rest): (Vec<_>, Vec<_>) = missed
        .into_iter()
        .partition(|i| summarisable(i) && items.contains(&item_key(i)));
    Ok((
        rest,
        skip.into_iter()
            .map(|i| (i, SUMMARISED.to_owned()))
            .collect(),
    ))
}

/// Enqueues one summary row per recipient and channel; returns the rows added and every item
/// summarised.
fn enqueue_summaries(
    store: &mut dyn Store,
    e: &Engine,
    now: Timestamp,
) -> Result<(usize, BTreeSet<ItemKey>), StoreError> {
    let mut added = 0;
    let mut items = BTreeSet::new();
    for (recipient, channel, n, keys) in summaries(store, e, now)? {
        let row = NewReminder {
            dedupe_key: n.id.clone(),
            occurrence_key: format!("backlog@{}", now.as_second()),
            task_id: "-".into(),
            stage: "backlog".into(),
            kind: n.kind,
            recipient: recipient.clone(),
            channel: channel.clone(),
            fire_at: now,
            message: serde_json::to_string(&n).ok(),
        };
        if store.enqueue(&row, now)? {
            added += 1;
        }
        items.extend(
            keys.into_iter()
                .map(|k| (k, recipient.clone(), channel.clone())),
        );
    }
    Ok((added, items))
}

/// `rem` as it applies on `today` to an occurrence due before it: red, and a lead, due-today or
/// opening reminder becomes an overdue one (its wording and colour were those of its own day;
/// a summary that showed 黄 for work already overdue misled, issue 12). Check-ins and
/// escalations keep their kind: their wording already depends on the date.
fn as_of(mut rem: Reminder, due: Date, today: Date) -> Reminder {
    if due < today {
        rem.colour = Colour::Red;
        if matches!(
            rem.kind,
            MessageKind::Lead | MessageKind::DueToday | MessageKind::CampaignOpening
        ) {
            rem.kind = MessageKind::Overdue;
        }
    }
    rem
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
    let mut latest: BTreeMap<(SharedStr, SharedStr, SharedStr), Reminder> = BTreeMap::new();
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
        let Some(occ) = plan
            .occurrences
            .iter()
            .find(|o| *o.key == *r.occurrence_key)
        else {
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

/// One late summary (recipient, channel, message, occurrence keys) per recipient and channel:
/// a group of one reads 截至今日仍未办结的1项 too, since nothing was "sent late" here.
fn summaries(store: &dyn Store, e: &Engine, now: Timestamp) -> Result<Vec<Summary>, StoreError> {
    let l = &e.loaded;
    let cat = &l.catalog;
    let today = now.to_zoned_datetime(e.tz().clone()).date();
    let mut groups: BTreeMap<(String, String), Vec<Member>> = BTreeMap::new();
    for (occ, rem) in latest_missed(store, e, now)? {
        let rem = as_of(rem, occ.due, today);
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
                .entry((rem.recipient.to_string(), rem.channel.to_string()))
                .or_default()
                .push(Member { ctx, single }),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!(task = %rem.task_id, stage = %rem.stage, error = %err, "backlog item cannot be rendered; left out of the summary");
            }
        }
    }
    let mut out = Vec::new();
    for ((recipient, channel), members) in groups {
        let keys: Vec<String> = members
            .iter()
            .map(|m| m.ctx.occurrence.key.clone())
            .collect();
        match group::grouped(&e.renderer, members) {
            Ok(mut n) => {
                n.id = format!("backlog|{recipient}|{channel}|{today}");
                out.push((recipient, channel, n, keys));
            }
            Err(err) => {
                tracing::warn!(%recipient, error = %err, "backlog summary cannot be rendered")
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn reminder(kind: MessageKind, colour: Colour) -> Reminder {
        Reminder {
            occurrence_key: "2.3@2026-Q2-checkin".into(),
            task_id: "2.3".into(),
            stage: "lead-14d".into(),
            kind,
            colour,
            date: date(2026, 6, 16),
            at: Timestamp::UNIX_EPOCH,
            recipient: "food".into(),
            supporting: false,
            channel: "file".into(),
            why: "".into(),
        }
    }

    #[test]
    fn an_item_overdue_today_is_red_and_worded_as_overdue_whatever_its_last_reminder() {
        let (due, today) = (date(2026, 6, 30), date(2026, 8, 3));
        let r = as_of(reminder(MessageKind::Lead, Colour::Yellow), due, today);
        assert_eq!((r.kind, r.colour), (MessageKind::Overdue, Colour::Red));
        let r = as_of(reminder(MessageKind::DueToday, Colour::Yellow), due, today);
        assert_eq!((r.kind, r.colour), (MessageKind::Overdue, Colour::Red));
        // Check-ins and escalations keep their own wording, in red.
        let r = as_of(reminder(MessageKind::Checkin, Colour::Blue), due, today);
        assert_eq!((r.kind, r.colour), (MessageKind::Checkin, Colour::Red));
        let r = as_of(reminder(MessageKind::Escalation, Colour::Red), due, today);
        assert_eq!(r.kind, MessageKind::Escalation);
        // Not yet due: unchanged.
        let r = as_of(
            reminder(MessageKind::Lead, Colour::Yellow),
            due,
            date(2026, 6, 20),
        );
        assert_eq!((r.kind, r.colour), (MessageKind::Lead, Colour::Yellow));
    }
}
