//! Shortening message text to a vendor byte limit: on a line boundary, UTF-8 safe, with a pointer
//! to the full text. Pure; touches nothing.
//!
//! Vendor limits are UTF-8 *bytes* (a CJK character is 3 bytes), so the budget is counted in
//! bytes and a cut never splits a character. Over-long messages are shortened, never rejected:
//! a reminder that arrives shortened is better than one that never arrives.

use std::borrow::Cow;

/// Appended to a shortened message; the email copy carries the full text.
pub const TRUNCATION_POINTER: &str = "……（内容过长已截断，完整内容见邮件）";

/// The largest index `<= at` that is a char boundary of `s`.
fn floor_boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `text` if it fits in `limit` bytes; otherwise its longest prefix ending at a line break (or,
/// for one huge line, at a char boundary) followed by a newline and [`TRUNCATION_POINTER`], the
/// whole within `limit` bytes.
pub fn shorten(text: &str, limit: usize) -> Cow<'_, str> {
    if text.len() <= limit {
        return Cow::Borrowed(text);
    }
    let tail = TRUNCATION_POINTER.len() + 1;
    if limit < tail {
        // Degenerate limit: only part of the pointer fits.
        let cut = floor_boundary(TRUNCATION_POINTER, limit);
        return Cow::Owned(TRUNCATION_POINTER[..cut].to_owned());
    }
    let window = &text[..floor_boundary(text, limit - tail)];
    let cut = match window.rfind('\n') {
        // Keep whole lines; drop the trailing blank lines of the kept part.
        Some(pos) if !window[..pos].trim_end().is_empty() => window[..pos].trim_end().len(),
        _ => window.len(),
    };
    Cow::Owned(format!("{}\n{TRUNCATION_POINTER}", &text[..cut]))
}

/// Builds a body with the largest text budget whose serialised size fits `limit` bytes.
///
/// `build(budget)` must produce the body with its variable text shortened to `budget` bytes.
/// JSON escaping and per-line markup make the body larger than the text by an amount that
/// depends on the text, so the budget is found by binary search (body size grows with budget).
pub fn fit_body(limit: usize, mut build: impl FnMut(usize) -> Vec<u8>) -> Vec<u8> {
    let first = build(limit);
    if first.len() <= limit {
        return first;
    }
    let (mut lo, mut hi) = (0, limit);
    let mut best = build(0);
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        let body = build(mid);
        if body.len() <= limit {
            lo = mid;
            best = body;
        } else {
            hi = mid;
        }
    }
    best
}

/// `text` with the bot's security keyword in front, unless it already contains it (vendors only
/// require that the keyword appears; repeating it reads badly).
pub fn keyword_prefix(keyword: Option<&str>, text: &str, sep: &str) -> String {
    match keyword {
        Some(k) if !text.contains(k) => format!("{k}{sep}"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_chinese(lines: usize) -> String {
        (0..lines)
            .map(|i| format!("第{i}项：食品安全专项整治工作进展情况，请各单位按时报送。"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn short_text_is_untouched() {
        assert!(matches!(
            shorten("你好\n世界", 4096),
            Cow::Borrowed("你好\n世界")
        ));
    }

    #[test]
    fn long_chinese_is_cut_on_a_line_within_the_limit() {
        let text = long_chinese(400);
        for limit in [2048, 4096, 20000, 300] {
            let out = shorten(&text, limit);
            assert!(out.len() <= limit, "{} > {limit}", out.len());
            assert!(out.ends_with(TRUNCATION_POINTER));
            let kept = out
                .trim_end_matches(TRUNCATION_POINTER)
                .trim_end_matches('\n');
            // Every kept line is a whole line of the original.
            for line in kept.lines() {
                assert!(text.lines().any(|l| l == line), "partial line {line:?}");
            }
        }
    }

    #[test]
    fn one_huge_line_is_cut_on_a_char_boundary() {
        let text = "督".repeat(5000);
        let out = shorten(&text, 4096);
        assert!(out.len() <= 4096);
        let kept = out
            .trim_end_matches(TRUNCATION_POINTER)
            .trim_end_matches('\n');
        assert!(kept.chars().all(|c| c == '督') && kept.len() > 3900);
    }

    #[test]
    fn tiny_limit_never_splits_a_char() {
        let text = "字".repeat(100);
        let out = shorten(&text, 10);
        assert!(out.len() <= 10);
        assert!(TRUNCATION_POINTER.starts_with(out.as_ref()));
    }

    #[test]
    fn fit_body_shrinks_until_json_fits() {
        let text = "\"引号\"\n".repeat(3000);
        let body = fit_body(20_000, |b| {
            serde_json::to_vec(&serde_json::json!({ "t": shorten(&text, b) })).unwrap()
        });
        assert!(
            body.len() <= 20_000 && body.len() > 19_000,
            "{}",
            body.len()
        );
    }

    #[test]
    fn keyword_is_added_once() {
        assert_eq!(
            keyword_prefix(Some("督办提醒"), "【督办提醒·黄】4.2", ""),
            ""
        );
        assert_eq!(
            keyword_prefix(Some("【平罗县提醒】"), "4.2 到期", " "),
            "【平罗县提醒】 "
        );
        assert_eq!(keyword_prefix(None, "x", " "), "");
    }
}
