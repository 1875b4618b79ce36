//! What `store copy` reports: a line per table (counts and checksums), and why a copy was
//! refused or failed.
//!
//! May touch: nothing (data only).

use crate::store::StoreError;

/// Why a copy was refused or failed. Nothing was written to the target in every case.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// A database error, or an unreadable file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The source database file does not exist.
    #[error("source {0} does not exist")]
    NoSource(String),
    /// `--from` and `--to` name the same database.
    #[error("--from and --to are the same database ({0})")]
    SameDatabase(String),
    /// The source is not at this binary's schema.
    #[error(
        "source {url} has schema version {found}, this dutybell reads version {expected}: {hint}"
    )]
    SourceVersion {
        /// The source.
        url: String,
        /// Its version.
        found: i64,
        /// The version of this binary for that backend.
        expected: i64,
        /// What to do.
        hint: &'static str,
    },
    /// The target is neither empty nor at this binary's schema.
    #[error(
        "target {url} has schema version {found}, this dutybell writes version {expected}: {hint}"
    )]
    TargetVersion {
        /// The target.
        url: String,
        /// Its version.
        found: i64,
        /// The version of this binary for that backend.
        expected: i64,
        /// What to do.
        hint: &'static str,
    },
    /// The target is used by running dutybell processes.
    #[error("target {url} is in use: {what}; stop them before copying")]
    TargetInUse {
        /// The target.
        url: String,
        /// Who uses it.
        what: String,
    },
    /// The target holds rows the source does not have: it is not a copy of this source.
    #[error(
        "target {url} holds rows the source does not have ({tables}): it is not an earlier copy \
         of this source; copy into an empty database"
    )]
    ForeignRows {
        /// The target.
        url: String,
        /// `table: n` for each table with such rows.
        tables: String,
    },
    /// After writing, a table's checksum differed from the source's (nothing was committed).
    #[error(
        "table {0}: the target's checksum differs from the source's after copying; nothing was committed"
    )]
    Mismatch(String),
}

impl CopyError {
    /// True when the operator's input was refused (exit code 2), not a runtime failure.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            CopyError::SameDatabase(_)
                | CopyError::NoSource(_)
                | CopyError::SourceVersion { .. }
                | CopyError::TargetVersion { .. }
                | CopyError::ForeignRows { .. }
                | CopyError::Store(StoreError::BadUrl(_) | StoreError::TooNew { .. })
        )
    }
}

/// What happened to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// Table name.
    pub table: &'static str,
    /// Rows in the source snapshot.
    pub source_rows: u64,
    /// Rows in the target after the copy.
    pub target_rows: u64,
    /// Rows the target did not have.
    pub inserted: u64,
    /// Rows the target had with other values (changed in the source since an earlier copy).
    pub updated: u64,
    /// SHA-256 (hex) of the source rows.
    pub source_sum: String,
    /// SHA-256 (hex) of the target rows after the copy.
    pub target_sum: String,
}

impl TableReport {
    /// True when both ends hold the same rows.
    pub fn equal(&self) -> bool {
        self.source_rows == self.target_rows && self.source_sum == self.target_sum
    }
}

/// The result of a copy: a line per table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// The source, without secrets.
    pub from: String,
    /// The target, without secrets.
    pub to: String,
    /// Per table, in copy order.
    pub tables: Vec<TableReport>,
    /// True when nothing was committed (`--dry-run`).
    pub dry_run: bool,
}
