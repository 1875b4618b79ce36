//! Lexing a pasted holiday notice: width/punctuation normalisation and date tokens.
//!
//! Pure: works only on the string it is given. Pasted government text mixes full-width and
//! half-width digits and punctuation and breaks lines anywhere, so everything is first folded to
//! one canonical form (ASCII digits, `(` `)` `:` `,` `;`, Chinese `、` and `。`, no whitespace), each
//! character remembering the line it came from so messages can point back at the input.

use jiff::civil::Weekday;

/// One character of the normalised text and the 1-based input line it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ch {
    pub(super) c: char,
    pub(super) line: usize,
}

/// Folds `text` to the canonical form. Whitespace (including U+3000 and line breaks) is dropped
/// because Chinese text does not use it between words and pasting inserts it at random.
pub(super) fn normalise(text: &str) -> Vec<Ch> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut line = 1;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            continue;
        }
        if c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}' {
            continue;
        }
        let c = match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '（' => '(',
            '）' => ')',
            '：' => ':',
            '，' | '﹐' => ',',
            '；' => ';',
            '､' | '﹑' => '、',
            '．' | '｡' => '。',
            '～' | '~' | '－' | '—' | '–' => '-',
            _ => c,
        };
        out.push(Ch { c, line });
    }
    out
}

/// The characters of `chs` as a string.
pub(super) fn text_of(chs: &[Ch]) -> String {
    chs.iter().map(|ch| ch.c).collect()
}

/// A date as written: `2022年12月31日`, `1月1日`, or a bare `3日` after `至`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DateTok {
    /// Explicit year, if written (`次年` counts as "the notice year + 1", marked by `next_year`).
    pub(super) year: Option<i16>,
    /// `次年` was written before the date.
    pub(super) next_year: bool,
    /// Month, if written.
    pub(super) month: Option<i8>,
    /// Day of month.
    pub(super) day: i8,
    /// Weekday noted in brackets (`周四`, `星期四`), to be checked against the real calendar.
    pub(super) weekday: Option<(String, Weekday)>,
}

/// A token of a clause: a date, or plain text between dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    Date(DateTok),
    Text(String),
}

/// Splits a clause into date and text tokens. A date is `[N年|次年][N月]N日`; a bracketed or
/// bare note straight after a date (`（农历腊月二十八、周日）`, `周四`) is attached to it. A digit run that is not part of a date stays text.
pub(super) fn tokens(s: &str) -> Vec<Tok> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < cs.len() {
        if let Some((d, next)) = date_at(&cs, i) {
            if !text.is_empty() {
                out.push(Tok::Text(std::mem::take(&mut text)));
            }
            let (weekday, next) = note_after(&cs, next);
            out.push(Tok::Date(DateTok { weekday, ..d }));
            i = next;
        } else {
            text.push(cs[i]);
            i += 1;
        }
    }
    if !text.is_empty() {
        out.push(Tok::Text(text));
    }
    out
}

/// Whether `s` mentions a calendar date (`M月D日` or `D日` after a number), the test for "a
/// sentence we must not ignore".
pub(super) fn has_date(s: &str) -> bool {
    tokens(s).iter().any(|t| matches!(t, Tok::Date(_)))
}

/// Reads a number of at most 4 digits at `i`.
fn number_at(cs: &[char], i: usize) -> Option<(u32, usize)> {
    let mut j = i;
    let mut n: u32 = 0;
    while j < cs.len() && cs[j].is_ascii_digit() && j - i < 4 {
        n = n * 10 + cs[j].to_digit(10).unwrap_or(0);
        j += 1;
    }
    (j > i && !(j < cs.len() && cs[j].is_ascii_digit())).then_some((n, j))
}

