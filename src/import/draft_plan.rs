//! The plan half of a draft: one plan file per area, tasks with ids from the document's numbering,
//! units matched ([`super::units`]), 完成时限 read by the phrase grammar ([`super::phrase`]), and
//! the cells' text kept under `source:`. Fills the report as it goes.

use super::draft_yaml::Y;
use super::phrase::{self, Kind};
use super::phrase_parse::rule_text;
use super::report::{Cell, PhraseRow, Placed, Report, UnitRow};
use super::source::{Column, Located, SourceArea, SourcePlan, SourceTask};
use crate::catalog::names::Names;

/// One plan file of the draft.
#[derive(Debug, Clone)]
pub struct PlanFile {
    /// File name under `plan/` (`01-加强食用农产品质量安全监管.yaml`).
    pub name: String,
    /// Comment lines at the top.
    pub header: Vec<String>,
    /// The document.
    pub doc: Y,
}

/// What the plan half needs from the config half.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    /// New units: name, kind, the first cell naming it.
    pub new_units: Vec<(String, &'static str, Option<Cell>)>,
    /// Named events the rules use.
    pub events: Vec<&'static str>,
    /// Tasks that rely on settings.default_unit (no unit, or a vague list).
    pub default_unit_for: Vec<String>,
}

/// Build every plan file of `plan`.
pub(crate) fn plan_files(
    plan: &SourcePlan,
    names: &Names,
    year: i16,
    report: &mut Report,
) -> (Vec<PlanFile>, Needs) {
    let mut needs = Needs::default();
    let numbers = area_numbers(&plan.areas, report);
    let mut files = Vec::new();
    for (area, number) in plan.areas.iter().zip(numbers) {
        let ids = task_numbers(area, number, report);
        let mut tasks = Vec::new();
        for (t, n) in area.tasks.iter().zip(ids) {
            let id = format!("{number}.{n}");
            tasks.push((
                task(t, &area.title.text, &id, names, year, report, &mut needs),
                None,
            ));
        }
        report.tasks += tasks.len();
        let title = if area.title.text.is_empty() {
            "（未分区）".to_string()
        } else {
            area.title.text.clone()
        };
        let doc = Y::Map(vec![
            (
                "area".into(),
                Y::Flow(Box::new(Y::map([
                    ("number", Y::Int(i64::from(number))),
                    ("title", Y::s(title.clone())),
                ]))),
                None,
            ),
            ("tasks".into(), Y::Seq(tasks), None),
        ]);
        let at = if area.title.text.is_empty() {
            String::new()
        } else {
            format!(" ({})", Cell::from(area.title.pos))
        };
        files.push(PlanFile {
            name: format!("{number:02}-{}.yaml", slug(&title)),
            header: vec![
                format!("Area {number} of {}{at}.", report.source),
                "Drafted by `dutybell import`: review it with import-report.md; `source:` keeps each task's cells as written.".into(),
            ],
            doc,
        });
    }
    report.areas = files.len();
    (files, needs)
}

/// A file-name-safe short form of an area title (Chinese kept; separators and punctuation dropped).
fn slug(title: &str) -> String {
    let s: String = title
        .chars()
        .filter(|c| c.is_alphanumeric())
        .take(16)
        .collect();
    if s.is_empty() { "area".into() } else { s }
}

/// Area numbers as the document gives them, or 1, 2, … when some are missing or repeated.
fn area_numbers(areas: &[SourceArea], report: &mut Report) -> Vec<u32> {
    let given: Vec<Option<u32>> = areas.iter().map(|a| a.number.filter(|n| *n > 0)).collect();
    if unique(&given) {
        return given.into_iter().flatten().collect();
    }
    for (i, a) in areas.iter().enumerate() {
        if a.number != Some(i as u32 + 1) {
            report.renumbered.push(Placed {
                task: None,
                text: a.title.text.clone(),
                cell: Some(a.title.pos.into()),
                why: Some(format!(
                    "area numbered {} in order (the document's numbers are missing or repeated)",
                    i + 1
                )),
            });
        }
    }
    (1..=areas.len() as u32).collect()
}

fn unique(v: &[Option<u32>]) -> bool {
    let mut seen = Vec::new();
    v.iter().all(|x| match x {
        Some(n) if !seen.contains(n) => {
            seen.push(*n);
            true
        }
        _ => false,
    })
}

