//! Digest subscriptions beyond the section heads (issue 12): the bureau-wide digest for the 局领导
//! (golden file for a week of 2026, its own tasks apart from the 协调 items other bureaus lead),
//! the 所 heads' digests with what their office supports through 各所, the `to:`/`scope:`
//! settings as an admin writes them, and the daemon path with the real binary: one digest per
//! reader and week.
//!
//! May touch: temporary directories only.

use std::collections::BTreeMap;
use std::process::Command;

use dutybell::catalog::DigestScope;
use dutybell::digest::{self, Composer, DigestView};
use dutybell::schedule::route::led_from_outside;
use jiff::civil::date;

use crate::digest::{golden, load, renderer, seeded, t};
use crate::helpers::{bin, bundled_config_text, simulate_bundled};

fn bureau_spec(l: &dutybell::loader::Loaded) -> dutybell::catalog::DigestSpec {
    l.catalog
        .settings
        .digests
        .iter()
        .find(|d| d.scope == DigestScope::Bureau)
        .expect("the bundled config enables a bureau digest")
        .clone()
}

#[test]
fn the_bureau_digest_for_the_week_of_2026_09_07_matches_the_golden_file() {
    let l = load();
    let (_dir, store) = seeded(&l);
    let (cat, cal) = (&l.catalog, &l.calendar);
    let spec = bureau_spec(&l);
    let readers = digest::digest_readers(cat, &spec);
    assert_eq!(readers.len(), 1, "{readers:?}");
    assert_eq!(
        (readers[0].recipient.as_str(), readers[0].unit.as_str()),
        ("bureau_leaders", "bureau_leaders"),
        "the 局领导 unit, on its own mailbox and chat as escalations reach it"
    );
    let monday = date(2026, 9, 7);
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let at = digest::due_instant(&spec, cal, &tz, monday).unwrap();
    let view: DigestView = digest::load_view(cat, &store).unwrap();
    let plan = digest::plan_for_week(cat, cal, monday);
    let r = renderer();
    let c = digest::build_bureau(cat, cal, &plan, &view, "bureau_leaders", monday, at);
    // The bureau's own overdue tasks, each with its lead unit; the other bureaus' apart.
    assert!(!c.red.is_empty() && !c.coordination.is_empty());
    let outside = |id: &str| led_from_outside(cat, &cat.lead_units(cat.task(id).unwrap()));
    assert!(
        c.red
            .iter()
            .all(|i| !outside(&i.task_id) && !i.lead_names.is_empty())
    );
    assert!(c.coordination.iter().all(|i| outside(&i.task_id)));
    assert_eq!(c.counts.red, c.red.len());
    assert_eq!(c.counts.coordination, c.coordination.len());
    // All areas: the counts by area and by lead unit add up to the colour counts.
    let sum = |lines: &[digest::CountLine]| lines.iter().map(|l| l.red).sum::<usize>();
    assert_eq!(sum(&c.areas), c.counts.red);
    assert!(
        sum(&c.units) >= c.counts.red,
        "a task led by several counts for each"
    );
    // Last week's two notes (5.1 done, 4.4) count, and 4.4, reported this quarter, is not red;
    // every red line says it has no progress this period.
    assert_eq!(c.counts.progress, 2);
    assert!(c.red.iter().all(|i| i.task_id != "4.4"));
    assert!(c.red.iter().all(|i| i.unreported), "{:?}", c.red);
    let reader = &readers[0];
    let n = Composer::new(cat, cal, &r, &view, &plan, &spec, monday, at)
        .compose(reader)
        .unwrap()
        .remove(0);
    assert_eq!(n.id, "digest|bureau|2026-W37|bureau_leaders|file");
    assert_eq!(n.recipients.to[0].email, "leaders@example.org");
    assert!(
        n.subject.starts_with("【督办周报】全局 2026年第37周：红"),
        "{}",
        n.subject
    );
    // Coordination, not orders, for the other bureaus' tasks; nothing tells a leader to do it.
    assert!(
        n.text.contains("需协调事项（其他部门牵头，已逾期）"),
        "{}",
        n.text
    );
    assert!(!n.text.contains("请立即办结"), "{}", n.text);
    assert_eq!(crate::render_wording::doubled(&n.text), None, "{}", n.text);
    golden(
        "digest-bureau-2026-W37.txt",
        &format!(
            "Subject: {}\n\n{}\n---- markdown\n{}",
            n.subject, n.text, n.markdown
        ),
    );
}

