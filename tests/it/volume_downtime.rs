//! A long downtime (issue 12) with the real binary on a manual clock (`dutybell run --now`): the
//! daemon runs on Monday 2026-03-02, stops, and starts again 42 days later. Its reminders older
//! than the 14-day grace were dropped before; now the work still open and overdue is summarised
//! in ONE message per recipient and channel (截至今日仍未办结的N项), every item red as of that
//! day (a summary showed 黄 for work already overdue), the old rows are recorded as summarised,
//! and the week's digest reaches every reader once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dutybell::store::{OutboxState, Store};

use crate::daemon::wait_for;
use crate::helpers::{bin, bundled_config_text};

/// `dutybell run --now NOW` until its loop has sent everything due and gone to sleep.
fn run_once(config: &Path, now: &str) {
    let mut child: Child = Command::new(bin())
        .arg("--config")
        .arg(config)
        .args(["run", "--now", now])
        .env("RUST_LOG", "info,dutybell=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let (mut err, sink) = (child.stderr.take().unwrap(), log.clone());
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 8192];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    // Asleep with nothing in flight: the turn's catch-up, digests and sends are done.
    let idle = wait_for(Duration::from_secs(120), || {
        let log = log.lock().unwrap();
        log.lines()
            .any(|l| l.contains("waiting") && l.contains("in_flight=0"))
            && log.contains("sent")
    });
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let log = log.lock().unwrap().clone();
    assert!(idle, "the daemon did not settle:\n{log}");
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

fn messages(dir: &Path) -> BTreeMap<PathBuf, serde_json::Value> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let n = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            (p, n)
        })
        .collect()
}

#[test]
fn a_start_after_a_long_downtime_summarises_the_open_overdue_work_once() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let config = dir.path().join("dutybell.yaml");
    std::fs::write(&config, bundled_config_text(&state)).unwrap();
    run_once(&config, "2026-03-02T09:30");
    let before: BTreeSet<PathBuf> = messages(&state.join("outbox")).into_keys().collect();
    assert!(!before.is_empty());
    // Stopped for six weeks; every reminder of March and early April is missed.
    run_once(&config, "2026-04-13T09:30");
    let after = messages(&state.join("outbox"));
    let new: Vec<&serde_json::Value> = after
        .iter()
        .filter(|(p, _)| !before.contains(*p))
        .map(|(_, n)| n)
        .collect();
    let mut summaries: BTreeMap<String, &serde_json::Value> = BTreeMap::new();
    let mut digests: BTreeMap<String, usize> = BTreeMap::new();
    for n in &new {
        let id = n["id"].as_str().unwrap();
        if let Some(rest) = id.strip_prefix("backlog|") {
            // backlog|RECIPIENT|CHANNEL|DAY: one per recipient and channel, today's.
            let (who, day) = rest.rsplit_once('|').unwrap();
            assert_eq!(day, "2026-04-13", "{id}");
            assert!(
                summaries.insert(who.to_owned(), n).is_none(),
                "two for {who}"
            );
        } else if n["kind"] == "digest" {
            *digests.entry(id.to_owned()).or_default() += 1;
        } else {
            // Nothing else of before the restart is flushed one by one as 补发.
            let subject = n["subject"].as_str().unwrap();
            assert!(!subject.contains("补发"), "{subject}");
        }
    }
    assert!(summaries.len() >= 20, "{} summaries", summaries.len());
    for (who, n) in &summaries {
        let count = n["data"]["count"].as_u64().unwrap();
        let subject = n["subject"].as_str().unwrap();
        assert!(
            subject.contains(&format!("截至今日仍未办结的{count}项")),
            "{who}: {subject}"
        );
        let items = n["data"]["items"].as_array().unwrap();
        assert_eq!(items.len() as u64, count, "{who}");
        for it in items {
            assert!(it["due"].as_str().unwrap() < "2026-04-13", "{who}: {it}");
            // Red as of today, whatever colour its last reminder had (issue 12).
            assert_eq!(it["colour"], "red", "{who}: {it}");
        }
        let text = n["text"].as_str().unwrap();
        assert!(
            !text.contains("【黄】") && !text.contains("【蓝】"),
            "{who}:\n{text}"
        );
    }
    // 食品室's summary carries work overdue since before the downtime began (2025's included).
    let food = summaries["food|file"];
    assert!(food["data"]["count"].as_u64().unwrap() >= 10, "{food}");
    // The week's digests reached every reader once (15 heads and the 局领导).
    assert_eq!(digests.len(), 16, "{digests:?}");
    assert!(digests.values().all(|&c| c == 1), "{digests:?}");
    // The rows the grace used to drop are recorded as summarised, none left pending from March.
    let store = dutybell::store::sqlite::SqliteStore::open(state.join("dutybell.db")).unwrap();
    let rows = store.list_outbox(None, 100_000).unwrap();
    let summarised = rows
        .iter()
        .filter(|r| {
            r.state == OutboxState::Skipped
                && r.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("summarised in the backlog message"))
        })
        .count();
    assert!(summarised > 0, "no row recorded as summarised");
    let march_pending = rows.iter().filter(|r| {
        r.state == OutboxState::Pending && r.fire_at < "2026-04-01T00:00:00+08:00".parse().unwrap()
    });
    assert_eq!(march_pending.count(), 0);
}
