//! The body of word/document.xml: paragraphs outside tables become notes, tables become grids.
//!
//! What is read: w:t text, w:tab/w:ptab as a tab, w:br (line breaks; page and column breaks
//! give nothing, as python-docx does) and w:cr as `\n`, several paragraphs of a cell joined with
//! `\n`, automatic numbering rendered before the paragraph. Content controls (w:sdt at block,
//! row, cell and run level), w:ins, w:moveTo, hyperlinks, smart tags and simple fields are
//! transparent; deleted text (w:del, w:moveFrom), field instructions, property-change history,
//! drawings and mc:Fallback are skipped, and so is every element outside the WordprocessingML
//! namespace. A nested table is flattened into its cell: one line per non-empty nested cell.

use std::path::Path;

use super::docx_numbering::Numbering;
use super::docx_xml::{Elem, Node, Ns, Walker};
use super::read::{Limits, ReadError};
use super::source::{CellPos, SourceCell, SourceTable};

/// Elements whose whole content is skipped.
const SKIP: &[&str] = &[
    "del",
    "moveFrom",
    "delText",
    "instrText",
    "delInstrText",
    "sdtPr",
    "sdtEndPr",
    "pPrChange",
    "rPrChange",
    "tblPrChange",
    "trPrChange",
    "tcPrChange",
    "sectPrChange",
    "tblGridChange",
    "numberingChange",
    "drawing",
    "pict",
    "object",
    "sectPr",
    "footnoteReference",
    "endnoteReference",
    "fldData",
];

#[derive(Debug, Default)]
struct Para {
    text: String,
    num: Option<u32>,
    ilvl: Option<usize>,
    style: Option<String>,
}

#[derive(Debug)]
struct RawCell {
    paras: Vec<String>,
    span: usize,
    /// Some(true): vMerge restart; Some(false): continue.
    vmerge: Option<bool>,
    hmerge_continue: bool,
}

#[derive(Debug, Default)]
struct RawRow {
    before: usize,
    after: usize,
    cells: Vec<RawCell>,
}

#[derive(Debug, Default)]
struct RawTable {
    grid: usize,
    rows: Vec<RawRow>,
    in_cell: bool,
}

struct Body<'n> {
    numbering: &'n mut Numbering,
    notes: Vec<String>,
    tables: Vec<SourceTable>,
    open: Vec<RawTable>,
    para: Option<Para>,
    path: Vec<String>,
    in_text: bool,
    cells: usize,
}

/// Parses the main part: (notes, tables).
pub(super) fn parse(
    xml: &str,
    path: &Path,
    member: &str,
    limits: &Limits,
    numbering: &mut Numbering,
) -> Result<(Vec<String>, Vec<SourceTable>), ReadError> {
    let mut w = Walker::new(xml, path, member, limits.max_xml_depth);
    let mut body = Body {
        numbering,
        notes: Vec::new(),
        tables: Vec::new(),
        open: Vec::new(),
        para: None,
        path: Vec::new(),
        in_text: false,
        cells: 0,
    };
    let too_many = || ReadError::TooManyCells {
        path: path.to_path_buf(),
        limit: limits.max_cells,
    };
    loop {
        match w.next()? {
            Node::Open(e) => {
                let skip = match e.ns {
                    Ns::W => SKIP.contains(&e.local.as_str()),
                    Ns::Mc => e.local == "Fallback",
                    Ns::None | Ns::Other => !body.path.is_empty(), // the root may be anything
                };
                if skip {
                    w.skip()?;
                    continue;
                }
                body.open(&e);
                if body.cells > limits.max_cells {
                    return Err(too_many());
                }
                body.path.push(if e.ns == Ns::W {
                    e.local
                } else {
                    String::new()
                });
            }
            Node::Close => {
                let closed = body.path.pop().unwrap_or_default();
                body.close(&closed, limits).ok_or_else(too_many)?;
            }
            Node::Text(t) => {
                if let (true, Some(p)) = (body.in_text, body.para.as_mut()) {
                    p.text.push_str(&t);
                }
            }
            Node::Eof => break,
        }
    }
    Ok((body.notes, body.tables))
}

