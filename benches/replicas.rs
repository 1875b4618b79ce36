//! Issue 16's figures: dispatch throughput with 1 and 3 replicas on PostgreSQL beside 1 process on
//! SQLite, claim latency, and the planner sync of 10,000 tasks on each backend.
//!
//! Dispatch: N rows due at once on a generic webhook channel pointing at an in-process counting
//! sink on 127.0.0.1. Each replica is a thread with its OWN store connection (as separate
//! processes would have) running the daemon's per-row cycle: `claim` (16 rows, a 5-minute lease)
//! → send the 16 concurrently through the real `WebhookChannel` → record the 16 outcomes under
//! the lease in one transaction (`Store::record_many`, the daemon's group commit: one durable
//! commit per batch).
//! A row counts only once its outcome is recorded. The run checks that every row is `sent`
//! exactly once and the sink saw N posts. Claim latency is each `claim` call's wall time.
//!
//! Sync: `sync_plan` of 10,000 tasks × 4 quarters × 3 stages (40,000 occurrences, 120,000 rows,
//! as `benches/store.rs`) into an empty database, then again unchanged.
//!
//! Touches: a temp dir, loopback TCP, and on PostgreSQL (DATABASE_URL, else
//! postgres://postgres@127.0.0.1:5432/test) databases `dutybell_bench_*`, dropped at the end.
//! Usage: `replicas [N]` (default 5,000 rows; `replicas 200` is the smoke size). Prints one line
//! per figure. PostgreSQL unreachable: its lines say so and the SQLite ones still print.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dutybell::notify::webhook::{Flavour, WebhookChannel, WebhookTarget, http_client};
use dutybell::notify::{Channel, Colour, MessageKind, Notification, Recipients};
use dutybell::store::postgres::admin;
use dutybell::store::{
    Lease, NewOccurrence, NewReminder, OutboxState, PgUrl, PlanSet, Recorded, StoreUrl,
};
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};

fn start() -> Timestamp {
    "2027-01-01T00:00:00Z".parse().unwrap()
}

fn note(i: usize) -> Notification {
    let text = "食品室：\n请于2027年3月28日前报送“校园食品安全”工作进展。\n督办提醒".repeat(4);
    Notification {
        id: format!("{i}|{i}@2027-Q1|due|food|hook"),
        thread: format!("{i}@2027-Q1"),
        kind: MessageKind::DueToday,
        colour: Colour::Yellow,
        subject: "【督办】食品安全专项整治：今日到期".to_owned(),
        html: None,
        markdown: text.clone(),
        text,
        recipients: Recipients::default(),
        data: serde_json::json!({ "task": i.to_string() }),
        attempt_at: 1_798_761_600,
    }
}

fn occurrence(key: &str, task: &str) -> NewOccurrence {
    NewOccurrence {
        key: key.into(),
        task_id: task.into(),
        rule_index: 0,
        period_label: "2027年第1季度".into(),
        window_start: date(2027, 1, 1),
        window_end: date(2027, 3, 28),
        due_date: Some(date(2027, 3, 28)),
        colour: Colour::Yellow,
    }
}

/// `n` rows on channel `hook`, all due at [`start`] + 1 min, each with its message frozen.
fn dispatch_plan(n: usize) -> PlanSet {
    let mut occurrences = Vec::with_capacity(n);
    let mut reminders = Vec::with_capacity(n);
    for i in 0..n {
        let key = format!("{i}@2027-Q1");
        occurrences.push(occurrence(&key, &i.to_string()));
        let m = note(i);
        reminders.push(NewReminder {
            dedupe_key: m.id.clone(),
            occurrence_key: key,
            task_id: i.to_string(),
            stage: "due".into(),
            kind: MessageKind::DueToday,
            recipient: "food".into(),
            channel: "hook".into(),
            fire_at: start() + SignedDuration::from_mins(1),
            message: Some(serde_json::to_string(&m).unwrap()),
        });
    }
    PlanSet {
        version_hash: format!("replicas-bench-{n}"),
        horizon_start: None,
        horizon_end: "2028-01-01T00:00:00Z".parse().unwrap(),
        occurrences,
        reminders,
    }
}

