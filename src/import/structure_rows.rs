//! Grouping a table's data rows into areas and tasks, once the header gave each column a meaning.
//!
//! A row is, in this order: empty (skipped); a repeated header (every cell a label); a note
//! (one cell starting 注：/说明：); an area heading (one cell merged across at least half the
//! table, or, in a table without a 项目 column, one cell opening with 一、/（一） while the tasks
//! are numbered otherwise); else a task row. In a task row a non-empty 项目 cell starts an area
//! (the seed: （一）加强… merged down the area's rows) and the 序号 cell numbers that area when
//! every 序号 in the table sits on an area's first row. The task column (重点任务/具体任务, or the
//! measures when there is none) then decides: a new text starts a task, unless it is a sub-item
//! (（1）/① under 1., with no units or deadline of its own), which continues the task above, as
//! does a row whose task cell is merged from above or empty. A task cell holding "2.…\n3.…"
//! (numbered like its neighbours and continuing their count) is two tasks sharing the row.

use super::header;
use super::markers::{self, Marker, MarkerKind};
use super::source::{
    Column, Located, SourceArea, SourceCell, SourceDoc, SourcePlan, SourceTable, SourceTask,
};
use super::structure::{located, only_labels, own};

/// Accumulates the plan over the tables of a document.
#[derive(Debug, Default)]
pub(super) struct Builder {
    /// Notes so far.
    pub notes: Vec<Located>,
    /// Areas so far.
    pub areas: Vec<SourceArea>,
    /// Header rows seen.
    pub header_rows: Vec<(usize, usize)>,
    /// Cells that could not be placed.
    pub unplaced: Vec<(Located, String)>,
}

/// What a table's columns mean, for one table.
struct Cols<'c> {
    meaning: &'c [Option<Column>],
    area: Option<usize>,
    seq: Option<usize>,
    key: Option<usize>,
    seq_numbers_areas: bool,
}

fn is_note(text: &str) -> bool {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(4)
        .collect();
    ["注：", "注:", "备注：", "备注:", "说明：", "说明:"]
        .iter()
        .any(|p| t.starts_with(p))
}

impl Builder {
    /// Every non-empty cell of `row` as a note (rows above a header).
    pub fn note_cells(&mut self, row: &[SourceCell]) {
        self.notes.extend(own(row).map(located));
    }

    /// Groups the rows of `table` from `start` on.
    pub fn table(&mut self, table: &SourceTable, meaning: &[Option<Column>], start: usize) {
        let find = |want: Column| meaning.iter().position(|m| *m == Some(want));
        let area = find(Column::Area);
        let seq = find(Column::Seq);
        // 序号 numbers the areas when it only ever appears on a row that opens an area
        let seq_numbers_areas = match (area, seq) {
            (Some(a), Some(s)) => table.rows[start..]
                .iter()
                .all(|r| own_at(r, s).is_none() || own_at(r, a).is_some()),
            _ => false,
        };
        let cols = Cols {
            meaning,
            area,
            seq,
            key: find(Column::Task).or(find(Column::Measures)),
            seq_numbers_areas,
        };
        let mut after_header = false;
        for row in &table.rows[start..] {
            let cells: Vec<&SourceCell> = own(row).collect();
            if cells.is_empty() {
                continue;
            }
            let texts: Vec<&str> = cells.iter().map(|c| c.text.as_str()).collect();
            if only_labels(row) && (after_header || header::header_score(&texts) > 0) {
                self.header_rows.push((row[0].pos.table, row[0].pos.row));
                after_header = true;
                continue;
            }
            after_header = false;
            if cells.len() == 1 && is_note(&cells[0].text) {
                self.notes.push(located(cells[0]));
                continue;
            }
            if self.heading(row, &cells, &cols) {
                continue;
            }
            self.task_row(row, &cells, &cols);
        }
    }

