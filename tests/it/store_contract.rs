//! The store contract, one suite run on every adapter: SQLite (a temp file) and PostgreSQL (a
//! fresh database per test; skipped with a printed reason when no server answers, except in CI).
//! Each `fn` below takes a [`Backend`]; `contract!` turns it into `sqlite::name` and
//! `postgres::name` tests.
//!
//! Lease expiry is on the database clock for PostgreSQL and on the caller's clock for SQLite, so
//! the suite expires leases the backend-neutral way: a lease with a zero TTL is expired at once
//! on both.
//!
//! May touch: temporary directories, and databases named `dutybell_t_*` on the test server.

use dutybell::notify::{Colour, MessageKind};
use dutybell::store::*;
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};

use crate::pg;

/// One adapter under test.
pub struct Backend {
    /// Where its state lives.
    pub url: StoreUrl,
    _dir: Option<tempfile::TempDir>,
    _db: Option<pg::TempDb>,
}

impl Backend {
    /// A new handle on the same database (a second process, or a restart).
    pub fn open(&self) -> Box<dyn Store> {
        dutybell::store::open(&self.url).unwrap()
    }
    fn shared(&self) -> bool {
        self.url.is_shared()
    }
}

/// A SQLite backend on a temp file.
pub fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    Backend {
        url: StoreUrl::Sqlite(dir.path().join("state.db")),
        _dir: Some(dir),
        _db: None,
    }
}

/// A PostgreSQL backend on a fresh database, or `None` when skipped.
pub fn postgres(test: &str) -> Option<Backend> {
    let db = pg::temp_db(test)?;
    Some(Backend {
        url: StoreUrl::Postgres(db.url.clone()),
        _dir: None,
        _db: Some(db),
    })
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&super::sqlite()); } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if let Some(b) = super::postgres(stringify!($name)) { super::$name(&b); }
            } )*
        }
    };
}

contract!(
    sync_is_idempotent,
    edit_cancels_only_future_rows_of_removed_keys,
    new_past_due_reminders_are_skipped,
    reminders_due_minutes_before_the_sync_are_still_sent,
    enqueue_is_idempotent_and_survives_a_sync,
    claim_then_record_outcomes,
    late_claims_are_flagged_and_limit_is_honoured,
    leases_between_owners,
    renewal_keeps_a_lease_from_takeover,
    record_many_commits_a_batch_and_reports_lost_leases,
    recover_in_flight_only_expired_unless_all,
    retry_now_requeues_dead_retry_and_skipped_only,
    progress_single_batch_and_done,
    occurrences_follow_the_plan_but_done_stays_done,
    digest_weeks_meta_and_ticks,
    status_counts_every_state,
    leader_lease,
    concurrent_claims_never_overlap,
    event_windows_open_close_and_refuse,
    send_buckets_keep_the_limit_across_handles,
    config_generations_agree_when_replicas_race,
);

fn t(s: &str) -> Timestamp {
    format!("{s}:00+08:00").parse().unwrap()
}

fn occ(key: &str, task: &str) -> NewOccurrence {
    NewOccurrence {
        key: key.into(),
        task_id: task.into(),
        rule_index: 0,
        period_label: "2027年春季".into(),
        window_start: date(2027, 3, 1),
        window_end: date(2027, 5, 31),
        due_date: Some(date(2027, 5, 31)),
        colour: Colour::Blue,
    }
}

const OCC: &str = "4.2@2027-spring";

fn rem(stage: &str, fire_at: &str) -> NewReminder {
    NewReminder {
        dedupe_key: format!("4.2|{OCC}|{stage}|food|file"),
        occurrence_key: OCC.into(),
        task_id: "4.2".into(),
        stage: stage.into(),
        kind: MessageKind::Lead,
        recipient: "food".into(),
        channel: "file".into(),
        fire_at: t(fire_at),
        message: None,
    }
}

fn plan(reminders: Vec<NewReminder>) -> PlanSet {
    PlanSet {
        version_hash: "h1".into(),
        horizon_start: None,
        horizon_end: t("2027-12-31T00:00"),
        occurrences: vec![occ(OCC, "4.2")],
        reminders,
    }
}

fn state_of(store: &dyn Store, stage: &str) -> OutboxState {
    let all = store.list_outbox(None, 1000).unwrap();
    all.iter().find(|i| i.stage == stage).unwrap().state
}

fn note(key: Option<&str>, task: &str, done: bool) -> NewProgress {
    NewProgress {
        task_id: task.into(),
        occurrence_key: key.map(Into::into),
        note: "已完成".into(),
        by_name: "张三".into(),
        done,
        source: ProgressSource::Cli,
    }
}

fn lease(owner: &str, ttl_secs: i64) -> Lease {
    Lease {
        owner: owner.into(),
        ttl: SignedDuration::from_secs(ttl_secs),
    }
}

