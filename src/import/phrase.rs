//! 完成时限 phrases → rules, part 1: the tokenizer over a closed vocabulary.
//!
//! Only the 完成时限 cell is read this way (never the measures text: a date inside a measure is
//! context, not the task's deadline). The text is normalised (full-width digits and dashes,
//! spaces dropped), then cut into tokens by longest match against [`LEXICON`], Arabic and Chinese
//! numerals; filler verbs (完成, 开展, 报送…) are dropped. Any character outside the vocabulary
//! makes the phrase unreadable, and the parser ([`super::phrase_parse`]) then keeps it verbatim
//! as a TODO: nothing is guessed.

pub use super::phrase_parse::{Kind, Reading, read};

/// A statutory holiday as the calendar data names it (元旦, 春节, 劳动节…).
pub type Holiday = &'static str;

/// One token of a deadline phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A number (Arabic or Chinese numerals).
    Num(u32),
    /// 年.
    Year,
    /// 月 / 月份.
    Month,
    /// 日 / 号 / 天.
    Day,
    /// 季度.
    Quarter,
    /// 周 / 星期.
    Week,
    /// 半年.
    HalfYear,
    /// 工作日.
    Workday,
    /// 个 (a measure word: 第一个月, 5个工作日).
    Ge,
    /// 每 / 每个.
    Every,
    /// 第.
    Di,
    /// 首 (首月).
    First,
    /// 底 / 末 (月底, 季度末).
    End,
    /// 前 / 之前 / 以前.
    Before,
    /// 内 / 以内.
    Within,
    /// 结束后.
    EndAfter,
    /// 至少.
    AtLeast,
    /// 次.
    Times,
    /// 至 / 到 / — / - / ~.
    To,
    /// 次年.
    NextYear,
    /// 、 ， ； 和 及.
    Sep,
    /// 上旬 (1), 中旬 (2), 下旬 (3).
    Dekad(u8),
    /// 上半年.
    FirstHalf,
    /// 下半年.
    SecondHalf,
    /// 年底 / 年末 / 年内 / 年终.
    YearEnd,
    /// 最后一个.
    Last,
    /// 长期坚持 / 长期 / 常态化 / 持续.
    Ongoing,
    /// 适时 / 按上级要求 / 根据工作需要 / 不定期 / 另行通知: the source gives no date.
    AsText,
    /// 春季 (1), 秋季 (2), 春秋季 / 春秋两季 (3).
    Season(u8),
    /// 开学.
    TermStart,
    /// 开学季 / 开学之季.
    TermSeason,
    /// 每学期 (both terms).
    EveryTerm,
    /// 前后 / 期间.
    Around,
    /// 汛期.
    Flood,
    /// 汛前 (= 汛期前).
    BeforeFlood,
    /// 主汛期.
    MainFlood,
    /// 元旦, 春节, 五一, 国庆…
    Holiday(Holiday),
    /// 节假日 / 节日 / 法定节假日 / 重大节假日.
    Holidays,
    /// 上月 (1), 上季度 (3), 上年度 (12): a report about the previous period.
    Previous(u8),
    /// 遇节假日顺延.
    ShiftNext,
    /// 时 / 点 after a number (10时).
    Hour,
    /// 上午 / 下午 / 全天.
    HalfDay(&'static str),
    /// 每日 / 每天 / 每个工作日.
    Daily,
    /// A character outside the vocabulary.
    Unknown(char),
}

