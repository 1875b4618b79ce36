//! The plan schema as clerks write it (issue 14): units by Chinese name or alias (no ids),
//! co-leads, rows without a lead or without any unit, vague lists; routine reports per period;
//! reports about the previous period; holidays from the calendar data; activities at a time;
//! cross-year windows; half-years ending 12-31; `check` messages. Dates hand-checked against the
//! 2026 State Council notice (元旦 01-01..03, 01-04 make-up; 春节 02-15..23, 02-14 make-up;
//! 劳动节 05-01..05).

use dutybell::loader::Loaded;

use crate::helpers::load_inline;
use dutybell::schedule::{Plan, plan};
use jiff::civil::{Date, date};

/// A main config whose units have no ids: plans name them by name or alias.
const MAIN: &str = r#"
settings:
  plan: [plan]
  state_dir: state
  default_unit: 县安委办
  reminders: { before: [14d, 3wd, 0d], overdue_every: 3wd, escalate_after: 5wd, escalate_to: [head] }
units:
  - { name: 县安委办, kind: other, aliases: [安委办], head: { name: 甲 } }
  - { name: 县应急管理局, kind: county_bureau, aliases: [县应急局] }
  - { name: 县市场监管局, kind: county_bureau }
  - { name: 城关所, kind: office }
  - { name: 宝丰所, kind: office }
groups:
  - { id: offices, name: 各市场监管所, members: [宝丰所, 城关所], aliases: [各所] }
channels:
  - { id: file, kind: file }
"#;

fn synth(tasks: &str) -> Loaded {
    load_inline(MAIN, tasks).unwrap_or_else(|d| panic!("config does not load:\n{d}"))
}

fn errors(tasks: &str) -> String {
    match load_inline(MAIN, tasks) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d,
    }
}

fn task(rule: &str) -> String {
    format!(
        "  - id: \"1.1\"\n    title: 任务\n    lead: 县安委办\n    deadline: ongoing\n    rules:\n      - {rule}\n"
    )
}

fn run(l: &Loaded, from: Date, to: Date) -> Plan {
    plan(&l.catalog, &l.calendar, from, to)
}

fn dues(l: &Loaded, from: Date, to: Date) -> Vec<(String, Date)> {
    run(l, from, to)
        .occurrences
        .into_iter()
        .filter(|o| o.due >= from && o.due <= to)
        .map(|o| (o.key, o.due))
        .collect()
}

fn k(key: &str, d: Date) -> (String, Date) {
    (key.to_string(), d)
}

#[test]
fn units_by_name_alias_co_leads_and_source_order() {
    let l = synth(
        "  - id: \"1\"\n    title: 甲\n    lead: [安委办, 县应急局]\n    cooperating: [宝丰所, 县市场监管局, 城关所]\n    deadline: 2026-06-30\n\
         \x20 - id: \"2\"\n    title: 乙\n    units: [县市场监管局, 各所]\n    deadline: 2026-06-30\n\
         \x20 - id: \"3\"\n    title: 丙\n    deadline: 2026-06-30\n\
         \x20 - id: \"4\"\n    title: 丁\n    lead: 县应急管理局\n    units_text: 各有关部门\n    deadline: 2026-06-30\n",
    );
    let c = &l.catalog;
    let t1 = c.task("1").unwrap();
    assert_eq!(c.lead_units(t1), ["县安委办", "县应急管理局"]);
    // The source's order, not sorted.
    assert_eq!(
        c.cooperating_units(t1),
        ["宝丰所", "县市场监管局", "城关所"]
    );
    // 无牵头单位的，责任单位即为牵头单位.
    let t2 = c.task("2").unwrap();
    assert_eq!(c.lead_units(t2), ["县市场监管局", "宝丰所", "城关所"]);
    // No unit at all: tracked by the default unit.
    assert_eq!(c.lead_units(c.task("3").unwrap()), ["县安委办"]);
    let t4 = c.task("4").unwrap();
    assert_eq!(t4.units_text.as_deref(), Some("各有关部门"));
    assert_eq!(c.cooperating_units(t4), ["县安委办"]);
    assert!(
        l.warnings
            .to_string()
            .contains("`各有关部门` does not name its units"),
        "{}",
        l.warnings
    );
    // Reminders of one stage keep the routing order: co-leads first, then cooperating units
    // in the source's order.
    let p = run(&l, date(2026, 6, 30), date(2026, 6, 30));
    let due: Vec<&str> = p
        .reminders
        .iter()
        .filter(|r| r.task_id == "1")
        .map(|r| r.recipient.as_str())
        .collect();
    assert_eq!(
        due,
        [
            "县安委办",
            "县应急管理局",
            "宝丰所",
            "县市场监管局",
            "城关所"
        ]
    );
}