fn sync_is_idempotent(b: &Backend) {
    let mut s = b.open();
    let now = t("2027-02-01T09:00");
    let p = plan(vec![
        rem("a", "2027-03-01T09:00"),
        rem("b", "2027-04-01T09:00"),
    ]);
    let first = s.sync_plan(&p, now).unwrap();
    assert_eq!((first.added, first.occurrences_added), (2, 1));
    let second = s.sync_plan(&p, now).unwrap();
    let unchanged = SyncReport {
        unchanged: 2,
        ..SyncReport::default()
    };
    assert_eq!(second, unchanged);
    let rows = s.list_outbox(None, 10).unwrap();
    assert!(
        rows.iter()
            .all(|r| r.updated_at == now && r.plan_version == Some(1))
    );
    assert!(rows.iter().all(|r| r.needs_render()));
}

fn edit_cancels_only_future_rows_of_removed_keys(b: &Backend) {
    let mut s = b.open();
    let p1 = plan(vec![
        rem("past", "2027-03-01T09:00"),
        rem("soon", "2027-04-01T09:00"),
        rem("beyond", "2028-03-01T09:00"),
        rem("kept", "2027-05-01T09:00"),
    ]);
    s.sync_plan(&p1, t("2027-02-01T09:00")).unwrap();
    let mut p2 = plan(vec![rem("kept", "2027-05-01T09:00")]);
    p2.version_hash = "h2".into();
    let report = s.sync_plan(&p2, t("2027-03-15T09:00")).unwrap();
    assert_eq!((report.cancelled, report.unchanged), (1, 1));
    assert_eq!(
        state_of(&*s, "past"),
        OutboxState::Pending,
        "missed, not removed"
    );
    assert_eq!(state_of(&*s, "soon"), OutboxState::Cancelled);
    assert_eq!(
        state_of(&*s, "beyond"),
        OutboxState::Pending,
        "outside the horizon"
    );
    assert_eq!(state_of(&*s, "kept"), OutboxState::Pending);
    assert_eq!(s.list_outbox(None, 10).unwrap().len(), 4);
    let back = s.sync_plan(&p1, t("2027-03-15T09:00")).unwrap();
    assert_eq!(back.updated, 1);
    assert_eq!(state_of(&*s, "soon"), OutboxState::Pending);
    // A changed time is an update; the plan version follows the hash.
    let mut p3 = plan(vec![rem("kept", "2027-05-02T09:00")]);
    p3.version_hash = "h3".into();
    let r3 = s.sync_plan(&p3, t("2027-03-15T09:00")).unwrap();
    assert_eq!(r3.updated, 1);
    let kept = s.list_outbox(None, 10).unwrap();
    let kept = kept.iter().find(|i| i.stage == "kept").unwrap();
    assert_eq!(
        (kept.fire_at, kept.next_attempt_at),
        (t("2027-05-02T09:00"), t("2027-05-02T09:00"))
    );
    let versions = (kept.plan_version, s.meta("x").unwrap());
    assert_eq!(versions.0, Some(4), "{versions:?}");
}

fn new_past_due_reminders_are_skipped(b: &Backend) {
    let mut s = b.open();
    let now = t("2027-03-15T09:00");
    let p = plan(vec![
        rem("old", "2027-03-01T09:00"),
        rem("new", "2027-04-01T09:00"),
    ]);
    let report = s.sync_plan(&p, now).unwrap();
    assert_eq!((report.added, report.skipped), (1, 1));
    assert_eq!(state_of(&*s, "old"), OutboxState::Skipped);
    let moved = plan(vec![
        rem("old", "2027-03-01T09:00"),
        rem("new", "2027-03-10T09:00"),
    ]);
    assert_eq!(s.sync_plan(&moved, now).unwrap().skipped, 1);
    assert_eq!(state_of(&*s, "new"), OutboxState::Skipped);
    assert_eq!(s.next_wakeup().unwrap(), None);
}

/// A sync at 09:00 plans a reminder due 08:50 as pending (it fell due minutes ago: a daemon
/// started, or a task added, just after its instant), one due 08:44 as past (over the 15 minutes
/// of `model::JUST_DUE`); a pending row an edit moves to 08:55 stays pending. Before, all three
/// were skipped.
fn reminders_due_minutes_before_the_sync_are_still_sent(b: &Backend) {
    let mut s = b.open();
    let now = t("2027-03-15T09:00");
    let p = plan(vec![
        rem("recent", "2027-03-15T08:50"),
        rem("stale", "2027-03-15T08:44"),
        rem("later", "2027-03-16T09:00"),
    ]);
    let report = s.sync_plan(&p, now).unwrap();
    assert_eq!((report.added, report.skipped), (2, 1));
    assert_eq!(state_of(&*s, "recent"), OutboxState::Pending);
    assert_eq!(state_of(&*s, "stale"), OutboxState::Skipped);
    assert_eq!(s.next_wakeup().unwrap(), Some(t("2027-03-15T08:50")));
    let moved = plan(vec![
        rem("recent", "2027-03-15T08:50"),
        rem("stale", "2027-03-15T08:44"),
        rem("later", "2027-03-15T08:55"),
    ]);
    s.sync_plan(&moved, now).unwrap();
    assert_eq!(state_of(&*s, "later"), OutboxState::Pending);
    let claimed = s.claim(&lease("a", 60), now, 10).unwrap();
    let mut stages: Vec<String> = claimed.iter().map(|i| i.stage.to_string()).collect();
    stages.sort();
    assert_eq!(stages, ["later", "recent"], "both go out now");
}

