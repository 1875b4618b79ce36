//! Word's number formats (w:numFmt) for automatic numbering: decimal, 一二三 (chineseCounting),
//! 甲乙丙 (ideographTraditional), ①, a b c, Roman, 壹贰叁, full-width digits. A format not listed
//! here gives `None`: the caller then shows no number rather than a wrong one. Pure functions.

use super::markers::chinese_numeral;

/// A counter value in a w:numFmt, or `None` for a format we do not know.
pub(super) fn format_number(n: i64, fmt: &str) -> Option<String> {
    let u = u32::try_from(n).ok();
    Some(match fmt {
        "decimal" => n.to_string(),
        "decimalZero" => format!("{n:02}"),
        "none" | "bullet" => String::new(),
        "decimalFullWidth" | "decimalFullWidth2" => n
            .to_string()
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c))
            .collect(),
        "chineseCounting"
        | "chineseCountingThousand"
        | "japaneseCounting"
        | "taiwaneseCounting"
        | "taiwaneseCountingThousand"
        | "ideographDigital" => chinese_numeral(u?),
        "chineseLegalSimplified" => legal_simplified(u?),
        "ideographTraditional" => nth("甲乙丙丁戊己庚辛壬癸", u?)?,
        "ideographZodiac" => nth("子丑寅卯辰巳午未申酉戌亥", u?)?,
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" if (1..=20).contains(&n) => {
            char::from_u32('①' as u32 + n as u32 - 1)?.to_string()
        }
        "decimalEnclosedParen" if (1..=20).contains(&n) => {
            char::from_u32('⑴' as u32 + n as u32 - 1)?.to_string()
        }
        "decimalEnclosedFullstop" if (1..=20).contains(&n) => {
            char::from_u32('⒈' as u32 + n as u32 - 1)?.to_string()
        }
        // Word falls back to decimal past 20 for enclosed numbers
        "decimalEnclosedCircle"
        | "decimalEnclosedCircleChinese"
        | "decimalEnclosedParen"
        | "decimalEnclosedFullstop" => n.to_string(),
        "lowerLetter" => letters(u?)?.to_lowercase(),
        "upperLetter" => letters(u?)?,
        "lowerRoman" => roman(u?)?.to_lowercase(),
        "upperRoman" => roman(u?)?,
        _ => return None,
    })
}

fn nth(list: &str, n: u32) -> Option<String> {
    let chars: Vec<char> = list.chars().collect();
    let i = (n.checked_sub(1)? as usize) % chars.len();
    Some(chars[i].to_string())
}

/// 1 → A, 26 → Z, 27 → AA (Word repeats the letter).
fn letters(n: u32) -> Option<String> {
    let n = n.checked_sub(1)?;
    let c = char::from(b'A' + (n % 26) as u8);
    Some(c.to_string().repeat(n as usize / 26 + 1))
}

fn roman(mut n: u32) -> Option<String> {
    if n == 0 || n > 3999 {
        return None;
    }
    let table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (v, s) in table {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    Some(out)
}

/// 壹贰叁 (financial numerals) for the counting form.
fn legal_simplified(n: u32) -> String {
    chinese_numeral(n)
        .chars()
        .map(|c| match c {
            '一' => '壹',
            '二' => '贰',
            '三' => '叁',
            '四' => '肆',
            '五' => '伍',
            '六' => '陆',
            '七' => '柒',
            '八' => '捌',
            '九' => '玖',
            '十' => '拾',
            '百' => '佰',
            '千' => '仟',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::format_number;

    #[test]
    fn formats() {
        assert_eq!(format_number(11, "chineseCounting").unwrap(), "十一");
        assert_eq!(format_number(3, "ideographTraditional").unwrap(), "丙");
        assert_eq!(format_number(2, "decimalEnclosedCircle").unwrap(), "②");
        assert_eq!(format_number(21, "decimalEnclosedCircle").unwrap(), "21");
        assert_eq!(format_number(28, "lowerLetter").unwrap(), "bb");
        assert_eq!(format_number(14, "upperRoman").unwrap(), "XIV");
        assert_eq!(format_number(12, "chineseLegalSimplified").unwrap(), "拾贰");
        assert_eq!(format_number(1, "klingon"), None);
    }
}
