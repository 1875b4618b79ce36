//! Progress CSV import: a section fills in a CSV (任务编号, 进展情况, 完成, 填报人, optional 周期;
//! English headers accepted too) and the whole file is validated against the plan and the stored
//! occurrences before anything is written. Every problem is reported with its line number.
//!
//! May touch: nothing (pure: bytes, catalog, occurrences and `today` in, notes or errors out). The
//! CLI writes the result with [`crate::store::Store::add_progress_batch`], all or nothing.

use jiff::civil::Date;

use crate::catalog::Catalog;
use crate::store::{NewProgress, Occurrence, ProgressSource};

/// Accepted header names per column (compared trimmed and case-insensitively).
const TASK: &[&str] = &["任务编号", "任务", "编号", "task", "task_id"];
const NOTE: &[&str] = &["进展情况", "进展", "note", "progress"];
const DONE: &[&str] = &["完成", "是否完成", "done"];
const BY: &[&str] = &["填报人", "by", "reporter"];
const OCCURRENCE: &[&str] = &["周期", "occurrence", "occurrence_key"];

/// The note recorded for a done row with an empty 进展情况.
pub const DEFAULT_DONE_NOTE: &str = "已完成";

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1; a quoted multi-line cell counts its lines).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Why a file was refused. Nothing is imported when any of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The bytes are not UTF-8 (Excel's plain "CSV" on Chinese Windows is GBK).
    #[error("the file is not UTF-8; in Excel/WPS save it as \"CSV UTF-8 (逗号分隔)\"")]
    Encoding,
    /// The header lacks a required column.
    #[error("line 1: {0}")]
    Header(String),
    /// One or more rows are invalid.
    #[error("{} invalid row(s), nothing imported:\n{}", .0.len(), list(.0))]
    Rows(Vec<RowError>),
}

fn list(errors: &[RowError]) -> String {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| format!("  line {}: {}", e.line, e.message))
        .collect();
    lines.join("\n")
}

/// One data row as read, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvRow {
    /// Line number.
    pub line: u64,
    /// 任务编号.
    pub task: String,
    /// 进展情况.
    pub note: String,
    /// 完成 as written.
    pub done: String,
    /// 填报人.
    pub by: String,
    /// 周期 (occurrence key).
    pub occurrence: String,
}

/// Column positions found in the header.
struct Columns {
    task: usize,
    note: usize,
    done: Option<usize>,
    by: Option<usize>,
    occurrence: Option<usize>,
}

fn find(header: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    header.iter().position(|h| {
        let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        names.iter().any(|n| *n == h)
    })
}

fn columns(header: &csv::StringRecord) -> Result<Columns, ImportError> {
    let missing = |names: &[&str]| {
        ImportError::Header(format!("missing column {} (or {})", names[0], names[3]))
    };
    Ok(Columns {
        task: find(header, TASK).ok_or_else(|| missing(TASK))?,
        note: find(header, NOTE).ok_or_else(|| missing(NOTE))?,
        done: find(header, DONE),
        by: find(header, BY),
        occurrence: find(header, OCCURRENCE),
    })
}

/// Reads the rows of a progress CSV (UTF-8, BOM optional). Blank rows are dropped; unknown columns
/// are ignored; short rows read as empty cells.
///
/// # Errors
/// [`ImportError::Encoding`], [`ImportError::Header`], or [`ImportError::Rows`] for malformed CSV.
pub fn parse(bytes: &[u8]) -> Result<Vec<CsvRow>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|_| ImportError::Encoding)?;
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = r
        .headers()
        .map_err(|e| ImportError::Header(e.to_string()))?
        .clone();
    let cols = columns(&header)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for rec in r.records() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    message: format!("malformed CSV: {e}"),
                });
                continue;
            }
        };
        let cell = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").trim().to_string();
        let row = CsvRow {
            line: rec.position().map_or(0, |p| p.line()),
            task: cell(Some(cols.task)),
            note: cell(Some(cols.note)),
            done: cell(cols.done),
            by: cell(cols.by),
            occurrence: cell(cols.occurrence),
        };
        if !rec.iter().all(|c| c.trim().is_empty()) {
            rows.push(row);
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ImportError::Rows(errors))
    }
}

/// 是/否/yes/no/1/0 (also true/false, y/n; empty means no).
pub fn parse_done(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "是" | "yes" | "y" | "1" | "true" => Some(true),
        "否" | "no" | "n" | "0" | "false" | "" => Some(false),
        _ => None,
    }
}

