//! Unit-cell reading on a small catalog shaped like the reference config.

use super::*;
use crate::catalog::{Group, Unit, UnitKind};

fn unit(id: &str, name: &str, aliases: &[&str]) -> Unit {
    Unit {
        id: id.into(),
        name: name.into(),
        kind: UnitKind::Other,
        head: None,
        email: vec![],
        channels: vec![],
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        link_version: 1,
    }
}

fn names() -> Names {
    let units = vec![
        unit("food", "食品室", &[]),
        unit("agri_bureau", "县农业农村局", &[]),
        unit(
            "office_chengguan_nan",
            "城关南区市场监管所",
            &["城关南区所"],
        ),
        unit("police_bureau", "县公安局", &[]),
        unit("bureau_leaders", "局领导", &[]),
    ];
    let groups = vec![
        Group {
            id: "all_offices".into(),
            name: "各市场监管所".into(),
            members: vec!["office_chengguan_nan".into()],
            aliases: vec!["各所".into()],
        },
        Group {
            id: "all_internal".into(),
            name: "各室、队、站、所".into(),
            members: vec!["food".into()],
            aliases: vec![],
        },
        Group {
            id: "leadership".into(),
            name: "局领导".into(),
            members: vec!["bureau_leaders".into()],
            aliases: vec![],
        },
    ];
    Names::new(&units, &groups)
}

fn r(units: &str) -> Responsible {
    responsible(Some(units), None, None, &names())
}

#[test]
fn first_named_leads_and_the_rest_cooperate_in_order() {
    let x = r("县农业农村局，城关南区所，食品室");
    assert_eq!(x.leads, ["县农业农村局"]);
    assert_eq!(x.cooperating, ["城关南区所", "食品室"]);
    assert!(x.names.iter().all(|m| m.id.is_some()));
    assert_eq!(x.units_text, None);
}

#[test]
fn a_group_with_enumeration_commas_is_one_name() {
    let x = r("食品室、各室、队、站、所");
    assert_eq!(x.leads, ["食品室"]);
    assert_eq!(x.cooperating, ["各室、队、站、所"]);
}

#[test]
fn markers_decide_the_lead() {
    let x = r("食品室、县公安局（牵头）、各所");
    assert_eq!(x.leads, ["县公安局"]);
    assert_eq!(x.cooperating, ["食品室", "各所"]);
    let x = r("牵头单位：县公安局；配合单位：食品室、各所");
    assert_eq!(x.leads, ["县公安局"]);
    assert_eq!(x.cooperating, ["食品室", "各所"]);
    let x = r("县公安局牵头，食品室配合");
    assert_eq!(x.leads, ["县公安局"]);
    assert_eq!(x.cooperating, ["食品室"]);
    let x = r("县公安局、县农业农村局（共同牵头），食品室");
    assert_eq!(x.leads, ["县公安局", "县农业农村局"]);
    assert_eq!(x.cooperating, ["食品室"]);
}

#[test]
fn unknown_names_are_new_and_get_a_hint() {
    let x = r("县教体局、县农业局");
    assert_eq!(x.leads, ["县教体局"]);
    assert_eq!(x.cooperating, ["县农业局"]);
    assert_eq!(x.names[0].id, None);
    let h = x.names[1].hint.clone().unwrap_or_default();
    assert!(h.contains("县农业农村局"), "{h}");
}

#[test]
fn vague_lists_keep_the_cell_as_units_text() {
    let x = r("县公安局、县农业农村局等");
    assert_eq!(x.leads, ["县公安局"]);
    assert_eq!(x.cooperating, ["县农业农村局"]);
    assert_eq!(x.units_text.as_deref(), Some("县公安局、县农业农村局等"));
    let x = r("各有关部门");
    assert!(x.leads.is_empty() && x.cooperating.is_empty());
    assert_eq!(x.units_text.as_deref(), Some("各有关部门"));
}

#[test]
fn separate_lead_and_cooperating_columns() {
    let x = responsible(
        Some("食品室、各所"),
        Some("县公安局"),
        Some("县教体局"),
        &names(),
    );
    assert_eq!(x.leads, ["县公安局"]);
    assert_eq!(x.cooperating, ["食品室", "各所", "县教体局"]);
}

#[test]
fn a_shared_spelling_is_written_as_an_id() {
    let x = r("局领导");
    assert_eq!(x.leads.len(), 1);
    assert!(["bureau_leaders", "leadership"].contains(&x.leads[0].as_str()));
}

#[test]
fn kinds_from_name_endings() {
    assert_eq!(guess_kind("县教体局"), "county_bureau");
    assert_eq!(guess_kind("城关南区所"), "office");
    assert_eq!(guess_kind("红崖子乡"), "township");
    assert_eq!(guess_kind("餐饮室"), "section");
    assert_eq!(guess_kind("村(社区)"), "other");
}
