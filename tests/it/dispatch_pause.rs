//! A rate limit pauses the whole channel: 400 due rows (19 for DingTalk, whose client-side
//! limiter allows 20 a minute) go to a local HTTP server that answers the
//! first request with HTTP 429 (`Retry-After: 30`) or a DingTalk 130101 throttle body, and 200
//! after that. Only the sends already in flight when the throttle came back may reach the
//! server; every other row is answered "retry at the pause end" without a request; once the
//! (manual) clock has passed the pause end, every row goes out exactly once.

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

/// Serves `first` once, then `{"errcode":0}` with 200; counts requests.
async fn server(first: Response, hits: Arc<AtomicUsize>) -> String {
    let first = Arc::new(std::sync::Mutex::new(Some(first)));
    let app = Router::new().fallback(move || {
        let hits = hits.clone();
        let first = first.clone();
        async move {
            hits.fetch_add(1, Ordering::SeqCst);
            let once = first.lock().unwrap().take();
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
            Outcome::Retry { at, error } if error.contains("paused") => {
                assert_eq!(*at, pause_end, "row {i} is due at the pause end");
                Some(*i)
            }
            _ => None,
        })
        .collect();
    let throttled = first_round
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Retry { error, .. } if !error.contains("paused")))
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
            .all(|(_, o)| matches!(o, Outcome::Retry { .. }))
    );
    assert_eq!(hits.load(Ordering::SeqCst), hits1);

    // Past the pause end: every row once (the throttled one included).
    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(d.paused_until("bot"), None);
    let mut rest = paused;
    rest.extend(
        first_round
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Retry { error, .. } if !error.contains("paused")))
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
