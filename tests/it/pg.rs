//! PostgreSQL for the tests: which server (`DATABASE_URL`, else the URL `.ci/pg.sh` wrote to
//! `/tmp/dutybell-ci-pg/url`, else `postgres://postgres@127.0.0.1:5432/test`), and a fresh
//! database per test, dropped when the test ends.
//!
//! When no server answers, a test prints why and passes, unless `CI=true`: then it fails, so CI
//! never silently skips the PostgreSQL half of the contract.
//!
//! May touch: the PostgreSQL server on loopback (databases named `dutybell_t_*` only).

pub mod cluster;

use std::sync::atomic::{AtomicU32, Ordering};

use dutybell::store::postgres::admin;
use dutybell::store::{PgUrl, StoreUrl};

/// The file `.ci/pg.sh` writes the URL of its private cluster to.
pub const CI_URL_FILE: &str = "/tmp/dutybell-ci-pg/url";

/// The server URL the tests use.
pub fn server_url() -> String {
    if let Ok(u) = std::env::var("DATABASE_URL")
        && !u.is_empty()
    {
        return u;
    }
    if let Ok(u) = std::fs::read_to_string(CI_URL_FILE) {
        return u.trim().to_owned();
    }
    "postgres://postgres@127.0.0.1:5432/test?sslmode=disable".into()
}

fn parse(text: &str) -> PgUrl {
    match StoreUrl::parse(text) {
        Ok(StoreUrl::Postgres(pg)) => pg,
        other => panic!("DATABASE_URL {text:?} is not a postgres:// URL: {other:?}"),
    }
}

/// A database created for one test and dropped at its end.
pub struct TempDb {
    admin: PgUrl,
    /// The test database's URL.
    pub url: PgUrl,
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = admin::drop_database(&self.admin, &self.url.dbname);
    }
}

/// A fresh database, or `None` (after printing why) when PostgreSQL is unreachable outside CI.
pub fn temp_db(test: &str) -> Option<TempDb> {
    static N: AtomicU32 = AtomicU32::new(0);
    let admin_url = parse(&server_url());
    if let Err(e) = admin::reachable(&admin_url) {
        let why = format!(
            "PostgreSQL at {} is unreachable ({e}: {}); set DATABASE_URL or run .ci/pg.sh",
            admin_url.display(),
            std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_default()
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{why}");
        }
        eprintln!("SKIPPED {test}: {why}");
        return None;
    }
    let name = format!(
        "dutybell_t_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    admin::create_database(&admin_url, &name).expect("create test database");
    let mut url = admin_url.clone();
    url.dbname = name;
    Some(TempDb {
        admin: admin_url,
        url,
    })
}
