//! The seed's table as a Word file → `dutybell import` → a draft that plans the same dates as the
//! hand-written seeds/ plan for every task both express, and `plan-diff` shows only what the
//! hand-written YAML adds: the rules a clerk read from the measures text (the source's 完成时限
//! column says 长期坚持 throughout), and the cooperating units of 6.2/6.3, whose shared source row
//! leaves 责任部门 empty (seeds/README.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use dutybell::loader::load;
use dutybell::schedule::plan;
use jiff::civil::{Date, date};

use crate::helpers::{bin, repo};
use crate::import_fixtures::fixtures;

/// Due dates per task over 2026–2027.
fn dues(config: &Path) -> (BTreeMap<String, Vec<Date>>, BTreeSet<String>) {
    let l = load(config, date(2026, 1, 1).into()).unwrap();
    let mut by_task: BTreeMap<String, Vec<Date>> = BTreeMap::new();
    for o in plan(
        &l.catalog,
        &l.calendar,
        date(2026, 1, 1),
        date(2027, 12, 31),
    )
    .occurrences
    {
        by_task.entry(o.task_id).or_default().push(o.due);
    }
    let with_rules = l
        .catalog
        .tasks
        .iter()
        .filter(|t| !t.rules.is_empty())
        .map(|t| t.id.clone())
        .collect();
    (by_task, with_rules)
}

#[test]
fn the_seed_docx_imports_to_the_dates_of_the_hand_written_plan() {
    let Some(fx) = fixtures() else { return };
    let out = tempfile::tempdir().unwrap();
    let draft = out.path().join("draft");
    let config = repo().join("config/dutybell.yaml");
    let import = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .args(["--now", "2026-01-01T09:00"])
        .arg("import")
        .arg(fx.join("seed.docx"))
        .arg("--out")
        .arg(&draft)
        .args(["--year", "2026", "--default-unit", "食品室"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&import.stdout).into_owned()
        + &String::from_utf8_lossy(&import.stderr);
    assert_eq!(import.status.code(), Some(0), "{said}");
    assert!(said.contains("10 areas, 41 tasks"), "{said}");
    assert!(said.contains("0 unplaced cell(s)"), "{said}");

    let (seed, hand_rules) = dues(&config);
    let (imported, draft_rules) = dues(&draft.join("dutybell.yaml"));
    assert!(
        draft_rules.is_empty(),
        "the source's 完成时限 is 长期坚持 throughout"
    );
    assert_eq!(hand_rules.len(), 13, "{hand_rules:?}");
    let mut compared = 0;
    for (task, want) in &seed {
        if hand_rules.contains(task) {
            continue;
        }
        assert_eq!(imported.get(task), Some(want), "task {task}");
        compared += 1;
    }
    assert_eq!(
        compared,
        41 - 13,
        "every task without hand-written rules compared"
    );

    let diff = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .args(["--now", "2026-01-01T09:00", "plan-diff", "--format", "json"])
        .arg(&draft)
        .output()
        .unwrap();
    assert_eq!(
        diff.status.code(),
        Some(1),
        "different: the hand-written additions"
    );
    let d: serde_json::Value = serde_json::from_slice(&diff.stdout).unwrap();
    for kind in ["areas", "added", "removed", "moved", "reworded"] {
        assert_eq!(
            d[kind].as_array().map(Vec::len),
            Some(0),
            "{kind}: {}",
            d[kind]
        );
    }
    let ids = |kind: &str| -> BTreeSet<String> {
        d[kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids("deadlines"), hand_rules);
    assert_eq!(
        ids("units"),
        BTreeSet::from(["6.2".to_owned(), "6.3".to_owned()])
    );
}
