//! The crash drill behind `benches/crash.rs` (1,000 kills) and its CI smoke run
//! (`tests/it/crash.rs`, ~20 kills): the real `dutybell run` on a SQLite file, sending every
//! reminder twice (a generic webhook to a local HTTP sink that records every request, and email
//! to the aiosmtpd test server), killed with `kill -9` (or stopped with SIGTERM) at random
//! moments and restarted each time. At the end it counts, per reminder identity, what arrived:
//! lost (planned, never received), duplicates (received more than once), the bound on
//! duplicates (rows the restarts reported as in flight at a kill), rows left `sending`, and
//! `PRAGMA integrity_check`.
//!
//! Touches: child processes (the daemon, python3), a temp directory, loopback TCP.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::smtp_harness::{ServerOptions, SmtpServer};

/// The set-up run's instant: before the reminders fall due, so the first sync keeps them.
const SETUP: &str = "2026-03-02T08:50:00+08:00";

/// The daemon's `max_inflight`: sends on the wire at once.
const MAX_INFLIGHT: usize = 16;

/// A Monday with official calendar data (no "next year is missing" operator alerts).
const DUE: &str = "2026-03-02T09:00:00+08:00";

/// What to run.
#[derive(Debug, Clone)]
pub struct Drill {
    /// Units; each gets one reminder by webhook and one by email (2 × units reminders).
    pub units: usize,
    /// `kill -9` runs in all (each round has its share, then a final run).
    pub kills: usize,
    /// Rounds of the `kill -9` phase, each on a fresh site with fresh reminders, so that kills
    /// keep landing while reminders are being sent.
    pub rounds: usize,
    /// SIGTERM runs (on a second, fresh site) before its final run.
    pub terms: usize,
    /// How long the HTTP sink takes to answer (keeps sends in flight when a kill lands).
    pub sink_delay: Duration,
    /// Seed of the kill moments.
    pub seed: u64,
    /// The binary under test.
    pub bin: PathBuf,
}

/// What one phase measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Stops (kills or SIGTERMs) before the final run.
    pub stops: usize,
    /// Stops that landed while reminders were still being sent.
    pub while_sending: usize,
    /// Reminders planned (webhook + email).
    pub planned: usize,
    /// Planned reminders never received.
    pub lost: usize,
    /// Receipts beyond the first of a reminder.
    pub duplicates: usize,
    /// Rows the restarts reported as in flight at a stop (claimed, leased, maybe sent): the
    /// bound on duplicates the store can prove.
    pub bound: usize,
    /// Sends that can be on the wire at once, times stops: `max_inflight` (16) per stop.
    pub wire_bound: usize,
    /// Rows still `sending` after the final run stopped.
    pub stuck: usize,
    /// `PRAGMA integrity_check`.
    pub integrity: String,
    /// Wall time of the phase.
    pub wall: Duration,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} stops ({} while sending), {} reminders: lost {}, duplicates {} (bound: {} rows in flight, {} sends on the wire), stuck in sending {}, integrity {}, {:.0} s",
            self.stops,
            self.while_sending,
            self.planned,
            self.lost,
            self.duplicates,
            self.bound,
            self.wire_bound,
            self.stuck,
            self.integrity,
            self.wall.as_secs_f64()
        )
    }
}

/// A local HTTP sink: counts requests per `webhook-id` as they arrive, answers after `delay`.
struct Sink {
    port: u16,
    seen: Arc<Mutex<BTreeMap<String, usize>>>,
    _rt: tokio::runtime::Runtime,
}

impl Sink {
    fn start(delay: Duration) -> Sink {
        use axum::http::HeaderMap;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let seen: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let s = seen.clone();
        let app = axum::Router::new().fallback(move |h: HeaderMap| {
            let s = s.clone();
            async move {
                // Counted on arrival, answered later: a request whose answer a kill cut off was
                // still received, as a vendor would have received it.
                let id = h
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("?")
                    .to_owned();
                *s.lock().unwrap().entry(id).or_default() += 1;
                tokio::time::sleep(delay).await;
                "{}"
            }
        });
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        rt.spawn(async move { axum::serve(listener, app).await });
        Sink {
            port,
            seen,
            _rt: rt,
        }
    }
}

/// One site: config, plan and state in a temp dir.
struct Site {
    dir: tempfile::TempDir,
    hook_url: String,
}

