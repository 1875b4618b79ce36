//! A rate limit pauses the whole channel: 400 due rows (19 for DingTalk, whose client-side
//! limiter allows 20 a minute) go to a local HTTP server that answers the
//! first request with HTTP 429 (`Retry-After: 30`) or a DingTalk 130101 throttle body, and 200
//! after that. Only the sends already in flight when the throttle came back may reach the
//! server; every other row is answered "retry at the pause end" without a request; once the
//! (manual) clock has passed the pause end, every row goes out exactly once. And through a real
//! store (SQLite file and PostgreSQL): a row answered "paused" gives its claim back, so a pause
//! never uses up its retry attempts. Beside the pause, the dispatcher's other refusal: a send
//! whose claim may lapse makes no request (`dispatch::gate`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dutybell::clock::{ManualClock, SharedClock};
use dutybell::dispatch::retry::RetryPolicy;
use dutybell::dispatch::{Dispatcher, Outcome};
use dutybell::notify::webhook::{
    Flavour, HttpTimeouts, WebhookChannel, WebhookTarget, http_client_with,
};
use dutybell::notify::{Channel, Colour, MessageKind, Notification, Recipients};
use dutybell::store::{OutboxItem, OutboxState};
use jiff::{SignedDuration, Timestamp};

const ROWS: usize = 400;
const T0: &str = "2027-03-01T01:00:00Z";

