//! The volume budget (issue 12) through the real binary: `dutybell plan` and `dutybell check` warn
//! when a recipient would get more reminder messages on one channel in one day than
//! `settings.volume_budget` allows, naming the tasks; a per-recipient budget lifts the warning;
//! the bundled plan stays within the default budget for the whole of 2026.

use std::process::Command;

use dutybell::schedule::budget::over_budget;
use jiff::civil::date;

use crate::helpers::{bin, repo};

/// Two tasks of 食品室 due the same day, one reminded at 09:00 and one at 15:00: two messages.
const CONFIG: &str = r#"
settings:
  plan: [plan]
  state_dir: state
  fallback_channel: file
  reminders: { time: "09:00", before: [0d], overdue_every: 3wd, escalate_after: 5wd, escalate_to: [head] }
  {BUDGET}
units:
  - { id: food, name: 食品室, kind: section, email: [food@example.org], head: { name: 甲, email: head.food@example.org } }
channels:
  - { id: file, kind: file }
"#;

const PLAN: &str = r#"area: { number: 1, title: 测试 }
tasks:
  - { id: "4.10", title: 第一项任务, lead: food, deadline: 2026-06-30 }
  - { id: "4.9", title: 第二项任务, lead: food, deadline: 2026-06-30, reminders: { time: "15:00" } }
"#;

fn run(budget: &str, args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dutybell.yaml"),
        CONFIG.replace("{BUDGET}", budget),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("plan")).unwrap();
    std::fs::write(dir.path().join("plan/p.yaml"), PLAN).unwrap();
    let out = Command::new(bin())
        .args(args)
        .arg("--config")
        .arg(dir.path().join("dutybell.yaml"))
        .args(["--now", "2026-06-01T08:00"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn plan_and_check_warn_naming_the_tasks_and_a_budget_lifts_it() {
    let want = "warning: volume budget: food would get 2 messages on 2026-06-30 via file (budget 1 a day); tasks 4.9, 4.10";
    let (code, err) = run("", &["plan", "--from", "2026-06-01", "--to", "2026-06-30"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(want), "{err}");
    assert_eq!(err.matches("volume budget:").count(), 1, "{err}");
    let (code, err) = run("", &["check"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(want), "{err}");

    let two = "volume_budget: { per_day: 1, recipients: [ { recipient: food, per_day: 2 }, { recipient: \"food#head\", per_day: 2 } ] }";
    let (code, err) = run(two, &["check"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("volume budget"), "{err}");

    let typo = "volume_budget: { recipients: [ { recipient: fod, per_day: 2 } ] }";
    let (_, err) = run(typo, &["check"]);
    assert!(err.contains("unknown recipient `fod`"), "{err}");
    let bad = "volume_budget: { per_day: many }";
    let (code, err) = run(bad, &["check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dutybell.yaml:"), "{err}");
}

/// Done-when of issue 12, on the plan: nobody gets more than one reminder message a day on a
/// channel in 2026 from the bundled plan (the simulated year checks what is actually sent).
#[test]
fn bundled_plan_is_within_the_default_budget_all_year() {
    let l = dutybell::loader::load(
        &repo().join("config/dutybell.yaml"),
        date(2026, 1, 1).into(),
    )
    .unwrap();
    let plan = dutybell::schedule::plan(
        &l.catalog,
        &l.calendar,
        date(2026, 1, 1),
        date(2026, 12, 31),
    );
    assert!(plan.reminders.len() > 500, "{}", plan.reminders.len());
    let over = over_budget(&l.catalog, &plan);
    assert!(
        over.is_empty(),
        "{}",
        over.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