fn alert(key: &str, at: Timestamp) -> NewReminder {
    NewReminder {
        dedupe_key: key.into(),
        occurrence_key: "operator".into(),
        task_id: "-".into(),
        stage: "dead".into(),
        kind: MessageKind::OperatorAlert,
        recipient: "operator".into(),
        channel: "file".into(),
        fire_at: at,
        message: Some("{}".into()),
    }
}

fn enqueue_is_idempotent_and_survives_a_sync(b: &Backend) {
    let mut s = b.open();
    let now = t("2027-02-20T09:00");
    let later = t("2027-02-21T09:00");
    assert!(s.enqueue(&alert("op|1", later), now).unwrap());
    assert!(!s.enqueue(&alert("op|1", later), now).unwrap());
    s.sync_plan(&plan(vec![]), now).unwrap();
    let items = s.claim(&lease("x", 300), later, 10).unwrap();
    assert_eq!(items.len(), 1, "a sync never cancels an operator alert");
    assert_eq!(items[0].message, "{}");
}

fn claim_then_record_outcomes(b: &Backend) {
    let mut s = b.open();
    let stages = [
        ("s1", "2027-03-01T09:00"),
        ("s2", "2027-03-01T09:01"),
        ("s3", "2027-03-01T09:02"),
        ("s4", "2027-03-01T09:03"),
    ];
    s.sync_plan(
        &plan(stages.iter().map(|(a, f)| rem(a, f)).collect()),
        t("2027-02-01T09:00"),
    )
    .unwrap();
    assert_eq!(s.next_wakeup().unwrap(), Some(t("2027-03-01T09:00")));
    assert!(s.claim_due(t("2027-03-01T08:59"), 10).unwrap().is_empty());
    let now = t("2027-03-01T09:05");
    let claimed = s.claim_due(now, 10).unwrap();
    let order: Vec<_> = claimed.iter().map(|i| i.stage.as_str()).collect();
    assert_eq!(order, ["s1", "s2", "s3", "s4"]);
    assert!(claimed.iter().all(|i| i.state == OutboxState::Sending
        && i.attempts == 1
        && !i.late
        && i.lease_owner.as_deref() == Some(LOCAL_OWNER)
        && i.lease_until.is_some()));
    assert!(
        s.claim_due(now, 10).unwrap().is_empty(),
        "never claimed twice"
    );
    let [a, bb, c, d] = [0, 1, 2, 3].map(|i| claimed[i].id);
    let sent = Recorded::Sent {
        id: a,
        detail: "250 ok".into(),
        message: Some("{\"frozen\":1}".into()),
    };
    s.record(LOCAL_OWNER, &sent, now).unwrap();
    s.record_retry(bb, now, t("2027-03-01T09:15"), "timeout")
        .unwrap();
    s.record_dead(c, now, "550 no such user").unwrap();
    s.record_skipped(d, now, "channel removed").unwrap();
    let a_row = s.outbox_item(a).unwrap();
    assert_eq!(
        (a_row.sent_at, a_row.message.as_str()),
        (Some(now), "{\"frozen\":1}")
    );
    assert_eq!((a_row.lease_owner, a_row.lease_until), (None, None));
    assert_eq!(state_of(&*s, "s2"), OutboxState::Retry);
    assert_eq!(
        s.outbox_item(bb).unwrap().last_error.as_deref(),
        Some("timeout")
    );
    assert_eq!(state_of(&*s, "s3"), OutboxState::Dead);
    assert_eq!(state_of(&*s, "s4"), OutboxState::Skipped);
    let outcomes: Vec<_> = [a, bb, c, d]
        .iter()
        .map(|id| s.deliveries(*id).unwrap()[0].outcome)
        .collect();
    use DeliveryOutcome::*;
    assert_eq!(outcomes, [Sent, Retry, Dead, Skipped]);
    assert_eq!(s.deliveries(a).unwrap()[0].attempt, 1);
    let err = s.record_sent(a, now, "again").unwrap_err();
    assert!(
        matches!(err, StoreError::LeaseLost { id, .. } if id == a),
        "{err}"
    );
    assert!(matches!(
        s.record_sent(999, now, "x"),
        Err(StoreError::NoSuchOutboxRow(999))
    ));
    assert_eq!(s.next_wakeup().unwrap(), Some(t("2027-03-01T09:15")));
    assert!(s.claim_due(t("2027-03-01T09:14"), 10).unwrap().is_empty());
    let again = s.claim_due(t("2027-03-01T09:15"), 10).unwrap();
    assert_eq!(
        (again.len(), again[0].attempts, again[0].late),
        (1, 2, false)
    );
}

fn late_claims_are_flagged_and_limit_is_honoured(b: &Backend) {
    let mut s = b.open();
    let p = plan(vec![
        rem("a", "2027-03-01T09:00"),
        rem("b", "2027-03-01T10:00"),
    ]);
    s.sync_plan(&p, t("2027-02-01T09:00")).unwrap();
    let first = s.claim_due(t("2027-03-01T12:00"), 1).unwrap();
    assert_eq!(
        (first.len(), first[0].stage.as_str(), first[0].late),
        (1, "a", true)
    );
    let missed = s.missed(t("2027-03-01T12:00")).unwrap();
    assert_eq!(
        missed.len(),
        1,
        "only never-attempted pending rows are missed"
    );
    s.skip_pending(missed[0].id, t("2027-03-01T12:00"), "superseded")
        .unwrap();
    assert_eq!(state_of(&*s, "b"), OutboxState::Skipped);
    assert!(matches!(
        s.skip_pending(first[0].id, t("2027-03-01T12:00"), "x"),
        Err(StoreError::InvalidState { .. })
    ));
}

