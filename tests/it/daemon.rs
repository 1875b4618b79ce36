//! The real binary as a daemon: end-to-end delivery to the file channel, SIGTERM, SIGHUP reloads,
//! downtime catch-up, progress stopping reminders, and the kill -9 crash test.

use dutybell::store::Store;
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
            y.push_str(&format!(
                "  - {{ id: u{i:03}, name: 单位{i:03}, kind: section }}\n"
            ));
        }
        y.push_str("groups:\n  - id: everyone\n    name: 全体\n    members: [");
        y.push_str(
            &(0..units)
                .map(|i| format!("u{i:03}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
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
        c.args(args)
            .arg("--config")
            .arg(self.config())
            .env("DUTYBELL_NOW", now)
            .env("RUST_LOG", "warn");
        c
    }

    pub fn start(&self, now: &str) -> Child {
        self.cmd(&["run"], now)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Dedupe keys of reminders due at or before `now_local` on 2027-03-01, from `dutybell plan`.
    pub fn planned_due(&self, upto: &str) -> BTreeSet<String> {
        let out = self
            .cmd(
                &[
                    "plan",
                    "--from",
                    "2027-02-01",
                    "--to",
                    "2027-03-01",
                    "--json",
                ],
                "2027-02-01T00:00:00+08:00",
            )
            .output()
            .unwrap();
        crate::helpers::succeeded(&out);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let upto: jiff::Timestamp = upto.parse().unwrap();
        v["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["at"]
                    .as_str()
                    .unwrap()
                    .parse::<jiff::Timestamp>()
                    .unwrap()
                    <= upto
            })
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
        // Operator alerts (e.g. the weekly "next year's holidays are missing" one for these
        // 2027 test dates) share the file channel but are not reminders.
        if name.starts_with('.') || name.starts_with("operator_") {
            continue;
        }
        match name.split_once(".dup") {
            Some(_) => dups += 1,
            None => {
                // Issue 12: a grouped reminder is one file covering several reminders; count
                // each member (its base name) so "every planned reminder went out" still holds.
                let members = group_members(&e.path());
                if members.is_empty() {
                    first.insert(name.trim_end_matches(".json").to_string());
                }
                first.extend(members);
            }
        }
    }
    (first, dups)
}

/// The file base names of the reminders a grouped message covers (empty for a single one).
fn group_members(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let found = ["/data/members", "/notification/data/members"]
        .iter()
        .find_map(|p| v.pointer(p).and_then(|m| m.as_array()).cloned())
        .unwrap_or_default();
    found
        .iter()
        .filter_map(|m| m.as_str())
        .map(dutybell::notify::file::FileChannel::base_name)
        .collect()
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
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
}

const DUE: &str = "2027-03-01T09:00:00+08:00";

/// Where a first start begins: two seconds before [`DUE`], so the reminders are sent at their
/// instant, not late. (Until session 13 a first plan sync after `DUE` skipped them as "past due
/// when planned"; now it plans them pending within `model::JUST_DUE`: see
/// [`a_first_start_seconds_after_the_due_instant_still_sends_its_reminders`].)
pub const START: &str = "2027-03-01T08:59:58+08:00";

/// Starts a fresh site of 5 units × 3 tasks at `start`, waits until the 15 reminders due at
/// [`DUE`] are delivered, stops the daemon with SIGTERM (exit 0) and checks that each arrived
/// exactly once; returns the site.
fn first_start_delivers_the_due_reminders(start: &str) -> Site {
    let site = Site::new(5, 3);
    let expected: BTreeSet<String> = site
        .planned_due(DUE)
        .iter()
        .map(|k| FileChannel::base_name(k))
        .collect();
    assert_eq!(expected.len(), 15, "3 tasks × 5 units due at 09:00");
    let mut child = site.start(start);
    assert!(
        wait_for(Duration::from_secs(30), || delivered(&site.outbox())
            .0
            .len()
            >= expected.len()),
        "not delivered: {:?}",
        delivered(&site.outbox()).0
    );
    sigterm(&child);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let (got, dups) = delivered(&site.outbox());
    assert_eq!(got, expected);
    assert_eq!(dups, 0);
    site
}

#[test]
fn run_delivers_exactly_the_planned_reminders_and_stops_on_sigterm() {
    let site = first_start_delivers_the_due_reminders(START);
    let one = std::fs::read_dir(site.outbox())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let n: serde_json::Value = serde_json::from_slice(&std::fs::read(one).unwrap()).unwrap();
    assert!(n["text"].as_str().unwrap().contains("测试任务"), "{n}");
}

/// A first start five seconds after the reminders' instant (an install, or a start-up slowed by
/// a busy machine) still sends them: a reminder that fell due less than `model::JUST_DUE` ago is
/// planned pending, not past. Before, the first sync skipped all 15 as "past due when planned"
/// and the daemon said nothing.
#[test]
fn a_first_start_seconds_after_the_due_instant_still_sends_its_reminders() {
    first_start_delivers_the_due_reminders("2027-03-01T09:00:05+08:00");
}

#[test]
fn a_bad_config_exits_2_before_doing_anything() {
    let site = Site::new(2, 1);
    std::fs::write(
        site.config(),
        "settings: { plan: [plan] }\nunits: [ { id: x } ]\n",
    )
    .unwrap();
    let out = site.cmd(&["run"], DUE).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!site.dir.path().join("state/dutybell.db").exists());
}

