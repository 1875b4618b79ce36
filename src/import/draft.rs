//! A draft from a [`SourcePlan`]: the base config (the config in force, or the bundled one) is
//! loaded and validated, its name index matches the document's units, the plan files and the
//! config are built ([`super::draft_plan`], [`super::draft_config`]) and written to the draft
//! directory with the report. The directory then passes `dutybell check --config DIR/dutybell.yaml`.

use std::path::{Path, PathBuf};

use super::draft_config::{ConfigInput, draft_config};
use super::draft_plan::{PlanFile, plan_files};
use super::draft_yaml::{Y, document};
use super::report::{HeaderRow, Placed, Report};
use super::source::SourcePlan;
use crate::catalog::Catalog;
use crate::catalog::names::Names;
use crate::config::tree::Node;
use crate::config::{Diagnostics, RawPlan};

/// The reference config compiled into the binary: the base when no config file exists.
const BUNDLED: &str = include_str!("../../config/dutybell.yaml");

/// Why a draft could not be made. Every variant is bad input or usage (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// The base config does not load.
    #[error("the base config has errors:\n{0}")]
    Base(Diagnostics),
    /// The output directory is not empty.
    #[error("{0} is not empty; choose another --out or pass --force to overwrite the draft in it")]
    NotEmpty(PathBuf),
    /// `--default-unit` names no unit.
    #[error("--default-unit `{0}` is not a unit or group of the base config{1}")]
    DefaultUnit(String, String),
    /// Rows rely on a default unit and none is set.
    #[error(
        "tasks {0} name no unit or only a vague list (各有关部门, \"…等\"), and the base config sets no settings.default_unit: pass --default-unit NAME (the office that tracks them) or set it in the config"
    )]
    NeedsDefaultUnit(String),
    /// Writing failed.
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
}

impl DraftError {
    /// The process exit code: every draft error is bad input or usage.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// The base a draft starts from.
pub struct Base {
    /// Its validated catalog (units, groups, events, settings).
    pub catalog: Catalog,
    /// Its parsed tree, written back into the draft.
    pub tree: Node,
    /// Where its relative paths start (`None` for the bundled config).
    pub dir: Option<PathBuf>,
    /// How the report names it.
    pub label: String,
}

/// Load the base config: `path` when given, else the bundled reference config.
///
/// # Errors
/// [`DraftError::Base`] with every problem found.
pub fn load_base(path: Option<&Path>) -> Result<Base, DraftError> {
    let mut diags = Diagnostics::default();
    let (file, tree, dir, label) = match path {
        Some(p) => {
            let tree = crate::config::load::read_tree(p, &mut diags);
            let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
            (p.to_path_buf(), tree, Some(dir), p.display().to_string())
        }
        None => {
            let file = PathBuf::from("<bundled config/dutybell.yaml>");
            let tree = match crate::config::yaml::parse(&file, BUNDLED.as_bytes()) {
                Ok((n, _)) => Some(n),
                Err(d) => {
                    diags.push(d);
                    None
                }
            };
            (file, tree, None, "the bundled reference config".to_string())
        }
    };
    let Some(tree) = tree else {
        return Err(DraftError::Base(diags));
    };
    let mut raw = crate::config::load::main_from_tree(&file, &tree, &mut diags);
    // The plan is what the draft replaces: validate the rest against an empty one.
    raw.plans = vec![RawPlan {
        file: file.clone(),
        area: None,
        tasks: Vec::new(),
    }];
    if diags.has_errors() {
        return Err(DraftError::Base(diags));
    }
    match crate::catalog::build(&raw) {
        Ok((catalog, _)) => Ok(Base {
            catalog,
            tree,
            dir,
            label,
        }),
        Err(d) => Err(DraftError::Base(d)),
    }
}

/// Options of one import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The plan year for dates written without a year.
    pub year: i16,
    /// How the year was chosen, for the report.
    pub year_from: String,
    /// `--default-unit`.
    pub default_unit: Option<String>,
}

/// A draft ready to write.
pub struct Draft {
    /// `dutybell.yaml`.
    pub config: Y,
    /// `plan/NN-*.yaml`.
    pub plans: Vec<PlanFile>,
    /// The report.
    pub report: Report,
}

/// Build the draft of `plan` on `base`, to be written in `out_dir` (absolute).
///
/// # Errors
/// A bad `--default-unit`, or rows that need a default unit when none is set.
pub fn build(
    plan: &SourcePlan,
    base: &Base,
    opts: &Options,
    out_dir: &Path,
) -> Result<Draft, DraftError> {
    let names = Names::new(&base.catalog.units, &base.catalog.groups);
    if let Some(d) = &opts.default_unit
        && names.ids(d).len() != 1
    {
        let h = crate::config::diag::hint(d, names.spellings());
        return Err(DraftError::DefaultUnit(d.clone(), h));
    }
    let mut report = Report {
        source: plan.doc.path.display().to_string(),
        base_config: base.label.clone(),
        year: opts.year,
        year_from: opts.year_from.clone(),
        ..Report::default()
    };
    account_document(plan, &mut report);
    let (plans, needs) = plan_files(plan, &names, opts.year, &mut report);
    let has_default = base.catalog.settings.default_unit.is_some() || opts.default_unit.is_some();
    if !has_default && !needs.default_unit_for.is_empty() {
        return Err(DraftError::NeedsDefaultUnit(
            needs.default_unit_for.join(", "),
        ));
    }
    let input = ConfigInput {
        tree: &base.tree,
        base_dir: base.dir.as_deref(),
        out_dir,
        events: base.catalog.events.keys().cloned().collect(),
        default_unit: opts.default_unit.clone(),
    };
    let config = draft_config(&input, &needs, &mut report);
    Ok(Draft {
        config,
        plans,
        report,
    })
}

