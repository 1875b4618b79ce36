//! Issue 16: a bot's rate limit (WeCom/DingTalk: 20 a minute) holds across replicas. Two
//! limiters, each with its own store connection (two replicas), reserve send slots for one bot
//! concurrently; the union of their sends never has more than 20 in a rolling minute. The same
//! demand through two in-memory limiters (one per process) shows the bug it fixes: 40.
//!
//! SQLite runs on a manual clock (the adapter decides on the caller's `now`); PostgreSQL decides
//! on the database clock, so its send instants are measured on this host's monotonic clock.
//!
//! May touch: a temp SQLite file, a `dutybell_t_*` database on the loopback PostgreSQL server.

use std::sync::Arc;
use std::time::Duration;

use dutybell::clock::{Clock, ManualClock, SharedClock};
use dutybell::notify::webhook::limiter::{SharedSlots, StoreSlots};
use dutybell::notify::webhook::{Flavour, RateLimiter};
use dutybell::store::{StoreThread, StoreUrl, bucket_key};
use jiff::{SignedDuration, Timestamp};

use crate::pg;

/// DingTalk's limits (20 a minute), as the channel uses them.
fn dingtalk() -> RateLimiter {
    RateLimiter::for_flavour(&Flavour::Dingtalk {
        access_token: "t".into(),
        secret: None,
        keyword: None,
    })
}

/// Largest number of sends (microseconds) in any half-open window `[t, t + per)`.
fn max_in_window(sends: &[i64], per: i64) -> usize {
    sends
        .iter()
        .map(|&a| sends.iter().filter(|&&x| x >= a && x < a + per).count())
        .max()
        .unwrap_or(0)
}

const MINUTE_US: i64 = 60_000_000;
const PER_REPLICA: usize = 40;

/// Two replicas reserve [`PER_REPLICA`] slots each for one bot, in rounds: in each round both
/// reserve at once (two connections racing for the bucket row), then `tick` runs. `now_us` is
/// read before each round, on the deciding clock's scale. Returns every send instant (µs).
fn two_replicas(
    url: &StoreUrl,
    clock: SharedClock,
    now_us: impl Fn() -> i64,
    tick: impl Fn(),
) -> Vec<i64> {
    let bot = bucket_key("ding-a", "https://oapi.dingtalk.com/robot/send\nTOKEN");
    let limits = dingtalk().limits().to_vec();
    let open = |name| StoreThread::spawn(dutybell::store::open(url).unwrap(), name).unwrap();
    let a = StoreSlots::new(open("replica-a"), clock.clone());
    let b = StoreSlots::new(open("replica-b"), clock);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut sends = Vec::new();
    for _ in 0..PER_REPLICA {
        let now = now_us();
        let (wa, wb) =
            rt.block_on(async { tokio::join!(a.reserve(&bot, &limits), b.reserve(&bot, &limits)) });
        for w in [wa.unwrap(), wb.unwrap()] {
            sends.push(now + i64::try_from(w.as_micros()).unwrap());
        }
        tick();
    }
    drop(rt);
    sends.sort_unstable();
    sends
}

#[test]
fn two_replicas_on_one_sqlite_file_share_the_limit_on_a_manual_clock() {
    let dir = tempfile::tempdir().unwrap();
    let url = StoreUrl::Sqlite(dir.path().join("state.db"));
    let t0: Timestamp = "2027-03-01T01:00:00Z".parse().unwrap();
    let manual = ManualClock::new(t0);
    let clock: SharedClock = Arc::new(manual.clone());
    // The clock moves on one second per round: demand of two sends a second, six times the limit.
    let sends = two_replicas(
        &url,
        clock,
        || manual.now().as_microsecond(),
        || manual.advance(SignedDuration::from_secs(1)),
    );
    assert_eq!(sends.len(), 2 * PER_REPLICA);
    assert_eq!(
        max_in_window(&sends, MINUTE_US),
        20,
        "20 a minute between both"
    );
    // 80 sends at 20 a minute: the last goes out three minutes after the first, not earlier.
    let span = sends[sends.len() - 1] - sends[0];
    assert!(
        (3 * MINUTE_US..4 * MINUTE_US).contains(&span),
        "span {span} µs"
    );

    // The same demand through one in-memory limiter per process sends twice the limit.
    let start = tokio::time::Instant::now();
    let mut separate: Vec<i64> = Vec::new();
    for _ in 0..2 {
        let mut rl = dingtalk();
        for _ in 0..PER_REPLICA {
            let at = rl.reserve(start);
            separate.push(i64::try_from((at - start).as_micros()).unwrap());
        }
    }
    separate.sort_unstable();
    assert_eq!(max_in_window(&separate, MINUTE_US), 40);
}

#[test]
fn two_replicas_on_postgres_share_the_limit_on_the_database_clock() {
    let Some(db) = pg::temp_db("ratelimit_two_replicas") else {
        return;
    };
    let url = StoreUrl::Postgres(db.url.clone());
    // PostgreSQL ignores the caller's clock; a manual clock 10 minutes wrong changes nothing.
    let wrong: SharedClock = Arc::new(ManualClock::new(
        dutybell::clock::SystemClock
            .now()
            .checked_sub(SignedDuration::from_mins(10))
            .unwrap(),
    ));
    let origin = std::time::Instant::now();
    let sends = two_replicas(
        &url,
        wrong,
        || i64::try_from(origin.elapsed().as_micros()).unwrap(),
        || {},
    );
    assert_eq!(sends.len(), 2 * PER_REPLICA);
    // Instants are read here before each round, so they run early by up to a round trip (well
    // under 0.5 s): the window is narrowed by that much.
    let slack = i64::try_from(Duration::from_millis(500).as_micros()).unwrap();
    assert!(
        max_in_window(&sends, MINUTE_US - slack) <= 20,
        "at most 20 a minute between both"
    );
    let first_minute = sends.iter().filter(|&&s| s < sends[0] + slack).count();
    assert_eq!(first_minute, 20, "a full bucket goes out at once");
    let span = sends[sends.len() - 1] - sends[0];
    assert!(span >= 3 * MINUTE_US - slack, "span {span} µs");
}
