//! Plan text is data (issue 18): a task whose title, measures and unit name hold template syntax,
//! HTML, markdown control characters and every vendor's mention syntax reaches each channel as
//! written, never interpreted. Email text carries it byte for byte, email HTML escapes it, chat
//! markdown (WeCom, DingTalk, Feishu cards) shows it with full-width twins of the markup
//! characters, WeCom's mention text cannot @ anyone, and the generic webhook's `data` (plain
//! text and fields, no markdown) carries the raw text for machines. Each body is parsed back (mailparse, serde_json).

use dutybell::notify::literal::chat_md;
use dutybell::notify::webhook::{dingtalk, feishu, generic, wecom};
use dutybell::notify::{Mailbox, MessageKind, Notification};
use dutybell::render::{self, Renderer, group};
use dutybell::schedule::Reminder;
use jiff::civil::date;

use crate::render_golden::loaded;

const TITLE: &str = "<@all>**粗体**{{ task.id }}<script>alert(1)</script>{% if true %}模板{% endif %} \
                     [点我](http://evil.example) <at user_id=\"all\">所有人</at> \
                     <font color=\"warning\">红</font> # 标题 `代码` &lt;b&gt; @13800000000";
const MEASURES: &str = "第一步\n- 列表项\n1. 编号项\n> 引用\n| 表 | 格 |";
const UNIT: &str = "餐饮室<@zhangsan>**";

/// Markup that must never reach a chat body from the plan text.
const LIVE_MARKUP: [&str; 10] = [
    "<script",
    "**粗体",
    "粗体**",
    "[点我]",
    "<@all>",
    "<@zhangsan>",
    "<at user_id",
    "<font color=\"warning\">红",
    "`代码`",
    "&lt;b&gt;",
];

fn hostile() -> (
    dutybell::loader::Loaded,
    Reminder,
    dutybell::schedule::Occurrence,
) {
    let mut l = loaded();
    // 1.1 has no rule label: its messages are headed by the task's own (shortened) title.
    let t = l.catalog.tasks.iter_mut().find(|t| t.id == "1.1").unwrap();
    t.title = TITLE.into();
    t.measures = MEASURES.into();
    let lead = l
        .catalog
        .tasks
        .iter()
        .find(|t| t.id == "1.1")
        .unwrap()
        .clone();
    let unit_id = l.catalog.lead_units(&lead)[0].clone();
    l.catalog
        .units
        .iter_mut()
        .find(|u| u.id == unit_id)
        .unwrap()
        .name = UNIT.into();
    let p = dutybell::schedule::plan(
        &l.catalog,
        &l.calendar,
        date(2026, 1, 1),
        date(2026, 12, 31),
    );
    let rem = p
        .reminders
        .iter()
        .find(|r| r.task_id == "1.1" && r.recipient == unit_id && r.kind == MessageKind::Checkin)
        .expect("a check-in reminder for 1.1 in 2026")
        .clone();
    let occ = p
        .occurrences
        .iter()
        .find(|o| o.key == rem.occurrence_key)
        .unwrap()
        .clone();
    (l, rem, occ)
}

fn single() -> Notification {
    let (l, rem, occ) = hostile();
    let r = Renderer::new(None).unwrap();
    render::notification(&r, &l.catalog, &l.calendar, &occ, &rem, false, rem.date).unwrap()
}

fn grouped() -> Notification {
    let (l, rem, occ) = hostile();
    let r = Renderer::new(None).unwrap();
    let link = l.catalog.settings.progress_url.as_deref();
    let member = |rem: &Reminder| {
        let (ctx, _) =
            render::reminder_context(&l.catalog, &l.calendar, &occ, rem, false, rem.date, link)
                .unwrap();
        group::Member {
            ctx,
            single: render::notification(&r, &l.catalog, &l.calendar, &occ, rem, false, rem.date)
                .unwrap(),
        }
    };
    let mut second = rem.clone();
    second.stage = "lead-3d".into();
    group::grouped(&r, vec![member(&rem), member(&second)]).unwrap()
}