/// 10,000 tasks × 4 quarters × 3 stages, messages rendered at send time (none stored).
fn year_plan(tasks: usize) -> PlanSet {
    let mut occurrences = Vec::new();
    let mut reminders = Vec::new();
    for t in 0..tasks {
        for q in 0..4i64 {
            let key = format!("{t}@2027-Q{}", q + 1);
            occurrences.push(occurrence(&key, &t.to_string()));
            for (s, stage) in ["before", "due", "overdue"].iter().enumerate() {
                reminders.push(NewReminder {
                    dedupe_key: format!("{key}|{stage}|food|hook"),
                    occurrence_key: key.clone(),
                    task_id: t.to_string(),
                    stage: (*stage).into(),
                    kind: MessageKind::DueToday,
                    recipient: "food".into(),
                    channel: "hook".into(),
                    fire_at: start()
                        + SignedDuration::from_hours(24 * (91 * q + 7 * s as i64 + 30)),
                    message: None,
                });
            }
        }
    }
    PlanSet {
        version_hash: format!("year-{tasks}"),
        horizon_start: None,
        horizon_end: "2028-06-01T00:00:00Z".parse().unwrap(),
        occurrences,
        reminders,
    }
}

/// The counting sink; returns its port and the counter.
fn sink(rt: &tokio::runtime::Runtime) -> (u16, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let app = axum::Router::new().fallback(move || {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::Relaxed);
            axum::http::StatusCode::NO_CONTENT
        }
    });
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, count)
}

