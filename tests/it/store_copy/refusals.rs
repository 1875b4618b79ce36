//! `store copy` refusals: each exits 2 (refused input) or 1 (target in use) and writes nothing.

use dutybell::store::postgres::admin;
use dutybell::store::*;
use jiff::SignedDuration;

use super::fixture::{populate, t};
use super::{checksums, copy, counts, sqlite_url, store_cmd};
use crate::pg;

fn refused(from: &str, to: &str, code: i32, says: &str) {
    let out = store_cmd(&["copy", "--from", from, "--to", to]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(says), "expected {says:?} in: {err}");
}

#[test]
fn refusals_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    {
        let mut s = dutybell::store::open(&StoreUrl::Sqlite(a.clone())).unwrap();
        populate(s.as_mut(), 3);
    }
    let src = sqlite_url(&a);
    refused(&src, &src, 2, "are the same database");
    refused(
        &sqlite_url(&dir.path().join("missing.db")),
        &sqlite_url(&dir.path().join("x.db")),
        2,
        "does not exist",
    );
    refused(&src, "mysql://db/x", 2, "not supported");
    // A target at an older schema, and one from a newer dutybell.
    let old = dir.path().join("old.db");
    dutybell::store::sqlite::SqliteStore::open_at_version(&old, 3).unwrap();
    refused(&src, &sqlite_url(&old), 2, "has schema version 3");
    let newer = dir.path().join("newer.db");
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    refused(&src, &sqlite_url(&newer), 2, "newer dutybell");
    // A source from a newer dutybell.
    refused(
        &sqlite_url(&newer),
        &sqlite_url(&dir.path().join("y.db")),
        2,
        "newer dutybell",
    );
    // A target that is another installation: refused, and left exactly as it was.
    let other = dir.path().join("other.db");
    {
        let mut s = dutybell::store::open(&StoreUrl::Sqlite(other.clone())).unwrap();
        populate(s.as_mut(), 5);
    }
    let before = checksums(&sqlite_url(&other));
    refused(
        &src,
        &sqlite_url(&other),
        2,
        "not an earlier copy of this source",
    );
    assert_eq!(checksums(&sqlite_url(&other)), before);
    // A target a daemon dispatches from.
    let busy = dir.path().join("busy.db");
    let lock = dutybell::store::sqlite::DispatchLock::acquire(&busy, "pid 1 (test)").unwrap();
    refused(
        &src,
        &sqlite_url(&busy),
        1,
        "in use by another dutybell process",
    );
    drop(lock);
    // --dry-run reports and writes nothing.
    let dry = dir.path().join("dry.db");
    let out = store_cmd(&[
        "copy",
        "--from",
        &src,
        "--to",
        &sqlite_url(&dry),
        "--dry-run",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("dry run"));
    let empty = dutybell::store::open(&StoreUrl::Sqlite(dry)).unwrap();
    assert_eq!(counts(&*empty), (0, 0));
}

#[test]
fn postgres_targets_in_use_or_at_another_version_are_refused() {
    let Some(db) = pg::temp_db("store_copy_refusals") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    {
        let mut s = dutybell::store::open(&StoreUrl::Sqlite(a.clone())).unwrap();
        populate(s.as_mut(), 3);
    }
    let src = sqlite_url(&a);
    let pg_url = db.url.display();
    let mut live = dutybell::store::open(&StoreUrl::Postgres(db.url.clone())).unwrap();
    live.heartbeat(
        &Heartbeat {
            owner: "host-b:7:1".into(),
            version: "0.1.0".into(),
            plan_hash: "h".into(),
            plan_gen: 1,
            started_at: t("2027-03-01T09:00"),
        },
        SignedDuration::from_secs(60),
    )
    .unwrap();
    refused(&src, &pg_url, 1, "1 dutybell replica(s)");
    // The heartbeat lapses (a zero TTL is expired at once on the database clock): copy works.
    live.heartbeat(
        &Heartbeat {
            owner: "host-b:7:1".into(),
            version: "0.1.0".into(),
            plan_hash: "h".into(),
            plan_gen: 1,
            started_at: t("2027-03-01T09:00"),
        },
        SignedDuration::ZERO,
    )
    .unwrap();
    drop(live);
    copy(&src, &pg_url);
    // A database from a newer dutybell, as target and as source.
    let newer = pg::temp_db("store_copy_newer").unwrap();
    admin::execute(
        &newer.url,
        &format!(
            "CREATE TABLE schema_version (version BIGINT PRIMARY KEY);
             INSERT INTO schema_version VALUES ({})",
            dutybell::store::postgres::SCHEMA_VERSION + 1
        ),
    )
    .unwrap();
    refused(&src, &newer.url.display(), 2, "newer dutybell");
    refused(
        &newer.url.display(),
        &sqlite_url(&dir.path().join("z.db")),
        2,
        "newer dutybell",
    );
}
