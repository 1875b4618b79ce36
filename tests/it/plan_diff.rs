//! `dutybell plan-diff` through the real binary: two small plan directories that differ in each
//! way (added, removed, moved, reworded, units, deadline), asserted as text and as parsed JSON,
//! with exit codes 0 (equal), 1 (different) and 2 (bad input); the bundled seeds plan against
//! itself is equal.

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::{bin, repo};

const MAIN: &str = "settings:\n  plan: [plan]\n  state_dir: state\nunits:\n  - { name: 县安委办, kind: other }\n  - { id: food, name: 食品室, kind: section }\n  - { name: 餐饮室, kind: section }\nchannels:\n  - { id: file, kind: file }\n";

const OLD: &str = r#"area: { number: 1, title: 食品安全 }
tasks:
  - id: "1.1"
    title: 开展校园食品安全专项检查
    lead: 食品室
    deadline: ongoing
  - id: "1.2"
    title: 督促企业建立风险清单和责任清单
    lead: 食品室
    deadline: ongoing
  - id: "1.3"
    title: 报送季度工作情况
    lead: 县安委办
    rules:
      - quarterly: { day: 10 }
  - id: "1.4"
    title: 加强农村集体聚餐管理
    lead: 餐饮室
  - id: "1.5"
    title: 这项任务明年取消
    lead: 食品室
"#;

const NEW: &str = r#"area: { number: 1, title: 食品安全 }
tasks:
  - id: "1.1"
    title: 开展校园食品安全专项检查
    lead: food
    deadline: ongoing
  - id: "1.2"
    title: 督促生产企业建立风险清单和责任清单
    lead: 食品室
    deadline: ongoing
  - id: "1.3"
    title: 报送季度工作情况
    lead: 县安委办
    rules:
      - monthly: { day: 28 }
  - id: "1.4"
    title: 新增的网络订餐抽检任务
    lead: 食品室
"#;

const NEW2: &str = r#"area: { number: 2, title: 农村 }
tasks:
  - id: "2.1"
    title: 加强农村集体聚餐管理
    lead: 餐饮室
    cooperating: [食品室]
"#;

fn write(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir.join("plan")).unwrap();
    std::fs::write(dir.join("dutybell.yaml"), MAIN).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join("plan").join(name), text).unwrap();
    }
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(bin())
        .arg("plan-diff")
        .args(args)
        .env("DUTYBELL_NOW", "2026-01-05T09:00")
        .env_remove("DUTYBELL_CONFIG")
        .env_remove("DUTYBELL_STATE_DIR")
        .output()
        .unwrap()
}

#[test]
fn each_kind_of_change_in_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
    write(&old, &[("01.yaml", OLD)]);
    write(&new, &[("01.yaml", NEW), ("02.yaml", NEW2)]);
    let out = run(&[old.as_os_str(), new.as_os_str()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("+ 1.4 [area 1] 新增的网络订餐抽检任务"),
        "{text}"
    );
    assert!(text.contains("- 1.5 [area 1] 这项任务明年取消"), "{text}");
    assert!(
        text.contains("~ 1.4 [area 1] -> 2.1 [area 2] 加强农村集体聚餐管理"),
        "{text}"
    );
    assert!(
        text.contains("* 1.2 title: 督促{+生产+}企业建立风险清单和责任清单"),
        "{text}"
    );
    assert!(
        text.contains("* 2.1: lead 餐饮室\n      -> lead 餐饮室; cooperating 食品室"),
        "{text}"
    );
    assert!(text.contains("* 1.3: ongoing; quarterly: day 10 of the next month; next: 2026-01-09, 2026-04-10, 2026-07-10"), "{text}");
    assert!(
        text.contains("-> ongoing; monthly: day 28; next: 2026-01-28, 2026-02-28, 2026-03-27"),
        "{text}"
    );
    // 1.1 is written with an id on one side and a name on the other: the same unit, no change.
    assert!(!text.contains("* 1.1"), "{text}");

    let out = run(&[
        old.as_os_str(),
        new.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["equal"], false);
    assert_eq!(v["added"][0]["id"], "1.4");
    assert_eq!(v["removed"][0]["id"], "1.5");
    assert_eq!(v["moved"][0]["old"]["id"], "1.4");
    assert_eq!(v["moved"][0]["new"]["id"], "2.1");
    assert_eq!(v["moved"][0]["similarity"], 1.0);
    assert_eq!(v["reworded"][0]["field"], "title");
    assert_eq!(
        v["reworded"][0]["diff"],
        "督促{+生产+}企业建立风险清单和责任清单"
    );
    assert_eq!(v["units"][0]["id"], "2.1");
    assert_eq!(
        v["units"][0]["new"]["cooperating"],
        serde_json::json!(["食品室"])
    );
    assert_eq!(
        v["deadlines"][0]["old"]["rules"],
        serde_json::json!(["quarterly: day 10 of the next month"])
    );
    assert_eq!(
        v["deadlines"][0]["new"]["next"],
        serde_json::json!(["2026-01-28", "2026-02-28", "2026-03-27"])
    );
    assert_eq!(v["areas"][0]["number"], 2);
}

#[test]
fn equal_plans_exit_zero_and_bad_input_exits_two() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    write(&a, &[("01.yaml", OLD)]);
    write(&b, &[("01.yaml", OLD)]);
    let out = run(&[a.as_os_str(), b.as_os_str()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("equal: no differences"));
    // A bare plan directory takes its units from --config.
    let out = run(&[
        "--config".as_ref(),
        a.join("dutybell.yaml").as_os_str(),
        b.join("plan").as_os_str(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let missing = tmp.path().join("nowhere");
    let out = run(&[a.as_os_str(), missing.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file or directory"));
    std::fs::write(b.join("plan/01.yaml"), "area: { number: 1, title: x }\ntasks:\n  - id: \"1\"\n    title: t\n    lead: 不存在的单位\n").unwrap();
    let out = run(&[a.as_os_str(), b.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown unit or group `不存在的单位`"));
    let out = run(&[
        a.as_os_str(),
        a.as_os_str(),
        "--format".as_ref(),
        "yaml".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_seeds_plan_against_itself_is_equal() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("dutybell.yaml");
    std::fs::write(
        &cfg,
        crate::helpers::bundled_config_text(&tmp.path().join("state")),
    )
    .unwrap();
    let seeds = repo().join("seeds/plan");
    let out = run(&["--config".as_ref(), cfg.as_os_str(), seeds.as_os_str()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        cfg.as_os_str(),
        seeds.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["equal"], true);
}
