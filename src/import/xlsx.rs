//! Reads an .xlsx workbook (calamine) into a [`SourceDoc`]: one table per non-empty sheet.
//!
//! Rows and columns keep the sheet's own numbers (a header on row 3 is row 3), counted from
//! row 1 and column A so that a clerk finds the cell the report names. Merged ranges become
//! `merged_from` pointers to their top-left cell. Numbers print without a trailing `.0`; dates
//! print as 2027年6月30日, the way a plan writes them. Before calamine sees the package, every
//! member is decompressed once through a counting sink, so a zip bomb stops at the limit.

use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{Data, Reader, Xlsx};

use super::read::{Limits, ReadError};
use super::source::{CellPos, DocFormat, SourceCell, SourceDoc, SourceTable};

/// Reads the workbook `bytes` (the content of `path`).
pub(super) fn read(path: &Path, bytes: Vec<u8>, limits: &Limits) -> Result<SourceDoc, ReadError> {
    check_decompressed(path, &bytes, limits)?;
    let err = |location: &str, e: &dyn std::fmt::Display| ReadError::Xlsx {
        path: path.to_path_buf(),
        location: location.to_string(),
        detail: e.to_string(),
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| err("workbook", &e))?;
    let mut tables = Vec::new();
    let mut cells = 0usize;
    for (n, name) in book.sheet_names().into_iter().enumerate() {
        let where_ = format!("sheet {name}");
        let range = book.worksheet_range(&name).map_err(|e| err(&where_, &e))?;
        let merges = book
            .merge_cells_by_sheet_name(&name)
            .map_err(|e| err(&where_, &e))?;
        let Some((r0, c0)) = range.start() else {
            continue; // an empty sheet
        };
        let (end_r, end_c) = range.end().unwrap_or((r0, c0));
        let max_r = merges.iter().map(|m| m.end.0).fold(end_r, u32::max) as usize;
        let max_c = merges.iter().map(|m| m.end.1).fold(end_c, u32::max) as usize;
        let (height, width) = (max_r + 1, max_c + 1);
        cells += height * width;
        if cells > limits.max_cells {
            return Err(ReadError::TooManyCells {
                path: path.to_path_buf(),
                limit: limits.max_cells,
            });
        }
        let index = n + 1;
        let pos = |r: usize, c: usize| CellPos {
            table: index,
            row: r + 1,
            col: c + 1,
        };
        let mut rows: Vec<Vec<SourceCell>> = (0..height)
            .map(|r| {
                (0..width)
                    .map(|c| SourceCell {
                        pos: pos(r, c),
                        text: String::new(),
                        merged_from: None,
                    })
                    .collect()
            })
            .collect();
        for (r, c, value) in range.used_cells() {
            let (r, c) = (r + r0 as usize, c + c0 as usize);
            rows[r][c].text = text_of(value);
        }
        for m in &merges {
            let (sr, sc) = (m.start.0 as usize, m.start.1 as usize);
            let (er, ec) = (m.end.0 as usize, m.end.1 as usize);
            for (r, row) in rows.iter_mut().enumerate().take(er + 1).skip(sr) {
                for (c, slot) in row.iter_mut().enumerate().take(ec + 1).skip(sc) {
                    if (r, c) != (sr, sc) {
                        slot.merged_from = Some(pos(sr, sc));
                        slot.text.clear(); // Excel keeps only the top-left value
                    }
                }
            }
        }
        tables.push(SourceTable { index, rows });
    }
    Ok(SourceDoc {
        path: path.to_path_buf(),
        format: DocFormat::Xlsx,
        notes: Vec::new(),
        tables,
    })
}

/// A cell value as the sheet shows it.
fn text_of(value: &Data) -> String {
    match value {
        Data::Empty => String::new(),
        Data::String(s) => s.replace("\r\n", "\n"),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(d) => {
            let (y, m, day, h, min, _, _) = d.to_ymd_hms_milli();
            if d.is_datetime() && (h, min) != (0, 0) {
                format!("{y}年{m}月{day}日 {h:02}:{min:02}")
            } else {
                format!("{y}年{m}月{day}日")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Decompresses every member once into a counting sink, refusing past the limit.
fn check_decompressed(path: &Path, bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let bad = |member: Option<String>, detail: String| ReadError::BadZip {
        path: path.to_path_buf(),
        member,
        detail,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(None, e.to_string()))?;
    let mut budget = limits.max_decompressed_bytes;
    for i in 0..zip.len() {
        let file = zip.by_index(i).map_err(|e| bad(None, e.to_string()))?;
        let name = String::from_utf8_lossy(file.name_raw()).into_owned();
        let n = std::io::copy(&mut file.take(budget + 1), &mut std::io::sink())
            .map_err(|e| bad(Some(name.clone()), e.to_string()))?;
        if n > budget {
            return Err(ReadError::DecompressedTooLarge {
                path: path.to_path_buf(),
                member: name,
                limit: limits.max_decompressed_bytes,
            });
        }
        budget -= n;
    }
    Ok(())
}