/// Serves `first` once, then `{"errcode":0}` with 200; counts requests. The few requests that
/// arrive together with the first are answered 100 ms late: a loaded machine must not let them
/// finish and free their permits before the throttle reply has been read (then the next rows
/// would go out too, which says nothing about the pause).
async fn server(first: Response, hits: Arc<AtomicUsize>) -> String {
    let first = Arc::new(std::sync::Mutex::new(Some(first)));
    let app = Router::new().fallback(move || {
        let hits = hits.clone();
        let first = first.clone();
        async move {
            let n = hits.fetch_add(1, Ordering::SeqCst);
            let once = first.lock().unwrap().take();
            if once.is_none() && n < 8 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            once.unwrap_or_else(|| {
                (StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#).into_response()
            })
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn item(i: usize, at: Timestamp) -> OutboxItem {
    OutboxItem {
        id: i as i64,
        dedupe_key: format!("k{i}"),
        occurrence_key: format!("4.2/{i}"),
        task_id: "4.2".into(),
        stage: "due".into(),
        kind: MessageKind::DueToday,
        recipient: "catering".into(),
        channel: "bot".into(),
        fire_at: at,
        state: OutboxState::Sending,
        attempts: 1,
        next_attempt_at: at,
        last_error: None,
        message: "{}".into(),
        late: false,
        plan_version: None,
        created_at: at,
        updated_at: at,
        sent_at: None,
        lease_owner: None,
        lease_until: None,
    }
}

fn note(i: usize) -> Notification {
    Notification {
        id: format!("k{i}"),
        thread: format!("4.2/{i}"),
        kind: MessageKind::DueToday,
        colour: Colour::Yellow,
        subject: "【今日到期】4.2".into(),
        text: "今日到期".into(),
        html: None,
        markdown: "今日到期".into(),
        recipients: Recipients::default(),
        data: serde_json::json!({}),
        attempt_at: 0,
    }
}

/// Delivers `rows` concurrently; returns (row, outcome) pairs.
async fn deliver_all(
    d: &Arc<Dispatcher>,
    rows: Vec<usize>,
    at: Timestamp,
) -> Vec<(usize, Outcome)> {
    let tasks: Vec<_> = rows
        .into_iter()
        .map(|i| {
            let d = d.clone();
            tokio::spawn(async move { (i, d.deliver(&item(i, at), note(i)).await) })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn pause_case(
    rows: usize,
    flavour: impl FnOnce(&str) -> Flavour,
    first: Response,
    pause: SignedDuration,
) {
    let hits = Arc::new(AtomicUsize::new(0));
    let base = server(first, hits.clone()).await;
    let mut target = WebhookTarget::new("bot", flavour(&base));
    target.base_url = Some(base);
    target.jitter_max = Duration::ZERO;
    let client = http_client_with(HttpTimeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_secs(5),
    });
    let channel = WebhookChannel::new(target, client).unwrap();
    let concurrency = channel.concurrency();
    let t0: Timestamp = T0.parse().unwrap();
    let clock = ManualClock::new(t0);
    let shared: SharedClock = Arc::new(clock.clone());
    let channels: Vec<Arc<dyn Channel>> = vec![Arc::new(channel)];
    let d = Arc::new(Dispatcher::new(
        channels,
        "bot",
        RetryPolicy::default(),
        shared,
    ));

    let first_round = deliver_all(&d, (0..rows).collect(), t0).await;
    let sent1 = first_round
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Sent(_)))
        .count();
    let hits1 = hits.load(Ordering::SeqCst);
    let pause_end = t0.checked_add(pause).unwrap();
    let paused: Vec<usize> = first_round
        .iter()
        .filter_map(|(i, o)| match o {
            Outcome::Deferred { at, reason } => {
                assert!(reason.contains("paused"), "{reason}");
                assert_eq!(*at, pause_end, "row {i} is due at the pause end");
                Some(*i)
            }
            _ => None,
        })
        .collect();
    let throttled = first_round
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Retry { .. }))
        .count();
    println!(
        "round 1: {hits1} requests for {rows} rows ({sent1} sent in flight, {throttled} throttled, {} paused without a request)",
        paused.len()
    );
    assert_eq!(throttled, 1, "exactly one row met the throttle");
    assert_eq!(sent1 + throttled + paused.len(), rows);
    assert_eq!(hits1, sent1 + throttled, "paused rows made no request");
    // Sends that took a permit before the throttled reply was recorded may still go out: the
    // permits in flight, plus those freed while the throttled reply was being read. Anything
    // near `rows` would mean no pause at all.
    assert!(
        hits1 <= 2 * concurrency,
        "only sends already under way (about {concurrency}) reach the throttled bot, got {hits1}"
    );
    assert_eq!(d.paused_until("bot"), Some(pause_end));

    // Still inside the window: nothing goes out.
    clock.advance(pause - SignedDuration::from_secs(1));
    let early = deliver_all(&d, paused.clone(), t0).await;
    assert!(
        early
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Deferred { .. }))
    );
    assert_eq!(hits.load(Ordering::SeqCst), hits1);

    // Past the pause end: every row once (the throttled one included).
    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(d.paused_until("bot"), None);
    let mut rest = paused;
    rest.extend(
        first_round
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Retry { .. }))
            .map(|(i, _)| *i),
    );
    let second = deliver_all(&d, rest, t0).await;
    assert!(
        second.iter().all(|(_, o)| matches!(o, Outcome::Sent(_))),
        "{:?}",
        second.iter().find(|(_, o)| !matches!(o, Outcome::Sent(_)))
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        rows + 1,
        "each row once, plus the throttled request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_429_pauses_the_channel_for_every_row_until_retry_after() {
    let first = (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", "30")],
        "slow down",
    )
        .into_response();
    let generic = |base: &str| Flavour::Generic {
        url: format!("{base}/hook").into(),
        secret: None,
    };
    pause_case(ROWS, generic, first, SignedDuration::from_secs(30)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dingtalk_130101_pauses_the_bot_for_its_ten_minute_window() {
    let first = (
        StatusCode::OK,
        r#"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#,
    )
        .into_response();
    let ding = |_: &str| Flavour::Dingtalk {
        access_token: "tok".into(),
        secret: None,
        keyword: None,
    };
    // 19 rows: the client-side limiter allows 20 DingTalk sends per real minute, and this test
    // must not wait on real time (1 throttled + 19 after the pause = 20).
    pause_case(19, ding, first, SignedDuration::from_secs(600)).await;
}

/// The store half: a row answered "paused" gives its claim back, so a rate limit never uses up
/// a row's retry attempts (they count sends that reached the vendor). 20 rows on one bot with
/// one send at a time; the server throttles the first request (429, `Retry-After: 30`). Rows
/// claimed during the pause, in the first batch and in a later one, go back to `retry` with
/// the attempts they had; after the pause each is sent with one attempt on record, and the
/// throttled one with two.
fn paused_rows_keep_their_attempts(b: &crate::store_contract::Backend) {
    use dutybell::store::{Lease, NewReminder, Store};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let throttle = (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", "30")],
        "slow down",
    )
        .into_response();
    let base = rt.block_on(server(throttle, hits.clone()));
    let mut target = WebhookTarget::new(
        "bot",
        Flavour::Generic {
            url: format!("{base}/hook").into(),
            secret: None,
        },
    );
    target.jitter_max = Duration::ZERO;
    let client = http_client_with(HttpTimeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_secs(5),
    });
    let channel: Arc<dyn Channel> = Arc::new(WebhookChannel::new(target, client).unwrap());
    let t0: Timestamp = T0.parse().unwrap();
    let clock = ManualClock::new(t0);
    let d = Arc::new(
        Dispatcher::new(
            [channel],
            "bot",
            RetryPolicy::default(),
            Arc::new(clock.clone()),
        )
        .limit("bot", 1),
    );
    let mut store = b.open();
    let lease = Lease {
        owner: "test:1:0".into(),
        ttl: SignedDuration::from_mins(5),
    };
    let enqueue = |store: &mut Box<dyn Store>, range: std::ops::Range<usize>, at| {
        for i in range {
            let rem = NewReminder {
                dedupe_key: format!("k{i}"),
                occurrence_key: format!("4.2/{i}"),
                task_id: "4.2".into(),
                stage: "due".into(),
                kind: MessageKind::DueToday,
                recipient: "catering".into(),
                channel: "bot".into(),
                fire_at: at,
                message: Some(serde_json::to_string(&note(i)).unwrap()),
            };
            assert!(store.enqueue(&rem, at).unwrap());
        }
    };
    // One claim → send → record round, as the daemon does it: (dedupe key, outcome) per row.
    let round = |store: &mut Box<dyn Store>, now: Timestamp| -> Vec<(String, Outcome)> {
        let items = store.claim(&lease, now, 100).unwrap();
        let outcomes: Vec<Outcome> = rt.block_on(async {
            let tasks: Vec<_> = items
                .iter()
                .cloned()
                .map(|it| {
                    let d = d.clone();
                    tokio::spawn(async move {
                        let n = it.notification().unwrap();
                        d.deliver(&it, n).await
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        for (it, o) in items.iter().zip(&outcomes) {
            store
                .record(&lease.owner, &recorded(it.id, o.clone()), now)
                .unwrap();
        }
        items
            .into_iter()
            .map(|i| i.dedupe_key)
            .zip(outcomes)
            .collect()
    };
    let attempts = |store: &dyn Store| -> Vec<(String, u32, OutboxState)> {
        (1..=20)
            .map(|id| {
                let it = store.outbox_item(id).unwrap();
                (it.dedupe_key, it.attempts, it.state)
            })
            .collect()
    };

    enqueue(&mut store, 0..15, t0);
    let first = round(&mut store, t0);
    assert_eq!(hits.load(Ordering::SeqCst), 1, "one request, throttled");
    let deferred = first
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Deferred { .. }))
        .count();
    assert_eq!((first.len(), deferred), (15, 14));
    let (throttled, retry_at) = first
        .iter()
        .find_map(|(k, o)| match o {
            Outcome::Retry { at, .. } => Some((k.clone(), *at)),
            _ => None,
        })
        .expect("the throttled row");
    // Ten seconds into the pause, five more rows fall due: deferred too, without a request.
    let t10 = t0.checked_add(SignedDuration::from_secs(10)).unwrap();
    clock.set(t10);
    enqueue(&mut store, 15..20, t10);
    let second = round(&mut store, t10);
    assert_eq!(second.len(), 5);
    assert!(
        second
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Deferred { .. }))
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    for (key, n, state) in attempts(store.as_ref()) {
        assert_eq!(state, OutboxState::Retry, "{key}");
        // Only the throttled row reached the server.
        let want = u32::from(key == throttled);
        assert_eq!(n, want, "{key}: a paused claim was counted as an attempt");
    }
    // At the pause end the deferred rows go out; the throttled one at its own backoff (at
    // least Retry-After). The attempts on record are the real sends.
    let end = t0.checked_add(SignedDuration::from_secs(30)).unwrap();
    assert!(retry_at >= end);
    clock.set(end);
    let third = round(&mut store, end);
    assert_eq!(third.len(), 19);
    clock.set(retry_at);
    let fourth = round(&mut store, retry_at);
    assert_eq!(fourth.len(), 1);
    assert!(
        third
            .iter()
            .chain(&fourth)
            .all(|(_, o)| matches!(o, Outcome::Sent(_))),
        "{third:?} {fourth:?}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 21);
    for (key, n, state) in attempts(store.as_ref()) {
        assert_eq!(state, OutboxState::Sent, "{key}");
        assert_eq!(n, if key == throttled { 2 } else { 1 }, "{key}");
    }
    assert!(round(&mut store, retry_at).is_empty(), "nothing left");
    // The deferral is on record (not an attempt): a `retry` line saying why.
    let some_deferred = if throttled == "k0" { 2 } else { 1 };
    let lines = store.deliveries(some_deferred).unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.attempt == 0 && l.detail.contains("paused by a rate limit")),
        "{lines:?}"
    );
}

/// The store record of a dispatch outcome (as `service::group` maps it).
fn recorded(id: i64, o: Outcome) -> dutybell::store::Recorded {
    use dutybell::store::Recorded;
    match o {
        Outcome::Sent(detail) => Recorded::Sent {
            id,
            detail,
            message: None,
        },
        Outcome::Retry { at, error } => Recorded::Retry {
            id,
            next_at: at,
            error,
        },
        Outcome::Deferred { at, reason } => Recorded::Deferred {
            id,
            next_at: at,
            reason,
        },
        Outcome::Dead(error) => Recorded::Dead { id, error },
    }
}

#[test]
fn a_paused_row_keeps_its_attempts_sqlite() {
    paused_rows_keep_their_attempts(&crate::store_contract::sqlite());
}

#[test]
fn a_paused_row_keeps_its_attempts_postgres() {
    if let Some(b) = crate::store_contract::postgres("a_paused_row_keeps_its_attempts_postgres") {
        paused_rows_keep_their_attempts(&b);
    }
}

/// The dispatcher asks the send's gate (`dispatch::gate`) right before the request: a send
/// whose claim is about to lapse makes no request and comes back deferred, due now; one whose
/// claim runs on goes out, and its gate then says it is on the wire (so the loop never cancels
/// it for a lease).
#[tokio::test]
async fn a_send_whose_claim_may_lapse_makes_no_request() {
    use dutybell::dispatch::gate::{SendGate, guarded};
    let hits = Arc::new(AtomicUsize::new(0));
    let ok = (StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#).into_response();
    let base = server(ok, hits.clone()).await;
    let hook = Flavour::Generic {
        url: format!("{base}/hook").into(),
        secret: None,
    };
    let mut target = WebhookTarget::new("bot", hook);
    target.jitter_max = Duration::ZERO;
    let channel = WebhookChannel::new(target, http_client_with(HttpTimeouts::default())).unwrap();
    let t0: Timestamp = T0.parse().unwrap();
    let shared: SharedClock = Arc::new(ManualClock::new(t0));
    let channels: Vec<Arc<dyn Channel>> = vec![Arc::new(channel)];
    let d = Dispatcher::new(channels, "bot", RetryPolicy::default(), shared);
    let margin = SignedDuration::from_secs(50);

    let lapsing = SendGate::new(t0 + SignedDuration::from_secs(30), margin);
    let out = guarded(lapsing.clone(), d.deliver(&item(1, t0), note(1))).await;
    match out {
        Outcome::Deferred { at, reason } => {
            assert_eq!(at, t0);
            assert!(reason.contains("about to lapse"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no request");
    assert!(!lapsing.on_wire());

    let live = SendGate::new(t0 + SignedDuration::from_mins(5), margin);
    let out = guarded(live.clone(), d.deliver(&item(2, t0), note(2))).await;
    assert!(matches!(out, Outcome::Sent(_)), "{out:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert!(live.on_wire());
}
