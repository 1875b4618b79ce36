//! Weekly digests against the real bundled config and a temp SQLite store: the content for a fixed
//! database state (golden files, reviewed by hand), the holiday-week due day, exactly-once
//! enqueueing across ticks and missed ticks, and the email as mailparse reads it.
//!
//! May touch: temporary directories only.

use std::path::PathBuf;

use dutybell::digest::{self, DigestView};
use dutybell::loader::{self, Loaded};
use dutybell::notify::{Colour, Mailbox, MessageKind};
use dutybell::render::Renderer;
use dutybell::store::*;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use mailparse::MailHeaderMap;

use crate::helpers;

pub fn t(s: &str) -> Timestamp {
    format!("{s}:00+08:00").parse().unwrap()
}

pub fn load() -> Loaded {
    loader::load(
        &helpers::repo().join("config/dutybell.yaml"),
        date(2026, 9, 1).into(),
    )
    .expect("bundled config loads")
}

fn note(task: &str, key: Option<&str>, text: &str, done: bool) -> NewProgress {
    NewProgress {
        task_id: task.into(),
        occurrence_key: key.map(Into::into),
        note: text.into(),
        by_name: "餐饮室李四".into(),
        done,
        source: ProgressSource::Cli,
    }
}

/// The occurrences of the plan around the digest weeks, as the daemon's planner stores them.
fn occurrences(l: &Loaded, from: Date, to: Date) -> Vec<NewOccurrence> {
    let plan = dutybell::schedule::plan(&l.catalog, &l.calendar, from, to);
    plan.occurrences
        .iter()
        .map(|o| dutybell::service::plan::new_occurrence(o, Colour::Blue))
        .collect()
}

/// A temp store holding the plan's occurrences and a few notes around the week of 2026-09-07:
/// 5.1's second-quarter check-in done last week, a note on 4.4 last week, an older note on 5.2
/// (this quarter, not last week), and a note after the digest's due instant (must not show).
pub fn seeded(l: &Loaded) -> (tempfile::TempDir, dutybell::store::sqlite::SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        dutybell::store::sqlite::SqliteStore::open(dir.path().join("dutybell.db")).unwrap();
    let set = PlanSet {
        version_hash: "digest-test".into(),
        horizon_start: None,
        horizon_end: t("2027-12-31T00:00"),
        occurrences: occurrences(l, date(2026, 5, 1), date(2026, 11, 30)),
        reminders: vec![],
    };
    store.sync_plan(&set, t("2026-08-01T09:00")).unwrap();
    let notes = [
        (
            note("5.2", None, "已完成清洁厨房评价培训", false),
            "2026-08-25T10:00",
        ),
        (
            note(
                "5.1",
                Some("5.1@2026-Q2-checkin"),
                "第二季度检查餐饮单位 36 家，已报送",
                true,
            ),
            "2026-09-02T15:00",
        ),
        (
            note("4.4", None, "明厨亮灶接入 12 家，<持续推进> & 复查", false),
            "2026-09-04T11:30",
        ),
        (note("5.3", None, "周一上午补报", false), "2026-09-07T10:00"),
    ];
    for (n, at) in notes {
        store.add_progress(n, t(at)).unwrap();
    }
    (dir, store)
}

pub fn renderer() -> Renderer {
    let r = Renderer::new(None).unwrap();
    r.check().unwrap();
    r
}

/// Compares with `tests/golden/{name}`; `UPDATE_GOLDEN=1` rewrites it (then review the diff).
pub fn golden(name: &str, actual: &str) {
    let path: PathBuf = helpers::repo().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "golden {name} differs (UPDATE_GOLDEN=1 to rewrite, then review)"
    );
}

fn preview(l: &Loaded, store: &dyn Store, unit: &str, monday: Date) -> String {
    let spec = &l.catalog.settings.digests[0];
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let at = digest::due_instant(spec, &l.calendar, &tz, monday).unwrap();
    let view: DigestView = digest::load_view(&l.catalog, store).unwrap();
    let plan = digest::plan_for_week(&l.catalog, &l.calendar, monday);
    let c = digest::build_digest(&l.catalog, &l.calendar, &plan, &view, unit, monday, at);
    let n = digest::render_digest(&renderer(), &l.catalog, &c, &spec.id, "file").unwrap();
    format!("Subject: {}\n\n{}", n.subject, n.text)
}

#[test]
fn catering_digest_for_the_week_of_2026_09_07_matches_the_golden_file() {
    let l = load();
    let (_dir, store) = seeded(&l);
    let text = preview(&l, &store, "catering", date(2026, 9, 7));
    // The note recorded after the due instant (Monday 10:00) is not in Monday 08:30's digest.
    assert!(!text.contains("周一上午补报"), "{text}");
    assert!(
        text.contains("【牵头】") && text.contains("【配合】"),
        "{text}"
    );
    golden("digest-catering-2026-W37.txt", &text);
}