fn leases_between_owners(b: &Backend) {
    let mut s = b.open();
    s.sync_plan(
        &plan(vec![rem("a", "2027-03-01T09:00")]),
        t("2027-02-01T09:00"),
    )
    .unwrap();
    let now = t("2027-03-01T09:00");
    let item = s
        .claim(&lease("host-a:1:1", 300), now, 10)
        .unwrap()
        .pop()
        .unwrap();
    assert!(
        s.claim(&lease("host-b:2:2", 300), now, 10)
            .unwrap()
            .is_empty(),
        "leased to a"
    );
    let sent = Recorded::Sent {
        id: item.id,
        detail: "ok".into(),
        message: None,
    };
    assert!(matches!(
        s.record("host-b:2:2", &sent, now),
        Err(StoreError::LeaseLost { .. })
    ));
    // Expire a's lease the backend-neutral way: recover it, claim with a zero TTL.
    assert_eq!(s.recover_in_flight(now, true).unwrap(), 1);
    let zero = s
        .claim(&lease("host-a:1:1", 0), now, 10)
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(zero.attempts, 2);
    let taken = s
        .claim(&lease("host-b:2:2", 300), now, 10)
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!((taken.id, taken.attempts), (item.id, 3));
    assert_eq!(taken.lease_owner.as_deref(), Some("host-b:2:2"));
    let log = s.deliveries(item.id).unwrap();
    assert!(
        log.last().unwrap().detail.contains("lease expired"),
        "{log:?}"
    );
    assert!(matches!(
        s.record("host-a:1:1", &sent, now),
        Err(StoreError::LeaseLost { .. })
    ));
    s.record("host-b:2:2", &sent, now).unwrap();
    assert_eq!(s.outbox_item(item.id).unwrap().state, OutboxState::Sent);
}

/// A holder that renews keeps its row however long its send waits; a renewal reports the rows it
/// no longer holds (taken over, recorded, unknown), and never takes a row back.
fn renewal_keeps_a_lease_from_takeover(b: &Backend) {
    let mut s = b.open();
    s.sync_plan(
        &plan(vec![rem("a", "2027-03-01T09:00")]),
        t("2027-02-01T09:00"),
    )
    .unwrap();
    let now = t("2027-03-01T09:00");
    let ttl = jiff::SignedDuration::from_secs(300);
    // Claimed with a lease that has already lapsed: another owner could take it now ...
    let item = s
        .claim(&lease("host-a:1:1", 0), now, 10)
        .unwrap()
        .pop()
        .unwrap();
    // ... unless its holder renews first.
    assert_eq!(
        s.renew("host-a:1:1", &[item.id, 999_999], now, ttl)
            .unwrap(),
        vec![999_999],
        "an unknown row is reported lost"
    );
    assert!(
        s.claim(&lease("host-b:2:2", 300), now, 10)
            .unwrap()
            .is_empty(),
        "a renewed lease is live"
    );
    assert_eq!(
        s.renew("host-b:2:2", &[item.id], now, ttl).unwrap(),
        vec![item.id],
        "a renewal never takes a row from its holder"
    );
    // Taken over after the holder lost it: the old holder's renewal says so.
    assert_eq!(s.recover_in_flight(now, true).unwrap(), 1);
    let taken = s
        .claim(&lease("host-b:2:2", 300), now, 10)
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(taken.id, item.id);
    assert_eq!(
        s.renew("host-a:1:1", &[item.id], now, ttl).unwrap(),
        vec![item.id]
    );
    let sent = Recorded::Sent {
        id: item.id,
        detail: "ok".into(),
        message: None,
    };
    s.record("host-b:2:2", &sent, now).unwrap();
    assert_eq!(
        s.renew("host-b:2:2", &[item.id], now, ttl).unwrap(),
        vec![item.id],
        "a recorded row is no longer held"
    );
    assert_eq!(s.outbox_item(item.id).unwrap().state, OutboxState::Sent);
}

