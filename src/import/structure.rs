//! The structure pass: from tables of cell texts ([`SourceDoc`]) to a plan ([`SourcePlan`]).
//!
//! Per table, the header is the first of the first 10 rows that names at least two column
//! meanings (src/import/header.rs); the row below joins it when it holds only labels too (the
//! seed's 重点任务 over 项目|具体任务), and the lower label wins for its column. Rows above the
//! header are notes. A table without a header of its own continues the previous one when it has
//! as many columns (a table split across pages); otherwise its cells are reported as unplaced.
//! Rows are then grouped into areas and tasks (src/import/structure_rows.rs). [`unaccounted`]
//! lists the non-empty cells the result does not reference, so tests and the report can prove
//! that nothing was lost.

use std::collections::HashSet;

use super::header;
use super::read::ReadError;
use super::source::{CellPos, Column, Located, SourceCell, SourceDoc, SourcePlan, SourceTable};
use super::structure_rows::Builder;

/// How many rows from the top of a table may hold (the first row of) its header.
const HEADER_SEARCH_ROWS: usize = 10;

/// A table's header: its row indexes (0-based) and the meaning of each grid column.
#[derive(Debug, Clone)]
pub(super) struct Header {
    /// 0-based indexes of the header rows.
    pub rows: Vec<usize>,
    /// Meaning per grid column.
    pub columns: Vec<Option<Column>>,
}

/// The text a grid slot shows: its own, or the text of the merged cell covering it.
pub(super) fn shown<'t>(table: &'t SourceTable, cell: &'t SourceCell) -> &'t str {
    match cell.merged_from {
        Some(p) => table
            .rows
            .get(p.row.wrapping_sub(first_row(table)))
            .and_then(|r| r.get(p.col - 1))
            .map_or("", |c| c.text.as_str()),
        None => cell.text.as_str(),
    }
}

/// The row number of a table's first row (1 for Word, the sheet row for Excel).
fn first_row(table: &SourceTable) -> usize {
    table
        .rows
        .first()
        .and_then(|r| r.first())
        .map_or(1, |c| c.pos.row)
}

/// Cells that carry their own non-empty text.
pub(super) fn own(row: &[SourceCell]) -> impl Iterator<Item = &SourceCell> {
    row.iter()
        .filter(|c| c.merged_from.is_none() && !c.text.trim().is_empty())
}

/// Whether every non-empty cell of the row is a header label (and there is one).
pub(super) fn only_labels(row: &[SourceCell]) -> bool {
    let mut any = false;
    for c in own(row) {
        if header::classify(&c.text).is_none() {
            return false;
        }
        any = true;
    }
    any
}

fn find_header(table: &SourceTable) -> Option<Header> {
    let top = table.rows.len().min(HEADER_SEARCH_ROWS);
    let at = (0..top).find(|&r| {
        let texts: Vec<&str> = table.rows[r].iter().map(|c| shown(table, c)).collect();
        header::header_score(&texts) > 0
    })?;
    let upper = &table.rows[at];
    let mut columns: Vec<Option<Column>> = upper
        .iter()
        .map(|c| header::classify(shown(table, c)))
        .collect();
    let mut rows = vec![at];
    if let Some(lower) = table.rows.get(at + 1).filter(|r| only_labels(r)) {
        for (slot, c) in columns.iter_mut().zip(lower) {
            if c.merged_from.is_none()
                && let Some(meaning) = header::classify(&c.text)
            {
                *slot = Some(meaning);
            }
        }
        rows.push(at + 1);
    }
    Some(Header { rows, columns })
}

