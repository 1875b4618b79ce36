//! Parsing the text of a holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知, or a regional
//! notice such as Ningxia's) into typed holidays and make-up working days.
//!
//! Pure: takes the pasted text (and an optional year) and returns a [`Notice`] or every problem
//! found. Nothing is guessed silently: a sentence that mentions a date but does not match a known
//! form is an error naming the sentence and its line; a weekday written in brackets must match
//! the real calendar; a stated day count (`共8天`) must match the days listed. Sentences without
//! dates that are not understood (preamble, closing remarks) are returned in [`Notice::skipped`].
//! Output (table, holiday-cn JSON) is in `notice_out`; lexing in `notice_lex`.

use jiff::civil::Date;

use super::notice_lex::{self as lex, Ch, DateTok, Tok};

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

/// A numbered section (or the preamble, with `name` empty): its header line and body.
struct Section<'a> {
    name: String,
    line: usize,
    body: &'a [Ch],
}

/// Splits the text at `一、` … `十、` markers that start a sentence (or an input line) outside
/// brackets. The header name runs to the `:` (or, when the colon was lost, to the first digit).
fn sections(chs: &[Ch]) -> Vec<Section<'_>> {
    let numeral = |c: char| "一二三四五六七八九十".contains(c);
    let mut starts = Vec::new();
    let mut depth = 0i32;
    for i in 0..chs.len() {
        match chs[i].c {
            '(' => depth += 1,
            ')' => depth = (depth - 1).max(0),
            _ => {}
        }
        if depth > 0 || !numeral(chs[i].c) {
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chs[p]);
        let at_start = match prev {
            None => true,
            Some(p) => {
                "。:;".contains(p.c)
                    || (p.line != chs[i].line && !numeral(p.c) && !"初廿".contains(p.c))
            }
        };
        let n = chs[i..].iter().take_while(|ch| numeral(ch.c)).count();
        if at_start && n <= 2 && chs.get(i + n).map(|ch| ch.c) == Some('、') {
            starts.push(i);
        }
    }
    let mut out = Vec::new();
    let first = starts.first().copied().unwrap_or(chs.len());
    out.push(Section {
        name: String::new(),
        line: chs[0].line,
        body: &chs[..first],
    });
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(chs.len());
        let head = s + chs[s..].iter().position(|ch| ch.c == '、').unwrap_or(0) + 1;
        let seg = &chs[head..end];
        let colon = seg.iter().take(16).position(|ch| ch.c == ':');
        let digit = seg.iter().position(|ch| ch.c.is_ascii_digit());
        let (name_len, skip) = match (colon, digit) {
            (Some(c), d) if d.is_none_or(|d| c < d) => (c, c + 1),
            (_, Some(d)) if d <= 12 => (d, d),
            _ => (0, 0),
        };
        out.push(Section {
            name: lex::text_of(&seg[..name_len]),
            line: chs[s].line,
            body: &seg[skip..],
        });
    }
    out
}

/// Splits `body` into sentences at `。` and `;` outside brackets.
fn sentences(body: &[Ch]) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for i in 0..=body.len() {
        let c = body.get(i).map(|ch| ch.c);
        match c {
            Some('(') => depth += 1,
            Some(')') => depth = (depth - 1).max(0),
            _ => {}
        }
        if c.is_none() || (depth == 0 && matches!(c, Some('。' | ';'))) {
            if i > start {
                out.push(Sentence {
                    line: body[start].line,
                    text: lex::text_of(&body[start..i]),
                });
            }
            start = i + 1;
        }
    }
    out
}

