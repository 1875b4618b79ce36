//! Numbered schema migrations of the PostgreSQL backend, tracked in a `schema_version` table.
//!
//! May touch: the database it is given. The SQL lives in `src/store/postgres/migrations/` and is
//! embedded in the binary. PostgreSQL's numbering is its own (SQLite counts from its own history).
//!
//! Every replica migrates at open. All pending migrations run in ONE transaction that first takes
//! `pg_advisory_xact_lock`: replicas starting together serialise on it, and the later ones find
//! nothing to do. The lock is transaction-scoped (not session-scoped) on purpose, so it works
//! behind PgBouncer in transaction pooling mode, where a session lock could be taken on one server
//! connection and "released" on another.

use deadpool_postgres::Object;

use crate::store::StoreError;

/// One migration: the version it brings the database to, and its SQL.
struct Migration {
    version: i64,
    sql: &'static str,
}

/// Every migration, in order. Append only: a released migration is never edited.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_web_requests_audit.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("migrations/0003_event_windows.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("migrations/0004_send_buckets.sql"),
    },
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The advisory lock key of migrations (`'dutybell'` as bytes, so it does not collide with another
/// application's small integers on a shared server).
const MIGRATION_LOCK: i64 = 0x6475_7479_6265_6c6c;

/// The database's schema version (0 for an empty database).
pub(super) async fn version(c: &tokio_postgres::Client) -> Result<i64, StoreError> {
    // Two statements: a CASE around the subquery would still be planned, and fail, when the
    // table is missing.
    let exists: bool = c
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .await?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    let row = c
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await?;
    Ok(row.try_get(0)?)
}

/// Brings the database to [`SCHEMA_VERSION`] (see the module docs for the locking).
///
/// # Errors
/// [`StoreError::TooNew`] for a database written by a newer binary; [`StoreError::Migration`]
/// when a migration fails (nothing is applied then).
pub(super) async fn migrate(c: &mut Object) -> Result<(), StoreError> {
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version    BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await?;
    let found: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await?
        .try_get(0)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > found) {
        let failed = |source: tokio_postgres::Error| StoreError::Migration {
            version: m.version,
            source: Box::new(source),
        };
        tx.batch_execute(m.sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&m.version],
        )
        .await
        .map_err(failed)?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "migration {i} is misnumbered");
        }
    }
}
