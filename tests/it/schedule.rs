//! The schedule: hand-checked occurrence tables per rule form on the embedded 2025–2026 Chinese
//! calendar, reminder ladders, routing, properties (working days, lead before due, range
//! splitting, determinism) and the golden `dutybell plan` listing of the bundled config.
//!
//! Synthetic catalogs are written as YAML into temp dirs and loaded with `dutybell::loader::load`.

use std::path::Path;
use std::process::Command;

use dutybell::loader::{Loaded, load};
use dutybell::notify::{Colour, MessageKind};
use dutybell::schedule::{Plan, plan, route::channels_for};
use jiff::civil::{Date, date};
use proptest::prelude::*;

use crate::helpers;

/// The main config of the synthetic catalogs; `{SMTP}` is `true` or `false`.
const MAIN: &str = r#"
settings:
  plan: [plan]
  state_dir: state
  fallback_channel: file
  leadership_group: leadership
  reminders:
    time: "09:00"
    before: [14d, 3wd, 0d]
    overdue_every: 3wd
    escalate_after: 5wd
    escalate_to: [head, leadership]
units:
  - id: food
    name: 食品室
    kind: section
    email: [food@example.org]
    head: { name: 甲, email: head.food@example.org }
    channels: [wecom-off]
  - id: catering
    name: 餐饮室
    kind: section
    head: { name: 乙 }
  - id: office_a
    name: 甲所
    kind: office
    email: [a@example.org]
    channels: [ding-on]
  - id: leaders
    name: 局领导
    kind: other
    email: [leaders@example.org]
groups:
  - { id: leadership, name: 局领导, members: [leaders] }
  - { id: offices, name: 各所, members: [office_a] }
channels:
  - { id: file, kind: file }
  - id: smtp
    kind: smtp
    enabled: {SMTP}
    host: smtp.example.org
    tls: implicit
    password: { env: DUTYBELL_SMTP_PASSWORD }
    from: { name: 督办提醒, email: dutybell@example.org }
  - { id: wecom-off, kind: wecom, enabled: false, key: { env: DUTYBELL_WECOM_KEY } }
  - { id: ding-on, kind: dingtalk, enabled: true, token: { env: DUTYBELL_DING_TOKEN } }
events:
  spring_term_start: { name: 春季开学, default: "03-01", dates: { 2026: 2026-03-02 } }
"#;

/// Load a catalog whose plan file holds `tasks` (YAML list items under `tasks:`).
fn synth(tasks: &str, smtp: bool) -> Loaded {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = MAIN.replace("{SMTP}", if smtp { "true" } else { "false" });
    std::fs::write(dir.path().join("dutybell.yaml"), main).expect("write");
    std::fs::create_dir(dir.path().join("plan")).expect("mkdir");
    let plan_yaml = format!("area: {{ number: 1, title: 测试 }}\ntasks:\n{tasks}");
    std::fs::write(dir.path().join("plan/p.yaml"), plan_yaml).expect("write");
    match load(&dir.path().join("dutybell.yaml"), date(2026, 1, 1).into()) {
        Ok(l) => l,
        Err(d) => panic!("synthetic config does not load:\n{d}"),
    }
}

/// One task `1.1` led by `food` (cooperating: offices) with the given rule lines.
fn one_rule(rule: &str) -> Loaded {
    synth(
        &format!(
            "  - id: \"1.1\"\n    title: 任务\n    lead: food\n    cooperating: [offices]\n    deadline: ongoing\n    rules:\n      - {rule}\n"
        ),
        true,
    )
}

fn run(l: &Loaded, from: Date, to: Date) -> Plan {
    plan(&l.catalog, &l.calendar, from, to)
}

/// (key, due) of the occurrences with `from <= due <= to`.
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
fn once_shifts_across_spring_festival() {
    let l = one_rule("once: { date: 2026-02-20 }");
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 12, 31)),
        vec![k("1.1@2026-02-20", date(2026, 2, 14))]
    );
    let p = run(&l, date(2026, 2, 1), date(2026, 2, 28));
    assert!(
        p.occurrences[0]
            .why
            .iter()
            .any(|w| w == "moved from Fri 2026-02-20, 春节, to Sat 2026-02-14")
    );
    let l = one_rule("once: { date: 2026-02-16, shift: next }");
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 12, 31)),
        vec![k("1.1@2026-02-16", date(2026, 2, 24))]
    );
}

