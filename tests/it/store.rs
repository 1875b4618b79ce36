//! What only the SQLite store has, on real files in a temp dir: open/pragmas, migrations from the
//! v1 fixture, recovery after reopening a file, and two handles on one file. The rules every
//! adapter shares (sync, outbox life cycle, leases, progress, digests) are in `store_contract.rs`.
//!
//! May touch: temporary directories only (the fixture is copied, never opened in place).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use dutybell::notify::{Colour, MessageKind, Notification, Recipients};
use dutybell::store::*;
use jiff::Timestamp;
use jiff::civil::date;

use crate::helpers;

fn t(s: &str) -> Timestamp {
    format!("{s}:00+08:00").parse().unwrap()
}

fn open(dir: &Path) -> (dutybell::store::sqlite::SqliteStore, PathBuf) {
    let path = dir.join("state.db");
    (
        dutybell::store::sqlite::SqliteStore::open(&path).unwrap(),
        path,
    )
}

fn occ(key: &str) -> NewOccurrence {
    NewOccurrence {
        key: key.into(),
        task_id: "4.2".into(),
        rule_index: 0,
        period_label: "2027年春季".into(),
        window_start: date(2027, 3, 1),
        window_end: date(2027, 5, 31),
        due_date: Some(date(2027, 5, 31)),
        colour: Colour::Blue,
    }
}

fn rem(stage: &str, fire_at: &str) -> NewReminder {
    let key = format!("4.2|4.2@2027-spring|{stage}|food|file");
    let n = Notification {
        id: key.clone(),
        thread: "4.2@2027-spring".into(),
        kind: MessageKind::Lead,
        colour: Colour::Blue,
        subject: format!("【督办提醒】4.2 {stage}"),
        text: "请按时完成。".into(),
        html: None,
        markdown: "请按时完成。".into(),
        recipients: Recipients::default(),
        data: serde_json::json!({"task": "4.2"}),
        attempt_at: 0,
    };
    NewReminder {
        dedupe_key: key,
        occurrence_key: "4.2@2027-spring".into(),
        task_id: "4.2".into(),
        stage: stage.into(),
        kind: MessageKind::Lead,
        recipient: "food".into(),
        channel: "file".into(),
        fire_at: t(fire_at),
        message: Some(serde_json::to_string(&n).unwrap()),
    }
}

fn plan(horizon: &str, reminders: Vec<NewReminder>) -> PlanSet {
    PlanSet {
        version_hash: "h1".into(),
        horizon_start: None,
        horizon_end: t(horizon),
        occurrences: vec![occ("4.2@2027-spring")],
        reminders,
    }
}

fn done_note(key: Option<&str>, task: &str) -> NewProgress {
    NewProgress {
        task_id: task.into(),
        occurrence_key: key.map(Into::into),
        note: "已完成".into(),
        by_name: "张三".into(),
        done: true,
        source: ProgressSource::Cli,
    }
}

#[test]
fn open_creates_a_private_wal_database() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, path) = open(dir.path());
    assert_eq!(store.journal_mode().unwrap(), "wal");
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store
        .sync_plan(
            &plan("2027-12-31T00:00", vec![rem("a", "2027-03-01T09:00")]),
            t("2027-02-01T09:00"),
        )
        .unwrap();
    for file in [path.clone(), path.with_extension("db-wal")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

#[test]
fn v1_fixture_migrates_without_losing_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    std::fs::copy(helpers::repo().join("tests/fixtures/db/v1.sqlite"), &path).unwrap();
    let mut store = dutybell::store::sqlite::SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let rows = store.list_outbox(None, 10).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].state, OutboxState::Sent);
    assert_eq!(rows[1].state, OutboxState::Pending);
    // v3 renders plan reminders at send time: the unsent row's stored text is dropped, the sent
    // one keeps what went out.
    assert!(rows[1].needs_render());
    assert_eq!(rows[1].kind, MessageKind::DueToday);
    assert!(!rows[0].needs_render());
    assert_eq!(store.deliveries(1).unwrap().len(), 1);
    assert_eq!(
        store.progress_for_task("4.2").unwrap()[0].note,
        "已部署春季检查"
    );
    let o = store.occurrence("4.2@2027-spring").unwrap().unwrap();
    assert_eq!(o.status, OccurrenceStatus::Open);
    assert!(
        store.digest_claim_week("weekly", "2027-W10").unwrap(),
        "v2 table exists"
    );
}

#[test]
fn recover_in_flight_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, path) = open(dir.path());
    store
        .sync_plan(
            &plan("2027-12-31T00:00", vec![rem("a", "2027-03-01T09:00")]),
            t("2027-02-01T09:00"),
        )
        .unwrap();
    let id = store.claim_due(t("2027-03-01T09:00"), 10).unwrap()[0].id;
    drop(store); // the crash: claimed, never recorded
    let mut store = dutybell::store::sqlite::SqliteStore::open(&path).unwrap();
    let restart = t("2027-03-01T09:30");
    assert_eq!(store.recover_in_flight(restart, true).unwrap(), 1);
    let item = store.outbox_item(id).unwrap();
    assert_eq!(
        (item.state, item.next_attempt_at),
        (OutboxState::Retry, restart)
    );
    assert_eq!(
        store.deliveries(id).unwrap()[0].outcome,
        DeliveryOutcome::Retry
    );
    assert_eq!(store.claim_due(restart, 10).unwrap()[0].attempts, 2);
    assert_eq!(store.recover_in_flight(restart, true).unwrap(), 1);
    assert_eq!(store.recover_in_flight(restart, true).unwrap(), 0);
}

#[test]
fn two_handles_on_one_file_can_both_write() {
    let dir = tempfile::tempdir().unwrap();
    let (mut daemon, path) = open(dir.path());
    let mut cli = dutybell::store::sqlite::SqliteStore::open(&path).unwrap();
    daemon
        .sync_plan(
            &plan("2027-12-31T00:00", vec![rem("a", "2027-03-01T09:00")]),
            t("2027-02-01T09:00"),
        )
        .unwrap();
    let now = t("2027-03-01T09:00");
    let claimed = daemon.claim_due(now, 10).unwrap();
    cli.add_progress(
        NewProgress {
            done: false,
            ..done_note(Some("4.2@2027-spring"), "4.2")
        },
        now,
    )
    .unwrap();
    daemon.record_dead(claimed[0].id, now, "down").unwrap();
    cli.retry_now(claimed[0].id, now).unwrap();
    assert_eq!(daemon.claim_due(now, 10).unwrap().len(), 1);
    // Concurrent writers: each waits for the other's lock instead of failing.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = dutybell::store::sqlite::SqliteStore::open(&path).unwrap();
                for i in 0..50 {
                    let note = NewProgress {
                        note: format!("{w}-{i}"),
                        done: false,
                        ..done_note(None, "9.9")
                    };
                    s.add_progress(note, t("2027-03-02T09:00")).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(cli.progress_for_task("9.9").unwrap().len(), 100);
}