    /// An area heading row: handled and `true`, or `false`.
    fn heading(&mut self, row: &[SourceCell], cells: &[&SourceCell], cols: &Cols<'_>) -> bool {
        let span_of =
            |c: &SourceCell| 1 + row.iter().filter(|s| s.merged_from == Some(c.pos)).count();
        // a merged heading may start in the 序号 column; a lone 序号 cell beside it is its number
        let body: Vec<&&SourceCell> = cells
            .iter()
            .filter(|c| Some(c.pos.col - 1) != cols.seq || span_of(c) > 1)
            .collect();
        let [cell] = body.as_slice() else {
            return false;
        };
        let span = span_of(cell);
        let marker = markers::parse(&cell.text);
        let chinese = marker
            .as_ref()
            .is_some_and(|m| matches!(m.kind, MarkerKind::ChineseComma | MarkerKind::ParenChinese));
        let tasks_kind = self.last_task_marker().map(|m| m.kind);
        let spans = span * 2 >= row.len() && row.len() > 1;
        let numbered =
            cols.area.is_none() && chinese && tasks_kind != marker.as_ref().map(|m| m.kind);
        if !(spans || numbered) {
            return false;
        }
        let seq = cols
            .seq
            .and_then(|s| own_at(row, s))
            .filter(|s| s.pos != cell.pos)
            .map(located);
        self.start_area(cell, seq);
        true
    }

    fn start_area(&mut self, cell: &SourceCell, seq: Option<Located>) {
        let (marker, title) = markers::strip(&cell.text);
        let number = marker
            .map(|m| m.value)
            .or_else(|| seq.as_ref().and_then(|s| number_of(&s.text)));
        self.areas.push(SourceArea {
            title: Located {
                text: title.to_string(),
                pos: cell.pos,
            },
            number,
            seq,
            tasks: Vec::new(),
        });
    }

    fn task_row(&mut self, row: &[SourceCell], cells: &[&SourceCell], cols: &Cols<'_>) {
        let mut rest: Vec<&SourceCell> = cells.to_vec();
        if let Some(cell) = cols.area.and_then(|a| own_at(row, a)) {
            let seq = cols
                .seq
                .filter(|_| cols.seq_numbers_areas)
                .and_then(|s| own_at(row, s));
            rest.retain(|c| c.pos != cell.pos && Some(c.pos) != seq.map(|s| s.pos));
            self.start_area(cell, seq.map(located));
        }
        if rest.is_empty() {
            return;
        }
        let key = cols.key.map(|k| &row[k]);
        let own_key = key.filter(|k| k.merged_from.is_none() && !k.text.trim().is_empty());
        let continues = match own_key {
            Some(k) => self.is_sub_item(k, &rest, cols),
            None => self.last_task_mut().is_some(),
        };
        if continues {
            self.continue_task(&rest, cols);
        } else {
            self.new_tasks(row, own_key, &rest, cols);
        }
    }

    /// A （1）/① line under a task, with no units, deadline or 序号 of its own.
    fn is_sub_item(&self, key: &SourceCell, rest: &[&SourceCell], cols: &Cols<'_>) -> bool {
        let Some(m) = markers::parse(&key.text) else {
            return false;
        };
        let Some(task) = self.areas.last().and_then(|a| a.tasks.last()) else {
            return false;
        };
        let deeper = match task.marker.as_ref().and_then(|t| markers::parse(&t.text)) {
            Some(t) => m.kind.rank() > t.kind.rank(),
            None => m.kind.rank() >= MarkerKind::ParenDecimal.rank(),
        };
        let own_fields = rest.iter().any(|c| {
            matches!(
                cols.meaning.get(c.pos.col - 1).copied().flatten(),
                Some(
                    Column::Seq
                        | Column::Units
                        | Column::Lead
                        | Column::Cooperating
                        | Column::Deadline
                )
            )
        });
        deeper && !own_fields
    }

    fn continue_task(&mut self, rest: &[&SourceCell], cols: &Cols<'_>) {
        let Some(task) = self.last_task_mut() else {
            return;
        };
        for c in rest {
            let text = c.text.trim();
            task.cells.push(c.pos);
            match cols.meaning.get(c.pos.col - 1).copied().flatten() {
                Some(col) => match task.fields.iter_mut().find(|(k, _)| *k == col) {
                    Some((_, field)) if !field.text.is_empty() => {
                        field.text = format!("{}\n{text}", field.text)
                    }
                    Some((_, field)) => field.text = text.to_string(),
                    None => task.fields.push((col, located(c))),
                },
                None => task.other.push(located(c)),
            }
        }
    }

