//! From a SourcePlan shaped like the seed's table to a draft directory: the real binary's `check`
//! accepts it with the TODO warnings, the YAML parses back to what was derived, every cell of the
//! document is accounted for, and bad options are refused (exit code 2).

use std::path::{Path, PathBuf};
use std::process::Command;

use dutybell::import::draft::{self, DraftError, Options};
use dutybell::import::draft_check::unaccounted;
use dutybell::import::source::*;

use crate::helpers::{bin, repo};

fn pos(row: usize, col: usize) -> CellPos {
    CellPos { table: 1, row, col }
}

fn loc(text: &str, row: usize, col: usize) -> Located {
    Located {
        text: text.into(),
        pos: pos(row, col),
    }
}

/// Columns: 序号 | 项目 | 具体任务 | 落实措施 | 责任部门 | 完成时限 | 进展情况.
const ROWS: &[[&str; 7]] = &[
    [
        "序号",
        "项目",
        "具体任务",
        "落实措施",
        "责任部门",
        "完成时限",
        "进展情况",
    ],
    [
        "1",
        "(一) 加强食用农产品质量安全监管",
        "1.落实农产品质量安全法。",
        "宣贯新修订的法律。",
        "县农业农村局",
        "长期坚持",
        "",
    ],
    [
        "",
        "",
        "2.督促完善快速检测室建设。",
        "1.支持快检室建设。\n2.常态化监测农药残留。",
        "县农业农村局，城关南区所，食品室",
        "2027年6月底前",
        "已完成选址",
    ],
    [
        "",
        "",
        "3.开展进口食用农产品专项检查。",
        "严厉打击非法进口。",
        "县教体局、各所",
        "按上级统一部署另行安排",
        "",
    ],
    [
        "2",
        "(二)加强校园食品安全监管",
        "1.开展春秋季校园食品安全专项整治。",
        "联合行业主管部门排查隐患。",
        "餐饮室（牵头）、各市场监管所",
        "春秋季开学前后",
        "",
    ],
    [
        "",
        "",
        "2.报送学校食堂检查情况。",
        "汇总各所检查数据。",
        "各有关部门",
        "每季度第一个月20日前报送上季度",
        "",
    ],
    [
        "",
        "",
        "3.开展汛期前食品安全检查。",
        "检查受灾地区食品经营者。",
        "餐饮室",
        "6月30日前",
        "",
    ],
];

fn source_plan() -> SourcePlan {
    let mut rows = Vec::new();
    for (r, cells) in ROWS.iter().enumerate() {
        rows.push(
            cells
                .iter()
                .enumerate()
                .map(|(c, t)| SourceCell {
                    pos: pos(r + 1, c + 1),
                    text: t.to_string(),
                    merged_from: None,
                })
                .collect(),
        );
    }
    let task = |row: usize| {
        let r = ROWS[row - 1];
        let (marker, title) = r[2].split_at(r[2].find('.').unwrap() + 1);
        let mut fields = vec![
            (Column::Task, loc(title, row, 3)),
            (Column::Measures, loc(r[3], row, 4)),
            (Column::Units, loc(r[4], row, 5)),
            (Column::Deadline, loc(r[5], row, 6)),
        ];
        if !r[6].is_empty() {
            fields.push((Column::Progress, loc(r[6], row, 7)));
        }
        SourceTask {
            marker: Some(loc(marker, row, 3)),
            fields,
            other: vec![],
            cells: (3..=7).map(|c| pos(row, c)).collect(),
        }
    };
    let area = |row: usize, title: &str, n: u32, tasks: Vec<SourceTask>| SourceArea {
        title: loc(title, row, 2),
        number: Some(n),
        seq: Some(loc(&n.to_string(), row, 1)),
        tasks,
    };
    SourcePlan {
        doc: SourceDoc {
            path: PathBuf::from("plan-2027.docx"),
            format: DocFormat::Docx,
            notes: vec!["附件".into(), "重点工作落实清单".into()],
            tables: vec![SourceTable { index: 1, rows }],
        },
        notes: vec![
            Located {
                text: "附件".into(),
                pos: CellPos {
                    table: 0,
                    row: 1,
                    col: 0,
                },
            },
            Located {
                text: "重点工作落实清单".into(),
                pos: CellPos {
                    table: 0,
                    row: 2,
                    col: 0,
                },
            },
        ],
        areas: vec![
            area(
                2,
                "加强食用农产品质量安全监管",
                1,
                vec![task(2), task(3), task(4)],
            ),
            area(
                5,
                "加强校园食品安全监管",
                2,
                vec![task(5), task(6), task(7)],
            ),
        ],
        header_rows: vec![(1, 1)],
        unplaced: vec![],
    }
}