impl Site {
    fn new(units: usize, hook_port: u16, smtp_port: u16) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("plan")).unwrap();
        // `downtime: all`: a reminder missed while the daemon was down (killed) is still sent,
        // so "lost" means lost by dutybell, not dropped by the catch-up policy.
        let mut y = String::from(
            "settings:\n  plan: [plan]\n  state_dir: state\n  horizon_days: 30\n  operator_channel: file\n  downtime: { default: all }\n  reminders:\n    time: \"09:00\"\n    before: [0d]\n    overdue_every: 0d\n    escalate_to: []\nunits:\n",
        );
        for i in 0..units {
            y.push_str(&format!(
                "  - {{ id: u{i:05}, name: 单位{i:05}, kind: section, email: [u{i:05}@example.org], channels: [hook, mail] }}\n"
            ));
        }
        y.push_str(&format!(
            "channels:\n  - {{ id: file, kind: file, dir: outbox }}\n  - {{ id: hook, kind: generic, url: {{ env: CRASH_HOOK_URL }}, concurrency: 16 }}\n  - {{ id: mail, kind: smtp, host: 127.0.0.1, port: {smtp_port}, tls: none, from: {{ name: 督办提醒, email: dutybell@example.org }} }}\n"
        ));
        std::fs::write(dir.path().join("dutybell.yaml"), y).unwrap();
        let mut p = String::from("area: { number: 1, title: 演练 }\ntasks:\n");
        for i in 0..units {
            p.push_str(&format!(
                "  - {{ id: \"1.{}\", title: 演练任务{i}, lead: u{i:05}, deadline: 2026-03-02 }}\n",
                i + 1
            ));
        }
        std::fs::write(dir.path().join("plan/01.yaml"), p).unwrap();
        Site {
            dir,
            hook_url: format!("http://127.0.0.1:{hook_port}/hook"),
        }
    }

    fn cmd(&self, bin: &Path, args: &[&str]) -> Command {
        self.cmd_at(bin, args, DUE)
    }

    fn cmd_at(&self, bin: &Path, args: &[&str], now: &str) -> Command {
        let mut c = Command::new(bin);
        c.args(args)
            .arg("--config")
            .arg(self.dir.path().join("dutybell.yaml"))
            .env("DUTYBELL_NOW", now)
            .env("CRASH_HOOK_URL", &self.hook_url)
            .env("RUST_LOG", "warn,dutybell::daemon=info");
        c
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("state/dutybell.db")
    }

    /// The dedupe keys of every reminder due at 09:00, by channel.
    fn planned(&self, bin: &Path) -> BTreeMap<String, BTreeSet<String>> {
        let out = self
            .cmd(
                bin,
                &[
                    "plan",
                    "--from",
                    "2026-03-02",
                    "--to",
                    "2026-03-02",
                    "--json",
                ],
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in v["reminders"].as_array().unwrap() {
            let key = ["task_id", "occurrence_key", "stage", "recipient", "channel"]
                .map(|k| r[k].as_str().unwrap().to_owned())
                .join("|");
            by.entry(r["channel"].as_str().unwrap().to_owned())
                .or_default()
                .insert(key);
        }
        by
    }
}

/// A daemon run whose stderr goes to a file.
struct Run {
    child: Child,
    log: PathBuf,
}

