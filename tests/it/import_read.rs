//! The importer's readers and structure pass on real documents: tests/fixtures/import/
//! make_fixtures.py writes the seed's table as .docx (python-docx) and .xlsx (openpyxl) plus one
//! small .docx per construct; tests/fixtures/import/oracle.py reads each .docx with python-docx
//! and every cell text is compared with ours (tests/it/import_fixtures.rs). Without python-docx
//! the tests say why and pass locally; under `CI=true` they fail.

use dutybell::import::read::{Limits, ReadError, read_document, read_plan, structure};
use dutybell::import::source::Column;
use dutybell::import::structure::unaccounted;

use crate::import_fixtures::{
    assert_seed_plan, at, cell, compare_with_oracle, field, fixtures, squeeze,
};

#[test]
fn seed_docx_reads_as_the_bureau_wrote_it() {
    let Some(dir) = fixtures() else { return };
    let plan = read_plan(&dir.join("seed.docx"), &Limits::default()).unwrap();
    let doc = &plan.doc;
    assert_eq!(
        doc.notes,
        [
            "附件",
            "《关于加强食品安全重点领域监管的方案》明确的重点工作落实清单"
        ]
    );
    assert_eq!(doc.tables.len(), 2, "the table is split in two w:tbl");
    assert_eq!(
        [doc.tables[0].rows.len(), doc.tables[1].rows.len()],
        [24, 22]
    );
    assert!(
        doc.tables
            .iter()
            .flat_map(|t| &t.rows)
            .all(|r| r.len() == 7)
    );
    // the two-row header: 重点任务 spans 项目|具体任务, the other labels are merged downwards
    assert_eq!(cell(doc, 1, 1, 2).text, "重点任务");
    assert_eq!(cell(doc, 1, 1, 3).merged_from, Some(at(1, 1, 2)));
    assert_eq!(cell(doc, 1, 2, 4).merged_from, Some(at(1, 1, 4)));
    // 序号 and 项目 merged down area 1 (rows 3-8)
    assert_eq!(cell(doc, 1, 3, 2).text, "(一) 加强食用农产品质量安全监管");
    assert_eq!(cell(doc, 1, 8, 2).merged_from, Some(at(1, 3, 2)));
    assert_eq!(cell(doc, 1, 8, 1).merged_from, Some(at(1, 3, 1)));
    // automatic numbering rendered: 1.2's measures (three numbered paragraphs) and area 4's tasks
    let measures = cell(doc, 1, 4, 4).text.as_str();
    assert!(
        measures.starts_with("1.加大对重点农产品的监测频次"),
        "{measures}"
    );
    assert!(measures.contains("\n2.推进食用农产品承诺达标合格证制度"));
    assert!(measures.contains("\n3.县乡监管人员结合日常监管"));
    assert_eq!(
        cell(doc, 1, 17, 3).text,
        "1.督促落实校长(园长)食品安全责任制和相关负责人陪餐制度，学校食堂、校外供餐单位按规定配备食品安全总监、食品安全员，制定食品安全风险管控清单，建立健全“日管控、周排查、月调度”工作制度和机制，严格落实从业人员健康、食品安全自查、食品进货查验记录、原料控制、过程控制等管理制度。"
    );
    assert!(cell(doc, 1, 21, 3).text.starts_with("5.严厉打击校园周边"));
    // the bookmark is not text; an empty 进展情况
    assert!(cell(doc, 1, 3, 4).text.starts_with("以宣贯新修订的"));
    assert_eq!(cell(doc, 1, 3, 7).text, "");
    // line breaks (w:br) and leading empty paragraphs kept
    let t2 = &doc.tables[1];
    let six = t2
        .rows
        .iter()
        .position(|r| r[1].text.starts_with("(六)"))
        .unwrap()
        + 1;
    assert_eq!(cell(doc, 2, six, 2).text, "(六)\n加强特殊食品 安全监管");
    assert_eq!(
        cell(doc, 2, six, 5).text,
        "\n食品室、执法稽查队、政策法规室，各市场监管所"
    );
    assert!(
        cell(doc, 2, six + 1, 3)
            .text
            .starts_with("2.开展保健食品清理整治行动")
    );
    assert!(
        cell(doc, 2, six + 1, 3)
            .text
            .contains("\n3.依法依规严格审查保健食品广告")
    );
    assert_eq!(
        plan.header_rows,
        [(1, 1), (1, 2), (1, 13), (1, 14), (2, 1), (2, 2)]
    );
    assert_seed_plan(&plan, true);
    let six = &plan.areas[5];
    assert_eq!(six.seq.as_ref().map(|s| s.text.as_str()), Some("6"));
    assert_eq!(
        six.tasks[1].marker.as_ref().unwrap().pos,
        six.tasks[2].marker.as_ref().unwrap().pos
    );
    assert!(
        field(&six.tasks[2], Column::Task)
            .unwrap()
            .starts_with("依法依规严格审查保健食品广告")
    );
}

