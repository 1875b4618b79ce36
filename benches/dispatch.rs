//! File-channel dispatch throughput: a real [`Dispatcher`] over a [`FileChannel`] delivering
//! rows claimed from a real [`Store`] (synced from a plan whose messages are real
//! [`Notification`] snapshots), sequentially and with everything in flight at once (the file
//! channel allows 8 concurrent writes), plus the daemon's full per-row cycle
//! claim → deliver → `record_sent`.
//!
//! The file channel writes each message to a temporary file, `fsync`s it, renames it and
//! `fsync`s the directory: two syncs per message, so these figures measure the disk (here ext4 on
//! a virtual disk), not the CPU. Run the temp dir on tmpfs and they would mean nothing.
//!
//! Touches: temporary directories under `$TMPDIR` (one fresh output directory per iteration).
//! Run: `cargo bench --bench dispatch -- --sample-size 10`. `DUTYBELL_BENCH_SMALL=1` divides
//! the row count by 10.

use dutybell::store::sqlite::SqliteStore;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use dutybell::clock::{ManualClock, SharedClock};
use dutybell::dispatch::retry::RetryPolicy;
use dutybell::dispatch::{Dispatcher, Outcome};
use dutybell::notify::file::FileChannel;
use dutybell::notify::{Channel, Colour, Mailbox, MessageKind, Notification, Recipients};
use dutybell::store::{NewOccurrence, NewReminder, OutboxItem, PlanSet, Store, StoreExt};
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};

/// Rows delivered per measured iteration.
fn rows() -> usize {
    if std::env::var_os("DUTYBELL_BENCH_SMALL").is_some() {
        20
    } else {
        200
    }
}

fn start() -> Timestamp {
    "2027-01-01T00:00:00Z".parse().unwrap()
}

/// A realistic notification (~1 KB of zh-CN text, HTML and markdown) for reminder `i`.
fn note(i: usize) -> Notification {
    let text = "食品室：\n请于2027年3月28日前报送“校园食品安全”工作进展。\n督办提醒".repeat(4);
    Notification {
        id: format!("{i}|{i}@2027-Q1|due|food|file"),
        thread: format!("{i}@2027-Q1"),
        kind: MessageKind::DueToday,
        colour: Colour::Yellow,
        subject: "【督办】食品安全专项整治：今日到期".to_owned(),
        html: Some(format!("<p>{}</p>", text.replace('\n', "<br>"))),
        markdown: text.clone(),
        text,
        recipients: Recipients {
            to: vec![Mailbox {
                name: Some("食品室".into()),
                email: "food@example.org".into(),
            }],
            cc: vec![],
            mobiles: vec!["13800000001".into()],
            reply_to: None,
        },
        data: serde_json::json!({ "task": i.to_string(), "stage": "due" }),
        attempt_at: 0,
    }
}

/// `n` reminders on channel `file`, one per task, all due within the first hour of [`start`].
fn plan(n: usize) -> PlanSet {
    let mut occurrences = Vec::with_capacity(n);
    let mut reminders = Vec::with_capacity(n);
    for i in 0..n {
        let key = format!("{i}@2027-Q1");
        occurrences.push(NewOccurrence {
            key: key.clone(),
            task_id: i.to_string(),
            rule_index: 0,
            period_label: "2027年第1季度".into(),
            window_start: date(2027, 1, 1),
            window_end: date(2027, 3, 28),
            due_date: Some(date(2027, 3, 28)),
            colour: Colour::Yellow,
        });
        let n = note(i);
        reminders.push(NewReminder {
            dedupe_key: n.id.clone(),
            occurrence_key: key,
            task_id: i.to_string(),
            stage: "due".into(),
            kind: MessageKind::DueToday,
            recipient: "food".into(),
            channel: "file".into(),
            fire_at: start() + SignedDuration::from_secs(60 + i as i64),
            message: Some(serde_json::to_string(&n).unwrap()),
        });
    }
    PlanSet {
        version_hash: format!("dispatch-bench-{n}"),
        horizon_start: None,
        horizon_end: "2028-01-01T00:00:00Z".parse().unwrap(),
        occurrences,
        reminders,
    }
}

/// A store in `dir` with the plan synced (nothing claimed yet).
fn synced_store(dir: &Path, n: usize) -> SqliteStore {
    let path = dir.join(format!("d{}.db", fastrand::u64(..)));
    let mut store = SqliteStore::open(path).unwrap();
    store
        .sync_plan(&plan(n), start() - SignedDuration::from_hours(1))
        .unwrap();
    store
}

fn due_time() -> Timestamp {
    start() + SignedDuration::from_hours(2)
}

/// A dispatcher writing into a fresh directory under `root` (fresh, so no `.dupN` probing).
fn dispatcher(root: &Path) -> Arc<Dispatcher> {
    let out = root.join(format!("out{}", fastrand::u64(..)));
    let channel: Arc<dyn Channel> = Arc::new(FileChannel::new("file", out));
    let clock: SharedClock = Arc::new(ManualClock::new(due_time()));
    Arc::new(Dispatcher::new(
        [channel],
        "file",
        RetryPolicy::default(),
        clock,
    ))
}

fn assert_sent(o: &Outcome) {
    assert!(matches!(o, Outcome::Sent(_)), "file send failed: {o:?}");
}

fn deliver_only(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let n = rows();
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<OutboxItem> = synced_store(dir.path(), n)
        .claim_due(due_time(), n)
        .unwrap();
    assert_eq!(items.len(), n);
    let items = Arc::new(items);
    let mut g = c.benchmark_group("file_dispatch");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("sequential_{n}"), |b| {
        b.iter_batched(
            || dispatcher(dir.path()),
            |d| {
                rt.block_on(async {
                    for item in items.iter() {
                        assert_sent(
                            &d.deliver(black_box(item), item.notification().unwrap())
                                .await,
                        );
                    }
                })
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function(format!("all_in_flight_{n}"), |b| {
        b.iter_batched(
            || dispatcher(dir.path()),
            |d| {
                rt.block_on(async {
                    let mut set = tokio::task::JoinSet::new();
                    for i in 0..items.len() {
                        let (d, items) = (d.clone(), items.clone());
                        set.spawn(async move {
                            let n = items[i].notification().unwrap();
                            d.deliver(&items[i], n).await
                        });
                    }
                    while let Some(o) = set.join_next().await {
                        assert_sent(&o.unwrap());
                    }
                })
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// What the daemon does per row, without its loop: claim a batch, deliver, record each outcome.
fn claim_deliver_record(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let n = rows();
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("file_dispatch");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("claim_deliver_record_{n}_batches_of_16"), |b| {
        b.iter_batched(
            || (synced_store(dir.path(), n), dispatcher(dir.path())),
            |(mut store, d)| {
                rt.block_on(async {
                    loop {
                        let batch = store.claim_due(due_time(), 16).unwrap();
                        if batch.is_empty() {
                            break;
                        }
                        for item in batch {
                            let n = item.notification().unwrap();
                            match d.deliver(&item, n).await {
                                Outcome::Sent(detail) => {
                                    store.record_sent(item.id, due_time(), &detail).unwrap()
                                }
                                other => panic!("file send failed: {other:?}"),
                            }
                        }
                    }
                })
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    deliver_only(c, &rt);
    claim_deliver_record(c, &rt);
}

criterion_group!(dispatch, benches);
criterion_main!(dispatch);
