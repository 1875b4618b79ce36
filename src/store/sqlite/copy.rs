//! The SQLite end of `store copy` ([`crate::store::copy`]): a source read in one read
//! transaction (WAL keeps its snapshot stable while the daemon writes), or a target written in
//! one `BEGIN IMMEDIATE` transaction under the one-dispatcher lock, so no daemon runs on the
//! target while it is filled.
//!
//! May touch: the source file (read only) or the target file, its `-wal`/`-shm` and `.lock`.

use std::path::Path;

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags};

use super::{DispatchLock, SCHEMA_VERSION, SqliteStore, schema};
use crate::store::copy::tables::{Col, Table, Treat};
use crate::store::copy::{CopyEnd, CopyError, Row, Value};
use crate::store::{BUSY_TIMEOUT, StoreError};

/// Rows per INSERT statement (well under SQLite's limit of bound parameters).
const ROWS_PER_INSERT: usize = 200;

/// One end of a copy on a SQLite file.
pub(crate) struct SqliteCopy {
    conn: Connection,
    label: String,
    _lock: Option<DispatchLock>,
}

fn label(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Opens `path` read-only and starts the snapshot every table is read in.
///
/// # Errors
/// [`CopyError::NoSource`] when the file does not exist, [`CopyError::SourceVersion`] when it is not
/// at [`SCHEMA_VERSION`].
pub(crate) fn open_source(path: &Path) -> Result<SqliteCopy, CopyError> {
    if !path.is_file() {
        return Err(CopyError::NoSource(label(path)));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(StoreError::from)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(StoreError::from)?;
    let found = schema::user_version(&conn)?;
    if found != SCHEMA_VERSION {
        return Err(CopyError::SourceVersion {
            url: label(path),
            found,
            expected: SCHEMA_VERSION,
            hint: if found > SCHEMA_VERSION {
                "use the newer dutybell that wrote it"
            } else {
                "start this dutybell on it once (`dutybell status` migrates it), then copy"
            },
        });
    }
    // A deferred read transaction takes its snapshot at the first read, which is right here.
    conn.execute_batch("BEGIN").map_err(StoreError::from)?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
        .map_err(StoreError::from)?;
    Ok(SqliteCopy {
        conn,
        label: label(path),
        _lock: None,
    })
}

/// Opens (creating) `path` as a copy target: takes its dispatch lock, creates the schema when the
/// file is new, refuses any other schema version, and begins the write transaction.
///
/// # Errors
/// [`StoreError::Locked`] when a daemon runs on it, [`CopyError::TargetVersion`].
pub(crate) fn open_target(path: &Path) -> Result<SqliteCopy, CopyError> {
    let holder = format!("dutybell store copy, pid {}", std::process::id());
    let lock = DispatchLock::acquire(path, &holder)?;
    // Version 0: open without migrating, to look first.
    let store = match SqliteStore::open_at_version(path, 0) {
        Err(StoreError::TooNew { found, .. }) => {
            return Err(target_version(path, found));
        }
        other => other?,
    };
    let mut conn = store.conn;
    match schema::user_version(&conn)? {
        0 => schema::migrate_to(&mut conn, SCHEMA_VERSION)?,
        SCHEMA_VERSION => {}
        found => return Err(target_version(path, found)),
    }
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(StoreError::from)?;
    Ok(SqliteCopy {
        conn,
        label: label(path),
        _lock: Some(lock),
    })
}

fn target_version(path: &Path, found: i64) -> CopyError {
    CopyError::TargetVersion {
        url: label(path),
        found,
        expected: SCHEMA_VERSION,
        hint: if found > SCHEMA_VERSION {
            "it was written by a newer dutybell"
        } else {
            "copy into a new file, or migrate it first by starting this dutybell on it"
        },
    }
}

fn value(v: ValueRef<'_>, t: &Table, col: &Col) -> Result<Value, StoreError> {
    match v {
        ValueRef::Null => Ok(Value::Null),
        ValueRef::Integer(i) => Ok(Value::Int(i)),
        ValueRef::Text(b) => std::str::from_utf8(b)
            .map(|s| Value::Text(s.to_owned()))
            .map_err(|_| StoreError::Corrupt(format!("{}.{} is not UTF-8", t.name, col.name))),
        ValueRef::Real(_) | ValueRef::Blob(_) => Err(StoreError::Corrupt(format!(
            "{}.{} holds a real or blob value",
            t.name, col.name
        ))),
    }
}

impl CopyEnd for SqliteCopy {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn is_postgres(&self) -> bool {
        false
    }

    fn rows(
        &mut self,
        t: &Table,
        cols: &[Col],
        after: Option<i64>,
        upto: Option<i64>,
        limit: Option<usize>,
    ) -> Result<Vec<Row>, StoreError> {
        let names = cols.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
        let sql = if t.int_id {
            format!(
                "SELECT {names} FROM {} WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
                t.name
            )
        } else {
            format!("SELECT {names} FROM {}", t.name)
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = if t.int_id {
            let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
            stmt.query(rusqlite::params![
                after.unwrap_or(i64::MIN),
                upto.unwrap_or(i64::MAX),
                limit
            ])?
        } else {
            stmt.query([])?
        };
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(cols.len());
            for (i, c) in cols.iter().enumerate() {
                row.push(value(r.get_ref(i)?, t, c)?);
            }
            out.push(row);
        }
        Ok(out)
    }

    fn upsert(&mut self, t: &Table, cols: &[Col], rows: &[Row]) -> Result<(), StoreError> {
        let cleared: Vec<&Col> = t
            .cols
            .iter()
            .filter(|c| c.treat == Treat::Cleared)
            .collect();
        let names = cols
            .iter()
            .chain(cleared.iter().copied())
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ");
        let key = t
            .key()
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ");
        let set = cols[t.key_len..]
            .iter()
            .chain(cleared.iter().copied())
            .map(|c| format!("{0} = excluded.{0}", c.name))
            .collect::<Vec<_>>();
        let on_conflict = if set.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            format!("DO UPDATE SET {}", set.join(", "))
        };
        let one = format!(
            "({})",
            std::iter::repeat_n("?", cols.len())
                .chain(std::iter::repeat_n("NULL", cleared.len()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO {} ({names}) VALUES {} ON CONFLICT ({key}) {on_conflict}",
                t.name,
                vec![one.as_str(); chunk.len()].join(", ")
            );
            let params: Vec<SqlValue> = chunk
                .iter()
                .flatten()
                .map(|v| match v {
                    Value::Null => SqlValue::Null,
                    Value::Int(i) => SqlValue::Integer(*i),
                    Value::Text(s) => SqlValue::Text(s.clone()),
                })
                .collect();
            self.conn
                .prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(params))?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }
    fn rollback(&mut self) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }
}
