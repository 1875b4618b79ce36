//! The Chinese working-day calendar: statutory holidays, make-up working days (调休), the Ningxia
//! regional overlay and local overrides, plus working-day arithmetic and offsets.
//!
//! Pure: parses only the strings it is given (the embedded data files or text the config layer
//! read), never reads the clock, files, env or network.
//!
//! Layout: this file holds the day model and lookups; [`data`] loads holiday-cn JSON;
//! `arith` holds shifting and working-day arithmetic; [`offset`] the `14d`/`3wd` offsets; `text`
//! the human-readable explanations and warnings; [`notice`] (with `notice_lex`, `notice_shape`,
//! `notice_parse` and [`notice_out`]) parses the pasted text of a holiday notice into days and
//! holiday-cn JSON. Data sources are described in `docs/CALENDAR.md`.

mod arith;
pub mod data;
pub mod notice;
mod notice_lex;
pub mod notice_out;
mod notice_parse;
mod notice_shape;
pub mod offset;
mod text;

#[cfg(test)]
mod notice_tests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};

pub use arith::Shift;
pub use data::{CalendarError, LoadedFile};
pub use offset::{Offset, OffsetError};

/// What kind of day a date is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// Monday to Friday with no entry in the data: a normal working day.
    Weekday,
    /// Saturday or Sunday with no entry in the data: a normal rest day.
    Weekend,
    /// A day off named by a notice, overlay or override (e.g. `春节`, `开斋节`).
    Holiday {
        /// The holiday's name as given by the data (e.g. `国庆节`).
        name: String,
    },
    /// A working day that a notice moved onto a weekend (调休上班).
    MakeupWorkday {
        /// The holiday whose arrangement made this a working day (e.g. `春节`).
        name: String,
    },
}

/// Everything known about one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayInfo {
    /// The date described.
    pub date: Date,
    /// Whether staff work on this date.
    pub working: bool,
    /// Why: weekday, weekend, holiday or make-up working day.
    pub kind: DayKind,
    /// False when no national data is loaded for the date's year: the weekday/weekend answer is
    /// then an assumption that callers must show as such.
    pub covered: bool,
    /// Where the entry for this date came from (file name or override origin); `None` for plain
    /// weekdays and weekends.
    pub origin: Option<String>,
}

/// One dated entry: a day off or a make-up working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) off: bool,
    pub(crate) name: String,
    pub(crate) origin: String,
}

/// Regional overlays embedded in the binary, by the name `settings.calendar_regions` uses.
pub const REGIONS: &[&str] = &["ningxia"];

/// The working-day calendar: national notices, regional overlays and local overrides.
///
/// Precedence per date: local overrides ([`WorkCalendar::add_override`]) beat every file; among
/// files, the one loaded later wins. Dates without an entry fall back to Monday–Friday working.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    /// Entries from loaded JSON files; later loads overwrite earlier ones.
    files: BTreeMap<Date, Entry>,
    /// Local overrides; always consulted first.
    overrides: BTreeMap<Date, Entry>,
    /// Years for which a national arrangement with at least one day has been loaded.
    covered: BTreeSet<i16>,
    /// Every file loaded, in order, for diagnostics (`dutybell check`).
    loaded: Vec<LoadedFile>,
    /// The answer of [`WorkCalendar::is_workday`] for every day of each year that has an entry,
    /// rebuilt whenever an entry is added ([`YearBits`]).
    bits: Vec<YearBits>,
}

/// One year's working days as bits (bit `n` = day of year `n + 1`), so `is_workday` is a bit
/// test instead of two `BTreeMap` lookups. Planning 10,000 duties asked it ~10 million times
/// (13.6 % of all instructions, docs/BENCHMARKS.md "Planning row under callgrind").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct YearBits {
    year: i16,
    working: [u64; 6],
}

impl WorkCalendar {
    /// A calendar with no data at all: every year is uncovered and weekdays are assumed.
    pub fn empty() -> WorkCalendar {
        WorkCalendar::default()
    }

    /// The calendar shipped in the binary: national 2025 and 2026 (State Council notices, in
    /// holiday-cn form) plus the Ningxia (CN-NX) 开斋节/古尔邦节 overlay (UNCONFIRMED dates).
    pub fn embedded() -> WorkCalendar {
        data::embedded(&["ningxia".to_owned()])
    }

