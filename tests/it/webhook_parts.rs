//! Partial chat sends (issue 12): a long grouped message goes to WeCom in numbered parts; when
//! part 2 fails once, the retry sends part 2 and the rest, not part 1 again. Through the real
//! HTTP sink on 127.0.0.1, the real dispatcher and its retry policy, and the outbox of both
//! store backends (SQLite; PostgreSQL when it answers), which carry the record of the parts sent
//! in the row's last error from one attempt to the next.
//!
//! May touch: the loopback HTTP server, temporary directories, PostgreSQL test databases.

use std::sync::Arc;
use std::time::Duration;

use dutybell::clock::{ManualClock, SharedClock};
use dutybell::dispatch::retry::RetryPolicy;
use dutybell::dispatch::{Dispatcher, Outcome};
use dutybell::notify::webhook::{Flavour, HttpTimeouts, WebhookChannel, WebhookTarget};
use dutybell::notify::{Channel, MessageKind};
use dutybell::store::{DeliveryOutcome, Lease, NewReminder, Recorded, Store};
use jiff::{SignedDuration, Timestamp};

use crate::webhook::server::{Scenario, Server};

const T0: &str = "2026-06-01T01:00:00Z";

/// The `（k/n）` of a WeCom markdown part's title line, or `mention` for the text message that
/// @-mentions the heads after the parts.
fn part_of(hit: &crate::webhook::server::Hit) -> String {
    let v = hit.json();
    if v["msgtype"] == "text" {
        return "mention".into();
    }
    let content = v["markdown"]["content"].as_str().unwrap_or_default();
    let title = content.lines().next().unwrap_or_default();
    let open = title.rfind('（').expect("a numbered part");
    title[open..].to_owned()
}

/// Claims the one row at `now`, delivers it, records the outcome; returns the outcome. The store
/// is used outside the runtime (the PostgreSQL adapter runs its own).
fn attempt(
    rt: &tokio::runtime::Runtime,
    store: &mut dyn Store,
    d: &Dispatcher,
    clock: &ManualClock,
    now: Timestamp,
) -> Outcome {
    clock.set(now);
    let lease = Lease {
        owner: "test".into(),
        ttl: SignedDuration::from_mins(5),
    };
    let item = store
        .claim(&lease, now, 10)
        .unwrap()
        .pop()
        .expect("the row is due");
    let outcome = rt.block_on(d.deliver(&item, item.notification().unwrap()));
    let recorded = match &outcome {
        Outcome::Sent(detail) => Recorded::Sent {
            id: item.id,
            detail: detail.clone(),
            message: None,
        },
        Outcome::Retry { at, error } => Recorded::Retry {
            id: item.id,
            next_at: *at,
            error: error.clone(),
        },
        Outcome::Dead(error) => Recorded::Dead {
            id: item.id,
            error: error.clone(),
        },
        Outcome::Deferred { at, reason } => Recorded::Deferred {
            id: item.id,
            next_at: *at,
            reason: reason.clone(),
        },
    };
    store.record("test", &recorded, now).unwrap();
    outcome
}

fn part_two_fails_once(store: &mut dyn Store) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The server keeps answering on the runtime's workers between the attempts.
    let server = rt.block_on(Server::start());
    let ok = Scenario::fixture("wecom_ok.json");
    let busy = Scenario::fixture("wecom_busy.json");
    // Request 1 (part 1) ok, request 2 (part 2) busy, every later one ok.
    let base = server.on_seq("wecom", vec![ok.clone(), busy, ok]);
    let mut target = WebhookTarget::new(
        "wecom-food",
        Flavour::Wecom {
            key: "wecom-key-parts".into(),
        },
    );
    target.base_url = Some(base);
    target.jitter_max = Duration::ZERO;
    let client = dutybell::notify::webhook::http_client_with(HttpTimeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_secs(5),
    });
    let channel: Arc<dyn Channel> = Arc::new(WebhookChannel::new(target, client).unwrap());
    let t0: Timestamp = T0.parse().unwrap();
    let clock = ManualClock::new(t0);
    let shared: SharedClock = Arc::new(clock.clone());
    let d = Dispatcher::new(vec![channel], "wecom-food", RetryPolicy::default(), shared);
    let n = crate::render_golden::long_group(40);
    let row = NewReminder {
        dedupe_key: n.id.clone(),
        occurrence_key: "group@test".into(),
        task_id: "-".into(),
        stage: "group".into(),
        kind: MessageKind::Overdue,
        recipient: "food".into(),
        channel: "wecom-food".into(),
        fire_at: t0,
        message: Some(serde_json::to_string(&n).unwrap()),
    };
    assert!(store.enqueue(&row, t0).unwrap());

    let first = attempt(&rt, store, &d, &clock, t0);
    let Outcome::Retry { at, error } = first else {
        panic!("part 2 failed, so the message is retried: {first:?}");
    };
    assert!(error.contains("(part 2/"), "{error}");
    assert!(error.contains("[sent parts: 1/"), "{error}");
    let parts_total: usize = {
        let hits = server.hits("wecom");
        let p = part_of(&hits[0]);
        p.trim_matches(['（', '）'])
            .split_once('/')
            .unwrap()
            .1
            .parse()
            .unwrap()
    };
    assert!(parts_total >= 3, "{parts_total} parts");
    assert_eq!(server.hits("wecom").len(), 2);

    let second = attempt(&rt, store, &d, &clock, at);
    let Outcome::Sent(detail) = second else {
        panic!("the retry goes through: {second:?}");
    };
    // The parts and the mention that follows them: one request each.
    let requests = parts_total + 1;
    assert!(
        detail.starts_with(&format!("{requests} parts: sent earlier; ")),
        "{detail}"
    );

    // Part 1 reached the group once; part 2 twice (the failed try and the retry); the rest once.
    let hits = server.hits("wecom");
    assert_eq!(hits.len(), requests + 1);
    let got: Vec<String> = hits.iter().map(part_of).collect();
    let mut want = vec![
        format!("（1/{parts_total}）"),
        format!("（2/{parts_total}）"),
    ];
    want.extend((2..=parts_total).map(|k| format!("（{k}/{parts_total}）")));
    want.push("mention".into());
    assert_eq!(got, want);
    // The store kept the record between the attempts, as the delivery history shows.
    let item = store.list_outbox(None, 10).unwrap().pop().unwrap();
    let history = store.deliveries(item.id).unwrap();
    assert_eq!(
        history.iter().map(|h| h.outcome).collect::<Vec<_>>(),
        [DeliveryOutcome::Retry, DeliveryOutcome::Sent]
    );
    assert!(
        history[0].detail.contains("[sent parts: 1/"),
        "{:?}",
        history[0]
    );
}

#[test]
fn a_failed_second_part_is_retried_without_the_first_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        dutybell::store::sqlite::SqliteStore::open(dir.path().join("dutybell.db")).unwrap();
    part_two_fails_once(&mut store);
}

#[test]
fn a_failed_second_part_is_retried_without_the_first_on_postgres() {
    let Some(db) = crate::pg::temp_db("webhook_parts") else {
        return;
    };
    let mut store = dutybell::store::postgres::PgStore::open(&db.url).unwrap();
    part_two_fails_once(&mut store);
    drop(store);
    drop(db);
}