#[test]
fn yearly_date_and_national_day_and_leap_day() {
    let l = one_rule("yearly: { date: \"10-03\" }");
    let p = run(&l, date(2026, 9, 1), date(2026, 10, 31));
    let o = p
        .occurrences
        .iter()
        .find(|o| o.key == "1.1@2026")
        .expect("2026");
    assert_eq!(o.due, date(2026, 9, 30));
    assert!(
        o.why
            .contains(&"moved from Sat 2026-10-03, 国庆节, to Wed 2026-09-30".to_string())
    );
    let l = one_rule("yearly: { date: \"02-29\" }");
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2029, 12, 31)),
        vec![k("1.1@2028", date(2028, 2, 29))],
        "Feb 29 occurs only in leap years"
    );
}

#[test]
fn yearly_event_default_date_warns() {
    let l = one_rule("yearly: { event: spring_term_start, offset: -1 }");
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2027, 12, 31)),
        vec![
            k("1.1@2026-spring_term_start", date(2026, 2, 28)),
            k("1.1@2027-spring_term_start", date(2027, 2, 26))
        ]
    );
    let p = run(&l, date(2027, 1, 1), date(2027, 12, 31));
    assert!(
        p.warnings.iter().any(|w| w.contains("spring_term_start")
            && w.contains("2027")
            && w.contains("default"))
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("no holiday data for 2027 yet"))
    );
    let p = run(&l, date(2026, 1, 1), date(2026, 12, 31));
    assert!(
        p.warnings.iter().all(|w| !w.contains("default")),
        "2026 has a real date: {:?}",
        p.warnings
    );
}

#[test]
fn campaign_around_event_and_fixed_window() {
    let l = one_rule("campaign: { event: spring_term_start, opens: -14, closes: 30 }");
    let p = run(&l, date(2026, 1, 1), date(2026, 12, 31));
    let o = &p.occurrences[0];
    assert_eq!(
        (o.window_start, o.window_end, o.due),
        (date(2026, 2, 16), date(2026, 4, 1), date(2026, 4, 1))
    );
    let lead: Vec<(&str, Date, Colour)> = p
        .reminders
        .iter()
        .filter(|r| r.recipient == "food" && r.channel == "smtp" && r.date < date(2026, 4, 2))
        .map(|r| (r.stage.as_str(), r.date, r.colour))
        .collect();
    assert_eq!(
        lead,
        vec![
            ("lead-14d", date(2026, 2, 2), Colour::Blue),
            ("lead-3wd", date(2026, 2, 12), Colour::Blue),
            ("open", date(2026, 2, 14), Colour::Yellow), // Mon 02-16 is 春节: Sat 02-14 is a make-up day
            ("due", date(2026, 4, 1), Colour::Yellow),
        ]
    );
    assert!(
        p.reminders
            .iter()
            .any(|r| r.stage == "open" && r.kind == MessageKind::CampaignOpening)
    );
    let l = one_rule("campaign: { from: \"06-01\", to: \"06-30\" }");
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 12, 31)),
        vec![k("1.1@2026-campaign", date(2026, 6, 30))]
    );
}

#[test]
fn every_n_years_periods_and_early_reminders() {
    let l = one_rule("every_n_years: { years: 2, anchor: 2025, due: \"11-30\", times: 2 }");
    assert_eq!(
        dues(&l, date(2025, 1, 1), date(2028, 12, 31)),
        vec![
            k("1.1@2025-2026", date(2026, 11, 30)),
            k("1.1@2027-2028", date(2028, 11, 30))
        ]
    );
    let p = run(&l, date(2025, 1, 1), date(2026, 12, 31));
    let o = p
        .occurrences
        .iter()
        .find(|o| o.key == "1.1@2025-2026")
        .expect("period");
    assert_eq!(
        (o.window_start, o.window_end),
        (date(2025, 1, 1), date(2026, 12, 31))
    );
    assert!(o.period_label.contains("至少2次"));
    let stage = |s: &str| {
        p.reminders
            .iter()
            .find(|r| r.stage == s && r.occurrence_key == o.key)
            .map(|r| r.date)
    };
    // 2025-01-01 .. 2026-11-30 is 698 days: midpoint + 349 days = Tue 2025-12-16.
    assert_eq!(stage("midpoint"), Some(date(2025, 12, 16)));
    // 90 days before Mon 2026-11-30 is Tue 2026-09-01.
    assert_eq!(stage("lead-90d"), Some(date(2026, 9, 1)));
}