#[test]
fn office_heads_get_what_their_office_supports_through_the_offices_group() {
    let l = load();
    let (_dir, store) = seeded(&l);
    let (cat, cal) = (&l.catalog, &l.calendar);
    let weekly = &cat.settings.digests[0];
    let readers = digest::digest_readers(cat, weekly);
    assert!(
        readers
            .iter()
            .any(|r| r.recipient == "office_baofeng#head" && r.unit == "office_baofeng")
    );
    let monday = date(2026, 9, 7);
    let view = digest::load_view(cat, &store).unwrap();
    let plan = digest::plan_for_week(cat, cal, monday);
    let c = digest::build_digest(
        cat,
        cal,
        &plan,
        &view,
        "office_baofeng",
        monday,
        t("2026-09-07T08:30"),
    );
    // 2.3 is led by 食品室 with 各所 cooperating: the 所 sees it, as 配合, naming the lead.
    let all: Vec<_> = c.red.iter().chain(&c.yellow).chain(&c.silent).collect();
    let i = all.iter().find(|i| i.task_id == "2.3").expect("2.3 listed");
    assert_eq!(
        (i.role_zh.as_str(), i.lead_names.as_str()),
        ("配合", "食品室")
    );
    // Only tasks the office has a part in, directly or through a group.
    for i in &all {
        let task = cat.task(&i.task_id).unwrap();
        assert!(
            cat.role_of(task, "office_baofeng").is_some(),
            "{}",
            i.task_id
        );
    }
    let n = digest::render_digest(&renderer(), cat, &c, "weekly", "file").unwrap();
    assert!(
        n.subject
            .starts_with("【督办周报】宝丰市场监管所 2026年第37周"),
        "{}",
        n.subject
    );
    assert_eq!(n.recipients.to[0].email, "head.office-baofeng@example.org");
    // A placeholder title, not a person: the full title once (`render::head_name`).
    assert_eq!(
        n.recipients.to[0].name.as_deref(),
        Some("宝丰市场监管所负责人")
    );
}

/// `dutybell check` on the bundled config with `edit` applied.
fn check_with(edit: impl Fn(String) -> String) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dutybell.yaml");
    let text = edit(bundled_config_text(&dir.path().join("state")));
    std::fs::write(&config, text).unwrap();
    let out = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .arg("check")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn digest_audience_and_scope_errors_are_located_and_suggest_the_keywords() {
    let (code, err) = check_with(|t| {
        t.replacen(
            "to: [section_heads, office_heads]",
            "to: [section_heads, ofice_heads]",
            1,
        )
    });
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dutybell.yaml:"), "{err}");
    assert!(
        err.contains("unknown unit, group or keyword (section_heads, office_heads) `ofice_heads`")
            && err.contains("office_heads"),
        "{err}"
    );
    let (code, err) = check_with(|t| t.replacen("scope: bureau", "scope: county", 1));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`county` is not valid; expected unit or bureau"),
        "{err}"
    );
    // A bureau digest with nobody to read it is an error, not a silent no-op.
    let (code, err) = check_with(|t| {
        t.replacen("  leadership_group: leadership\n", "", 1)
            .replacen(
                "      scope: bureau\n      to: leadership\n",
                "      scope: bureau\n",
                1,
            )
    });
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs `to:`"), "{err}");
}

/// The daemon path with the real binary: six simulated weeks (the 国庆 week's digest moves to
/// Thursday 10-08), and every reader of both digests gets exactly one digest per week.
#[test]
fn every_reader_gets_one_digest_a_week_from_the_real_daemon() {
    let (_dir, out_dir) = simulate_bundled("2026-09-07", "2026-10-18");
    let mut per: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for entry in std::fs::read_dir(out_dir.join("file")).unwrap() {
        let n: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        if n["kind"] != "digest" {
            continue;
        }
        // digest|{id}|{week}|{unit}|{channel}
        let id = n["id"].as_str().unwrap();
        let parts: Vec<&str> = id.split('|').collect();
        *per.entry((parts[1].into(), parts[2].into(), parts[3].into()))
            .or_default() += 1;
        if parts[1] == "bureau" {
            assert!(n["subject"].as_str().unwrap().contains("全局"), "{n}");
        }
    }
    let weeks: std::collections::BTreeSet<&str> = per.keys().map(|k| k.1.as_str()).collect();
    assert_eq!(
        weeks.into_iter().collect::<Vec<_>>(),
        [
            "2026-W37", "2026-W38", "2026-W39", "2026-W40", "2026-W41", "2026-W42"
        ]
    );
    assert!(per.values().all(|&c| c == 1), "{per:?}");
    for week in ["2026-W37", "2026-W41"] {
        let readers = |d: &str| per.keys().filter(|k| k.0 == d && k.1 == week).count();
        assert_eq!((readers("weekly"), readers("bureau")), (15, 1), "{week}");
    }
}