#[test]
fn every_docx_cell_matches_python_docx() {
    let Some(dir) = fixtures() else { return };
    let mut total = 0;
    for name in [
        "seed",
        "edge-grid",
        "edge-sdt",
        "edge-revisions",
        "edge-nested",
        "edge-numfmt",
        "edge-layout",
        "edge-noheader",
        "edge-wps",
    ] {
        let file = dir.join(format!("{name}.docx"));
        let doc = read_document(&file, &Limits::default()).unwrap();
        let n = compare_with_oracle(&file, &doc);
        assert!(n > 0, "{name}: nothing compared");
        total += n;
        // and the structure pass places every non-empty cell, or refuses the whole document
        match structure(doc) {
            Ok(plan) => assert_eq!(unaccounted(&plan), vec![], "{name}: cells lost"),
            Err(e) => {
                assert_eq!(name, "edge-noheader", "{e}");
                assert!(matches!(e, ReadError::NoHeader { .. }), "{e}");
            }
        }
    }
    assert!(total > 300, "{total} cells compared");
}

#[test]
fn numbering_formats_render_like_word() {
    let Some(dir) = fixtures() else { return };
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let doc = read_document(&dir.join("edge-numfmt.docx"), &Limits::default()).unwrap();
    let rows = &doc.tables[0].rows;
    for case in expected["edge-numfmt.docx"].as_array().unwrap() {
        let format = case["format"].as_str().unwrap();
        let row = rows
            .iter()
            .find(|r| r[0].text == format)
            .unwrap_or_else(|| panic!("{format}"));
        let want: Vec<&str> = case["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(
            row[1].text.split('\n').collect::<Vec<_>>(),
            want,
            "{format}"
        );
    }
}

#[test]
fn constructs_of_word_wps_and_content_controls() {
    let Some(dir) = fixtures() else { return };
    let read = |name: &str| read_document(&dir.join(name), &Limits::default()).unwrap();
    // gridBefore/After, gridSpan, vMerge without w:val
    let doc = read("edge-grid.docx");
    assert_eq!(cell(&doc, 1, 2, 2).text, "跨两列的任务");
    assert_eq!(cell(&doc, 1, 2, 3).merged_from, Some(at(1, 2, 2)));
    assert_eq!(cell(&doc, 1, 3, 1).merged_from, Some(at(1, 2, 1)));
    assert_eq!(
        [
            cell(&doc, 1, 3, 3).text.as_str(),
            cell(&doc, 1, 3, 4).text.as_str()
        ],
        ["食品室", ""]
    );
    assert_eq!(cell(&doc, 1, 4, 1).text, "");
    assert_eq!(cell(&doc, 1, 4, 2).text, "第三行任务");
    // content controls at every level
    let doc = read("edge-sdt.docx");
    assert_eq!(doc.tables.len(), 1);
    assert_eq!(cell(&doc, 1, 2, 2).text, "行内控件文本");
    assert_eq!(cell(&doc, 1, 2, 3).text, "块级控件中的措施");
    assert_eq!(cell(&doc, 1, 2, 4).text, "县农业农村局");
    assert_eq!(cell(&doc, 1, 3, 2).text, "整行控件");
    // tracked changes, and the same file with a WPS-like namespace prefix
    for name in ["edge-revisions.docx", "edge-wps.docx"] {
        let doc = read(name);
        assert_eq!(cell(&doc, 1, 2, 3).text, "每年11月底前", "{name}");
        assert_eq!(
            cell(&doc, 1, 2, 2).text,
            "食品室",
            "{name}: a foreign <t> is not text"
        );
    }
    // a nested table flattened into its cell
    let doc = read("edge-nested.docx");
    assert_eq!(
        cell(&doc, 1, 2, 2).text,
        "前言\n内表甲\n内表乙\n内表丙\n结语"
    );
}