/// The group commit: a batch's outcomes land together; a row whose lease passed to another
/// owner is reported, not written, and does not stop the rest.
fn record_many_commits_a_batch_and_reports_lost_leases(b: &Backend) {
    let mut s = b.open();
    s.sync_plan(
        &plan(vec![
            rem("a", "2027-03-01T09:00"),
            rem("b", "2027-03-01T09:00"),
            rem("c", "2027-03-01T09:00"),
        ]),
        t("2027-02-01T09:00"),
    )
    .unwrap();
    let now = t("2027-03-01T09:00");
    let mine = s.claim(&lease("host-a:1:1", 300), now, 10).unwrap();
    assert_eq!(mine.len(), 3);
    // The third row is taken over (a's lease "lapsed": recovered, then claimed by b).
    let stolen = mine[2].id;
    s.recover_in_flight(now, true).unwrap();
    let again = s.claim(&lease("host-a:1:1", 300), now, 2).unwrap();
    assert_eq!(again.len(), 2);
    let theirs = s.claim(&lease("host-b:2:2", 300), now, 10).unwrap();
    assert_eq!(
        theirs.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![stolen]
    );
    let outcomes = [
        Recorded::Sent {
            id: mine[0].id,
            detail: "ok".into(),
            message: None,
        },
        Recorded::Retry {
            id: mine[1].id,
            next_at: t("2027-03-01T09:05"),
            error: "503".into(),
        },
        Recorded::Sent {
            id: stolen,
            detail: "ok".into(),
            message: None,
        },
    ];
    let outcomes: Vec<&Recorded> = outcomes.iter().collect();
    let lost = s.record_many("host-a:1:1", &outcomes, now).unwrap();
    assert_eq!(lost, vec![stolen]);
    assert_eq!(s.outbox_item(mine[0].id).unwrap().state, OutboxState::Sent);
    assert_eq!(s.outbox_item(mine[1].id).unwrap().state, OutboxState::Retry);
    let held = s.outbox_item(stolen).unwrap();
    assert_eq!(
        (held.state, held.lease_owner.as_deref()),
        (OutboxState::Sending, Some("host-b:2:2"))
    );
    assert!(s.record_many("host-a:1:1", &[], now).unwrap().is_empty());
}

fn recover_in_flight_only_expired_unless_all(b: &Backend) {
    let mut s = b.open();
    let p = plan(vec![
        rem("a", "2027-03-01T09:00"),
        rem("b", "2027-03-01T09:01"),
    ]);
    s.sync_plan(&p, t("2027-02-01T09:00")).unwrap();
    let now = t("2027-03-01T09:05");
    let live = s.claim(&lease("live", 300), now, 1).unwrap().pop().unwrap();
    let dead = s.claim(&lease("dead", 0), now, 1).unwrap().pop().unwrap();
    drop(s); // the crash: claimed, never recorded
    let mut s = b.open();
    assert_eq!(
        s.recover_in_flight(now, false).unwrap(),
        1,
        "only the expired lease"
    );
    let row = s.outbox_item(dead.id).unwrap();
    assert_eq!((row.state, row.next_attempt_at), (OutboxState::Retry, now));
    assert_eq!(
        s.deliveries(dead.id).unwrap()[0].outcome,
        DeliveryOutcome::Retry
    );
    assert_eq!(s.outbox_item(live.id).unwrap().state, OutboxState::Sending);
    assert_eq!(
        s.recover_in_flight(now, true).unwrap(),
        1,
        "all: the live one too"
    );
    assert_eq!(s.recover_in_flight(now, true).unwrap(), 0);
    let again = s.claim_due(now, 10).unwrap();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|i| i.attempts == 2));
}

fn retry_now_requeues_dead_retry_and_skipped_only(b: &Backend) {
    let mut s = b.open();
    let p = plan(vec![
        rem("a", "2027-03-01T09:00"),
        rem("b", "2027-06-01T09:00"),
    ]);
    s.sync_plan(&p, t("2027-02-01T09:00")).unwrap();
    let now = t("2027-03-01T09:00");
    let id = s.claim_due(now, 10).unwrap()[0].id;
    s.record_dead(id, now, "bad key").unwrap();
    let later = t("2027-03-02T10:00");
    s.retry_now(id, later).unwrap();
    assert_eq!(s.status(later).unwrap().due_now, 1);
    assert_eq!(s.claim_due(later, 10).unwrap()[0].id, id);
    let pending = s.list_outbox(Some(OutboxState::Pending), 10).unwrap()[0].id;
    assert!(matches!(
        s.retry_now(pending, later),
        Err(StoreError::InvalidState { .. })
    ));
    assert!(matches!(
        s.retry_now(4242, later),
        Err(StoreError::NoSuchOutboxRow(4242))
    ));
}