#[test]
fn national_day_week_digest_is_due_thursday_and_matches_the_golden_file() {
    let l = load();
    let spec = &l.catalog.settings.digests[0];
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let due = digest::due_instant(spec, &l.calendar, &tz, date(2026, 10, 5));
    assert_eq!(due, Some(t("2026-10-08T08:30")));
    let (_dir, store) = seeded(&l);
    golden(
        "digest-catering-2026-W41.txt",
        &preview(&l, &store, "catering", date(2026, 10, 5)),
    );
}

fn digest_rows(store: &dyn Store) -> Vec<OutboxItem> {
    store
        .list_outbox(None, 1000)
        .unwrap()
        .into_iter()
        .filter(|i| i.kind == MessageKind::Digest)
        .collect()
}

/// Rows one week's digests make with the bundled config: every reader of every digest (the
/// weekly one to the section and office heads, the bureau one to the 局领导), one channel each.
fn readers(l: &Loaded) -> usize {
    l.catalog
        .settings
        .digests
        .iter()
        .map(|s| digest::digest_readers(&l.catalog, s).len())
        .sum()
}

#[test]
fn two_ticks_in_one_week_enqueue_one_digest_per_head() {
    let l = load();
    let (_dir, mut store) = seeded(&l);
    let r = renderer();
    let heads = readers(&l);
    let weekly = digest::digest_units(&l.catalog, &l.catalog.settings.digests[0]);
    assert_eq!(
        weekly.len(),
        15,
        "seven section heads and eight office heads: {weekly:?}"
    );
    assert_eq!(heads, 16, "and the bureau digest to the 局领导");
    let (cat, cal) = (&l.catalog, &l.calendar);
    assert_eq!(
        digest::enqueue_due_digests(&mut store, cat, cal, &r, None, t("2026-09-07T08:00")).unwrap(),
        0,
        "not due before 08:30"
    );
    let first =
        digest::enqueue_due_digests(&mut store, cat, cal, &r, None, t("2026-09-07T08:30")).unwrap();
    let second =
        digest::enqueue_due_digests(&mut store, cat, cal, &r, None, t("2026-09-07T14:00")).unwrap();
    assert_eq!((first, second), (heads, 0));
    let rows = digest_rows(&store);
    assert_eq!(rows.len(), heads);
    let catering = rows
        .iter()
        .find(|i| i.recipient == "catering#head")
        .unwrap();
    assert_eq!(catering.dedupe_key, "digest|weekly|2026-W37|catering|file");
    assert_eq!(catering.stage, "digest-2026-W37");
    assert_eq!(catering.fire_at, t("2026-09-07T08:30"));
    let n = catering.notification().unwrap();
    assert_eq!(n.id, catering.dedupe_key);
    assert_eq!(n.recipients.to[0].email, "head.catering@example.org");
}

#[test]
fn a_missed_tick_is_caught_up_once_and_next_week_brings_new_rows() {
    let l = load();
    let (_dir, mut store) = seeded(&l);
    let r = renderer();
    let heads = readers(&l);
    let (cat, cal) = (&l.catalog, &l.calendar);
    // The daemon was down on Monday; it starts on Thursday.
    let late =
        digest::enqueue_due_digests(&mut store, cat, cal, &r, None, t("2026-09-10T15:00")).unwrap();
    assert_eq!(late, heads);
    let again =
        digest::enqueue_due_digests(&mut store, cat, cal, &r, None, t("2026-09-11T09:00")).unwrap();
    assert_eq!(again, 0);
    assert!(
        digest_rows(&store)
            .iter()
            .all(|i| i.fire_at == t("2026-09-07T08:30")),
        "a caught-up digest keeps its due instant (the dispatcher marks it late)"
    );
    let next =
        digest::enqueue_due_digests(&mut store, cat, cal, &r, None, t("2026-09-14T09:00")).unwrap();
    assert_eq!(next, heads);
    assert_eq!(digest_rows(&store).len(), 2 * heads);
}

