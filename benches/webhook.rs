//! Webhook benchmarks: pure body building (with the 20 KB fitting search) and end-to-end sends
//! to a local axum receiver over one reused connection pool.
//!
//! Touches only 127.0.0.1. Run with `cargo bench --bench webhook`. The `reference` group times a
//! bare `tokio::time::sleep_until(now)`, which the sequential send includes (see docs/BENCHMARKS.md).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dutybell::notify::webhook::{
    Flavour, WebhookChannel, WebhookTarget, dingtalk, feishu, http_client,
};
use dutybell::notify::{Channel, Colour, MessageKind, Notification, Recipients};

fn note(text: String) -> Notification {
    Notification {
        id: "T07/2026-06-30/due_today/food/bench".into(),
        thread: "T07/2026-06-30".into(),
        kind: MessageKind::DueToday,
        colour: Colour::Yellow,
        subject: "【今日到期】T07 年度食品安全报告".into(),
        markdown: text.clone(),
        text,
        html: None,
        recipients: Recipients {
            mobiles: vec!["13800001111".into()],
            ..Recipients::default()
        },
        data: serde_json::json!({ "task": "T07" }),
        attempt_at: 1_780_275_600,
    }
}

fn builders(c: &mut Criterion) {
    let short = note("任务 T07 今日到期。\n请及时报送。".into());
    let long = note("各市场监管所开展校园食品安全专项检查，请按时报送进展。\n".repeat(1000));
    let mut g = c.benchmark_group("build");
    g.bench_function("dingtalk_short", |b| {
        b.iter(|| dingtalk::body(black_box(&short), Some("【提醒】"), true))
    });
    g.bench_function("feishu_short_signed", |b| {
        b.iter(|| feishu::body(black_box(&short), None, Some("secret"), 1_780_275_600))
    });
    g.bench_function("feishu_long_fit_20k", |b| {
        b.iter(|| feishu::body(black_box(&long), None, Some("secret"), 1_780_275_600))
    });
    g.finish();
}

/// A receiver that accepts everything with 204, like a well-behaved generic endpoint.
async fn receiver() -> String {
    let app = axum::Router::new().fallback(|| async { axum::http::StatusCode::NO_CONTENT });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

fn sends(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = rt.block_on(receiver());
    let flavour = Flavour::Generic {
        url: url.into(),
        secret: Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
    };
    // Generic targets have no vendor rate limit, so this measures our own overhead.
    let ch =
        Arc::new(WebhookChannel::new(WebhookTarget::new("bench", flavour), http_client()).unwrap());
    let n = Arc::new(note("任务 T07 今日到期。\n请及时报送。".into()));
    let mut g = c.benchmark_group("send_generic_loopback");
    g.measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(1));
    g.bench_function("sequential", |b| {
        b.iter(|| rt.block_on(ch.send(&n)).unwrap());
    });
    g.throughput(Throughput::Elements(16));
    g.bench_function("concurrent_16", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..16 {
                    let (ch, n) = (ch.clone(), n.clone());
                    set.spawn(async move { ch.send(&n).await.map(|_| ()) });
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap().unwrap();
                }
            })
        });
    });
    g.finish();
}

/// Reference for the sequential figure: what `sleep_until(now)` costs on a multi-thread runtime.
/// `WebhookChannel::wait_turn` sleeps until its rate-limit slot even when the slot is "now" (generic
/// targets have no limits), and tokio rounds a deadline up to the next 1 ms timer tick.
fn timer_reference(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("reference");
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("tokio_sleep_until_now", |b| {
        b.iter(|| {
            rt.block_on(async { tokio::time::sleep_until(tokio::time::Instant::now()).await })
        });
    });
    g.finish();
}

criterion_group!(benches, builders, sends, timer_reference);
criterion_main!(benches);