fn progress_single_batch_and_done(b: &Backend) {
    let mut s = b.open();
    let mut p = plan(vec![
        rem("a", "2027-03-01T09:00"),
        rem("b", "2027-04-01T09:00"),
    ]);
    p.occurrences.push(occ("5.1@2027", "5.1"));
    s.sync_plan(&p, t("2027-02-01T09:00")).unwrap();
    let now = t("2027-03-01T09:00");
    let a = s.claim_due(now, 10).unwrap()[0].id;
    s.record_sent(a, now, "ok").unwrap();
    assert!(matches!(
        s.add_progress(note(None, "4.2", true), now),
        Err(StoreError::DoneWithoutOccurrence(_))
    ));
    assert!(matches!(
        s.add_progress(note(Some(OCC), "5.1", true), now),
        Err(StoreError::OccurrenceTaskMismatch { .. })
    ));
    assert!(matches!(
        s.add_progress(note(Some("nope"), "4.2", true), now),
        Err(StoreError::NoSuchOccurrence(_))
    ));
    // A batch with one bad note writes nothing.
    let bad = vec![
        note(Some("5.1@2027"), "5.1", true),
        note(Some(OCC), "5.1", false),
    ];
    assert!(s.add_progress_batch(bad, now).is_err());
    assert!(s.progress_for_task("5.1").unwrap().is_empty());
    assert_eq!(
        s.occurrence("5.1@2027").unwrap().unwrap().status,
        OccurrenceStatus::Open
    );
    let first = s.add_progress(note(None, "4.2", false), now).unwrap();
    let id = s.add_progress(note(Some(OCC), "4.2", true), now).unwrap();
    assert!(id > first);
    assert_eq!(
        s.occurrence(OCC).unwrap().unwrap().status,
        OccurrenceStatus::Done
    );
    assert_eq!(state_of(&*s, "a"), OutboxState::Sent);
    assert_eq!(state_of(&*s, "b"), OutboxState::Cancelled);
    let again = s.sync_plan(&p, now).unwrap();
    assert_eq!(again.unchanged, 2);
    assert_eq!(state_of(&*s, "b"), OutboxState::Cancelled);
    let ids = s
        .add_progress_batch(
            vec![
                note(None, "5.1", false),
                note(Some("5.1@2027"), "5.1", true),
            ],
            now,
        )
        .unwrap();
    assert_eq!(ids.len(), 2);
    let notes = s.progress_for_task("4.2").unwrap();
    assert_eq!((notes.len(), notes[1].id, notes[1].done), (2, id, true));
    let latest = s.latest_progress().unwrap();
    let latest: Vec<_> = latest.iter().map(|n| (n.task_id.as_str(), n.id)).collect();
    assert_eq!(latest, [("4.2", id), ("5.1", ids[1])]);
}

fn occurrences_follow_the_plan_but_done_stays_done(b: &Backend) {
    let mut s = b.open();
    let mut p = plan(vec![]);
    p.occurrences.push(occ("10.2@2027", "10.2"));
    p.occurrences[1].window_start = date(2027, 11, 1);
    let r = s.sync_plan(&p, t("2027-02-01T09:00")).unwrap();
    assert_eq!(r.occurrences_added, 2);
    s.add_progress(note(Some(OCC), "4.2", true), t("2027-03-01T09:00"))
        .unwrap();
    p.occurrences[0].colour = Colour::Red;
    p.occurrences[0].period_label = "春季".into();
    let r = s.sync_plan(&p, t("2027-03-02T09:00")).unwrap();
    assert_eq!((r.occurrences_added, r.occurrences_updated), (0, 1));
    let o = s.occurrence(OCC).unwrap().unwrap();
    assert_eq!(
        (o.status, o.colour, o.period_label.as_str()),
        (OccurrenceStatus::Done, Colour::Red, "春季")
    );
    assert_eq!(o.updated_at, t("2027-03-02T09:00"));
    assert!(s.occurrence("none").unwrap().is_none());
    let all = s.occurrences(&OccurrenceFilter::default()).unwrap();
    let keys: Vec<_> = all.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, [OCC, "10.2@2027"], "by window start");
    let f = |task: Option<&str>, status, started_by| OccurrenceFilter {
        task_id: task.map(Into::into),
        status,
        started_by,
    };
    assert_eq!(
        s.occurrences(&f(Some("10.2"), None, None)).unwrap().len(),
        1
    );
    assert_eq!(
        s.occurrences(&f(None, Some(OccurrenceStatus::Open), None))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.occurrences(&f(None, None, Some(date(2027, 6, 1))))
            .unwrap()
            .len(),
        1
    );
    let u32max = NewOccurrence {
        rule_index: u32::MAX,
        ..occ("c@1", "c")
    };
    p.occurrences.push(u32max);
    s.sync_plan(&p, t("2027-03-02T09:00")).unwrap();
    assert_eq!(s.occurrence("c@1").unwrap().unwrap().rule_index, u32::MAX);
}

fn digest_weeks_meta_and_ticks(b: &Backend) {
    let mut s = b.open();
    assert!(!s.digest_week_claimed("weekly", "2027-W08").unwrap());
    assert!(s.digest_claim_week("weekly", "2027-W08").unwrap());
    assert!(!s.digest_claim_week("weekly", "2027-W08").unwrap());
    assert!(s.digest_week_claimed("weekly", "2027-W08").unwrap());
    assert!(s.digest_claim_week("weekly", "2027-W09").unwrap());
    assert_eq!(s.meta("plan_inputs").unwrap(), None);
    s.set_meta("plan_inputs", "abc").unwrap();
    s.set_meta("plan_inputs", "def").unwrap();
    assert_eq!(s.meta("plan_inputs").unwrap().as_deref(), Some("def"));
    let (d1, d2) = (t("2027-03-01T09:00"), t("2027-03-08T09:00"));
    assert_eq!(s.last_tick("job").unwrap(), None);
    assert!(s.record_tick("job", d1, d1).unwrap());
    assert!(
        !s.record_tick("job", d1, d2).unwrap(),
        "the same tick runs once"
    );
    assert!(s.record_tick("job", d2, d2).unwrap());
    assert!(!s.record_tick("job", d1, d2).unwrap(), "never backwards");
    assert_eq!(s.last_tick("job").unwrap(), Some(d2));
    assert!(s.schema_version().unwrap() >= 1);
}

