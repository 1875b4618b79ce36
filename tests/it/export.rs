//! `dutybell export` (xlsx, csv, md, ics) and `dutybell import-progress` through the real binary,
//! on a temp state dir whose database is filled through the `Store` API.
//!
//! May touch: temporary directories only.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Range, Reader, Xlsx, open_workbook};
use dutybell::notify::Colour;
use dutybell::store::*;
use icalendar::{CalendarComponent, Component, DatePerhapsTime};
use jiff::Timestamp;
use jiff::civil::{Date, date};

use crate::helpers;

/// A temp dir with a config pointing at it and a seeded database.
struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
}

fn t(s: &str) -> Timestamp {
    format!("{s}:00+08:00").parse().unwrap()
}

fn occ(key: &str, task: &str, rule: u32, label: &str, w: (Date, Date), c: Colour) -> NewOccurrence {
    NewOccurrence {
        key: key.into(),
        task_id: task.into(),
        rule_index: rule,
        period_label: label.into(),
        window_start: w.0,
        window_end: w.1,
        due_date: Some(w.1),
        colour: c,
    }
}

fn note(task: &str, key: Option<&str>, text: &str, done: bool) -> NewProgress {
    NewProgress {
        task_id: task.into(),
        occurrence_key: key.map(Into::into),
        note: text.into(),
        by_name: "食品室张三".into(),
        done,
        source: ProgressSource::Cli,
    }
}

const SPRING: &str = "4.2@2027-spring_term_start";
const AUTUMN: &str = "4.2@2026-autumn_term_start";
/// A 2.2 occurrence under way whatever the real date is (import resolves "current" by today).
const LONG: &str = "2.2@long";

fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let text = helpers::bundled_config_text(&state);
    let config = dir.path().join("dutybell.yaml");
    std::fs::write(&config, text).unwrap();
    let db = state.join("dutybell.db");
    let mut store = dutybell::store::sqlite::SqliteStore::open(&db).unwrap();
    let plan = PlanSet {
        version_hash: "test".into(),
        horizon_start: None,
        horizon_end: t("2099-12-31T00:00"),
        occurrences: vec![
            occ(
                AUTUMN,
                "4.2",
                1,
                "2026年秋季开学",
                (date(2026, 8, 18), date(2026, 10, 1)),
                Colour::Red,
            ),
            occ(
                SPRING,
                "4.2",
                0,
                "2027年春季开学",
                (date(2027, 2, 15), date(2027, 3, 31)),
                Colour::Blue,
            ),
            occ(
                LONG,
                "2.2",
                2,
                "长期调度",
                (date(2020, 1, 1), date(2099, 12, 31)),
                Colour::Yellow,
            ),
        ],
        reminders: vec![],
    };
    store.sync_plan(&plan, t("2026-08-01T09:00")).unwrap();
    store
        .add_progress(note("4.2", None, "已部署", false), t("2027-03-02T10:00"))
        .unwrap();
    let done = note("4.2", Some(SPRING), "已完成春季检查", true);
    store.add_progress(done, t("2027-03-05T16:00")).unwrap();
    Env { dir, config, db }
}

