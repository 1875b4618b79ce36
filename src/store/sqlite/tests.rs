//! Unit tests that need raw SQL access (the integration tests never name `rusqlite`), and the
//! one-off generator of the committed v1 fixture database.
//!
//! May touch: temporary files; `tests/fixtures/db/` only when the ignored generator is run.

use std::path::Path;

use rusqlite::Connection;

use super::*;
use crate::store::{Store, StoreExt};

#[test]
fn open_refuses_a_newer_schema_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 7)
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, known } if found == SCHEMA_VERSION + 7 && known == SCHEMA_VERSION)
    );
    assert!(err.to_string().contains("upgrade dutybell"), "{err}");
}

#[test]
fn in_memory_store_is_fully_migrated() {
    let store = SqliteStore::open_in_memory().unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.journal_mode().unwrap(), "memory");
}

#[test]
fn pragmas_are_set_on_file_databases() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    let sync: i64 = store
        .conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    let fk: bool = store
        .conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    assert!(fk);
}

#[test]
fn stored_enum_text_round_trips() {
    use crate::notify::{Colour, MessageKind};
    let text = crate::store::types::enum_text(&MessageKind::DueToday);
    assert_eq!(text, "due_today");
    let back: MessageKind = crate::store::types::enum_parse(&text).unwrap();
    assert_eq!(back, MessageKind::DueToday);
    assert!(crate::store::types::enum_parse::<Colour>("purple").is_err());
    for s in OutboxState::ALL {
        assert_eq!(OutboxState::parse(s.as_str()).unwrap(), *s);
    }
}

/// Regenerates `tests/fixtures/db/v1.sqlite`: a database at schema version 1 with a few rows.
/// Run once with `cargo test --lib write_v1_fixture -- --ignored` and commit the file; never
/// regenerate it after a release (it stands for databases already in the field).
#[test]
#[ignore = "one-off fixture generator"]
fn write_v1_fixture() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db/v1.sqlite");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open_at_version(&path, 1).unwrap();
    assert_eq!(store.schema_version().unwrap(), 1);
    store.conn.execute_batch(V1_ROWS).unwrap();
    // A self-contained single file: no -wal sibling to forget when committing.
    store
        .conn
        .pragma_update(None, "journal_mode", "DELETE")
        .unwrap();
}

const V1_ROWS: &str = r#"
INSERT INTO plan_versions (id, created_at, config_hash, summary)
    VALUES (1, 1798761600, 'sha256:v1fixture', '1 occurrences, 2 reminders');
INSERT INTO occurrences (key, task_id, rule_index, period_label, window_start, window_end,
        due_date, status, colour, plan_version, created_at, updated_at)
    VALUES ('4.2@2027-spring', '4.2', 0, '2027年春季', '2027-03-01', '2027-05-31', '2027-05-31',
        'open', 'blue', 1, 1798761600, 1798761600);
INSERT INTO outbox (id, dedupe_key, occurrence_key, task_id, stage, kind, recipient, channel,
        fire_at, state, attempts, next_attempt_at, message, plan_version, created_at, updated_at,
        sent_at)
    VALUES
    (1, '4.2|4.2@2027-spring|opening|food|file', '4.2@2027-spring', '4.2', 'opening',
        'campaign_opening', 'food', 'file', 1803974400, 'sent', 1, 1803974400,
        '{"id":"4.2|4.2@2027-spring|opening|food|file","thread":"4.2@2027-spring","kind":"campaign_opening","colour":"blue","subject":"【督办提醒】4.2 春季专项整治开始","text":"请按计划开展。","html":null,"markdown":"请按计划开展。","recipients":{"to":[],"cc":[],"mobiles":[]},"data":{},"attempt_at":0}',
        1, 1798761600, 1803974460, 1803974460),
    (2, '4.2|4.2@2027-spring|due|food|file', '4.2@2027-spring', '4.2', 'due', 'due_today',
        'food', 'file', 1811980800, 'pending', 0, 1811980800,
        '{"id":"4.2|4.2@2027-spring|due|food|file","thread":"4.2@2027-spring","kind":"due_today","colour":"yellow","subject":"【督办提醒】4.2 今日到期","text":"今日到期。","html":null,"markdown":"今日到期。","recipients":{"to":[],"cc":[],"mobiles":[]},"data":{},"attempt_at":0}',
        1, 1798761600, 1798761600, NULL);
INSERT INTO deliveries (outbox_id, attempt, at, outcome, detail)
    VALUES (1, 1, 1803974460, 'sent', 'written to file');
INSERT INTO progress (task_id, occurrence_key, note, by_name, at, done, source)
    VALUES ('4.2', '4.2@2027-spring', '已部署春季检查', '张三', 1804060800, 0, 'cli');
"#;

fn reminder(fire_at: &str, message: &str) -> NewReminder {
    NewReminder {
        dedupe_key: "1.1|1.1@2027|due|food|file".into(),
        occurrence_key: "1.1@2027".into(),
        task_id: "1.1".into(),
        stage: "due".into(),
        kind: crate::notify::MessageKind::DueToday,
        recipient: "food".into(),
        channel: "file".into(),
        fire_at: fire_at.parse().unwrap(),
        message: Some(message.into()),
    }
}

fn one(fire_at: &str, message: &str) -> PlanSet {
    PlanSet {
        version_hash: message.into(),
        horizon_start: None,
        horizon_end: "2028-01-01T00:00:00Z".parse().unwrap(),
        occurrences: vec![],
        reminders: vec![reminder(fire_at, message)],
    }
}

#[test]
fn sync_moves_pending_rows_and_refreshes_retry_content_only() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let now: jiff::Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
    store
        .sync_plan(&one("2027-03-01T01:00:00Z", "{}"), now)
        .unwrap();
    let moved = store
        .sync_plan(&one("2027-03-02T01:00:00Z", "{}"), now)
        .unwrap();
    assert_eq!((moved.updated, moved.added), (1, 0));
    let item = &store.list_outbox(None, 1).unwrap()[0];
    assert_eq!(item.next_attempt_at, item.fire_at);
    assert_eq!(item.plan_version, Some(1), "same hash, same plan version");

    let due: jiff::Timestamp = "2027-03-02T01:00:00Z".parse().unwrap();
    let id = store.claim_due(due, 1).unwrap()[0].id;
    let next: jiff::Timestamp = "2027-03-02T02:00:00Z".parse().unwrap();
    store.record_retry(id, due, next, "timeout").unwrap();
    let edited = store
        .sync_plan(&one("2027-03-05T01:00:00Z", r#"{"v":2}"#), due)
        .unwrap();
    assert_eq!(edited.updated, 1);
    let item = store.outbox_item(id).unwrap();
    assert_eq!(item.message, r#"{"v":2}"#);
    assert_eq!(item.next_attempt_at, next, "a retry keeps its schedule");
    assert_eq!(
        item.plan_version,
        Some(2),
        "a new hash records a new plan version"
    );
}
