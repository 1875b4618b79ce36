//! Decoding PostgreSQL rows into the store's types (the same column lists as SQLite's).
//!
//! May touch: nothing (pure conversions).

use tokio_postgres::Row;

use crate::store::types::{date, enum_parse, ts};
use crate::store::{
    DeliveryOutcome, DeliveryRecord, Occurrence, OccurrenceStatus, OutboxItem, OutboxState,
    ProgressNote, ProgressSource, StoreError,
};

/// The outbox columns [`outbox`] decodes, in order.
pub(super) const OUTBOX_COLUMNS: &str = "id, dedupe_key, occurrence_key, task_id, stage, kind, \
    recipient, channel, fire_at, state, attempts, next_attempt_at, last_error, message, late, \
    plan_version, created_at, updated_at, sent_at, lease_owner, lease_until";

/// The progress columns [`progress`] decodes.
pub(super) const PROGRESS_COLUMNS: &str =
    "id, task_id, occurrence_key, note, by_name, at, done, source";

/// The occurrence columns [`occurrence`] decodes.
pub(super) const OCCURRENCE_COLUMNS: &str = "key, task_id, rule_index, period_label, \
    window_start, window_end, due_date, status, colour, updated_at";

/// A pooled connection as the driver's client (for helpers that also run inside transactions).
pub(super) fn pg(o: &deadpool_postgres::Object) -> &tokio_postgres::Client {
    o
}

fn small<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T, StoreError> {
    T::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} {v}")))
}

fn opt_ts(v: Option<i64>) -> Result<Option<jiff::Timestamp>, StoreError> {
    v.map(ts).transpose()
}

/// Decodes a row selected with [`OUTBOX_COLUMNS`].
pub(super) fn outbox(r: &Row) -> Result<OutboxItem, StoreError> {
    Ok(OutboxItem {
        id: r.try_get(0)?,
        dedupe_key: r.try_get(1)?,
        occurrence_key: r.try_get(2)?,
        task_id: r.try_get(3)?,
        stage: r.try_get(4)?,
        kind: enum_parse(r.try_get::<_, &str>(5)?)?,
        recipient: r.try_get(6)?,
        channel: r.try_get(7)?,
        fire_at: ts(r.try_get(8)?)?,
        state: OutboxState::parse(r.try_get::<_, &str>(9)?)?,
        attempts: small(r.try_get(10)?, "attempts")?,
        next_attempt_at: ts(r.try_get(11)?)?,
        last_error: r.try_get(12)?,
        message: r.try_get(13)?,
        late: r.try_get(14)?,
        plan_version: r.try_get(15)?,
        created_at: ts(r.try_get(16)?)?,
        updated_at: ts(r.try_get(17)?)?,
        sent_at: opt_ts(r.try_get(18)?)?,
        lease_owner: r.try_get(19)?,
        lease_until: opt_ts(r.try_get(20)?)?,
    })
}

/// Decodes a row selected with [`PROGRESS_COLUMNS`].
pub(super) fn progress(r: &Row) -> Result<ProgressNote, StoreError> {
    Ok(ProgressNote {
        id: r.try_get(0)?,
        task_id: r.try_get(1)?,
        occurrence_key: r.try_get(2)?,
        note: r.try_get(3)?,
        by_name: r.try_get(4)?,
        at: ts(r.try_get(5)?)?,
        done: r.try_get(6)?,
        source: ProgressSource::parse(r.try_get::<_, &str>(7)?)?,
    })
}

/// Decodes a row selected with [`OCCURRENCE_COLUMNS`].
pub(super) fn occurrence(r: &Row) -> Result<Occurrence, StoreError> {
    Ok(Occurrence {
        key: r.try_get(0)?,
        task_id: r.try_get(1)?,
        rule_index: small(r.try_get(2)?, "rule_index")?,
        period_label: r.try_get(3)?,
        window_start: date(r.try_get::<_, &str>(4)?)?,
        window_end: date(r.try_get::<_, &str>(5)?)?,
        due_date: r.try_get::<_, Option<&str>>(6)?.map(date).transpose()?,
        status: OccurrenceStatus::parse(r.try_get::<_, &str>(7)?)?,
        colour: enum_parse(r.try_get::<_, &str>(8)?)?,
        updated_at: ts(r.try_get(9)?)?,
    })
}

/// Decodes `outbox_id, task_id, stage, channel, attempt, at, outcome, detail`.
pub(super) fn delivery(r: &Row) -> Result<DeliveryRecord, StoreError> {
    Ok(DeliveryRecord {
        outbox_id: r.try_get(0)?,
        task_id: r.try_get(1)?,
        stage: r.try_get(2)?,
        channel: r.try_get(3)?,
        attempt: small(r.try_get(4)?, "attempt")?,
        at: ts(r.try_get(5)?)?,
        outcome: DeliveryOutcome::parse(r.try_get::<_, &str>(6)?)?,
        detail: r.try_get(7)?,
    })
}

/// Decodes a list of rows with `f`.
pub(super) fn all<T>(
    rows: &[Row],
    f: impl Fn(&Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(f).collect()
}