#[test]
fn a_plan_laid_out_with_heading_rows_sub_items_and_notes() {
    let Some(dir) = fixtures() else { return };
    let plan = read_plan(&dir.join("edge-layout.docx"), &Limits::default()).unwrap();
    let notes: Vec<&str> = plan.notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(
        notes,
        [
            "2025年重点工作任务分解表",
            "各科室、所：现将任务分解如下，请认真落实。",
            "联系人名单",
            "（此页无正文）",
            "县市场监管局2025年重点工作",
            "注：时间节点以上级通知为准。"
        ]
    );
    assert_eq!(plan.header_rows, [(1, 2)]);
    let areas: Vec<(&str, Option<u32>, usize)> = plan
        .areas
        .iter()
        .map(|a| (a.title.text.as_str(), a.number, a.tasks.len()))
        .collect();
    assert_eq!(
        areas,
        [
            ("加强食品安全监管", Some(1), 2),
            ("提升应急处置能力", Some(2), 1)
        ]
    );
    let first = &plan.areas[0].tasks[0];
    assert_eq!(first.marker.as_ref().unwrap().text, "1");
    assert_eq!(
        field(first, Column::Task),
        Some("开展校园食品安全检查\n（1）制定检查方案\n（2）组织现场检查")
    );
    assert_eq!(field(first, Column::Lead), Some("餐饮室"));
    assert_eq!(field(first, Column::Cooperating), Some("各市场监管所"));
    assert_eq!(field(first, Column::Deadline), Some("每年春秋季开学前"));
    assert_eq!(
        first.cells.len(),
        7,
        "the task row's five cells and its two sub-item rows"
    );
    // the contact list has no plan header: its cells are reported, not dropped
    let unplaced: Vec<&str> = plan.unplaced.iter().map(|(l, _)| l.text.as_str()).collect();
    assert_eq!(unplaced, ["姓名", "电话", "张三", "0952-0000000"]);
    assert!(
        plan.unplaced[0]
            .1
            .contains("table 2 has no recognisable header")
    );
    assert_eq!(unaccounted(&plan), vec![]);
}

#[test]
fn seed_xlsx_reads_like_the_docx() {
    let Some(dir) = fixtures() else { return };
    let plan = read_plan(&dir.join("seed.xlsx"), &Limits::default()).unwrap();
    let doc = &plan.doc;
    assert_eq!(doc.tables.len(), 2, "two sheets");
    assert_eq!(
        cell(doc, 1, 2, 1).text,
        "《关于加强食品安全重点领域监管的方案》明确的重点工作落实清单"
    );
    assert_eq!(cell(doc, 1, 2, 7).merged_from, Some(at(1, 2, 1)));
    assert_eq!(
        cell(doc, 1, 3, 3).merged_from,
        Some(at(1, 3, 2)),
        "重点任务 over 项目|具体任务"
    );
    assert_eq!(cell(doc, 1, 5, 1).text, "1");
    assert_eq!(
        cell(doc, 1, 10, 2).merged_from,
        Some(at(1, 5, 2)),
        "项目 merged down area 1"
    );
    assert_eq!(plan.header_rows, [(1, 3), (1, 4), (2, 1), (2, 2)]);
    let notes: Vec<&str> = plan.notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(
        notes,
        [
            "附件",
            "《关于加强食品安全重点领域监管的方案》明确的重点工作落实清单"
        ]
    );
    assert_seed_plan(&plan, true);
    let docx = read_plan(&dir.join("seed.docx"), &Limits::default()).unwrap();
    for (x, d) in plan
        .areas
        .iter()
        .flat_map(|a| &a.tasks)
        .zip(docx.areas.iter().flat_map(|a| &a.tasks))
    {
        for col in [
            Column::Task,
            Column::Measures,
            Column::Units,
            Column::Deadline,
        ] {
            assert_eq!(
                field(x, col).map(squeeze),
                field(d, col).map(squeeze),
                "{col:?}"
            );
        }
    }
}

/// The whole flow through the real binary: `dutybell import` on the seed as .docx and .xlsx
/// writes a draft that `dutybell check` accepts; a file that is no document exits 2.
#[test]
fn import_then_check_through_the_binary() {
    let Some(dir) = fixtures() else { return };
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(crate::helpers::bin())
            .args(args)
            .current_dir(work.path())
            .output()
            .unwrap()
    };
    let config = crate::helpers::repo().join("config/dutybell.yaml");
    for name in ["seed.docx", "seed.xlsx"] {
        let out = work.path().join(name.replace('.', "-"));
        let o = run(&[
            "--config".as_ref(),
            config.as_os_str(),
            "import".as_ref(),
            dir.join(name).as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            // 6.2/6.3 have an empty 责任部门 cell: the draft needs an office to track them
            "--default-unit".as_ref(),
            "食品室".as_ref(),
        ]);
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{name}: {said}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            said.contains("10 areas, 41 tasks") && said.contains("0 unplaced cell(s)"),
            "{said}"
        );
        let o = run(&[
            "--config".as_ref(),
            out.join("dutybell.yaml").as_os_str(),
            "check".as_ref(),
        ]);
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{name}: check: {said}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(said.contains("10 areas, 41 tasks"), "{said}");
    }
    let junk = work.path().join("plan.docx");
    std::fs::write(&junk, "不是文档").unwrap();
    let o = run(&[
        "import".as_ref(),
        junk.as_os_str(),
        "--out".as_ref(),
        "draft".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains("plan.docx: not a Word or Excel document"),
        "{said}"
    );
}
