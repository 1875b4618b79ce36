//! Due → delivered latency under light load (issue 17, docs/BENCHMARKS.md §10): the real
//! `dutybell run` binary on the real clock (no `--now`), a plan of `UNITS` tasks whose reminders
//! all fall due at the next whole minute (`shift: none`: today may be a rest day) (reminders are planned to the minute, so "50 a second" is
//! 50 due in the same second), a generic webhook channel to an in-process HTTP sink on 127.0.0.1
//! that stamps each request's arrival on the wall clock. Latency = arrival − due instant, both on
//! this machine's wall clock. Prints p50, p90, p99 and max over every round.
//!
//! Touches: a temp dir per round, one child process at a time (stopped by PID), a sink on
//! 127.0.0.1. Run: `cargo bench --bench latency` (release binary); `LATENCY_UNITS` (50),
//! `LATENCY_ROUNDS` (3). Each round waits for the next whole minute (up to ~80 s).

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::time::Instant;

use dutybell::clock::{Clock, SystemClock};

/// How long after the daemon's clock starts its reminders fall due (`LATENCY_LEAD_MS`, default
/// 5,000: time for the daemon to start and sync before 10:00).
fn lead() -> Duration {
    Duration::from_millis(env_num("LATENCY_LEAD_MS", 5000) as u64)
}

/// The daemon's clock at its start: `lead()` before the reminders' 10:00 on a working Monday.
fn start_instant() -> String {
    let due: jiff::Timestamp = "2026-12-07T10:00:00+08:00".parse().unwrap();
    let lead = jiff::SignedDuration::try_from(lead()).unwrap();
    due.checked_sub(lead).unwrap().to_string()
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The sink: records the (monotonic) arrival of every request.
fn sink(rt: &tokio::runtime::Runtime) -> (u16, Arc<Mutex<Vec<Instant>>>) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let a = arrivals.clone();
    let app = axum::Router::new().fallback(move || {
        a.lock().unwrap().push(Instant::now());
        async { axum::http::StatusCode::NO_CONTENT }
    });
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, arrivals)
}

/// A site whose `units` reminders fall due at 10:00 on 2026-12-07.
fn site(dir: &std::path::Path, units: usize) {
    let mut y = String::from(
        "settings:\n  plan: [plan]\n  state_dir: state\n  horizon_days: 30\n  reminders:\n    time: \"10:00\"\n    before: [0d]\n    overdue_every: 0d\n    escalate_to: []\nunits:\n",
    );
    for i in 0..units {
        y.push_str(&format!(
            "  - {{ id: u{i:03}, name: 单位{i:03}, kind: section, channels: [hook] }}\n"
        ));
    }
    let conc = env_num("LATENCY_CONCURRENCY", 4);
    y.push_str(&format!("channels:\n  - {{ id: hook, kind: generic, concurrency: {conc}, url: {{ env: DUTYBELL_LATENCY_HOOK }} }}\n"));
    std::fs::write(dir.join("dutybell.yaml"), y).unwrap();
    std::fs::create_dir_all(dir.join("plan")).unwrap();
    let mut p = String::from("area: { number: 1, title: 测试 }\ntasks:\n");
    for i in 0..units {
        p.push_str(&format!(
            "  - {{ id: \"1.{}\", title: 测试任务{i}, lead: u{i:03}, deadline: 2026-12-07 }}\n",
            i + 1
        ));
    }
    std::fs::write(dir.join("plan/01.yaml"), p).unwrap();
}

/// How long after the spawn the daemon's clock started at `start_instant()`: the `clock set by
/// --now` line's wall-clock stamp minus the wall clock at spawn, less what the daemon's clock had
/// already advanced when it wrote the line (its `now=` field), so a pause between starting the
/// clock and writing the line does not shift the due instant (`None` until the line is written).
fn clock_start(dir: &std::path::Path, spawned: jiff::Timestamp) -> Option<Duration> {
    let log = std::fs::read_to_string(dir.join("daemon.log")).ok()?;
    let line = log.lines().find(|l| l.contains("clock set by --now"))?;
    let plain: String = line.chars().filter(|c| !c.is_control()).collect();
    let plain = plain
        .replace("[2m", "")
        .replace("[0m", "")
        .replace("[3m", "");
    let stamp: jiff::Timestamp = plain.split_whitespace().next()?.parse().ok()?;
    let read: jiff::Timestamp = plain
        .split_whitespace()
        .find_map(|w| w.strip_prefix("now="))?
        .parse()
        .ok()?;
    let start: jiff::Timestamp = start_instant().parse().ok()?;
    let advanced = read.duration_since(start);
    Duration::try_from(stamp.duration_since(spawned) - advanced).ok()
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}

fn pct(v: &[f64], p: f64) -> f64 {
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn main() {
    let units = env_num("LATENCY_UNITS", 50);
    let rounds = env_num("LATENCY_ROUNDS", 5);
    let bin = env!("CARGO_BIN_EXE_dutybell");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (port, arrivals) = sink(&rt);
    let mut all: Vec<f64> = Vec::new();
    for round in 1..=rounds {
        let dir = tempfile::tempdir().unwrap();
        site(dir.path(), units);
        arrivals.lock().unwrap().clear();
        let spawned = Instant::now();
        let spawned_wall = SystemClock.now();
        let child = Command::new(bin)
            .args(["run", "--config"])
            .arg(dir.path().join("dutybell.yaml"))
            .env("DUTYBELL_NOW", start_instant())
            .env(
                "DUTYBELL_LATENCY_HOOK",
                format!("http://127.0.0.1:{port}/hook"),
            )
            .env(
                "RUST_LOG",
                std::env::var("LATENCY_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("daemon.log")).unwrap())
            .spawn()
            .unwrap();
        let deadline = spawned + lead() + Duration::from_secs(30);
        // The gap between the spawn and the daemon's clock start, once logged.
        let mut due: Option<Duration> = None;
        let mut got: Vec<f64> = Vec::new();
        while Instant::now() < deadline {
            if due.is_none() {
                due = clock_start(dir.path(), spawned_wall);
            }
            if let Some(gap) = due {
                let due = spawned + gap + lead();
                got = arrivals
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|&&a| a >= due)
                    .map(|&a| (a - due).as_secs_f64() * 1e3)
                    .collect();
                if got.len() >= units {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        stop(child);
        if let Ok(keep) = std::env::var("LATENCY_KEEP_LOG") {
            let _ = std::fs::copy(dir.path().join("daemon.log"), format!("{keep}.{round}"));
        }
        got.sort_by(f64::total_cmp);
        assert!(
            got.len() >= units,
            "round {round}: only {} of {units} reminders arrived; the daemon said:\n{}",
            got.len(),
            std::fs::read_to_string(dir.path().join("daemon.log")).unwrap_or_default()
        );
        got.truncate(units);
        println!(
            "round {round}: {units} reminders due at once, clock started {:.1} ms after the spawn; latency ms min {:.2} p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
            due.unwrap_or_default().as_secs_f64() * 1e3,
            got[0],
            pct(&got, 0.5),
            pct(&got, 0.9),
            pct(&got, 0.99),
            got[got.len() - 1]
        );
        all.extend(got);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "latency units={units} rounds={rounds} samples={} p50_ms={:.2} p90_ms={:.2} p99_ms={:.2} max_ms={:.2}",
        all.len(),
        pct(&all, 0.5),
        pct(&all, 0.9),
        pct(&all, 0.99),
        all[all.len() - 1]
    );
}
