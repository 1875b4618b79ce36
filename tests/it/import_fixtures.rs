//! Shared by the importer's tests: the fixtures tests/fixtures/import/make_fixtures.py writes
//! (python-docx, openpyxl), python-docx's view of a .docx (oracle.py) compared cell by cell with
//! ours, and what every reading of the seed's table must give. Without python-docx the callers
//! skip with the reason printed; under `CI=true` they fail (.ci/setup installs both).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use dutybell::import::source::{CellPos, Column, SourceCell, SourceDoc, SourcePlan, SourceTask};
use dutybell::import::structure::unaccounted;

use crate::helpers::repo;

pub fn skip_or_fail(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("import test cannot run on CI: {why}");
    }
    eprintln!("SKIPPED import_read: {why} (run .ci/setup to install python-docx and openpyxl)");
}

/// The generated fixtures (made once per test process), or `None` when python-docx is missing.
///
/// In a folder of this process's own: two test processes at once (cargo-nextest runs one per
/// test) each removed and rewrote one shared folder while the other read it.
pub fn fixtures() -> Option<&'static Path> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let made = DIR.get_or_init(|| {
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        remove_dead_fixtures(&tmp);
        let dir = tmp.join(format!("import-fixtures-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new("python3")
            .arg(repo().join("tests/fixtures/import/make_fixtures.py"))
            .arg(&dir)
            .output()
            .map_err(|e| format!("python3: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(dir)
    });
    match made {
        Ok(dir) => Some(dir.as_path()),
        Err(why) => {
            skip_or_fail(&format!("make_fixtures.py failed: {why}"));
            None
        }
    }
}

/// Removes the fixture folders of test processes that have exited (their pid is gone).
fn remove_dead_fixtures(tmp: &Path) {
    for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("import-fixtures-"))
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// python-docx's view of a .docx (tests/fixtures/import/oracle.py).
pub fn oracle(file: &Path) -> serde_json::Value {
    let out = Command::new("python3")
        .arg(repo().join("tests/fixtures/import/oracle.py"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "oracle: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn cell(doc: &SourceDoc, table: usize, row: usize, col: usize) -> &SourceCell {
    &doc.tables[table - 1].rows[row - 1][col - 1]
}

pub fn at(table: usize, row: usize, col: usize) -> CellPos {
    CellPos { table, row, col }
}

/// Every cell python-docx sees has our text (numbered lines: ours carry the rendered number in
/// front of python-docx's text); spans and vertical merges point where python-docx says.
pub fn compare_with_oracle(file: &Path, doc: &SourceDoc) -> usize {
    let o = oracle(file);
    let notes: Vec<&str> = o["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(doc.notes, notes, "{}: notes", file.display());
    let tables = o["tables"].as_array().unwrap();
    assert_eq!(doc.tables.len(), tables.len(), "{}: tables", file.display());
    let mut compared = 0;
    for (t, table) in tables.iter().enumerate() {
        for (r, row) in table["rows"].as_array().unwrap().iter().enumerate() {
            for tc in row.as_array().unwrap() {
                let col = tc["col"].as_u64().unwrap() as usize;
                let span = tc["span"].as_u64().unwrap() as usize;
                let ours = cell(doc, t + 1, r + 1, col);
                let what = format!("{} {}", file.display(), ours.pos);
                if tc.get("vmerge").is_some() {
                    assert!(ours.merged_from.is_some(), "{what}: vertical merge");
                    continue;
                }
                for k in 1..span {
                    let slot = cell(doc, t + 1, r + 1, col + k);
                    assert_eq!(slot.merged_from, Some(ours.pos), "{what}: span");
                }
                let numbered: Vec<usize> = tc["numbered"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as usize)
                    .collect();
                let theirs = tc["text"].as_str().unwrap();
                let (a, b): (Vec<&str>, Vec<&str>) = (
                    ours.text.split('\n').collect(),
                    theirs.split('\n').collect(),
                );
                assert_eq!(
                    a.len(),
                    b.len(),
                    "{what}: lines of {:?} vs {:?}",
                    ours.text,
                    theirs
                );
                for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                    if numbered.contains(&i) {
                        // the only normalisation: python-docx does not render automatic numbers
                        let number = x
                            .strip_suffix(y)
                            .unwrap_or_else(|| panic!("{what}: {x:?} vs {y:?}"));
                        assert!(number.chars().count() <= 8, "{what}: number {number:?}");
                    } else {
                        assert_eq!(x, y, "{what}");
                    }
                }
                compared += 1;
            }
        }
    }
    compared
}

pub fn field(task: &SourceTask, col: Column) -> Option<&str> {
    task.fields
        .iter()
        .find(|(c, _)| *c == col)
        .map(|(_, l)| l.text.as_str())
}

/// Titles of the hand-written seed plan (seeds/plan/*.yaml), in file order.
fn seed_titles() -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("seeds/plan"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut titles = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            if let Some(t) = line
                .strip_prefix("    title: \"")
                .and_then(|t| t.strip_suffix('"'))
            {
                titles.push(t.to_string());
            }
        }
    }
    titles
}

pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// What every reading of the seed's table must give: 10 areas, 41 tasks, the seed's titles, and
/// (with `numbered_as_made`) the task numbers 1., 2., … in every area as the generator made them.
pub fn assert_seed_plan(plan: &SourcePlan, numbered_as_made: bool) {
    let counts: Vec<usize> = plan.areas.iter().map(|a| a.tasks.len()).collect();
    assert_eq!(counts, [6, 4, 2, 5, 6, 3, 3, 2, 6, 4]);
    let titles: Vec<String> = plan.areas.iter().map(|a| squeeze(&a.title.text)).collect();
    assert_eq!(
        titles,
        [
            "加强食用农产品质量安全监管",
            "加强食品生产经营风险监管",
            "加强农村食品安监管",
            "加强校园食品安全监管",
            "加强餐饮质量安全监管",
            "加强特殊食品安全监管",
            "严厉打击食品安全违法犯罪行为",
            "推进食品安全智慧监管",
            "推进食品安全共治共享",
            "提升应急处置能力",
        ]
    );
    let numbers: Vec<Option<u32>> = plan.areas.iter().map(|a| a.number).collect();
    assert_eq!(numbers, (1..=10).map(Some).collect::<Vec<_>>());
    let tasks: Vec<_> = plan.areas.iter().flat_map(|a| &a.tasks).collect();
    let ours: Vec<String> = tasks
        .iter()
        .map(|t| squeeze(field(t, Column::Task).unwrap()))
        .collect();
    let seed: Vec<String> = seed_titles().iter().map(|t| squeeze(t)).collect();
    assert_eq!(ours, seed, "task titles against seeds/plan");
    for area in plan.areas.iter().filter(|_| numbered_as_made) {
        for (i, task) in area.tasks.iter().enumerate() {
            let marker = task.marker.as_ref().map(|m| m.text.as_str());
            assert_eq!(
                marker,
                Some(format!("{}.", i + 1).as_str()),
                "area {:?}",
                area.number
            );
        }
    }
    for (i, task) in tasks.iter().enumerate() {
        let id = i + 1;
        let deadline = field(task, Column::Deadline);
        // 8.2 (task 31) lost its 完成时限 in the source: the cell is empty
        assert_eq!(deadline, (id != 31).then_some("长期坚持"), "task #{id}");
        // 6.2 and 6.3 (tasks 25, 26) share one row whose 责任部门 cell is empty
        assert_eq!(
            field(task, Column::Units).is_some(),
            !(id == 25 || id == 26),
            "task #{id}"
        );
    }
    assert_eq!(plan.unplaced, vec![], "unplaced cells");
    assert_eq!(unaccounted(plan), vec![], "cells not accounted for");
}
