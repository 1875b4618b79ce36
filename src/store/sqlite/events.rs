//! Office-declared event windows on SQLite (issue 14): start, end, list.
//!
//! May touch: the `event_windows` table. The rules (no second open window, no end before the
//! start) are `store::events`'; each write checks them and writes in one `IMMEDIATE`
//! transaction, so the daemon and a CLI command never interleave a start and an end.

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, Row, TransactionBehavior, params};

use super::SqliteStore;
use crate::store::events::{check_end, check_start};
use crate::store::types::{date, ts};
use crate::store::{DeclaredWindow, StoreError};

const COLUMNS: &str = "id, event, start_date, end_date, started_by, started_at, ended_by, ended_at";

impl SqliteStore {
    pub(super) fn start_event_impl(
        &mut self,
        event: &str,
        on: Date,
        by: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_start(event, on, &windows(&tx, Some(event))?)?;
        tx.execute(
            "INSERT INTO event_windows (event, start_date, started_by, started_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![event, on.to_string(), by, now.as_second()],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    pub(super) fn end_event_impl(
        &mut self,
        event: &str,
        on: Date,
        by: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = check_end(event, on, &windows(&tx, Some(event))?)?;
        tx.execute(
            "UPDATE event_windows SET end_date = ?2, ended_by = ?3, ended_at = ?4 WHERE id = ?1",
            params![id, on.to_string(), by, now.as_second()],
        )?;
        tx.commit()?;
        Ok(id)
    }

    pub(super) fn event_windows_impl(&self) -> Result<Vec<DeclaredWindow>, StoreError> {
        windows(&self.conn, None)
    }
}

/// The windows of `event` (or of every event), by event then start.
fn windows(conn: &Connection, event: Option<&str>) -> Result<Vec<DeclaredWindow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM event_windows WHERE ?1 IS NULL OR event = ?1
         ORDER BY event, start_date, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([event])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(window_from_row(row)?);
    }
    Ok(out)
}

fn window_from_row(row: &Row<'_>) -> Result<DeclaredWindow, StoreError> {
    let end: Option<String> = row.get(3)?;
    let ended_at: Option<i64> = row.get(7)?;
    Ok(DeclaredWindow {
        id: row.get(0)?,
        event: row.get(1)?,
        start: date(&row.get::<_, String>(2)?)?,
        end: end.as_deref().map(date).transpose()?,
        started_by: row.get(4)?,
        started_at: ts(row.get(5)?)?,
        ended_by: row.get(6)?,
        ended_at: ended_at.map(ts).transpose()?,
    })
}