/// A running daemon whose stderr is collected in the background.
struct Running {
    child: Child,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Running {
    fn start(site: &Site, now: &str) -> Running {
        Self::start_logging(site, now, "info")
    }

    /// With `RUST_LOG=debug` the loop logs `waiting` each time it goes to sleep, so a test can
    /// tell that a whole turn (digests, claims) has run without waiting on the clock.
    fn start_logging(site: &Site, now: &str, level: &str) -> Running {
        let mut child = site
            .cmd(&["run"], now)
            .env("RUST_LOG", level)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (mut err, sink) = (child.stderr.take().unwrap(), log.clone());
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Running { child, log }
    }

    fn wait_log(&self, needle: &str, times: usize) -> bool {
        wait_for(Duration::from_secs(30), || {
            self.log.lock().unwrap().matches(needle).count() >= times
        })
    }

    fn stop(mut self) -> i32 {
        sigterm(&self.child);
        self.child.wait().unwrap().code().unwrap_or(-1)
    }
}

impl Drop for Running {
    /// A failed assertion must not leave the daemon running (after `stop` this is a no-op).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn store_of(site: &Site) -> dutybell::store::sqlite::SqliteStore {
    dutybell::store::sqlite::SqliteStore::open(site.dir.path().join("state/dutybell.db")).unwrap()
}

fn rows(site: &Site, state: &str) -> Vec<dutybell::store::OutboxItem> {
    let s = dutybell::store::OutboxState::parse(state).unwrap();
    store_of(site).list_outbox(Some(s), 100_000).unwrap()
}

const BEFORE: &str = "2027-02-15T08:00:00+08:00";

/// Removes task `id` from `site`'s plan file (an edit the office makes).
fn drop_task(site: &Site, id: &str) {
    let path = site.dir.path().join("plan/01.yaml");
    let plan = std::fs::read_to_string(&path).unwrap();
    let edited: String = plan
        .lines()
        .filter(|l| !l.contains(&format!("\"{id}\"")))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(path, edited).unwrap();
}

#[test]
fn sighup_with_a_bad_config_keeps_the_old_plan_and_an_edit_changes_future_reminders_only() {
    let site = Site::new(3, 3);
    let d = Running::start(&site, BEFORE);
    assert!(d.wait_log("plan synced", 1), "{}", d.log.lock().unwrap());
    // After the sync the loop still enqueues this week's digests and the periodic ticks' rows:
    // count once it has gone idle, or the count races them.
    assert!(d.wait_log("idle", 1), "{}", d.log.lock().unwrap());
    let pending = rows(&site, "pending").len();
    assert!(pending >= 9, "{pending}");
    let good = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        good.replace("kind: section", "kind: sektion"),
    )
    .unwrap();
    Command::new("kill")
        .arg("-HUP")
        .arg(d.child.id().to_string())
        .status()
        .unwrap();
    assert!(d.wait_log("reload refused", 1), "{}", d.log.lock().unwrap());
    assert_eq!(
        rows(&site, "pending").len(),
        pending,
        "nothing changed after a bad reload"
    );
    assert!(rows(&site, "cancelled").is_empty());
    // A good edit: task 1.3 removed from the plan.
    std::fs::write(site.config(), &good).unwrap();
    drop_task(&site, "1.3");
    Command::new("kill")
        .arg("-HUP")
        .arg(d.child.id().to_string())
        .status()
        .unwrap();
    assert!(d.wait_log("plan synced", 2), "{}", d.log.lock().unwrap());
    let cancelled = rows(&site, "cancelled");
    assert!(
        !cancelled.is_empty() && cancelled.iter().all(|r| r.task_id == "1.3"),
        "{cancelled:?}"
    );
    assert!(rows(&site, "pending").iter().all(|r| r.task_id != "1.3"));
    assert_eq!(d.stop(), 0);
}

