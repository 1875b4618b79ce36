//! The core redesign's guarantees, each with a test that fails on the first version's code:
//! per-occurrence catch-up across claim batches, leases, rendering at send time, the working-day
//! grace, the fresh-checkout path of the CLI, a broken pipe, a second daemon on one database, a
//! bounded horizon.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};

use dutybell::calendar::Offset;
use dutybell::clock::{ManualClock, SharedClock};
use dutybell::notify::MessageKind;
use dutybell::service::{Engine, cycle, plan, send};
use dutybell::store::sqlite::SqliteStore;
use dutybell::store::{
    Lease, NewReminder, OutboxState, PlanSet, Recorded, Store, StoreError, StoreExt,
};

use crate::helpers::{bin, bundled_config_text};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The bundled config with its state under `dir`, written to `dir/dutybell.yaml`.
fn site(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("dutybell.yaml");
    std::fs::write(&config, bundled_config_text(&dir.join("state"))).unwrap();
    config
}

fn engine(config: &Path, now: Timestamp) -> Engine {
    let clock: SharedClock = Arc::new(ManualClock::new(now));
    let loaded = dutybell::service::load_config(config, &clock).unwrap();
    Engine::with_channels(loaded, vec![], &clock).unwrap()
}

fn reminder(key: &str, occ: &str, recipient: &str, at: &str) -> NewReminder {
    NewReminder {
        dedupe_key: key.into(),
        occurrence_key: occ.into(),
        task_id: "4.2".into(),
        stage: key.into(),
        kind: MessageKind::Overdue,
        recipient: recipient.into(),
        channel: "file".into(),
        fire_at: ts(at),
        message: None,
    }
}

/// A plan set of just these reminders, planned to the end of 2027.
fn plan_of(reminders: Vec<NewReminder>) -> PlanSet {
    PlanSet {
        version_hash: "t".into(),
        horizon_start: None,
        horizon_end: ts("2028-01-01T00:00:00Z"),
        occurrences: vec![],
        reminders,
    }
}

/// After a week's downtime an occurrence had a due reminder and three overdue repeats missed
/// for the same recipient. The first version judged each claim batch alone, so once the batch
/// filled, later claims took one row each and every stage went out. Now the catch-up pass sees
/// every missed row: one message per occurrence and recipient, the latest stage.
#[test]
fn catch_up_is_per_occurrence_whatever_the_claim_batch() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let planned = ts("2027-02-28T00:00:00Z");
    let back = ts("2027-03-05T02:00:00Z");
    let e = engine(&config, back);
    let mut store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    let rows = vec![
        reminder("due", "4.2@x", "catering", "2027-03-01T01:00:00Z"),
        reminder("od1", "4.2@x", "catering", "2027-03-02T01:00:00Z"),
        reminder("od2", "4.2@x", "catering", "2027-03-03T01:00:00Z"),
        reminder("od3", "4.2@x", "catering", "2027-03-04T01:00:00Z"),
        reminder("other", "4.2@x", "food", "2027-03-02T01:00:00Z"),
    ];
    let set = plan_of(rows);
    store.sync_plan(&set, planned).unwrap();
    assert_eq!(cycle::catch_up(&mut store, &e, back).unwrap(), 3);
    // Claim one row at a time, as a daemon with one free send slot does.
    let mut sent = Vec::new();
    while let Some(item) = store.claim_due(back, 1).unwrap().pop() {
        assert!(item.late, "a missed row goes out marked late");
        store.record_sent(item.id, back, "ok").unwrap();
        sent.push(item.dedupe_key);
    }
    sent.sort();
    assert_eq!(sent, vec!["od3", "other"]);
    assert_eq!(
        cycle::catch_up(&mut store, &e, back).unwrap(),
        0,
        "idempotent"
    );
}

/// Grace given in working days counts working days: three working days back from Thursday
/// 2026-10-08 (the first working day after the 国庆 week, 10-01..07 off) are 09-30, 09-29 and
/// 09-28. The first version counted 3 calendar days (10-05, inside the holiday).
#[test]
fn downtime_grace_in_working_days_skips_the_holiday() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let now = ts("2026-10-08T01:00:00Z"); // 09:00 in Asia/Shanghai
    let mut e = engine(&config, now);
    e.catchup.grace = Offset::Workdays(3);
    assert_eq!(e.grace_cutoff(now), ts("2026-09-28T01:00:00Z"));
    e.catchup.grace = Offset::Days(3);
    assert_eq!(e.grace_cutoff(now), ts("2026-10-05T01:00:00Z"));
}