/// The number a row marker gives (`1.`, `1、`, `（一）`, `①`, `3`).
pub fn marker_number(m: &str) -> Option<u32> {
    let core: String = m
        .trim()
        .trim_matches(|c: char| "()（）.、．，, ".contains(c))
        .to_string();
    if let Ok(n) = core.parse::<u32>() {
        return Some(n);
    }
    if let Some(c) = core.chars().next().filter(|_| core.chars().count() == 1) {
        let circled = c as u32;
        if (0x2460..=0x2473).contains(&circled) {
            return Some(circled - 0x2460 + 1);
        }
    }
    match phrase::tokens(&core).as_slice() {
        [phrase::Tok::Num(n)] => Some(*n),
        _ => None,
    }
}

fn task_numbers(area: &SourceArea, number: u32, report: &mut Report) -> Vec<u32> {
    let given: Vec<Option<u32>> = area
        .tasks
        .iter()
        .map(|t| {
            t.marker
                .as_ref()
                .or(field(t, Column::Seq))
                .and_then(|m| marker_number(&m.text))
        })
        .collect();
    if unique(&given) {
        return given.into_iter().flatten().collect();
    }
    for (i, t) in area.tasks.iter().enumerate() {
        let n = i as u32 + 1;
        if given[i] != Some(n) {
            let first = t.fields.first().map(|(_, l)| l.clone());
            report.renumbered.push(Placed {
                task: Some(format!("{number}.{n}")),
                text: t
                    .marker
                    .as_ref()
                    .map(|m| m.text.clone())
                    .unwrap_or_default(),
                cell: t.marker.as_ref().or(first.as_ref()).map(|l| l.pos.into()),
                why: Some(
                    "numbered in order: the rows' own numbers are missing or repeated".into(),
                ),
            });
        }
    }
    (1..=area.tasks.len() as u32).collect()
}

fn field(t: &SourceTask, c: Column) -> Option<&Located> {
    t.fields
        .iter()
        .find(|(col, l)| *col == c && !l.text.trim().is_empty())
        .map(|(_, l)| l)
}

fn names_list(v: &[String]) -> Y {
    Y::Flow(Box::new(Y::strs(v.iter().cloned())))
}

fn task(
    t: &SourceTask,
    area_title: &str,
    id: &str,
    names: &Names,
    year: i16,
    report: &mut Report,
    needs: &mut Needs,
) -> Y {
    let mut m: Vec<(String, Y, Option<String>)> = Vec::new();
    let mut put = |k: &str, v: Y| m.push((k.into(), v, None));
    put("id", Y::s(id));
    let measures = field(t, Column::Measures);
    let title = match (field(t, Column::Task), measures) {
        (Some(l), _) => strip_marker(&l.text, t.marker.as_ref()),
        // No task column: the measures' first line stands in as the title.
        (None, Some(l)) => l.text.lines().next().unwrap_or_default().to_string(),
        (None, None) => "（无标题）".to_string(),
    };
    put("title", Y::s(title));
    if let Some(l) = measures {
        put("measures", Y::s(l.text.trim()));
    }
    let cells = |c| field(t, c).map(|l| l.text.trim());
    let r = super::units::responsible(
        cells(Column::Units),
        cells(Column::Lead),
        cells(Column::Cooperating),
        names,
    );
    match r.leads.as_slice() {
        [] => {}
        [one] => put("lead", Y::s(one)),
        many => put("lead", names_list(many)),
    }
    if !r.cooperating.is_empty() {
        put("cooperating", names_list(&r.cooperating));
    }
    if let Some(x) = &r.units_text {
        put("units_text", Y::s(x));
        let at = field(t, Column::Units)
            .or(field(t, Column::Lead))
            .or(field(t, Column::Cooperating));
        report.vague_units.push(Placed {
            task: Some(id.into()),
            text: x.clone(),
            cell: at.map(|l| l.pos.into()),
            why: Some("routed to settings.default_unit until the office names the units".into()),
        });
    }
    if r.leads.is_empty() || r.units_text.is_some() {
        needs.default_unit_for.push(id.to_string());
    }
    let unit_cell = field(t, Column::Units)
        .or(field(t, Column::Lead))
        .or(field(t, Column::Cooperating))
        .map(|l| Cell::from(l.pos));
    for n in &r.names {
        note_unit(report, needs, n, id, unit_cell);
    }
    let dl = field(t, Column::Deadline);
    let reading = phrase::read(dl.map(|l| l.text.as_str()).unwrap_or(""), year);
    match reading.kind {
        Kind::Todo => put("deadline", Y::map([("todo", Y::s(reading.text.clone()))])),
        Kind::Ongoing | Kind::Kept => put("deadline", Y::s("ongoing")),
        Kind::Rules if is_single_once(&reading.rules) => {}
        Kind::Rules => put("deadline", Y::s("ongoing")),
        Kind::Empty => {}
    }
    if !reading.rules.is_empty() {
        put(
            "rules",
            Y::Seq(reading.rules.iter().map(|r| (r.clone(), None)).collect()),
        );
    }
    report.rules_derived += reading.rules.len();
    for e in &reading.events {
        if !needs.events.contains(e) {
            needs.events.push(e);
        }
    }
    report.phrases.push(PhraseRow {
        task: id.into(),
        phrase: reading.text.clone(),
        kind: reading.kind,
        rules: reading.rules.iter().map(rule_text).collect(),
        assumed_year: reading.assumed_year,
        cell: dl.map(|l| l.pos.into()),
    });
    if let Some(l) = field(t, Column::Remarks) {
        put("notes", Y::s(l.text.trim()));
    }
    // A merged 项目 cell repeated on the task: kept when it is not the area's title.
    if let Some(l) = field(t, Column::Area).filter(|l| l.text.trim() != area_title) {
        report.other_cells.push(Placed {
            task: Some(id.into()),
            text: l.text.clone(),
            cell: Some(l.pos.into()),
            why: Some("项目 cell that differs from the area's title".into()),
        });
    }
    for o in &t.other {
        report.other_cells.push(Placed {
            task: Some(id.into()),
            text: o.text.clone(),
            cell: Some(o.pos.into()),
            why: None,
        });
    }
    put("source", source(t, &reading));
    Y::Map(m)
}

