//! `dutybell import FILE --out DIR`: a plan document (.docx, .xlsx, .doc) to a draft directory
//! (`dutybell.yaml`, `plan/NN-*.yaml`, `import-report.md`, `import-report.json`), then the draft
//! is loaded as `check` would load it and the summary printed. `--format json` prints the
//! report on stdout. Bad input or options exit 2. Reading the document is
//! `crate::import::read::read_plan` (src/import/read.rs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::clock::StartAt;
use crate::import::draft::{self, Options};

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The plan document: .docx, .xlsx, or .doc (through LibreOffice).
    pub file: PathBuf,
    /// The draft directory (created; refused when not empty unless --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Overwrite the draft in a non-empty --out (its old plan files are removed).
    #[arg(long)]
    pub force: bool,
    /// The plan year for dates written without a year (default: next year from October on,
    /// else this year).
    #[arg(long)]
    pub year: Option<i16>,
    /// The unit (id, name or alias) that tracks rows naming no unit or a vague list, when the
    /// base config sets no settings.default_unit.
    #[arg(long)]
    pub default_unit: Option<String>,
    /// `text` (a summary) or `json` (the whole report) on stdout.
    #[arg(long, default_value = "text")]
    pub format: String,
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Run `import`. `config` is `--config` as given: the base is that file, else
/// `config/dutybell.yaml` or `/etc/dutybell/dutybell.yaml` when one exists, else the bundled one.
pub fn run(config: Option<&Path>, a: &ImportArgs, start: StartAt) -> ExitCode {
    if a.format != "text" && a.format != "json" {
        return usage(format!("--format must be text or json, not `{}`", a.format));
    }
    if let Some(y) = a.year.filter(|y| !(2000..=2100).contains(y)) {
        return usage(format!("--year {y} is not a year between 2000 and 2100"));
    }
    let zone = crate::model::Zone::default_zone();
    let today = start
        .resolve(zone.tz())
        .to_zoned_datetime(zone.tz().clone())
        .date();
    let (year, year_from) = match a.year {
        Some(y) => (y, "--year".to_string()),
        None => (
            draft::default_year(today),
            format!("default: today is {today}; next year from October on"),
        ),
    };
    let base_path = match config {
        Some(p) => Some(p.to_path_buf()),
        None => Some(crate::loader::default_config_path(None)).filter(|p| p.is_file()),
    };
    let base = match draft::load_base(base_path.as_deref()) {
        Ok(b) => b,
        Err(e) => return usage(e),
    };
    let non_empty = std::fs::read_dir(&a.out).is_ok_and(|mut d| d.next().is_some());
    if non_empty && !a.force {
        return usage(draft::DraftError::NotEmpty(a.out.clone()));
    }
    let plan =
        match crate::import::read::read_plan(&a.file, &crate::import::read::Limits::default()) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(e.exit_code());
            }
        };
    if let Err(e) = std::fs::create_dir_all(&a.out) {
        return usage(format!("cannot create {}: {e}", a.out.display()));
    }
    let out = match a.out.canonicalize() {
        Ok(o) => o,
        Err(e) => return usage(format!("{}: {e}", a.out.display())),
    };
    let opts = Options {
        year,
        year_from,
        default_unit: a.default_unit.clone(),
    };
    let d = match draft::build(&plan, &base, &opts, &out).and_then(|d| {
        draft::write(&d, &out, a.force)?;
        Ok(d)
    }) {
        Ok(d) => d,
        Err(e) => return usage(e),
    };
    // The draft must pass `check` as written: load it the same way.
    let main = out.join("dutybell.yaml");
    let checked = crate::loader::load(&main, start);
    if a.format == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(&d.report).unwrap_or_default()
        );
    } else {
        println!("draft: {}", out.display());
        println!("{}", d.report.summary());
    }
    match checked {
        Ok(l) => {
            let w = l.warnings.warnings().count();
            eprintln!(
                "check: ok, {w} warning(s); see {}",
                out.join("import-report.md").display()
            );
            ExitCode::SUCCESS
        }
        Err(diags) => {
            // A draft that does not load is the importer's bug, not the document's.
            eprintln!("error: the draft does not pass check:\n{diags}");
            ExitCode::from(1)
        }
    }
}