/// See [`super::read::structure`].
pub(super) fn structure(doc: SourceDoc) -> Result<SourcePlan, ReadError> {
    if doc.tables.is_empty() {
        return Err(ReadError::NoTables { path: doc.path });
    }
    let headers: Vec<Option<Header>> = doc.tables.iter().map(find_header).collect();
    if headers.iter().all(Option::is_none) {
        let first_row = doc.tables[0]
            .rows
            .iter()
            .map(|r| {
                own(r)
                    .map(|c| c.text.trim())
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| "(empty)".into());
        return Err(ReadError::NoHeader {
            path: doc.path,
            first_row,
        });
    }
    let mut b = Builder::default();
    for (i, note) in doc.notes.iter().enumerate() {
        b.notes.push(Located {
            text: note.clone(),
            pos: CellPos {
                table: 0,
                row: i + 1,
                col: 0,
            },
        });
    }
    let mut current: Option<Header> = None;
    for (table, header) in doc.tables.iter().zip(headers) {
        let width = table.rows.first().map_or(0, Vec::len);
        let start = match header {
            Some(h) => {
                for row in &table.rows[..h.rows[0]] {
                    b.note_cells(row);
                }
                for &r in &h.rows {
                    let pos = table.rows[r][0].pos;
                    b.header_rows.push((pos.table, pos.row));
                }
                let start = h.rows.last().map_or(0, |r| r + 1);
                current = Some(h);
                start
            }
            None => match &current {
                Some(h) if h.columns.len() == width => 0,
                _ => {
                    let why = format!(
                        "table {} has no recognisable header row and does not continue the \
                         table before it",
                        table.index
                    );
                    for c in table.rows.iter().flat_map(|r| own(r)) {
                        b.unplaced.push((located(c), why.clone()));
                    }
                    continue;
                }
            },
        };
        if let Some(h) = &current {
            b.table(table, &h.columns, start);
        }
    }
    Ok(b.finish(doc))
}

/// A cell's trimmed text and position.
pub(super) fn located(c: &SourceCell) -> Located {
    Located {
        text: c.text.trim().to_string(),
        pos: c.pos,
    }
}

/// Non-empty cells of the document that the plan does not reference (header rows, notes, area
/// titles and 序号 cells, task cells, unplaced): empty when nothing was lost.
pub fn unaccounted(plan: &SourcePlan) -> Vec<CellPos> {
    let mut seen: HashSet<CellPos> = HashSet::new();
    seen.extend(plan.notes.iter().map(|n| n.pos));
    seen.extend(plan.unplaced.iter().map(|(l, _)| l.pos));
    for area in &plan.areas {
        seen.insert(area.title.pos);
        seen.extend(area.seq.iter().map(|s| s.pos));
        for task in &area.tasks {
            seen.extend(task.cells.iter().copied());
        }
    }
    let header_rows: HashSet<(usize, usize)> = plan.header_rows.iter().copied().collect();
    plan.doc
        .tables
        .iter()
        .flat_map(|t| t.rows.iter().flat_map(|r| own(r)))
        .map(|c| c.pos)
        .filter(|p| !seen.contains(p) && !header_rows.contains(&(p.table, p.row)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::source::DocFormat;

    /// A table from rows of texts; "^" marks a slot merged from the cell above, "<" from the left.
    fn table(index: usize, rows: &[&[&str]]) -> SourceTable {
        let mut out: Vec<Vec<SourceCell>> = Vec::new();
        for (r, texts) in rows.iter().enumerate() {
            let mut row: Vec<SourceCell> = Vec::new();
            for (c, t) in texts.iter().enumerate() {
                let pos = CellPos {
                    table: index,
                    row: r + 1,
                    col: c + 1,
                };
                let merged_from = match *t {
                    "^" => Some(out[r - 1][c].merged_from.unwrap_or(out[r - 1][c].pos)),
                    "<" => Some(row[c - 1].merged_from.unwrap_or(row[c - 1].pos)),
                    _ => None,
                };
                let text = if merged_from.is_some() { "" } else { t };
                row.push(SourceCell {
                    pos,
                    text: text.to_string(),
                    merged_from,
                });
            }
            out.push(row);
        }
        SourceTable { index, rows: out }
    }

    fn doc(tables: Vec<SourceTable>) -> SourceDoc {
        SourceDoc {
            path: "t.docx".into(),
            format: DocFormat::Docx,
            notes: vec![],
            tables,
        }
    }

    #[test]
    fn a_table_without_header_continues_the_one_before() {
        let t1 = table(
            1,
            &[
                &["全年任务清单", "<", "<"],
                &["序号", "工作任务", "责任单位"],
                &["1", "任务甲", "食品室"],
            ],
        );
        let t2 = table(2, &[&["2", "任务乙", "餐饮室"]]);
        let plan = structure(doc(vec![t1, t2])).unwrap();
        assert_eq!(plan.notes[0].text, "全年任务清单");
        assert_eq!(plan.header_rows, [(1, 2)]);
        let tasks = &plan.areas[0].tasks;
        let markers: Vec<&str> = tasks
            .iter()
            .map(|t| t.marker.as_ref().unwrap().text.as_str())
            .collect();
        assert_eq!(markers, ["1", "2"]);
        assert_eq!(
            tasks[1].fields[2],
            (
                Column::Units,
                Located {
                    text: "餐饮室".into(),
                    pos: CellPos {
                        table: 2,
                        row: 1,
                        col: 3
                    }
                }
            )
        );
        assert!(unaccounted(&plan).is_empty());
    }

    #[test]
    fn a_running_seq_beside_an_area_column_numbers_tasks() {
        let t = table(
            1,
            &[
                &["序号", "重点领域", "重点工作", "完成时限"],
                &["1", "一、校园", "检查食堂", "每年开学前"],
                &["2", "^", "排查周边", "每年开学前"],
                &["3", "二、餐饮", "清洁厨房", "年底前"],
                &["", "^", "", "上半年"],
            ],
        );
        let plan = structure(doc(vec![t])).unwrap();
        let areas: Vec<(&str, Option<u32>, usize)> = plan
            .areas
            .iter()
            .map(|a| (a.title.text.as_str(), a.number, a.tasks.len()))
            .collect();
        assert_eq!(areas, [("校园", Some(1), 2), ("餐饮", Some(2), 1)]);
        assert!(plan.areas.iter().all(|a| a.seq.is_none()));
        let last = &plan.areas[1].tasks[0];
        assert_eq!(last.marker.as_ref().unwrap().text, "3");
        // the row with only a deadline continues the task above
        let deadline = last
            .fields
            .iter()
            .find(|(c, _)| *c == Column::Deadline)
            .unwrap();
        assert_eq!(deadline.1.text, "年底前\n上半年");
        assert!(unaccounted(&plan).is_empty());
    }

    #[test]
    fn no_table_or_no_header_is_an_error_naming_the_file() {
        let err = structure(doc(vec![])).unwrap_err().to_string();
        assert!(err.starts_with("t.docx: no table found"), "{err}");
        let err = structure(doc(vec![table(1, &[&["", ""], &["张三", "电话"]])]))
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("first row of table 1: 张三 | 电话"), "{err}");
    }
}
