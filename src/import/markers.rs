//! Numbering markers at the start of a line, as Chinese plans write them: 一、 （一） 1. （1） ①.
//!
//! [`parse`] reads a marker and tells its kind and value; [`MarkerKind::rank`] orders the kinds
//! the way official documents nest them (一、 over （一） over 1. over （1） over ①), which is
//! how the structure pass tells an area heading from a task and a task from its sub-items.
//! [`chinese_numeral`] and [`chinese_value`] convert between numbers and 一二三…十一…一百.
//! Pure functions; shared by the readers, the structure pass and the draft writer.

/// The kind of a numbering marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkerKind {
    /// 一、 二、 (a Chinese numeral and 、 or ．).
    ChineseComma,
    /// （一） (一) with full- or half-width brackets, spaces inside tolerated.
    ParenChinese,
    /// 1. 1、 1． １． (Arabic digits, ASCII or full-width, then a full stop or 、).
    Decimal,
    /// （1） (1) 1) 1）.
    ParenDecimal,
    /// ① … ⑳ and ⑴ … ⒇.
    Circled,
}

impl MarkerKind {
    /// Nesting rank: 0 for the outermost level (一、) to 4 for the innermost (①).
    pub fn rank(self) -> u8 {
        match self {
            MarkerKind::ChineseComma => 0,
            MarkerKind::ParenChinese => 1,
            MarkerKind::Decimal => 2,
            MarkerKind::ParenDecimal => 3,
            MarkerKind::Circled => 4,
        }
    }
}

/// A marker found at the start of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// Its kind.
    pub kind: MarkerKind,
    /// Its value (（三） → 3, ⑫ → 12).
    pub value: u32,
    /// The marker as written, without the spaces after it.
    pub text: String,
    /// Bytes of the input taken by the marker and the whitespace after it.
    pub len: usize,
}

/// Reads the marker at the start of `text` (leading whitespace allowed), if any.
///
/// A digit followed by another digit after the full stop (`1.5倍`), a year (`2027年`) or a
/// number without punctuation is not a marker.
pub fn parse(text: &str) -> Option<Marker> {
    let lead = text.len() - text.trim_start().len();
    let rest = &text[lead..];
    let (kind, value, used) = circled(rest)
        .or_else(|| bracketed(rest))
        .or_else(|| punctuated(rest))?;
    let after = &rest[used..];
    let spaces = after.len() - after.trim_start().len();
    Some(Marker {
        kind,
        value,
        text: rest[..used].to_string(),
        len: lead + used + spaces,
    })
}

/// Splits `text` into its marker (if any) and the rest, trimmed.
pub fn strip(text: &str) -> (Option<Marker>, &str) {
    match parse(text) {
        Some(m) => {
            let rest = text[m.len..].trim();
            (Some(m), rest)
        }
        None => (None, text.trim()),
    }
}

fn circled(s: &str) -> Option<(MarkerKind, u32, usize)> {
    let c = s.chars().next()?;
    let v = match c {
        '①'..='⑳' => c as u32 - '①' as u32 + 1,
        '⑴'..='⒇' => c as u32 - '⑴' as u32 + 1,
        _ => return None,
    };
    Some((MarkerKind::Circled, v, c.len_utf8()))
}

fn bracketed(s: &str) -> Option<(MarkerKind, u32, usize)> {
    let open = s.chars().next()?;
    if open != '(' && open != '（' {
        return None;
    }
    let inner_start = open.len_utf8();
    let close = s[inner_start..].find([')', '）'])?;
    if close > 24 {
        return None; // a parenthesised phrase, not a number
    }
    let inner = s[inner_start..inner_start + close].trim();
    let close_len = s[inner_start + close..].chars().next()?.len_utf8();
    let used = inner_start + close + close_len;
    if let Some(v) = digits(inner)
        .filter(|(_, n)| *n == inner.len())
        .map(|(v, _)| v)
    {
        return Some((MarkerKind::ParenDecimal, v, used));
    }
    let v = chinese_value(inner)?;
    Some((MarkerKind::ParenChinese, v, used))
}

fn punctuated(s: &str) -> Option<(MarkerKind, u32, usize)> {
    if let Some((v, n)) = digits(s) {
        let p = s[n..].chars().next()?;
        let after = &s[n + p.len_utf8()..];
        return match p {
            // "1.5倍" and "1.2.3" are numbers or outline numbers of another kind, not markers
            '.' | '．' if !after.starts_with(|c: char| c.is_ascii_digit()) => {
                Some((MarkerKind::Decimal, v, n + p.len_utf8()))
            }
            '、' => Some((MarkerKind::Decimal, v, n + p.len_utf8())),
            ')' | '）' => Some((MarkerKind::ParenDecimal, v, n + p.len_utf8())),
            _ => None,
        };
    }
    let end = s
        .char_indices()
        .find(|(_, c)| !is_chinese_digit(*c))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    if end == 0 || end > 9 {
        return None;
    }
    let v = chinese_value(&s[..end])?;
    let p = s[end..].chars().next()?;
    match p {
        '、' | '．' => Some((MarkerKind::ChineseComma, v, end + p.len_utf8())),
        _ => None,
    }
}

