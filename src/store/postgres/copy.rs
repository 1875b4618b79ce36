//! The PostgreSQL end of `store copy` ([`crate::store::copy`]): a source read in one
//! `REPEATABLE READ READ ONLY` transaction (one snapshot for every table while replicas keep
//! writing), or a target written in one transaction that first takes an advisory lock, so two
//! copies into one database cannot interleave.
//!
//! May touch: the database named by the URL (one connection, held for the whole copy).

use std::future::Future;

use deadpool_postgres::Object;
use tokio_postgres::types::ToSql;

use super::{SCHEMA_VERSION, connect, schema};
use crate::store::copy::tables::{Col, Kind, Table, Treat};
use crate::store::copy::{CopyEnd, CopyError, Row, Value};
use crate::store::{PgUrl, StoreError};

/// Rows per INSERT statement (far under PostgreSQL's 65,535 parameters).
const ROWS_PER_INSERT: usize = 500;

/// The advisory lock of a copy into a database (`'dbcopy'` as bytes).
const COPY_LOCK: i64 = 0x6462_636f_7079;

/// One end of a copy on a PostgreSQL database.
pub(crate) struct PgCopy {
    rt: Option<tokio::runtime::Runtime>,
    client: Object,
    label: String,
}

impl Drop for PgCopy {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, StoreError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Database(Box::new(e)))
}

/// Connects and returns the runtime and one connection.
fn connect(url: &PgUrl) -> Result<(tokio::runtime::Runtime, Object), StoreError> {
    let rt = runtime()?;
    let pool = connect::pool(url)?;
    let client = rt.block_on(pool.get()).map_err(|e| StoreError::Connect {
        url: url.display(),
        source: Box::new(e),
    })?;
    Ok((rt, client))
}

impl PgCopy {
    fn block<T>(&self, f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        match &self.rt {
            Some(rt) => rt.block_on(f),
            None => Err(StoreError::Database("the copy end is closed".into())),
        }
    }
}

/// Connects to `url`, checks its schema and starts the snapshot every table is read in.
///
/// # Errors
/// [`StoreError::Connect`], [`CopyError::SourceVersion`].
pub(crate) fn open_source(url: &PgUrl) -> Result<PgCopy, CopyError> {
    let (rt, client) = connect(url)?;
    let end = PgCopy {
        rt: Some(rt),
        client,
        label: url.display(),
    };
    let found = end.block(schema::version(&end.client))?;
    if found != SCHEMA_VERSION {
        return Err(CopyError::SourceVersion {
            url: url.display(),
            found,
            expected: SCHEMA_VERSION,
            hint: if found > SCHEMA_VERSION {
                "use the newer dutybell that wrote it"
            } else {
                "start this dutybell on it once (it migrates at start), then copy"
            },
        });
    }
    end.block(async {
        end.client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT 1")
            .await?;
        Ok(())
    })?;
    Ok(end)
}

/// Connects to `url` as a copy target: creates the schema in an empty database, refuses another
/// schema version or live replicas, and begins the write transaction.
///
/// # Errors
/// [`StoreError::Connect`], [`CopyError::TargetVersion`], [`CopyError::TargetInUse`].
pub(crate) fn open_target(url: &PgUrl) -> Result<PgCopy, CopyError> {
    let (rt, client) = connect(url)?;
    let mut end = PgCopy {
        rt: Some(rt),
        client,
        label: url.display(),
    };
    let found = end.block(schema::version(&end.client))?;
    if found != 0 && found != SCHEMA_VERSION {
        return Err(CopyError::TargetVersion {
            url: url.display(),
            found,
            expected: SCHEMA_VERSION,
            hint: if found > SCHEMA_VERSION {
                "it was written by a newer dutybell"
            } else {
                "copy into an empty database, or migrate it first by starting this dutybell on it"
            },
        });
    }
    if found == 0 {
        let rt = end.rt.take();
        let migrated = match &rt {
            Some(rt) => rt.block_on(schema::migrate(&mut end.client)),
            None => Ok(()),
        };
        end.rt = rt;
        migrated?;
    }
    let live: i64 = end.block(async {
        let r = end
            .client
            .query_one(
                "SELECT count(*) FROM replicas WHERE until_s > extract(epoch FROM now())",
                &[],
            )
            .await?;
        Ok(r.try_get(0)?)
    })?;
    if live > 0 {
        return Err(CopyError::TargetInUse {
            url: url.display(),
            what: format!("{live} dutybell replica(s) sent a heartbeat within the last minute"),
        });
    }
    end.block(async {
        end.client.batch_execute("BEGIN").await?;
        end.client
            .execute("SELECT pg_advisory_xact_lock($1)", &[&COPY_LOCK])
            .await?;
        Ok(())
    })?;
    Ok(end)
}

