//! Steps that follow each other and duties inside declared event windows (issue 14), planned
//! with hand-given run-time facts (pure: no store). Dates hand-checked against the 2026 State
//! Council notice (春节 02-15..23 off, 02-14 and 02-28 make-up days; 国庆 10-01..07 off, 10-10
//! make-up) and the weekdays of 2026 (03-12 is a Thursday, 07-03 a Friday).

use dutybell::loader::Loaded;

use crate::helpers::load_inline;
use dutybell::schedule::{EventWindow, PlanFacts, plan_tasks_facts};
use jiff::civil::{Date, date};

const MAIN: &str = r#"
settings:
  plan: [plan]
  state_dir: state
  reminders: { before: [3wd, 0d], overdue_every: 3wd }
units:
  - { name: 县应急管理局, kind: county_bureau, aliases: [县应急局] }
  - { name: 县水利局, kind: county_bureau }
events:
  flood_response: { name: 防汛应急响应, declared: true }
  flood_season: { name: 主汛期, default: "06-01" }
channels:
  - { id: file, kind: file }
"#;

fn loaded(tasks: &str) -> Loaded {
    load_inline(MAIN, tasks).unwrap_or_else(|d| panic!("config does not load:\n{d}"))
}

fn errors(tasks: &str) -> String {
    match load_inline(MAIN, tasks) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d,
    }
}

/// (key, due, label) of the occurrences due in `[from, to]`.
fn dues(l: &Loaded, f: &PlanFacts, from: Date, to: Date) -> Vec<(String, Date, String)> {
    let c = &l.catalog;
    plan_tasks_facts(c, &l.calendar, &c.tasks, from, to, f)
        .occurrences
        .into_iter()
        .filter(|o| o.due >= from && o.due <= to)
        .map(|o| (o.key, o.due, o.period_label))
        .collect()
}

const DRILL: &str = r#"  - id: "2.1"
    title: 开展防汛应急演练
    lead: 县应急局
    deadline: ongoing
    rules:
      - once: { date: 2026-03-10, name: drill, label: 开展应急演练 }
      - after: { step: drill, within: 10wd, label: 报送演练总结, name: summary }
      - after: { step: summary, within: 5wd, label: 报送整改情况 }
"#;

#[test]
fn a_step_after_another_exists_only_once_that_one_is_reported_done() {
    let l = loaded(DRILL);
    let (from, to) = (date(2026, 3, 1), date(2026, 4, 30));
    // Nothing reported: only the drill itself.
    let none = dues(&l, &PlanFacts::default(), from, to);
    assert_eq!(
        none,
        vec![(
            "2.1@2026-03-10".into(),
            date(2026, 3, 10),
            "2026年3月10日 开展应急演练".into()
        )]
    );
    // The drill reported done on Thu 03-12: the summary is due 10 working days later, Thu 03-26
    // (03-13, 16, 17, 18, 19, 20, 23, 24, 25, 26).
    let mut f = PlanFacts::default();
    f.steps_done
        .insert("2.1@2026-03-10".into(), date(2026, 3, 12));
    let got = dues(&l, &f, from, to);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got[1],
        (
            "2.1@2026-03-10-then".into(),
            date(2026, 3, 26),
            "2026年3月10日 开展应急演练后 报送演练总结".into()
        )
    );
    // The summary reported done on Wed 03-25: the follow-up is due 5 working days later, Wed
    // 04-01 (03-26, 27, 30, 31, 04-01): a chain of three steps.
    f.steps_done
        .insert("2.1@2026-03-10-then".into(), date(2026, 3, 25));
    let got = dues(&l, &f, from, to);
    assert_eq!(
        got.iter()
            .map(|(k, d, _)| (k.as_str(), *d))
            .collect::<Vec<_>>(),
        vec![
            ("2.1@2026-03-10", date(2026, 3, 10)),
            ("2.1@2026-03-10-then", date(2026, 3, 26)),
            ("2.1@2026-03-10-then-then", date(2026, 4, 1)),
        ]
    );
    // Its reminders follow the rule's ladder: 3 working days before (Fri 03-27) and on the day.
    let c = &l.catalog;
    let p = plan_tasks_facts(c, &l.calendar, &c.tasks, from, to, &f);
    let stages: Vec<(String, Date)> = p
        .reminders
        .iter()
        .filter(|r| r.occurrence_key == "2.1@2026-03-10-then-then")
        .map(|r| (r.stage.to_string(), r.date))
        .collect();
    assert!(
        stages.contains(&("due".into(), date(2026, 4, 1))),
        "{stages:?}"
    );
    assert!(
        stages
            .iter()
            .any(|(s, d)| s.starts_with("lead") && *d == date(2026, 3, 27)),
        "{stages:?}"
    );
}

