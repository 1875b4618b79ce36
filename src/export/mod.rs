//! Exports: the plan back in the shape of the source table (xlsx, csv, Markdown) with 进展情况
//! filled from the store, and a unit's occurrences as an RFC 5545 calendar (ics).
//!
//! May touch: the store through [`load_view`] (reads only) and the output file through
//! [`write_atomic`]. Everything else here is pure: rows and documents are built from the
//! [`crate::catalog::Catalog`], a [`StoreView`] and dates/instants passed in (no clock reads).
//!
//! Files: `rows` (the checklist rows and 进展情况 text), `text` (csv, md), `xlsx`, `ics`.

mod ics;
mod rows;
mod text;
mod xlsx;

use std::io::Write;
use std::path::Path;

pub use ics::{ICS_PRODID, ics_uid, unit_calendar};
pub use rows::{
    MAX_NOTES, OccurrenceRow, Row, StoreView, area_label, checklist_rows, date_zh, deadline_zh,
    departments, due_of, occurrence_rows, status_zh, zh_number,
};
pub use text::{CSV_HEADER, checklist_csv, checklist_md};
pub use xlsx::{SHEET_CHECKLIST, SHEET_OCCURRENCES, TITLE, checklist_xlsx};

use crate::catalog::Catalog;
use crate::store::{OccurrenceFilter, Store, StoreError};

/// Errors from building or writing an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store failed.
    #[error("cannot read the state database")]
    Store(#[from] StoreError),
    /// The xlsx writer failed.
    #[error("cannot build the xlsx workbook")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The CSV writer failed.
    #[error("cannot build the CSV")]
    Csv(#[from] csv::Error),
    /// Writing the output file failed.
    #[error("cannot write {path}")]
    Io {
        /// The output path.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Loads what the exports need from the store: every occurrence, and the notes of every task in
/// the catalog (oldest first).
///
/// # Errors
/// [`ExportError::Store`] on a read failure.
pub fn load_view(cat: &Catalog, store: &dyn Store) -> Result<StoreView, ExportError> {
    let occurrences = store.occurrences(&OccurrenceFilter::default())?;
    let mut notes = Vec::new();
    for t in &cat.tasks {
        notes.extend(store.progress_for_task(&t.id)?);
    }
    Ok(StoreView { occurrences, notes })
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsynced, then
/// renamed over the target, so a reader (or a crash) never sees half a workbook.
///
/// # Errors
/// [`ExportError::Io`] if the directory is not writable or the rename fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    // A device or pipe (`-o /dev/stdout`, `-o /dev/null`) is written in place: renaming a temp
    // file over it would replace the device node with a regular file.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(io);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: a failed write must not leave the temp file behind.
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}