fn assert_inert(channel: &str, body: &str) {
    for m in LIVE_MARKUP {
        assert!(!body.contains(m), "{channel}: live markup {m:?} in\n{body}");
    }
    for shown in [chat_md("<@all>**粗体**"), chat_md(UNIT)] {
        assert!(
            body.contains(&*shown),
            "{channel}: {shown:?} (the plan text, markup made full-width) is not shown in\n{body}"
        );
    }
}

#[test]
fn email_text_is_literal_and_html_is_escaped() {
    for n in [single(), grouped()] {
        let from = Mailbox {
            name: Some("督办提醒".into()),
            email: "dutybell@example.org".into(),
        };
        let raw = dutybell::notify::email::render_rfc5322(&n, &from, "example.org").unwrap();
        let mail = mailparse::parse_mail(&raw).unwrap();
        let text = mail.subparts[0].get_body().unwrap();
        let html = mail.subparts[1].get_body().unwrap();
        assert!(
            text.contains("<@all>**粗体**{{ task.id"),
            "text part:\n{text}"
        );
        assert!(text.contains(UNIT), "text part:\n{text}");
        assert!(!html.contains("<script"), "{html}");
        assert!(
            !html.contains("<@all>") && !html.contains("<font color"),
            "{html}"
        );
        assert!(html.contains("&lt;@all&gt;**粗体**{{ task.id"), "{html}");
    }
}

#[test]
fn wecom_markdown_and_mention_text_are_inert() {
    for n in [single(), grouped()] {
        let bodies = wecom::bodies(&n, true);
        let json = serde_json::to_string(&bodies).unwrap();
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
        let md = parsed[0]["markdown"]["content"].as_str().unwrap();
        assert_inert("wecom markdown", md);
        // The template's own markup is kept.
        assert!(md.starts_with("**【督办提醒"), "{md}");
        // Measures lines never turn into a list, quote or table.
        if n.data["group"] != serde_json::Value::Bool(true) {
            assert!(
                md.contains("\n－ 列表项\n1． 编号项\n＞ 引用\n｜ 表 ｜ 格 ｜"),
                "{md}"
            );
        }
        for b in &parsed[1..] {
            let t = b["text"]["content"].as_str().unwrap();
            assert!(!t.contains("<@") && !t.contains("<at"), "{t}");
        }
    }
}

#[test]
fn dingtalk_markdown_is_inert() {
    for n in [single(), grouped()] {
        let b = dingtalk::body(&n, Some("督办提醒"), true);
        let b: serde_json::Value = serde_json::from_str(&b.to_string()).unwrap();
        let md = b["markdown"]["text"].as_str().unwrap();
        assert_inert("dingtalk", md);
        assert_eq!(b["at"]["isAtAll"], serde_json::Value::Bool(false));
    }
}

#[test]
fn feishu_cards_are_inert() {
    for n in [single(), grouped()] {
        for body in feishu::bodies(&n, None, None, 1_780_275_600) {
            let card: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let mut lark = Vec::new();
            collect_lark_md(&card, &mut lark);
            let all = lark.join("\n");
            assert!(!all.is_empty());
            for m in LIVE_MARKUP {
                assert!(!all.contains(m), "feishu lark_md: live {m:?} in\n{all}");
            }
            assert!(all.contains("＜@all＞＊＊粗体＊＊"), "{all}");
        }
    }
}

fn collect_lark_md(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("tag").and_then(|t| t.as_str()) == Some("lark_md")
                && let Some(c) = m.get("content").and_then(|c| c.as_str())
            {
                out.push(c.to_owned());
            }
            m.values().for_each(|x| collect_lark_md(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_lark_md(x, out)),
        _ => {}
    }
}

#[test]
fn generic_webhook_data_is_the_raw_text() {
    let n = single();
    let b = generic::body(&n, 1_780_275_600).unwrap();
    let b: serde_json::Value = serde_json::from_str(&b.to_string()).unwrap();
    // Machines get the plan's text as written, in structured fields.
    let title = b["data"]["task"]["title"].as_str().unwrap();
    assert_eq!(title, TITLE);
    // A JSON receiver decides how to show it; the plain text carries it unchanged.
    let text = b["data"]["text"].as_str().unwrap();
    assert!(text.contains("<@all>**粗体**{{ task.id"), "{text}");
    assert!(text.contains(UNIT), "{text}");
}
