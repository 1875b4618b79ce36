//! Web load benchmark: the unit page and the leaders' board under concurrent requests on
//! loopback. Builds the bundled plan into a temporary SQLite file (planned "at" 2026-11-30), serves
//! the pages in-process on 127.0.0.1:0, then runs 8 concurrent clients for a bounded number of
//! requests per page and prints p50/p99/max latency and throughput (docs/BENCHMARKS.md).
//!
//! Run: `cargo build --release --bench web` and start the binary from `target/release/deps/`
//! (or `cargo bench --bench web` on a quiet machine). Traffic goes to 127.0.0.1 only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dutybell::clock::{ManualClock, SharedClock};
use dutybell::service::Engine;
use dutybell::service::links::{LinkKey, LinkSigner};
use dutybell::web::WebState;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CLIENTS: usize = 8;
const PER_CLIENT: usize = 100;

async fn get(port: u16, path: &str) -> (u16, Duration) {
    let t = Instant::now();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let status = String::from_utf8_lossy(&buf[..12.min(buf.len())])
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, t.elapsed())
}

async fn load(port: u16, name: &str, path: String) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let p = path.clone();
        tasks.push(tokio::spawn(async move {
            let mut v = Vec::with_capacity(PER_CLIENT);
            for _ in 0..PER_CLIENT {
                let (status, d) = get(port, &p).await;
                assert_eq!(status, 200, "{p}");
                v.push(d);
            }
            v
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    all.sort();
    let pct = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    println!(
        "{name:<10} {} requests, {CLIENTS} clients: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {:.0} req/s",
        all.len(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        all[all.len() - 1].as_secs_f64() * 1e3,
        all.len() as f64 / wall.as_secs_f64()
    );
}

fn main() {
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo.join("config/dutybell.yaml"))
        .unwrap()
        .replace(
            "plan: [../seeds/plan]",
            &format!("plan: [{}]", repo.join("seeds/plan").display()),
        )
        .replace(
            "calendar: [calendar]",
            &format!("calendar: [{}]", repo.join("config/calendar").display()),
        )
        .replace(
            "state_dir: state",
            &format!("state_dir: {}", dir.path().display()),
        );
    let config = dir.path().join("dutybell.yaml");
    std::fs::write(&config, text).unwrap();
    let now = jiff::civil::datetime(2026, 11, 30, 9, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .unwrap()
        .timestamp();
    let clock: SharedClock = Arc::new(ManualClock::new(now));
    let mut engine = Engine::load(&config, &clock).unwrap();
    let versions = engine
        .loaded
        .catalog
        .units
        .iter()
        .map(|u| (u.id.clone(), u.link_version))
        .collect();
    let signer = LinkSigner::new(
        vec![LinkKey::new("b", "bench-key-0123456789abcdef")],
        "",
        60,
        versions,
    )
    .unwrap();
    let unit_path = signer.unit_url("food", Some("10.2@2025-2026"), now);
    let board_path = signer.board_url(now);
    engine.links = Some(signer);
    let db = engine.loaded.catalog.settings.database.clone();
    let mut store = dutybell::store::open(&dutybell::store::StoreUrl::Sqlite(db)).unwrap();
    dutybell::service::plan::sync(store.as_mut(), &engine.loaded, now, true).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let store = dutybell::store::StoreThread::spawn(store, "web").unwrap();
        let st = Arc::new(WebState::new(Arc::new(engine), store, clock));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(dutybell::web::serve_on(
            listener,
            st,
            std::future::pending(),
        ));
        // Warm-up, then measure.
        get(port, &board_path).await;
        load(port, "unit page", unit_path).await;
        load(port, "board", board_path).await;
    });
}
