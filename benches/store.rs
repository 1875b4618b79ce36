//! Store benchmarks: a year's sync for 10,000 tasks (~120k outbox rows), a re-sync of the same
//! plan, claim/record throughput, and `Store::open` on a database with 1,000,000 outbox rows.
//!
//! May touch: temporary directories, and `$DUTYBELL_BENCH_KEEP_DB` when set (see [`big_db`]).
//! Set `DUTYBELL_BENCH_SMALL=1` to divide every size by 100 (a quick smoke run, e.g. under
//! `cargo test --benches`).
//! Run: `cargo bench --bench store` (sync and open take ~10 samples; building the 1M-row
//! database once takes about a minute).

use dutybell::store::sqlite::SqliteStore;
use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dutybell::notify::{Colour, MessageKind};
use dutybell::store::{NewOccurrence, NewReminder, PlanSet, Store, StoreExt};
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};

/// Divides sizes for smoke runs.
fn size(n: usize) -> usize {
    if std::env::var_os("DUTYBELL_BENCH_SMALL").is_some() {
        (n / 100).max(1)
    } else {
        n
    }
}

fn start() -> Timestamp {
    "2027-01-01T00:00:00Z".parse().unwrap()
}

/// `tasks` tasks × 4 quarters × 3 stages, spread over 2027, all in the future of [`start`].
fn year_plan(tasks: usize) -> PlanSet {
    let message = format!(
        r#"{{"subject":"【督办提醒】任务","text":"{}","markdown":"请按时完成。"}}"#,
        "请按计划推进并及时报送进展。".repeat(20)
    );
    let mut occurrences = Vec::with_capacity(tasks * 4);
    let mut reminders = Vec::with_capacity(tasks * 12);
    for task in 0..tasks {
        let task_id = format!("{}.{}", task / 100, task % 100);
        for q in 0..4i8 {
            let key = format!("{task_id}@2027-Q{}", q + 1);
            occurrences.push(NewOccurrence {
                key: key.clone(),
                task_id: task_id.clone(),
                rule_index: 0,
                period_label: format!("2027年第{}季度", q + 1),
                window_start: date(2027, q * 3 + 1, 1),
                window_end: date(2027, q * 3 + 3, 28),
                due_date: Some(date(2027, q * 3 + 3, 28)),
                colour: Colour::Blue,
            });
            for (s, stage) in ["lead-7d", "due", "overdue-1"].iter().enumerate() {
                let day = i64::from(q) * 91 + 60 + s as i64 * 7;
                let minute = (task % 480) as i64;
                let offset =
                    SignedDuration::from_hours(day * 24) + SignedDuration::from_mins(minute);
                reminders.push(NewReminder {
                    dedupe_key: format!("{task_id}|{key}|{stage}|unit|smtp"),
                    occurrence_key: key.clone(),
                    task_id: task_id.clone(),
                    stage: (*stage).into(),
                    kind: MessageKind::Lead,
                    recipient: "unit".into(),
                    channel: "smtp".into(),
                    fire_at: start() + offset,
                    message: Some(message.clone()),
                });
            }
        }
    }
    PlanSet {
        version_hash: format!("bench-{tasks}"),
        horizon_start: None,
        horizon_end: "2028-01-01T00:00:00Z".parse().unwrap(),
        occurrences,
        reminders,
    }
}

fn fresh(dir: &Path) -> SqliteStore {
    let path = dir.join(format!("s{}.db", fastrand::u64(..)));
    SqliteStore::open(path).unwrap()
}

fn sync(c: &mut Criterion) {
    let plan = year_plan(size(10_000));
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("sync");
    group.sample_size(10);
    group.bench_function("year_10k_tasks_fresh", |b| {
        b.iter_batched(
            || fresh(dir.path()),
            |mut store| black_box(store.sync_plan(&plan, start()).unwrap()),
            BatchSize::PerIteration,
        )
    });
    let mut synced = fresh(dir.path());
    synced.sync_plan(&plan, start()).unwrap();
    group.bench_function("year_10k_tasks_unchanged", |b| {
        b.iter(|| black_box(synced.sync_plan(&plan, start()).unwrap()))
    });
    group.finish();
}

fn claim_record(c: &mut Criterion) {
    let plan = year_plan(size(1_000));
    let dir = tempfile::tempdir().unwrap();
    let end: Timestamp = "2028-01-01T00:00:00Z".parse().unwrap();
    let mut group = c.benchmark_group("dispatch");
    group.sample_size(10);
    group.bench_function("claim_and_record_12k_rows_in_batches_of_100", |b| {
        b.iter_batched(
            || {
                let mut store = fresh(dir.path());
                store.sync_plan(&plan, start()).unwrap();
                store
            },
            |mut store| loop {
                let batch = store.claim_due(end, 100).unwrap();
                if batch.is_empty() {
                    break;
                }
                for item in batch {
                    store.record_sent(item.id, end, "250 ok").unwrap();
                }
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Where the 1,000,000-row database is built: `$DUTYBELL_BENCH_KEEP_DB/dutybell.db` when that is
/// set (kept after the run, so `benches/status_big.sh` can time `dutybell status` against it; an
/// existing file there is reused), else a temporary directory.
fn big_db() -> (Option<tempfile::TempDir>, std::path::PathBuf) {
    let (tmp, dir) = match std::env::var_os("DUTYBELL_BENCH_KEEP_DB") {
        Some(d) => (None, std::path::PathBuf::from(d)),
        None => {
            let t = tempfile::tempdir().unwrap();
            let d = t.path().to_path_buf();
            (Some(t), d)
        }
    };
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dutybell.db");
    if !path.exists() {
        // ~1,000,000 outbox rows (83,334 tasks × 12), built once.
        let built = std::time::Instant::now();
        SqliteStore::open(&path)
            .unwrap()
            .sync_plan(&year_plan(size(83_334)), start())
            .unwrap();
        eprintln!("built {} in {:?}", path.display(), built.elapsed());
    }
    (tmp, path)
}

fn open_big(c: &mut Criterion) {
    let (_tmp, path) = big_db();
    let mut group = c.benchmark_group("open");
    group.sample_size(20);
    group.bench_function("open_1m_outbox_rows", |b| {
        b.iter(|| {
            let store = SqliteStore::open(&path).unwrap();
            black_box(store.next_wakeup().unwrap())
        })
    });
    // What `dutybell status` does after opening: counts by state (a full scan), due now, the
    // next pending rows, recent failures and dead rows.
    let store = SqliteStore::open(&path).unwrap();
    group.bench_function("status_1m_outbox_rows", |b| {
        b.iter(|| black_box(store.status(start()).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, sync, claim_record, open_big);
criterion_main!(benches);