impl Run {
    fn start(site: &Site, bin: &Path, n: usize) -> Run {
        let log = site.dir.path().join(format!("run-{n}.log"));
        let child = site
            .cmd(bin, &["run"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Run { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, sig: &str) {
        Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `rows=N` of the start-up line "sends were in flight …".
fn recovered(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("sends were in flight"))
        .filter_map(|l| {
            l.split("rows=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum()
}

/// Receipts per reminder identity: the webhook sink's `webhook-id`s, and the `Message-ID`s of
/// the mail the SMTP server stored (mapped back through the planned identities).
fn receipts(
    sink: &Sink,
    smtp: &SmtpServer,
    planned: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeMap<String, usize> {
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for (id, n) in sink.seen.lock().unwrap().iter() {
        *got.entry(percent_decode(id)).or_default() += n;
    }
    let by_mid: BTreeMap<String, String> = planned
        .get("mail")
        .into_iter()
        .flatten()
        .map(|k| {
            (
                dutybell::notify::email::message_id(k, "example.org"),
                k.clone(),
            )
        })
        .collect();
    for raw in smtp.messages() {
        let text = String::from_utf8_lossy(&raw);
        let mid = text
            .lines()
            .find_map(|l| {
                let (name, v) = l.split_once(':')?;
                name.eq_ignore_ascii_case("message-id")
                    .then(|| v.trim().to_owned())
            })
            .unwrap_or_default();
        let key = by_mid.get(&mid).cloned().unwrap_or(mid);
        *got.entry(key).or_default() += 1;
    }
    got
}

/// `webhook-id` back to the notification id (non-ASCII bytes are percent-encoded).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// One phase: `stops` runs each stopped by `sig` (`KILL` or `TERM`) at a random moment, then a
/// final run until everything planned has arrived (or `final_limit`), stopped with SIGTERM.
fn phase(d: &Drill, sig: &str, stops: usize, seed: u64) -> Report {
    let started = Instant::now();
    let sink = Sink::start(d.sink_delay);
    let smtp = SmtpServer::start(&ServerOptions::default());
    let site = Site::new(d.units, sink.port, smtp.port);
    let planned = site.planned(&d.bin);
    let total: usize = planned.values().map(BTreeSet::len).sum();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut r = Report {
        planned: total,
        ..Report::default()
    };
    let received = || receipts(&sink, &smtp, &planned).len();
    // Set-up: the first sync must happen before 09:00, or it stores every reminder as already
    // past (skipped): a daemon started ten minutes early plans them, then stops cleanly.
    let mut setup = site
        .cmd_at(&d.bin, &["run"], SETUP)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = setup.stderr.take().unwrap();
    let mut seen = String::new();
    {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        while !seen.contains("dutybell running") {
            let n = err.read(&mut buf).unwrap();
            assert!(n > 0, "set-up run ended: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
    Command::new("kill")
        .args(["-TERM", &setup.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(setup.wait().unwrap().code(), Some(0), "{seen}");
    for n in 0..stops {
        let run = Run::start(&site, &d.bin, n);
        // Random moments: a third during start-up (migration, plan sync), the rest while the
        // loop claims and sends.
        if rng.u8(0..3) == 0 {
            std::thread::sleep(Duration::from_millis(rng.u64(0..400)));
        } else {
            wait_for(Duration::from_secs(60), || {
                run.log().contains("dutybell running")
            });
            std::thread::sleep(Duration::from_millis(rng.u64(0..300)));
        }
        let sending = received() < total;
        run.signal(sig);
        let mut run = run;
        let _ = run.child.wait();
        r.while_sending += usize::from(sending);
        r.bound += recovered(&run.log());
        r.stops += 1;
    }
    r.wire_bound = r.stops * MAX_INFLIGHT;
    let mut last = Run::start(&site, &d.bin, stops);
    assert!(
        wait_for(Duration::from_secs(120), || last
            .log()
            .contains("dutybell running")),
        "final run did not start: {}",
        last.log()
    );
    let all_in = wait_for(Duration::from_secs(600), || {
        let got = receipts(&sink, &smtp, &planned);
        planned.values().flatten().all(|k| got.contains_key(k))
    });
    // Then until the loop has nothing left to do (every outcome recorded).
    wait_for(Duration::from_secs(60), || last.log().contains(" idle; "));
    last.signal("TERM");
    let code = last.child.wait().unwrap().code();
    assert_eq!(code, Some(0), "final run: {}", last.log());
    r.bound += recovered(&last.log());
    assert!(all_in || !planned.is_empty(), "nothing planned");
    let got = receipts(&sink, &smtp, &planned);
    r.lost = planned
        .values()
        .flatten()
        .filter(|k| !got.contains_key(*k))
        .count();
    r.duplicates = got.values().map(|n| n.saturating_sub(1)).sum();
    let unplanned: Vec<&String> = got
        .keys()
        .filter(|k| !planned.values().any(|s| s.contains(*k)))
        .collect();
    assert!(
        unplanned.is_empty(),
        "received reminders nobody planned: {unplanned:?}"
    );
    let store = dutybell::store::sqlite::SqliteStore::open(site.db()).unwrap();
    let now = "2026-03-03T00:00:00Z".parse().unwrap();
    use dutybell::store::Store;
    r.stuck = store
        .status(now)
        .unwrap()
        .counts
        .iter()
        .filter(|(s, _)| s.as_str() == "sending")
        .map(|(_, n)| *n as usize)
        .sum();
    drop(store);
    r.integrity = dutybell::store::sqlite::fault::integrity_check(&site.db()).unwrap();
    r.wall = started.elapsed();
    r
}

/// Runs the `kill -9` phase (in `rounds`) and the SIGTERM phase.
pub fn run(d: &Drill) -> (Report, Report) {
    let rounds = d.rounds.max(1);
    let mut kills = Report {
        integrity: "ok".into(),
        ..Report::default()
    };
    for round in 0..rounds {
        let share = d.kills / rounds + usize::from(round < d.kills % rounds);
        let r = phase(d, "KILL", share, d.seed.wrapping_add(round as u64));
        println!("  round {}/{rounds}: {r}", round + 1);
        kills.add(&r);
    }
    let terms = phase(d, "TERM", d.terms, d.seed ^ 0x5445_524d);
    (kills, terms)
}

impl Report {
    /// Adds a round's figures (integrity stays `ok` only if every round's was).
    fn add(&mut self, r: &Report) {
        self.stops += r.stops;
        self.while_sending += r.while_sending;
        self.planned += r.planned;
        self.lost += r.lost;
        self.duplicates += r.duplicates;
        self.bound += r.bound;
        self.wire_bound += r.wire_bound;
        self.stuck += r.stuck;
        self.wall += r.wall;
        if r.integrity != "ok" {
            self.integrity = r.integrity.clone();
        }
    }
}
