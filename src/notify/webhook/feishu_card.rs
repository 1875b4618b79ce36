//! Feishu 飞书 interactive card bodies (issue 12): the message-card JSON of the official "Message
//! card content reference" (`config`, `header` with `title` and `template` colour, `elements` of
//! `div` with `lark_md` text or short `fields`, `hr`, `note`, `action` with URL buttons). The
//! header colour is the message's colour; each item shows 责任单位, 时限 and 状态 and a button to
//! its progress link; a body over 20 KB is split into numbered cards between items. Pure.

use serde_json::{Value, json};

use super::feishu::{LIMIT, sign};
use super::text::{fit_body, keyword_prefix, shorten};
use crate::notify::literal::chat_md;
use crate::notify::{Colour, Notification};

/// The card header colour of a notification colour.
pub fn template(c: Colour) -> &'static str {
    match c {
        Colour::Blue => "blue",
        Colour::Yellow => "yellow",
        Colour::Red => "red",
    }
}

/// `2026-09-30` → `2026年9月30日` (dates in `data` are ISO).
fn zh_day(iso: &str) -> String {
    let mut it = iso.split('-').map(|p| p.trim_start_matches('0'));
    match (it.next(), it.next(), it.next()) {
        (Some(y), Some(m), Some(d)) if !d.is_empty() => format!("{y}年{m}月{d}日"),
        _ => iso.to_owned(),
    }
}

fn names(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["name"].as_str())
                .map(chat_md)
                .collect::<Vec<_>>()
                .join("、")
        })
        .unwrap_or_default()
}

fn field(label: &str, value: &str) -> Value {
    json!({ "is_short": true, "text": { "tag": "lark_md", "content": format!("**{label}**\n{value}") } })
}

/// The elements of one reminder item (its `data`): a heading line, the 责任单位/时限/状态 fields,
/// and a button to the progress link when there is one.
fn item_elements(index: Option<usize>, d: &Value) -> Vec<Value> {
    let task = &d["task"];
    // Plan text is data: made inert for lark_md like every templated value.
    let title = chat_md(task["short_title"].as_str().unwrap_or_default());
    let period = chat_md(d["period"].as_str().unwrap_or_default());
    let colour = match d["colour"].as_str() {
        Some("red") => "红",
        Some("yellow") => "黄",
        _ => "蓝",
    };
    let number = index.map(|i| format!("{i}.")).unwrap_or_default();
    let heading = if period.is_empty() || title.contains(&*period) {
        format!(
            "**{number}【{colour}】{} {title}**",
            chat_md(task["id"].as_str().unwrap_or_default())
        )
    } else {
        format!(
            "**{number}【{colour}】{} {title}**（{period}）",
            chat_md(task["id"].as_str().unwrap_or_default())
        )
    };
    let mut units = names(&d["units"]["lead"]);
    let coop = names(&d["units"]["cooperating"]);
    if !coop.is_empty() && d["supporting"] != Value::Bool(true) {
        units = format!("{units}（牵头）；{coop}（配合）");
    }
    let mut out = vec![
        json!({ "tag": "div", "text": { "tag": "lark_md", "content": heading } }),
        json!({ "tag": "div", "fields": [
            field("责任单位", &units),
            field("时限", &zh_day(d["due"].as_str().unwrap_or_default())),
            field("状态", &chat_md(d["status"].as_str().unwrap_or_default())),
        ] }),
    ];
    if let Some(url) = d["links"]["progress_url"]
        .as_str()
        .filter(|u| !u.is_empty())
    {
        out.push(json!({ "tag": "action", "actions": [{
            "tag": "button",
            "text": { "tag": "plain_text", "content": "报送进展或申请办结、延期" },
            "type": "primary",
            "url": url,
        }] }));
    }
    out
}

/// The markdown without its first (title) line: the title is the card header.
fn markdown_body(n: &Notification) -> String {
    n.markdown
        .split_once('\n')
        .map_or(String::new(), |(_, rest)| rest.trim().to_owned())
}

