//! `dutybell plan-diff OLD NEW` (or `plan-diff --config CUR DRAFT`): what changed between two
//! plans, as text or JSON. Each side is a config file, a draft directory (holding
//! `dutybell.yaml`) or a bare plan directory (read with the units of `--config`). Exit codes: 0
//! equal, 1 different, 2 bad input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::clock::StartAt;
use crate::loader::{self, Loaded};

/// Arguments of `plan-diff`.
#[derive(Debug, Args)]
pub struct PlanDiffArgs {
    /// The old plan (config file, draft directory or plan directory); with only one path, the
    /// config in force (`--config`) is the old side and this is the new one.
    pub old: PathBuf,
    /// The new plan.
    pub new: Option<PathBuf>,
    /// `text` or `json`.
    #[arg(long, default_value = "text")]
    pub format: String,
}

/// Load one side.
fn side(p: &Path, config: &Path, at: StartAt) -> Result<Loaded, String> {
    let shown = |d: crate::config::Diagnostics| format!("{}:\n{d}", p.display());
    if p.is_file() {
        return loader::load(p, at).map_err(shown);
    }
    if p.is_dir() {
        let main = p.join("dutybell.yaml");
        if main.is_file() {
            return loader::load(&main, at).map_err(shown);
        }
        if !config.is_file() {
            return Err(format!(
                "{} is a plan directory: its units come from --config, and {} does not exist",
                p.display(),
                config.display()
            ));
        }
        return loader::load_with_plan_dir(config, p, at).map_err(shown);
    }
    Err(format!("{}: no such file or directory", p.display()))
}

/// Run `plan-diff`.
pub fn run(config: &Path, a: &PlanDiffArgs, start: StartAt) -> ExitCode {
    if a.format != "text" && a.format != "json" {
        eprintln!("error: --format must be text or json, not `{}`", a.format);
        return ExitCode::from(2);
    }
    let (old, new) = match &a.new {
        Some(n) => (a.old.clone(), n.clone()),
        None => (config.to_path_buf(), a.old.clone()),
    };
    let sides = side(&old, config, start).and_then(|o| Ok((o, side(&new, config, start)?)));
    let (o, n) = match sides {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let tz = n.catalog.settings.tz.tz().clone();
    let today = n.now.to_zoned_datetime(tz).date();
    let names = (old.display().to_string(), new.display().to_string());
    let d = crate::import::diff::diff(&o, &n, (&names.0, &names.1), today);
    if a.format == "json" {
        match serde_json::to_string_pretty(&d) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        print!("{}", d.text());
    }
    if d.equal {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
