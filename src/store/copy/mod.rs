//! `dutybell store copy`: moves an installation's state between stores (SQLite → PostgreSQL, the
//! reverse, SQLite → SQLite, PostgreSQL → PostgreSQL) without loss, and proves it with a count
//! and a checksum per table.
//!
//! May touch: the two databases, through the adapters' copy ends (`sqlite::copy`,
//! `postgres::copy`): the source only reads, the target writes in ONE transaction.
//!
//! Guarantees (docs/OPERATIONS.md "Moving from SQLite with store copy"):
//! - The source is read in one consistent snapshot (SQLite: one read transaction, which WAL keeps
//!   stable while the daemon writes; PostgreSQL: `REPEATABLE READ READ ONLY`). Rows written to the
//!   source after the snapshot began are not copied; a second run copies them.
//! - The target is written in one transaction and committed only when every table's checksum
//!   equals the source's: a failed or refused copy leaves the target as it was.
//! - Idempotent: rows keep their ids; a row already in the target is left alone when equal and
//!   updated when the source changed it since (an outbox row sent after the first run), so a
//!   second run after stopping the daemon copies exactly the difference.
//! - Refused: a source not at this binary's schema, a target that is neither empty nor at this
//!   binary's schema, a target that holds rows the source lacks (not a copy of this source), a
//!   target in use (a SQLite daemon's lock, live PostgreSQL replicas).
//!
//! The checksum of a table is SHA-256 over its rows in key order, each row serialised as a
//! compact JSON array of its compared columns (integers, strings, null; flags as 0/1) and a
//! newline. It is the same on both backends for the same rows.

use sha2::{Digest, Sha256};

use super::{StoreError, StoreUrl};

mod report;
pub(crate) mod tables;

pub use report::{CopyError, CopyReport, TableReport};

use tables::{Col, TABLES, Table, Treat};

/// Rows read and written per page of an integer-keyed table (bounds memory on big outboxes).
const PAGE: usize = 2_000;

/// One value in the canonical form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Value {
    /// SQL NULL.
    Null,
    /// An integer (flags are 0/1).
    Int(i64),
    /// Text.
    Text(String),
}

/// One row: values in the order of the columns asked for.
pub(crate) type Row = Vec<Value>;

impl Value {
    fn json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(i) => (*i).into(),
            Value::Text(s) => s.as_str().into(),
        }
    }
    fn id(&self) -> Result<i64, StoreError> {
        match self {
            Value::Int(i) => Ok(*i),
            other => Err(StoreError::Corrupt(format!("row id {other:?}"))),
        }
    }
}

/// The canonical serialisation of one row (see the module docs).
fn canonical(row: &[Value]) -> String {
    let arr = serde_json::Value::Array(row.iter().map(Value::json).collect());
    format!("{arr}\n")
}

/// One end of a copy, implemented by each adapter. A source end reads inside its snapshot; a
/// target end reads and writes inside its write transaction.
pub(crate) trait CopyEnd {
    /// The URL without secrets.
    fn label(&self) -> String;
    /// True for PostgreSQL (decides whether [`Treat::PgOnly`] columns are copied).
    fn is_postgres(&self) -> bool;
    /// Rows of `t` with `cols`: for an integer-keyed table those with `after < id <= upto`,
    /// ordered by id, at most `limit`; for other tables all rows, in any order.
    ///
    /// # Errors
    /// A database error, or [`StoreError::Corrupt`] for a value of the wrong type.
    fn rows(
        &mut self,
        t: &Table,
        cols: &[Col],
        after: Option<i64>,
        upto: Option<i64>,
        limit: Option<usize>,
    ) -> Result<Vec<Row>, StoreError>;
    /// Inserts `rows` (values for `cols`), replacing rows with the same key; the table's
    /// [`Treat::Cleared`] columns are written NULL.
    ///
    /// # Errors
    /// A database error.
    fn upsert(&mut self, t: &Table, cols: &[Col], rows: &[Row]) -> Result<(), StoreError>;
    /// After a table's rows are in: moves PostgreSQL's identity past the largest id.
    ///
    /// # Errors
    /// A database error.
    fn finish_table(&mut self, _t: &Table) -> Result<(), StoreError> {
        Ok(())
    }
    /// Ends the transaction, keeping what was written.
    ///
    /// # Errors
    /// A database error.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Ends the transaction, discarding what was written (and a source's snapshot).
    ///
    /// # Errors
    /// A database error.
    fn rollback(&mut self) -> Result<(), StoreError>;
}