/// Counts, header rows, notes and unplaced cells: what the structure pass already decided.
fn account_document(plan: &SourcePlan, report: &mut Report) {
    report.tables = plan.doc.tables.len();
    report.rows_read = plan.doc.tables.iter().map(|t| t.rows.len()).sum();
    for &(table, row) in &plan.header_rows {
        let texts = plan
            .doc
            .tables
            .iter()
            .find(|t| t.index == table)
            .and_then(|t| t.rows.get(row.wrapping_sub(1)))
            .map(|cells| {
                cells
                    .iter()
                    .filter(|c| c.merged_from.is_none() && !c.text.trim().is_empty())
                    .map(|c| c.text.trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        report.header_rows.push(HeaderRow { table, row, texts });
    }
    for (i, a) in plan.areas.iter().enumerate() {
        let p = a.title.pos;
        let cell_text = plan
            .doc
            .tables
            .iter()
            .find(|t| t.index == p.table)
            .and_then(|t| t.rows.iter().flatten().find(|c| c.pos == p))
            .map(|c| c.text.trim().to_string());
        report.area_headings.push(Placed {
            task: None,
            text: cell_text.unwrap_or_else(|| a.title.text.clone()),
            cell: (p.table > 0).then(|| p.into()),
            why: Some(format!("area {}", a.number.unwrap_or(i as u32 + 1))),
        });
    }
    for n in &plan.notes {
        // Paragraphs outside tables come without a real cell (table 0).
        let cell = (n.pos.table > 0).then(|| n.pos.into());
        report.notes.push(Placed {
            task: None,
            text: n.text.clone(),
            cell,
            why: None,
        });
    }
    for (l, why) in &plan.unplaced {
        report.unplaced.push(Placed {
            task: None,
            text: l.text.clone(),
            cell: Some(l.pos.into()),
            why: Some(why.clone()),
        });
    }
}

/// Write the draft into `out_dir`: refused when it holds anything unless `force` (then the old
/// plan files are removed so none survives into the new draft).
///
/// # Errors
/// [`DraftError::NotEmpty`] or [`DraftError::Write`].
pub fn write(draft: &Draft, out_dir: &Path, force: bool) -> Result<(), DraftError> {
    let werr = |p: &Path| {
        let p = p.to_path_buf();
        move |e| DraftError::Write(p, e)
    };
    let non_empty = std::fs::read_dir(out_dir).is_ok_and(|mut d| d.next().is_some());
    if non_empty && !force {
        return Err(DraftError::NotEmpty(out_dir.to_path_buf()));
    }
    let plan_dir = out_dir.join("plan");
    if plan_dir.is_dir() {
        for f in
            crate::config::load::files_in(&plan_dir, &["yaml", "yml"]).map_err(werr(&plan_dir))?
        {
            std::fs::remove_file(&f).map_err(werr(&f))?;
        }
    }
    std::fs::create_dir_all(&plan_dir).map_err(werr(&plan_dir))?;
    let header = vec![
        format!("Draft config written by `dutybell import` from {}.", draft.report.source),
        format!("Units, groups, channels, events and settings: {}.", draft.report.base_config),
        "Changes (see import-report.md): plan and state point into this directory; NEW units and ADDED events are marked.".into(),
        "Check it: dutybell check --config THIS_FILE; compare: dutybell plan-diff --config CURRENT THIS_DIR".into(),
    ];
    let main = out_dir.join("dutybell.yaml");
    std::fs::write(&main, document(&header, &draft.config)).map_err(werr(&main))?;
    for p in &draft.plans {
        let f = plan_dir.join(&p.name);
        std::fs::write(&f, document(&p.header, &p.doc)).map_err(werr(&f))?;
    }
    let md = out_dir.join("import-report.md");
    std::fs::write(&md, draft.report.markdown()).map_err(werr(&md))?;
    let json = out_dir.join("import-report.json");
    let text = serde_json::to_string_pretty(&draft.report).unwrap_or_default();
    std::fs::write(&json, text + "\n").map_err(werr(&json))?;
    Ok(())
}

/// The default plan year: next year when run in the fourth quarter (a plan for next year is
/// being prepared), else this year.
pub fn default_year(today: jiff::civil::Date) -> i16 {
    if today.month() >= 10 {
        today.year() + 1
    } else {
        today.year()
    }
}
