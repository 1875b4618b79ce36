//! Wake-up hints on PostgreSQL (LISTEN/NOTIFY): a row enqueued by another process is claimed at
//! once by a running replica whose loop would otherwise sleep for an hour, and after the
//! listener's connection is cut (`pg_terminate_backend`) the replica reconnects and is woken
//! again. The replica runs `daemon::run` in this process on a frozen manual clock with a
//! one-hour heartbeat: nothing but a hint can wake it within the test's bounds, so "claimed at
//! all" is the measurement, not a timing.
//!
//! May touch: a temp dir, a fresh `dutybell_t_*` database, the test server's `pg_stat_activity`.

use std::sync::Arc;
use std::time::Duration;

use dutybell::clock::{Clock, ManualClock, SharedClock};
use dutybell::daemon::{self, Controls, Engine, Pace, RunOptions, StoreSource};
use dutybell::notify::{Colour, MessageKind, Notification, Recipients};
use dutybell::store::postgres::admin;
use dutybell::store::{NewReminder, OutboxState, Store, StoreUrl};
use jiff::{SignedDuration, Timestamp};
use tokio::sync::{Notify, watch};
use tracing::instrument::WithSubscriber;

use crate::daemon::{Site, wait_for};
use crate::pg;

/// The replica loop's debug log, one line per event (the loop logs `waiting` each time it goes
/// to sleep and `woken by a wake-up hint` when a hint ends the sleep).
#[derive(Clone, Default)]
struct Log(Arc<std::sync::Mutex<Vec<String>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut lines = self.0.lock().unwrap();
        lines.push(String::from_utf8_lossy(buf).into_owned());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    /// The loop is asleep: its last event is going to sleep.
    fn asleep(&self) -> bool {
        self.lines().last().is_some_and(|l| l.contains("waiting"))
    }
    /// Hint wake-ups logged after line `from`.
    fn hint_wakes_since(&self, from: usize) -> usize {
        self.lines()[from..]
            .iter()
            .filter(|l| l.contains("woken by a wake-up hint"))
            .count()
    }
}

/// A due row carrying its own message (as an operator alert does), for the file channel.
fn alert(key: &str, at: Timestamp) -> NewReminder {
    let n = Notification {
        id: key.into(),
        thread: key.into(),
        kind: MessageKind::OperatorAlert,
        colour: Colour::Blue,
        subject: "唤醒测试".into(),
        text: "唤醒测试".into(),
        html: None,
        markdown: "唤醒测试".into(),
        recipients: Recipients::default(),
        data: serde_json::json!({}),
        attempt_at: at.as_second(),
    };
    NewReminder {
        dedupe_key: key.into(),
        occurrence_key: String::new(),
        task_id: String::new(),
        stage: "alert".into(),
        kind: MessageKind::OperatorAlert,
        recipient: "operator".into(),
        channel: "file".into(),
        fire_at: at,
        message: Some(serde_json::to_string(&n).unwrap()),
    }
}

fn state(s: &dyn Store, key: &str) -> Option<OutboxState> {
    s.list_outbox(None, 10_000)
        .unwrap()
        .into_iter()
        .find(|i| i.dedupe_key == key)
        .map(|i| i.state)
}

/// Nothing due now, nothing in flight: the replica's loop is asleep until its next reason.
fn settled(s: &dyn Store, now: Timestamp) -> bool {
    let rows = s.list_outbox(None, 10_000).unwrap();
    !rows.is_empty()
        && rows.iter().all(|r| {
            r.state != OutboxState::Sending
                && !(matches!(r.state, OutboxState::Pending | OutboxState::Retry)
                    && r.next_attempt_at <= now)
        })
}

#[test]
fn a_row_enqueued_by_another_process_is_claimed_at_once_and_after_a_cut_connection() {
    let Some(db) = pg::temp_db("pg_notify") else {
        return;
    };
    let site = Site::new(2, 1);
    let cfg = std::fs::read_to_string(site.config()).unwrap().replace(
        "  state_dir: state\n",
        &format!(
            "  state_dir: {}\n  store: {}\n",
            site.dir.path().join("state").display(),
            db.url.display()
        ),
    );
    std::fs::write(site.config(), cfg).unwrap();
    let t0: Timestamp = "2027-02-01T08:00:00+08:00".parse().unwrap();
    let clock = ManualClock::new(t0);
    let shared: SharedClock = Arc::new(clock.clone());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let engine = Engine::load(&site.config(), &shared).unwrap();
    let mut opts = RunOptions::new(site.config());
    // The loop's own reasons to wake are all an hour or more away on real time.
    opts.beat_every = SignedDuration::from_hours(1);
    opts.lease_ttl = SignedDuration::from_hours(2);
    let (stop, shutdown) = watch::channel(false);
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("dutybell::daemon=debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let replica = rt.spawn(
        daemon::run(
            opts,
            engine,
            shared,
            Controls {
                shutdown,
                reload: Arc::new(Notify::new()),
            },
            StoreSource::Configured,
            Pace::Real,
        )
        .with_subscriber(subscriber),
    );

    let mut other = dutybell::store::open(&StoreUrl::Postgres(db.url.clone())).unwrap();
    let listeners = || {
        admin::scalar(
            &db.url,
            &format!(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = '{}' AND query ILIKE 'LISTEN%'",
                db.url.dbname
            ),
        )
        .unwrap()
    };
    let asleep = |s: &dyn Store| {
        s.replicas().unwrap().len() == 1 && settled(s, t0) && listeners() == 1 && log.asleep()
    };
    assert!(
        wait_for(Duration::from_secs(60), || asleep(&*other)),
        "the replica did not plan and fall asleep"
    );
    let next = other.next_wakeup().unwrap().expect("planned rows");
    assert!(
        next > t0 + SignedDuration::from_hours(24 * 7),
        "nothing is due for weeks: {next}"
    );

    let mark = log.lines().len();
    other.enqueue(&alert("hint-1", t0), t0).unwrap();
    assert!(
        wait_for(Duration::from_secs(30), || state(&*other, "hint-1")
            == Some(OutboxState::Sent)),
        "the hint did not wake the replica: {:?}",
        state(&*other, "hint-1")
    );
    assert!(
        log.hint_wakes_since(mark) >= 1,
        "{:#?}",
        &log.lines()[mark..]
    );

    // Cut the replica's LISTEN connection: it reconnects (after a 1 s pause), and the next
    // enqueue wakes it again.
    let cut = || {
        admin::execute(
            &db.url,
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = '{}' AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()",
                db.url.dbname
            ),
        )
        .unwrap();
    };
    assert_eq!(listeners(), 1);
    cut();
    assert!(
        wait_for(Duration::from_secs(30), || asleep(&*other)),
        "the listener did not reconnect"
    );
    let mark = log.lines().len();
    other.enqueue(&alert("hint-2", t0), t0).unwrap();
    assert!(
        wait_for(Duration::from_secs(30), || state(&*other, "hint-2")
            == Some(OutboxState::Sent)),
        "no wake after the reconnect: {:?}",
        state(&*other, "hint-2")
    );
    assert!(
        log.hint_wakes_since(mark) >= 1,
        "{:#?}",
        &log.lines()[mark..]
    );
    assert_eq!(clock.now(), t0, "the manual clock never moved");

    stop.send(true).unwrap();
    rt.block_on(replica).unwrap().unwrap();
}