/// The SELECT expression of a column in the canonical form.
fn select_expr(c: &Col) -> String {
    match c.kind {
        Kind::Bool => format!("({})::int4::int8", c.name),
        Kind::Int | Kind::Text => c.name.to_owned(),
    }
}

/// A placeholder typed for the column (flags arrive as 0/1).
fn placeholder(c: &Col, n: usize) -> String {
    match c.kind {
        Kind::Bool => format!("${n}::int8::int4::bool"),
        Kind::Int => format!("${n}::int8"),
        Kind::Text => format!("${n}::text"),
    }
}

fn param(c: &Col, v: &Value) -> Result<Box<dyn ToSql + Sync + Send>, StoreError> {
    Ok(match (c.kind, v) {
        (Kind::Int | Kind::Bool, Value::Null) => Box::new(None::<i64>),
        (Kind::Text, Value::Null) => Box::new(None::<String>),
        (Kind::Int | Kind::Bool, Value::Int(i)) => Box::new(*i),
        (Kind::Text, Value::Text(s)) => Box::new(s.clone()),
        (Kind::Text, Value::Int(i)) => Box::new(i.to_string()),
        (Kind::Int | Kind::Bool, Value::Text(s)) => {
            return Err(StoreError::Corrupt(format!(
                "column {} holds text {s:?} where a number belongs",
                c.name
            )));
        }
    })
}

impl CopyEnd for PgCopy {
    fn label(&self) -> String {
        self.label.clone()
    }
    fn is_postgres(&self) -> bool {
        true
    }

    fn rows(
        &mut self,
        t: &Table,
        cols: &[Col],
        after: Option<i64>,
        upto: Option<i64>,
        limit: Option<usize>,
    ) -> Result<Vec<Row>, StoreError> {
        let names = cols.iter().map(select_expr).collect::<Vec<_>>().join(", ");
        let rows = self.block(async {
            if t.int_id {
                let sql = format!(
                    "SELECT {names} FROM {} WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3",
                    t.name
                );
                let limit = limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
                let args: [&(dyn ToSql + Sync); 3] = [
                    &after.unwrap_or(i64::MIN),
                    &upto.unwrap_or(i64::MAX),
                    &limit,
                ];
                Ok(self.client.query(&sql, &args).await?)
            } else {
                let sql = format!("SELECT {names} FROM {}", t.name);
                Ok(self.client.query(&sql, &[]).await?)
            }
        })?;
        rows.iter()
            .map(|r| {
                cols.iter()
                    .enumerate()
                    .map(|(i, c)| {
                        Ok(match c.kind {
                            Kind::Int | Kind::Bool => r
                                .try_get::<_, Option<i64>>(i)?
                                .map_or(Value::Null, Value::Int),
                            Kind::Text => r
                                .try_get::<_, Option<String>>(i)?
                                .map_or(Value::Null, Value::Text),
                        })
                    })
                    .collect()
            })
            .collect()
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
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut n = 0;
            let values = chunk
                .iter()
                .map(|_| {
                    let cells = cols
                        .iter()
                        .map(|c| {
                            n += 1;
                            placeholder(c, n)
                        })
                        .chain(cleared.iter().map(|_| "NULL".to_owned()))
                        .collect::<Vec<_>>();
                    format!("({})", cells.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO {} ({names}) VALUES {values} ON CONFLICT ({key}) {on_conflict}",
                t.name
            );
            let params = chunk
                .iter()
                .flat_map(|row| cols.iter().zip(row).map(|(c, v)| param(c, v)))
                .collect::<Result<Vec<_>, _>>()?;
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            self.block(async {
                self.client.execute(&sql, &refs).await?;
                Ok(())
            })?;
        }
        Ok(())
    }

    fn finish_table(&mut self, t: &Table) -> Result<(), StoreError> {
        if !t.int_id {
            return Ok(());
        }
        // Explicit ids do not move an identity column's sequence: without this the next row the
        // daemon inserts would collide with a copied one.
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{0}', 'id'),
                           COALESCE((SELECT MAX(id) FROM {0}), 0) + 1, false)",
            t.name
        );
        self.block(async {
            self.client.execute(&sql, &[]).await?;
            Ok(())
        })
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.block(async { Ok(self.client.batch_execute("COMMIT").await?) })
    }
    fn rollback(&mut self) -> Result<(), StoreError> {
        self.block(async { Ok(self.client.batch_execute("ROLLBACK").await?) })
    }
}
