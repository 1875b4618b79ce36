//! Turning the clauses of a notice into days: resolving dates (year, month carried over),
//! checking weekdays, counts, duplicates and the year, and collecting every error.
//!
//! Pure; called by `notice::parse_notice` once per section.

use jiff::civil::Date;

use super::notice::{Holiday, Notice, NoticeError, Scope, Sentence};
use super::notice_lex::{self as lex, DateTok, Tok};
use super::notice_shape::{
    Section, Verb, classify, clauses, is_modifier_only, modifier, sentences, split_clause,
    strip_scope,
};

/// The state of one parse: the notice so far and every error.
pub(super) struct Parser {
    pub(super) year: i16,
    pub(super) errors: Vec<NoticeError>,
    pub(super) notice: Notice,
}

impl Parser {
    pub(super) fn section(&mut self, sec: Section<'_>) {
        let mut h = Holiday {
            name: sec.name.clone(),
            line: sec.line,
            off: Vec::new(),
            workdays: Vec::new(),
            scope: Scope::All,
        };
        let mut stated = None;
        for s in sentences(sec.body) {
            if s.text.starts_with("鼓励") {
                self.notice.advisories.push(s);
            } else if let Some(d) = self.signature_date(&s.text) {
                self.notice.issued = Some(d);
            } else if !lex::has_date(&s.text) && !is_modifier_only(&s.text) {
                self.notice.skipped.push(s);
            } else if sec.name.is_empty() {
                self.errors.push(NoticeError::Unrecognised(s));
            } else {
                self.sentence(&s, &mut h, &mut stated);
            }
        }
        if sec.name.is_empty() {
            return;
        }
        if let Some(n) = stated.filter(|&n| n as usize != h.off.len()) {
            self.errors.push(NoticeError::CountMismatch {
                line: h.line,
                name: h.name.clone(),
                stated: n,
                listed: h.off.len(),
            });
        }
        if h.off.is_empty() && h.workdays.is_empty() {
            self.notice.skipped.push(Sentence {
                line: h.line,
                text: format!("{}: no dates", h.name),
            });
            return;
        }
        h.off.sort();
        h.workdays.sort();
        self.notice.holidays.push(h);
    }

    /// `国务院办公厅 2025年11月4日` (the signature) or a bare full date: the issue date.
    fn signature_date(&self, s: &str) -> Option<Date> {
        let toks = lex::tokens(s);
        match toks.as_slice() {
            [Tok::Date(d)] | [Tok::Text(_), Tok::Date(d)] if d.year.is_some() => {
                let issuer_ok = match &toks[0] {
                    Tok::Text(t) => ["办公厅", "政府", "国务院"].iter().any(|e| t.ends_with(e)),
                    Tok::Date(_) => true,
                };
                let y = d.year?;
                (issuer_ok && y < self.year).then(|| resolve(d, y, None).ok())?
            }
            _ => None,
        }
    }

    fn sentence(&mut self, s: &Sentence, h: &mut Holiday, stated: &mut Option<u32>) {
        for clause in clauses(&s.text) {
            if let Some(n) = modifier(&clause) {
                if n.is_some() {
                    *stated = n;
                }
                continue;
            }
            let Some((prefix, dates, verb)) = split_clause(&clause) else {
                self.errors.push(NoticeError::Unrecognised(s.clone()));
                return;
            };
            let (p_rest, p_scope) = strip_scope(&prefix);
            let (v_rest, v_scope) = strip_scope(&verb);
            let Some((verb, n)) = classify(&v_rest).filter(|_| p_rest.is_empty()) else {
                self.errors.push(NoticeError::Unrecognised(s.clone()));
                return;
            };
            if let Some(sc) = p_scope.or(v_scope) {
                h.scope = sc;
            }
            if n.is_some() {
                *stated = n;
            }
            let Some(days) = self.resolve_all(s, &dates) else {
                return;
            };
            let list = match verb {
                Verb::Off => &mut h.off,
                Verb::Work => &mut h.workdays,
            };
            list.extend(days);
        }
    }

