//! `dutybell event start/end/list` end to end (issue 14), on the real binary and a real SQLite
//! file: the window is recorded, refused when started twice or unknown (exit 2), shown by
//! `status` while open, and `plan` lists the `during:` duties inside it; a step reported done
//! with `progress --done` makes its `after:` follow-up appear in `plan`. Dates hand-checked
//! against the 2026 calendar (07-03 a Friday; 03-12 a Thursday, 10 working days on is 03-26).

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::bin;

const MAIN: &str = r#"
settings:
  plan: [plan]
  state_dir: state
  reminders: { before: [3wd, 0d], overdue_every: 3wd }
units:
  - { name: 县应急管理局, kind: county_bureau, aliases: [县应急局] }
  - { name: 县水利局, kind: county_bureau }
events:
  flood_response: { name: 防汛应急响应, declared: true }
channels:
  - { id: file, kind: file }
"#;

const PLAN: &str = r#"area: { number: 1, title: 防汛 }
tasks:
  - id: "2.1"
    title: 开展防汛应急演练
    lead: 县应急局
    deadline: ongoing
    rules:
      - once: { date: 2026-03-10, name: drill, label: 开展应急演练 }
      - after: { step: drill, within: 10wd, label: 报送演练总结 }
  - id: "4.1"
    title: 应急响应期间每日报告汛情
    lead: 县水利局
    deadline: ongoing
    rules:
      - during: { event: flood_response, label: 报送汛情日报 }
"#;

fn site(dir: &Path) -> std::path::PathBuf {
    std::fs::write(dir.join("dutybell.yaml"), MAIN).unwrap();
    std::fs::create_dir(dir.join("plan")).unwrap();
    std::fs::write(dir.join("plan/p.yaml"), PLAN).unwrap();
    dir.join("dutybell.yaml")
}

fn run(config: &Path, now: &str, args: &[&str]) -> (i32, String, String) {
    let out: Output = Command::new(bin())
        .arg("--config")
        .arg(config)
        .args(["--now", now])
        .args(args)
        .env_remove("DUTYBELL_NOW")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (key, due) of the plan's occurrences due in the range, read from `plan --json`.
fn planned(config: &Path, now: &str, from: &str, to: &str, task: &str) -> Vec<(String, String)> {
    let (code, out, err) = run(
        config,
        now,
        &["plan", "--from", from, "--to", to, "--task", task, "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("plan --json is JSON");
    v["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["key"].as_str().unwrap().to_owned(),
                o["due"].as_str().unwrap().to_owned(),
            )
        })
        .filter(|(_, due)| due.as_str() >= from && due.as_str() <= to)
        .collect()
}

#[test]
fn event_start_list_status_plan_and_end() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    let now = "2026-07-03T08:00";
    let (code, out, _) = run(&config, now, &["event", "list"]);
    assert_eq!((code, out.trim()), (0, "no event has been declared"));
    assert!(planned(&config, now, "2026-07-03", "2026-07-09", "4.1").is_empty());

    let (code, out, err) = run(
        &config,
        now,
        &["event", "start", "flood-response", "--by", "值班室"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("started flood_response (防汛应急响应) from 2026-07-03"),
        "{out}"
    );
    assert!(out.contains("plan synced"), "{out}");
    // Started twice, or a name the config does not declare: usage errors (exit 2).
    let (code, _, err) = run(&config, now, &["event", "start", "flood_response"]);
    assert_eq!(code, 2);
    assert!(err.contains("already under way since 2026-07-03"), "{err}");
    let (code, _, err) = run(&config, now, &["event", "start", "typhoon"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown event `typhoon`") && err.contains("flood_response (防汛应急响应)"),
        "{err}"
    );

    let (code, out, err) = run(&config, "2026-07-03T08:30", &["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("events under way:"), "{out}");
    assert!(
        out.contains("flood_response (防汛应急响应)  2026-07-03 – under way  started by 值班室"),
        "{out}"
    );
    // The daily report is planned every day of the open window.
    let days = planned(&config, now, "2026-07-03", "2026-07-05", "4.1");
    assert_eq!(
        days,
        vec![
            ("4.1@flood_response-2026-07-03".into(), "2026-07-03".into()),
            ("4.1@flood_response-2026-07-04".into(), "2026-07-04".into()),
            ("4.1@flood_response-2026-07-05".into(), "2026-07-05".into()),
        ]
    );

    // Ended on 07-04: the 07-04 report is the last one; status no longer lists the event.
    let later = "2026-07-04T18:00";
    let (code, out, err) = run(&config, later, &["event", "end", "防汛应急响应"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("ended flood_response (防汛应急响应) on 2026-07-04"),
        "{out}"
    );
    let (code, _, err) = run(&config, later, &["event", "end", "flood_response"]);
    assert_eq!(code, 2);
    assert!(err.contains("not under way"), "{err}");
    let days = planned(&config, later, "2026-07-03", "2026-07-09", "4.1");
    assert_eq!(
        days.iter().map(|(_, d)| d.as_str()).collect::<Vec<_>>(),
        ["2026-07-03", "2026-07-04"]
    );
    let (_, out, _) = run(&config, later, &["status"]);
    assert!(!out.contains("events under way"), "{out}");
    let (code, out, _) = run(&config, later, &["event", "list"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("flood_response (防汛应急响应)  2026-07-03 – 2026-07-04  started by 值班室, ended by cli"),
        "{out}"
    );
    let rows = |state: &str| {
        let (code, out, err) = run(
            &config,
            later,
            &["outbox", "--state", state, "--limit", "5000"],
        );
        assert_eq!(code, 0, "{err}");
        out
    };
    // Two due reminders stay: 07-03's, and 07-04's (a Saturday: sent Mon 07-06 09:00). The
    // later days' rows were removed from the plan.
    let pending = rows("pending");
    let due: Vec<&str> = pending
        .lines()
        .filter(|l| l.contains(" 4.1 ") && l.contains(" due "))
        .collect();
    assert_eq!(due.len(), 2, "{pending}");
    assert!(
        due[0].contains("2026-07-03 09:00") && due[1].contains("2026-07-06 09:00"),
        "{pending}"
    );
    assert!(rows("cancelled").lines().any(|l| l.contains(" 4.1 ")
        && l.contains("2026-07-07")
        && l.contains("removed from the plan")));
}

#[test]
fn a_step_reported_done_brings_its_follow_up_into_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let config = site(dir.path());
    // Any plan sync puts the drill's occurrence into the store; declaring the event syncs.
    let (code, _, err) = run(
        &config,
        "2026-03-09T08:00",
        &["event", "start", "flood_response"],
    );
    assert_eq!(code, 0, "{err}");
    let now = "2026-03-12T10:00";
    assert_eq!(
        planned(&config, now, "2026-03-01", "2026-04-30", "2.1"),
        vec![("2.1@2026-03-10".to_string(), "2026-03-10".to_string())]
    );
    let (code, _, err) = run(
        &config,
        now,
        &[
            "progress",
            "2.1",
            "--done",
            "--note",
            "演练已完成",
            "--occurrence",
            "2.1@2026-03-10",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        planned(&config, now, "2026-03-01", "2026-04-30", "2.1"),
        vec![
            ("2.1@2026-03-10".to_string(), "2026-03-10".to_string()),
            ("2.1@2026-03-10-then".to_string(), "2026-03-26".to_string()),
        ]
    );
}
