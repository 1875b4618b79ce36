//! Loading calendar data in the NateScarlet/holiday-cn JSON format, and the data embedded in the
//! binary (`data/calendar/*.json`).
//!
//! Pure: parses the strings it is given; the config layer reads files and passes their text here.
//! A whole file is validated before any of it is applied, so a bad file changes nothing.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Deserialize;

use super::{Entry, WorkCalendar};

/// National 2025 arrangement (国办发明电〔2024〕12号), holiday-cn form.
const NATIONAL_2025: &str = include_str!("../../data/calendar/2025.json");
/// National 2026 arrangement (2025-11-04 notice), holiday-cn form.
const NATIONAL_2026: &str = include_str!("../../data/calendar/2026.json");
/// Ningxia 2025 开斋节/古尔邦节 overlay (UNCONFIRMED dates).
const NINGXIA_2025: &str = include_str!("../../data/calendar/cn-nx-2025.json");
/// Ningxia 2026 古尔邦节 overlay (UNCONFIRMED dates).
const NINGXIA_2026: &str = include_str!("../../data/calendar/cn-nx-2026.json");

/// A problem with a calendar data file. Every variant names the file (`origin`).
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The text is not JSON of the holiday-cn shape.
    #[error("{origin}: malformed holiday-cn JSON: {source}")]
    Malformed {
        /// The file (or other origin) the text came from.
        origin: String,
        /// The parser's description, with line and column.
        source: serde_json::Error,
    },
    /// The `year` field is not a usable year.
    #[error("{origin}: \"year\" {year} is out of range (expected 1900..=2200)")]
    BadYear {
        /// The file the text came from.
        origin: String,
        /// The year as written.
        year: i64,
    },
    /// A `date` is not a valid `YYYY-MM-DD` date.
    #[error("{origin}: days[{index}].date {value:?} is not a valid YYYY-MM-DD date: {reason}")]
    BadDate {
        /// The file the text came from.
        origin: String,
        /// Position in the `days` array (0-based).
        index: usize,
        /// The text as written.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A date lies outside the file's year (December of the year before and January of the year
    /// after are allowed: notices sometimes place a make-up day there).
    #[error(
        "{origin}: days[{index}].date {date} does not belong to the file's year {year} \
         (only {year}, December {prev} and January {next} are allowed)",
        prev = year - 1,
        next = year + 1
    )]
    WrongYear {
        /// The file the text came from.
        origin: String,
        /// Position in the `days` array (0-based).
        index: usize,
        /// The offending date.
        date: Date,
        /// The file's `year`.
        year: i16,
    },
    /// A `scope` other than `all` or `hui`.
    #[error("{origin}: days[{index}].scope {value:?} is not one of \"all\", \"hui\"")]
    BadScope {
        /// The file the text came from.
        origin: String,
        /// Position in the `days` array (0-based).
        index: usize,
        /// The value as written.
        value: String,
    },
    /// The same date appears twice in one file.
    #[error("{origin}: days[{index}].date {date} is listed twice in the same file")]
    Duplicate {
        /// The file the text came from.
        origin: String,
        /// Position of the second occurrence (0-based).
        index: usize,
        /// The repeated date.
        date: Date,
    },
}

/// A summary of one loaded file, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFile {
    /// Where the text came from (path or `embedded:...`).
    pub origin: String,
    /// The file's `year`.
    pub year: i16,
    /// True for a national arrangement (counts towards coverage), false for an overlay.
    pub national: bool,
    /// How many dated entries it had.
    pub days: usize,
    /// The `papers` field: source documents (URLs or, for overlays, notes).
    pub papers: Vec<String>,
}

/// The holiday-cn file shape. Unknown keys (e.g. `$schema`, `$id`) are ignored on purpose:
/// upstream adds such metadata and an admin should be able to drop its files in unchanged.
#[derive(Deserialize)]
struct RawFile {
    year: i64,
    #[serde(default)]
    papers: Vec<String>,
    days: Vec<RawDay>,
}

/// One `days[]` element.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    name: String,
    date: String,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
    /// dutybell's extension for regional overlays: who the day off is for, `all` or `hui` (回族职工
    /// only). Validated and kept in the file for the admin; the calendar treats both as days off.
    #[serde(default)]
    scope: Option<String>,
}

impl WorkCalendar {
    /// Adds a national arrangement in holiday-cn JSON (e.g. next year's `2027.json`). Its days
    /// overwrite any earlier entries for the same dates. The file's `year` counts as covered only
    /// if it lists at least one day (holiday-cn publishes empty placeholders before the notice).
    ///
    /// # Errors
    /// [`CalendarError`] naming `origin` for malformed JSON, a bad year, a bad or duplicate date,
    /// or a date outside the file's year. On error nothing is applied.
    pub fn load_holiday_cn_json(&mut self, origin: &str, json: &str) -> Result<(), CalendarError> {
        self.load(origin, json, true)
    }