#[test]
fn unknown_names_get_a_did_you_mean_and_every_problem_is_reported() {
    let e = errors(
        "  - id: \"3b\"\n    title: 甲\n    lead: 县安委\n    cooperating: [各有关部门]\n    deadline: ongoing\n    rules:\n      - monthly: { day: 5, lable: x }\n      - monthly: { day: 32 }\n",
    );
    assert!(
        e.contains("unknown unit or group `县安委` (did you mean `县安委办`?)"),
        "{e}"
    );
    assert!(e.contains("under `units_text:`"), "{e}");
    assert!(e.contains("task id `3b` is not valid"), "{e}");
    assert!(e.contains("letters such as `3b` are not allowed"), "{e}");
    // The unknown key in the first rule does not hide `day: 32` in the second.
    assert!(e.contains("tasks[0].rules[0].monthly"), "{e}");
    assert!(
        e.contains("unknown key `lable` (did you mean `label`?)"),
        "{e}"
    );
    assert!(e.contains("day must be 1–31"), "{e}");
}

#[test]
fn full_width_colon_is_pointed_at() {
    let e = errors("  - id: \"1\"\n    title：任务\n    lead: 县安委办\n    deadline: ongoing\n");
    assert!(
        e.contains("p.yaml:4:5: error: title: `title：` has a full-width colon"),
        "{e}"
    );
}

#[test]
fn routine_report_once_a_month_escalated_only_when_overdue() {
    let l = synth(&task(
        "monthly: { day: last_workday, routine: [日管控, 周排查, 月调度] }",
    ));
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 3, 31)),
        [
            k("1.1@2026-01", date(2026, 1, 30)),
            k("1.1@2026-02", date(2026, 2, 28)),
            k("1.1@2026-03", date(2026, 3, 31))
        ]
    );
    let p = run(&l, date(2026, 3, 1), date(2026, 3, 31));
    let o = p
        .occurrences
        .iter()
        .find(|o| o.key == "1.1@2026-03")
        .unwrap();
    assert_eq!(
        o.period_label,
        "2026年3月 报送日管控、周排查、月调度落实情况"
    );
    // February's report: the due day, then escalation 5 working days later; nothing else.
    let feb = run(&l, date(2026, 2, 1), date(2026, 3, 31));
    let stages: Vec<(&str, Date)> = feb
        .reminders
        .iter()
        .filter(|r| r.occurrence_key == "1.1@2026-02")
        .map(|r| (r.stage.as_str(), r.date))
        .collect();
    assert_eq!(
        stages,
        [
            ("due", date(2026, 2, 28)),
            ("escalate-1", date(2026, 3, 6)),
            ("escalate-1", date(2026, 3, 6))
        ]
    );
}

#[test]
fn report_about_the_previous_month_never_moves_back_into_it() {
    let l = synth(&task("monthly: { day: 2, covers: previous_month }"));
    // 2026-01-02 is 元旦: moving back would give 2025-12-31, inside December, so it goes
    // forward to Sun 01-04 (a make-up working day).
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 3, 31)),
        [
            k("1.1@2025-12", date(2026, 1, 4)),
            k("1.1@2026-01", date(2026, 2, 2)),
            k("1.1@2026-02", date(2026, 3, 2))
        ]
    );
    let p = run(&l, date(2026, 5, 1), date(2026, 5, 31));
    let o = p
        .occurrences
        .iter()
        .find(|o| o.key == "1.1@2026-04")
        .unwrap();
    assert_eq!(o.period_label, "报送2026年4月份数据");
    assert_eq!(o.window_start, date(2026, 4, 1));
}

