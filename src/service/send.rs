//! Sending one claimed row: render it from its identity with the templates in force now (or read
//! the snapshot of a digest or alert), send it over its channel, and turn what happened into the
//! outcome the lease holder records.
//!
//! May touch: channels through the [`Dispatcher`](crate::dispatch::Dispatcher). No SQL: the caller
//! records the returned [`Recorded`](crate::store::Recorded).

use jiff::Timestamp;

use super::Engine;
use crate::dispatch::Outcome;
use crate::notify::Notification;
use crate::schedule;
use crate::store::OutboxItem;

/// What a row turns into before it is sent.
#[derive(Debug)]
pub enum Prepared {
    /// Send this notification; `frozen` is its JSON when the row carried no snapshot (stored
    /// with the outcome, so the record shows exactly what went out).
    Send {
        /// The message.
        notification: Box<Notification>,
        /// JSON to freeze into the row, for rows rendered at send time.
        frozen: Option<String>,
    },
    /// Do not send: the reminder is no longer in the plan (edited or removed since it was planned).
    Skip(String),
    /// Cannot be sent ever (a template or stored snapshot is broken).
    Fail(String),
}

/// Renders a claimed row as it should go out at `now`.
pub fn prepare(e: &Engine, item: &OutboxItem, now: Timestamp) -> Prepared {
    if !item.needs_render() {
        return match item.notification() {
            Ok(mut n) => {
                if item.late && !n.subject.starts_with("【补发】") {
                    n.subject = format!("【补发】{}", n.subject);
                }
                Prepared::Send {
                    notification: Box::new(n),
                    frozen: None,
                }
            }
            Err(err) => Prepared::Fail(format!("stored message cannot be read: {err}")),
        };
    }
    let member = match prepare_member(e, item, now) {
        Ok(m) => m,
        Err(p) => return p,
    };
    let frozen = serde_json::to_string(&member.single).ok();
    Prepared::Send {
        notification: Box::new(member.single),
        frozen,
    }
}

/// Renders a claimed plan reminder as one member of a group ([`super::group`]): its template
/// context and the notification it would be alone. `Err` carries what to record instead (no
/// longer planned, cannot render).
///
/// # Errors
/// [`Prepared::Skip`] or [`Prepared::Fail`].
pub fn prepare_member(
    e: &Engine,
    item: &OutboxItem,
    now: Timestamp,
) -> Result<crate::render::group::Member, Prepared> {
    let cat = &e.loaded.catalog;
    let cal = &e.loaded.calendar;
    let Some(task) = cat.task(&item.task_id) else {
        return Err(Prepared::Skip(format!(
            "task {} is no longer in the plan",
            item.task_id
        )));
    };
    let day = item.fire_at.to_zoned_datetime(e.tz().clone()).date();
    // Web loop (issue 13): a granted 延期 moved this occurrence's ladder; plan with it. The
    // day's cache is cleared whenever the overrides change (`Engine::set_due_overrides`).
    let plan = e
        .day_plans
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&task.id, day, || {
            let overrides = e
                .due_overrides
                .read()
                .map(|o| o.clone())
                .unwrap_or_default();
            // Issue 14: `after:` and `during:` occurrences exist only with the store's facts.
            let mut facts = e.plan_facts.read().map(|f| f.clone()).unwrap_or_default();
            facts.overrides = overrides;
            schedule::plan_tasks_facts(cat, cal, [task], day, day, &facts)
        });
    let rem = plan
        .reminders
        .iter()
        .find(|r| r.dedupe_key() == item.dedupe_key);
    let occ = plan
        .occurrences
        .iter()
        .find(|o| o.key == item.occurrence_key);
    let (Some(rem), Some(occ)) = (rem, occ) else {
        return Err(Prepared::Skip(
            "no longer in the plan (the plan was edited since)".into(),
        ));
    };
    let today = now.to_zoned_datetime(e.tz().clone()).date();
    // Web loop (issue 13): the unit's signed link replaces `settings.progress_url`.
    let link = e.progress_link(&item.recipient, &item.occurrence_key, now);
    let fail = |err: crate::render::RenderError| Prepared::Fail(format!("cannot render: {err}"));
    let (ctx, _) =
        crate::render::reminder_context(cat, cal, occ, rem, item.late, today, link.as_deref())
            .map_err(fail)?;
    let single = crate::render::notification_linked(
        &e.renderer,
        cat,
        cal,
        occ,
        rem,
        item.late,
        today,
        link.as_deref(),
    )
    .map_err(fail)?;
    Ok(crate::render::group::Member { ctx, single })
}

/// Delivers and counts the send for `/metrics` (web loop, issue 13); the latency uses the
/// monotonic clock, never the wall clock.
pub(super) async fn timed_deliver(e: &Engine, item: &OutboxItem, n: Notification) -> Outcome {
    let started = std::time::Instant::now();
    let out = e.dispatcher.deliver(item, n).await;
    let outcome = match &out {
        Outcome::Sent(_) => "sent",
        Outcome::Retry { .. } => "retry",
        Outcome::Deferred { .. } => "deferred",
        Outcome::Dead(_) => "dead",
    };
    crate::metrics::record_send(&item.channel, outcome, started.elapsed().as_secs_f64());
    out
}
