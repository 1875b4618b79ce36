//! The SQLite store on real files in a temp dir: open/pragmas, migrations from the v1 fixture,
//! planner sync rules, the outbox life cycle, progress, and two handles on one file.
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
        horizon_end: t(horizon),
        occurrences: vec![occ("4.2@2027-spring")],
        reminders,
    }
}

fn state_of(store: &dyn Store, stage: &str) -> OutboxState {
    let all = store.list_outbox(None, 1000).unwrap();
    all.iter().find(|i| i.stage == stage).unwrap().state
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
fn sync_is_idempotent() {
    let mut store = dutybell::store::sqlite::SqliteStore::open_in_memory().unwrap();
    let now = t("2027-02-01T09:00");
    let p = plan(
        "2027-12-31T00:00",
        vec![rem("a", "2027-03-01T09:00"), rem("b", "2027-04-01T09:00")],
    );
    let first = store.sync_plan(&p, now).unwrap();
    assert_eq!((first.added, first.occurrences_added), (2, 1));
    let second = store.sync_plan(&p, now).unwrap();
    assert_eq!(
        second,
        SyncReport {
            unchanged: 2,
            ..SyncReport::default()
        }
    );
    let rows = store.list_outbox(None, 10).unwrap();
    assert!(
        rows.iter()
            .all(|r| r.updated_at == now && r.plan_version == Some(1))
    );
}

#[test]
fn edit_cancels_only_future_rows_of_removed_keys_and_never_deletes() {
    let mut store = dutybell::store::sqlite::SqliteStore::open_in_memory().unwrap();
    let p1 = plan(
        "2027-12-31T00:00",
        vec![
            rem("past", "2027-03-01T09:00"),
            rem("soon", "2027-04-01T09:00"),
            rem("beyond", "2028-03-01T09:00"),
            rem("kept", "2027-05-01T09:00"),
        ],
    );
    store.sync_plan(&p1, t("2027-02-01T09:00")).unwrap();
    let mut p2 = plan("2027-12-31T00:00", vec![rem("kept", "2027-05-01T09:00")]);
    p2.version_hash = "h2".into();
    let report = store.sync_plan(&p2, t("2027-03-15T09:00")).unwrap();
    assert_eq!((report.cancelled, report.unchanged), (1, 1));
    assert_eq!(
        state_of(&store, "past"),
        OutboxState::Pending,
        "missed, not removed"
    );
    assert_eq!(state_of(&store, "soon"), OutboxState::Cancelled);
    assert_eq!(
        state_of(&store, "beyond"),
        OutboxState::Pending,
        "outside the horizon"
    );
    assert_eq!(state_of(&store, "kept"), OutboxState::Pending);
    assert_eq!(store.list_outbox(None, 10).unwrap().len(), 4);
    // Reverting the edit brings the cancelled future row back.
    let back = store.sync_plan(&p1, t("2027-03-15T09:00")).unwrap();
    assert_eq!(back.updated, 1);
    assert_eq!(state_of(&store, "soon"), OutboxState::Pending);
}

#[test]
fn new_past_due_reminders_are_skipped_even_on_first_sync() {
    let mut store = dutybell::store::sqlite::SqliteStore::open_in_memory().unwrap();
    let now = t("2027-03-15T09:00");
    let p = plan(
        "2027-12-31T00:00",
        vec![
            rem("old", "2027-03-01T09:00"),
            rem("new", "2027-04-01T09:00"),
        ],
    );
    let report = store.sync_plan(&p, now).unwrap();
    assert_eq!((report.added, report.skipped), (1, 1));
    assert_eq!(state_of(&store, "old"), OutboxState::Skipped);
    // An edit that moves a future pending reminder into the past skips it too.
    let moved = plan(
        "2027-12-31T00:00",
        vec![
            rem("old", "2027-03-01T09:00"),
            rem("new", "2027-03-10T09:00"),
        ],
    );
    assert_eq!(store.sync_plan(&moved, now).unwrap().skipped, 1);
    assert_eq!(state_of(&store, "new"), OutboxState::Skipped);
    assert_eq!(store.next_wakeup().unwrap(), None);
}

#[test]
fn claim_then_record_outcomes() {
    let mut store = dutybell::store::sqlite::SqliteStore::open_in_memory().unwrap();
    let stages = [
        ("s1", "2027-03-01T09:00"),
        ("s2", "2027-03-01T09:01"),
        ("s3", "2027-03-01T09:02"),
        ("s4", "2027-03-01T09:03"),
    ];
    let p = plan(
        "2027-12-31T00:00",
        stages.iter().map(|(s, f)| rem(s, f)).collect(),
    );
    store.sync_plan(&p, t("2027-02-01T09:00")).unwrap();
    assert_eq!(store.next_wakeup().unwrap(), Some(t("2027-03-01T09:00")));
    assert!(
        store
            .claim_due(t("2027-03-01T08:59"), 10)
            .unwrap()
            .is_empty()
    );
    let now = t("2027-03-01T09:05");
    let claimed = store.claim_due(now, 10).unwrap();
    let order: Vec<_> = claimed.iter().map(|i| i.stage.as_str()).collect();
    assert_eq!(order, ["s1", "s2", "s3", "s4"]);
    assert!(
        claimed
            .iter()
            .all(|i| i.state == OutboxState::Sending && i.attempts == 1 && !i.late)
    );
    assert!(
        store.claim_due(now, 10).unwrap().is_empty(),
        "claimed rows are not claimed twice"
    );
    let [a, b, c, d] = [0, 1, 2, 3].map(|i| claimed[i].id);
    store.record_sent(a, now, "250 ok").unwrap();
    store
        .record_retry(b, now, t("2027-03-01T09:15"), "timeout")
        .unwrap();
    store.record_dead(c, now, "550 no such user").unwrap();
    store.record_skipped(d, now, "channel removed").unwrap();
    assert_eq!(store.outbox_item(a).unwrap().sent_at, Some(now));
    assert_eq!(state_of(&store, "s2"), OutboxState::Retry);
    assert_eq!(state_of(&store, "s3"), OutboxState::Dead);
    assert_eq!(state_of(&store, "s4"), OutboxState::Skipped);
    let outcomes: Vec<_> = [a, b, c, d]
        .iter()
        .map(|id| store.deliveries(*id).unwrap()[0].outcome)
        .collect();
    use DeliveryOutcome::*;
    assert_eq!(outcomes, [Sent, Retry, Dead, Skipped]);
    // Recording again is refused: the row is no longer leased to anyone.
    let err = store.record_sent(a, now, "again").unwrap_err();
    assert!(
        matches!(err, StoreError::LeaseLost { id, .. } if id == a),
        "{err}"
    );
    assert!(matches!(
        store.record_sent(999, now, "x"),
        Err(StoreError::NoSuchOutboxRow(999))
    ));
    // The retry comes due at its next attempt, counted as attempt 2.
    assert_eq!(store.next_wakeup().unwrap(), Some(t("2027-03-01T09:15")));
    assert!(
        store
            .claim_due(t("2027-03-01T09:14"), 10)
            .unwrap()
            .is_empty()
    );
    let again = store.claim_due(t("2027-03-01T09:15"), 10).unwrap();
    assert_eq!(
        (again.len(), again[0].attempts, again[0].late),
        (1, 2, false)
    );
}

#[test]
fn late_claims_are_flagged_and_limit_is_honoured() {
    let mut store = dutybell::store::sqlite::SqliteStore::open_in_memory().unwrap();
    let p = plan(
        "2027-12-31T00:00",
        vec![rem("a", "2027-03-01T09:00"), rem("b", "2027-03-01T10:00")],
    );
    store.sync_plan(&p, t("2027-02-01T09:00")).unwrap();
    let first = store.claim_due(t("2027-03-01T12:00"), 1).unwrap();
    assert_eq!(
        (first.len(), first[0].stage.as_str(), first[0].late),
        (1, "a", true)
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
fn done_progress_closes_the_occurrence_and_cancels_its_reminders() {
    let mut store = dutybell::store::sqlite::SqliteStore::open_in_memory().unwrap();
    let p = plan(
        "2027-12-31T00:00",
        vec![rem("a", "2027-03-01T09:00"), rem("b", "2027-04-01T09:00")],
    );
    store.sync_plan(&p, t("2027-02-01T09:00")).unwrap();
    let now = t("2027-03-01T09:00");
    let a = store.claim_due(now, 10).unwrap()[0].id;
    store.record_sent(a, now, "ok").unwrap();
    let key = "4.2@2027-spring";
    assert!(matches!(
        store.add_progress(done_note(None, "4.2"), now),
        Err(StoreError::DoneWithoutOccurrence(_))
    ));
    assert!(matches!(
        store.add_progress(done_note(Some(key), "5.1"), now),
        Err(StoreError::OccurrenceTaskMismatch { .. })
    ));
    assert!(matches!(
        store.add_progress(done_note(Some("nope"), "4.2"), now),
        Err(StoreError::NoSuchOccurrence(_))
    ));
    let id = store
        .add_progress(done_note(Some(key), "4.2"), now)
        .unwrap();
    assert_eq!(
        store.occurrence(key).unwrap().unwrap().status,
        OccurrenceStatus::Done
    );
    assert_eq!(state_of(&store, "a"), OutboxState::Sent);
    assert_eq!(state_of(&store, "b"), OutboxState::Cancelled);
    // Re-planning neither reopens the occurrence nor re-activates its reminders.
    let again = store.sync_plan(&p, now).unwrap();
    assert_eq!(again.unchanged, 2);
    assert_eq!(state_of(&store, "b"), OutboxState::Cancelled);
    assert_eq!(
        store.occurrence(key).unwrap().unwrap().status,
        OccurrenceStatus::Done
    );
    let notes = store.progress_for_task("4.2").unwrap();
    assert_eq!((notes.len(), notes[0].id, notes[0].done), (1, id, true));
    assert_eq!(store.latest_progress().unwrap()[0].id, id);
    let filter = OccurrenceFilter {
        status: Some(OccurrenceStatus::Open),
        ..Default::default()
    };
    assert!(store.occurrences(&filter).unwrap().is_empty());
}

#[test]
fn retry_now_requeues_dead_rows_only() {
    let mut store = dutybell::store::sqlite::SqliteStore::open_in_memory().unwrap();
    store
        .sync_plan(
            &plan(
                "2027-12-31T00:00",
                vec![rem("a", "2027-03-01T09:00"), rem("b", "2027-06-01T09:00")],
            ),
            t("2027-02-01T09:00"),
        )
        .unwrap();
    let now = t("2027-03-01T09:00");
    let id = store.claim_due(now, 10).unwrap()[0].id;
    store.record_dead(id, now, "bad key").unwrap();
    let status = store.status(now).unwrap();
    assert_eq!(
        (
            status.count(OutboxState::Dead),
            status.count(OutboxState::Pending)
        ),
        (1, 1)
    );
    assert_eq!(
        (status.dead.len(), status.recent_failures[0].detail.as_str()),
        (1, "bad key")
    );
    let later = t("2027-03-02T10:00");
    store.retry_now(id, later).unwrap();
    assert_eq!(store.status(later).unwrap().due_now, 1);
    assert_eq!(store.claim_due(later, 10).unwrap()[0].id, id);
    let pending = store.list_outbox(Some(OutboxState::Pending), 10).unwrap()[0].id;
    assert!(matches!(
        store.retry_now(pending, later),
        Err(StoreError::InvalidState { .. })
    ));
}

#[test]
fn digest_week_is_claimed_once() {
    let mut store = dutybell::store::sqlite::SqliteStore::open_in_memory().unwrap();
    assert!(store.digest_claim_week("weekly", "2027-W08").unwrap());
    assert!(!store.digest_claim_week("weekly", "2027-W08").unwrap());
    assert!(store.digest_claim_week("weekly", "2027-W09").unwrap());
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
