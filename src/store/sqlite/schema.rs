//! Numbered schema migrations, tracked with `PRAGMA user_version`.
//!
//! May touch: the SQLite connection it is given. The SQL lives in `src/store/migrations/NNNN_*.sql`
//! and is embedded in the binary, so a deployed binary always carries the schema it expects.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// One migration: the `user_version` it brings the database to, and its SQL.
struct Migration {
    version: i64,
    sql: &'static str,
}

/// Every migration, in order. Append only: a released migration is never edited, because
/// databases in the field have already run it (the v1 fixture test catches accidents).
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_due_indexes_digest_runs.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("migrations/0003_render_at_send_leases.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("migrations/0004_web_requests_audit.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("migrations/0005_event_windows.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("migrations/0006_send_buckets.sql"),
    },
];

/// The schema version this binary writes (the `user_version` after all migrations).
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The database's current `user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Brings the database up to `target` (normally [`SCHEMA_VERSION`]), one transaction per
/// migration, so a crash between migrations leaves a consistent, numbered state.
///
/// The version is re-read inside each `IMMEDIATE` transaction: if the daemon and the CLI open a
/// fresh file at the same moment, the second one waits on the lock and then finds nothing to do.
///
/// # Errors
/// [`StoreError::TooNew`] if the file was written by a newer binary; [`StoreError::Migration`]
/// if a migration's SQL fails (the transaction is rolled back).
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), StoreError> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version <= target) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if user_version(&tx)? >= migration.version {
            continue;
        }
        tx.execute_batch(migration.sql)
            .map_err(|source| StoreError::Migration {
                version: migration.version,
                source: Box::new(source),
            })?;
        tx.pragma_update(None, "user_version", migration.version)?;
        tx.commit()?;
    }
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

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, SCHEMA_VERSION).unwrap();
        migrate_to(&mut conn, SCHEMA_VERSION).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn newer_version_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = migrate_to(&mut conn, SCHEMA_VERSION).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1));
        assert!(err.to_string().contains("newer"), "{err}");
    }
}
