//! Plan text in chat markdown is data, never markup (issue 18): [`chat_md`] turns a value that a
//! template or a card puts into WeCom, DingTalk or Feishu markdown into text that every one of
//! those dialects shows as written. Pure.
//!
//! None of the three vendors documents an escape (no backslash escapes, no entities we can rely
//! on: Feishu's `lark_md` decodes some entities, WeCom's markdown none), so an ASCII character
//! that could start markup is replaced by its full-width twin, which reads the same in Chinese
//! text and is inert in every dialect: `*`→`＊`, `<`→`＜`, `[`→`［`, `#`→`＃` and so on. A value that
//! is a URL (our progress links, `settings.progress_url`) keeps its meaning: the characters that
//! could close a link target or start markup are percent-encoded instead, which a web server
//! reads as the same URL.

use std::borrow::Cow;

/// The full-width twin of an ASCII character that can start markup in a chat dialect.
fn twin(c: char) -> Option<char> {
    Some(match c {
        '*' => '＊',
        '_' => '＿',
        '`' => '｀',
        '[' => '［',
        ']' => '］',
        '<' => '＜',
        '>' => '＞',
        '#' => '＃',
        '|' => '｜',
        '~' => '～',
        '&' => '＆',
        '\\' => '＼',
        '!' => '！',
        '$' => '＄',
        _ => return None,
    })
}

/// Characters of a URL that could close a link target or start markup: percent-encoded.
const URL_MARKUP: [char; 13] = [
    '(', ')', '[', ']', '<', '>', '*', '`', '|', '"', '\'', '\\', '!',
];

/// Whether `s` is one absolute http(s) URL and nothing else.
fn is_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `s` made inert for chat markdown (WeCom, DingTalk, Feishu `lark_md`); see the module header.
/// Also a list or heading marker at the start of a line inside the value (`- `, `+ `, `1. `) is
/// turned into its full-width twin, so a multi-line measure never becomes a list.
pub fn chat_md(s: &str) -> Cow<'_, str> {
    if is_url(s) {
        if !s.contains(URL_MARKUP) {
            return Cow::Borrowed(s);
        }
        let mut out = String::with_capacity(s.len() + 8);
        for c in s.chars() {
            if URL_MARKUP.contains(&c) {
                out.push_str(&format!("%{:02X}", u32::from(c)));
            } else {
                out.push(c);
            }
        }
        return Cow::Owned(out);
    }
    let needs = s.chars().any(|c| twin(c).is_some()) || s.contains('\n') || starts_marker(s);
    if !needs {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let body = line.trim_start();
        out.push_str(&line[..line.len() - body.len()]);
        let mut chars = body.chars().peekable();
        // A list marker that opens a line: `-`, `+`, `=` or digits then `.`/`)`.
        if starts_marker(body) {
            while let Some(c) = chars.next_if(char::is_ascii_digit) {
                out.push(c);
            }
            match chars.next() {
                Some('-') => out.push('－'),
                Some('+') => out.push('＋'),
                Some('=') => out.push('＝'),
                Some('.') => out.push('．'),
                Some(')') => out.push('）'),
                Some(c) => out.push(c),
                None => {}
            }
        }
        for c in chars {
            out.push(twin(c).unwrap_or(c));
        }
    }
    Cow::Owned(out)
}

/// Whether `line` (already left-trimmed) opens with a list marker (`- `, `+ `, `= `, `1. `, `1) `)
/// or is a bare `-`/`=` run (a setext heading underline).
fn starts_marker(line: &str) -> bool {
    let line = line.trim_start();
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line[digits..];
    let marker = if digits > 0 {
        rest.starts_with(['.', ')'])
    } else {
        rest.starts_with(['-', '+', '='])
    };
    marker && (rest.len() == 1 || rest[1..].starts_with([' ', '-', '=']))
}

/// `s` for a chat *text* message (WeCom's `text`): only `<…>` can be markup there (`<@userid>`
/// mentions a member), so angle brackets get their full-width twins.
pub fn chat_text(s: &str) -> Cow<'_, str> {
    if s.contains(['<', '>']) {
        Cow::Owned(s.replace('<', "＜").replace('>', "＞"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_full_width_and_plain_text_is_untouched() {
        // (input, expected): hand-written.
        let table = [
            ("每周开展一次排查。", "每周开展一次排查。"),
            ("**粗体**", "＊＊粗体＊＊"),
            ("[链接](http://x.example)", "［链接］(http://x.example)"),
            (
                "<@all> <at user_id=\"all\">所有人</at>",
                "＜@all＞ ＜at user＿id=\"all\"＞所有人＜/at＞",
            ),
            (
                "<font color=\"warning\">红</font>",
                "＜font color=\"warning\"＞红＜/font＞",
            ),
            ("# 标题", "＃ 标题"),
            (
                "a_b_c `code` ~~删~~ |表|",
                "a＿b＿c ｀code｀ ～～删～～ ｜表｜",
            ),
            ("&lt;b&gt;", "＆lt;b＆gt;"),
            ("![图](x)", "！［图］(x)"),
            ("{{ task.id }}", "{{ task.id }}"),
            (
                "措施：\n- 一\n2. 二\n  + 三",
                "措施：\n－ 一\n2． 二\n  ＋ 三",
            ),
            ("- 开头", "－ 开头"),
            ("3.5 个百分点", "3.5 个百分点"),
            ("-3 天", "-3 天"),
        ];
        for (input, want) in table {
            assert_eq!(chat_md(input), want, "{input}");
        }
    }

    #[test]
    fn urls_keep_their_meaning() {
        let u = "https://duban.example.org/p/AbC_d-e~f?x=1&y=2#top";
        assert_eq!(chat_md(u), u);
        assert_eq!(
            chat_md("https://x.example/a(b)[c]"),
            "https://x.example/a%28b%29%5Bc%5D"
        );
        // Not one URL: treated as text.
        assert_eq!(
            chat_md("https://x.example **b**"),
            "https://x.example ＊＊b＊＊"
        );
    }

    #[test]
    fn chat_text_neutralises_mentions_only() {
        assert_eq!(chat_text("<@zhangsan> **x**"), "＜@zhangsan＞ **x**");
        assert_eq!(chat_text("无"), "无");
    }
}