#[test]
fn half_yearly_and_quarterly() {
    let l = one_rule("half_yearly: { due: \"06-30\" }");
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 12, 31)),
        vec![
            k("1.1@2026-H1", date(2026, 6, 30)),
            // 06-30 is the half's last day, so the second half ends on 12-31, not 12-30.
            k("1.1@2026-H2", date(2026, 12, 31))
        ]
    );
    // Feb 29: Sat 2026-02-28 (a 春节 make-up working day), and Aug 29 (Sat) → Fri 08-28.
    let l = one_rule("half_yearly: { due: \"02-29\" }");
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 12, 31)),
        vec![
            k("1.1@2026-H1", date(2026, 2, 28)),
            k("1.1@2026-H2", date(2026, 8, 28))
        ]
    );
    let l = one_rule("quarterly: { workdays_after_end: 5 }");
    // Q3 2026: 10-01..10-07 off; 10-08 (1), 10-09 (2), Sat 10-10 make-up (3), 10-12 (4), 10-13 (5).
    assert_eq!(
        dues(&l, date(2026, 4, 1), date(2026, 12, 31)),
        vec![
            k("1.1@2026-Q1", date(2026, 4, 8)),
            k("1.1@2026-Q2", date(2026, 7, 7)),
            k("1.1@2026-Q3", date(2026, 10, 13))
        ]
    );
    let l = one_rule("quarterly: { day: 10 }");
    assert_eq!(
        dues(&l, date(2026, 4, 1), date(2027, 1, 31)),
        vec![
            k("1.1@2026-Q1", date(2026, 4, 10)),
            k("1.1@2026-Q2", date(2026, 7, 10)),
            k("1.1@2026-Q3", date(2026, 10, 10)),
            k("1.1@2026-Q4", date(2027, 1, 8)),
        ]
    );
}

#[test]
fn monthly_clamps_and_last_days() {
    let l = one_rule("monthly: { day: 31 }");
    assert_eq!(
        dues(&l, date(2026, 1, 1), date(2026, 4, 30)),
        vec![
            k("1.1@2026-01", date(2026, 1, 30)), // Sat 01-31 → Fri
            k("1.1@2026-02", date(2026, 2, 28)), // clamped; Sat 02-28 is a 春节 make-up working day
            k("1.1@2026-03", date(2026, 3, 31)),
            k("1.1@2026-04", date(2026, 4, 30)),
        ]
    );
    assert_eq!(
        dues(&l, date(2028, 2, 1), date(2028, 2, 29)),
        vec![k("1.1@2028-02", date(2028, 2, 29))]
    );
    let l = one_rule("monthly: { day: -1 }");
    assert_eq!(
        dues(&l, date(2026, 5, 1), date(2026, 5, 31)),
        vec![k("1.1@2026-05", date(2026, 5, 29))]
    );
    let l = one_rule("monthly: { day: last_workday }");
    assert_eq!(
        dues(&l, date(2026, 9, 1), date(2026, 10, 31)),
        vec![
            k("1.1@2026-09", date(2026, 9, 30)),
            k("1.1@2026-10", date(2026, 10, 30))
        ]
    );
}

#[test]
fn weekly_daily_and_cron() {
    let l = one_rule("weekly: { weekday: fri }");
    assert_eq!(
        dues(&l, date(2026, 9, 28), date(2026, 10, 11)),
        vec![
            k("1.1@2026-W40", date(2026, 9, 30)),
            k("1.1@2026-W41", date(2026, 10, 9))
        ]
    );
    let l = one_rule("daily: { workdays_only: true }");
    assert_eq!(dues(&l, date(2026, 2, 1), date(2026, 2, 28)).len(), 16);
    let l = one_rule("cron: { expr: \"0 0 9 1 * *\" }");
    assert_eq!(
        dues(&l, date(2026, 1, 25), date(2026, 3, 5)),
        vec![
            k("1.1@2026-02-01", date(2026, 1, 30)),
            k("1.1@2026-03-01", date(2026, 2, 28))
        ]
    );
}