/// Options of a copy.
#[derive(Debug, Clone, Copy, Default)]
pub struct CopyOptions {
    /// Do everything, report, and roll the target back.
    pub dry_run: bool,
}

fn open_source(url: &StoreUrl) -> Result<Box<dyn CopyEnd>, CopyError> {
    Ok(match url {
        StoreUrl::Sqlite(p) => Box::new(super::sqlite::copy::open_source(p)?),
        StoreUrl::Postgres(pg) => Box::new(super::postgres::copy::open_source(pg)?),
    })
}

fn open_target(url: &StoreUrl) -> Result<Box<dyn CopyEnd>, CopyError> {
    Ok(match url {
        StoreUrl::Sqlite(p) => Box::new(super::sqlite::copy::open_target(p)?),
        StoreUrl::Postgres(pg) => Box::new(super::postgres::copy::open_target(pg)?),
    })
}

fn same_database(a: &StoreUrl, b: &StoreUrl) -> bool {
    match (a, b) {
        (StoreUrl::Sqlite(x), StoreUrl::Sqlite(y)) => {
            x == y || matches!((x.canonicalize(), y.canonicalize()), (Ok(cx), Ok(cy)) if cx == cy)
        }
        (StoreUrl::Postgres(x), StoreUrl::Postgres(y)) => {
            x.host == y.host && x.port == y.port && x.dbname == y.dbname
        }
        _ => false,
    }
}

/// Copies every table from `from` to `to` (see the module docs for what is guaranteed).
///
/// # Errors
/// [`CopyError`]; the target is unchanged then.
pub fn copy(from: &StoreUrl, to: &StoreUrl, opts: CopyOptions) -> Result<CopyReport, CopyError> {
    if same_database(from, to) {
        return Err(CopyError::SameDatabase(to.to_string()));
    }
    let mut src = open_source(from)?;
    let mut dst = open_target(to)?;
    let result = copy_tables(src.as_mut(), dst.as_mut());
    let _ = src.rollback();
    let tables = match result {
        Ok(t) => t,
        Err(e) => {
            let _ = dst.rollback();
            return Err(e);
        }
    };
    if opts.dry_run {
        dst.rollback()?;
    } else {
        dst.commit()?;
    }
    Ok(CopyReport {
        from: src.label(),
        to: dst.label(),
        tables,
        dry_run: opts.dry_run,
    })
}

fn copy_tables(
    src: &mut dyn CopyEnd,
    dst: &mut dyn CopyEnd,
) -> Result<Vec<TableReport>, CopyError> {
    let both_pg = src.is_postgres() && dst.is_postgres();
    let mut reports = Vec::new();
    let mut foreign = Vec::new();
    for t in TABLES {
        let (report, extra) = copy_table(src, dst, t, both_pg)?;
        if extra > 0 {
            foreign.push(format!("{}: {extra}", t.name));
        }
        reports.push(report);
    }
    if !foreign.is_empty() {
        return Err(CopyError::ForeignRows {
            url: dst.label(),
            tables: foreign.join(", "),
        });
    }
    if let Some(bad) = reports.iter().find(|r| !r.equal()) {
        return Err(CopyError::Mismatch(bad.table.to_owned()));
    }
    Ok(reports)
}

/// Running count and checksum of rows fed in key order.
#[derive(Default)]
struct Sum {
    rows: u64,
    hash: Sha256,
}

impl Sum {
    fn add(&mut self, row: &[Value]) {
        self.rows += 1;
        self.hash.update(canonical(row).as_bytes());
    }
    fn finish(self) -> (u64, String) {
        let hex = self
            .hash
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        (self.rows, hex)
    }
}