fn options() -> Options {
    Options {
        year: 2027,
        year_from: "--year".into(),
        default_unit: Some("综合管理室".into()),
    }
}

/// The draft of the hand-built plan on the reference config, written under `dir`.
fn write_draft(dir: &Path) -> PathBuf {
    let base = draft::load_base(Some(&repo().join("config/dutybell.yaml"))).expect("base loads");
    let out = dir.join("draft");
    std::fs::create_dir_all(&out).unwrap();
    let out = out.canonicalize().unwrap();
    let d = draft::build(&source_plan(), &base, &options(), &out).expect("draft builds");
    draft::write(&d, &out, false).expect("draft written");
    out
}

#[test]
fn the_draft_checks_with_the_todo_warnings_and_plans() {
    let tmp = tempfile::tempdir().unwrap();
    let out = write_draft(tmp.path());
    if let Some(keep) = std::env::var_os("DUTYBELL_KEEP_DRAFT") {
        // Debug aid: copy the draft out for a look.
        let _ = Command::new("cp").arg("-r").arg(&out).arg(keep).status();
    }
    let run = Command::new(bin())
        .args(["check", "--config"])
        .arg(out.join("dutybell.yaml"))
        .env("DUTYBELL_NOW", "2027-01-04T09:00")
        .env_remove("DUTYBELL_CONFIG")
        .env_remove("DUTYBELL_STATE_DIR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("2 areas, 6 tasks"), "{stdout}");
    // The TODO warning names the task and the phrase; the vague list is routed with a warning.
    assert!(
        stderr.contains("task 1.3: TODO 完成时限 `按上级统一部署另行安排`"),
        "{stderr}"
    );
    assert!(stderr.contains("各有关部门"), "{stderr}");

    // Read back with our own loader: what the draft says is what was derived.
    let l = dutybell::loader::load(
        &out.join("dutybell.yaml"),
        jiff::civil::date(2027, 1, 4).into(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let c = &l.catalog;
    let t = |id: &str| c.task(id).unwrap_or_else(|| panic!("task {id}"));
    assert_eq!(t("1.1").lead, "agri_bureau");
    assert_eq!(t("1.2").cooperating, ["office_chengguan_nan", "food"]);
    assert_eq!(
        t("1.2").deadline,
        dutybell::catalog::Deadline::Date(jiff::civil::date(2027, 6, 30))
    );
    assert_eq!(t("1.3").todo.as_deref(), Some("按上级统一部署另行安排"));
    assert!(t("1.3").rules.is_empty());
    // 县教体局 is new: a unit of the draft known by its name; 各所 is the group.
    assert!(c.unit("县教体局").is_some(), "new unit missing");
    assert_eq!(t("1.3").lead, "县教体局");
    assert_eq!(t("1.3").cooperating, ["all_offices"]);
    assert_eq!(t("2.1").lead, "catering");
    assert_eq!(t("2.1").rules.len(), 2, "spring and autumn windows");
    assert_eq!(t("2.2").units_text.as_deref(), Some("各有关部门"));
    assert_eq!(t("2.2").lead, "admin");
    assert_eq!(t("2.3").title, "开展汛期前食品安全检查。");

    // The TODO task gets nothing from the planner; the others do.
    let p = dutybell::schedule::plan(
        c,
        &l.calendar,
        jiff::civil::date(2027, 1, 1),
        jiff::civil::date(2027, 12, 31),
    );
    assert!(!p.occurrences.iter().any(|o| o.task_id == "1.3"));
    let due = |id: &str| -> Vec<String> {
        p.occurrences
            .iter()
            .filter(|o| o.task_id == id && o.due.year() == 2027)
            .map(|o| o.due.to_string())
            .collect()
    };
    assert_eq!(
        due("2.2"),
        ["2027-01-20", "2027-04-20", "2027-07-20", "2027-10-20"]
    );
    assert_eq!(due("2.3"), ["2027-06-30"]);

    // Every cell of the document is in the draft or the report.
    let lost = unaccounted(&source_plan(), &out).unwrap();
    assert!(lost.is_empty(), "cells lost: {lost:?}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("import-report.json")).unwrap())
            .unwrap();
    let new: Vec<&str> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["id"].is_null())
        .map(|u| u["written"].as_str().unwrap())
        .collect();
    assert_eq!(new, ["县教体局"]);
    let todo: Vec<_> = report["phrases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "todo")
        .collect();
    assert_eq!(todo.len(), 1);
    assert_eq!(
        todo[0]["cell"],
        serde_json::json!({"table": 1, "row": 4, "col": 6})
    );
    let assumed: Vec<_> = report["phrases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["assumed_year"] == 2027)
        .map(|p| p["task"].as_str().unwrap())
        .collect();
    assert_eq!(assumed, ["2.3"]);
    let md = std::fs::read_to_string(out.join("import-report.md")).unwrap();
    assert!(md.contains("## TODO: 完成时限 not understood (1)"), "{md}");
    assert!(md.contains("| 县教体局 | county_bureau |"), "{md}");
}

#[test]
fn the_checker_finds_a_lost_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let out = write_draft(tmp.path());
    let mut plan = source_plan();
    // A cell the draft never saw: the checker must name it.
    plan.doc.tables[0].rows[1][6].text = "这段文字没有进入草稿".into();
    let lost = unaccounted(&plan, &out).unwrap();
    assert_eq!(lost, vec![(pos(2, 7), "这段文字没有进入草稿".to_string())]);
}

#[test]
fn bad_options_and_a_used_directory_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = write_draft(tmp.path());
    let base = draft::load_base(Some(&repo().join("config/dutybell.yaml"))).unwrap();
    let d = draft::build(&source_plan(), &base, &options(), &out).unwrap();
    // The directory now holds a draft: refused without --force, rewritten with it.
    let e = draft::write(&d, &out, false).unwrap_err();
    assert!(matches!(e, DraftError::NotEmpty(_)), "{e}");
    assert_eq!(e.exit_code(), 2);
    std::fs::write(
        out.join("plan/99-stale.yaml"),
        "area: {number: 99, title: x}\n",
    )
    .unwrap();
    draft::write(&d, &out, true).unwrap();
    assert!(
        !out.join("plan/99-stale.yaml").exists(),
        "--force leaves no stale plan file"
    );
    // A default unit nobody knows, and vague rows without any default unit.
    let bad = Options {
        default_unit: Some("综合管理".into()),
        ..options()
    };
    let e = draft::build(&source_plan(), &base, &bad, &out)
        .err()
        .unwrap();
    assert!(e.to_string().contains("did you mean `综合管理室`"), "{e}");
    let none = Options {
        default_unit: None,
        ..options()
    };
    let e = draft::build(&source_plan(), &base, &none, &out)
        .err()
        .unwrap();
    assert!(e.to_string().contains("tasks 2.2"), "{e}");
    // A base config that does not load.
    let broken = tmp.path().join("broken.yaml");
    std::fs::write(&broken, "settings: { timezone: Mars/Olympus }\n").unwrap();
    let e = draft::load_base(Some(&broken)).err().unwrap();
    assert!(e.to_string().contains("broken.yaml"), "{e}");
}

#[test]
fn the_bundled_config_is_the_base_when_none_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let base = draft::load_base(None).expect("bundled base loads");
    let out = tmp.path().join("d");
    std::fs::create_dir(&out).unwrap();
    let out = out.canonicalize().unwrap();
    let d = draft::build(&source_plan(), &base, &options(), &out).unwrap();
    draft::write(&d, &out, false).unwrap();
    let l = dutybell::loader::load(
        &out.join("dutybell.yaml"),
        jiff::civil::date(2027, 1, 4).into(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(l.catalog.tasks.len(), 6);
    let report = std::fs::read_to_string(out.join("import-report.md")).unwrap();
    assert!(
        report.contains("settings.calendar: `calendar` left out"),
        "{report}"
    );
}