#[test]
fn deadline_and_checkins() {
    let l = synth(
        "  - { id: \"1.1\", title: 任务, lead: food, deadline: 2026-10-03 }\n  - { id: \"1.2\", title: 任务, lead: food, deadline: ongoing }\n  - { id: \"1.3\", title: 任务, lead: food, deadline: ongoing, rules: [ { yearly: { date: \"12-01\", reminders: none } } ] }\n  - { id: \"1.4\", title: 任务, lead: food, deadline: ongoing, rules: [ { yearly: { date: \"12-01\" } } ] }\n",
        true,
    );
    let d = dues(&l, date(2026, 1, 1), date(2026, 12, 31));
    assert!(d.contains(&k("1.1@deadline", date(2026, 9, 30))));
    for (q, due) in [
        (1, date(2026, 3, 31)),
        (2, date(2026, 6, 30)),
        (3, date(2026, 9, 30)),
        (4, date(2026, 12, 31)),
    ] {
        assert!(
            d.contains(&k(&format!("1.2@2026-Q{q}-checkin"), due)),
            "{q}"
        );
        assert!(
            d.contains(&k(&format!("1.3@2026-Q{q}-checkin"), due)),
            "a rule without push keeps check-ins"
        );
        assert!(
            !d.iter()
                .any(|(key, _)| key == &format!("1.4@2026-Q{q}-checkin")),
            "a pushing rule replaces them"
        );
    }
    let p = run(&l, date(2026, 3, 1), date(2026, 3, 31));
    let c = p
        .reminders
        .iter()
        .find(|r| r.occurrence_key == "1.2@2026-Q1-checkin" && r.stage == "checkin");
    assert_eq!(
        c.map(|r| (r.kind, r.date)),
        Some((MessageKind::Checkin, date(2026, 3, 31)))
    );
    let p = run(&l, date(2026, 11, 1), date(2026, 12, 31));
    assert!(p.occurrences.iter().any(|o| o.key == "1.3@2026"), "tracked");
    assert!(
        p.reminders.iter().all(|r| r.occurrence_key != "1.3@2026"),
        "reminders: none pushes nothing"
    );
    assert!(
        p.reminders
            .iter()
            .any(|r| r.occurrence_key == "1.3@2026-Q4-checkin")
    );
}

/// A deadline's ladder on 2026-06-30 with the default settings ladder.
#[test]
fn ladder_leads_overdue_escalation() {
    let l = synth(
        "  - { id: \"1.1\", title: 任务, lead: food, cooperating: [offices, catering], deadline: 2026-06-30 }\n",
        true,
    );
    let p = run(&l, date(2026, 1, 1), date(2026, 12, 31));
    let food: Vec<(&str, Date, Colour, MessageKind)> = p
        .reminders
        .iter()
        .filter(|r| r.recipient == "food" && r.channel == "smtp")
        .map(|r| (r.stage.as_str(), r.date, r.colour, r.kind))
        .collect();
    assert_eq!(
        &food[..5],
        &[
            (
                "lead-14d",
                date(2026, 6, 16),
                Colour::Blue,
                MessageKind::Lead
            ),
            (
                "lead-3wd",
                date(2026, 6, 25),
                Colour::Yellow,
                MessageKind::Lead
            ),
            (
                "due",
                date(2026, 6, 30),
                Colour::Yellow,
                MessageKind::DueToday
            ), // lead-0d merged into due
            (
                "overdue-1",
                date(2026, 7, 3),
                Colour::Red,
                MessageKind::Overdue
            ),
            (
                "escalate-1",
                date(2026, 7, 7),
                Colour::Red,
                MessageKind::Escalation
            ),
        ]
    );
    assert_eq!(
        food.iter().filter(|s| s.0.starts_with("overdue-")).count(),
        10,
        "capped at 10"
    );
    let esc: Vec<&str> = p
        .reminders
        .iter()
        .filter(|r| r.stage == "escalate-1")
        .map(|r| r.recipient.as_str())
        .collect();
    assert!(
        esc.contains(&"food#head") && esc.contains(&"leaders") && esc.contains(&"food"),
        "{esc:?}"
    );
    // Cooperating units: supporting on lead/due, nothing overdue.
    let coop: Vec<&str> = p
        .reminders
        .iter()
        .filter(|r| r.recipient == "office_a")
        .map(|r| r.stage.as_str())
        .collect();
    assert!(
        coop.contains(&"due")
            && !coop
                .iter()
                .any(|s| s.starts_with("overdue") || s.starts_with("escalate"))
    );
    assert!(
        p.reminders
            .iter()
            .filter(|r| r.recipient == "catering")
            .all(|r| r.supporting)
    );
}