/// Leases: the holder records; anyone else is refused; an expired lease is reclaimed by another
/// process, after which the first holder's late outcome is discarded.
#[test]
fn an_outcome_is_recorded_only_by_the_lease_holder() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let t0 = ts("2027-03-01T01:00:00Z");
    let set = plan_of(vec![reminder(
        "a",
        "4.2@x",
        "catering",
        "2027-03-01T01:00:00Z",
    )]);
    store.sync_plan(&set, ts("2027-02-01T00:00:00Z")).unwrap();
    let a = Lease {
        owner: "host-a:1:0".into(),
        ttl: SignedDuration::from_mins(5),
    };
    let b = Lease {
        owner: "host-b:2:0".into(),
        ttl: SignedDuration::from_mins(5),
    };
    let item = store.claim(&a, t0, 10).unwrap().pop().unwrap();
    assert_eq!(item.lease_owner.as_deref(), Some("host-a:1:0"));
    assert!(store.claim(&b, t0, 10).unwrap().is_empty(), "leased to a");
    let sent = Recorded::Sent {
        id: item.id,
        detail: "ok".into(),
        message: Some("{\"frozen\":true}".into()),
    };
    assert!(matches!(
        store.record(&b.owner, &sent, t0),
        Err(StoreError::LeaseLost { .. })
    ));
    // a stalls past its lease; b takes the row over and sends it.
    let later = t0.checked_add(SignedDuration::from_mins(6)).unwrap();
    assert_eq!(
        store.next_wakeup().unwrap(),
        Some(ts("2027-03-01T01:05:00Z"))
    );
    let again = store.claim(&b, later, 10).unwrap().pop().unwrap();
    assert_eq!(again.id, item.id);
    assert_eq!(again.attempts, 2);
    assert!(matches!(
        store.record(&a.owner, &sent, later),
        Err(StoreError::LeaseLost { .. })
    ));
    store.record(&b.owner, &sent, later).unwrap();
    let row = store.outbox_item(item.id).unwrap();
    assert_eq!(row.state, OutboxState::Sent);
    assert_eq!(row.message, "{\"frozen\":true}", "what went out is frozen");
    let log = store.deliveries(item.id).unwrap();
    assert!(log[0].detail.contains("lease expired"), "{log:?}");
}

/// Start-up recovery without the exclusive lock leaves live leases alone.
#[test]
fn recovery_takes_only_expired_leases_unless_exclusive() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let t0 = ts("2027-03-01T01:00:00Z");
    let set = plan_of(vec![reminder(
        "a",
        "4.2@x",
        "catering",
        "2027-03-01T01:00:00Z",
    )]);
    store.sync_plan(&set, ts("2027-02-01T00:00:00Z")).unwrap();
    store.claim_due(t0, 1).unwrap();
    assert_eq!(store.recover_in_flight(t0, false).unwrap(), 0);
    assert_eq!(store.recover_in_flight(t0, true).unwrap(), 1);
}

/// Plan rows carry no rendered text (the first version stored ~9,700 rendered messages, 88 MB);
/// the text is rendered when the row is claimed, from the templates in force then.
#[test]
fn reminders_are_rendered_at_send_time() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let now = ts("2026-11-30T01:00:00Z");
    let e = engine(&config, now);
    let mut store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    let first = plan::sync(&mut store, &e.loaded, now, false).unwrap();
    assert!(matches!(first, plan::SyncOutcome::Synced(r) if r.added > 1000));
    let again = plan::sync(&mut store, &e.loaded, now, false).unwrap();
    assert_eq!(
        again,
        plan::SyncOutcome::Unchanged,
        "unchanged inputs: no work"
    );
    let pending = store
        .list_outbox(Some(OutboxState::Pending), 100_000)
        .unwrap();
    assert!(pending.iter().all(|i| i.message.is_empty()));
    let item = store
        .claim_due(now, 1)
        .unwrap()
        .pop()
        .expect("something is due");
    match send::prepare(&e, &item, now) {
        send::Prepared::Send {
            notification,
            frozen,
        } => {
            assert_eq!(notification.id, item.dedupe_key);
            assert!(!notification.subject.is_empty());
            assert!(frozen.unwrap().contains(&notification.subject));
        }
        other => panic!("expected a message, got {other:?}"),
    }
}

fn run_cli(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("DUTYBELL_NOW")
        .output()
        .unwrap()
}