/// The element blocks of `n`: one per item for a grouped message, one for a single reminder, the
/// markdown's paragraphs otherwise (its contact line is the footer). Blocks are never split across cards.
fn blocks(n: &Notification) -> (Vec<Value>, Vec<Vec<Value>>) {
    let d = &n.data;
    if let Some(items) = d["items"]
        .as_array()
        .filter(|_| d["group"] == Value::Bool(true))
    {
        // The opening sentence of the group, then one block per item.
        let intro = markdown_body(n)
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .to_owned();
        let lead = vec![json!({ "tag": "div", "text": { "tag": "lark_md", "content": intro } })];
        let items = items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let mut b = vec![json!({ "tag": "hr" })];
                b.extend(item_elements(Some(i + 1), it));
                b
            })
            .collect();
        return (lead, items);
    }
    if d["task"].is_object() {
        let headline = markdown_body(n)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        let lead = vec![json!({ "tag": "div", "text": { "tag": "lark_md", "content": headline } })];
        return (lead, vec![item_elements(None, d)]);
    }
    let text = markdown_body(n);
    let pieces = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty() && !p.starts_with("联系人"))
        .map(|p| vec![json!({ "tag": "div", "text": { "tag": "lark_md", "content": p } })])
        .collect();
    (Vec::new(), pieces)
}

/// The footer note: how to answer (the markdown's last block when it names a contact).
fn footer(n: &Notification) -> Option<Value> {
    let last = n.markdown.trim_end().rsplit("\n\n").next()?;
    last.starts_with("联系人")
        .then(|| json!({ "tag": "note", "elements": [{ "tag": "plain_text", "content": last }] }))
}

/// One card body around `elements`, titled `title`, signed if `signed`.
fn card(
    n: &Notification,
    title: &str,
    elements: Vec<Value>,
    signed: Option<&(i64, String)>,
) -> Value {
    let mut b = json!({
        "msg_type": "interactive",
        "card": {
            "config": { "wide_screen_mode": true },
            "header": {
                "title": { "tag": "plain_text", "content": title },
                "template": template(n.colour),
            },
            "elements": elements,
        },
    });
    if let Some((ts, sign)) = signed {
        // The official example sends the timestamp as a string.
        b["timestamp"] = json!(ts.to_string());
        b["sign"] = json!(sign);
    }
    b
}

/// The serialised bodies for `n`, in sending order, each ≤ [`LIMIT`] bytes: one card, or cards
/// split between items numbered （i/n） in the header.
pub fn bodies(
    n: &Notification,
    keyword: Option<&str>,
    secret: Option<&str>,
    now: i64,
) -> Vec<Vec<u8>> {
    let signed = secret.map(|s| (now, sign(s, now)));
    let title = format!("{}{}", keyword_prefix(keyword, &n.subject, ""), n.subject);
    let (lead, blocks) = blocks(n);
    let foot = footer(n);
    let size = |els: &[Value], t: &str| {
        serde_json::to_vec(&card(n, t, els.to_vec(), signed.as_ref()))
            .map_or(usize::MAX, |v| v.len())
    };
    // Pack blocks into cards; room is kept for the header number and the footer.
    let reserve = 64 + foot.as_ref().map_or(0, |f| f.to_string().len());
    let mut cards: Vec<Vec<Value>> = Vec::new();
    let mut current = lead.clone();
    for block in blocks {
        let mut trial = current.clone();
        trial.extend(block.iter().cloned());
        if size(&trial, &title) + reserve > LIMIT && current.len() > lead.len() {
            cards.push(std::mem::take(&mut current));
            current.extend(block);
        } else {
            current = trial;
        }
    }
    cards.push(current);
    let total = cards.len();
    cards
        .into_iter()
        .enumerate()
        .map(|(i, mut els)| {
            if i + 1 == total {
                els.extend(foot.clone());
            }
            let t = if total > 1 {
                format!("{title}（{}/{total}）", i + 1)
            } else {
                title.clone()
            };
            let body =
                serde_json::to_vec(&card(n, &t, els.clone(), signed.as_ref())).unwrap_or_default();
            if body.len() <= LIMIT {
                return body;
            }
            // One block alone over the limit (a huge measure text): plain markdown, shortened.
            fit_body(LIMIT, |budget| {
                let text = shorten(&n.markdown, budget);
                let els =
                    vec![json!({ "tag": "div", "text": { "tag": "lark_md", "content": text } })];
                serde_json::to_vec(&card(n, &t, els, signed.as_ref())).unwrap_or_default()
            })
        })
        .collect()
}

/// The first card of [`bodies`] (the whole message unless it had to be split).
pub fn body(n: &Notification, keyword: Option<&str>, secret: Option<&str>, now: i64) -> Vec<u8> {
    bodies(n, keyword, secret, now).swap_remove(0)
}