#[test]
fn the_digest_email_parses_with_chinese_subject_and_both_parts() {
    let l = load();
    let (_dir, mut store) = seeded(&l);
    let (cat, cal) = (&l.catalog, &l.calendar);
    digest::enqueue_due_digests(
        &mut store,
        cat,
        cal,
        &renderer(),
        None,
        t("2026-09-07T08:30"),
    )
    .unwrap();
    let row = digest_rows(&store)
        .into_iter()
        .find(|i| i.recipient == "catering#head")
        .unwrap();
    let mut n = row.notification().unwrap();
    n.attempt_at = t("2026-09-07T08:30").as_second();
    let from = Mailbox {
        name: Some("督办提醒".into()),
        email: "duban@scjgj.example.org".into(),
    };
    let raw = dutybell::notify::email::render_rfc5322(&n, &from, "scjgj.example.org").unwrap();
    let m = mailparse::parse_mail(&raw).unwrap();
    let subject = m.headers.get_first_value("Subject").unwrap();
    assert!(
        subject.starts_with("【督办周报】餐饮室 2026年第37周：红"),
        "{subject}"
    );
    let to = &mailparse::addrparse_header(m.headers.get_first_header("To").unwrap()).unwrap()[0];
    match to {
        mailparse::MailAddr::Single(s) => {
            assert_eq!(s.addr, "head.catering@example.org");
            // The head's placeholder title once (it was `餐饮室负责人 餐饮室负责人`, issue 12).
            assert_eq!(s.display_name.as_deref(), Some("餐饮室负责人"));
        }
        other => panic!("unexpected To {other:?}"),
    }
    assert_eq!(m.ctype.mimetype, "multipart/alternative");
    let plain = m.subparts[0].get_body().unwrap();
    let html = m.subparts[1].get_body().unwrap();
    assert_eq!(m.subparts[1].ctype.mimetype, "text/html");
    assert!(plain.contains("一、已逾期（红）"), "{plain}");
    assert!(html.contains("一、已逾期（红）"), "{html}");
    // Notes are escaped in HTML, verbatim in text.
    assert!(plain.contains("<持续推进> & 复查"), "{plain}");
    assert!(html.contains("&lt;持续推进&gt; &amp; 复查"), "{html}");
}

#[test]
fn an_empty_week_is_all_clear_or_nothing_per_send_empty() {
    let l = load();
    let (cat, cal) = (&l.catalog, &l.calendar);
    let monday = date(2026, 9, 7);
    let empty = dutybell::schedule::Plan::default();
    let view = DigestView::default();
    let at = t("2026-09-07T08:30");
    let c = digest::build_digest(cat, cal, &empty, &view, "catering", monday, at);
    assert!(c.all_clear);
    let n = digest::render_digest(&renderer(), cat, &c, "weekly", "file").unwrap();
    assert_eq!(n.subject, "【督办周报】餐饮室 2026年第37周：本周无待办事项");
    assert!(n.text.contains("本周无待办事项。"), "{}", n.text);
    assert_eq!(n.colour, Colour::Blue);
    let mut spec = cat.settings.digests[0].clone();
    let rows = |spec: &dutybell::catalog::DigestSpec| {
        digest::digest_rows(cat, cal, &renderer(), &view, &empty, spec, monday, at, None).unwrap()
    };
    assert_eq!(rows(&spec).len(), 15, "all-clear digests by default");
    spec.send_empty = false;
    assert!(rows(&spec).is_empty(), "empty: skip sends nothing");
}

#[test]
fn digest_templates_can_be_overridden() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("digest.subject.txt"),
        "周报 {{ unit.name }} {{ week }}",
    )
    .unwrap();
    let r = Renderer::new(Some(dir.path())).unwrap();
    r.check().unwrap();
    assert!(r.overridden().contains_key("digest.subject.txt"));
    let l = load();
    let c = digest::build_digest(
        &l.catalog,
        &l.calendar,
        &dutybell::schedule::Plan::default(),
        &DigestView::default(),
        "food",
        date(2027, 3, 1),
        t("2027-03-01T08:30"),
    );
    let n = digest::render_digest(&r, &l.catalog, &c, "weekly", "file").unwrap();
    assert_eq!(n.subject, "周报 食品室 2027-W09");
    assert_eq!(n.id, "digest|weekly|2027-W09|food|file");
}

#[test]
fn cli_previews_a_digest_and_refuses_an_unknown_unit() {
    let run = |args: &[&str]| {
        std::process::Command::new(helpers::bin())
            .arg("--config")
            .arg(helpers::repo().join("config/dutybell.yaml"))
            .args(["--now", "2026-09-08T10:00"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["digest", "--unit", "catering"]);
    crate::helpers::succeeded(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Subject: 【督办周报】餐饮室 2026年第37周：红"),
        "{text}"
    );
    let html = run(&[
        "digest",
        "--unit",
        "catering",
        "--week",
        "2026-10-07",
        "--html",
    ]);
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(
        html.contains("2026年第41周") && html.contains("<table"),
        "{html}"
    );
    let bad = run(&["digest", "--unit", "no-such-unit"]);
    assert_eq!(bad.status.code(), Some(2));
}
