//! Recognises a plan table's header by meaning: 序号, 重点任务, 落实措施, 责任单位, 完成时限…
//!
//! A header cell is short; its text is compared after removing every kind of space (documents
//! write "序  号" and "责 任 单 位" to spread a label over a wide column), a trailing colon and
//! bracketed remarks ("完成时限（时间节点）"). The first matching rule wins, so the order below
//! matters: 责任领导 is a leader before 责任 is a unit, 完成情况 is progress before 完成 is a deadline.
//! Pure functions.

use super::source::Column;

/// Longest header label, in characters after normalising; longer texts are data, not labels.
const MAX_LABEL: usize = 14;

/// Keyword rules in priority order: a label containing the keyword has that meaning.
const RULES: &[(&str, Column)] = &[
    ("序号", Column::Seq),
    ("编号", Column::Seq),
    ("领导", Column::Leader),
    ("牵头单位", Column::Lead),
    ("牵头部门", Column::Lead),
    ("牵头科室", Column::Lead),
    ("牵头", Column::Lead),
    ("配合", Column::Cooperating),
    ("协办", Column::Cooperating),
    ("协同", Column::Cooperating),
    ("参与单位", Column::Cooperating),
    ("进展", Column::Progress),
    ("完成情况", Column::Progress),
    ("落实情况", Column::Progress),
    ("推进情况", Column::Progress),
    ("备注", Column::Remarks),
    ("时限", Column::Deadline),
    ("时间", Column::Deadline),
    ("期限", Column::Deadline),
    ("完成日期", Column::Deadline),
    ("进度安排", Column::Deadline),
    ("责任", Column::Units),
    ("承办", Column::Units),
    ("落实单位", Column::Units),
    ("主体单位", Column::Units),
    ("措施", Column::Measures),
    ("举措", Column::Measures),
    ("项目", Column::Area),
    ("领域", Column::Area),
    ("类别", Column::Area),
    ("板块", Column::Area),
    ("分类", Column::Area),
    ("任务", Column::Task),
    ("重点工作", Column::Task),
    ("工作内容", Column::Task),
    ("工作事项", Column::Task),
    ("事项", Column::Task),
    ("内容", Column::Task),
];

/// Labels that mean something only when they are the whole cell.
const EXACT: &[(&str, Column)] = &[
    ("序", Column::Seq),
    ("No.", Column::Seq),
    ("单位", Column::Units),
    ("部门", Column::Units),
    ("说明", Column::Remarks),
];

/// A header cell's text with spaces, a trailing colon and bracketed remarks removed.
pub fn normalise(text: &str) -> String {
    let mut out: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect();
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let (Some(a), true) = (out.find(open), out.ends_with(close))
            && a > 0
        {
            out.truncate(a);
        }
    }
    out.trim_end_matches([':', '：']).to_string()
}

/// The meaning of a header cell, or `None` when the text is no header label.
pub fn classify(text: &str) -> Option<Column> {
    let label = normalise(text);
    if label.is_empty() || label.chars().count() > MAX_LABEL {
        return None;
    }
    if let Some((_, col)) = EXACT.iter().find(|(k, _)| *k == label) {
        return Some(*col);
    }
    RULES
        .iter()
        .find(|(k, _)| label.contains(k))
        .map(|(_, col)| *col)
}

/// How many distinct meanings a row of cell texts names; a header row names at least two,
/// one of them the task, the measures, the units or the deadline.
pub fn header_score(texts: &[&str]) -> usize {
    let mut seen: Vec<Column> = texts.iter().filter_map(|t| classify(t)).collect();
    seen.sort();
    seen.dedup();
    let core = seen.iter().any(|c| {
        matches!(
            c,
            Column::Task | Column::Measures | Column::Units | Column::Lead | Column::Deadline
        )
    });
    if core && seen.len() >= 2 {
        seen.len()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_by_meaning() {
        let cases = [
            ("序号", Column::Seq),
            ("序  号", Column::Seq),
            ("项目", Column::Area),
            ("重点领域", Column::Area),
            ("重点工作", Column::Task),
            ("工作任务", Column::Task),
            ("任务内容", Column::Task),
            ("重点任务", Column::Task),
            ("具体任务", Column::Task),
            ("具体措施", Column::Measures),
            ("工作措施", Column::Measures),
            ("落实措施", Column::Measures),
            ("责任单位", Column::Units),
            ("责 任 单 位", Column::Units),
            ("责任部门", Column::Units),
            ("牵头单位", Column::Lead),
            ("配合单位", Column::Cooperating),
            ("协办单位", Column::Cooperating),
            ("责任领导", Column::Leader),
            ("分管领导", Column::Leader),
            ("完成时限", Column::Deadline),
            ("时限要求", Column::Deadline),
            ("时间节点", Column::Deadline),
            ("完成时间：", Column::Deadline),
            ("完成时限（时间节点）", Column::Deadline),
            ("进展情况", Column::Progress),
            ("完成情况", Column::Progress),
            ("备注", Column::Remarks),
            ("备\u{3000}注", Column::Remarks),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), Some(want), "{text}");
        }
    }

    #[test]
    fn data_is_not_a_label() {
        for text in [
            "长期坚持",
            "县农业农村局",
            "1.落实《宁夏回族自治区实施<中华人民共和国农产品质量安全法>办法》。",
            "",
            "1",
        ] {
            assert_eq!(classify(text), None, "{text}");
        }
    }

    #[test]
    fn a_header_row_names_two_meanings_with_a_core_one() {
        assert!(header_score(&["序号", "重点任务", "落实措施", "责任部门"]) >= 4);
        assert_eq!(header_score(&["序号", "备注"]), 0);
        assert_eq!(header_score(&["姓名", "电话"]), 0);
    }
}
