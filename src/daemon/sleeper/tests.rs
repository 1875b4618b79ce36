//! Tests of the sleeper: the policy's instants, the hand-over, the wait and the held files.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;

use super::held::stamps;
use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn the_sleeper_wakes_a_minute_before_the_due_instant() {
    // Hand-checked: due 09:00:00, now 08:00:00 → 59 min; at 08:59:30 → 0 (already within
    // the lead); past due → 0.
    let due = ts("2026-07-02T01:00:00Z");
    assert_eq!(
        wait_for(due, ts("2026-07-02T00:00:00Z")),
        Duration::from_secs(59 * 60)
    );
    assert_eq!(wait_for(due, ts("2026-07-02T00:59:30Z")), Duration::ZERO);
    assert_eq!(wait_for(due, ts("2026-07-02T02:00:00Z")), Duration::ZERO);
}

#[test]
fn the_daemon_sleeps_only_when_the_sleep_is_long_enough() {
    let p = SleepPolicy::default();
    let busy = ts("2026-07-01T02:00:00Z");
    // Awake until 02:02; due at 02:20 → 18 min asleep: sleep at 02:02.
    assert_eq!(
        p.sleep_at(busy, ts("2026-07-01T02:20:00Z")),
        Some(ts("2026-07-01T02:02:00Z"))
    );
    // Due at 02:12 → exactly the minimum: sleep.
    assert!(p.sleep_at(busy, ts("2026-07-01T02:12:00Z")).is_some());
    // Due at 02:11:59 → one second short: stay awake.
    assert_eq!(p.sleep_at(busy, ts("2026-07-01T02:11:59Z")), None);
}

#[test]
fn the_handoff_and_the_wake_round_trip_as_json() {
    let h = Handoff {
        until: ts("2026-07-02T01:00:00Z"),
        shifted_now: Some(ts("2026-07-01T02:00:00Z")),
        daemon: "/usr/local/bin/dutybell".into(),
        config: "config/dutybell.yaml".into(),
        snapshot: "state/dutybell.db.config-snapshot.json".into(),
        db: "state/dutybell.db".into(),
        status: "next: 1.1 食品 to 食品室 at 2026-07-02 09:00".into(),
        wake_local: "2026-07-02 08:59".into(),
        lock_fd: Some(7),
    };
    let back: Handoff = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
    assert_eq!(back, h);
    let w = Wake {
        reason: Reason::Database,
        snapshot: h.snapshot.clone(),
        lock_fd: None,
    };
    assert_eq!(
        serde_json::from_str::<Wake>(&serde_json::to_string(&w).unwrap()).unwrap(),
        w
    );
}

fn handoff(dir: &Path, until: Timestamp) -> Handoff {
    let db = dir.join("x.db");
    // A real database, closed as the daemon leaves it (the watch opens it as SQLite).
    drop(crate::store::sqlite::SqliteStore::open(&db).unwrap());
    Handoff {
        until,
        shifted_now: None,
        daemon: "/usr/local/bin/dutybell".into(),
        config: dir.join("c.yaml"),
        snapshot: snapshot_path(&db),
        db,
        status: String::new(),
        wake_local: String::new(),
        lock_fd: None,
    }
}

fn manual(at: &str) -> (crate::clock::ManualClock, SharedClock) {
    let m = crate::clock::ManualClock::new(ts(at));
    (m.clone(), std::sync::Arc::new(m))
}

const TICK: Duration = Duration::from_millis(10);

/// The sleeper's wait on a task of its own, looking at the files every [`TICK`].
fn spawn_wait(
    h: &Handoff,
    clock: &SharedClock,
    listener: Option<std::net::TcpListener>,
) -> tokio::task::JoinHandle<anyhow::Result<Ended>> {
    let (h, clock) = (h.clone(), clock.clone());
    tokio::spawn(async move { wait(&h, &clock, listener.as_ref(), TICK).await })
}

#[tokio::test]
async fn the_wait_ends_when_the_next_reminder_is_a_minute_away() {
    let dir = tempfile::tempdir().unwrap();
    let h = handoff(dir.path(), ts("2026-07-02T01:00:00Z"));
    let (m, clock) = manual("2026-07-02T00:00:00Z");
    let waiting = spawn_wait(&h, &clock, None);
    tokio::time::sleep(TICK * 5).await;
    assert!(!waiting.is_finished(), "woke an hour early");
    m.set(ts("2026-07-02T00:59:00Z"));
    assert_eq!(waiting.await.unwrap().unwrap(), Ended::Wake(Reason::Due));
}

