//! Small facts (`meta`), periodic-job ticks (`ticks`), the leader lease (`leases`) and replica
//! heartbeats (`replicas`) on PostgreSQL.
//!
//! May touch: the `meta`, `ticks`, `leases` and `replicas` tables. Lease and heartbeat expiry
//! use the database's clock, like outbox leases.

use jiff::{SignedDuration, Timestamp};
use tokio_postgres::Client;

use crate::store::types::ts;
use crate::store::{Heartbeat, Replica, StoreError};

/// The value stored under `key`.
pub(super) async fn get(c: &Client, key: &str) -> Result<Option<String>, StoreError> {
    Ok(
        c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
    )
}

/// Stores `value` under `key`.
pub(super) async fn set(c: &Client, key: &str, value: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )
    .await?;
    Ok(())
}

/// Stores `value` under `key` unless it has one; the value stored (see [`crate::store::Store::meta_first`]).
pub(super) async fn first(c: &Client, key: &str, value: &str) -> Result<String, StoreError> {
    // `DO UPDATE` with no change (rather than `DO NOTHING`) so that RETURNING yields the row a
    // concurrent transaction inserted first.
    let r = c
        .query_one(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = meta.value
             RETURNING value",
            &[&key, &value],
        )
        .await?;
    Ok(r.try_get(0)?)
}

/// Adds one to the counter under `key`, in one statement (see [`crate::store::Store::meta_count`]).
pub(super) async fn count(c: &Client, key: &str) -> Result<i64, StoreError> {
    let r = c
        .query_one(
            "INSERT INTO meta (key, value) VALUES ($1, '1')
             ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text
             RETURNING value::bigint",
            &[&key],
        )
        .await?;
    Ok(r.try_get(0)?)
}

/// The due instant of the last completed tick of `job`.
pub(super) async fn last_tick(c: &Client, job: &str) -> Result<Option<Timestamp>, StoreError> {
    c.query_opt("SELECT last_due FROM ticks WHERE job = $1", &[&job])
        .await?
        .map(|r| r.try_get(0).map_err(StoreError::from).and_then(ts))
        .transpose()
}

/// Records the tick of `job` due at `due`; false when it (or a later one) was recorded, by this
/// or any other replica.
pub(super) async fn record_tick(
    c: &Client,
    job: &str,
    due: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = c
        .execute(
            "INSERT INTO ticks (job, last_due, done_at) VALUES ($1, $2, $3)
             ON CONFLICT (job) DO UPDATE SET last_due = excluded.last_due,
                 done_at = excluded.done_at
             WHERE ticks.last_due < excluded.last_due",
            &[&job, &due.as_second(), &now.as_second()],
        )
        .await?;
    Ok(n == 1)
}

/// Takes the leader lease if it is free or expired, or renews it if `owner` holds it.
pub(super) async fn try_lead(
    c: &Client,
    owner: &str,
    ttl: SignedDuration,
) -> Result<bool, StoreError> {
    let row = c
        .query_opt(
            "INSERT INTO leases (name, holder, until_s)
             VALUES ('leader', $1, floor(extract(epoch FROM now()))::bigint + $2)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_s = excluded.until_s
             WHERE leases.holder = excluded.holder
                OR leases.until_s <= extract(epoch FROM now())
             RETURNING holder",
            &[&owner, &ttl.as_secs()],
        )
        .await?;
    Ok(row.is_some())
}

/// Upserts this replica's heartbeat, live for `ttl` on the database clock.
pub(super) async fn heartbeat(
    c: &Client,
    b: &Heartbeat,
    ttl: SignedDuration,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO replicas (owner, version, plan_hash, plan_gen, started_at, last_seen, until_s)
         VALUES ($1, $2, $3, $4, $5, floor(extract(epoch FROM now()))::bigint,
                 floor(extract(epoch FROM now()))::bigint + $6)
         ON CONFLICT (owner) DO UPDATE SET version = excluded.version,
             plan_hash = excluded.plan_hash, plan_gen = excluded.plan_gen,
             last_seen = excluded.last_seen, until_s = excluded.until_s",
        &[
            &b.owner,
            &b.version,
            &b.plan_hash,
            &b.plan_gen,
            &b.started_at.as_second(),
            &ttl.as_secs(),
        ],
    )
    .await?;
    Ok(())
}

/// Live replicas, leader first, then by start.
pub(super) async fn replicas(c: &Client) -> Result<Vec<Replica>, StoreError> {
    let rows = c
        .query(
            "SELECT r.owner, r.version, r.plan_hash, r.plan_gen, r.started_at, r.last_seen,
                    COALESCE(l.holder = r.owner AND l.until_s > extract(epoch FROM now()), FALSE)
             FROM replicas r LEFT JOIN leases l ON l.name = 'leader'
             WHERE r.until_s > extract(epoch FROM now())
             ORDER BY 7 DESC, r.started_at, r.owner",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Replica {
                owner: r.try_get(0)?,
                version: r.try_get(1)?,
                plan_hash: r.try_get(2)?,
                plan_gen: r.try_get(3)?,
                started_at: ts(r.try_get(4)?)?,
                last_seen: ts(r.try_get(5)?)?,
                leader: r.try_get(6)?,
            })
        })
        .collect()
}