/// Splits a sentence into clauses at `,` outside brackets.
fn clauses(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = (depth - 1).max(0),
            ',' if depth == 0 => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

/// The state of one parse: the notice so far and every error.
struct Parser {
    year: i16,
    errors: Vec<NoticeError>,
    notice: Notice,
}

/// What a clause says about its dates.
enum Verb {
    Off,
    Work,
}

impl Parser {
    fn section(&mut self, sec: Section<'_>) {
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
            (None, true, _) => self.year + 1,
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

    fn finish(mut self) -> Result<Notice, Vec<NoticeError>> {
        let mut seen = std::collections::BTreeMap::new();
        let year = self.year;
        for h in &self.notice.holidays {
            for d in h.off.iter().chain(&h.workdays) {
                let fits = d.year() == year
                    || (d.year() == year - 1 && d.month() == 12)
                    || (d.year() == year + 1 && d.month() == 1);
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

/// `共8天`, `放假1天`, `与周末连休`, `不调休`: clauses that add no dates. Returns the count when
/// one is stated.
fn modifier(clause: &str) -> Option<Option<u32>> {
    if ["与周末连休", "不调休", "放假调休", "放假"].contains(&clause) {
        return Some(None);
    }
    let n = clause
        .strip_prefix("共")
        .or_else(|| clause.strip_prefix("放假共"))
        .or_else(|| clause.strip_prefix("放假"))
        .and_then(|r| r.strip_suffix("天"))
        .and_then(lex::count)?;
    Some(Some(n))
}

/// Whether a sentence without dates consists only of modifiers (it then belongs to the section).
fn is_modifier_only(s: &str) -> bool {
    let cs = clauses(s);
    !cs.is_empty() && cs.iter().all(|c| modifier(c).is_some())
}

/// A date expression with the text before and after it. `None` when the clause does not have the
/// shape `[text] date (至 date)? ((、|和|及) date (至 date)?)* [text]`.
type Split = (String, Vec<(DateTok, Option<DateTok>)>, String);

fn split_clause(clause: &str) -> Option<Split> {
    let toks = lex::tokens(clause);
    let mut it = toks.into_iter().peekable();
    let prefix = match it.peek()? {
        Tok::Text(t) => {
            let t = t.clone();
            it.next();
            t
        }
        Tok::Date(_) => String::new(),
    };
    let mut items = Vec::new();
    loop {
        let Some(Tok::Date(a)) = it.next() else {
            return None;
        };
        let mut b = None;
        let mut next = it.next();
        if let Some(Tok::Text(t)) = &next
            && (t == "至" || t == "-")
        {
            let Some(Tok::Date(end)) = it.next() else {
                return None;
            };
            b = Some(end);
            next = it.next();
        }
        items.push((a, b));
        match next {
            None => return Some((prefix, items, String::new())),
            Some(Tok::Text(t)) if ["、", "和", "及", "以及"].contains(&t.as_str()) => {}
            Some(Tok::Text(t)) if it.peek().is_none() => return Some((prefix, items, t)),
            _ => return None,
        }
    }
}

/// Removes the scope words of regional notices and reports the scope they name.
fn strip_scope(s: &str) -> (String, Option<Scope>) {
    let hui = s.contains("回族");
    let all = s.contains("全体") || s.contains("全区");
    let mut rest = s.to_string();
    for w in ["全区", "全体", "回族", "干部", "职工", "群众", "人员"] {
        rest = rest.replace(w, "");
    }
    let scope = if hui {
        Some(Scope::Hui)
    } else if all {
        Some(Scope::All)
    } else {
        None
    };
    (rest, scope)
}

/// The verb after the dates: a day off (with an optional count) or a working day.
fn classify(v: &str) -> Option<(Verb, Option<u32>)> {
    match v {
        "放假" | "放假调休" | "调休放假" | "休假" | "补休" | "放假补休" => {
            Some((Verb::Off, None))
        }
        "上班" | "调休上班" | "正常上班" => Some((Verb::Work, None)),
        _ => {
            let r = v.strip_prefix("放假")?;
            let r = r.strip_prefix('共').unwrap_or(r);
            Some((Verb::Off, Some(lex::count(r.strip_suffix('天')?)?)))
        }
    }
}
