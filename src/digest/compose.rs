//! A digest as a [`Notification`]: a unit's digest (`digest.*` templates) or the bureau digest
//! (`digest_bureau.*`), addressed to its reader: a head by name, or a unit on its mailboxes.
//!
//! Pure apart from rendering with the [`Renderer`] it is given. May touch: nothing else.

use minijinja::value::{Serde, Value};
use serde_json::json;

use super::bureau::BureauContent;
use super::content::{DigestContent, DigestItem};
use super::message::{Reader, digest_key};
use crate::catalog::Catalog;
use crate::notify::{Colour, Mailbox, MessageKind, Notification, Recipients};
use crate::render::{RenderError, Renderer, head_name, kind_name};
use crate::schedule::route::HEAD_SUFFIX;

/// The template stage of the bureau digest.
pub const BUREAU_STAGE: &str = "digest_bureau";

/// Renders `content` for `channel` as a [`MessageKind::Digest`] notification: subject like
/// `【督办周报】食品室 2027年第9周：红2 黄3`, text, HTML and markdown (`digest.*` templates), the
/// head as the email recipient (display name `食品室负责人 张三`, the title once when the head is
/// a placeholder title), the head's mobile for chat @-mentions. The colour is the worst list's:
/// 红, else 黄, else 蓝.
///
/// # Errors
/// [`RenderError::Template`] when a `digest.*` template fails.
pub fn render_digest(
    r: &Renderer,
    cat: &Catalog,
    content: &DigestContent,
    digest_id: &str,
    channel: &str,
) -> Result<Notification, RenderError> {
    let out = r.render(kind_name(MessageKind::Digest), &Value::from(Serde(content)))?;
    let unit = &content.unit;
    let ids = |items: &[DigestItem]| -> Vec<String> {
        items.iter().map(|i| i.occurrence.clone()).collect()
    };
    let data = json!({
        "digest": digest_id,
        "scope": "unit",
        "week": content.week,
        "unit": { "id": unit.id, "name": unit.name },
        "counts": content.counts,
        "all_clear": content.all_clear,
        "occurrences": {
            "red": ids(&content.red),
            "yellow": ids(&content.yellow),
            "opening": ids(&content.opening),
            "silent": ids(&content.silent),
        },
    });
    let c = &content.counts;
    Ok(Notification {
        id: digest_key(digest_id, &content.week, &unit.id, channel),
        thread: format!("digest|{digest_id}|{}", unit.id),
        kind: MessageKind::Digest,
        colour: colour(c.red, c.yellow),
        subject: out.subject,
        text: out.text,
        html: Some(out.html),
        markdown: out.markdown,
        recipients: recipients(cat, &Reader::head(&unit.id)),
        data,
        attempt_at: 0,
    })
}

/// Renders the bureau digest `content` for `reader` on `channel` (`digest_bureau.*` templates):
/// subject like `【督办周报】全局 2026年第37周：红12 黄9 协调3`, addressed to the reader (the 局领导
/// unit on its mailboxes, or a head). Red when anything of the bureau's own is overdue.
///
/// # Errors
/// [`RenderError::Template`] when a `digest_bureau.*` template fails.
pub fn render_bureau(
    r: &Renderer,
    cat: &Catalog,
    content: &BureauContent,
    digest_id: &str,
    reader: &Reader,
    channel: &str,
) -> Result<Notification, RenderError> {
    let out = r.render(BUREAU_STAGE, &Value::from(Serde(content)))?;
    let ids = |items: &[DigestItem]| -> Vec<String> {
        items.iter().map(|i| i.occurrence.clone()).collect()
    };
    let data = json!({
        "digest": digest_id,
        "scope": "bureau",
        "week": content.week,
        "unit": { "id": content.unit.id, "name": content.unit.name },
        "counts": content.counts,
        "all_clear": content.all_clear,
        "occurrences": {
            "red": ids(&content.red),
            "coordination": ids(&content.coordination),
        },
    });
    let c = &content.counts;
    Ok(Notification {
        id: digest_key(digest_id, &content.week, &reader.unit, channel),
        thread: format!("digest|{digest_id}|{}", reader.unit),
        kind: MessageKind::Digest,
        colour: colour(c.red, c.yellow),
        subject: out.subject,
        text: out.text,
        html: Some(out.html),
        markdown: out.markdown,
        recipients: recipients(cat, reader),
        data,
        attempt_at: 0,
    })
}

fn colour(red: usize, yellow: usize) -> Colour {
    if red > 0 {
        Colour::Red
    } else if yellow > 0 {
        Colour::Yellow
    } else {
        Colour::Blue
    }
}

/// A head: their email under `食品室负责人 张三` and their mobile. A unit: its mailboxes under
/// its name and its head's mobile (as reminders to a unit are addressed).
fn recipients(cat: &Catalog, reader: &Reader) -> Recipients {
    let mut rec = Recipients::default();
    let Some(unit) = cat.unit(&reader.unit) else {
        return rec;
    };
    let head = unit.head.as_ref();
    if reader.recipient.ends_with(HEAD_SUFFIX) {
        if let Some(h) = head {
            let name = head_name(&unit.name, &h.name);
            rec.to.extend(h.email.iter().map(|e| Mailbox {
                name: Some(name.clone()),
                email: e.clone(),
            }));
        }
    } else {
        rec.to.extend(unit.email.iter().map(|e| Mailbox {
            name: Some(unit.name.clone()),
            email: e.clone(),
        }));
    }
    rec.mobiles.extend(head.and_then(|h| h.mobile.clone()));
    // Answers go to the 督办 office, as for reminders.
    rec.reply_to = cat.settings.reply_to.as_ref().map(|email| Mailbox {
        name: None,
        email: email.clone(),
    });
    rec
}
