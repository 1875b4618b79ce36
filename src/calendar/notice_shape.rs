//! The shapes of a notice's text: numbered sections, sentences, clauses, the date expression of
//! a clause, and the words around it (scope, verb, day count).
//!
//! Pure string work on the normalised text from `notice_lex`; meaning (resolving dates, checks)
//! is in `notice_parse`.

use super::notice::{Scope, Sentence};
use super::notice_lex::{self as lex, Ch, DateTok, Tok};

/// A numbered section (or the preamble, with `name` empty): its header line and body.
pub(super) struct Section<'a> {
    pub(super) name: String,
    pub(super) line: usize,
    pub(super) body: &'a [Ch],
}

/// Splits the text at `一、` … `十、` markers that start a sentence (or an input line) outside
/// brackets. The header name runs to the `:` (or, when the colon was lost, to the first digit).
pub(super) fn sections(chs: &[Ch]) -> Vec<Section<'_>> {
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
pub(super) fn sentences(body: &[Ch]) -> Vec<Sentence> {
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
pub(super) fn clauses(s: &str) -> Vec<String> {
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

/// What a clause says about its dates.
pub(super) enum Verb {
    Off,
    Work,
}

/// `共8天`, `放假1天`, `与周末连休`, `不调休`: clauses that add no dates. Returns the count when
/// one is stated.
pub(super) fn modifier(clause: &str) -> Option<Option<u32>> {
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
pub(super) fn is_modifier_only(s: &str) -> bool {
    let cs = clauses(s);
    !cs.is_empty() && cs.iter().all(|c| modifier(c).is_some())
}

/// A date expression with the text before and after it. `None` when the clause does not have the
/// shape `[text] date (至 date)? ((、|和|及) date (至 date)?)* [text]`.
pub(super) type Split = (String, Vec<(DateTok, Option<DateTok>)>, String);

pub(super) fn split_clause(clause: &str) -> Option<Split> {
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
pub(super) fn strip_scope(s: &str) -> (String, Option<Scope>) {
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
pub(super) fn classify(v: &str) -> Option<(Verb, Option<u32>)> {
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
