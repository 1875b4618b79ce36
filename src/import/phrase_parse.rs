//! 完成时限 phrases → rules, part 2: the parser. A phrase is read only when its whole token
//! sequence matches one of the forms below; anything else is kept verbatim as a TODO.
//!
//! | form | tokens | rule |
//! |---|---|---|
//! | ongoing | 长期坚持 / 常态化 | none (`deadline: ongoing`) |
//! | no date | 适时 / 按上级要求 | none, kept as text |
//! | one date | \[2027年\]6月30日前, 6月底前, 年底前, 上半年 | `once` (year assumed when absent) |
//! | one window | 3月—5月, 9月中旬, 6月, 12月20日至次年1月10日 | `campaign` bounded to that year |
//! | yearly | 每年6月底前、12月底前, 每年3月—5月, 每年至少一次 | `yearly` / `campaign` |
//! | every N years | 每两年至少开展一次 | `every_n_years` from the plan year |
//! | half-yearly | 每半年一次 | `half_yearly: 06-30` |
//! | quarterly | 每季度第一个月20日前 \[报送上季度\], 每季度末, 每季度结束后5个工作日内 | `quarterly` / 4 × `yearly` |
//! | monthly | 每月28日前 \[报送上月\], 每月底前, 每月最后一个工作日 | `monthly` |
//! | weekly | 每周五前, 每周一次 (due Friday) | `weekly` |
//! | daily | 每个工作日 | `daily` |
//! | holidays | 元旦春节前, 五一、国庆前, 节假日前 | `before_holidays` |
//! | school terms | 春秋季开学前后, 开学前, 春季开学季 | `campaign`/`yearly` on the term-start events |
//! | flood season | 汛期前 / 汛前, 主汛期, 汛期 | `yearly`/`campaign` on flood-season events |

use jiff::civil::Date;

use super::draft_yaml::Y;
use super::phrase::{Tok, tokens};

/// What a phrase turned into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The cell is empty.
    Empty,
    /// 长期坚持: an ongoing task (quarterly check-ins by default).
    Ongoing,
    /// Rules were derived.
    Rules,
    /// The source gives no date (适时, 按上级要求): kept as text, the task is ongoing.
    Kept,
    /// Not understood: kept verbatim with a TODO marker; the task gets no reminders.
    Todo,
}

/// A read phrase.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The phrase as written.
    pub text: String,
    /// What it is.
    pub kind: Kind,
    /// The rules (one-key maps in flow style), for [`Kind::Rules`].
    pub rules: Vec<Y>,
    /// The plan year used for a date written without a year.
    pub assumed_year: Option<i16>,
    /// Named events the rules refer to (`spring_term_start`, `flood_season`…).
    pub events: Vec<&'static str>,
}

/// The named events the grammar may refer to: id, Chinese name, default month-day. A draft adds
/// the ones its config lacks, flagged for the clerk to confirm.
pub const EVENTS: &[(&str, &str, &str)] = &[
    ("spring_term_start", "春季开学", "03-01"),
    ("autumn_term_start", "秋季开学", "09-01"),
    ("flood_season", "汛期", "06-01"),
    ("main_flood_season", "主汛期", "07-16"),
];

/// Read a 完成时限 phrase; `year` is the plan year used when a date has no year.
pub fn read(text: &str, year: i16) -> Reading {
    let mut cx = Cx {
        year,
        assumed: false,
        events: Vec::new(),
    };
    let toks = tokens(text);
    let kind_rules = if text.trim().is_empty() {
        (Kind::Empty, Vec::new())
    } else if toks.is_empty() || toks.iter().any(|t| matches!(t, Tok::Unknown(_))) {
        (Kind::Todo, Vec::new())
    } else if toks.iter().all(|t| matches!(t, Tok::Ongoing | Tok::Sep)) {
        (Kind::Ongoing, Vec::new())
    } else if toks.iter().all(|t| matches!(t, Tok::AsText | Tok::Sep)) {
        (Kind::Kept, Vec::new())
    } else {
        match phrase(&mut cx, &toks) {
            Some(r) if !r.is_empty() => (Kind::Rules, r),
            _ => (Kind::Todo, Vec::new()),
        }
    };
    let ok = kind_rules.0 == Kind::Rules;
    Reading {
        text: text.trim().to_string(),
        kind: kind_rules.0,
        rules: kind_rules.1,
        assumed_year: (ok && cx.assumed).then_some(year),
        events: if ok { cx.events } else { Vec::new() },
    }
}