impl Body<'_> {
    fn parent(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or("")
    }

    fn row(&mut self) -> Option<&mut RawRow> {
        self.open.last_mut()?.rows.last_mut()
    }

    fn cell(&mut self) -> Option<&mut RawCell> {
        self.row()?.cells.last_mut()
    }

    fn open(&mut self, e: &Elem) {
        if e.ns != Ns::W {
            return;
        }
        let val = e.attr("val");
        let num = || val.and_then(|v| v.trim().parse::<usize>().ok());
        let parent = self.parent().to_string();
        match (e.local.as_str(), parent.as_str()) {
            ("tbl", _) => self.open.push(RawTable::default()),
            ("gridCol", "tblGrid") => {
                if let Some(t) = self.open.last_mut() {
                    t.grid += 1;
                }
            }
            ("tr", _) => {
                if let Some(t) = self.open.last_mut() {
                    t.rows.push(RawRow::default());
                }
            }
            ("gridBefore", "trPr") => {
                let n = num().unwrap_or(0);
                if let Some(r) = self.row() {
                    r.before = n;
                }
            }
            ("gridAfter", "trPr") => {
                let n = num().unwrap_or(0);
                if let Some(r) = self.row() {
                    r.after = n;
                }
            }
            ("tc", _) => {
                self.cells += 1;
                if let Some(t) = self.open.last_mut() {
                    t.in_cell = true;
                    if t.rows.is_empty() {
                        t.rows.push(RawRow::default()); // a cell outside any row: keep its text
                    }
                }
                if let Some(r) = self.row() {
                    r.cells.push(RawCell {
                        paras: Vec::new(),
                        span: 1,
                        vmerge: None,
                        hmerge_continue: false,
                    });
                }
            }
            ("gridSpan", "tcPr") => {
                let n = num().unwrap_or(1).clamp(1, 64);
                if let Some(c) = self.cell() {
                    c.span = n;
                }
            }
            ("vMerge", "tcPr") => {
                let restart = val == Some("restart");
                if let Some(c) = self.cell() {
                    c.vmerge = Some(restart);
                }
            }
            ("hMerge", "tcPr") => {
                let cont = val != Some("restart");
                if let Some(c) = self.cell() {
                    c.hmerge_continue = cont;
                }
            }
            ("p", _) => self.para = Some(Para::default()),
            ("pStyle", "pPr") => {
                if let Some(p) = self.para.as_mut() {
                    p.style = val.map(str::to_string);
                }
            }
            ("numId", "numPr") => {
                if let Some(p) = self.para.as_mut() {
                    p.num = val.and_then(|v| v.trim().parse().ok());
                }
            }
            ("ilvl", "numPr") => {
                let n = num();
                if let Some(p) = self.para.as_mut() {
                    p.ilvl = n;
                }
            }
            ("t", _) => self.in_text = true,
            (tab @ ("tab" | "ptab" | "br" | "cr" | "noBreakHyphen"), "r") => {
                let s = match tab {
                    "tab" | "ptab" => "\t",
                    "br" if matches!(e.attr("type"), Some("page" | "column")) => "",
                    "noBreakHyphen" => "-",
                    _ => "\n",
                };
                if let Some(p) = self.para.as_mut() {
                    p.text.push_str(s);
                }
            }
            _ => {}
        }
    }

    /// Handles the close of `local`; `None` when the cell limit is exceeded.
    fn close(&mut self, local: &str, limits: &Limits) -> Option<()> {
        match local {
            "t" => self.in_text = false,
            "p" => self.end_paragraph(),
            "tc" => {
                if let Some(t) = self.open.last_mut() {
                    t.in_cell = false;
                }
            }
            "tbl" => {
                let raw = self.open.pop()?;
                let width = raw
                    .rows
                    .iter()
                    .map(|r| r.before + r.after + r.cells.iter().map(|c| c.span).sum::<usize>())
                    .max()
                    .unwrap_or(0)
                    .max(raw.grid);
                let slots = self
                    .tables
                    .iter()
                    .map(|t| t.rows.len() * t.rows.first().map_or(0, Vec::len))
                    .sum::<usize>();
                if slots + width * raw.rows.len() > limits.max_cells {
                    return None;
                }
                let index = self.tables.len() + 1;
                let table = grid(raw, index, width);
                if self.open.is_empty() {
                    self.tables.push(table);
                } else {
                    let lines = flatten(&table);
                    if let Some(c) = self.cell() {
                        c.paras.extend(lines);
                    }
                }
            }
            _ => {}
        }
        Some(())
    }

    fn end_paragraph(&mut self) {
        let Some(p) = self.para.take() else { return };
        let (style_num, style_lvl) = p
            .style
            .as_deref()
            .map(|s| self.numbering.style_numbering(s))
            .unwrap_or((None, None));
        let num = p.num.or(style_num);
        let prefix = num
            .and_then(|n| self.numbering.render(n, p.ilvl.or(style_lvl).unwrap_or(0)))
            .unwrap_or_default();
        let text = format!("{prefix}{}", p.text);
        match self.open.last_mut() {
            Some(t) if t.in_cell => {
                if let Some(c) = t.rows.last_mut().and_then(|r| r.cells.last_mut()) {
                    c.paras.push(text);
                }
            }
            Some(_) => {} // a paragraph between cells is not valid WordprocessingML
            None => {
                let trimmed = text.trim();
                if !trimmed.is_empty() {
                    self.notes.push(trimmed.to_string());
                }
            }
        }
    }
}

