//! Unit tests of the pure digest pieces: week keys, the due instant and its working-day rule,
//! and the template sample staying in step with [`DigestContent`].

use jiff::civil::date;
use jiff::tz::TimeZone;

use super::*;
use crate::catalog::DigestSpec;

fn spec(cron: &str) -> DigestSpec {
    DigestSpec {
        id: "weekly".into(),
        cron: crate::model::CronExpr::parse(cron).unwrap(),
        to: None,
        scope: crate::catalog::DigestScope::Unit,
        chat: vec![],
        send_empty: true,
    }
}

fn sh() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap()
}

#[test]
fn iso_week_keys_use_the_iso_week_year() {
    assert_eq!(iso_week_key(date(2027, 3, 1)), "2027-W09");
    assert_eq!(iso_week_key(date(2026, 12, 31)), "2026-W53");
    assert_eq!(iso_week_key(date(2027, 1, 3)), "2026-W53");
    assert_eq!(iso_week_key(date(2027, 1, 4)), "2027-W01");
    assert_eq!(week_label(date(2027, 3, 3)), "2027年第9周");
    assert_eq!(week_monday(date(2027, 3, 7)), date(2027, 3, 1));
}

#[test]
fn due_on_the_cron_day_when_it_is_a_working_day() {
    let cal = WorkCalendar::embedded();
    let t = due_instant(&spec("0 30 8 * * Mon"), &cal, &sh(), date(2026, 9, 9)).unwrap();
    assert_eq!(t, "2026-09-07T08:30:00+08:00".parse().unwrap());
}

#[test]
fn a_holiday_monday_moves_to_the_first_working_day_of_the_week() {
    let cal = WorkCalendar::embedded();
    // 国庆 2026: 1–7 October off; Thursday 8 October is the first working day of the week.
    let t = due_instant(&spec("0 30 8 * * Mon"), &cal, &sh(), date(2026, 10, 5)).unwrap();
    assert_eq!(t, "2026-10-08T08:30:00+08:00".parse().unwrap());
}

#[test]
fn a_week_without_working_days_after_the_cron_day_has_no_digest() {
    let cal = WorkCalendar::embedded();
    // A Saturday cron in an ordinary week: Saturday and Sunday are off, nothing left.
    assert_eq!(
        due_instant(&spec("0 0 9 * * Sat"), &cal, &sh(), date(2026, 9, 7)),
        None
    );
    // A monthly cron does not fire in most weeks.
    assert_eq!(
        due_instant(&spec("0 0 9 1 * *"), &cal, &sh(), date(2026, 9, 7)),
        None
    );
}

#[test]
fn next_due_is_strictly_after_now() {
    let cal = WorkCalendar::embedded();
    let specs = [spec("0 30 8 * * Mon")];
    let at: jiff::Timestamp = "2026-09-07T08:30:00+08:00".parse().unwrap();
    let next = next_due(&specs, &cal, &sh(), at).unwrap();
    assert_eq!(next, "2026-09-14T08:30:00+08:00".parse().unwrap());
    let before: jiff::Timestamp = "2026-09-07T08:00:00+08:00".parse().unwrap();
    assert_eq!(next_due(&specs, &cal, &sh(), before), Some(at));
}

/// Key paths of a JSON value (first element of arrays), so shapes can be compared.
fn shape(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}.{k}");
                out.push(p.clone());
                shape(x, &p, out);
            }
        }
        serde_json::Value::Array(a) => {
            if let Some(first) = a.first() {
                shape(first, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

fn empty_item() -> DigestItem {
    DigestItem {
        task_id: String::new(),
        title: String::new(),
        role: String::new(),
        role_zh: String::new(),
        lead_names: String::new(),
        occurrence: String::new(),
        period_label: String::new(),
        due: String::new(),
        status: String::new(),
        more: 0,
        others: Vec::new(),
        unreported: false,
        last_progress: String::new(),
        group: Default::default(),
        due_date: None,
    }
}

#[test]
fn the_render_check_sample_has_the_shape_of_digest_content() {
    let item = empty_item();
    let note = NoteItem {
        task_id: String::new(),
        title: String::new(),
        role_zh: String::new(),
        date: String::new(),
        by: String::new(),
        note: String::new(),
        done: false,
    };
    let content = DigestContent {
        week: String::new(),
        week_label: String::new(),
        week_start: String::new(),
        week_end: String::new(),
        as_of: String::new(),
        last_week: String::new(),
        unit: DigestUnit {
            id: String::new(),
            name: String::new(),
            head_name: String::new(),
        },
        counts: DigestCounts::default(),
        red: vec![item.clone()],
        yellow: vec![item.clone()],
        opening: vec![item.clone()],
        silent: vec![item],
        progress: vec![note],
        focus: vec!["【红】4.2 专项整治：已逾期".into()],
        all_clear: false,
        progress_url: String::new(),
    };
    let (mut real, mut sample) = (Vec::new(), Vec::new());
    shape(&serde_json::to_value(&content).unwrap(), "", &mut real);
    shape(
        &crate::render::sample::digest_sample(false),
        "",
        &mut sample,
    );
    real.sort();
    sample.sort();
    assert_eq!(real, sample);
}

#[test]
fn the_render_check_sample_has_the_shape_of_bureau_content() {
    let line = CountLine {
        name: String::new(),
        red: 0,
        yellow: 0,
    };
    let content = BureauContent {
        week: String::new(),
        week_label: String::new(),
        week_start: String::new(),
        week_end: String::new(),
        as_of: String::new(),
        last_week: String::new(),
        unit: DigestUnit {
            id: String::new(),
            name: String::new(),
            head_name: String::new(),
        },
        counts: BureauCounts::default(),
        focus: vec![String::new()],
        areas: vec![line.clone()],
        units: vec![line],
        red: vec![empty_item()],
        coordination: vec![empty_item()],
        all_clear: false,
        progress_url: String::new(),
    };
    let (mut real, mut sample) = (Vec::new(), Vec::new());
    shape(&serde_json::to_value(&content).unwrap(), "", &mut real);
    shape(
        &crate::render::sample::bureau_sample(false),
        "",
        &mut sample,
    );
    real.sort();
    sample.sort();
    assert_eq!(real, sample);
}