/// A date starting at `i`, and the index after it.
fn date_at(cs: &[char], i: usize) -> Option<(DateTok, usize)> {
    if i > 0 && cs[i - 1].is_ascii_digit() {
        return None;
    }
    let mut j = i;
    let mut year = None;
    let mut next_year = false;
    if cs[j..].starts_with(&['次', '年']) {
        next_year = true;
        j += 2;
    }
    let (mut n, mut k) = number_at(cs, j)?;
    if !next_year && cs.get(k) == Some(&'年') {
        year = Some(i16::try_from(n).ok()?);
        (n, k) = number_at(cs, k + 1)?;
    }
    let mut month = None;
    if cs.get(k) == Some(&'月') {
        month = Some(i8::try_from(n).ok()?);
        (n, k) = number_at(cs, k + 1)?;
    }
    if cs.get(k) != Some(&'日') || (year.is_some() && month.is_none()) {
        return None;
    }
    // A bare day (`3日`) is a date only as the end of a range or in a list (`至3日`, `5日、6日`);
    // elsewhere a number before 日 is something else (a count, a document number).
    if month.is_none() && !(i > 0 && "至-、和及".contains(cs[i - 1])) {
        return None;
    }
    let day = i8::try_from(n).ok()?;
    let d = DateTok {
        year,
        next_year,
        month,
        day,
        weekday: None,
    };
    Some((d, k + 1))
}

/// A note straight after a date: `(…)` or bare `农历…`/`周X`/`星期X`/`除夕` words, separated by
/// `、` or `,`. Returns the weekday it names, if any, and the index after the note.
fn note_after(cs: &[char], i: usize) -> (Option<(String, Weekday)>, usize) {
    if cs.get(i) == Some(&'(') {
        if let Some(close) = cs[i..].iter().position(|&c| c == ')') {
            let inner: String = cs[i + 1..i + close].iter().collect();
            // A bracket holding a date is not a note about this date (e.g. `除夕(2月9日)`).
            if !has_date(&inner) {
                let wd = inner
                    .split(['、', ','])
                    .find_map(|w| weekday(w).map(|d| (w.to_string(), d)));
                return (wd, i + close + 1);
            }
        }
        return (None, i);
    }
    // Bare notes (the brackets were lost in copying).
    let mut j = i;
    let mut wd = None;
    loop {
        let rest: String = cs[j..cs.len().min(j + 3)].iter().collect();
        if rest.starts_with("农历") {
            j += 2;
            while j < cs.len() && "正冬腊一二三四五六七八九十廿卅初月除夕".contains(cs[j])
            {
                j += 1;
            }
        } else if rest.starts_with("除夕") {
            j += 2;
        } else if let Some(len) = ["星期", "周"].iter().find_map(|p| {
            let w: String = cs[j..cs.len().min(j + p.chars().count() + 1)]
                .iter()
                .collect();
            (w.starts_with(p) && weekday(&w).is_some()).then(|| w.chars().count())
        }) {
            let w: String = cs[j..j + len].iter().collect();
            wd = weekday(&w).map(|d| (w, d));
            j += len;
        } else {
            break;
        }
        if j < cs.len() && cs[j] == '、' && j + 1 < cs.len() && !cs[j + 1].is_ascii_digit() {
            j += 1;
        }
    }
    (wd, j)
}

/// `周四`, `星期四`, `星期日`, `星期天`, `周日`, `周天` → the weekday.
pub(super) fn weekday(w: &str) -> Option<Weekday> {
    let d = w.strip_prefix("星期").or_else(|| w.strip_prefix("周"))?;
    Some(match d {
        "一" => Weekday::Monday,
        "二" => Weekday::Tuesday,
        "三" => Weekday::Wednesday,
        "四" => Weekday::Thursday,
        "五" => Weekday::Friday,
        "六" => Weekday::Saturday,
        "日" | "天" => Weekday::Sunday,
        _ => return None,
    })
}

/// A small count written in digits or Chinese numerals (`8`, `八`, `十一`), as in `共8天`.
pub(super) fn count(s: &str) -> Option<u32> {
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c);
    let cs: Vec<char> = s.chars().collect();
    match cs.as_slice() {
        ['十'] => Some(10),
        [a] => digit(*a).map(|n| n as u32),
        ['十', b] => digit(*b).map(|n| 10 + n as u32),
        [a, '十'] => digit(*a).map(|n| 10 * n as u32),
        [a, '十', b] => Some(10 * digit(*a)? as u32 + digit(*b)? as u32),
        _ => None,
    }
}