/// Start-up honours the inputs hash: a restart on the same configuration and week finds the
/// stored plan current and does not re-plan the horizon (with 833,000 rows that forced re-plan
/// took 28 s and 728 MiB before READY); an edited plan is planned again at the next start.
#[test]
fn a_restart_with_unchanged_inputs_does_not_replan() {
    let site = Site::new(2, 2);
    let d = Running::start(&site, BEFORE);
    assert!(d.wait_log("plan synced", 1), "{}", d.log.lock().unwrap());
    assert!(d.wait_log("idle", 1), "{}", d.log.lock().unwrap());
    assert_eq!(d.stop(), 0);
    let pending = rows(&site, "pending").len();
    let d = Running::start(&site, BEFORE);
    assert!(
        d.wait_log("plan unchanged since the last sync", 1),
        "{}",
        d.log.lock().unwrap()
    );
    assert!(d.wait_log("dutybell running", 1));
    assert!(!d.log.lock().unwrap().contains("plan synced"));
    assert_eq!(d.stop(), 0);
    assert_eq!(rows(&site, "pending").len(), pending);
    // An edit is seen at the next start.
    drop_task(&site, "1.2");
    let d = Running::start(&site, BEFORE);
    assert!(d.wait_log("plan synced", 1), "{}", d.log.lock().unwrap());
    assert_eq!(d.stop(), 0);
    assert!(rows(&site, "cancelled").iter().any(|r| r.task_id == "1.2"));
}

#[test]
fn progress_done_cancels_the_occurrences_remaining_reminders() {
    let site = Site::new(2, 2);
    let d = Running::start(&site, BEFORE);
    assert!(d.wait_log("plan synced", 1));
    let out = site
        .cmd(
            &[
                "progress",
                "1.1",
                "--note",
                "已完成",
                "--done",
                "--occurrence",
                "1.1@deadline",
                "--by",
                "张三",
            ],
            BEFORE,
        )
        .output()
        .unwrap();
    crate::helpers::succeeded(&out);
    let pending = rows(&site, "pending");
    assert!(
        pending.iter().all(|r| r.task_id == "1.2"),
        "1.1 rows still pending: {pending:?}"
    );
    assert!(rows(&site, "cancelled").iter().any(|r| r.task_id == "1.1"));
    assert_eq!(d.stop(), 0);
}