    /// The national calendar shipped in the binary plus the embedded regional overlays named in
    /// `regions` (see [`REGIONS`]); what a config's `settings.calendar_regions` selects.
    pub fn embedded_for(regions: &[String]) -> WorkCalendar {
        data::embedded(regions)
    }

    /// Everything known about `d`.
    pub fn day(&self, d: Date) -> DayInfo {
        let covered = self.covers_year(d.year());
        let entry = self.overrides.get(&d).or_else(|| self.files.get(&d));
        let (working, kind, origin) = match entry {
            Some(e) if e.off => (
                false,
                DayKind::Holiday {
                    name: e.name.clone(),
                },
                Some(e),
            ),
            Some(e) => (
                true,
                DayKind::MakeupWorkday {
                    name: e.name.clone(),
                },
                Some(e),
            ),
            None if is_weekend(d) => (false, DayKind::Weekend, None),
            None => (true, DayKind::Weekday, None),
        };
        DayInfo {
            date: d,
            working,
            kind,
            covered,
            origin: origin.map(|e| e.origin.clone()),
        }
    }

    /// Whether staff work on `d` (make-up working days count; holidays and plain weekends do not).
    pub fn is_workday(&self, d: Date) -> bool {
        match self.bits.binary_search_by_key(&d.year(), |b| b.year) {
            Ok(i) => {
                let n = usize::from(d.day_of_year().unsigned_abs()) - 1;
                (self.bits[i].working[n / 64] >> (n % 64)) & 1 == 1
            }
            Err(_) => !is_weekend(d),
        }
    }

    /// [`WorkCalendar::is_workday`] from the entries themselves (what the bits are built from).
    fn is_workday_slow(&self, d: Date) -> bool {
        match self.overrides.get(&d).or_else(|| self.files.get(&d)) {
            Some(e) => !e.off,
            None => !is_weekend(d),
        }
    }

    /// Rebuilds the per-year bits after entries were added (a handful of years, ~365 lookups
    /// each: done at load, never while planning).
    fn rebuild_bits(&mut self) {
        let years: BTreeSet<i16> = self
            .files
            .keys()
            .chain(self.overrides.keys())
            .map(|d| d.year())
            .collect();
        self.bits = years
            .into_iter()
            .map(|year| {
                let mut working = [0u64; 6];
                let mut day = Date::new(year, 1, 1).ok();
                while let Some(d) = day.filter(|d| d.year() == year) {
                    if self.is_workday_slow(d) {
                        let n = usize::from(d.day_of_year().unsigned_abs()) - 1;
                        working[n / 64] |= 1 << (n % 64);
                    }
                    day = d.tomorrow().ok();
                }
                YearBits { year, working }
            })
            .collect();
    }

    /// Whether a national arrangement for year `y` has been loaded.
    pub fn covers_year(&self, y: i16) -> bool {
        self.covered.contains(&y)
    }

    /// The years between `from` and `to` (inclusive, either order) that have no national data.
    pub fn uncovered_years(&self, from: Date, to: Date) -> Vec<i16> {
        let (a, b) = if from <= to { (from, to) } else { (to, from) };
        (a.year()..=b.year())
            .filter(|y| !self.covers_year(*y))
            .collect()
    }

    /// Years with national data, ascending.
    pub fn covered_years(&self) -> Vec<i16> {
        self.covered.iter().copied().collect()
    }

    /// Every file loaded so far, in load order.
    pub fn loaded_files(&self) -> &[LoadedFile] {
        &self.loaded
    }

    /// Adds a local override for `d`: `off = true` makes it a day off named `name`, `off = false`
    /// a working day. Overrides beat every loaded file, whenever they were added; a second
    /// override for the same date replaces the first. `origin` names where it came from (e.g.
    /// `config/dutybell.yaml:40:5`) so explanations can point at it.
    pub fn add_override(&mut self, date: Date, off: bool, name: &str, origin: &str) {
        let entry = Entry {
            off,
            name: name.to_string(),
            origin: origin.to_string(),
        };
        self.overrides.insert(date, entry);
        self.rebuild_bits();
    }
}

/// Saturday and Sunday are the ordinary rest days.
fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}