    /// Resolves a date expression (`[(start, Some(end))]` ranges or single days) to days,
    /// checking weekdays; `None` after recording errors.
    fn resolve_all(
        &mut self,
        s: &Sentence,
        items: &[(DateTok, Option<DateTok>)],
    ) -> Option<Vec<Date>> {
        let mut out = Vec::new();
        let mut prev: Option<Date> = None;
        let bad = |reason: String| NoticeError::BadDate {
            sentence: s.clone(),
            reason,
        };
        for (a, b) in items {
            let start = match self.date(a, prev) {
                Ok(d) => d,
                Err(e) => {
                    self.errors.push(bad(e));
                    return None;
                }
            };
            self.check_weekday(s, a, start);
            let end = match b {
                None => start,
                Some(b) => match self.date(b, Some(start)) {
                    Ok(d) => {
                        self.check_weekday(s, b, d);
                        d
                    }
                    Err(e) => {
                        self.errors.push(bad(e));
                        return None;
                    }
                },
            };
            let len = (end - start).get_days();
            if !(0..=31).contains(&len) {
                let e = format!("the range {start} to {end} runs backwards or is too long");
                self.errors.push(bad(e));
                return None;
            }
            out.extend(
                start
                    .series(jiff::Span::new().days(1))
                    .take(len as usize + 1),
            );
            prev = Some(end);
        }
        Some(out)
    }

    fn date(&self, d: &DateTok, prev: Option<Date>) -> Result<Date, String> {
        let year = match (d.year, d.next_year, prev) {
            (Some(y), _, _) => y,
            (None, true, _) => self.year.saturating_add(1),
            (None, false, Some(p)) if d.month.is_none() => p.year(),
            (None, false, Some(p)) if p.year() != self.year => p.year(),
            _ => self.year,
        };
        resolve(d, year, prev)
    }

    fn check_weekday(&mut self, s: &Sentence, tok: &DateTok, d: Date) {
        if let Some((written, wd)) = &tok.weekday
            && d.weekday() != *wd
        {
            self.errors.push(NoticeError::WeekdayMismatch {
                sentence: s.clone(),
                date: d,
                written: written.clone(),
            });
        }
    }

    pub(super) fn finish(mut self) -> Result<Notice, Vec<NoticeError>> {
        let mut seen = std::collections::BTreeMap::new();
        let year = self.year;
        for h in &self.notice.holidays {
            for d in h.off.iter().chain(&h.workdays) {
                // Widened: a fuzzed notice's year can be i16::MIN or MAX.
                let (y, year) = (i32::from(d.year()), i32::from(year));
                let fits = y == year
                    || (y == year - 1 && d.month() == 12)
                    || (y == year + 1 && d.month() == 1);
                let reason = if !fits {
                    Some(format!("is outside the notice's year {year}"))
                } else {
                    seen.insert(*d, h.name.clone())
                        .map(|other| format!("is listed twice ({other}, {})", h.name))
                };
                if let Some(reason) = reason {
                    let (line, date) = (h.line, *d);
                    self.errors
                        .push(NoticeError::Conflict { line, date, reason });
                }
            }
        }
        if self.errors.is_empty() && self.notice.holidays.is_empty() {
            self.errors.push(NoticeError::NoHolidays);
        }
        if self.errors.is_empty() {
            Ok(self.notice)
        } else {
            Err(self.errors)
        }
    }
}

/// The calendar date of a token in `year`; a missing month comes from `prev`.
fn resolve(d: &DateTok, year: i16, prev: Option<Date>) -> Result<Date, String> {
    let month = d
        .month
        .or(prev.map(|p| p.month()))
        .ok_or("a day without a month")?;
    Date::new(year, month, d.day)
        .map_err(|_| format!("{year}-{month:02}-{:02} is not a date", d.day))
}