struct Cx {
    year: i16,
    assumed: bool,
    events: Vec<&'static str>,
}

type Rules = Option<Vec<Y>>;

fn phrase(cx: &mut Cx, t: &[Tok]) -> Rules {
    use Tok::*;
    if let [Daily] = t {
        return Some(vec![rule("daily", vec![("workdays_only", Y::Bool(true))])]);
    }
    // 每年 before a holiday, term or flood phrase says nothing more: they are yearly anyway.
    let body = match t {
        [Every, Year, rest @ ..] if starts_special(rest) => rest,
        _ => t,
    };
    holidays(body)
        .or_else(|| term(cx, body))
        .or_else(|| flood(cx, body))
        .or_else(|| every(cx, t))
        .or_else(|| dated_list(cx, t))
}

fn starts_special(t: &[Tok]) -> bool {
    use Tok::*;
    matches!(
        t.first(),
        Some(
            Holiday(_)
                | Holidays
                | Season(_)
                | TermStart
                | TermSeason
                | Flood
                | BeforeFlood
                | MainFlood
        )
    )
}

/// A rule `form: { fields }`: a one-key map whose fields are written in flow style, as the
/// seeds write rules (`- monthly: { day: 28 }`).
fn rule(form: &str, fields: Vec<(&str, Y)>) -> Y {
    Y::map([(form, Y::Flow(Box::new(Y::map(fields))))])
}