impl Env {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(helpers::bin())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?} failed: {err}");
        out
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn cell(r: &Range<Data>, row: u32, col: u32) -> String {
    r.get_value((row, col))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

#[test]
fn xlsx_looks_like_the_source_table_with_progress() {
    let env = setup();
    let out = env.path("清单.xlsx");
    env.ok(&[
        "export",
        "--format",
        "xlsx",
        "--as-of",
        "2027-03-10",
        "-o",
        out.to_str().unwrap(),
    ]);
    let mut wb: Xlsx<_> = open_workbook(&out).unwrap();
    let r = wb
        .worksheet_range(dutybell::export::SHEET_CHECKLIST)
        .unwrap();
    assert_eq!(cell(&r, 0, 0), dutybell::export::TITLE);
    let heads = [
        (1, 0, "序号"),
        (1, 1, "重点任务"),
        (2, 1, "项目"),
        (2, 2, "具体任务"),
    ];
    let heads = heads
        .into_iter()
        .chain([(1, 3, "落实措施"), (1, 4, "责任部门")]);
    for (row, col, text) in heads.chain([(1, 5, "完成时限"), (1, 6, "进展情况")]) {
        assert_eq!(cell(&r, row, col), text, "header ({row},{col})");
    }
    // Area 1 (6 tasks) starts on row 3; area 4 on row 3 + 6 + 4 + 2 = 15.
    assert_eq!(cell(&r, 3, 0), "1");
    assert_eq!(cell(&r, 3, 1), "（一）加强食用农产品质量安全监管");
    assert!(cell(&r, 3, 2).starts_with("1.落实《宁夏回族自治区"));
    assert_eq!(
        cell(&r, 7, 4),
        "县发改局、质量室、价格室、食品室、各市场监管所"
    );
    assert_eq!(cell(&r, 7, 5), "长期坚持");
    assert_eq!(cell(&r, 15, 1), "（四）加强校园食品安全监管");
    assert!(cell(&r, 16, 2).starts_with("2.每年开展春秋季校园食品安全专项整治"));
    let progress = cell(&r, 16, 6);
    assert!(
        progress.contains("2027-03-02 食品室张三：已部署"),
        "{progress}"
    );
    assert!(
        progress.contains("2027-03-05 食品室张三：已完成春季检查"),
        "{progress}"
    );
    assert!(
        progress.contains("当前：2027年春季开学 已完成"),
        "{progress}"
    );
    assert!(progress.contains("另有1项已逾期未完成"), "{progress}");
    assert_eq!(r.height(), 3 + 41);
    let merged = wb
        .merge_cells_by_sheet_name(dutybell::export::SHEET_CHECKLIST)
        .unwrap();
    let spans: Vec<((u32, u32), (u32, u32))> = merged.iter().map(|d| (d.start, d.end)).collect();
    for span in [
        ((0, 0), (0, 6)),
        ((1, 1), (1, 2)),
        ((3, 0), (8, 0)),
        ((3, 1), (8, 1)),
        ((15, 1), (19, 1)),
    ] {
        assert!(spans.contains(&span), "{span:?} not merged in {spans:?}");
    }
    occurrence_sheet(&mut wb);
}

fn occurrence_sheet(wb: &mut Xlsx<std::io::BufReader<std::fs::File>>) {
    let r = wb
        .worksheet_range(dutybell::export::SHEET_OCCURRENCES)
        .unwrap();
    assert_eq!(cell(&r, 1, 0), "任务编号");
    assert_eq!(cell(&r, 1, 7), "颜色");
    assert_eq!(cell(&r, 1, 8), "周期编号");
    let rows: Vec<Vec<String>> = (2..r.height() as u32)
        .map(|i| (0..9).map(|c| cell(&r, i, c)).collect())
        .collect();
    assert_eq!(rows.len(), 3);
    // Store order: by window start.
    assert_eq!(
        (rows[0][0].as_str(), rows[0][2].as_str()),
        ("2.2", "长期调度")
    );
    assert!(rows[0][1].starts_with("2.2 按照"), "{}", rows[0][1]);
    assert_eq!(rows[1][2], "2026年秋季开学");
    assert_eq!(rows[1][6], "已逾期（截止2026-10-01）");
    assert_eq!(rows[1][7], "红");
    assert_eq!(
        rows[2][3..],
        [
            "2027-02-15",
            "2027-03-31",
            "2027-03-31",
            "已完成",
            "蓝",
            SPRING
        ]
    );
}

fn csv_records(bytes: &[u8]) -> Vec<csv::StringRecord> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("CSV starts with a BOM");
    let mut r = csv::Reader::from_reader(body);
    assert_eq!(&r.headers().unwrap()[7], "进展情况");
    r.records().map(Result::unwrap).collect()
}

#[test]
fn csv_has_one_row_per_task() {
    let env = setup();
    let out = env.ok(&["export", "--format", "csv", "--as-of", "2027-03-10"]);
    let recs = csv_records(&out.stdout);
    let catalog = dutybell::loader::load(&env.config, date(2027, 3, 10).into())
        .unwrap()
        .catalog;
    let ids: Vec<&str> = recs.iter().map(|r| &r[0]).collect();
    let expect: Vec<&str> = catalog.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids.len(), 41);
    assert_eq!(ids, expect);
    let r42 = recs.iter().find(|r| &r[0] == "4.2").unwrap();
    assert_eq!(&r42[1], "4");
    assert_eq!(&r42[5], "餐饮室、各市场监管所");
    assert!(r42[7].contains("已完成春季检查"));
    // As of a day before the notes, nothing is reported yet.
    let early = env.ok(&["export", "--format", "csv", "--as-of", "2027-03-01"]);
    let early = csv_records(&early.stdout);
    let p = &early.iter().find(|r| &r[0] == "4.2").unwrap()[7];
    assert_eq!(
        p,
        "当前：2027年春季开学 进行中（截止2027-03-31）\n另有1项已逾期未完成"
    );
}