#[test]
fn ladder_moves_off_weekends_and_options() {
    // Due Mon 2026-03-16; 2d before is Sat 03-14 → Fri 03-13.
    let l = synth(
        "  - { id: \"1.1\", title: 任务, lead: food, cooperating: [offices], deadline: 2026-03-16, reminders: { before: [2d], cooperating: digest_only } }\n  - { id: \"1.2\", title: 任务, lead: food, deadline: 2026-03-16, reminders: { before: [2d], on_non_working_days: true } }\n",
        true,
    );
    let p = run(&l, date(2026, 3, 1), date(2026, 3, 16));
    let lead = |t: &str| {
        p.reminders
            .iter()
            .find(|r| r.task_id == t && r.stage == "lead-2d")
            .map(|r| (r.date, r.why.clone()))
    };
    let (d, why) = lead("1.1").expect("lead");
    assert_eq!(d, date(2026, 3, 13));
    assert!(
        why.contains("moved from Sat 2026-03-14, weekend, to Fri 2026-03-13"),
        "{why}"
    );
    assert_eq!(lead("1.2").map(|x| x.0), Some(date(2026, 3, 14)));
    assert!(
        p.reminders.iter().all(|r| r.recipient != "office_a"),
        "digest_only: nothing pushed"
    );
    let at = p
        .reminders
        .iter()
        .find(|r| r.task_id == "1.1")
        .map(|r| r.at.to_string());
    assert_eq!(
        at.as_deref(),
        Some("2026-03-13T01:00:00Z"),
        "09:00 Asia/Shanghai"
    );
}

#[test]
fn routing_enabled_and_disabled_channels() {
    let on = synth(
        "  - { id: \"1.1\", title: 任务, lead: food, deadline: ongoing }\n",
        true,
    );
    let c = &on.catalog;
    assert_eq!(
        channels_for(c, "food"),
        ["smtp", "file"],
        "wecom-off is replaced by the fallback"
    );
    assert_eq!(channels_for(c, "office_a"), ["smtp", "ding-on"]);
    assert_eq!(channels_for(c, "catering"), ["file"], "no email, no chat");
    assert_eq!(channels_for(c, "food#head"), ["smtp"]);
    assert_eq!(
        channels_for(c, "catering#head"),
        ["file"],
        "head without email"
    );
    assert_eq!(channels_for(c, "leaders"), ["smtp"]);
    let off = synth(
        "  - { id: \"1.1\", title: 任务, lead: food, deadline: ongoing }\n",
        false,
    );
    assert_eq!(
        channels_for(&off.catalog, "food"),
        ["file"],
        "deduped fallback"
    );
    assert_eq!(channels_for(&off.catalog, "office_a"), ["file", "ding-on"]);
}

/// Rules of several forms for the property tests (default shift: previous).
fn mixed() -> &'static Loaded {
    static L: std::sync::OnceLock<Loaded> = std::sync::OnceLock::new();
    L.get_or_init(|| {
        synth(
            "  - id: \"1.1\"\n    title: 任务\n    lead: food\n    cooperating: [offices]\n    deadline: ongoing\n    rules:\n      - yearly: { date: \"10-03\" }\n      - campaign: { event: spring_term_start, opens: -14, closes: 30 }\n      - monthly: { day: 31 }\n      - weekly: { weekday: sat }\n      - quarterly: { day: 1 }\n      - every_n_years: { years: 2, anchor: 2025, due: \"02-15\", times: 1 }\n      - cron: { expr: \"0 0 9 * * Sun\" }\n  - { id: \"1.2\", title: 任务, lead: catering, deadline: ongoing }\n  - { id: \"1.3\", title: 任务, lead: offices, deadline: 2026-05-01 }\n",
            true,
        )
    })
}