/// Copies one table; returns its report and the number of target rows the source lacks (or
/// holds under the same key with another identity: see [`Table::fixed`]).
fn copy_table(
    src: &mut dyn CopyEnd,
    dst: &mut dyn CopyEnd,
    t: &Table,
    both_pg: bool,
) -> Result<(TableReport, u64), CopyError> {
    let compared: Vec<Col> = t
        .cols
        .iter()
        .copied()
        .filter(|c| c.treat == Treat::Always)
        .collect();
    let read: Vec<Col> = t
        .cols
        .iter()
        .copied()
        .filter(|c| c.treat == Treat::Always || (both_pg && c.treat == Treat::PgOnly))
        .collect();
    let n = compared.len();
    let fixed: Vec<usize> = t
        .fixed
        .iter()
        .filter_map(|f| compared.iter().position(|c| c.name == *f))
        .collect();
    let (mut inserted, mut updated, mut extra) = (0, 0, 0);
    let mut src_sum = Sum::default();
    let mut after = None;
    loop {
        let (mut rows, upto) = if t.int_id {
            let rows = src.rows(t, &read, after, None, Some(PAGE))?;
            let Some(last) = rows.last() else { break };
            let upto = last[0].id()?;
            (rows, Some(upto))
        } else {
            (src.rows(t, &read, None, None, None)?, None)
        };
        let mut have = dst.rows(t, &compared, after, upto, None)?;
        if !t.int_id {
            rows.sort_by(|a, b| a[..t.key_len].cmp(&b[..t.key_len]));
            have.sort_by(|a, b| a[..t.key_len].cmp(&b[..t.key_len]));
        }
        let mut changes = Vec::new();
        let mut theirs = have.into_iter().peekable();
        for row in rows {
            src_sum.add(&row[..n]);
            let key = &row[..t.key_len];
            while theirs.next_if(|h| h[..t.key_len] < *key).is_some() {
                extra += 1;
            }
            match theirs.next_if(|h| h[..t.key_len] == *key) {
                Some(h) if h[..] == row[..n] => {}
                Some(h) if fixed.iter().any(|&i| h[i] != row[i]) => extra += 1,
                Some(_) => {
                    updated += 1;
                    changes.push(row);
                }
                None => {
                    inserted += 1;
                    changes.push(row);
                }
            }
        }
        extra += theirs.count() as u64;
        dst.upsert(t, &read, &changes)?;
        match upto {
            Some(u) => after = Some(u),
            None => break,
        }
    }
    if t.int_id {
        // Target rows past the source's last id.
        extra += dst.rows(t, t.key(), after, None, None)?.len() as u64;
    }
    dst.finish_table(t)?;
    let (target_rows, target_sum) = checksum(dst, t, &compared)?;
    let (source_rows, source_sum) = src_sum.finish();
    Ok((
        TableReport {
            table: t.name,
            source_rows,
            target_rows,
            inserted,
            updated,
            source_sum,
            target_sum,
        },
        extra,
    ))
}

/// Count and checksum of a table as `end` sees it.
fn checksum(end: &mut dyn CopyEnd, t: &Table, cols: &[Col]) -> Result<(u64, String), StoreError> {
    let mut sum = Sum::default();
    if t.int_id {
        let mut after = None;
        loop {
            let rows = end.rows(t, cols, after, None, Some(PAGE))?;
            let Some(last) = rows.last() else { break };
            after = Some(last[0].id()?);
            rows.iter().for_each(|r| sum.add(r));
        }
    } else {
        let mut rows = end.rows(t, cols, None, None, None)?;
        rows.sort_by(|a, b| a[..t.key_len].cmp(&b[..t.key_len]));
        rows.iter().for_each(|r| sum.add(r));
    }
    Ok(sum.finish())
}

/// Count and checksum of every table of the store at `url`, read in one snapshot (the same
/// figures `store copy` prints, for checking a copy later or comparing two databases).
///
/// # Errors
/// As opening a copy source.
pub fn checksums(url: &StoreUrl) -> Result<Vec<(&'static str, u64, String)>, CopyError> {
    let mut end = open_source(url)?;
    let mut out = Vec::new();
    for t in TABLES {
        let cols: Vec<Col> = t
            .cols
            .iter()
            .copied()
            .filter(|c| c.treat == Treat::Always)
            .collect();
        let (rows, sum) = checksum(end.as_mut(), t, &cols)?;
        out.push((t.name, rows, sum));
    }
    let _ = end.rollback();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_rows_are_compact_json_lines() {
        let row = [
            Value::Int(7),
            Value::Text("食品室 \"a\"\n".into()),
            Value::Null,
            Value::Int(-1),
        ];
        assert_eq!(canonical(&row), "[7,\"食品室 \\\"a\\\"\\n\",null,-1]\n");
    }

    #[test]
    fn compared_columns_come_first_in_every_table() {
        for t in TABLES {
            let first_other = t.cols.iter().position(|c| c.treat != Treat::Always);
            if let Some(i) = first_other {
                assert!(
                    t.cols[i..].iter().all(|c| c.treat != Treat::Always),
                    "{}: compared columns must precede the others",
                    t.name
                );
            }
        }
    }
}