/// Downtime: the daemon ran before 03-01, then was down until 03-05 10:00; the `due` (03-01) and
/// `overdue-1` (03-04) reminders fell due meanwhile.
fn downtime(policy: &str) -> (Vec<String>, usize) {
    let site = Site::new(1, 1);
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        cfg.replace("default: late", &format!("default: {policy}")),
    )
    .unwrap();
    let d = Running::start(&site, BEFORE);
    assert!(d.wait_log("plan synced", 1));
    assert_eq!(d.stop(), 0);
    let d = Running::start(&site, "2027-03-05T10:00:00+08:00");
    assert!(d.wait_log("plan synced", 1));
    // The task's two missed rows only: the calendar-year operator alerts (2027 has no holiday
    // data; one per start, to the same file channel) once made the count while the 补发
    // reminder was still in flight (CI, stop 25).
    let settled = |s: &Site, state: &str| {
        rows(s, state)
            .into_iter()
            .filter(|r| r.task_id == "1.1")
            .count()
    };
    let done = |s: &Site| settled(s, "sent") + settled(s, "skipped");
    assert!(
        wait_for(Duration::from_secs(30), || done(&site) >= 2),
        "{}",
        d.log.lock().unwrap()
    );
    assert_eq!(d.stop(), 0);
    let subjects = messages(&site)
        .iter()
        .map(|n| n["subject"].as_str().unwrap().to_string())
        .collect();
    (subjects, settled(&site, "skipped"))
}

#[test]
fn downtime_late_sends_the_latest_missed_reminder_once_marked_late() {
    let (subjects, skipped) = downtime("late");
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(subjects[0].contains("【补发】"), "{subjects:?}");
    assert_eq!(skipped, 1, "the earlier `due` reminder is superseded");
}

#[test]
fn downtime_skip_sends_nothing_missed() {
    let (subjects, skipped) = downtime("skip");
    assert!(subjects.is_empty(), "{subjects:?}");
    assert_eq!(skipped, 2);
}

#[test]
fn downtime_all_sends_every_missed_reminder() {
    let (subjects, skipped) = downtime("all");
    // Issue 12: both missed reminders go out, as ONE backlog summary (no flood after downtime).
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert!(
        subjects[0].contains("截至今日仍未办结的2项"),
        "{subjects:?}"
    );
    assert_eq!(skipped, 0);
}

/// The crash test: 1,000 reminders due at once, `kill -9` at random moments while sending, 20
/// times, restarting each time. At the end every planned reminder was delivered at least once,
/// and the duplicates are no more than the rows that were in flight at the kills (which the next
/// start reports as recovered), itself at most `max_inflight` (16) per kill.
#[test]
fn kill_9_twenty_times_loses_nothing_and_bounds_duplicates() {
    const KILLS: usize = 20;
    const MAX_INFLIGHT: usize = 16;
    let site = Site::new(100, 10);
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    // Only the due-day stage: 1,000 reminders at 09:00.
    let cfg = cfg
        .replace("overdue_every: 3wd", "overdue_every: 0d")
        .replace("escalate_to: [head]", "escalate_to: []");
    std::fs::write(site.config(), cfg).unwrap();
    let expected: BTreeSet<String> = site
        .planned_due(DUE)
        .iter()
        .map(|k| FileChannel::base_name(k))
        .collect();
    assert_eq!(expected.len(), 1000);
    let mut rng = fastrand::Rng::with_seed(0x6475_7479);
    let (mut while_sending, mut recovered) = (0, 0);
    for kill in 0..KILLS {
        // The first start plans the rows; the later ones find them planned.
        let d = Running::start(&site, if kill == 0 { START } else { DUE });
        assert!(
            d.wait_log("dutybell running", 1),
            "{}",
            d.log.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(rng.u64(1..40)));
        Command::new("kill")
            .arg("-KILL")
            .arg(d.child.id().to_string())
            .status()
            .unwrap();
        let mut d = d;
        d.child.wait().unwrap();
        if delivered(&site.outbox()).0.len() < expected.len() {
            while_sending += 1;
        }
        recovered += in_flight_recovered(&d.log.lock().unwrap());
    }
    let d = Running::start(&site, DUE);
    assert!(
        wait_for(Duration::from_secs(120), || delivered(&site.outbox())
            .0
            .len()
            >= expected.len()),
        "not all delivered"
    );
    recovered += in_flight_recovered(&d.log.lock().unwrap());
    assert_eq!(d.stop(), 0);
    let (got, dups) = delivered(&site.outbox());
    let lost = expected.difference(&got).count();
    println!(
        "crash test: {KILLS} × kill -9 ({while_sending} while sending), {} planned, {} delivered, {lost} lost, \
         {dups} duplicates; {recovered} rows were in flight at the kills (bound {})",
        expected.len(),
        got.len(),
        KILLS * MAX_INFLIGHT * dutybell::service::group::CLAIM_ROWS_PER_SLOT
    );
    assert_eq!(lost, 0);
    let unplanned: Vec<_> = got.difference(&expected).collect();
    assert!(
        unplanned.is_empty(),
        "nothing unplanned was sent: {unplanned:?}"
    );
    assert!(
        // A claim takes up to CLAIM_ROWS_PER_SLOT rows per free send slot (grouped sends).
        dups <= recovered
            && recovered <= KILLS * MAX_INFLIGHT * dutybell::service::group::CLAIM_ROWS_PER_SLOT,
        "{dups} duplicates, {recovered} recovered"
    );
    assert!(
        while_sending >= 10,
        "only {while_sending} kills landed while sending"
    );
}