/// A rule as one line, `monthly: { day: 28 }` (the report's and the tests' form).
pub fn rule_text(rule: &Y) -> String {
    match rule {
        Y::Map(m) => m
            .iter()
            .map(|(k, v, _)| format!("{k}: {}", super::draft_yaml::flow(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => super::draft_yaml::flow(other),
    }
}

fn md(m: u32, d: u32) -> Y {
    Y::s(format!("{m:02}-{d:02}"))
}

/// The last day of month `m` in `year` (February of a common year in yearly rules).
fn last_day(year: i16, m: u32) -> Option<u32> {
    let d = Date::new(year, i8::try_from(m).ok()?, 1).ok()?;
    u32::try_from(d.days_in_month()).ok()
}

fn valid(year: i16, m: u32, d: u32) -> Option<Date> {
    Date::new(year, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// Leading `至少` and a trailing `一次`: "at least once" (nothing else: 两次 is not guessed).
fn once_per(t: &[Tok]) -> bool {
    use Tok::*;
    let t = match t {
        [AtLeast, rest @ ..] => rest,
        _ => t,
    };
    matches!(t, [] | [Num(1), Times])
}

fn strip_end<'a>(t: &'a [Tok], tails: &[Tok]) -> &'a [Tok] {
    let mut t = t;
    while let Some((last, rest)) = t.split_last() {
        if tails.contains(last) {
            t = rest;
        } else {
            break;
        }
    }
    t
}

fn holidays(t: &[Tok]) -> Rules {
    use Tok::*;
    let (body, _) = match t {
        [body @ .., Before | Around] => (body, ()),
        _ => return None,
    };
    if let [Holidays] = body {
        return Some(vec![rule(
            "before_holidays",
            vec![("holidays", Y::s("all"))],
        )]);
    }
    let mut names: Vec<&str> = Vec::new();
    for x in body {
        match x {
            Holiday(h) if !names.contains(h) => names.push(h),
            Sep => {}
            _ => return None,
        }
    }
    (!names.is_empty()).then(|| {
        vec![rule(
            "before_holidays",
            vec![("holidays", Y::Flow(Box::new(Y::strs(names))))],
        )]
    })
}

fn term(cx: &mut Cx, t: &[Tok]) -> Rules {
    use Tok::*;
    let (season, rest) = match t {
        [EveryTerm, rest @ ..] => (3, rest),
        [Season(s), rest @ ..] => (*s, rest),
        _ => (3, t),
    };
    let events: Vec<&'static str> = [(1, "spring_term_start"), (2, "autumn_term_start")]
        .into_iter()
        .filter(|(bit, _)| season & bit != 0)
        .map(|(_, e)| e)
        .collect();
    let make = |e: &'static str| -> Option<Y> {
        Some(match rest {
            [TermStart, Before] => rule("yearly", vec![("event", Y::s(e)), ("offset", Y::Int(-1))]),
            [TermStart, Around] => rule(
                "campaign",
                vec![
                    ("event", Y::s(e)),
                    ("opens", Y::Int(-14)),
                    ("closes", Y::Int(14)),
                ],
            ),
            [TermStart] | [TermSeason] => rule(
                "campaign",
                vec![
                    ("event", Y::s(e)),
                    ("opens", Y::Int(-14)),
                    ("closes", Y::Int(30)),
                ],
            ),
            _ => return None,
        })
    };
    let rules = events.iter().map(|e| make(e)).collect::<Option<Vec<Y>>>()?;
    cx.events.extend(events);
    Some(rules)
}

fn flood(cx: &mut Cx, t: &[Tok]) -> Rules {
    use Tok::*;
    let (event, r) = match t {
        [BeforeFlood] | [Flood, Before] => (
            "flood_season",
            rule(
                "yearly",
                vec![("event", Y::s("flood_season")), ("offset", Y::Int(-1))],
            ),
        ),
        [MainFlood] | [MainFlood, Around] => (
            "main_flood_season",
            rule(
                "campaign",
                vec![
                    ("event", Y::s("main_flood_season")),
                    ("opens", Y::Int(0)),
                    ("closes", Y::Int(30)),
                ],
            ),
        ),
        // 6月1日 + 121 days = 9月30日: the usual northern flood season.
        [Flood] | [Flood, Around] => (
            "flood_season",
            rule(
                "campaign",
                vec![
                    ("event", Y::s("flood_season")),
                    ("opens", Y::Int(0)),
                    ("closes", Y::Int(121)),
                ],
            ),
        ),
        _ => return None,
    };
    cx.events.push(event);
    Some(vec![r])
}

fn every(cx: &mut Cx, t: &[Tok]) -> Rules {
    use Tok::*;
    match t {
        [Every, Year, rest @ ..] => every_year(rest),
        [Every, Num(n), Year, rest @ ..] if (2..=10).contains(n) && once_per(rest) => {
            Some(vec![rule(
                "every_n_years",
                vec![
                    ("years", Y::Int(i64::from(*n))),
                    ("anchor", Y::Int(i64::from(cx.year))),
                    ("due", md(12, 31)),
                ],
            )])
        }
        [Every, HalfYear, rest @ ..] if once_per(rest) => {
            Some(vec![rule("half_yearly", vec![("due", md(6, 30))])])
        }
        [Every, Quarter, rest @ ..] => every_quarter(rest),
        [Every, Month, rest @ ..] => every_month(rest),
        [Every, Week, rest @ ..] => every_week(rest),
        _ => None,
    }
}

fn covers(t: &[Tok], months: u8, what: &str) -> (Vec<(&'static str, Y)>, bool) {
    match t.last() {
        Some(Tok::Previous(m)) if *m == months => (vec![("covers", Y::s(what))], true),
        _ => (Vec::new(), false),
    }
}

fn every_year(rest: &[Tok]) -> Rules {
    use Tok::*;
    if once_per(rest) {
        return Some(vec![rule("yearly", vec![("date", md(12, 31))])]);
    }
    let (cov, had) = covers(rest, 12, "previous_year");
    let body = if had { &rest[..rest.len() - 1] } else { rest };
    let body = strip_end(body, &[Before, Within]);
    match body {
        [FirstHalf] => return Some(vec![rule("yearly", vec![("date", md(6, 30))])]),
        [SecondHalf] | [YearEnd] => return Some(vec![rule("yearly", vec![("date", md(12, 31))])]),
        _ => {}
    }
    let mut out = Vec::new();
    for item in body.split(|t| *t == Sep) {
        let item = strip_end(item, &[Before, Within]);
        match span(item, 2027)? {
            Span::Day(m, d) => {
                let mut f = vec![("date", md(m, d))];
                f.extend(cov.iter().cloned());
                out.push(rule("yearly", f));
            }
            Span::Window((fm, fd), (tm, td), _) if cov.is_empty() => out.push(rule(
                "campaign",
                vec![("from", md(fm, fd)), ("to", md(tm, td))],
            )),
            _ => return None,
        }
    }
    Some(out)
}

/// The four quarter ends as yearly dates: quarterly rules are due in the month after a quarter.
fn quarter_ends() -> Vec<Y> {
    [(3, 31), (6, 30), (9, 30), (12, 31)]
        .into_iter()
        .map(|(m, d)| {
            rule(
                "yearly",
                vec![("date", md(m, d)), ("label", Y::s("季度末"))],
            )
        })
        .collect()
}

fn every_quarter(rest: &[Tok]) -> Rules {
    use Tok::*;
    if once_per(rest) {
        return Some(quarter_ends());
    }
    let (cov, had) = covers(rest, 3, "previous_quarter");
    let body = if had { &rest[..rest.len() - 1] } else { rest };
    let body = strip_end(body, &[Before, Within]);
    match body {
        [End] => Some(quarter_ends()),
        [Di, Num(1), Ge, Month, Num(d), Day]
        | [Di, Num(1), Month, Num(d), Day]
        | [First, Month, Num(d), Day]
            if (1..=28).contains(d) =>
        {
            let mut f = vec![("day", Y::Int(i64::from(*d)))];
            f.extend(cov);
            Some(vec![rule("quarterly", f)])
        }
        [EndAfter, Num(n), Ge, Workday] | [EndAfter, Num(n), Workday]
            if (1..=60).contains(n) && !had =>
        {
            Some(vec![rule(
                "quarterly",
                vec![("workdays_after_end", Y::Int(i64::from(*n)))],
            )])
        }
        _ => None,
    }
}

fn every_month(rest: &[Tok]) -> Rules {
    use Tok::*;
    if once_per(rest) {
        return Some(vec![rule("monthly", vec![("day", Y::Int(-1))])]);
    }
    let (cov, had) = covers(rest, 1, "previous_month");
    let body = if had { &rest[..rest.len() - 1] } else { rest };
    let body = strip_end(body, &[Before, Within]);
    let day = match body {
        [Num(d), Day] if (1..=31).contains(d) => Y::Int(i64::from(*d)),
        [End] | [Month, End] if !had => Y::Int(-1),
        [Last, Workday] if !had => Y::s("last_workday"),
        _ => return None,
    };
    let mut f = vec![("day", day)];
    f.extend(cov);
    Some(vec![rule("monthly", f)])
}

fn every_week(rest: &[Tok]) -> Rules {
    use Tok::*;
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    // 每周一次: due by the end of the working week.
    if matches!(rest, [Num(1), Times] | [AtLeast, Num(1), Times]) {
        return Some(vec![rule("weekly", vec![("weekday", Y::s("fri"))])]);
    }
    let day = match strip_end(rest, &[Before]) {
        [Num(n)] if (1..=6).contains(n) => DAYS[*n as usize - 1],
        [Day] => "sun",
        _ => return None,
    };
    Some(vec![rule("weekly", vec![("weekday", Y::s(day))])])
}

/// A span of the calendar written without 每: a day, or a window (from, to, crosses the year).
enum Span {
    Day(u32, u32),
    Window((u32, u32), (u32, u32), bool),
}

/// A month-day or a window inside one year (`year` decides month lengths; 2027 for yearly
/// rules, where February ends on the 28th).
fn span(t: &[Tok], year: i16) -> Option<Span> {
    use Tok::*;
    let day_of = |t: &[Tok]| -> Option<(u32, u32)> {
        match t {
            [Num(m), Month, Num(d), Day] => valid(year, *m, *d).map(|_| (*m, *d)),
            [Num(m), Month, End] => Some((*m, last_day(year, *m)?)),
            _ => None,
        }
    };
    if let Some((m, d)) = day_of(t) {
        return Some(Span::Day(m, d));
    }
    match t {
        [Num(m), Month] => Some(Span::Window((*m, 1), (*m, last_day(year, *m)?), false)),
        [Num(m), Month, Dekad(k)] => {
            let (a, b) = match k {
                1 => (1, 10),
                2 => (11, 20),
                _ => (21, last_day(year, *m)?),
            };
            valid(year, *m, a)?;
            Some(Span::Window((*m, a), (*m, b), false))
        }
        _ => {
            let i = t.iter().position(|x| *x == To)?;
            let (a, b) = (&t[..i], &t[i + 1..]);
            let (b, next) = match b {
                [NextYear, rest @ ..] => (rest, true),
                _ => (b, false),
            };
            let from = match span(a, year)? {
                Span::Day(m, d) => (m, d),
                Span::Window(f, _, false) => f,
                _ => return None,
            };
            let to = match b {
                // 6月1日至15日: the month carries over.
                [Num(d), Day] => (from.0, *d),
                _ => match span(b, year)? {
                    Span::Day(m, d) => (m, d),
                    Span::Window(_, t, false) => t,
                    _ => return None,
                },
            };
            valid(year, to.0, to.1)?;
            let crosses = to < from;
            // 次年 on a window that does not cross the new year would span more than a year.
            (!next || crosses).then_some(())?;
            (to != from).then_some(Span::Window(from, to, crosses))
        }
    }
}

fn dated_list(cx: &mut Cx, t: &[Tok]) -> Rules {
    // `10月3日，遇节假日顺延`: the clause after the comma belongs to the date before it.
    let joined: Vec<Tok>;
    let t = match t {
        [rest @ .., Tok::Sep, Tok::ShiftNext] => {
            joined = rest.iter().cloned().chain([Tok::ShiftNext]).collect();
            &joined[..]
        }
        _ => t,
    };
    let mut out = Vec::new();
    for item in t.split(|x| *x == Tok::Sep) {
        out.extend(dated(cx, item)?);
    }
    Some(out)
}

/// One dated item: [2027年] then a day, a window, 上半年/下半年/年底; an activity's time; 顺延.
fn dated(cx: &mut Cx, t: &[Tok]) -> Rules {
    use Tok::*;
    let (t, shift_next) = match t {
        [rest @ .., ShiftNext] => (rest, true),
        _ => (t, false),
    };
    let (year, t) = match t {
        [Num(y), Year, rest @ ..] if (2000..=2100).contains(y) => (i16::try_from(*y).ok()?, rest),
        [Num(y), YearEnd, rest @ ..] if (2000..=2100).contains(y) => {
            return year_end(i16::try_from(*y).ok()?, rest);
        }
        _ => {
            cx.assumed = true;
            (cx.year, t)
        }
    };
    let t = strip_end(t, &[Before, Within]);
    let (t, at) = match t {
        [rest @ .., Num(h), Hour] if *h <= 23 => (rest, Some(Y::s(format!("{h:02}:00")))),
        [rest @ .., HalfDay(x)] => (rest, Some(Y::s(*x))),
        _ => (t, None),
    };
    match t {
        [FirstHalf] => return once(year, 6, 30, None, false),
        [SecondHalf] | [YearEnd] => return year_end(year, &[]),
        _ => {}
    }
    match span(t, year)? {
        Span::Day(m, d) => once(year, m, d, at, shift_next),
        Span::Window(from, to, crosses) if at.is_none() && !shift_next => {
            let end_year = if crosses { year + 1 } else { year };
            let since = valid(year, from.0, from.1)?;
            let until = valid(end_year, to.0, to.1)?;
            Some(vec![rule(
                "campaign",
                vec![
                    ("from", md(from.0, from.1)),
                    ("to", md(to.0, to.1)),
                    ("since", Y::s(since.to_string())),
                    ("until", Y::s(until.to_string())),
                ],
            )])
        }
        _ => None,
    }
}

fn year_end(year: i16, rest: &[Tok]) -> Rules {
    strip_end(rest, &[Tok::Before, Tok::Within])
        .is_empty()
        .then(|| once(year, 12, 31, None, false))?
}

fn once(year: i16, m: u32, d: u32, at: Option<Y>, shift_next: bool) -> Rules {
    let date = valid(year, m, d)?;
    let mut f = vec![("date", Y::s(date.to_string()))];
    if let Some(a) = at {
        f.push(("at", a));
    }
    if shift_next {
        f.push(("shift", Y::s("next")));
    }
    Some(vec![rule("once", f)])
}
