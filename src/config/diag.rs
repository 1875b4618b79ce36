//! Diagnostics: one problem in one input file, located by line, column and key path.
//!
//! Every validation stage (YAML syntax, types, YAML 1.1 traps, references, rules) reports into a
//! [`Diagnostics`] list so the person who wrote the YAML sees every problem at once.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is: errors refuse the config (exit 2), warnings are printed and accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Accepted, but the admin should look (e.g. a year without calendar data).
    Warning,
    /// The config is refused.
    Error,
}

/// A line/column position in a file (1-based; 0 when unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub col: u32,
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file the problem is in.
    pub file: PathBuf,
    /// Where in the file.
    pub pos: Pos,
    /// The key path, e.g. `tasks[3].lead` (empty for whole-file problems).
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl Diagnostic {
    /// An error at `file:pos`, key `path`.
    pub fn error(
        file: &Path,
        pos: Pos,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            file: file.to_path_buf(),
            pos,
            path: path.into(),
            message: message.into(),
        }
    }

    /// A warning at `file:pos`, key `path`.
    pub fn warning(
        file: &Path,
        pos: Pos,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, pos, path, message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {sev}",
            self.file.display(),
            self.pos.line,
            self.pos.col
        )?;
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A list of diagnostics; an `Err` of the loader carries one with at least one error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Add one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// True when any entry is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// The warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Warning)
    }

    /// Sort by file, position, then message, so output is stable.
    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (&a.file, a.pos, &a.message).cmp(&(&b.file, b.pos, &b.message)));
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        let n = self.error_count();
        if n > 0 {
            write!(f, "{n} error(s); the configuration was not applied")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to `word` by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `" (did you mean `x`?)"` or an empty string.
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match did_you_mean(word, candidates) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(
            did_you_mean("cooprating", ["lead", "cooperating", "rules"]),
            Some("cooperating")
        );
        assert_eq!(did_you_mean("zzz", ["lead", "cooperating"]), None);
    }

    #[test]
    fn display_names_file_line_col_and_key() {
        let d = Diagnostic::error(
            Path::new("a.yaml"),
            Pos { line: 3, col: 5 },
            "tasks[0].lead",
            "unknown unit `x`",
        );
        assert_eq!(
            d.to_string(),
            "a.yaml:3:5: error: tasks[0].lead: unknown unit `x`"
        );
    }
}
