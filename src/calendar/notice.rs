//! Parsing the text of a holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知, or a regional
//! notice such as Ningxia's) into typed holidays and make-up working days.
//!
//! Pure: takes the pasted text (and an optional year) and returns a [`Notice`] or every problem
//! found. Nothing is guessed silently: a sentence that mentions a date but does not match a known
//! form is an error naming the sentence and its line; a weekday written in brackets must match
//! the real calendar; a stated day count (`共8天`) must match the days listed. Sentences without
//! dates that are not understood (preamble, closing remarks) are returned in [`Notice::skipped`].
//! This file holds the types and the entry point; `notice_lex` folds and tokenises the text,
//! `notice_shape` cuts it into sections, sentences and clauses, `notice_parse` turns clauses into
//! days, and `notice_out` writes the table and the holiday-cn JSON.

use jiff::civil::Date;

use super::notice_lex::{self as lex, Ch};
use super::notice_parse::Parser;
use super::notice_shape::sections;

/// Who a day off applies to. National notices always mean everyone; Ningxia's Eid days may be
/// given to all staff in the region or only to Hui staff (全区回族职工).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everyone (全体, or nothing said).
    All,
    /// Hui staff only (回族职工).
    Hui,
}

/// One numbered section of a notice: a holiday, its days off and its make-up working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// The name as the notice writes it (`春节`, `国庆节、中秋节`, `开斋节`).
    pub name: String,
    /// The 1-based input line of the section header.
    pub line: usize,
    /// Days off, ascending.
    pub off: Vec<Date>,
    /// Make-up working days (调休上班), ascending.
    pub workdays: Vec<Date>,
    /// Who the days off apply to.
    pub scope: Scope,
}

/// A sentence of the input and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// The line the sentence starts on.
    pub line: usize,
    /// The sentence, normalised (half-width digits and punctuation, no whitespace).
    pub text: String,
}

/// What a notice says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The year the arrangement is for.
    pub year: i16,
    /// The notice's title, when the text contains it.
    pub title: Option<String>,
    /// The date under the signature, when present.
    pub issued: Option<Date>,
    /// The holidays in notice order.
    pub holidays: Vec<Holiday>,
    /// Sentences that only encourage (`鼓励…安排职工在除夕休息`): no day changes.
    pub advisories: Vec<Sentence>,
    /// Sentences without dates that were not understood (preamble, closing remarks).
    pub skipped: Vec<Sentence>,
}

/// A problem that stops the import. Each names the input line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    /// Nothing but whitespace.
    #[error("the notice text is empty")]
    Empty,
    /// No year in the title and no `--year`.
    #[error(
        "no year found (expected a title like 国务院办公厅关于2027年部分节假日安排的通知); pass --year"
    )]
    NoYear,
    /// The title's year and `--year` differ.
    #[error("line {line}: the notice is for {found} but --year {given} was given")]
    YearConflict {
        /// Line of the title.
        line: usize,
        /// Year in the title.
        found: i16,
        /// Year given.
        given: i16,
    },
    /// No numbered holiday section with dates.
    #[error("no holiday sections found (expected 一、元旦：1月1日放假…)")]
    NoHolidays,
    /// A sentence with a date that matches no known form.
    #[error("line {}: sentence not understood: {}", .0.line, .0.text)]
    Unrecognised(Sentence),
    /// A date that does not exist (`2月30日`) or a range that runs backwards or is too long.
    #[error("line {}: {reason}: {}", .sentence.line, .sentence.text)]
    BadDate {
        /// The sentence.
        sentence: Sentence,
        /// What is wrong.
        reason: String,
    },
    /// The weekday in brackets does not match the date.
    #[error("line {}: {date} is a {actual}, but the notice says {written}: {}", .sentence.line, .sentence.text, actual = .date.strftime("%A"))]
    WeekdayMismatch {
        /// The sentence.
        sentence: Sentence,
        /// The date as resolved.
        date: Date,
        /// The weekday as written (`周四`).
        written: String,
    },
    /// `共N天` disagrees with the days listed.
    #[error("line {line}: {name} says {stated} days but lists {listed}")]
    CountMismatch {
        /// Line of the section.
        line: usize,
        /// The holiday.
        name: String,
        /// The stated count.
        stated: u32,
        /// Days actually listed.
        listed: usize,
    },
    /// A date listed twice (in one or two sections), or outside the notice's year.
    #[error("line {line}: {date}: {reason}")]
    Conflict {
        /// Line of the section.
        line: usize,
        /// The date.
        date: Date,
        /// What is wrong.
        reason: String,
    },
}

/// Parses a notice. `year` (from `--year`) is needed only when the text has no title; when both
/// are present they must agree.
///
/// # Errors
/// Every [`NoticeError`] found (all sections are checked, not only up to the first problem).
pub fn parse_notice(text: &str, year: Option<i16>) -> Result<Notice, Vec<NoticeError>> {
    let chs = lex::normalise(text);
    if chs.is_empty() {
        return Err(vec![NoticeError::Empty]);
    }
    let (title, found) = title_year(&chs);
    let year = match (found, year) {
        (Some((y, line)), Some(g)) if y != g => {
            return Err(vec![NoticeError::YearConflict {
                line,
                found: y,
                given: g,
            }]);
        }
        (Some((y, _)), _) | (None, Some(y)) => y,
        (None, None) => return Err(vec![NoticeError::NoYear]),
    };
    let mut p = Parser {
        year,
        errors: Vec::new(),
        notice: Notice {
            year,
            title,
            issued: None,
            holidays: Vec::new(),
            advisories: Vec::new(),
            skipped: Vec::new(),
        },
    };
    for section in sections(&chs) {
        p.section(section);
    }
    p.finish()
}

/// The title (`…关于2027年部分节假日安排的通知`) and its year and line, if present; else a year
/// from the preamble (`现将2027年元旦、春节…`).
fn title_year(chs: &[Ch]) -> (Option<String>, Option<(i16, usize)>) {
    let s = lex::text_of(chs);
    let cs: Vec<char> = s.chars().collect();
    let year_at = |i: usize| -> Option<i16> {
        let digits: String = cs.get(i..i + 4)?.iter().collect();
        (cs.get(i + 4) == Some(&'年') && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok())?
    };
    for (marker, title) in [("关于", true), ("现将", false)] {
        let mut from = 0;
        while let Some(k) = s[from..].find(marker) {
            let byte = from + k;
            let i = s[..byte].chars().count() + marker.chars().count();
            if let Some(y) = year_at(i) {
                let line = chs[i].line;
                // The title runs from the previous sentence end (or the start) to `通知`.
                let start = s[..byte]
                    .char_indices()
                    .rfind(|&(_, c)| c == '。' || c == ':')
                    .map_or(0, |(p, c)| p + c.len_utf8());
                let end = s[byte..].find("通知").filter(|&e| e < 120);
                let t = title
                    .then_some(end)
                    .flatten()
                    .map(|e| s[start..byte + e + "通知".len()].to_string());
                return (t, Some((y, line)));
            }
            from = byte + marker.len();
        }
    }
    (None, None)
}
