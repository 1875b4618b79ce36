//! What a plan document holds once read: the tables of a Word or Excel file as grids of located
//! cell texts, and the same tables understood as a plan (header columns by meaning, area
//! headings, task rows). The readers (docx, xlsx, doc) produce [`SourceDoc`]; the structure pass
//! produces [`SourcePlan`]; the draft writer consumes [`SourcePlan`]. Nothing here knows YAML.

use std::path::PathBuf;

/// Where a piece of text came from: 1-based table, row and grid column, as a clerk counts them in
/// the document (the first row of a table is row 1, repeated header rows included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellPos {
    /// 1-based table number in document order.
    pub table: usize,
    /// 1-based row number within the table.
    pub row: usize,
    /// 1-based grid column (after w:gridBefore and w:gridSpan are applied).
    pub col: usize,
}

impl std::fmt::Display for CellPos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "table {} row {} column {}",
            self.table, self.row, self.col
        )
    }
}

/// The format a document was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocFormat {
    /// Office Open XML word processing (.docx), including WPS- and LibreOffice-written files.
    Docx,
    /// Office Open XML spreadsheet (.xlsx).
    Xlsx,
    /// Legacy Word (.doc), converted to .docx through LibreOffice first.
    Doc,
}

/// One cell of a table grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCell {
    /// Where the cell is.
    pub pos: CellPos,
    /// The cell's text: paragraphs and line breaks joined with `\n`, automatic numbering
    /// rendered into the text (`1.`, `（一）`) as the reader sees it, runs of spaces kept.
    pub text: String,
    /// `Some(origin)` when this grid slot is covered by a merged cell that starts elsewhere
    /// (vertical merge continue, or a column of a horizontal span): the text is then empty and
    /// belongs to `origin`.
    pub merged_from: Option<CellPos>,
}

/// One table as a rectangular grid (every row has the same number of cells; slots a row does
/// not reach are empty cells).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTable {
    /// 1-based table number.
    pub index: usize,
    /// Rows in document order.
    pub rows: Vec<Vec<SourceCell>>,
}

/// A document as read: its tables and the text around them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDoc {
    /// The file read.
    pub path: PathBuf,
    /// Its format.
    pub format: DocFormat,
    /// Non-empty paragraphs outside tables (title, cover notice, 附件 line, text between or
    /// after tables), in document order; kept as the plan's notes.
    pub notes: Vec<String>,
    /// Every table, in document order (nested tables flattened into their cell's text).
    pub tables: Vec<SourceTable>,
}

/// A column's meaning, recognised from its header text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    /// 序号 / 编号.
    Seq,
    /// 项目 / 重点领域 / 类别: the area a group of rows belongs to.
    Area,
    /// 重点工作 / 工作任务 / 任务内容 / 重点任务 / 具体任务.
    Task,
    /// 具体措施 / 工作措施 / 落实措施.
    Measures,
    /// 责任单位 / 责任部门 (all units; first named leads unless marked).
    Units,
    /// 牵头单位.
    Lead,
    /// 配合单位 / 协办单位.
    Cooperating,
    /// 责任领导 / 分管领导.
    Leader,
    /// 完成时限 / 时限要求 / 时间节点.
    Deadline,
    /// 进展情况 / 完成情况.
    Progress,
    /// 备注.
    Remarks,
}

/// A located text: what a cell said and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The text as the document has it (trimmed of surrounding whitespace only).
    pub text: String,
    /// The cell it came from.
    pub pos: CellPos,
}

/// An area heading row (（一）加强……), or an area named by a merged 项目 column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceArea {
    /// The heading as written, numbering marker removed (加强食用农产品质量安全监管).
    pub title: Located,
    /// The area number when the document gives one ((一) → 1, 1 → 1).
    pub number: Option<u32>,
    /// The 序号 cell that numbers the area (the seed's 序号 column, merged over the area's
    /// rows), when it numbers areas rather than tasks; `None` otherwise.
    pub seq: Option<Located>,
    /// The tasks under it, in document order.
    pub tasks: Vec<SourceTask>,
}

/// One task row (or several rows merged into one task), fields by column meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTask {
    /// The row's own number as written (`1.`, `（二）`, `①`, or the 序号 cell), if any. A marker
    /// read from the task text is removed from the [`Column::Task`] field's text.
    pub marker: Option<Located>,
    /// The fields the row has, by meaning; a field continued over several rows (sub-items, a
    /// merged area) is joined with `\n` and located at its first cell. Two columns with the same
    /// meaning (a header cell spanning two columns) give two entries, in column order.
    pub fields: Vec<(Column, Located)>,
    /// Cells of this task whose column has no recognised meaning (kept for the report).
    pub other: Vec<Located>,
    /// Every source cell whose text went into this task (marker, fields, other, continuation
    /// rows), in document order: the report's proof that no cell was lost. A cell holding two
    /// tasks (the seed's "2.…\n3.…") is listed by both.
    pub cells: Vec<CellPos>,
}

/// A document understood as a plan: header recognised, rows grouped into areas and tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePlan {
    /// The document read.
    pub doc: SourceDoc,
    /// Title and notice paragraphs (from `doc.notes`) and any note rows inside the tables.
    /// A paragraph outside the tables is located at table 0, row = its number among
    /// `doc.notes` (1-based), column 0.
    pub notes: Vec<Located>,
    /// Areas in document order; tasks with no area heading go in one area with `title.text`
    /// empty and `number: None`.
    pub areas: Vec<SourceArea>,
    /// Header rows recognised (the first and every repeat), for the report.
    pub header_rows: Vec<(usize, usize)>,
    /// Cells the structure pass could not place (neither header, area, task nor note), each
    /// with the reason; the report lists them so that nothing is lost silently.
    pub unplaced: Vec<(Located, String)>,
}