fn status_counts_every_state(b: &Backend) {
    let mut s = b.open();
    let p = plan(vec![
        rem("a", "2027-03-01T09:00"),
        rem("b", "2027-03-01T09:01"),
        rem("c", "2027-03-01T09:02"),
        rem("d", "2027-05-01T09:00"),
    ]);
    s.sync_plan(&p, t("2027-02-01T09:00")).unwrap();
    let now = t("2027-03-01T09:05");
    let c = s.claim_due(now, 2).unwrap();
    s.record_dead(c[0].id, now, "bad key").unwrap();
    s.record_retry(c[1].id, now, t("2027-03-01T09:10"), "timeout")
        .unwrap();
    let st = s.status(t("2027-03-01T09:10")).unwrap();
    let counts: Vec<_> = st.counts.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    assert_eq!(
        counts,
        [
            ("pending", 2),
            ("sending", 0),
            ("sent", 0),
            ("retry", 1),
            ("dead", 1),
            ("cancelled", 0),
            ("skipped", 0)
        ]
    );
    assert_eq!(st.due_now, 2);
    assert_eq!(st.next_wakeup, Some(t("2027-03-01T09:02")));
    let next: Vec<_> = st.next_pending.iter().map(|i| i.stage.as_str()).collect();
    assert_eq!(next, ["c", "b", "d"]);
    let fails: Vec<_> = st
        .recent_failures
        .iter()
        .map(|f| f.detail.as_str())
        .collect();
    assert_eq!(fails.len(), 2);
    assert!(fails.contains(&"bad key") && fails.contains(&"timeout"));
    assert_eq!(st.dead.len(), 1);
    assert_eq!(s.next_pending(1).unwrap()[0].stage, "c");
    assert_eq!(
        s.list_outbox(Some(OutboxState::Retry), 10).unwrap().len(),
        1
    );
}

fn leader_lease(b: &Backend) {
    let mut s = b.open();
    let mut other = b.open();
    let ttl = SignedDuration::from_secs(60);
    assert!(s.try_lead("a", ttl).unwrap());
    assert!(s.try_lead("a", ttl).unwrap(), "renewal");
    let beat = Heartbeat {
        owner: "a".into(),
        version: "0.1.0".into(),
        plan_hash: "h".into(),
        plan_gen: 1,
        started_at: t("2027-03-01T09:00"),
    };
    s.heartbeat(&beat, ttl).unwrap();
    if b.shared() {
        assert!(!other.try_lead("b", ttl).unwrap(), "a holds it");
        let live = other.replicas().unwrap();
        assert_eq!(live.len(), 1);
        assert!(live[0].leader && live[0].owner == "a" && live[0].plan_gen == 1);
        // a lets its lease lapse (a zero TTL); b takes over.
        assert!(s.try_lead("a", SignedDuration::ZERO).unwrap());
        assert!(other.try_lead("b", ttl).unwrap());
        assert!(!s.try_lead("a", ttl).unwrap());
        s.heartbeat(&beat, SignedDuration::ZERO).unwrap();
        assert!(other.replicas().unwrap().is_empty(), "a's heartbeat lapsed");
    } else {
        // One dispatcher per SQLite file (the dispatch lock): every holder leads.
        assert!(other.try_lead("b", ttl).unwrap());
        assert!(other.replicas().unwrap().is_empty());
    }
}

fn concurrent_claims_never_overlap(b: &Backend) {
    let mut s = b.open();
    let reminders: Vec<_> = (0..60)
        .map(|i| rem(&format!("s{i:02}"), "2027-03-01T09:00"))
        .collect();
    s.sync_plan(&plan(reminders), t("2027-02-01T09:00"))
        .unwrap();
    let now = t("2027-03-01T09:00");
    let workers: Vec<_> = (0..3)
        .map(|w| {
            let url = b.url.clone();
            std::thread::spawn(move || {
                let mut s = dutybell::store::open(&url).unwrap();
                let owner = format!("w{w}");
                let mut got = Vec::new();
                loop {
                    let batch = s.claim(&lease(&owner, 300), now, 4).unwrap();
                    if batch.is_empty() {
                        break got;
                    }
                    for i in batch {
                        let r = Recorded::Sent {
                            id: i.id,
                            detail: owner.clone(),
                            message: None,
                        };
                        s.record(&owner, &r, now).unwrap();
                        got.push(i.id);
                    }
                }
            })
        })
        .collect();
    let mut all: Vec<i64> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    all.sort_unstable();
    let n = all.len();
    all.dedup();
    assert_eq!((n, all.len()), (60, 60), "every row claimed exactly once");
    assert_eq!(s.status(now).unwrap().count(OutboxState::Sent), 60);
}