/// A nested table's cells as lines of its outer cell.
fn flatten(table: &SourceTable) -> Vec<String> {
    table
        .rows
        .iter()
        .flatten()
        .filter(|c| c.merged_from.is_none())
        .map(|c| c.text.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Lays the rows out on the grid: spans and gridBefore/After applied, merged slots pointing at
/// the cell they belong to.
fn grid(raw: RawTable, index: usize, width: usize) -> SourceTable {
    let mut rows: Vec<Vec<SourceCell>> = Vec::with_capacity(raw.rows.len());
    for (r, raw_row) in raw.rows.into_iter().enumerate() {
        let pos = |col: usize| CellPos {
            table: index,
            row: r + 1,
            col: col + 1,
        };
        let mut row: Vec<SourceCell> = (0..width)
            .map(|c| SourceCell {
                pos: pos(c),
                text: String::new(),
                merged_from: None,
            })
            .collect();
        let mut col = raw_row.before.min(width);
        for cell in raw_row.cells {
            if col >= width {
                break;
            }
            let span = cell.span.min(width - col);
            let text = cell.paras.join("\n");
            let above = (cell.vmerge == Some(false))
                .then(|| {
                    rows.last()
                        .map(|prev| prev[col].merged_from.unwrap_or(prev[col].pos))
                })
                .flatten();
            let left = (cell.hmerge_continue && col > 0)
                .then(|| row[col - 1].merged_from.unwrap_or(row[col - 1].pos));
            if let Some(origin) = above.or(left) {
                for slot in &mut row[col..col + span] {
                    slot.merged_from = Some(origin);
                }
                // text typed into a continuation cell is not lost: it goes to the merged cell
                if !text.trim().is_empty()
                    && let Some(target) = rows
                        .iter_mut()
                        .flatten()
                        .chain(row.iter_mut())
                        .find(|c| c.pos == origin)
                {
                    target.text = [target.text.as_str(), text.as_str()].join("\n");
                }
            } else {
                row[col].text = text;
                for slot in &mut row[col + 1..col + span] {
                    slot.merged_from = Some(pos(col));
                }
            }
            col += span;
        }
        rows.push(row);
    }
    SourceTable { index, rows }
}
