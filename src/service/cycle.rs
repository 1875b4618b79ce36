//! One turn of dispatch, store side: the downtime catch-up pass, claiming with a lease, and
//! recording outcomes. The daemon (real or simulated time) drives these; sending is in
//! [`super::send`].
//!
//! May touch: the store through the trait. Pure otherwise; `now` is a parameter.

use jiff::{SignedDuration, Timestamp};

use super::Engine;
use crate::dispatch::catchup::{self, MISSED_AFTER};
use crate::store::{Lease, OutboxItem, Recorded, Store, StoreError};

/// How long a claim holds a row before another process may take it over: longer than any send
/// can take (channel timeouts are at most a minute), short enough that a crashed process's rows
/// go out again within minutes.
pub const LEASE_TTL: SignedDuration = SignedDuration::from_mins(5);

/// Applies the downtime policy to every row missed while nobody was sending (pending rows never
/// attempted that fired more than [`MISSED_AFTER`] ago). Per occurrence, recipient and channel at
/// most the latest stage is kept (it goes out with the next claim, marked 补发); the rest are
/// skipped with a reason. Returns how many were skipped. At the first start, and after a
/// downtime longer than the grace, it enqueues the backlog summaries ([`super::backlog`]).
///
/// # Errors
/// A store error; rows skipped before it stay skipped (each skip is its own transaction and
/// the pass is idempotent).
pub fn catch_up(store: &mut dyn Store, e: &Engine, now: Timestamp) -> Result<usize, StoreError> {
    // Issue 12: at the first start, work already overdue is summarised once per recipient.
    super::backlog::first_start(store, e, now)?;
    let before = now.checked_sub(MISSED_AFTER).unwrap_or(now);
    let missed = store.missed(before)?;
    if missed.is_empty() {
        return Ok(0);
    }
    let cutoff = e.grace_cutoff(now);
    // Issue 12: after a downtime longer than the grace, overdue work still open is summarised
    // (one message per recipient and channel) instead of its old rows being dropped.
    let (missed, summarised) = super::backlog::after_long_downtime(store, e, now, cutoff, missed)?;
    let mut verdict = catchup::apply(missed, cutoff, &e.catchup);
    verdict.skip.extend(summarised);
    for (item, why) in &verdict.skip {
        tracing::info!(task = %item.task_id, stage = %item.stage, recipient = %item.recipient, channel = %item.channel, outcome = "skipped", reason = %why, "catch-up");
        store.skip_pending(item.id, now, why)?;
    }
    if !verdict.send.is_empty() {
        tracing::info!(
            rows = verdict.send.len(),
            skipped = verdict.skip.len(),
            "reminders missed while dutybell was down go out now, marked 补发"
        );
    }
    Ok(verdict.skip.len())
}

/// Claims up to `limit` due rows for `owner`.
///
/// # Errors
/// A store error; nothing is claimed then.
pub fn claim(
    store: &mut dyn Store,
    owner: &str,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<OutboxItem>, StoreError> {
    claim_for(store, owner, now, limit, LEASE_TTL)
}

/// Claims up to `limit` due rows for `owner`, leased for `ttl`.
///
/// # Errors
/// A store error; nothing is claimed then.
pub fn claim_for(
    store: &mut dyn Store,
    owner: &str,
    now: Timestamp,
    limit: usize,
    ttl: SignedDuration,
) -> Result<Vec<OutboxItem>, StoreError> {
    let lease = Lease {
        owner: owner.to_owned(),
        ttl,
    };
    store.claim(&lease, now, limit)
}

/// Records the outcomes of a batch of sends as the lease holder in one transaction (the group
/// commit: one fsync for the batch instead of one per row), then queues an operator alert for
/// each dead row. Outcomes of rows whose lease lapsed are logged and discarded.
///
/// # Errors
/// A store error; then none of the batch's outcomes is recorded.
pub fn record_many(
    store: &mut dyn Store,
    e: &Engine,
    owner: &str,
    pairs: &[(OutboxItem, Recorded)],
    now: Timestamp,
) -> Result<(), StoreError> {
    // References: an outcome can carry the whole rendered message (frozen for audit).
    let outcomes: Vec<&Recorded> = pairs.iter().map(|(_, r)| r).collect();
    let lost = store.record_many(owner, &outcomes, now)?;
    for (item, outcome) in pairs {
        if lost.contains(&item.id) {
            let err = StoreError::LeaseLost {
                id: item.id,
                owner: owner.to_owned(),
            };
            tracing::warn!(task = %item.task_id, stage = %item.stage, error = %err, "outcome discarded");
            continue;
        }
        if let Recorded::Dead { error, .. } = outcome
            && let Some(alert) = e.operator_alert(item, error, now)
        {
            store.enqueue(&alert, now)?;
        }
    }
    Ok(())
}