#[test]
fn calendar_days_after_a_report_shift_off_a_weekend() {
    let l = loaded(&DRILL.replace("within: 10wd", "within: 10d"));
    let mut f = PlanFacts::default();
    f.steps_done
        .insert("2.1@2026-03-10".into(), date(2026, 3, 12));
    // 10 days after Thu 03-12 is Sun 03-22: moved back to Fri 03-20.
    let got = dues(&l, &f, date(2026, 3, 11), date(2026, 3, 31));
    assert_eq!(got[0].0, "2.1@2026-03-10-then");
    assert_eq!(got[0].1, date(2026, 3, 20));
}

#[test]
fn a_chain_of_dated_steps_in_one_task_is_several_once_rules() {
    // 2月3日前制定方案 … 2月7日前报送: the second date is a Saturday before 春节 (02-07 is not a
    // make-up day), so it moves back to Fri 02-06.
    let l = loaded(
        r#"  - id: "3.1"
    title: 制定并报送防汛预案
    lead: 县水利局
    rules:
      - once: { date: 2026-02-03, label: 制定方案 }
      - once: { date: 2026-02-07, label: 报送县应急局 }
"#,
    );
    let got = dues(
        &l,
        &PlanFacts::default(),
        date(2026, 1, 1),
        date(2026, 12, 31),
    );
    assert_eq!(
        got.iter()
            .map(|(_, d, l)| (*d, l.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (date(2026, 2, 3), "2026年2月3日 制定方案"),
            (date(2026, 2, 6), "2026年2月7日 报送县应急局"),
        ]
    );
}

const DURING: &str = r#"  - id: "4.1"
    title: 应急响应期间每日报告
    lead: 县水利局
    deadline: ongoing
    rules:
      - during: { event: flood_response, label: 报送汛情日报 }
      - during: { event: flood_response, every: 1wd, label: 报送工作动态 }
"#;

#[test]
fn duties_during_a_declared_window_follow_its_days() {
    let l = loaded(DURING);
    let (from, to) = (date(2026, 7, 1), date(2026, 10, 12));
    assert!(dues(&l, &PlanFacts::default(), from, to).is_empty());
    let mut f = PlanFacts::default();
    f.windows.insert(
        "flood_response".into(),
        vec![
            // Fri 07-03 to Tue 07-07.
            EventWindow {
                start: date(2026, 7, 3),
                end: Some(date(2026, 7, 7)),
            },
            // Open since Tue 09-29: runs on through 国庆.
            EventWindow {
                start: date(2026, 9, 29),
                end: None,
            },
        ],
    );
    let got = dues(&l, &f, from, to);
    let daily: Vec<Date> = got
        .iter()
        .filter(|(k, _, _)| !k.ends_with("-r1"))
        .map(|(_, d, _)| *d)
        .collect();
    let mut expect: Vec<Date> = (3..=7).map(|d| date(2026, 7, d)).collect();
    expect.extend([date(2026, 9, 29), date(2026, 9, 30)]);
    expect.extend((1..=12).map(|d| date(2026, 10, d)));
    assert_eq!(daily, expect);
    // Working days only: 07-03, 07-06, 07-07; 09-29, 09-30, then 10-08, 10-09 and the make-up
    // Saturday 10-10, and Mon 10-12.
    let workdays: Vec<Date> = got
        .iter()
        .filter(|(k, _, _)| k.ends_with("-r1"))
        .map(|(_, d, _)| *d)
        .collect();
    assert_eq!(
        workdays,
        vec![
            date(2026, 7, 3),
            date(2026, 7, 6),
            date(2026, 7, 7),
            date(2026, 9, 29),
            date(2026, 9, 30),
            date(2026, 10, 8),
            date(2026, 10, 9),
            date(2026, 10, 10),
            date(2026, 10, 12),
        ]
    );
    assert_eq!(got[0].0, "4.1@flood_response-2026-07-03");
    assert_eq!(got[0].2, "防汛应急响应期间 2026年7月3日 报送汛情日报");
}

#[test]
fn check_refuses_bad_steps_and_misused_events() {
    let e = errors(
        r#"  - id: "5.1"
    title: 任务
    lead: 县水利局
    deadline: ongoing
    rules:
      - once: { date: 2026-03-10, name: drill }
      - after: { step: dril, within: 10wd }
      - after: { step: drill, within: 0wd }
      - during: { event: flood_season }
      - during: { event: flod_response }
      - yearly: { event: flood_response }
"#,
    );
    assert!(
        e.contains("unknown step") && e.contains("`dril`") && e.contains("drill"),
        "{e}"
    );
    assert!(e.contains("must be after the report"), "{e}");
    assert!(e.contains("`flood_season` has dates"), "{e}");
    assert!(e.contains("unknown declared event `flod_response`"), "{e}");
    assert!(e.contains("has no date to count from"), "{e}");
    assert!(e.contains("p.yaml:"), "errors name the file: {e}");
    let loops = errors(
        r#"  - id: "5.2"
    title: 任务
    lead: 县水利局
    deadline: ongoing
    rules:
      - after: { step: b, within: 1wd, name: a }
      - after: { step: a, within: 1wd, name: b }
"#,
    );
    assert!(loops.contains("cannot loop"), "{loops}");
}
