//! Working-day arithmetic on a [`WorkCalendar`]: shifting a date off a rest day, stepping by
//! working days, counting working days, and applying [`Offset`]s.
//!
//! Pure. Years without data use the Monday–Friday assumption (see [`WorkCalendar::day`]);
//! callers show that through `covered`/`uncovered_years`. At the ends of jiff's date range the
//! functions stop at the last representable date instead of panicking.

use jiff::civil::Date;
use serde::Deserialize;

use super::WorkCalendar;
use super::offset::Offset;

/// What to do with a date that is not a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shift {
    /// Keep the date as it is.
    #[default]
    None,
    /// Move to the closest working day before it.
    Previous,
    /// Move to the closest working day after it.
    Next,
}

/// One day forward or backward, or `None` at the end of jiff's range.
fn step(d: Date, forward: bool) -> Option<Date> {
    if forward {
        d.tomorrow().ok()
    } else {
        d.yesterday().ok()
    }
}

/// `d` plus `n` calendar days, saturating at the ends of jiff's range.
fn add_days(d: Date, n: i32) -> Date {
    match jiff::Span::new().try_days(n) {
        Ok(span) => d.saturating_add(span),
        Err(_) if n < 0 => Date::MIN,
        Err(_) => Date::MAX,
    }
}

impl WorkCalendar {
    /// `d` itself when it is a working day; otherwise, per `shift`, the previous or next working
    /// day (or `d` unchanged for [`Shift::None`]).
    pub fn shift(&self, d: Date, shift: Shift) -> Date {
        match shift {
            _ if self.is_workday(d) => d,
            Shift::None => d,
            Shift::Previous => self.prev_workday(d),
            Shift::Next => self.next_workday(d),
        }
    }

    /// The first working day strictly after `d`.
    pub fn next_workday(&self, d: Date) -> Date {
        self.add_workdays(d, 1)
    }

    /// The last working day strictly before `d`.
    pub fn prev_workday(&self, d: Date) -> Date {
        self.add_workdays(d, -1)
    }

    /// The `n`th working day after `d` (n > 0) or before `d` (n < 0), counting only working days
    /// and never `d` itself. `n == 0` returns `d` unchanged, even when `d` is a rest day: "0
    /// working days from d" is d, and callers that need a working day combine it with
    /// [`WorkCalendar::shift`].
    ///
    /// Example: from Fri 2026-02-13, +1 is Sat 2026-02-14 (调休上班), +2 is Tue 2026-02-24.
    pub fn add_workdays(&self, d: Date, n: i32) -> Date {
        let forward = n > 0;
        let mut left = n.unsigned_abs();
        let mut cur = d;
        while left > 0 {
            match step(cur, forward) {
                Some(next) => cur = next,
                None => return cur,
            }
            if self.is_workday(cur) {
                left -= 1;
            }
        }
        cur
    }

    /// Signed count of working days from `a` to `b`: for `b >= a` the working days in `(a, b]`,
    /// for `b < a` minus the working days in `(b, a]`. So for a working day `a`,
    /// `workdays_between(a, add_workdays(a, n)) == n`.
    pub fn workdays_between(&self, a: Date, b: Date) -> i32 {
        let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let mut count: i32 = 0;
        let mut cur = lo;
        while cur < hi {
            match step(cur, true) {
                Some(next) => cur = next,
                None => break,
            }
            if self.is_workday(cur) {
                count = count.saturating_add(1);
            }
        }
        sign * count
    }

    /// `d` moved by `off`: [`Offset::Days`] in calendar days, [`Offset::Workdays`] through
    /// [`WorkCalendar::add_workdays`]. Positive offsets move later, negative earlier.
    pub fn apply(&self, d: Date, off: Offset) -> Date {
        match off {
            Offset::Days(n) => add_days(d, n),
            Offset::Workdays(n) => self.add_workdays(d, n),
        }
    }

    /// `off` before `d`, as `before:` reminder ladders mean it: `before(due, 3wd)` is three
    /// working days before `due`; `before(due, 14d)` is fourteen calendar days before it.
    pub fn before(&self, d: Date, off: Offset) -> Date {
        self.apply(d, off.negated())
    }
}