fn day_in(span: i64) -> impl Strategy<Value = Date> {
    (0..span).prop_map(|n| date(2025, 1, 1) + jiff::Span::new().days(n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn dues_are_working_days_and_leads_not_after_due(a in day_in(700), len in 0i64..90) {
        let l = mixed();
        let b = a + jiff::Span::new().days(len);
        let p = run(l, a, b);
        for o in &p.occurrences {
            prop_assert!(l.calendar.is_workday(o.due), "{} due {}", o.key, o.due);
        }
        for r in &p.reminders {
            let o = p.occurrences.iter().find(|o| o.key == r.occurrence_key).expect("occurrence listed");
            let after = r.stage.starts_with("overdue") || r.stage.starts_with("escalate");
            prop_assert!(after || r.date <= o.due, "{} {} {}", r.stage, r.date, o.due);
            prop_assert!(!after || r.date > o.due);
            prop_assert!(r.date >= a && r.date <= b);
        }
    }

    #[test]
    fn split_ranges_union_and_determinism(a in day_in(600), l1 in 0i64..60, l2 in 1i64..60) {
        let l = mixed();
        let b = a + jiff::Span::new().days(l1);
        let c = b + jiff::Span::new().days(l2);
        let whole = run(l, a, c);
        prop_assert_eq!(&whole, &run(l, a, c));
        let (x, y) = (run(l, a, b), run(l, b + jiff::Span::new().days(1), c));
        let mut keys: Vec<String> = x.reminders.iter().chain(&y.reminders).map(|r| r.dedupe_key()).collect();
        keys.sort();
        let mut want: Vec<String> = whole.reminders.iter().map(|r| r.dedupe_key()).collect();
        want.sort();
        prop_assert_eq!(keys, want);
        let mut occ: Vec<&str> = x.occurrences.iter().chain(&y.occurrences).map(|o| o.key.as_str()).collect();
        occ.sort();
        occ.dedup();
        let mut want: Vec<&str> = whole.occurrences.iter().map(|o| o.key.as_str()).collect();
        want.sort();
        prop_assert_eq!(occ, want);
    }
}

/// `dutybell plan` over 2026 on the bundled config, compared with tests/golden/plan-2026.txt
/// (`DUTYBELL_UPDATE_GOLDEN=1` rewrites it).
#[test]
fn golden_plan_2026() {
    let root = helpers::repo();
    let out = Command::new(helpers::bin())
        .current_dir(&root)
        .args([
            "--config",
            "config/dutybell.yaml",
            "plan",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
        ])
        .output()
        .expect("run dutybell");
    crate::helpers::succeeded(&out);
    let got = String::from_utf8(out.stdout).expect("utf-8");
    let path = root.join("tests/golden/plan-2026.txt");
    if std::env::var_os("DUTYBELL_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new("."))).expect("mkdir");
        std::fs::write(&path, &got).expect("write golden");
    }
    let want =
        std::fs::read_to_string(&path).expect("golden file (run with DUTYBELL_UPDATE_GOLDEN=1)");
    assert!(
        got == want,
        "plan output differs from {}; rerun with DUTYBELL_UPDATE_GOLDEN=1 and review the diff",
        path.display()
    );
}

#[test]
fn cli_filters_json_and_bad_arguments() {
    let root = helpers::repo();
    let plan_cmd = |args: &[&str]| {
        Command::new(helpers::bin())
            .current_dir(&root)
            .args(["--config", "config/dutybell.yaml", "plan"])
            .args(args)
            .output()
            .expect("run dutybell")
    };
    let out = plan_cmd(&[
        "--from",
        "2026-11-01",
        "--days",
        "60",
        "--task",
        "10.2",
        "--json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let occ = v["occurrences"].as_array().expect("occurrences");
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0]["key"], "10.2@2025-2026");
    assert_eq!(occ[0]["due"], "2026-11-30");
    // `--task` plans the task alone: the same lines as the whole plan's for it.
    let json = |args: &[&str]| -> serde_json::Value {
        let out = plan_cmd(args);
        assert!(out.status.success(), "{args:?}");
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let range = ["--from", "2026-03-01", "--to", "2026-05-31", "--json"];
    let whole = json(&range);
    let one = json(&[&range[..], &["--task", "2.2"]].concat());
    for part in ["occurrences", "reminders"] {
        let want: Vec<_> = whole[part]
            .as_array()
            .expect(part)
            .iter()
            .filter(|x| x["task_id"] == "2.2")
            .collect();
        let got: Vec<_> = one[part].as_array().expect(part).iter().collect();
        assert!(!want.is_empty(), "{part}");
        assert_eq!(got, want, "{part}");
    }
    let out = plan_cmd(&[
        "--from",
        "2026-04-01",
        "--to",
        "2026-04-30",
        "--unit",
        "office_taole",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["reminders"]
            .as_array()
            .expect("r")
            .iter()
            .all(|r| r["recipient"] == "office_taole")
    );
    for bad in [
        &["--from", "2026-13-01"][..],
        &["--unit", "nobody"],
        &["--task", "99.9"],
        &["--days", "0"],
        &["--from", "2026-05-01", "--to", "2026-04-01"],
    ] {
        assert_eq!(plan_cmd(bad).status.code(), Some(2), "{bad:?}");
    }
}
