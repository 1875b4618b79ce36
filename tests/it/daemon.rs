//! The real binary as a daemon: end-to-end delivery to the file channel, SIGTERM, SIGHUP reloads,
//! downtime catch-up, progress stopping reminders, and the kill -9 crash test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dutybell::notify::file::FileChannel;

use crate::helpers::bin;

/// A temp state dir with a config whose plan has `tasks` deadline tasks led by a group of
/// `units` units, all due on 2027-03-01 (a Monday) with one reminder stage on the day.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    pub fn new(units: usize, tasks: usize) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("plan")).unwrap();
        let mut y = String::from(
            "settings:\n  plan: [plan]\n  state_dir: state\n  horizon_days: 30\n  downtime: { default: late, grace: 14d }\n  reminders:\n    time: \"09:00\"\n    before: [0d]\n    overdue_every: 3wd\n    escalate_after: 5wd\n    escalate_to: [head]\nunits:\n",
        );
        for i in 0..units {
            y.push_str(&format!("  - {{ id: u{i:03}, name: 单位{i:03}, kind: section }}\n"));
        }
        y.push_str("groups:\n  - id: everyone\n    name: 全体\n    members: [");
        y.push_str(&(0..units).map(|i| format!("u{i:03}")).collect::<Vec<_>>().join(", "));
        y.push_str("]\nchannels:\n  - { id: file, kind: file, dir: outbox }\n");
        std::fs::write(dir.path().join("dutybell.yaml"), y).unwrap();
        let mut p = String::from("area: { number: 1, title: 测试 }\ntasks:\n");
        for t in 1..=tasks {
            p.push_str(&format!("  - {{ id: \"1.{t}\", title: 测试任务{t}, lead: everyone, deadline: 2027-03-01 }}\n"));
        }
        std::fs::write(dir.path().join("plan/01.yaml"), p).unwrap();
        Site { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("dutybell.yaml")
    }

    pub fn outbox(&self) -> PathBuf {
        self.dir.path().join("state/outbox")
    }

    pub fn cmd(&self, args: &[&str], now: &str) -> Command {
        let mut c = Command::new(bin());
        c.args(args).arg("--config").arg(self.config()).env("DUTYBELL_NOW", now).env("RUST_LOG", "warn");
        c
    }

    pub fn start(&self, now: &str) -> Child {
        self.cmd(&["run"], now).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
    }

    /// Dedupe keys of reminders due at or before `now_local` on 2027-03-01, from `dutybell plan`.
    pub fn planned_due(&self, upto: &str) -> BTreeSet<String> {
        let out = self.cmd(&["plan", "--from", "2027-02-01", "--to", "2027-03-01", "--json"], "2027-02-01T00:00:00+08:00").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let upto: jiff::Timestamp = upto.parse().unwrap();
        v["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap() <= upto)
            .map(|r| {
                format!(
                    "{}|{}|{}|{}|{}",
                    r["task_id"].as_str().unwrap(),
                    r["occurrence_key"].as_str().unwrap(),
                    r["stage"].as_str().unwrap(),
                    r["recipient"].as_str().unwrap(),
                    r["channel"].as_str().unwrap()
                )
            })
            .collect()
    }
}

/// Files in the outbox: (first deliveries by base name, number of duplicate files).
pub fn delivered(dir: &Path) -> (BTreeSet<String>, usize) {
    let mut first = BTreeSet::new();
    let mut dups = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().into_string().unwrap();
        if name.starts_with('.') {
            continue;
        }
        match name.split_once(".dup") {
            Some(_) => dups += 1,
            None => {
                first.insert(name.trim_end_matches(".json").to_string());
            }
        }
    }
    (first, dups)
}

/// Poll `cond` every 20 ms for at most `limit` (process start-up and file writes, not schedules).
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

fn sigterm(child: &Child) {
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
}

const DUE: &str = "2027-03-01T09:00:00+08:00";

#[test]
fn run_delivers_exactly_the_planned_reminders_and_stops_on_sigterm() {
    let site = Site::new(5, 3);
    let expected: BTreeSet<String> = site.planned_due(DUE).iter().map(|k| FileChannel::base_name(k)).collect();
    assert_eq!(expected.len(), 15, "3 tasks × 5 units due at 09:00");
    let mut child = site.start(DUE);
    assert!(wait_for(Duration::from_secs(30), || delivered(&site.outbox()).0.len() >= expected.len()), "not delivered in time");
    sigterm(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let (got, dups) = delivered(&site.outbox());
    assert_eq!(got, expected);
    assert_eq!(dups, 0);
    let one = std::fs::read_dir(site.outbox()).unwrap().next().unwrap().unwrap().path();
    let n: serde_json::Value = serde_json::from_slice(&std::fs::read(one).unwrap()).unwrap();
    assert!(n["subject"].as_str().unwrap().contains("测试任务"), "{n}");
}

#[test]
fn a_bad_config_exits_2_before_doing_anything() {
    let site = Site::new(2, 1);
    std::fs::write(site.config(), "settings: { plan: [plan] }\nunits: [ { id: x } ]\n").unwrap();
    let out = site.cmd(&["run"], DUE).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!site.dir.path().join("state/dutybell.db").exists());
}