fn events(text: &str) -> Vec<icalendar::Event> {
    let cal: icalendar::Calendar = icalendar::parser::unfold(text).parse().unwrap();
    cal.components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn day(d: Option<DatePerhapsTime>) -> String {
    match d {
        Some(DatePerhapsTime::Date(d)) => d.to_string(),
        other => panic!("not an all-day date: {other:?}"),
    }
}

#[test]
fn ics_has_stable_all_day_events_for_the_unit() {
    let env = setup();
    let (a, b) = (env.path("a.ics"), env.path("b.ics"));
    for p in [&a, &b] {
        env.ok(&[
            "export",
            "--format",
            "ics",
            "--unit",
            "office_taole",
            "-o",
            p.to_str().unwrap(),
        ]);
    }
    let text = std::fs::read_to_string(&a).unwrap();
    assert!(text.contains("X-WR-CALNAME:督办提醒·陶乐市场监管所\r\n"));
    assert!(text.contains(&format!("PRODID:{}\r\n", dutybell::export::ICS_PRODID)));
    assert!(
        text.split("\r\n").all(|l| l.len() <= 75),
        "a line is longer than 75 octets"
    );
    let (ea, eb) = (events(&text), events(&std::fs::read_to_string(&b).unwrap()));
    let uids = |es: &[icalendar::Event]| -> Vec<String> {
        es.iter()
            .map(|e| e.get_uid().unwrap().to_string())
            .collect()
    };
    assert_eq!(uids(&ea), uids(&eb), "UIDs change between exports");
    assert_eq!(ea.len(), 3, "4.2 (via 各市场监管所) twice and 2.2");
    let spring = ea
        .iter()
        .find(|e| e.get_uid() == Some("4.2-2027-spring_term_start@dutybell"))
        .unwrap();
    assert_eq!(day(spring.get_start()), "2027-02-15");
    assert_eq!(day(spring.get_end()), "2027-04-01", "DTEND is exclusive");
    let summary = spring.get_summary().unwrap();
    assert!(
        summary.starts_with("【已完成】4.2 每年开展春秋季校园食品安全专项整治"),
        "{summary}"
    );
    let desc = spring.get_description().unwrap();
    assert!(
        desc.contains("角色：配合") && desc.contains("落实措施："),
        "{desc}"
    );
    let long = ea
        .iter()
        .find(|e| e.get_uid() == Some("2.2-long@dutybell"))
        .unwrap();
    assert_eq!(
        day(long.get_start()),
        "2099-12-31",
        "a deadline is one day on its due date"
    );
    assert_eq!(day(long.get_end()), "2100-01-01");
    let lead = env.ok(&["export", "--format", "ics", "--unit", "catering"]);
    let lead = events(&String::from_utf8(lead.stdout).unwrap());
    assert_eq!(lead.len(), 2);
    assert!(lead[0].get_description().unwrap().contains("角色：牵头"));
}

fn write_csv(env: &Env, name: &str, text: &str) -> PathBuf {
    let p = env.path(name);
    std::fs::write(&p, format!("\u{feff}{text}")).unwrap();
    p
}

fn notes_of(db: &Path, task: &str) -> Vec<ProgressNote> {
    dutybell::store::sqlite::SqliteStore::open(db)
        .unwrap()
        .progress_for_task(task)
        .unwrap()
}

#[test]
fn a_good_csv_is_imported_and_shows_in_the_export() {
    let env = setup();
    let csv = write_csv(
        &env,
        "good.csv",
        "任务编号,进展情况,完成,填报人\n2.2,\"已完成一企一档检查\n共12家\",是,食品室李四\n4.2,秋季整治补报,否,\n",
    );
    let dry = env.ok(&[
        "import-progress",
        csv.to_str().unwrap(),
        "--by",
        "餐饮室王五",
        "--dry-run",
    ]);
    assert!(String::from_utf8_lossy(&dry.stdout).contains("nothing written"));
    assert!(notes_of(&env.db, "2.2").is_empty(), "dry run wrote");
    env.ok(&[
        "import-progress",
        csv.to_str().unwrap(),
        "--by",
        "餐饮室王五",
    ]);
    let n = notes_of(&env.db, "2.2");
    assert_eq!(n.len(), 1);
    assert_eq!(
        (n[0].occurrence_key.as_deref(), n[0].done),
        (Some(LONG), true)
    );
    assert_eq!(
        (n[0].source, n[0].by_name.as_str()),
        (ProgressSource::Csv, "食品室李四")
    );
    assert_eq!(n[0].note, "已完成一企一档检查\n共12家");
    let store = dutybell::store::sqlite::SqliteStore::open(&env.db).unwrap();
    assert_eq!(
        store.occurrence(LONG).unwrap().unwrap().status,
        OccurrenceStatus::Done
    );
    let n42 = notes_of(&env.db, "4.2");
    let added = n42.iter().find(|n| n.note == "秋季整治补报").unwrap();
    assert_eq!((added.by_name.as_str(), added.done), ("餐饮室王五", false));
    let md = env.ok(&["export", "--format", "md"]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("食品室李四：已完成一企一档检查<br>共12家<br>当前：长期调度 已完成"),
        "{md}"
    );
}

#[test]
fn a_csv_with_one_bad_row_writes_nothing_and_exits_2() {
    let env = setup();
    let csv = write_csv(
        &env,
        "bad.csv",
        "task,note,done,by\n2.2,已完成,yes,食品室李四\n9.9,不存在的任务,no,食品室李四\n",
    );
    let out = env.run(&["import-progress", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3: unknown task `9.9`"), "{err}");
    assert!(!err.contains("line 2"), "{err}");
    assert!(notes_of(&env.db, "2.2").is_empty());
    let store = dutybell::store::sqlite::SqliteStore::open(&env.db).unwrap();
    assert_eq!(
        store.occurrence(LONG).unwrap().unwrap().status,
        OccurrenceStatus::Open
    );
}