/// Issue 14: declared event windows. One open window per event; an end closes it on its last
/// day and never before its start; a new window starts only after the last one ended; another
/// handle (a second process) sees the same windows.
fn event_windows_open_close_and_refuse(b: &Backend) {
    let mut s = b.open();
    let now = t("2026-07-03 09:00");
    assert!(s.event_windows().unwrap().is_empty());
    let id = s
        .start_event("flood_response", date(2026, 7, 3), "值班室", now)
        .unwrap();
    // Started twice: refused, naming the open window.
    let err = s
        .start_event("flood_response", date(2026, 7, 4), "cli", now)
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::EventState(m) if m.contains("2026-07-03")),
        "{err}"
    );
    // Another event is independent.
    s.start_event("drought", date(2026, 7, 5), "cli", now)
        .unwrap();
    // Ending before the start is refused; ending on a later day closes the window.
    let err = s
        .end_event("flood_response", date(2026, 7, 2), "cli", now)
        .unwrap_err();
    assert!(matches!(err, StoreError::EventState(_)), "{err}");
    let later = t("2026-07-10 18:00");
    assert_eq!(
        s.end_event("flood_response", date(2026, 7, 10), "局长", later)
            .unwrap(),
        id
    );
    let err = s
        .end_event("flood_response", date(2026, 7, 11), "cli", later)
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::EventState(m) if m.contains("not under way")),
        "{err}"
    );
    // A new window may not start inside the last one, but may the day after it ended.
    assert!(
        s.start_event("flood_response", date(2026, 7, 10), "cli", later)
            .is_err()
    );
    s.start_event("flood_response", date(2026, 8, 1), "cli", later)
        .unwrap();
    let other = b.open();
    let all = other.event_windows().unwrap();
    let view: Vec<(&str, String, Option<String>)> = all
        .iter()
        .map(|w| {
            (
                w.event.as_str(),
                w.start.to_string(),
                w.end.map(|d| d.to_string()),
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            ("drought", "2026-07-05".into(), None),
            (
                "flood_response",
                "2026-07-03".into(),
                Some("2026-07-10".into())
            ),
            ("flood_response", "2026-08-01".into(), None),
        ]
    );
    let closed = &all[1];
    assert_eq!(closed.started_by, "值班室");
    assert_eq!(closed.ended_by.as_deref(), Some("局长"));
    assert_eq!(closed.started_at, now);
    assert_eq!(closed.ended_at, Some(later));
}

/// Issue 16: two handles (two replicas) reserving slots in one bot's bucket never exceed 20 in
/// any rolling minute between them; other bots are untouched; the row holds no URL or key.
fn send_buckets_keep_the_limit_across_handles(b: &Backend) {
    let minute = [SendLimit {
        max: 20,
        per: SignedDuration::from_mins(1),
    }];
    let bot = bucket_key("wecom-a", "https://qyapi.example/send?key=SECRET-KEY");
    let (mut one, mut two) = (b.open(), b.open());
    let now = t("2027-03-01T09:00");
    let mut slots = Vec::new();
    for i in 0..50 {
        let s = if i % 2 == 0 { &mut one } else { &mut two };
        let slot = s.reserve_send(&bot, &minute, now).unwrap();
        assert!(slot.wait >= SignedDuration::ZERO);
        slots.push(slot.at);
    }
    assert!(
        slots.windows(2).all(|w| w[0] <= w[1]),
        "slots are first come, first served"
    );
    let window = SignedDuration::from_mins(1);
    let most = slots
        .iter()
        .map(|&a| slots.iter().filter(|&&x| x >= a && x < a + window).count())
        .max()
        .unwrap();
    assert_eq!(
        most, 20,
        "at most 20 in any rolling minute, and the first 20 at once"
    );
    // Exactly one minute apart, on whichever clock decided (the database's on PostgreSQL).
    assert_eq!(slots[20].duration_since(slots[0]), window);
    assert_eq!(slots[40].duration_since(slots[20]), window);
    // The 50th waits two minutes from the first's now (within the time the test took).
    let last = one.reserve_send(&bot, &minute, now).unwrap();
    assert!(
        last.wait >= SignedDuration::from_secs(100),
        "{:?}",
        last.wait
    );
    // Another bot starts with a full bucket.
    let other = bucket_key("wecom-b", "https://qyapi.example/send?key=OTHER");
    assert_eq!(
        two.reserve_send(&other, &minute, now).unwrap().wait,
        SignedDuration::ZERO
    );
    // No limit at all: never a wait.
    let free = two
        .reserve_send(&bucket_key("generic", "http://x"), &[], now)
        .unwrap();
    assert_eq!(free.wait, SignedDuration::ZERO);
}

/// Counters and first-writer-wins facts are atomic: replicas started together with one
/// configuration give it one generation (a read-then-write once numbered it 1 and 2, and the
/// leader stopped planning), and two configurations never share a generation.
fn config_generations_agree_when_replicas_race(b: &Backend) {
    use dutybell::service::replica::config_generation;
    let mut s = b.open();
    assert_eq!(s.meta_count("c").unwrap(), 1);
    assert_eq!(s.meta_count("c").unwrap(), 2);
    assert_eq!(s.meta_first("f", "a").unwrap(), "a");
    assert_eq!(s.meta_first("f", "b").unwrap(), "a");
    let gens: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let mut s = b.open();
                scope.spawn(move || {
                    let hash = if i % 2 == 0 { "even" } else { "odd" };
                    (0..20)
                        .map(|_| config_generation(&mut *s, hash).unwrap())
                        .last()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let even: Vec<_> = gens.iter().step_by(2).collect();
    let odd: Vec<_> = gens.iter().skip(1).step_by(2).collect();
    assert!(even.iter().all(|g| g == &even[0]), "{gens:?}");
    assert!(odd.iter().all(|g| g == &odd[0]), "{gens:?}");
    assert_ne!(even[0], odd[0], "{gens:?}");
}
