//! Wording defects of issue 12, checked over every golden message (`render_golden::cases`): no
//! phrase doubled ("2026年秋季开学 秋季开学…"), nothing internal (plan-conversion notes, config
//! keys, stage ids, shell commands, orders to leaders), measures cut at a sentence or clause.

use dutybell::notify::MessageKind;

use jiff::civil::date;

use crate::render_golden::{cases, group_on, loaded};

/// A CJK phrase of two or more characters written twice in a row ("秋季开学 秋季开学"), also
/// across a line break or markdown marks ("…宣传周\n宣传周今日启动", "…专项整治**\n> 专项整治").
pub fn doubled(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let cjk = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    for i in 0..chars.len() {
        for len in 2..=12 {
            let a = &chars[i..(i + len).min(chars.len())];
            if a.len() < len || !a.iter().all(|c| cjk(*c)) {
                break;
            }
            let mut j = i + len;
            while chars.get(j).is_some_and(|c| " \n>*#-".contains(*c)) {
                j += 1;
            }
            if chars.get(j..j + len) == Some(a) {
                return Some(a.iter().collect());
            }
        }
    }
    None
}

#[test]
fn no_doubled_words_and_nothing_internal_in_any_message() {
    let l = loaded();
    for (name, _, n) in cases() {
        for (part, text) in [
            ("subject", &n.subject),
            ("text", &n.text),
            ("markdown", &n.markdown),
        ] {
            if let Some(d) = doubled(text) {
                panic!("{name} {part}: doubled {d:?}:\n{text}");
            }
            if n.kind == MessageKind::OperatorAlert || n.kind == MessageKind::Test {
                continue;
            }
            for internal in [
                "源表",
                "本局无承办单位",
                "Word书签",
                "events.",
                "escalate-",
                "overdue-",
                "编号",
                "dutybell",
                "日管控只计入",
                "请立即办结",
            ] {
                assert!(
                    !text.contains(internal),
                    "{name} {part} contains {internal:?}:\n{text}"
                );
            }
            // A cut measure ends at a sentence or clause of the full text, never mid-word.
            for line in text.lines().filter(|l| l.ends_with('…')) {
                let Some((_, kept)) = line.split_once('：') else {
                    continue;
                };
                let kept = kept.trim_end_matches('…');
                let clean_cut = l.catalog.tasks.iter().any(|t| {
                    t.measures.find(kept).is_some_and(|i| {
                        let next = t.measures[i + kept.len()..].chars().next();
                        kept.ends_with(['。', '；', '！', '？'])
                            || next.is_none_or(|c| "。；！？，、\n".contains(c))
                    })
                });
                assert!(clean_cut, "{name} {part}: cut mid-clause: {line}");
            }
        }
    }
    assert_eq!(
        doubled("2026年秋季开学 秋季开学校园"),
        Some("秋季开学".into())
    );
    assert_eq!(doubled("2026年秋季开学校园食品安全"), None);
}

/// The year scan's doubled words (issue 12): a grouped message's item heading names the kind of
/// work (`9.1 2026年食品安全宣传周`), and its next line said it again (`宣传周今日启动…`, and
/// `专项整治1天后启动…` under `…校园食品安全专项整治`); the status line repeated it a third time.
#[test]
fn grouped_openings_do_not_repeat_the_kind_of_work() {
    for (who, day, kind) in [
        ("legal", date(2026, 9, 11), "宣传周"),
        ("catering", date(2026, 2, 14), "专项整治"),
    ] {
        let n = group_on(who, day);
        assert!(n.data["count"].as_u64().unwrap() >= 2, "{}", n.text);
        for text in [&n.text, &n.markdown] {
            assert_eq!(doubled(text), None, "{who} {day}:\n{text}");
            assert!(text.contains(&format!("{kind}\n")) || text.contains(&format!("{kind}**")));
            // Once per item, in its heading: neither the headline nor the status repeats it.
            let items = n.data["count"].as_u64().unwrap() as usize;
            assert_eq!(text.matches(kind).count(), items, "{who} {day}:\n{text}");
        }
        assert!(n.text.contains("本项工作"), "{}", n.text);
    }
    assert_eq!(
        doubled("1.【黄】9.1 2026年食品安全宣传周\n宣传周今日启动"),
        Some("宣传周".into())
    );
    assert_eq!(
        doubled("专项整治**\n> 专项整治1天后启动"),
        Some("专项整治".into())
    );
}
