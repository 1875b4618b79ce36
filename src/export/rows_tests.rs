//! Unit tests of the checklist rows against the bundled plan, with hand-made store data.

use jiff::Timestamp;
use jiff::civil::{Date, date};

use super::*;
use crate::notify::Colour;
use crate::store::ProgressSource;

fn catalog() -> Catalog {
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dutybell.yaml");
    crate::loader::load(&config, date(2026, 11, 28).into())
        .expect("bundled config is valid")
        .catalog
}

fn at(s: &str) -> Timestamp {
    format!("{s}:00+08:00").parse().unwrap()
}

fn occ(key: &str, task: &str, start: Date, due: Date, status: OccurrenceStatus) -> Occurrence {
    Occurrence {
        key: key.into(),
        task_id: task.into(),
        rule_index: 0,
        period_label: format!("{key}期"),
        window_start: start,
        window_end: due,
        due_date: Some(due),
        status,
        colour: Colour::Blue,
        updated_at: at("2027-01-01T09:00"),
    }
}

fn note(task: &str, key: Option<&str>, text: &str, when: &str, done: bool) -> ProgressNote {
    ProgressNote {
        id: 0,
        task_id: task.into(),
        occurrence_key: key.map(Into::into),
        note: text.into(),
        by_name: "食品室张三".into(),
        at: at(when),
        done,
        source: ProgressSource::Cli,
    }
}

fn row<'a>(rows: &'a [Row], id: &str) -> &'a Row {
    rows.iter().find(|r| r.task_id == id).unwrap()
}

#[test]
fn rows_follow_the_source_table() {
    let c = catalog();
    let rows = checklist_rows(&c, &StoreView::default(), date(2027, 3, 10));
    assert_eq!(rows.len(), 41);
    let r = row(&rows, "1.5");
    assert_eq!(r.area, 1);
    assert_eq!(r.area_title, "（一）加强食用农产品质量安全监管");
    assert!(
        r.task.starts_with("5.完善粮食质量安全检验检测体系"),
        "{}",
        r.task
    );
    assert_eq!(
        r.departments,
        "县发改局、质量室、价格室、食品室、各市场监管所"
    );
    assert_eq!(r.deadline, "长期坚持");
    assert_eq!(r.progress, "");
    assert_eq!(row(&rows, "10.1").area_title.chars().nth(1), Some('十'));
}

#[test]
fn progress_shows_notes_up_to_the_date_and_the_current_occurrence() {
    let c = catalog();
    let view = StoreView {
        occurrences: vec![
            occ(
                "4.2@a",
                "4.2",
                date(2026, 9, 1),
                date(2026, 9, 30),
                OccurrenceStatus::Open,
            ),
            occ(
                "4.2@b",
                "4.2",
                date(2027, 3, 1),
                date(2027, 3, 31),
                OccurrenceStatus::Done,
            ),
        ],
        notes: vec![
            note("4.2", None, "已部署", "2027-03-02T10:00", false),
            note(
                "4.2",
                Some("4.2@b"),
                "已完成春季检查",
                "2027-03-05T16:00",
                true,
            ),
        ],
    };
    let before = checklist_rows(&c, &view, date(2027, 3, 3));
    assert_eq!(
        row(&before, "4.2").progress,
        "2027-03-02 食品室张三：已部署\n当前：4.2@b期 进行中（截止2027-03-31）\n另有1项已逾期未完成"
    );
    let after = checklist_rows(&c, &view, date(2027, 3, 5));
    let p = &row(&after, "4.2").progress;
    assert!(p.contains("2027-03-05 食品室张三：已完成春季检查"), "{p}");
    assert!(p.contains("当前：4.2@b期 已完成"), "{p}");
}

#[test]
fn only_the_latest_notes_are_listed() {
    let c = catalog();
    let notes = (1..=5)
        .map(|d| {
            note(
                "2.2",
                None,
                &format!("第{d}次"),
                &format!("2027-02-0{d}T09:00"),
                false,
            )
        })
        .collect();
    let view = StoreView {
        occurrences: vec![],
        notes,
    };
    let rows = checklist_rows(&c, &view, date(2027, 3, 1));
    let lines: Vec<&str> = row(&rows, "2.2").progress.lines().collect();
    assert_eq!(lines.len(), 1 + MAX_NOTES);
    assert_eq!(lines[0], "（另有2条较早记录）");
    assert!(lines[3].ends_with("第5次"));
}

#[test]
fn upcoming_occurrence_is_announced_and_statuses_read_well() {
    let c = catalog();
    let o = occ(
        "9.1@x",
        "9.1",
        date(2027, 9, 1),
        date(2027, 9, 18),
        OccurrenceStatus::Open,
    );
    let view = StoreView {
        occurrences: vec![o.clone()],
        notes: vec![],
    };
    let rows = checklist_rows(&c, &view, date(2027, 3, 1));
    assert_eq!(row(&rows, "9.1").progress, "下次：9.1@x期 2027-09-01开始");
    assert_eq!(
        status_zh(&o, date(2027, 9, 19), false),
        "已逾期（截止2027-09-18）"
    );
    assert_eq!(
        status_zh(&o, date(2027, 8, 1), false),
        "未开始（2027-09-01开始）"
    );
    assert_eq!(status_zh(&o, date(2027, 8, 1), true), "已完成");
    let occs = occurrence_rows(&c, &view, date(2027, 9, 2));
    assert_eq!(occs[0].status, "进行中（截止2027-09-18）");
    assert!(occs[0].task.starts_with("9.1 "));
}

#[test]
fn chinese_numbers() {
    let got: Vec<String> = [1, 9, 10, 11, 20, 21, 100].map(zh_number).to_vec();
    assert_eq!(got, ["一", "九", "十", "十一", "二十", "二十一", "100"]);
}
