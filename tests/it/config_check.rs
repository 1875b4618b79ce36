//! `dutybell check` and `dutybell tasks` with the real binary: the bundled config and plan pass,
//! every fixture under tests/fixtures/bad fails with exit code 2 and a located message.

use std::process::Command;

use crate::helpers::{bin, repo};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run dutybell");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bundled_config_and_plan_pass_check() {
    let (code, out, err) = run(&["check", "--config", "config/dutybell.yaml"]);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.starts_with("ok: "), "{out}");
    assert!(out.contains("10 areas, 41 tasks"), "{out}");
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn every_bad_fixture_fails_with_a_located_message() {
    let dir = repo().join("tests/fixtures/bad");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "only {} fixtures", cases.len());
    for case in cases {
        let expect: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expect.json")).unwrap())
                .unwrap();
        let config = case.join("dutybell.yaml");
        let (code, out, err) = run(&["check", "--config", config.to_str().unwrap()]);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(code, 2, "{name}: exit code; stderr: {err}");
        assert!(
            out.is_empty(),
            "{name}: nothing on stdout when refused: {out}"
        );
        let file = case.join(expect["file"].as_str().unwrap());
        let line = expect["line"].as_u64().unwrap();
        let prefix = if line == 0 {
            format!("{}:", file.display())
        } else {
            format!("{}:{line}:", file.display())
        };
        let key = expect["key"].as_str().unwrap();
        let msg = expect["message"].as_str().unwrap();
        let hit = err.lines().any(|l| {
            l.starts_with(&prefix)
                && l.contains(": error: ")
                && l.contains(msg)
                && (key.is_empty() || l.contains(&format!(": {key}:")))
        });
        assert!(
            hit,
            "{name}: expected `{prefix}… {key}: …{msg}…` in:\n{err}"
        );
        assert!(
            err.contains("the configuration was not applied"),
            "{name}: {err}"
        );
        assert!(!err.contains("hunter2"), "{name}: a secret was echoed");
    }
}

#[test]
fn tasks_for_catering_include_tasks_held_through_groups() {
    let (code, out, err) = run(&["tasks", "--unit", "catering", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    for id in ["4.1", "4.2", "5.1", "3.1", "9.4"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    // 9.1 is led by the group 各室、队、站、所, which contains 餐饮室.
    let t91 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "9.1")
        .expect("9.1 via group");
    assert_eq!(t91["role"], "lead");
    assert_eq!(t91["lead"]["name"], "各室、队、站、所");
    assert!(
        t91["lead_units"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == "catering" && u["name"] == "餐饮室")
    );
    assert!(!ids.contains(&"1.1"), "1.1 belongs to 县农业农村局 only");
}

#[test]
fn tasks_json_is_one_object_per_task_with_named_units() {
    let (code, out, _) = run(&["tasks", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tasks = v.as_array().unwrap();
    assert_eq!(tasks.len(), 41);
    let t = tasks.iter().find(|t| t["id"] == "1.5").unwrap();
    assert_eq!(t["lead"]["id"], "drc_bureau");
    assert_eq!(t["lead"]["name"], "县发改局");
    let coop: Vec<&str> = t["cooperating"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(coop, ["质量室", "价格室", "食品室", "各市场监管所"]);
}

#[test]
fn unknown_unit_is_a_usage_error() {
    let (code, _, err) = run(&["tasks", "--unit", "caterin"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `catering`"), "{err}");
}

#[test]
fn table_output_marks_roles() {
    let (code, out, _) = run(&["tasks", "--unit", "catering", "--area", "4"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("4.2   [牵头] 每年开展春秋季校园食品安全专项整治"),
        "{out}"
    );
    assert!(out.contains("5 task(s)"), "{out}");
}

#[test]
fn problems_in_several_items_and_files_are_all_reported() {
    // Three defects in three different list items of two files: each must be reported, so a
    // bad unit does not hide a bad channel or a bad task.
    let dir = tempfile::tempdir().unwrap();
    let case = repo().join("tests/fixtures/bad/01-syntax/plan/01.yaml");
    std::fs::create_dir(dir.path().join("plan")).unwrap();
    let plan = std::fs::read_to_string(case)
        .unwrap()
        .replace("lead: food", "lead: fod");
    std::fs::write(dir.path().join("plan/01.yaml"), plan).unwrap();
    let main =
        std::fs::read_to_string(repo().join("tests/fixtures/bad/04-wrong-type/dutybell.yaml"))
            .unwrap()
            .replace("horizon_days: many", "horizon_days: 30")
            .replace("email: [food@example.org]", "emial: [food@example.org]")
            .replace("    kind: file\n", "    kind: fiel\n");
    std::fs::write(dir.path().join("dutybell.yaml"), main).unwrap();
    let config = dir.path().join("dutybell.yaml");
    let (code, _, err) = run(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    for needle in [
        "units[0].emial: unknown key `emial`",
        "channels[0].kind: unknown channel kind `fiel`",
        "tasks[0].lead: unknown unit or group `fod`",
    ] {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
}

/// `settings.cooperating` is the default for every ladder: `digest_only` keeps reminders away
/// from cooperating units, `inform` (the default) sends them the lead's early stages too.
#[test]
fn settings_cooperating_sets_what_cooperating_units_receive() {
    let case = repo().join("tests/fixtures/bad/88-unknown-cooperating-mode");
    let recipients = |mode: &str| -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("plan")).unwrap();
        std::fs::copy(case.join("plan/01.yaml"), dir.path().join("plan/01.yaml")).unwrap();
        let main = std::fs::read_to_string(case.join("dutybell.yaml"))
            .unwrap()
            .replace("cooperating: shout", &format!("cooperating: {mode}"));
        std::fs::write(dir.path().join("dutybell.yaml"), main).unwrap();
        let config = dir.path().join("dutybell.yaml");
        let (code, out, err) = run(&[
            "plan",
            "--config",
            config.to_str().unwrap(),
            "--from",
            "2026-11-20",
            "--to",
            "2026-12-31",
            "--json",
        ]);
        assert_eq!(code, 0, "{mode}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mut r: Vec<String> = v["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["recipient"].as_str().unwrap().to_owned())
            .collect();
        r.sort();
        r.dedup();
        r
    };
    // The lead's head appears too (escalation), in both modes.
    assert_eq!(recipients("inform"), ["catering", "food", "food#head"]);
    assert_eq!(recipients("digest_only"), ["food", "food#head"]);
}