/// The `rows=N` of the start-up line "sends were in flight …".
fn in_flight_recovered(log: &str) -> usize {
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

/// The bundled config with its state in a temp dir.
fn bundled_site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let text = crate::helpers::bundled_config_text(&dir.path().join("state"));
    std::fs::write(dir.path().join("dutybell.yaml"), text).unwrap();
    Site { dir }
}

/// Every message the file channel wrote, parsed.
fn messages(site: &Site) -> Vec<serde_json::Value> {
    std::fs::read_dir(site.outbox())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            serde_json::from_slice::<serde_json::Value>(&std::fs::read(e.path()).unwrap()).unwrap()
        })
        // Operator alerts share the file channel but are not reminders (see `delivered`).
        .filter(|n| n["kind"] != "operator_alert")
        .collect()
}

fn digest_files(site: &Site) -> Vec<serde_json::Value> {
    messages(site)
        .into_iter()
        .filter(|n| n["kind"] == "digest")
        .collect()
}

/// Digest readers of the bundled config: 7 section heads and 8 office heads (the weekly digest)
/// and the 局领导 (the bureau digest), one channel each.
const READERS: usize = 16;

#[test]
fn the_weekly_digest_goes_out_once_per_head_per_week_and_after_downtime() {
    let site = bundled_site();
    // Monday 2026-09-07 08:30: the digest is due.
    let d = Running::start(&site, "2026-09-07T08:30:00+08:00");
    assert!(
        wait_for(Duration::from_secs(60), || digest_files(&site).len()
            >= READERS),
        "{}",
        d.log.lock().unwrap()
    );
    assert_eq!(d.stop(), 0);
    let first = digest_files(&site);
    assert_eq!(
        first.len(),
        READERS,
        "one per section and office head, one to the 局领导"
    );
    let bureau = first
        .iter()
        .filter(|n| n["id"].as_str().unwrap().starts_with("digest|bureau|"));
    assert_eq!(bureau.count(), 1, "the bureau digest, once");
    assert!(
        first
            .iter()
            .all(|n| n["kind"] == "digest" && n["subject"].as_str().unwrap().contains("督办周报"))
    );
    // A second start in the same week (a second cron tick, a restart) adds nothing.
    let d = Running::start_logging(&site, "2026-09-08T10:00:00+08:00", "debug");
    assert!(d.wait_log("waiting", 1), "{}", d.log.lock().unwrap());
    assert_eq!(d.stop(), 0);
    assert_eq!(digest_files(&site).len(), READERS);
    // Down over the next Monday: the W38 digest is caught up once, marked late.
    let d = Running::start(&site, "2026-09-16T10:00:00+08:00");
    assert!(
        wait_for(Duration::from_secs(60), || digest_files(&site).len()
            >= 2 * READERS),
        "{}",
        d.log.lock().unwrap()
    );
    assert_eq!(d.stop(), 0);
    let all = digest_files(&site);
    assert_eq!(all.len(), 2 * READERS);
    let late = all
        .iter()
        .filter(|n| n["subject"].as_str().unwrap().starts_with("【补发】"))
        .count();
    assert_eq!(late, READERS, "the missed week's digests say so");
}