/// On a fresh checkout, before any `run`: every command works (the first version failed with
/// "cannot open database file").
#[test]
fn commands_work_before_the_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let status = run_cli(&config, &["status"]);
    let out = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{status:?}");
    assert!(out.contains("nothing planned yet"), "{out}");
    for args in [
        &["outbox"][..],
        &["progress", "1.1", "--note", "已部署"],
        &["export", "--format", "csv"],
    ] {
        let o = run_cli(&config, args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// `dutybell tasks | head -1` ends quietly (the first version panicked, exit 101).
#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let mut child = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .arg("tasks")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

/// A second daemon on the same SQLite database refuses at start, naming the holder.
#[test]
fn a_second_daemon_on_one_database_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let mut first = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .args(["run", "--now", "2026-11-30T08:00"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = dir.path().join("state/dutybell.db.lock");
    assert!(crate::daemon::wait_for(
        std::time::Duration::from_secs(30),
        || { std::fs::read_to_string(&lock).is_ok_and(|t| t.contains("pid")) }
    ));
    let second = run_cli(&config, &["run", "--now", "2026-11-30T08:00"]);
    let _ = first.kill();
    let _ = first.wait();
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(err.contains("in use by another dutybell process"), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
}

/// `horizon_days` is bounded, with a located error (the first version accepted any number).
#[test]
fn horizon_days_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replacen("  horizon_days: 400\n", "  horizon_days: 5000\n", 1);
    std::fs::write(&config, text).unwrap();
    let o = run_cli(&config, &["check"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("horizon_days 5000 is out of range"), "{err}");
    assert!(err.contains("dutybell.yaml:"), "{err}");
}

/// The plan's zone is resolved once; an unknown one is a config error, never a silent UTC.
#[test]
fn an_unknown_time_zone_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replacen(
        "  timezone: Asia/Shanghai\n",
        "  timezone: Asia/Pingluo\n",
        1,
    );
    std::fs::write(&config, text).unwrap();
    let o = run_cli(&config, &["plan", "--from", "2026-03-01", "--days", "3"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown time zone `Asia/Pingluo`"), "{err}");
    let _ = date(2026, 1, 1);
}

/// `export --format xlsx` without `-o` writes a dated workbook in the current directory (the first
/// version refused although the README showed `-o` as optional).
#[test]
fn xlsx_export_without_output_writes_a_dated_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let o = Command::new(bin())
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["--now", "2026-12-05T10:00", "export", "--format", "xlsx"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let file = dir.path().join("checklist-2026-12-05.xlsx");
    assert!(err.contains("checklist-2026-12-05.xlsx"), "{err}");
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
}

/// `DUTYBELL_STATE_DIR` runs the real config against a throw-away state: the README's demo of the
/// daemon at another instant works on a machine where the daemon already ran.
#[test]
fn the_state_directory_can_be_redirected() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let demo = dir.path().join("demo-state");
    let o = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .args(["progress", "1.1", "--note", "已部署"])
        .env("DUTYBELL_STATE_DIR", &demo)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(demo.join("dutybell.db").exists());
    assert!(!dir.path().join("state/dutybell.db").exists());
}

/// The daemon's periodic jobs: each tick runs once, a tick missed during downtime runs once at
/// the next start (not once per missed week), and the weekly calendar alert names the missing
/// year from 1 November.
#[test]
fn periodic_ticks_run_once_and_catch_up_once() {
    use dutybell::service::ticks::{self, Job};
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    // Monday 2026-11-30 10:00 in Asia/Shanghai; 2027's notice is not in the bundled data.
    let monday = ts("2026-11-30T02:00:00Z");
    let e = engine(&config, monday);
    assert!(
        !e.loaded.calendar.covers_year(2027),
        "test assumes 2027 is missing"
    );
    let mut store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    assert_eq!(
        ticks::latest_due(&e, Job::CalendarWarning, monday),
        Some(ts("2026-11-30T01:00:00Z"))
    );
    let ran = ticks::run_due(&mut store, &e, monday).unwrap();
    assert!(ran.contains(&Job::CalendarWarning) && ran.contains(&Job::PlanRecheck));
    assert!(
        ticks::run_due(&mut store, &e, monday).unwrap().is_empty(),
        "once"
    );
    let alerts = |s: &SqliteStore| {
        s.list_outbox(None, 1000)
            .unwrap()
            .into_iter()
            .filter(|i| i.stage == "calendar-warning")
            .count()
    };
    assert_eq!(alerts(&store), 1);
    let text = store.list_outbox(None, 10).unwrap()[0].message.clone();
    assert!(text.contains("2027年节假日安排尚未导入"), "{text}");
    // Down for three weeks: one catch-up, not three.
    let later = ts("2026-12-22T02:00:00Z");
    let ran = ticks::run_due(&mut store, &e, later).unwrap();
    assert!(ran.contains(&Job::CalendarWarning));
    assert_eq!(alerts(&store), 2);
    assert!(ticks::run_due(&mut store, &e, later).unwrap().is_empty());
    // The loop wakes for the next tick: the 6-hourly re-check at 12:00 local.
    assert_eq!(ticks::next_due(&e, later), Some(ts("2026-12-22T04:00:00Z")));
}

/// The Ningxia overlay applies only where the config chooses it: the bundled config does
/// (`calendar_regions: [ningxia]`), a plan in another province gets the national calendar alone,
/// and an unknown region is a located error.
#[test]
fn regional_overlay_is_chosen_in_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let eid = date(2026, 5, 27); // 古尔邦节, a Wednesday
    let ningxia = dutybell::loader::load(&config, date(2026, 5, 1).into()).unwrap();
    assert!(!ningxia.calendar.is_workday(eid));
    let text = std::fs::read_to_string(&config).unwrap();
    let national = text.replacen("  calendar_regions: [ningxia]\n", "", 1);
    assert_ne!(national, text, "the bundled config chooses the overlay");
    std::fs::write(&config, &national).unwrap();
    let l = dutybell::loader::load(&config, date(2026, 5, 1).into()).unwrap();
    assert!(l.calendar.is_workday(eid), "no Ningxia day off elsewhere");
    std::fs::write(
        &config,
        text.replacen(
            "calendar_regions: [ningxia]",
            "calendar_regions: [ningxai]",
            1,
        ),
    )
    .unwrap();
    let o = run_cli(&config, &["check"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown calendar region `ningxai`"), "{err}");
    assert!(err.contains("did you mean"), "{err}");
}

/// `export -o /dev/null` (or any device) writes into the device; the first version renamed a
/// temp file over it and left a regular file where /dev/null was. Checked on a FIFO we own.
#[test]
fn export_to_a_device_writes_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).unwrap())
    };
    let o = run_cli(
        &config,
        &["export", "--format", "csv", "-o", fifo.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = reader.join().unwrap();
    assert!(!bytes.is_empty());
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(
        std::os::unix::fs::FileTypeExt::is_fifo(&kind),
        "the FIFO must still be a FIFO"
    );
}

/// A first start minutes after a reminder about work already overdue: the reminder was planned
/// pending (it fell due less than `model::JUST_DUE` ago), and the first start's summary lists the
/// same occurrence, so the row is skipped and its recipient reads the item once, in the summary.
/// Reminders due then about work the summary does not list stay pending and go out
/// (`daemon::a_first_start_seconds_after…` sends them). The day is the first working day from
/// 2026-03-02 on which the bundled plan has such a reminder at 09:00.
#[test]
fn a_first_start_just_after_an_overdue_reminder_tells_it_once_in_the_summary() {
    use dutybell::service::backlog::SUMMARISED_AT_START;
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let mut day = date(2026, 3, 2);
    for attempt in 0..60 {
        let now = day
            .at(9, 5, 0, 0)
            .in_tz("Asia/Shanghai")
            .unwrap()
            .timestamp();
        let e = engine(&config, now);
        let mut store = SqliteStore::open(dir.path().join(format!("s{attempt}.db"))).unwrap();
        plan::sync(&mut store, &e.loaded, now, false).unwrap();
        cycle::catch_up(&mut store, &e, now).unwrap();
        let all = store.list_outbox(None, 1_000_000).unwrap();
        // The summary (one row per recipient and channel) that lists `row`'s occurrence.
        let summary_of = |row: &dutybell::store::OutboxItem| {
            all.iter().find(|i| {
                i.stage == "backlog"
                    && i.recipient == row.recipient
                    && i.channel == row.channel
                    && serde_json::from_str::<serde_json::Value>(&i.message).unwrap()["data"]
                        ["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|it| it["occurrence"] == row.occurrence_key.as_str())
            })
        };
        let recent: Vec<_> = all
            .iter()
            .filter(|i| {
                i.stage != "backlog"
                    && i.fire_at < now
                    && now.duration_since(i.fire_at) < SignedDuration::from_mins(15)
            })
            .collect();
        let (told, rest): (Vec<_>, Vec<_>) =
            recent.into_iter().partition(|r| summary_of(r).is_some());
        if told.is_empty() {
            day = day.tomorrow().unwrap();
            continue;
        }
        for row in told {
            assert_eq!(
                (row.state, row.last_error.as_deref()),
                (OutboxState::Skipped, Some(SUMMARISED_AT_START)),
                "{} would be told twice",
                row.dedupe_key
            );
        }
        for row in rest {
            assert_eq!(row.state, OutboxState::Pending, "{}", row.dedupe_key);
        }
        return;
    }
    panic!("no working day with an overdue reminder at 09:00 in 60 days from 2026-03-02");
}
