//! Unit tests of the ladder (merging, moving, caps, colours) and the cron boundary, on
//! hand-built drafts and the embedded calendar.

use jiff::civil::{Date, date};

use super::ladder::{MAX_OVERDUE, stages};
use super::periodic::cron_dates;
use super::{Draft, Occurrence, OccurrenceKind};
use crate::calendar::{Offset, WorkCalendar};
use crate::catalog::Ladder;
use crate::notify::Colour;

fn ladder(before: Vec<Offset>) -> Ladder {
    Ladder {
        before,
        ..Ladder::default()
    }
}

fn draft(l: &Ladder, due: Date, opens: Option<Date>) -> Draft<'_> {
    Draft {
        occ: Occurrence {
            key: "t@x".into(),
            task_id: "t".into(),
            rule_index: Some(0),
            kind: if opens.is_some() {
                OccurrenceKind::Campaign
            } else {
                OccurrenceKind::Deadline
            },
            period_label: String::new(),
            window_start: opens.unwrap_or(due),
            window_end: due,
            due,
            why: Vec::new(),
        },
        ladder: l,
        opens,
        long_period: false,
        warning: None,
    }
}

fn names(v: &[super::ladder::Stage]) -> Vec<(String, Date)> {
    v.iter().map(|s| (s.name.to_string(), s.date)).collect()
}

#[test]
fn stages_on_one_day_merge_into_the_later() {
    let cal = WorkCalendar::embedded();
    // Due Tue 2026-02-24, right after 春节 (02-15..02-23 off, Sat 02-14 a make-up working day):
    // 1wd before is 02-14; 3d before is Sat 02-21 (春节), moved back to 02-14 as well. Both on
    // one day: only the later stage of the ladder (3d, whose own date was later) is kept.
    let l = ladder(vec![Offset::Days(3), Offset::Workdays(1)]);
    let s = stages(
        &cal,
        &draft(&l, date(2026, 2, 24), None),
        None,
        Some(date(2026, 2, 25)),
    );
    assert_eq!(
        names(&s),
        vec![
            ("lead-3d".into(), date(2026, 2, 14)),
            ("due".into(), date(2026, 2, 24))
        ]
    );
}

#[test]
fn overdue_capped_by_next_occurrence_and_ten() {
    let cal = WorkCalendar::embedded();
    let l = ladder(vec![]);
    let d = draft(&l, date(2026, 3, 2), None);
    let s = stages(&cal, &d, None, Some(date(2026, 3, 9)));
    // 3wd after Mon 03-02 is Thu 03-05; the next would be 03-10, after the next due (03-09);
    // escalation at 5wd is Mon 03-09 = next due: dropped.
    assert_eq!(
        names(&s),
        vec![
            ("due".into(), date(2026, 3, 2)),
            ("overdue-1".into(), date(2026, 3, 5))
        ]
    );
    let s = stages(&cal, &d, None, None);
    let overdue = s.iter().filter(|x| x.name.starts_with("overdue-")).count();
    assert_eq!(overdue, usize::try_from(MAX_OVERDUE).unwrap_or(0));
    assert!(
        s.iter()
            .all(|x| x.date <= d.occ.due || x.colour == Colour::Red)
    );
}

#[test]
fn leads_never_before_the_previous_due_nor_after_due() {
    let cal = WorkCalendar::embedded();
    let l = ladder(vec![Offset::Days(14), Offset::Days(-2)]);
    // Weekly-like: previous due 2026-03-06; 14d before 03-13 is 02-27, in the previous ladder.
    let s = stages(
        &cal,
        &draft(&l, date(2026, 3, 13), None),
        Some(date(2026, 3, 6)),
        None,
    );
    assert!(
        s.iter().all(|x| !x.name.starts_with("lead")),
        "{:?}",
        names(&s)
    );
}

#[test]
fn colours_and_push_false() {
    let cal = WorkCalendar::embedded();
    let l = ladder(vec![Offset::Days(14), Offset::Workdays(3)]);
    let s = stages(
        &cal,
        &draft(&l, date(2026, 6, 30), Some(date(2026, 6, 1))),
        None,
        None,
    );
    let c: Vec<(&str, Colour)> = s.iter().take(4).map(|x| (&*x.name, x.colour)).collect();
    assert_eq!(
        c,
        vec![
            ("lead-14d", Colour::Blue),
            ("lead-3wd", Colour::Blue),
            ("open", Colour::Yellow),
            ("due", Colour::Yellow)
        ]
    );
    let quiet = Ladder { push: false, ..l };
    assert!(stages(&cal, &draft(&quiet, date(2026, 6, 30), None), None, None).is_empty());
}

#[test]
fn overdue_on_a_holiday_moves_forward() {
    let cal = WorkCalendar::embedded();
    let l = Ladder {
        overdue_every: Some(Offset::Days(1)),
        escalate_after: None,
        ..ladder(vec![])
    };
    // Due Wed 2026-09-30; +1d is 10-01 (国庆) → next working day Thu 10-08.
    let s = stages(
        &cal,
        &draft(&l, date(2026, 9, 30), None),
        None,
        Some(date(2026, 10, 9)),
    );
    assert_eq!(names(&s)[1], ("overdue-1".into(), date(2026, 10, 8)));
}

#[test]
fn cron_fires_once_per_local_date() {
    let cron = |s: &str| crate::model::CronExpr::parse(s).unwrap();
    let every_minute = cron_dates(&cron("0 * * * * *"), (2026, 2026));
    assert_eq!(every_minute.len(), 365);
    let sundays = cron_dates(&cron("0 0 9 * * Sun"), (2026, 2026));
    assert_eq!(sundays.first(), Some(&date(2026, 1, 4)));
    assert!(crate::model::CronExpr::parse("not cron").is_err());
}

