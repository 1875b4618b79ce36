//! Database-level chores for tests, CI and `store copy`: create and drop a database, and ask
//! whether the server answers at all. They connect to the URL's database (normally `postgres` or
//! `test`) and act on another one by name.
//!
//! May touch: the PostgreSQL server named by the URL (CREATE/DROP DATABASE only).

use std::time::Duration;

use crate::store::{PgUrl, StoreError};

use super::connect;

/// Runs `sql` (no parameters) on the URL's database with a one-off connection.
fn exec(url: &PgUrl, sql: &str) -> Result<(), StoreError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Database(Box::new(e)))?;
    let pool = connect::pool(url)?;
    let result = rt.block_on(async {
        let c = pool.get().await.map_err(|e| StoreError::Connect {
            url: url.display(),
            source: Box::new(e),
        })?;
        c.batch_execute(sql).await?;
        Ok(())
    });
    drop(pool);
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

/// Runs `sql` (statements without parameters) on the URL's database: test fixtures (a database
/// "from a newer dutybell") and one-off chores.
///
/// # Errors
/// [`StoreError::Connect`] or [`StoreError::Database`].
pub fn execute(url: &PgUrl, sql: &str) -> Result<(), StoreError> {
    exec(url, sql)
}

/// The one integer `sql` selects on the URL's database (tests and drills: counting sessions,
/// rows).
///
/// # Errors
/// [`StoreError::Connect`] or [`StoreError::Database`].
pub fn scalar(url: &PgUrl, sql: &str) -> Result<i64, StoreError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Database(Box::new(e)))?;
    let pool = connect::pool(url)?;
    let result = rt.block_on(async {
        let c = pool.get().await.map_err(|e| StoreError::Connect {
            url: url.display(),
            source: Box::new(e),
        })?;
        Ok(c.query_one(sql, &[]).await?.try_get(0)?)
    });
    drop(pool);
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

fn ident(name: &str) -> Result<String, StoreError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::BadUrl(format!("database name {name:?}")));
    }
    Ok(format!("\"{name}\""))
}

/// Succeeds when the server answers and accepts the login.
///
/// # Errors
/// [`StoreError::Connect`] with the reason.
pub fn reachable(url: &PgUrl) -> Result<(), StoreError> {
    exec(url, "SELECT 1")
}

/// Creates database `name` (ASCII letters, digits and `_` only).
///
/// # Errors
/// [`StoreError::Connect`] or [`StoreError::Database`] (e.g. it exists).
pub fn create_database(url: &PgUrl, name: &str) -> Result<(), StoreError> {
    exec(url, &format!("CREATE DATABASE {}", ident(name)?))
}

/// Drops database `name`, disconnecting its sessions first.
///
/// # Errors
/// [`StoreError::Connect`] or [`StoreError::Database`].
pub fn drop_database(url: &PgUrl, name: &str) -> Result<(), StoreError> {
    exec(
        url,
        &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name)?),
    )
}

/// What the `deliveries` table says about leases (the replica crash test, and an operator's
/// audit after an incident).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseAudit {
    /// Rows recorded as sent.
    pub sent: i64,
    /// Rows recorded as sent more than once (must be 0: `record` requires the live lease).
    pub double_recorded: i64,
    /// Takeovers of a row from another holder (expired-lease reclaims and recoveries): each is
    /// one possible duplicate send, so they bound the duplicates.
    pub takeovers: i64,
    /// Takeovers that happened while the previous holder's lease was still live on the
    /// database clock (must be 0: that would be two owners with live leases on one row).
    pub overlapping: i64,
}

/// Audits the lease history in `deliveries` (see [`LeaseAudit`]).
///
/// # Errors
/// [`StoreError::Connect`] or [`StoreError::Database`].
pub fn lease_audit(url: &PgUrl) -> Result<LeaseAudit, StoreError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Database(Box::new(e)))?;
    let pool = connect::pool(url)?;
    let result = rt.block_on(async {
        let c = pool.get().await.map_err(|e| StoreError::Connect {
            url: url.display(),
            source: Box::new(e),
        })?;
        let r = c
            .query_one(
                "SELECT
                   (SELECT count(*) FROM deliveries WHERE outcome = 'sent'),
                   (SELECT count(*) FROM (SELECT outbox_id FROM deliveries WHERE outcome = 'sent'
                                          GROUP BY outbox_id HAVING count(*) > 1) x),
                   (SELECT count(*) FROM deliveries
                     WHERE outcome = 'retry' AND owner IS NOT NULL AND lease_until IS NOT NULL),
                   (SELECT count(*) FROM deliveries
                     WHERE outcome = 'retry' AND owner IS NOT NULL AND db_at < lease_until)",
                &[],
            )
            .await?;
        Ok(LeaseAudit {
            sent: r.try_get(0)?,
            double_recorded: r.try_get(1)?,
            takeovers: r.try_get(2)?,
            overlapping: r.try_get(3)?,
        })
    });
    drop(pool);
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}