#[test]
fn a_permanent_failure_goes_dead_and_alerts_the_operator_channel() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = rt.block_on(crate::webhook::server::Server::start());
    let url = http.on("gone", crate::webhook::server::Scenario::status(404));
    let site = Site::new(1, 1);
    let cfg = std::fs::read_to_string(site.config()).unwrap().replace(
        "  - { id: u000, name: 单位000, kind: section }\n",
        "  - { id: u000, name: 单位000, kind: section, channels: [hook] }\n",
    ) + "  - { id: hook, kind: generic, url: { env: DUTYBELL_TEST_HOOK } }\n";
    std::fs::write(site.config(), cfg).unwrap();
    let mut child = site
        .cmd(&["run"], START)
        .env("DUTYBELL_TEST_HOOK", format!("{url}/x"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let alert = || {
        std::fs::read_dir(site.outbox())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("operator_"))
            .filter_map(|e| std::fs::read(e.path()).ok())
            .filter_map(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            // The dead-row alert, not the weekly calendar one these 2027 dates also raise.
            .find(|n| {
                n["kind"] == "operator_alert"
                    && n["subject"]
                        .as_str()
                        .is_some_and(|s| s.contains("放弃投递"))
            })
    };
    assert!(
        wait_for(Duration::from_secs(30), || alert().is_some()),
        "no operator alert: {:?}",
        std::fs::read_dir(site.outbox())
            .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
    );
    sigterm(&child);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let dead = rows(&site, "dead");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].channel, "hook");
    let body = alert().unwrap()["text"].as_str().unwrap().to_string();
    assert!(
        body.contains(&format!("dutybell outbox retry {}", dead[0].id)),
        "{body}"
    );
    assert!(!http.hits("gone").is_empty());
}

#[test]
fn systemd_notify_ready_status_reloading_and_stopping() {
    use std::os::unix::net::UnixDatagram;
    let site = Site::new(2, 1);
    let sock_path = site.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut child = site
        .cmd(&["run"], BEFORE)
        .env("NOTIFY_SOCKET", &sock_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = String::new();
    let recv_until = |needle: &str, seen: &mut String| {
        let mut buf = [0u8; 4096];
        while !seen.contains(needle) {
            let n = sock
                .recv(&mut buf)
                .unwrap_or_else(|e| panic!("waiting for {needle}: {e}; got {seen}"));
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            seen.push('\n');
        }
    };
    recv_until("READY=1", &mut seen);
    recv_until("STATUS=next: 1.1", &mut seen);
    Command::new("kill")
        .arg("-HUP")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    recv_until("RELOADING=1", &mut seen);
    assert!(seen.contains("MONOTONIC_USEC="), "{seen}");
    sigterm(&child);
    recv_until("STOPPING=1", &mut seen);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// After the first start's burst (the backlog's summaries, 补发 and the week's digests) the daemon
/// sleeps until its next real reason, the 6-hourly plan re-check at 12:00. It used to keep the
/// renewal instant of the burst's leases, gone with the last send, and woke once for nothing a
/// minute later (`until=2026-07-01 10:01`, in two of three starts).
#[test]
fn after_the_first_burst_the_daemon_sleeps_until_its_next_real_reason() {
    let site = bundled_site();
    let d = Running::start(&site, "2026-07-01T10:00:00+08:00");
    assert!(d.wait_log("idle;", 1), "{}", d.log.lock().unwrap());
    let log = d.log.lock().unwrap().clone();
    assert!(
        messages(&site).len() > 10,
        "the first start sends its backlog:\n{log}"
    );
    let first_idle = log.lines().find(|l| l.contains("idle;")).unwrap();
    assert!(
        first_idle.contains("until=2026-07-01 12:00"),
        "the first idle line:\n{first_idle}\n\n{log}"
    );
    assert_eq!(d.stop(), 0);
}