mod dedupe {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::super::{Reminder, dedupe_sorted};
    use crate::notify::{Colour, MessageKind};

    /// A reminder from small alphabets, so repeats are common. Its instant follows from its
    /// occurrence and stage, as in a real plan.
    pub(super) fn reminder((task, occ, stage, who, chan): (u8, u8, u8, u8, u8)) -> Reminder {
        let at =
            jiff::Timestamp::from_second(1_800_000_000 + i64::from(occ) * 600 + i64::from(stage))
                .unwrap();
        Reminder {
            occurrence_key: format!("t{task}@{occ}").into(),
            task_id: format!("t{task}").into(),
            stage: format!("s{stage}").into(),
            kind: MessageKind::Lead,
            colour: Colour::Blue,
            date: jiff::civil::date(2027, 1, 1),
            at,
            recipient: format!("u{who}").into(),
            supporting: false,
            channel: format!("c{chan}").into(),
            why: "".into(),
        }
    }

    proptest! {
        #[test]
        fn keeps_what_the_set_of_keys_kept(
            raw in proptest::collection::vec((0u8..3, 0u8..3, 0u8..3, 0u8..4, 0u8..2), 0..80)
        ) {
            let mut v: Vec<Reminder> = raw.into_iter().map(reminder).collect();
            // The plan's sort (stable: recipients stay in routing order).
            v.sort_by(|a, b| {
                (a.at, &a.task_id, &a.occurrence_key, &a.stage)
                    .cmp(&(b.at, &b.task_id, &b.occurrence_key, &b.stage))
            });
            let mut seen = BTreeSet::new();
            let mut want = v.clone();
            want.retain(|r| seen.insert(r.dedupe_key()));
            dedupe_sorted(&mut v);
            prop_assert_eq!(v, want);
        }
    }
}

mod order {
    use proptest::prelude::*;

    use crate::model::SharedStr;

    use super::super::{Reminder, sort_reminders, sort_task_reminders};
    use super::dedupe::reminder;

    /// Equal strings in separate allocations and in shared ones, as a plan has both.
    fn shared(mut v: Vec<Reminder>, share: bool) -> Vec<Reminder> {
        if share {
            let mut pool: Vec<SharedStr> = Vec::new();
            for r in &mut v {
                for s in [&mut r.occurrence_key, &mut r.stage] {
                    match pool.iter().find(|p| ***p == **s) {
                        Some(p) => *s = p.clone(),
                        None => pool.push(s.clone()),
                    }
                }
            }
        }
        v
    }

    proptest! {
        #[test]
        fn sorts_as_the_stable_sort_on_strings_did(
            raw in proptest::collection::vec((0u8..12, 0u8..4, 0u8..3, 0u8..4, 0u8..2), 0..120)
        ) {
            // Task ids "t1" < "t10" < "t2": string order, not numeric.
            let mut v: Vec<Reminder> = raw.into_iter().map(reminder).collect();
            let mut want = v.clone();
            want.sort_by(|a, b| {
                (a.at, &a.task_id, &a.occurrence_key, &a.stage)
                    .cmp(&(b.at, &b.task_id, &b.occurrence_key, &b.stage))
            });
            sort_reminders(&mut v);
            prop_assert_eq!(v, want);
        }

        #[test]
        fn the_sort_of_one_task_is_the_stable_sort_on_strings(
            raw in proptest::collection::vec((0u8..1, 0u8..6, 0u8..4, 0u8..4, 0u8..2), 0..120),
            share in any::<bool>(),
        ) {
            let mut v = shared(raw.into_iter().map(reminder).collect(), share);
            let mut want = v.clone();
            want.sort_by(|a, b| {
                (a.at, &a.task_id, &a.occurrence_key, &a.stage)
                    .cmp(&(b.at, &b.task_id, &b.occurrence_key, &b.stage))
            });
            sort_task_reminders(&mut v);
            prop_assert_eq!(v, want);
        }
    }
}

/// Planning task by task gives each task exactly its share of the whole plan, in the same order,
/// and the same warnings.
#[test]
fn planning_task_by_task_is_the_whole_plan_split_by_task() {
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dutybell.yaml");
    let l = crate::loader::load(&config, date(2026, 11, 28).into()).expect("bundled config");
    let (cat, cal) = (l.catalog, l.calendar);
    for (from, to) in [
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2025, 11, 20), date(2027, 2, 3)),
        (date(2031, 6, 1), date(2031, 6, 30)),
    ] {
        let whole = super::plan(&cat, &cal, from, to);
        let mut seen = Vec::new();
        let warnings = super::plan_each(
            &cat,
            &cal,
            &cat.tasks,
            from,
            to,
            &super::PlanFacts::default(),
            |p| seen.push(p),
        );
        assert_eq!(warnings, whole.warnings);
        assert!(!warnings.is_empty(), "default event dates are warned about");
        assert_eq!(seen.len(), cat.tasks.len());
        for (task, p) in cat.tasks.iter().zip(&seen) {
            let occ: Vec<_> = whole
                .occurrences
                .iter()
                .filter(|o| o.task_id == task.id)
                .cloned()
                .collect();
            let rem: Vec<_> = whole
                .reminders
                .iter()
                .filter(|r| *r.task_id == *task.id)
                .cloned()
                .collect();
            assert_eq!(p.occurrences, occ, "{}", task.id);
            assert_eq!(p.reminders, rem, "{}", task.id);
            assert!(p.warnings.is_empty());
        }
        assert!(seen.iter().map(|p| p.reminders.len()).sum::<usize>() > 0);
    }
}