/// Checks every row against the plan and the stored occurrences and turns them into notes
/// (source `csv`). A row without 周期 is attached to the task's current open occurrence (the
/// latest open one whose window has started by `today`); a done row needs one. `default_by` fills
/// an empty 填报人.
///
/// # Errors
/// [`ImportError::Rows`] listing every invalid row (nothing is returned then).
pub fn validate(
    cat: &Catalog,
    occurrences: &[Occurrence],
    rows: &[CsvRow],
    today: Date,
    default_by: Option<&str>,
) -> Result<Vec<NewProgress>, ImportError> {
    let mut notes = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        match validate_row(cat, occurrences, row, today, default_by) {
            Ok(n) => notes.push(n),
            Err(message) => errors.push(RowError {
                line: row.line,
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(notes)
    } else {
        Err(ImportError::Rows(errors))
    }
}

fn validate_row(
    cat: &Catalog,
    occurrences: &[Occurrence],
    row: &CsvRow,
    today: Date,
    default_by: Option<&str>,
) -> Result<NewProgress, String> {
    if row.task.is_empty() {
        return Err("empty task id (任务编号)".into());
    }
    let Some(task) = cat.task(&row.task) else {
        let hint = crate::config::diag::hint(&row.task, cat.tasks.iter().map(|t| t.id.as_str()));
        return Err(format!("unknown task `{}`{hint}", row.task));
    };
    let done = parse_done(&row.done)
        .ok_or_else(|| format!("完成/done must be 是/否/yes/no/1/0, not `{}`", row.done))?;
    let note = match (row.note.is_empty(), done) {
        (true, false) => return Err("empty note (进展情况)".into()),
        (true, true) => DEFAULT_DONE_NOTE.to_string(),
        (false, _) => row.note.clone(),
    };
    let occurrence_key = if row.occurrence.is_empty() {
        use crate::service::progress::{Target, describe_choices, target};
        match target(occurrences, &task.id, today) {
            Target::One(o) => Some(o.key),
            Target::Ambiguous(choices) => {
                return Err(format!(
                    "task {} has several occurrences under way on {today}; fill 周期/occurrence \
                     with one of:\n{}",
                    task.id,
                    describe_choices(&choices)
                ));
            }
            Target::Nothing if done => {
                return Err(format!(
                    "task {} has no open occurrence under way on {today}; fill 周期/occurrence",
                    task.id
                ));
            }
            Target::Nothing => None,
        }
    } else {
        match occurrences.iter().find(|o| o.key == row.occurrence) {
            None => return Err(format!("unknown occurrence (周期) `{}`", row.occurrence)),
            Some(o) if o.task_id != task.id => {
                return Err(format!(
                    "occurrence `{}` belongs to task {}, not {}",
                    o.key, o.task_id, task.id
                ));
            }
            Some(o) => Some(o.key.clone()),
        }
    };
    let by = match (row.by.as_str(), default_by) {
        ("", Some(d)) if !d.trim().is_empty() => d.trim().to_string(),
        ("", _) => return Err("no reporter: fill 填报人/by or pass --by".into()),
        (b, _) => b.to_string(),
    };
    Ok(NewProgress {
        task_id: task.id.clone(),
        occurrence_key,
        note,
        by_name: by,
        done,
        source: ProgressSource::Csv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Colour;
    use crate::store::OccurrenceStatus;
    use jiff::civil::date;

    fn catalog() -> Catalog {
        let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dutybell.yaml");
        crate::loader::load(&config, date(2026, 11, 28).into())
            .unwrap()
            .catalog
    }

    fn occ(key: &str, task: &str, start: Date, status: OccurrenceStatus) -> Occurrence {
        Occurrence {
            key: key.into(),
            task_id: task.into(),
            rule_index: 0,
            period_label: key.into(),
            window_start: start,
            window_end: start,
            due_date: None,
            status,
            colour: Colour::Blue,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn chinese_headers_bom_and_blank_rows() {
        let text = "\u{feff}任务编号,进展情况,完成,填报人\n4.2,\"已部署\n第二行\",否,张三\n,,,\n2.1,,是,\n";
        let rows = parse(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].note.as_str()), (2, "已部署\n第二行"));
        assert_eq!((rows[1].line, rows[1].done.as_str()), (5, "是"));
    }

    #[test]
    fn english_headers_and_missing_columns() {
        let rows = parse(b"Task,Note,Done,By,Occurrence\n4.2,ok,yes,Li,4.2@a\n").unwrap();
        assert_eq!(rows[0].occurrence, "4.2@a");
        let err = parse(b"task,by\n4.2,Li\n").unwrap_err();
        assert!(
            matches!(err, ImportError::Header(ref m) if m.contains("进展情况")),
            "{err}"
        );
        assert_eq!(
            parse(b"\xd6\xd0\xce\xc4").unwrap_err(),
            ImportError::Encoding
        );
    }

    #[test]
    fn rows_resolve_occurrences_and_every_error_is_reported() {
        let c = catalog();
        let today = date(2027, 3, 10);
        let occs = vec![
            occ("4.2@old", "4.2", date(2026, 9, 1), OccurrenceStatus::Open),
            occ("4.2@now", "4.2", date(2027, 3, 1), OccurrenceStatus::Open),
            occ("4.2@next", "4.2", date(2027, 9, 1), OccurrenceStatus::Open),
            occ("2.2@done", "2.2", date(2027, 3, 1), OccurrenceStatus::Done),
        ];
        let row = |line, task: &str, note: &str, done: &str, occ: &str| CsvRow {
            line,
            task: task.into(),
            note: note.into(),
            done: done.into(),
            by: String::new(),
            occurrence: occ.into(),
        };
        let good = [
            row(2, "4.2", "", "是", ""),
            row(3, "4.2", "x", "0", "4.2@old"),
        ];
        let notes = validate(&c, &occs, &good, today, Some("食品室")).unwrap();
        assert_eq!(notes[0].occurrence_key.as_deref(), Some("4.2@now"));
        assert_eq!(
            (notes[0].note.as_str(), notes[0].done),
            (DEFAULT_DONE_NOTE, true)
        );
        assert_eq!(notes[1].source, ProgressSource::Csv);
        assert_eq!(notes[1].by_name, "食品室");
        let bad = [
            row(2, "4.22", "x", "", ""),
            row(3, "2.2", "x", "yes", ""),
            row(4, "4.2", "x", "maybe", ""),
            row(5, "4.2", "x", "", "2.2@done"),
            row(6, "4.2", "", "", ""),
            row(7, "4.2", "ok", "", ""),
        ];
        let Err(ImportError::Rows(errs)) = validate(&c, &occs, &bad, today, None) else {
            panic!("bad rows accepted")
        };
        let lines: Vec<u64> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
        assert!(errs[0].message.contains("unknown task"), "{errs:?}");
        assert!(errs[1].message.contains("no open occurrence"), "{errs:?}");
        assert!(errs[5].message.contains("--by"), "{errs:?}");
    }
}