    fn new_tasks(
        &mut self,
        row: &[SourceCell],
        key: Option<&SourceCell>,
        rest: &[&SourceCell],
        cols: &Cols<'_>,
    ) {
        let seq = cols
            .seq
            .filter(|_| !cols.seq_numbers_areas)
            .and_then(|s| own_at(row, s));
        let key_is_task = cols
            .key
            .is_some_and(|k| cols.meaning[k] == Some(Column::Task));
        let items: Vec<(Option<Marker>, String)> = match key {
            Some(k) if key_is_task && seq.is_none() => self.split_items(&k.text),
            Some(k) if key_is_task => {
                let (m, t) = markers::strip(&k.text);
                vec![(m, t.to_string())]
            }
            _ => vec![(None, String::new())],
        };
        if self.areas.is_empty() {
            let first = rest[0];
            self.areas.push(SourceArea {
                title: Located {
                    text: String::new(),
                    pos: first.pos,
                },
                number: None,
                seq: None,
                tasks: Vec::new(),
            });
        }
        for (marker, text) in items {
            let mut task = SourceTask {
                marker: None,
                fields: Vec::new(),
                other: Vec::new(),
                cells: rest.iter().map(|c| c.pos).collect(),
            };
            task.marker = match (marker, key) {
                (Some(m), Some(k)) => Some(Located {
                    text: m.text,
                    pos: k.pos,
                }),
                _ => seq.map(located),
            };
            for c in rest {
                let here = cols.meaning.get(c.pos.col - 1).copied().flatten();
                match here {
                    Some(Column::Task) if key.is_some_and(|k| k.pos == c.pos) && key_is_task => {
                        task.fields.push((
                            Column::Task,
                            Located {
                                text: text.clone(),
                                pos: c.pos,
                            },
                        ));
                    }
                    Some(col) => task.fields.push((col, located(c))),
                    None => task.other.push(located(c)),
                }
            }
            if let Some(area) = self.areas.last_mut() {
                area.tasks.push(task);
            }
        }
    }

    /// "2.…\n3.…" in one task cell, numbered like the tasks before it and continuing their count,
    /// is several tasks; anything else is one. Each item: (its marker, its text without it).
    fn split_items(&self, text: &str) -> Vec<(Option<Marker>, String)> {
        let (first, body) = markers::strip(text);
        let one = || vec![(markers::parse(text), body.to_string())];
        let Some(first) = first else { return one() };
        let prev = self
            .areas
            .last()
            .and_then(|a| a.tasks.last())
            .and_then(|t| t.marker.as_ref())
            .and_then(|m| markers::parse(&m.text));
        if prev
            .as_ref()
            .is_some_and(|p| p.kind != first.kind || p.value + 1 != first.value)
        {
            return one();
        }
        let mut items: Vec<(Option<Marker>, String)> = Vec::new();
        let mut next = first.value;
        for line in text.trim().lines() {
            match markers::parse(line) {
                Some(m) if m.kind == first.kind && m.value == next => {
                    next += 1;
                    items.push((Some(m.clone()), line[m.len..].trim().to_string()));
                }
                _ => match items.last_mut() {
                    Some((_, t)) => *t = format!("{t}\n{}", line.trim()),
                    None => return one(),
                },
            }
        }
        if items.len() < 2 {
            return one();
        }
        items
    }

    fn last_task_mut(&mut self) -> Option<&mut SourceTask> {
        self.areas.last_mut()?.tasks.last_mut()
    }

    /// The marker of the current area's last task, parsed.
    fn last_task_marker(&self) -> Option<Marker> {
        let m = self.areas.last()?.tasks.last()?.marker.as_ref()?;
        markers::parse(&m.text)
    }

    /// The finished plan.
    pub fn finish(self, doc: SourceDoc) -> SourcePlan {
        SourcePlan {
            doc,
            notes: self.notes,
            areas: self.areas,
            header_rows: self.header_rows,
            unplaced: self.unplaced,
        }
    }
}

/// The cell at column `col` when it has its own non-empty text.
fn own_at(row: &[SourceCell], col: usize) -> Option<&SourceCell> {
    row.get(col)
        .filter(|c| c.merged_from.is_none() && !c.text.trim().is_empty())
}

/// A 序号 cell's number: "3", "三", "（三）".
fn number_of(text: &str) -> Option<u32> {
    let t = text.trim();
    t.parse()
        .ok()
        .or_else(|| markers::chinese_value(t))
        .or_else(|| markers::parse(t).map(|m| m.value))
}