fn is_single_once(rules: &[Y]) -> bool {
    matches!(rules, [Y::Map(m)] if m.len() == 1 && m[0].0 == "once")
}

/// `X.` removed from the start of a title when the marker was read from the same text.
fn strip_marker(text: &str, marker: Option<&Located>) -> String {
    let t = text.trim();
    match marker {
        Some(m) if !m.text.is_empty() => t
            .strip_prefix(m.text.trim())
            .unwrap_or(t)
            .trim()
            .to_string(),
        _ => t.to_string(),
    }
}

fn note_unit(
    report: &mut Report,
    needs: &mut Needs,
    n: &super::units::Matched,
    task: &str,
    cell: Option<Cell>,
) {
    if let Some(row) = report.units.iter_mut().find(|u| u.written == n.written) {
        if !row.tasks.iter().any(|t| t == task) {
            row.tasks.push(task.into());
        }
        return;
    }
    let kind = n.id.is_none().then(|| super::units::guess_kind(&n.written));
    if let Some(k) = kind {
        needs.new_units.push((n.written.clone(), k, cell));
    }
    report.units.push(UnitRow {
        written: n.written.clone(),
        id: n.id.clone(),
        kind: kind.map(str::to_string),
        hint: n.hint.clone(),
        tasks: vec![task.into()],
    });
}

/// `source: { table, row, seq, units, …, deadline, assumed_year, progress }`.
fn source(t: &SourceTask, reading: &phrase::Reading) -> Y {
    let first = t
        .marker
        .iter()
        .map(|m| m.pos)
        .chain(t.fields.iter().map(|(_, l)| l.pos))
        .min();
    let mut m: Vec<(&str, Y)> = Vec::new();
    if let Some(p) = first {
        m.push(("table", Y::Int(p.table as i64)));
        m.push(("row", Y::Int(p.row as i64)));
    }
    if let Some(s) = &t.marker {
        m.push(("seq", Y::s(s.text.trim())));
    }
    for (c, k) in [
        (Column::Seq, "seq"),
        (Column::Units, "units"),
        (Column::Lead, "lead"),
        (Column::Cooperating, "cooperating"),
        (Column::Leader, "leader"),
        (Column::Deadline, "deadline"),
    ] {
        if let Some(l) = field(t, c).filter(|_| !m.iter().any(|(x, _)| *x == k)) {
            m.push((k, Y::s(l.text.trim())));
        }
    }
    if let Some(y) = reading.assumed_year {
        m.push(("assumed_year", Y::Int(i64::from(y))));
    }
    if let Some(l) = field(t, Column::Progress) {
        m.push(("progress", Y::s(l.text.trim())));
    }
    Y::map(m)
}
