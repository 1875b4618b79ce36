//! The import report (`import-report.md` and `import-report.json` in the draft directory): what
//! was read, what became of it, and everything a clerk must look at — new units, phrases kept as
//! TODO, assumed years, vague unit lists, notes and cells the structure pass could not place —
//! each with its source cell. Every non-empty cell of the document is in the draft or here.

use serde::Serialize;

use super::source::CellPos;

/// A cell position as the report writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// 1-based table.
    pub table: usize,
    /// 1-based row.
    pub row: usize,
    /// 1-based column.
    pub col: usize,
}

impl From<CellPos> for Cell {
    fn from(p: CellPos) -> Cell {
        Cell {
            table: p.table,
            row: p.row,
            col: p.col,
        }
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "table {} row {} column {}",
            self.table, self.row, self.col
        )
    }
}

/// A text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placed {
    /// The task it belongs to, if any.
    pub task: Option<String>,
    /// The text as written.
    pub text: String,
    /// Its cell, when it came from a table.
    pub cell: Option<Cell>,
    /// Why it is listed (for unplaced cells and notes about numbering).
    pub why: Option<String>,
}

/// One 完成时限 phrase and what it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhraseRow {
    /// Task id.
    pub task: String,
    /// The phrase as written.
    pub phrase: String,
    /// `ongoing`, `rules`, `kept`, `todo` or `empty`.
    pub kind: super::phrase::Kind,
    /// Rules derived, one line each (`monthly: { day: 28 }`).
    pub rules: Vec<String>,
    /// The plan year assumed for a date written without one.
    pub assumed_year: Option<i16>,
    /// The 完成时限 cell.
    pub cell: Option<Cell>,
}

/// A unit name met in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRow {
    /// As written.
    pub written: String,
    /// The id in the config in force (`None`: a new unit in the draft).
    pub id: Option<String>,
    /// For a new unit: the kind given from its name's ending (check it).
    pub kind: Option<String>,
    /// A did-you-mean for a new unit.
    pub hint: Option<String>,
    /// Tasks naming it.
    pub tasks: Vec<String>,
}

/// A named event the draft added to its config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// The default month-day written (confirm it for your region and year).
    pub default: String,
}

/// A header row recognised, with its cells' text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderRow {
    /// Table.
    pub table: usize,
    /// Row.
    pub row: usize,
    /// Its non-empty cells.
    pub texts: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The document read.
    pub source: String,
    /// The config whose units, groups, channels and settings the draft carries.
    pub base_config: String,
    /// The plan year used for dates written without a year.
    pub year: i16,
    /// Where that year came from (`--year`, or the default rule).
    pub year_from: String,
    /// Tables in the document.
    pub tables: usize,
    /// Rows read across all tables.
    pub rows_read: usize,
    /// Header rows recognised (the first and every repeat).
    pub header_rows: Vec<HeaderRow>,
    /// Areas written.
    pub areas: usize,
    /// Each area's heading cell as written (numbering marker included), with the area's number.
    pub area_headings: Vec<Placed>,
    /// Tasks written.
    pub tasks: usize,
    /// Rules derived across all tasks.
    pub rules_derived: usize,
    /// Every unit name met: matched ones with their id, new ones flagged.
    pub units: Vec<UnitRow>,
    /// Every 完成时限 phrase and what it became.
    pub phrases: Vec<PhraseRow>,
    /// Vague unit lists kept as `units_text` (routed to settings.default_unit).
    pub vague_units: Vec<Placed>,
    /// Events added to the draft config for rules that need them.
    pub events_added: Vec<EventRow>,
    /// Title and notice paragraphs, and note rows inside tables.
    pub notes: Vec<Placed>,
    /// Cells of a task in a column with no recognised meaning.
    pub other_cells: Vec<Placed>,
    /// Cells the structure pass could not place, with its reason.
    pub unplaced: Vec<Placed>,
    /// Ids not taken from the document's numbering, and why.
    pub renumbered: Vec<Placed>,
    /// Settings of the base config the draft changed, and why.
    pub config_changes: Vec<String>,
}

impl Report {
    /// Units new in the draft.
    pub fn new_units(&self) -> impl Iterator<Item = &UnitRow> {
        self.units.iter().filter(|u| u.id.is_none())
    }

    /// Phrases of a kind.
    pub fn phrases_of(&self, k: super::phrase::Kind) -> impl Iterator<Item = &PhraseRow> {
        self.phrases.iter().filter(move |p| p.kind == k)
    }

    /// One line for the terminal.
    pub fn summary(&self) -> String {
        use super::phrase::Kind;
        format!(
            "{} rows read, {} areas, {} tasks; units: {} matched, {} new; {} rules derived; {} phrase(s) TODO, {} kept as text; {} note(s), {} unplaced cell(s)",
            self.rows_read,
            self.areas,
            self.tasks,
            self.units.iter().filter(|u| u.id.is_some()).count(),
            self.new_units().count(),
            self.rules_derived,
            self.phrases_of(Kind::Todo).count(),
            self.phrases_of(Kind::Kept).count(),
            self.notes.len(),
            self.unplaced.len(),
        )
    }

    /// The report as Markdown (for the clerk: the things to review come first).
    pub fn markdown(&self) -> String {
        super::report_md::render(self)
    }
}