/// The vocabulary, longest first where one entry begins another (matching is longest-first
/// anyway). Fillers map to `None` and are dropped.
pub const LEXICON: &[(&str, Option<Tok>)] = &[
    ("长期坚持", Some(Tok::Ongoing)),
    ("长期", Some(Tok::Ongoing)),
    ("常态化", Some(Tok::Ongoing)),
    ("持续", Some(Tok::Ongoing)),
    ("适时", Some(Tok::AsText)),
    ("按上级要求", Some(Tok::AsText)),
    ("按上级部署", Some(Tok::AsText)),
    ("根据工作需要", Some(Tok::AsText)),
    ("根据上级要求", Some(Tok::AsText)),
    ("不定期", Some(Tok::AsText)),
    ("另行通知", Some(Tok::AsText)),
    ("视情", Some(Tok::AsText)),
    ("每个工作日", Some(Tok::Daily)),
    ("每日", Some(Tok::Daily)),
    ("每天", Some(Tok::Daily)),
    ("每学期", Some(Tok::EveryTerm)),
    ("每个", Some(Tok::Every)),
    ("每", Some(Tok::Every)),
    ("年度", Some(Tok::Year)),
    ("年", Some(Tok::Year)),
    ("月份", Some(Tok::Month)),
    ("月", Some(Tok::Month)),
    ("日", Some(Tok::Day)),
    ("号", Some(Tok::Day)),
    ("天", Some(Tok::Day)),
    ("季度", Some(Tok::Quarter)),
    ("星期", Some(Tok::Week)),
    ("周", Some(Tok::Week)),
    ("半年", Some(Tok::HalfYear)),
    ("工作日", Some(Tok::Workday)),
    ("个", Some(Tok::Ge)),
    ("第", Some(Tok::Di)),
    ("首", Some(Tok::First)),
    ("底", Some(Tok::End)),
    ("末", Some(Tok::End)),
    ("之前", Some(Tok::Before)),
    ("以前", Some(Tok::Before)),
    ("前", Some(Tok::Before)),
    ("以内", Some(Tok::Within)),
    ("内", Some(Tok::Within)),
    ("结束后", Some(Tok::EndAfter)),
    ("至少", Some(Tok::AtLeast)),
    ("次年", Some(Tok::NextYear)),
    ("次", Some(Tok::Times)),
    ("至", Some(Tok::To)),
    ("到", Some(Tok::To)),
    ("-", Some(Tok::To)),
    ("~", Some(Tok::To)),
    ("、", Some(Tok::Sep)),
    ("，", Some(Tok::Sep)),
    (",", Some(Tok::Sep)),
    ("；", Some(Tok::Sep)),
    (";", Some(Tok::Sep)),
    ("和", Some(Tok::Sep)),
    ("及", Some(Tok::Sep)),
    ("上旬", Some(Tok::Dekad(1))),
    ("中旬", Some(Tok::Dekad(2))),
    ("下旬", Some(Tok::Dekad(3))),
    ("上半年", Some(Tok::FirstHalf)),
    ("下半年", Some(Tok::SecondHalf)),
    ("年底", Some(Tok::YearEnd)),
    ("年末", Some(Tok::YearEnd)),
    ("年内", Some(Tok::YearEnd)),
    ("年终", Some(Tok::YearEnd)),
    ("最后一个", Some(Tok::Last)),
    ("春秋两季", Some(Tok::Season(3))),
    ("春秋季", Some(Tok::Season(3))),
    ("春季", Some(Tok::Season(1))),
    ("秋季", Some(Tok::Season(2))),
    ("开学之季", Some(Tok::TermSeason)),
    ("开学季", Some(Tok::TermSeason)),
    ("开学", Some(Tok::TermStart)),
    ("前后", Some(Tok::Around)),
    ("期间", Some(Tok::Around)),
    ("主汛期", Some(Tok::MainFlood)),
    ("汛期", Some(Tok::Flood)),
    ("汛前", Some(Tok::BeforeFlood)),
    ("元旦", Some(Tok::Holiday("元旦"))),
    ("春节", Some(Tok::Holiday("春节"))),
    ("清明节", Some(Tok::Holiday("清明节"))),
    ("清明", Some(Tok::Holiday("清明节"))),
    ("五一", Some(Tok::Holiday("劳动节"))),
    ("劳动节", Some(Tok::Holiday("劳动节"))),
    ("端午节", Some(Tok::Holiday("端午节"))),
    ("端午", Some(Tok::Holiday("端午节"))),
    ("中秋节", Some(Tok::Holiday("中秋节"))),
    ("中秋", Some(Tok::Holiday("中秋节"))),
    ("国庆节", Some(Tok::Holiday("国庆节"))),
    ("国庆", Some(Tok::Holiday("国庆节"))),
    ("重大节假日", Some(Tok::Holidays)),
    ("法定节假日", Some(Tok::Holidays)),
    ("节假日", Some(Tok::Holidays)),
    ("重要节日", Some(Tok::Holidays)),
    ("节日", Some(Tok::Holidays)),
    ("上一个月", Some(Tok::Previous(1))),
    ("上个月", Some(Tok::Previous(1))),
    ("上月", Some(Tok::Previous(1))),
    ("上一季度", Some(Tok::Previous(3))),
    ("上季度", Some(Tok::Previous(3))),
    ("上一年度", Some(Tok::Previous(12))),
    ("上年度", Some(Tok::Previous(12))),
    ("上年", Some(Tok::Previous(12))),
    ("遇节假日顺延", Some(Tok::ShiftNext)),
    ("顺延", Some(Tok::ShiftNext)),
    ("时", Some(Tok::Hour)),
    ("点", Some(Tok::Hour)),
    ("上午", Some(Tok::HalfDay("上午"))),
    ("下午", Some(Tok::HalfDay("下午"))),
    ("全天", Some(Tok::HalfDay("全天"))),
    // Fillers: verbs and nouns around the date that change nothing about it.
    ("前完成", Some(Tok::Before)),
    ("完成", None),
    ("推进", None),
    ("开展", None),
    ("组织", None),
    ("报送", None),
    ("上报", None),
    ("进行", None),
    ("落实", None),
    ("召开", None),
    ("举办", None),
    ("启动", None),
    ("当年", None),
    ("工作", None),
    ("情况", None),
    ("数据", None),
    ("总结", None),
    ("一轮", None),
    ("并", None),
    ("的", None),
    ("为", None),
    ("。", None),
    (".", None),
    ("均", None),
];

