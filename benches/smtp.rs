//! Email channel throughput: messages/s through the pooled lettre transport to a local aiosmtpd
//! (`tests/support/smtp_server.py`, plain SMTP on 127.0.0.1), plus pure message building.
//!
//! Touches: a python3 child process, a temp directory, loopback TCP. Needs python3 + aiosmtpd.
//! The server writes every message to disk, so the numbers include its fsync-free file writes.
//! Run: `cargo bench --bench smtp -- --warm-up-time 1 --measurement-time 5` (release; or
//! `--profile dev` on a machine where release builds are unwelcome). Figures: docs/BENCHMARKS.md
//! (section 6 has the old ~40 ms per message, the Nagle/delayed-ACK stall now fixed by the
//! channel's own `TCP_NODELAY` connections; the side-by-side section has the figures after it).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dutybell::notify::email::{EmailChannel, SmtpConfig, SmtpTls, render_rfc5322};
use dutybell::notify::{Channel, Colour, Mailbox, MessageKind, Notification, Recipients};

#[path = "../tests/support/smtp_harness.rs"]
mod smtp_harness;

/// Messages per measured iteration in the concurrent case.
const BATCH: u64 = 32;

fn note(i: u64) -> Notification {
    let text = "食品室：\n请于2026年12月1日前报送“校园食品安全”工作进展。\n督办提醒".repeat(4);
    Notification {
        id: format!("bench/{i}"),
        thread: "bench-thread".to_owned(),
        kind: MessageKind::Lead,
        colour: Colour::Yellow,
        subject: "【督办】食品安全专项整治：还有3天到期".to_owned(),
        html: Some(format!("<p>{}</p>", text.replace('\n', "<br>"))),
        text,
        markdown: String::new(),
        recipients: Recipients {
            to: vec![Mailbox {
                name: Some("食品室".into()),
                email: "food@example.org".into(),
            }],
            cc: vec![],
            mobiles: vec![],
            reply_to: None,
        },
        data: serde_json::Value::Null,
        attempt_at: 1_795_000_000,
    }
}

fn from() -> Mailbox {
    Mailbox {
        name: Some("督办提醒".into()),
        email: "duban@example.org".into(),
    }
}

fn bench_build(c: &mut Criterion) {
    let n = note(0);
    let mut g = c.benchmark_group("email_build");
    g.throughput(Throughput::Elements(1));
    g.bench_function("render_rfc5322", |b| {
        b.iter(|| render_rfc5322(black_box(&n), &from(), "example.org").expect("render"))
    });
    g.finish();
}

fn bench_send(c: &mut Criterion) {
    let server = smtp_harness::SmtpServer::start(&smtp_harness::ServerOptions::default());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let cfg = SmtpConfig {
        id: "bench".into(),
        host: "127.0.0.1".into(),
        port: server.port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: from(),
        extra_root_ca: None,
        allow_plain_loopback: true,
        timeout: Duration::from_secs(10),
    };
    let ch = Arc::new(
        rt.block_on(async { EmailChannel::new(cfg) })
            .expect("channel"),
    );
    let n = Arc::new(note(1));

    let mut g = c.benchmark_group("email_send_aiosmtpd");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(1));
    g.bench_function("sequential", |b| {
        b.iter(|| rt.block_on(ch.send(&n)).expect("send"))
    });
    g.throughput(Throughput::Elements(BATCH));
    g.bench_function("concurrent_pool4", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..BATCH {
                    let (ch, n) = (Arc::clone(&ch), Arc::clone(&n));
                    set.spawn(async move { ch.send(&n).await.map(|_| ()) });
                }
                while let Some(r) = set.join_next().await {
                    r.expect("join").expect("send");
                }
            })
        })
    });
    g.finish();
    drop(server);
}

criterion_group!(benches, bench_build, bench_send);
criterion_main!(benches);
