//! Output of a parsed holiday notice: the table `dutybell calendar import-notice` shows before it
//! writes anything, and the holiday-cn JSON it writes.
//!
//! Pure formatting of a [`Notice`]; the CLI does the I/O. The JSON is the format `data.rs` loads
//! (checked by tests); regional overlays add an optional per-day `"scope"` (`"all"` or `"hui"`).

use jiff::civil::Date;
use serde::Serialize;

use super::notice::{Holiday, Notice, Scope};

/// The statutory national holidays (全国年节及纪念日放假办法). A regional notice repeats these;
/// its overlay keeps only the other sections (开斋节, 古尔邦节).
pub const NATIONAL_HOLIDAYS: [&str; 7] = [
    "元旦",
    "春节",
    "清明节",
    "劳动节",
    "端午节",
    "中秋节",
    "国庆节",
];

/// Whether a section name (`国庆节、中秋节`) names only national holidays.
pub fn is_national(name: &str) -> bool {
    name.split(['、', '和'])
        .all(|n| NATIONAL_HOLIDAYS.contains(&n))
}

impl Scope {
    /// The value written to the overlay file's `scope` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Hui => "hui",
        }
    }
}

impl Notice {
    /// The sections a regional overlay keeps: those that are not national holidays.
    pub fn regional(&self) -> Vec<&Holiday> {
        self.holidays
            .iter()
            .filter(|h| !is_national(&h.name))
            .collect()
    }

    /// All sections, for a national file.
    pub fn all(&self) -> Vec<&Holiday> {
        self.holidays.iter().collect()
    }

    /// A table of `holidays`: name, days off (as runs), count, make-up working days; then the
    /// advisory and skipped sentences so the admin sees what was not turned into days.
    pub fn table(&self, holidays: &[&Holiday]) -> String {
        let mut out = format!(
            "{}: {}\n",
            self.year,
            self.title.as_deref().unwrap_or("(no title)")
        );
        let width = holidays.iter().map(|h| display_width(&h.name)).max();
        let width = width.unwrap_or(0).max(8);
        for h in holidays {
            let pad = " ".repeat(width - display_width(&h.name));
            let runs = runs(&h.off).join(", ");
            let work = if h.workdays.is_empty() {
                "-".to_string()
            } else {
                h.workdays
                    .iter()
                    .map(|d| day(*d))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let scope = match h.scope {
                Scope::All => "",
                Scope::Hui => "  [Hui staff only / 回族职工]",
            };
            out.push_str(&format!(
                "  {}{pad}  {runs}  ({} days off)  make-up working days: {work}{scope}\n",
                h.name,
                h.off.len()
            ));
        }
        for s in &self.advisories {
            out.push_str(&format!(
                "  note (line {}, no day changed): {}\n",
                s.line, s.text
            ));
        }
        for s in &self.skipped {
            out.push_str(&format!(
                "  skipped (line {}, no dates): {}\n",
                s.line, s.text
            ));
        }
        out
    }

    /// The holiday-cn JSON for `holidays`, days in date order. `papers` names the sources;
    /// `with_scope` adds each day's `scope` (regional overlays only: holiday-cn has no such key).
    pub fn holiday_cn_json(
        &self,
        holidays: &[&Holiday],
        papers: &[String],
        with_scope: bool,
    ) -> String {
        let mut days: Vec<OutDay<'_>> = Vec::new();
        for h in holidays {
            let scope = with_scope.then(|| h.scope.as_str());
            let off = h.off.iter().map(|d| (d, true));
            let work = h.workdays.iter().map(|d| (d, false));
            for (d, is_off_day) in off.chain(work) {
                days.push(OutDay {
                    name: &h.name,
                    date: d.to_string(),
                    is_off_day,
                    scope,
                });
            }
        }
        days.sort_by(|a, b| a.date.cmp(&b.date));
        let file = OutFile {
            year: self.year,
            papers,
            days,
        };
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        // Serialising plain strings, numbers and bools into memory cannot fail.
        if file.serialize(&mut ser).is_err() {
            return String::new();
        }
        let mut s = String::from_utf8(buf).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[derive(Serialize)]
struct OutFile<'a> {
    year: i16,
    papers: &'a [String],
    days: Vec<OutDay<'a>>,
}

#[derive(Serialize)]
struct OutDay<'a> {
    name: &'a str,
    date: String,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
}

/// `2026-02-15 Sun`.
fn day(d: Date) -> String {
    format!("{} {}", d, d.strftime("%a"))
}

/// Consecutive days as `2026-02-15 Sun – 2026-02-23 Mon`; single days as `2026-01-01 Thu`.
fn runs(days: &[Date]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j].tomorrow().ok() == Some(days[j + 1]) {
            j += 1;
        }
        if i == j {
            out.push(day(days[i]));
        } else {
            out.push(format!("{} – {}", day(days[i]), day(days[j])));
        }
        i = j + 1;
    }
    out
}

/// Terminal width: CJK characters take two columns.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}
