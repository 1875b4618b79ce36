//! Splitting a long chat message into numbered parts at item boundaries, each within a vendor's
//! byte limit (issue 12). Pure; touches nothing.
//!
//! The rendered markdown is a sequence of blocks separated by blank lines: the heading block
//! (title line and opening sentence), one block per item of a grouped message, and the footer
//! (contact). A block is never cut between parts; a part after the first repeats the title line,
//! and every part's title line ends with `（i/n）`. Only a single block larger than a whole part
//! is shortened (at a line, with a pointer to the email copy), because nothing else can fit it.

use super::text::shorten;

/// Room kept on each part for the `（12/12）` suffix (full-width brackets are 3 bytes each).
const NUMBER_RESERVE: usize = 24;

/// `markdown` as one part when it fits `limit` bytes, else as numbered parts, each ≤ `limit`
/// bytes, cut only between blocks (blank-line separated).
pub fn split_parts(markdown: &str, limit: usize) -> Vec<String> {
    let markdown = markdown.trim_end();
    if markdown.len() <= limit {
        return vec![markdown.to_owned()];
    }
    let title = markdown.lines().next().unwrap_or_default().to_owned();
    let budget = limit.saturating_sub(NUMBER_RESERVE);
    // A later part starts with the title line and a blank line.
    let repeat = title.len() + 2;
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    for block in markdown.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let room = if parts.is_empty() {
            budget
        } else {
            budget.saturating_sub(repeat)
        };
        let sep = if current.is_empty() { 0 } else { 2 };
        if !current.is_empty() && current.len() + sep + block.len() > room {
            parts.push(std::mem::take(&mut current));
        }
        let room = if parts.is_empty() {
            budget
        } else {
            budget.saturating_sub(repeat)
        };
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        // One block alone bigger than a part: shortened at a line, the only cut inside a block.
        let left = room.saturating_sub(current.len());
        current.push_str(&shorten(block, left));
    }
    if !current.is_empty() {
        parts.push(current);
    }
    let n = parts.len();
    if n == 1 {
        return parts;
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let suffix = format!("（{}/{n}）", i + 1);
            if i == 0 {
                // The title is the first line of the first part: number it in place.
                match body.split_once('\n') {
                    Some((first, rest)) => format!("{first}{suffix}\n{rest}"),
                    None => format!("{body}{suffix}"),
                }
            } else {
                format!("{title}{suffix}\n\n{body}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(items: usize) -> String {
        let mut s = String::from("**【督办提醒·红】今日督办提醒（N项）**\n今日有以下督办事项。");
        for i in 1..=items {
            s.push_str(&format!(
                "\n\n**{i}.【红】4.{i} 春季开学校园食品安全专项整治**\n本项工作已逾期3个工作日，请抓紧办理。\n> 已逾期3个工作日；牵头单位：餐饮室"
            ));
        }
        s.push_str("\n\n联系人：局办公室 0952-0000000");
        s
    }

    #[test]
    fn short_message_is_one_unnumbered_part() {
        let md = group(2);
        assert_eq!(split_parts(&md, 4096), vec![md.trim_end().to_owned()]);
    }

    #[test]
    fn long_group_splits_between_items_numbered_and_within_the_limit() {
        let md = group(80);
        let parts = split_parts(&md, 4096);
        let n = parts.len();
        assert!(n >= 3, "{n}");
        for (i, p) in parts.iter().enumerate() {
            assert!(p.len() <= 4096, "part {i}: {}", p.len());
            let first = p.lines().next().unwrap();
            assert!(
                first.starts_with("**【督办提醒·红】今日督办提醒（N项）**")
                    && first.ends_with(&format!("（{}/{n}）", i + 1)),
                "{first}"
            );
        }
        // Every item is whole in exactly one part, in order; the footer is in the last part.
        let all = parts.join("\n\n");
        for i in 1..=80 {
            let head = format!("**{i}.【红】4.{i} ");
            assert_eq!(all.matches(&head).count(), 1, "item {i}");
            let part = parts.iter().find(|p| p.contains(&head)).unwrap();
            assert!(part.contains(&format!("{head}春季开学校园食品安全专项整治**\n本项工作")));
        }
        assert!(parts[n - 1].ends_with("联系人：局办公室 0952-0000000"));
        assert!(!parts[0].contains("联系人"));
    }

    #[test]
    fn one_huge_block_is_shortened_not_lost() {
        let md = format!("**标题**\n\n{}", "落实措施。\n".repeat(2000));
        let parts = split_parts(&md, 4096);
        assert!(parts.iter().all(|p| p.len() <= 4096));
        assert!(parts.concat().contains("完整内容见邮件"));
    }
}
