//! `dutybell import-progress FILE.csv [--by NAME] [--dry-run]`: progress notes from a CSV a section
//! returns, validated as a whole and recorded in one transaction (all or nothing).

use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;
use jiff::civil::Date;

use super::CliError;
use crate::loader::Loaded;
use crate::progress_csv;
use crate::store::OccurrenceFilter;

/// Arguments of `import-progress`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV (UTF-8, BOM optional): 任务编号, 进展情况, 完成, 填报人, 周期 (or task, note, done,
    /// by, occurrence).
    pub file: PathBuf,
    /// Reporter for rows whose 填报人/by is empty.
    #[arg(long)]
    pub by: Option<String>,
    /// Validate and show what would be recorded; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub(super) fn run(l: &Loaded, a: &ImportArgs, today: Date, now: Timestamp) -> Result<(), CliError> {
    let bytes = std::fs::read(&a.file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", a.file.display())))?;
    let mut store = super::open_store(l)?;
    let occurrences = store
        .occurrences(&OccurrenceFilter::default())
        .map_err(|e| CliError::Runtime(e.into()))?;
    let usage =
        |e: progress_csv::ImportError| CliError::Usage(format!("{}: {e}", a.file.display()));
    let rows = progress_csv::parse(&bytes).map_err(usage)?;
    let notes = progress_csv::validate(&l.catalog, &occurrences, &rows, today, a.by.as_deref())
        .map_err(usage)?;
    for (row, n) in rows.iter().zip(&notes) {
        println!(
            "line {}: {} {} {}{}：{}",
            row.line,
            n.task_id,
            n.occurrence_key.as_deref().unwrap_or("-"),
            n.by_name,
            if n.done { " [完成]" } else { "" },
            n.note.replace('\n', " ")
        );
    }
    let done = notes.iter().filter(|n| n.done).count();
    if a.dry_run {
        println!(
            "dry run: {} note(s) valid ({done} done); nothing written",
            notes.len()
        );
        return Ok(());
    }
    let count = notes.len();
    store
        .add_progress_batch(notes, now)
        .map_err(|e| CliError::Runtime(e.into()))?;
    println!(
        "imported {count} note(s) ({done} done) from {}",
        a.file.display()
    );
    Ok(())
}
