//! The chat bodies as the vendors document them (issue 12): every body is parsed into typed
//! structs that refuse unknown fields, following the vendors' documented schemas
//! (../shared/reference/chat-webhooks.md: WeCom doc 91770, DingTalk `robot.send`, Feishu's
//! custom-bot guide and message-card reference), and its byte limits are checked: WeCom markdown
//! `content` ≤ 4096 and text ≤ 2048 bytes, DingTalk ≤ 20000 bytes, Feishu request body ≤ 20 KB.
//! Used by the golden tests on every rendered message and by a long grouped message here.

use dutybell::notify::Notification;
use dutybell::notify::webhook::{dingtalk, feishu, wecom};
use serde::Deserialize;

/// WeCom `msgtype` bodies (doc 91770): `markdown.content` or `text.content` with mention lists.
#[derive(Deserialize)]
#[serde(tag = "msgtype", rename_all = "snake_case", deny_unknown_fields)]
enum Wecom {
    Markdown { markdown: WecomMarkdown },
    Text { text: WecomText },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WecomMarkdown {
    content: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WecomText {
    content: String,
    #[serde(default)]
    mentioned_list: Vec<String>,
    #[serde(default)]
    mentioned_mobile_list: Vec<String>,
}

/// DingTalk markdown (`dingtalk.oapi.robot.send`): title, text and the `at` block.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Dingtalk {
    msgtype: String,
    markdown: DingMarkdown,
    at: DingAt,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DingMarkdown {
    title: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DingAt {
    at_mobiles: Vec<String>,
    #[serde(default)]
    at_user_ids: Vec<String>,
    is_at_all: bool,
}

/// Feishu custom bot interactive message: `msg_type`, the card, optional signature fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Feishu {
    msg_type: String,
    card: Card,
    timestamp: Option<String>,
    sign: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Card {
    config: CardConfig,
    header: Header,
    elements: Vec<Element>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardConfig {
    wide_screen_mode: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    title: Text,
    template: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Text {
    tag: String,
    content: String,
}

#[derive(Deserialize)]
#[serde(tag = "tag", rename_all = "snake_case", deny_unknown_fields)]
enum Element {
    Div {
        text: Option<Text>,
        fields: Option<Vec<Field>>,
    },
    Hr {},
    Note {
        elements: Vec<Text>,
    },
    Action {
        actions: Vec<Button>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Field {
    is_short: bool,
    text: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Button {
    tag: String,
    text: Text,
    #[serde(rename = "type")]
    kind: String,
    url: String,
}

/// Header colours of the card reference.
const TEMPLATES: [&str; 12] = [
    "blue",
    "wathet",
    "turquoise",
    "green",
    "yellow",
    "orange",
    "red",
    "carmine",
    "violet",
    "purple",
    "indigo",
    "grey",
];

/// Checks the WeCom bodies of `n`; returns the markdown parts.
pub fn check_wecom(n: &Notification, bodies: &[serde_json::Value]) -> Vec<String> {
    let mut parts = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        match serde_json::from_value::<Wecom>(b.clone()).unwrap_or_else(|e| panic!("{e}: {b}")) {
            Wecom::Markdown { markdown } => {
                assert!(markdown.content.len() <= wecom::MARKDOWN_LIMIT);
                assert!(!markdown.content.trim().is_empty());
                parts.push(markdown.content);
            }
            Wecom::Text { text } => {
                // The mention follows the parts, by mobile.
                assert_eq!(i, bodies.len() - 1, "the mention text comes last");
                assert!(text.content.len() <= wecom::TEXT_LIMIT);
                assert!(text.mentioned_list.is_empty());
                assert_eq!(text.mentioned_mobile_list, n.recipients.mobiles);
            }
        }
    }
    let count = parts.len();
    if count > 1 {
        for (i, p) in parts.iter().enumerate() {
            let first = p.lines().next().unwrap();
            assert!(
                first.ends_with(&format!("（{}/{count}）", i + 1)),
                "{first}"
            );
        }
    }
    parts
}

/// Checks a DingTalk body of `n` sent with mentions on; returns the text.
pub fn check_dingtalk(n: &Notification, body: &serde_json::Value) -> String {
    let d: Dingtalk =
        serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(d.msgtype, "markdown");
    assert!(d.markdown.text.len() <= dingtalk::LIMIT);
    assert!(d.markdown.title.contains(&n.subject));
    assert!(!d.at.is_at_all && d.at.at_user_ids.is_empty());
    assert_eq!(d.at.at_mobiles, n.recipients.mobiles);
    // The API wants each mentioned mobile in the text as `@mobile`.
    for m in &d.at.at_mobiles {
        assert!(d.markdown.text.contains(&format!("@{m}")), "{m}");
    }
    // Real markdown: a heading, no code spans for ordinary text.
    assert!(d.markdown.text.starts_with("#### ") || d.markdown.text.starts_with("督办提醒"));
    assert!(!d.markdown.text.contains('`'));
    d.markdown.text
}

/// Checks Feishu cards of `n`; returns the header titles.
pub fn check_feishu(n: &Notification, bodies: &[Vec<u8>]) -> Vec<String> {
    let mut titles = Vec::new();
    for raw in bodies {
        assert!(raw.len() <= feishu::LIMIT, "{}", raw.len());
        let f: Feishu = serde_json::from_slice(raw)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(raw)));
        assert_eq!(f.msg_type, "interactive");
        assert_eq!(f.timestamp.is_some(), f.sign.is_some());
        assert!(f.card.config.wide_screen_mode);
        assert_eq!(f.card.header.title.tag, "plain_text");
        assert!(TEMPLATES.contains(&f.card.header.template.as_str()));
        assert_eq!(f.card.header.template, feishu::template(n.colour));
        for e in &f.card.elements {
            match e {
                Element::Div { text, fields } => {
                    assert!(text.is_some() != fields.is_some());
                    for t in text.iter().chain(fields.iter().flatten().map(|f| &f.text)) {
                        assert!(t.tag == "lark_md" || t.tag == "plain_text");
                    }
                    if let Some(fields) = fields {
                        let labels: Vec<&str> = fields
                            .iter()
                            .map(|f| {
                                assert!(f.is_short);
                                f.text.content.split('\n').next().unwrap()
                            })
                            .collect();
                        assert_eq!(labels, ["**责任单位**", "**时限**", "**状态**"]);
                    }
                }
                Element::Hr {} => {}
                Element::Note { elements } => assert!(!elements.is_empty()),
                Element::Action { actions } => {
                    for b in actions {
                        assert_eq!(
                            (b.tag.as_str(), b.text.tag.as_str()),
                            ("button", "plain_text")
                        );
                        assert!(b.url.starts_with("http") && b.kind == "primary");
                    }
                }
            }
        }
        titles.push(f.card.header.title.content);
    }
    titles
}

/// A grouped message of 60 items: WeCom splits it between items, each part within 4096 bytes;
/// Feishu sends numbered cards within 20 KB; DingTalk stays within its limit.
#[test]
fn a_long_group_is_split_within_every_vendor_limit() {
    let n = crate::render_golden::long_group(60);
    assert!(
        n.markdown.len() > 3 * wecom::MARKDOWN_LIMIT,
        "{}",
        n.markdown.len()
    );
    let parts = check_wecom(&n, &wecom::bodies(&n, true));
    assert!(parts.len() >= 3, "{}", parts.len());
    // Each item whole in one part: its heading and its status line travel together.
    for p in &parts {
        let items = p.matches("\n**").count();
        let statuses = p.matches("\n> ").count();
        assert_eq!(items, statuses, "{p}");
    }
    let titles = check_feishu(&n, &feishu::bodies(&n, None, Some("demo"), 1_780_275_600));
    assert!(titles.len() >= 2 && titles[0].ends_with(&format!("（1/{}）", titles.len())));
    check_dingtalk(&n, &dingtalk::body(&n, None, true));
}
