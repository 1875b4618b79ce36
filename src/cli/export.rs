//! `dutybell export --format xlsx|csv|md|ics [--as-of DATE] [--unit ID] [-o FILE]`: the checklist
//! with 进展情况 (xlsx, csv, md) or one unit's calendar (ics).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use jiff::Timestamp;
use jiff::civil::Date;

use super::CliError;
use crate::export::{self, ExportError, StoreView};
use crate::loader::Loaded;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Excel workbook: the checklist laid out like the source table, plus 执行情况.
    Xlsx,
    /// CSV, UTF-8 with BOM, one row per task.
    Csv,
    /// Markdown, one table per area.
    Md,
    /// iCalendar of one unit's occurrences (needs --unit).
    Ics,
}

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Fill 进展情况 as of this date (YYYY-MM-DD; default today). Not used by ics.
    #[arg(long)]
    pub as_of: Option<Date>,
    /// The unit whose calendar to export (ics only; groups it belongs to count).
    #[arg(long)]
    pub unit: Option<String>,
    /// Output file, written atomically (default: stdout; xlsx needs a file).
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

pub(super) fn run(l: &Loaded, a: &ExportArgs, today: Date, now: Timestamp) -> Result<(), CliError> {
    let c = &l.catalog;
    match (a.format, &a.unit) {
        (Format::Ics, None) => return Err(CliError::Usage("--format ics needs --unit ID".into())),
        (Format::Ics, Some(u)) if c.unit(u).is_none() => {
            let hint = crate::config::diag::hint(u, c.units.iter().map(|u| u.id.as_str()));
            return Err(CliError::Usage(format!("unknown unit `{u}`{hint}")));
        }
        (Format::Xlsx | Format::Csv | Format::Md, Some(_)) => {
            return Err(CliError::Usage("--unit is only for --format ics".into()));
        }
        _ => {}
    }
    let view = view(l)?;
    let as_of = a.as_of.unwrap_or(today);
    let bytes = match (a.format, &a.unit) {
        (Format::Ics, Some(u)) => export::unit_calendar(c, u, &view.occurrences, now).into_bytes(),
        (Format::Xlsx, _) => export::checklist_xlsx(
            &export::checklist_rows(c, &view, as_of),
            &export::occurrence_rows(c, &view, as_of),
        )
        .map_err(runtime)?,
        (Format::Csv, _) => {
            export::checklist_csv(&export::checklist_rows(c, &view, as_of)).map_err(runtime)?
        }
        _ => export::checklist_md(&export::checklist_rows(c, &view, as_of), export::TITLE)
            .into_bytes(),
    };
    // A workbook on a terminal is noise: without -o it goes to a dated file in the current
    // directory, named so that a day's exports sort together.
    let default_xlsx = (a.format == Format::Xlsx && a.output.is_none())
        .then(|| PathBuf::from(format!("checklist-{as_of}.xlsx")));
    match a.output.as_ref().or(default_xlsx.as_ref()) {
        Some(path) => {
            export::write_atomic(path, &bytes).map_err(runtime)?;
            eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
        }
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| CliError::Runtime(e.into()))?;
        }
    }
    Ok(())
}

/// The store's data, or an empty view (the plan alone) when no database exists yet: exporting
/// must not create state.
fn view(l: &Loaded) -> Result<StoreView, CliError> {
    let db = &l.catalog.settings.database;
    if !db.exists() {
        eprintln!(
            "note: no database at {}; exporting the plan without progress",
            db.display()
        );
        return Ok(StoreView::default());
    }
    let store = super::open_store(l)?;
    export::load_view(&l.catalog, store.as_ref()).map_err(runtime)
}

fn runtime(e: ExportError) -> CliError {
    CliError::Runtime(e.into())
}
