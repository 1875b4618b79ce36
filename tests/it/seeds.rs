//! The bundled plan: 41 tasks in 10 areas, units as in the source, recurring duties carry rules.

use dutybell::catalog::{Catalog, Deadline, RuleForm};

use crate::helpers::repo;

fn catalog() -> Catalog {
    let today = jiff::civil::date(2026, 11, 28);
    dutybell::loader::load(&repo().join("config/dutybell.yaml"), today.into())
        .expect("bundled config is valid")
        .catalog
}

#[test]
fn forty_one_tasks_in_ten_areas() {
    let c = catalog();
    assert_eq!(c.tasks.len(), 41);
    assert_eq!(c.areas.len(), 10);
    let per_area: Vec<usize> = (1..=10)
        .map(|a| c.tasks.iter().filter(|t| t.area == a).count())
        .collect();
    assert_eq!(per_area, [6, 4, 2, 5, 6, 3, 3, 2, 6, 4]);
    assert!(
        c.tasks.iter().all(|t| t.deadline == Deadline::Ongoing),
        "every task is 长期坚持"
    );
}

#[test]
fn lead_and_cooperating_units_match_the_source() {
    let c = catalog();
    let expect: &[(&str, &str, &[&str])] = &[
        ("1.1", "agri_bureau", &[]),
        ("1.4", "agri_bureau", &["office_chengguan_nan", "food"]),
        (
            "1.5",
            "drc_bureau",
            &["quality", "price", "food", "all_offices"],
        ),
        ("2.1", "approval_bureau", &["food", "all_offices"]),
        (
            "3.1",
            "food",
            &["catering", "enforcement", "legal", "all_offices"],
        ),
        ("3.2", "all_townships", &["all_offices", "catering"]),
        ("4.5", "catering", &["food", "all_offices"]),
        ("5.5", "health_bureau", &[]),
        ("6.2", "food", &["enforcement", "legal", "all_offices"]),
        (
            "7.1",
            "police_bureau",
            &["enforcement", "legal", "food", "catering", "all_offices"],
        ),
        ("8.2", "market", &["all_internal"]),
        ("9.4", "food", &["catering", "admin"]),
        (
            "10.4",
            "admin",
            &["market", "food", "catering", "all_offices"],
        ),
    ];
    for (id, lead, coop) in expect {
        let t = c.task(id).unwrap_or_else(|| panic!("task {id}"));
        assert_eq!(&t.lead, lead, "{id} lead");
        assert_eq!(&t.cooperating, coop, "{id} cooperating");
    }
    assert_eq!(c.name_of("catering"), "餐饮室");
    assert_eq!(c.name_of("all_offices"), "各市场监管所");
}

#[test]
fn recurring_duties_carry_rules() {
    let c = catalog();
    let forms = |id: &str| -> Vec<RuleForm> {
        c.task(id)
            .unwrap()
            .rules
            .iter()
            .map(|r| r.form.clone())
            .collect()
    };
    for id in ["4.2", "4.3", "4.5"] {
        let events: Vec<String> = forms(id)
            .into_iter()
            .filter_map(|f| match f {
                RuleForm::CampaignEvent { event, .. } => Some(event),
                _ => None,
            })
            .collect();
        assert_eq!(events, ["spring_term_start", "autumn_term_start"], "{id}");
    }
    assert!(matches!(
        forms("10.2")[..],
        [RuleForm::EveryNYears { years: 2, .. }]
    ));
    assert!(matches!(forms("9.4")[..], [RuleForm::YearlyDate { .. }]));
    for id in ["9.1", "9.3"] {
        assert!(forms(id).iter().any(|f| matches!(f, RuleForm::CampaignEvent { event, .. } | RuleForm::YearlyEvent { event, .. } if event == "food_safety_week")), "{id}");
    }
    assert!(!forms("5.4").is_empty());
    // 日管控、周排查、月调度 are the enterprises' own routine, reported to the bureau once a month:
    // one routine monthly rule, no daily or weekly deadlines.
    for id in ["2.2", "4.1"] {
        let t = c.task(id).expect(id);
        assert!(
            matches!(t.rules[..], [ref r] if matches!(r.form, RuleForm::Monthly { .. }) && r.routine == ["日管控", "周排查", "月调度"]),
            "{id}"
        );
    }
}

#[test]
fn every_plan_file_title_and_measures_are_non_empty_chinese() {
    let c = catalog();
    for t in &c.tasks {
        assert!(
            t.title
                .chars()
                .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
            "{}",
            t.id
        );
    }
    // 7.2 and 7.3 have empty measures in the source; everything else has text.
    let empty: Vec<&str> = c
        .tasks
        .iter()
        .filter(|t| t.measures.is_empty())
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(empty, ["7.2", "7.3"]);
}