/// Cut a 完成时限 phrase into tokens (fillers dropped).
pub fn tokens(text: &str) -> Vec<Tok> {
    let norm = normalise(text);
    let chars: Vec<char> = norm.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        let best = LEXICON
            .iter()
            .filter(|(w, _)| rest.starts_with(w))
            .max_by_key(|(w, _)| w.chars().count());
        // A number wins unless a word at least as long starts here (五一 is 劳动节, not 51).
        if let Some((n, len)) = number(&chars[i..])
            && best.is_none_or(|(w, _)| w.chars().count() < len)
        {
            out.push(Tok::Num(n));
            i += len;
            continue;
        }
        match best {
            Some((w, tok)) => {
                if let Some(t) = tok {
                    out.push(t.clone());
                }
                i += w.chars().count();
            }
            None => {
                out.push(Tok::Unknown(chars[i]));
                i += 1;
            }
        }
    }
    out
}

/// Full-width digits and punctuation to ASCII, the dashes to `-`, whitespace dropped.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '—' | '–' | '－' | '―' | '～' | '〜' => '-',
            '．' => '.',
            c => c,
        })
        .collect()
}

/// A number at the start of `s`: Arabic digits, or Chinese numerals (一 … 九十九, 两, 〇/零).
/// Returns the value and the characters used. `一次`-style measure phrases read as 1 + 次.
fn number(s: &[char]) -> Option<(u32, usize)> {
    let digits: String = s.iter().take_while(|c| c.is_ascii_digit()).collect();
    if !digits.is_empty() {
        return digits
            .parse::<u32>()
            .ok()
            .map(|n| (n, digits.chars().count()));
    }
    let zh = |c: char| "零〇一二两三四五六七八九十".contains(c);
    let run: Vec<char> = s.iter().copied().take_while(|c| zh(*c)).collect();
    if run.is_empty() {
        return None;
    }
    let digit = |c: char| "零一二三四五六七八九".find(c).map(|b| (b / 3) as u32);
    let val = |c: char| match c {
        '两' => Some(2),
        '〇' => Some(0),
        c => digit(c),
    };
    // 十, 十二, 二十, 二十八; a longer run (二〇二七) is read digit by digit.
    let n = match run.as_slice() {
        ['十'] => 10,
        ['十', b] => 10 + val(*b)?,
        [a, '十'] => val(*a)? * 10,
        [a, '十', b] => val(*a)? * 10 + val(*b)?,
        many if !many.contains(&'十') => many
            .iter()
            .try_fold(0u32, |acc, c| Some(acc * 10 + val(*c)?))?,
        _ => return None,
    };
    Some((n, run.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_and_longest_match() {
        use Tok::*;
        assert_eq!(
            tokens("每季度第一个月20日前"),
            vec![Every, Quarter, Di, Num(1), Ge, Month, Num(20), Day, Before]
        );
        assert_eq!(
            tokens("２０２７年６月底前完成"),
            vec![Num(2027), Year, Num(6), Month, End, Before]
        );
        assert_eq!(
            tokens("每两年至少开展一次"),
            vec![Every, Num(2), Year, AtLeast, Num(1), Times]
        );
        assert_eq!(tokens("十二月二十八日"), vec![Num(12), Month, Num(28), Day]);
        assert_eq!(tokens("3月—5月"), vec![Num(3), Month, To, Num(5), Month]);
        assert_eq!(tokens("年底前"), vec![YearEnd, Before]);
        assert_eq!(tokens("长期坚持"), vec![Ongoing]);
        assert_eq!(tokens("按上级要求"), vec![AsText]);
        assert!(tokens("视频会").contains(&Unknown('频')));
    }
}
