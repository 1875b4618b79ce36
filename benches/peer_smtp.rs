//! Side-by-side helper for `benches/peers/run.sh` row (c): sends N emails through the real
//! email channel (`EmailChannel`, plain SMTP to a loopback relay such as Postfix's smtp-sink)
//! with S sends in flight over a pool of S connections, and prints messages per second.
//!
//! Touches: loopback TCP to the given port; stdout. Usage: `peer_smtp PORT N S` prints
//! `msgs=… wall_s=… msg_per_s=…`. Without arguments (e.g. under `cargo test --benches`) it
//! prints the usage and returns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dutybell::notify::email::{EmailChannel, SmtpConfig, SmtpTls};
use dutybell::notify::{Channel, Colour, Mailbox, MessageKind, Notification, Recipients};

/// A ~2 KB reminder (smtp-source's `-l 2048` in the peers' runs), unique id per message.
fn note(i: usize) -> Notification {
    let text = "食品室：\n请于2026年12月1日前报送“校园食品安全”工作进展。\n督办提醒\n".repeat(10);
    Notification {
        id: format!("peer/{i}"),
        thread: "peer-thread".to_owned(),
        kind: MessageKind::Lead,
        colour: Colour::Yellow,
        subject: "【督办】食品安全专项整治：还有3天到期".to_owned(),
        html: None,
        text,
        markdown: String::new(),
        recipients: Recipients {
            to: vec![Mailbox {
                name: Some("食品室".into()),
                email: "sink@example.test".into(),
            }],
            cc: vec![],
            mobiles: vec![],
            reply_to: None,
        },
        data: serde_json::Value::Null,
        attempt_at: 1_795_000_000,
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|s| s.parse().ok())
        .collect();
    let [port, n, sessions] = args[..] else {
        println!("usage: peer_smtp PORT N SESSIONS   (see benches/peers/run.sh)");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let cfg = SmtpConfig {
        id: "peer".into(),
        host: "127.0.0.1".into(),
        port: u16::try_from(port).expect("port"),
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: Mailbox {
            name: Some("督办提醒".into()),
            email: "bench@example.test".into(),
        },
        extra_root_ca: None,
        allow_plain_loopback: true,
        timeout: Duration::from_secs(30),
    };
    let ch = Arc::new(
        rt.block_on(async { EmailChannel::with_pool_size(cfg, sessions) })
            .expect("channel"),
    );
    let notes: Vec<Arc<Notification>> = (0..n).map(|i| Arc::new(note(i))).collect();
    let t0 = Instant::now();
    rt.block_on(async {
        // All N queued at once; the channel's semaphore keeps S in flight, like the dispatcher.
        let mut set = tokio::task::JoinSet::new();
        for m in &notes {
            let (ch, m) = (Arc::clone(&ch), Arc::clone(m));
            set.spawn(async move { ch.send(&m).await.map(|_| ()) });
        }
        while let Some(r) = set.join_next().await {
            r.expect("join").expect("send");
        }
    });
    let wall = t0.elapsed().as_secs_f64();
    println!("msgs={n} wall_s={wall:.4} msg_per_s={:.1}", n as f64 / wall);
    drop(ch);
}
