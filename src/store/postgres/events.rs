//! Office-declared event windows on PostgreSQL (the rules of `store/sqlite/events.rs`): start,
//! end, list.
//!
//! May touch: the `event_windows` table. Two replicas (or a CLI and the web) declaring the same
//! event at once serialise on a transaction-level advisory lock keyed by the event's name, so the
//! check (`store::events`) and the write see the same windows. A start or end sends the wake-up
//! hint (`listen`), so running replicas re-plan at once.

use deadpool_postgres::{GenericClient, Object};
use jiff::Timestamp;
use jiff::civil::Date;
use tokio_postgres::Row;

use crate::store::events::{check_end, check_start};
use crate::store::types::{date, ts};
use crate::store::{DeclaredWindow, StoreError};

const COLUMNS: &str = "id, event, start_date, end_date, started_by, started_at, ended_by, ended_at";

/// Opens a window of `event` from `on`.
pub(super) async fn start(
    c: &mut Object,
    event: &str,
    on: Date,
    by: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let tx = c.transaction().await?;
    lock(&tx, event).await?;
    check_start(event, on, &windows(&tx, Some(event)).await?)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO event_windows (event, start_date, started_by, started_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&event, &on.to_string(), &by, &now.as_second()],
        )
        .await?
        .try_get(0)?;
    hint(&tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// Closes the open window of `event` on `on`.
pub(super) async fn end(
    c: &mut Object,
    event: &str,
    on: Date,
    by: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let tx = c.transaction().await?;
    lock(&tx, event).await?;
    let id = check_end(event, on, &windows(&tx, Some(event)).await?)?;
    tx.execute(
        "UPDATE event_windows SET end_date = $2, ended_by = $3, ended_at = $4 WHERE id = $1",
        &[&id, &on.to_string(), &by, &now.as_second()],
    )
    .await?;
    hint(&tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// Every window, by event then start.
pub(super) async fn list(c: &Object) -> Result<Vec<DeclaredWindow>, StoreError> {
    windows(c, None).await
}

/// Wakes the replicas (delivered at commit): their next turn reads the new window and re-plans.
async fn hint(c: &impl GenericClient) -> Result<(), StoreError> {
    c.execute("SELECT pg_notify($1, '')", &[&super::listen::CHANNEL])
        .await?;
    Ok(())
}

/// Serialises declarations of one event until the transaction ends.
async fn lock(c: &impl GenericClient, event: &str) -> Result<(), StoreError> {
    c.execute(
        "SELECT pg_advisory_xact_lock(hashtext('dutybell-event:' || $1))",
        &[&event],
    )
    .await?;
    Ok(())
}

async fn windows(
    c: &impl GenericClient,
    event: Option<&str>,
) -> Result<Vec<DeclaredWindow>, StoreError> {
    let rows = c
        .query(
            &format!(
                "SELECT {COLUMNS} FROM event_windows WHERE $1::TEXT IS NULL OR event = $1
                 ORDER BY event, start_date, id"
            ),
            &[&event],
        )
        .await?;
    rows.iter().map(window).collect()
}

fn window(r: &Row) -> Result<DeclaredWindow, StoreError> {
    Ok(DeclaredWindow {
        id: r.try_get(0)?,
        event: r.try_get(1)?,
        start: date(r.try_get::<_, &str>(2)?)?,
        end: r.try_get::<_, Option<&str>>(3)?.map(date).transpose()?,
        started_by: r.try_get(4)?,
        started_at: ts(r.try_get(5)?)?,
        ended_by: r.try_get(6)?,
        ended_at: r.try_get::<_, Option<i64>>(7)?.map(ts).transpose()?,
    })
}
