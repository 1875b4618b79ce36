//! Side-by-side helper for `benches/peers/run.sh` row (d): a counting HTTP sink, and a sender
//! that pushes N notifications through the real generic webhook channel.
//!
//! Touches: loopback TCP only; stdout. Usage:
//! - `peer_webhook sink PORT`: answers every POST with 204 and counts it; `GET /count` returns
//!   the count, `GET /arrivals` every POST's arrival (wall clock, ns) and body as JSON (row g).
//!   Runs until killed (run.sh stops it by PID).
//! - `peer_webhook send URL N S`: sends N notifications (generic flavour, unsigned) with S in
//!   flight (a semaphore, as the dispatcher does) and prints `msgs=… wall_s=… msg_per_s=…`.
//!
//! Without arguments (e.g. under `cargo test --benches`) it prints the usage and returns.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dutybell::clock::{Clock, SystemClock};

use dutybell::notify::webhook::{Flavour, WebhookChannel, WebhookTarget, http_client};
use dutybell::notify::{Channel, Colour, MessageKind, Notification, Recipients};

fn note(i: usize) -> Notification {
    let text = "任务 T07 今日到期。\n请及时报送工作进展。".to_owned();
    Notification {
        id: format!("T07/2026-06-30/due_today/food/{i}"),
        thread: "T07/2026-06-30".into(),
        kind: MessageKind::DueToday,
        colour: Colour::Yellow,
        subject: "【今日到期】T07 年度食品安全报告".into(),
        markdown: text.clone(),
        text,
        html: None,
        recipients: Recipients::default(),
        data: serde_json::json!({ "task": "T07", "n": i }),
        attempt_at: 1_780_275_600,
    }
}

async fn sink(port: u16) {
    let count = Arc::new(AtomicU64::new(0));
    // Row g: each POST's arrival on the wall clock (ns since the epoch) and its body, so a
    // client that stamped its own POSTs on the same clock can match them (`GET /arrivals`).
    let arrivals: Arc<Mutex<Vec<(i128, String)>>> = Arc::default();
    let (c, a) = (Arc::clone(&count), Arc::clone(&arrivals));
    let app = axum::Router::new()
        .route(
            "/count",
            axum::routing::get(move || {
                let c = Arc::clone(&c);
                async move { c.load(Ordering::Relaxed).to_string() }
            }),
        )
        .route(
            "/arrivals",
            axum::routing::get(move || {
                let a = Arc::clone(&a);
                async move {
                    let v = a.lock().map(|v| v.clone()).unwrap_or_default();
                    serde_json::to_string(&v).unwrap_or_default()
                }
            }),
        )
        .fallback(move |body: String| {
            let c = Arc::clone(&count);
            let a = Arc::clone(&arrivals);
            async move {
                let ns = SystemClock.now().as_nanosecond();
                c.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut v) = a.lock() {
                    v.push((ns, body));
                }
                axum::http::StatusCode::NO_CONTENT
            }
        });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind sink");
    axum::serve(listener, app).await.expect("serve");
}

async fn send(url: String, n: usize, s: usize) {
    let flavour = Flavour::Generic {
        url: url.into(),
        secret: None,
    };
    let ch = Arc::new(
        WebhookChannel::new(WebhookTarget::new("peer", flavour), http_client()).expect("channel"),
    );
    let permits = Arc::new(tokio::sync::Semaphore::new(s.max(1)));
    let t0 = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let (ch, permits) = (Arc::clone(&ch), Arc::clone(&permits));
        set.spawn(async move {
            let _p = permits.acquire_owned().await.expect("semaphore");
            ch.send(&note(i)).await.map(|_| ())
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("join").expect("send");
    }
    let wall = t0.elapsed().as_secs_f64();
    println!("msgs={n} wall_s={wall:.4} msg_per_s={:.1}", n as f64 / wall);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    };
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["sink", port] => rt().block_on(sink(port.parse().expect("port"))),
        ["send", url, n, s] => rt().block_on(send(
            url.to_owned(),
            n.parse().expect("N"),
            s.parse().expect("S"),
        )),
        _ => println!("usage: peer_webhook sink PORT | send URL N S   (see benches/peers/run.sh)"),
    }
}