/// Leading ASCII or full-width digits: (value, bytes). At most 3 digits: a year is no marker.
fn digits(s: &str) -> Option<(u32, usize)> {
    let mut value = 0u32;
    let mut used = 0;
    let mut count = 0;
    for c in s.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            '０'..='９' => c as u32 - '０' as u32,
            _ => break,
        };
        value = value * 10 + d;
        used += c.len_utf8();
        count += 1;
        if count > 3 {
            return None;
        }
    }
    (count > 0).then_some((value, used))
}

fn is_chinese_digit(c: char) -> bool {
    "零〇一二三四五六七八九十百两".contains(c)
}

/// The value of a Chinese numeral up to 九百九十九 (一 → 1, 十一 → 11, 二十 → 20, 一百零五 → 105).
pub fn chinese_value(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    let digit = |c: char| "零一二三四五六七八九".find(c).map(|i| (i / 3) as u32);
    let mut total = 0u32;
    let mut current: Option<u32> = None;
    for c in s.chars() {
        match c {
            '百' => {
                total += current.unwrap_or(1) * 100;
                current = None;
            }
            '十' => {
                total += current.unwrap_or(1) * 10;
                current = None;
            }
            '〇' | '零' => current = current.or(Some(0)),
            '两' => current = Some(2),
            _ => current = Some(digit(c)?),
        }
    }
    let v = total + current.unwrap_or(0);
    (v > 0).then_some(v)
}

/// 1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 105 → 一百零五 (counting form, up to 9999).
pub fn chinese_numeral(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    if n == 0 {
        return D[0].to_string();
    }
    if n >= 10_000 {
        return n.to_string();
    }
    let parts = [
        (n / 1000, "千"),
        ((n / 100) % 10, "百"),
        ((n / 10) % 10, "十"),
    ];
    let mut out = String::new();
    let mut zero = false;
    for (d, unit) in parts {
        if d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push_str(D[0]);
            zero = false;
        }
        // 十一, not 一十一, when the number starts with the tens
        if !(unit == "十" && d == 1 && out.is_empty()) {
            out.push_str(D[d as usize]);
        }
        out.push_str(unit);
    }
    let ones = n % 10;
    if ones > 0 {
        if zero {
            out.push_str(D[0]);
        }
        out.push_str(D[ones as usize]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(s: &str) -> Option<(MarkerKind, u32, String)> {
        parse(s).map(|m| (m.kind, m.value, m.text))
    }

    #[test]
    fn markers_of_every_kind() {
        use MarkerKind::*;
        assert_eq!(kv("一、加强"), Some((ChineseComma, 1, "一、".into())));
        assert_eq!(kv("十二、其他"), Some((ChineseComma, 12, "十二、".into())));
        assert_eq!(kv("（三）加强"), Some((ParenChinese, 3, "（三）".into())));
        assert_eq!(kv("(一) 加强"), Some((ParenChinese, 1, "(一)".into())));
        assert_eq!(kv("（五 ) 加强"), Some((ParenChinese, 5, "（五 )".into())));
        assert_eq!(kv("（三)加强"), Some((ParenChinese, 3, "（三)".into())));
        assert_eq!(kv("1.落实"), Some((Decimal, 1, "1.".into())));
        assert_eq!(kv("12、落实"), Some((Decimal, 12, "12、".into())));
        assert_eq!(kv("２．落实"), Some((Decimal, 2, "２．".into())));
        assert_eq!(kv("（1）制定"), Some((ParenDecimal, 1, "（1）".into())));
        assert_eq!(kv("2)制定"), Some((ParenDecimal, 2, "2)".into())));
        assert_eq!(kv("③核查"), Some((Circled, 3, "③".into())));
        assert_eq!(kv("⑵核查"), Some((Circled, 2, "⑵".into())));
    }

    #[test]
    fn numbers_that_are_not_markers() {
        for s in [
            "2027年6月底前",
            "1.5倍",
            "1+37+8重要",
            "4D 管理",
            "（平罗县质量监督检验与计量测试站）提升",
            "(园长)食品",
            "长期坚持",
            "一企一档",
            "",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    #[test]
    fn strip_returns_the_rest() {
        let (m, rest) = strip("(六)\n加强特殊食品 安全监管");
        assert_eq!(m.unwrap().value, 6);
        assert_eq!(rest, "加强特殊食品 安全监管");
        assert_eq!(strip("  无编号 ").1, "无编号");
    }

    #[test]
    fn chinese_numerals_both_ways() {
        for (n, s) in [
            (1, "一"),
            (10, "十"),
            (11, "十一"),
            (20, "二十"),
            (21, "二十一"),
            (100, "一百"),
            (105, "一百零五"),
            (110, "一百一十"),
        ] {
            assert_eq!(chinese_numeral(n), s);
            assert_eq!(chinese_value(s), Some(n), "{s}");
        }
        assert_eq!(chinese_value("两"), Some(2));
        assert_eq!(chinese_value("甲"), None);
    }
}