#[tokio::test]
async fn a_connection_or_a_write_by_another_process_wakes_the_sleeper() {
    let dir = tempfile::tempdir().unwrap();
    let h = handoff(dir.path(), ts("2026-07-02T01:00:00Z"));
    let (_m, clock) = manual("2026-07-01T02:00:00Z");
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let waiting = spawn_wait(&h, &clock, Some(l));
    let _conn = std::net::TcpStream::connect(addr).unwrap();
    assert_eq!(waiting.await.unwrap().unwrap(), Ended::Wake(Reason::Web));
    // The CLI reporting progress writes the database's log.
    let waiting = spawn_wait(&h, &clock, None);
    tokio::time::sleep(TICK * 3).await;
    assert!(!waiting.is_finished());
    std::fs::write(dir.path().join("x.db-wal"), b"a page").unwrap();
    assert_eq!(
        waiting.await.unwrap().unwrap(),
        Ended::Wake(Reason::Database)
    );
}

#[tokio::test]
async fn a_database_deleted_while_asleep_is_written_back_and_the_sleeper_fails() {
    let dir = tempfile::tempdir().unwrap();
    let h = handoff(dir.path(), ts("2026-07-02T01:00:00Z"));
    let (_m, clock) = manual("2026-07-01T02:00:00Z");
    let waiting = spawn_wait(&h, &clock, None);
    tokio::time::sleep(TICK * 3).await;
    std::fs::remove_file(&h.db).unwrap();
    let e = waiting.await.unwrap().unwrap_err();
    assert!(
        format!("{e:#}").contains(
            "x.db was deleted while dutybell slept; dutybell wrote the state it held back to"
        ),
        "{e:#}"
    );
    // Rescued from the descriptor the sleeper held: the database is back at the path.
    assert!(h.db.exists(), "not written back");
    crate::store::sqlite::SqliteStore::open(&h.db).unwrap();
}

#[test]
fn a_database_replaced_while_asleep_is_left_and_the_old_one_saved_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let h = handoff(dir.path(), ts("2026-07-02T01:00:00Z"));
    let old = std::fs::read(&h.db).unwrap();
    let held = Held::open(&h.db).unwrap();
    assert_eq!(held.state(), FileState::Same);
    std::fs::rename(&h.db, dir.path().join("moved.db")).unwrap();
    std::fs::write(&h.db, b"restored from a backup").unwrap();
    assert_eq!(held.state(), FileState::Replaced);
    let e = held.rescue(FileState::Replaced, ts("2026-07-01T02:00:00Z"));
    let saved = dir.path().join("x.db.replaced-1782871200");
    let msg = format!("{e:#}");
    assert!(msg.contains(&saved.display().to_string()), "{msg}");
    assert!(
        msg.contains("was replaced by another file while dutybell slept; the new file is used"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&saved).unwrap(), old);
    assert_eq!(std::fs::read(&h.db).unwrap(), b"restored from a backup");
}

#[test]
fn a_write_to_the_database_or_its_log_changes_the_stamps() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    std::fs::write(&db, b"a").unwrap();
    let before = stamps(&db);
    assert_eq!(stamps(&db), before);
    std::fs::write(dir.path().join("x.db-wal"), b"w").unwrap();
    assert_ne!(stamps(&db), before);
}

#[test]
fn the_snapshot_is_written_once_per_configuration() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.yaml");
    std::fs::write(&f, "x: 1\n").unwrap();
    let (_, snap) = crate::config::source::record(|| crate::config::source::read_to_string(&f));
    let path = snapshot_path(&dir.path().join("x.db"));
    write_snapshot(&path, &snap).unwrap();
    let first = std::fs::metadata(&path).unwrap().ino();
    // The same configuration again (every later sleep): the file is left as it is.
    write_snapshot(&path, &snap).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), first);
    // Another one (after a reload): written anew, and read back whole.
    std::fs::write(&f, "x: 2\n").unwrap();
    let (_, other) = crate::config::source::record(|| crate::config::source::read_to_string(&f));
    write_snapshot(&path, &other).unwrap();
    assert_ne!(std::fs::metadata(&path).unwrap().ino(), first);
    assert_eq!(read_snapshot(&path).unwrap(), other);
}