/// One replica: claim up to `claim` rows, send them 16 at a time, record the outcomes of every
/// 64 finished sends in one commit (the daemon's group commit), until nothing is due. Returns
/// its claim latencies.
fn replica(url: StoreUrl, port: u16, owner: String, claim: usize) -> Vec<Duration> {
    let mut store = dutybell::store::open(&url).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let flavour = Flavour::Generic {
        url: format!("http://127.0.0.1:{port}/hook").into(),
        secret: None,
    };
    let ch =
        Arc::new(WebhookChannel::new(WebhookTarget::new("hook", flavour), http_client()).unwrap());
    let lease = Lease {
        owner: owner.clone(),
        ttl: SignedDuration::from_mins(5),
    };
    let now = start() + SignedDuration::from_mins(2);
    let mut claims = Vec::new();
    loop {
        let t = Instant::now();
        let batch = store.claim(&lease, now, claim).unwrap();
        claims.push(t.elapsed());
        if batch.is_empty() {
            return claims;
        }
        let store = &mut store;
        let owner = &owner;
        rt.block_on(async {
            let slots = Arc::new(tokio::sync::Semaphore::new(16));
            let mut set = tokio::task::JoinSet::new();
            for item in batch {
                let (ch, slots) = (ch.clone(), slots.clone());
                set.spawn(async move {
                    let _slot = slots.acquire_owned().await.expect("semaphore");
                    let n = item.notification().unwrap();
                    (item.id, ch.send(&n).await.expect("send"))
                });
            }
            let mut done: Vec<Recorded> = Vec::new();
            loop {
                let next = set.join_next().await;
                if let Some(r) = &next {
                    let (id, receipt) = r.as_ref().unwrap();
                    done.push(Recorded::Sent {
                        id: *id,
                        detail: receipt.detail.clone(),
                        message: None,
                    });
                }
                // The daemon's group commit: finished sends' outcomes in one transaction.
                if done.len() >= 64 || (next.is_none() && !done.is_empty()) {
                    let lost = store
                        .record_many(owner, &done.iter().collect::<Vec<_>>(), now)
                        .unwrap();
                    assert!(lost.is_empty());
                    done.clear();
                }
                if next.is_none() {
                    break;
                }
            }
        });
    }
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort_unstable();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

fn dispatch(
    label: &str,
    url: &StoreUrl,
    n: usize,
    (replicas, claim): (usize, usize),
    rt: &tokio::runtime::Runtime,
) {
    let mut s = dutybell::store::open(url).unwrap();
    s.sync_plan(&dispatch_plan(n), start()).unwrap();
    drop(s);
    let (port, count) = sink(rt);
    let t0 = Instant::now();
    let workers: Vec<_> = (0..replicas)
        .map(|r| {
            let url = url.clone();
            std::thread::spawn(move || replica(url, port, format!("bench:{r}"), claim))
        })
        .collect();
    let mut claims: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let wall = t0.elapsed().as_secs_f64();
    let s = dutybell::store::open(url).unwrap();
    let sent = s.status(start()).unwrap().count(OutboxState::Sent);
    assert_eq!(sent as usize, n, "every row recorded sent");
    assert_eq!(
        count.load(Ordering::Relaxed) as usize,
        n,
        "the sink saw every row once"
    );
    println!(
        "dispatch backend={label} replicas={replicas} claim={claim} rows={n} wall_s={wall:.3} msg_per_s={:.0} \
         claims={} claim_p50_ms={:.2} claim_p99_ms={:.2}",
        n as f64 / wall,
        claims.len(),
        pct(&mut claims, 0.50),
        pct(&mut claims, 0.99)
    );
}

fn sync(label: &str, url: &StoreUrl, tasks: usize) {
    let plan = year_plan(tasks);
    let mut s = dutybell::store::open(url).unwrap();
    let t = Instant::now();
    let r1 = s.sync_plan(&plan, start()).unwrap();
    let fresh = t.elapsed().as_secs_f64();
    let t = Instant::now();
    s.sync_plan(&plan, start()).unwrap();
    let again = t.elapsed().as_secs_f64();
    println!(
        "sync backend={label} tasks={tasks} rows={} fresh_s={fresh:.3} unchanged_s={again:.3} ({r1:?})",
        plan.reminders.len()
    );
}

/// A fresh PostgreSQL database, or why not.
fn pg_db(admin_url: &PgUrl, name: &str) -> Result<PgUrl, String> {
    admin::reachable(admin_url).map_err(|e| format!("{e}"))?;
    let _ = admin::drop_database(admin_url, name);
    admin::create_database(admin_url, name).map_err(|e| format!("{e}"))?;
    let mut u = admin_url.clone();
    u.dbname = name.into();
    Ok(u)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    // `replicas sqlite N`: only the durable SQLite dispatch (row d of benches/peers/run.sh).
    let sqlite_only = args.first().is_some_and(|a| a == "sqlite");
    let args = &args[usize::from(sqlite_only)..];
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let tasks = if n < 1000 { 200 } else { 10_000 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sq = |name: &str| StoreUrl::Sqlite(dir.path().join(format!("{name}.db")));
    if sqlite_only {
        // As the daemon claims: up to 64 rows per send slot, 16 slots.
        let claim = 16 * dutybell::service::group::CLAIM_ROWS_PER_SLOT;
        dispatch("sqlite", &sq("d1"), n, (1, claim), &rt);
        return;
    }
    dispatch("sqlite", &sq("d1"), n, (1, 16), &rt);
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test?sslmode=disable".into());
    let admin_url = match StoreUrl::parse(&server) {
        Ok(StoreUrl::Postgres(pg)) => pg,
        other => panic!("DATABASE_URL is not a postgres:// URL: {other:?}"),
    };
    let pid = std::process::id();
    let mut made = Vec::new();
    for replicas in [1, 3] {
        let name = format!("dutybell_bench_{pid}_d{replicas}");
        match pg_db(&admin_url, &name) {
            Ok(u) => {
                made.push(name);
                dispatch("postgres", &StoreUrl::Postgres(u), n, (replicas, 16), &rt);
            }
            Err(e) => println!("dispatch backend=postgres replicas={replicas} skipped: {e}"),
        }
    }
    sync("sqlite", &sq("sync"), tasks);
    let name = format!("dutybell_bench_{pid}_sync");
    match pg_db(&admin_url, &name) {
        Ok(u) => {
            made.push(name);
            sync("postgres", &StoreUrl::Postgres(u), tasks);
        }
        Err(e) => println!("sync backend=postgres skipped: {e}"),
    }
    for name in made {
        let _ = admin::drop_database(&admin_url, &name);
    }
}