    /// Adds a regional or local overlay in the same format (e.g. `cn-nx-2027.json`). Like
    /// [`WorkCalendar::load_holiday_cn_json`], but it never marks its year as covered: an overlay
    /// alone does not tell us the national arrangement.
    ///
    /// # Errors
    /// As for [`WorkCalendar::load_holiday_cn_json`].
    pub fn load_overlay_json(&mut self, origin: &str, json: &str) -> Result<(), CalendarError> {
        self.load(origin, json, false)
    }

    /// Adds a file found in a calendar directory, choosing by its file name: `YYYY.json` (the
    /// holiday-cn naming) is a national arrangement, anything else (`cn-nx-2027.json`,
    /// `local-2027.json`) an overlay.
    ///
    /// # Errors
    /// As for [`WorkCalendar::load_holiday_cn_json`].
    pub fn load_file(&mut self, origin: &str, json: &str) -> Result<(), CalendarError> {
        self.load(origin, json, is_national_name(origin))
    }

    fn load(&mut self, origin: &str, json: &str, national: bool) -> Result<(), CalendarError> {
        let (year, papers, parsed) = parse(origin, json)?;
        let days = parsed.len();
        for (date, (off, name)) in parsed {
            let origin = origin.to_string();
            self.files.insert(date, Entry { off, name, origin });
        }
        if national && days > 0 {
            self.covered.insert(year);
        }
        self.rebuild_bits();
        self.loaded.push(LoadedFile {
            origin: origin.to_string(),
            year,
            national,
            days,
            papers,
        });
        Ok(())
    }
}

/// Whether a path's file name is `YYYY.json`.
fn is_national_name(origin: &str) -> bool {
    let name = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
    name.strip_suffix(".json")
        .is_some_and(|stem| stem.len() == 4 && stem.bytes().all(|b| b.is_ascii_digit()))
}

/// The validated content of one file: year, papers, and entries by date.
type Parsed = (i16, Vec<String>, BTreeMap<Date, (bool, String)>);

/// Parses and validates a whole file without touching any calendar.
fn parse(origin: &str, json: &str) -> Result<Parsed, CalendarError> {
    let own = || origin.to_string();
    let raw: RawFile = serde_json::from_str(json).map_err(|source| CalendarError::Malformed {
        origin: own(),
        source,
    })?;
    let year = i16::try_from(raw.year)
        .ok()
        .filter(|y| (1900..=2200).contains(y))
        .ok_or(CalendarError::BadYear {
            origin: own(),
            year: raw.year,
        })?;
    let mut days = BTreeMap::new();
    for (index, day) in raw.days.into_iter().enumerate() {
        let date = parse_date(&day.date).map_err(|reason| CalendarError::BadDate {
            origin: own(),
            index,
            value: day.date.clone(),
            reason,
        })?;
        if let Some(scope) = day.scope.as_deref().filter(|s| !["all", "hui"].contains(s)) {
            return Err(CalendarError::BadScope {
                origin: own(),
                index,
                value: scope.to_string(),
            });
        }
        if !belongs_to(date, year) {
            return Err(CalendarError::WrongYear {
                origin: own(),
                index,
                date,
                year,
            });
        }
        if days.insert(date, (day.is_off_day, day.name)).is_some() {
            return Err(CalendarError::Duplicate {
                origin: own(),
                index,
                date,
            });
        }
    }
    Ok((year, raw.papers, days))
}

/// Parses exactly `YYYY-MM-DD` (jiff alone would also accept other ISO 8601 forms).
fn parse_date(s: &str) -> Result<Date, String> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err("expected the form YYYY-MM-DD".to_string());
    }
    s.parse::<Date>().map_err(|e| e.to_string())
}

/// A file for year Y may list dates in Y, in December of Y-1 and in January of Y+1.
fn belongs_to(d: Date, year: i16) -> bool {
    d.year() == year
        || (d.year() == year - 1 && d.month() == 12)
        || (d.year() == year + 1 && d.month() == 1)
}

/// Builds the calendar shipped in the binary.
pub(super) fn embedded(regions: &[String]) -> WorkCalendar {
    let mut cal = WorkCalendar::empty();
    let national = [
        ("embedded:data/calendar/2025.json", NATIONAL_2025),
        ("embedded:data/calendar/2026.json", NATIONAL_2026),
    ];
    let overlays = [
        ("embedded:data/calendar/cn-nx-2025.json", NINGXIA_2025),
        ("embedded:data/calendar/cn-nx-2026.json", NINGXIA_2026),
    ];
    // The embedded files are checked by unit tests, so a failure here is a build defect.
    for (origin, text) in national {
        if let Err(e) = cal.load_holiday_cn_json(origin, text) {
            panic!("embedded calendar data is invalid: {e}");
        }
    }
    let ningxia = regions.iter().any(|r| r == "ningxia");
    for (origin, text) in overlays.into_iter().filter(|_| ningxia) {
        if let Err(e) = cal.load_overlay_json(origin, text) {
            panic!("embedded calendar data is invalid: {e}");
        }
    }
    cal
}