#[test]
fn before_holidays_from_the_calendar_data() {
    let l = synth(&task("before_holidays: { holidays: [元旦, 春节, 劳动节] }"));
    assert_eq!(
        dues(&l, date(2025, 12, 1), date(2026, 6, 30)),
        [
            k("1.1@2026-元旦", date(2025, 12, 31)),
            k("1.1@2026-春节", date(2026, 2, 14)),
            k("1.1@2026-劳动节", date(2026, 4, 30))
        ]
    );
}

#[test]
fn activity_at_a_time_is_never_overdue() {
    let l = synth(&task("once: { date: 2026-06-11, at: \"10:00\" }"));
    let p = run(&l, date(2026, 5, 1), date(2026, 8, 31));
    assert_eq!(p.occurrences[0].period_label, "2026年6月11日10时");
    assert!(p.reminders.iter().all(|r| r.date <= date(2026, 6, 11)));
    assert!(p.reminders.iter().any(|r| r.stage == "due"));
}

#[test]
fn cross_year_window_half_year_end_and_deadline_shift() {
    let l = synth(&task("campaign: { from: \"12-20\", to: \"01-10\" }"));
    let p = run(&l, date(2026, 12, 1), date(2026, 12, 31));
    let o = p
        .occurrences
        .iter()
        .find(|o| o.key == "1.1@2026-campaign")
        .unwrap();
    assert_eq!(o.window_start, date(2026, 12, 20));
    assert!(o.due.year() == 2027, "{o:?}");
    let l = synth(&task("half_yearly: { due: \"06-30\" }"));
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 12, 31)),
        [
            k("1.1@2026-H1", date(2026, 6, 30)),
            k("1.1@2026-H2", date(2026, 12, 31))
        ]
    );
    // Sat 2026-10-03 (国庆) stays put with `shift: none`.
    let l = synth(
        "  - id: \"1\"\n    title: 甲\n    lead: 县安委办\n    deadline: { date: 2026-10-03, shift: none }\n",
    );
    assert_eq!(
        dues(&l, date(2026, 9, 1), date(2026, 10, 31)),
        [k("1@deadline", date(2026, 10, 3))]
    );
}

#[test]
fn one_off_task_says_its_date_and_overlapping_deadline_is_one_due_reminder() {
    // No `deadline:` and one `once` rule: the task's 完成时限 is that date, not 长期坚持, and the
    // plan has one occurrence (the rule's), not a second `@deadline` one.
    let l = synth(
        "  - id: \"1\"\n    title: 甲\n    lead: 县安委办\n    rules:\n      - once: { date: 2026-06-30 }\n",
    );
    let t = l.catalog.task("1").unwrap();
    assert_eq!(
        t.deadline,
        dutybell::catalog::Deadline::Date(date(2026, 6, 30))
    );
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 12, 31)),
        [k("1@2026-06-30", date(2026, 6, 30))]
    );
    // A deadline on the day a campaign closes: one due reminder, and `check` warns.
    let l = synth(
        "  - id: \"1\"\n    title: 甲\n    lead: 县安委办\n    deadline: 2026-06-30\n    rules:\n      - campaign: { from: \"06-01\", to: \"06-30\" }\n",
    );
    assert!(
        l.warnings.to_string().contains("fall on the same day"),
        "{}",
        l.warnings
    );
    let p = run(&l, date(2026, 6, 30), date(2026, 6, 30));
    let due: Vec<&str> = p
        .reminders
        .iter()
        .filter(|r| r.stage == "due")
        .map(|r| r.occurrence_key.as_str())
        .collect();
    assert_eq!(due, ["1@2026-campaign"]);
}

#[test]
fn recurrence_bounds_keep_the_periods_inside() {
    // 每月25日前, from the second quarter of 2026 until May 2026: April (Sat 04-25 → Fri 04-24)
    // and May (Mon 05-25) only.
    let l = synth(&task("monthly: { day: 25, from: 2026-Q2, until: 2026-05 }"));
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 12, 31)),
        [
            k("1.1@2026-04", date(2026, 4, 24)),
            k("1.1@2026-05", date(2026, 5, 25))
        ]
    );
    let e = errors(&task("monthly: { day: 25, since: 2026-Q5, until: 2027 }"));
    assert!(e.contains("`2026-Q5` is not a period"), "{e}");
}
