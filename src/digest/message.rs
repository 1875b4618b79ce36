//! A digest as messages: the rendered [`Notification`] of one unit's digest, who gets digests
//! (section heads, or the listed units' heads), and the outbox rows for one week.
//!
//! Pure apart from rendering with the [`Renderer`] it is given. May touch: nothing else.

use jiff::Timestamp;
use jiff::civil::Date;
use minijinja::value::{Serde, Value};
use serde_json::json;

use super::content::{DigestContent, DigestView, build_digest};
use super::week::{due_instant, iso_week_key};
use crate::calendar::WorkCalendar;
use crate::catalog::{Catalog, DigestSpec, UnitKind};
use crate::notify::{Colour, Mailbox, MessageKind, Notification, Recipients};
use crate::render::{RenderError, Renderer, kind_name};
use crate::schedule::Plan;
use crate::schedule::route::{HEAD_SUFFIX, channels_for};
use crate::store::NewReminder;

/// The notification (and outbox dedupe key) id of a digest:
/// `digest|{digest_id}|{week}|{unit}|{channel}`. Stable, so a retry or a second tick reuses it.
pub fn digest_key(digest_id: &str, week: &str, unit: &str, channel: &str) -> String {
    format!("digest|{digest_id}|{week}|{unit}|{channel}")
}

/// The units whose heads get `spec`'s digest, in declaration order without duplicates: every
/// `section` unit whose head has an email when `to` is unset; else the listed units and groups
/// expanded, those that have a head (a head without email is routed to the fallback channel).
pub fn digest_units(cat: &Catalog, spec: &DigestSpec) -> Vec<String> {
    match &spec.to {
        None => cat
            .units
            .iter()
            .filter(|u| u.kind == UnitKind::Section)
            .filter(|u| u.head.as_ref().is_some_and(|h| h.email.is_some()))
            .map(|u| u.id.clone())
            .collect(),
        Some(list) => {
            let mut out: Vec<String> = Vec::new();
            for id in list.iter().flat_map(|id| cat.expand(id)) {
                let has_head = cat.unit(&id).is_some_and(|u| u.head.is_some());
                if has_head && !out.contains(&id) {
                    out.push(id);
                }
            }
            out
        }
    }
}

/// Renders `content` for `channel` as a [`MessageKind::Digest`] notification: subject like
/// `【督办周报】食品室 2027年第9周：红2 黄3`, text, HTML and markdown (`digest.*` templates), the
/// head as the email recipient (display name `食品室负责人 张三`), the head's mobile for chat
/// @-mentions. The colour is the worst list's: 红, else 黄, else 蓝.
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
    let mut recipients = Recipients::default();
    if let Some(head) = cat.unit(&unit.id).and_then(|u| u.head.as_ref()) {
        let name = format!("{}负责人 {}", unit.name, head.name);
        recipients.to.extend(head.email.iter().map(|e| Mailbox {
            name: Some(name.clone()),
            email: e.clone(),
        }));
        recipients.mobiles.extend(head.mobile.iter().cloned());
    }
    let colour = if content.counts.red > 0 {
        Colour::Red
    } else if content.counts.yellow > 0 {
        Colour::Yellow
    } else {
        Colour::Blue
    };
    let ids = |items: &[super::DigestItem]| -> Vec<String> {
        items.iter().map(|i| i.occurrence.clone()).collect()
    };
    Ok(Notification {
        id: digest_key(digest_id, &content.week, &unit.id, channel),
        thread: format!("digest|{digest_id}|{}", unit.id),
        kind: MessageKind::Digest,
        colour,
        subject: out.subject,
        text: out.text,
        html: Some(out.html),
        markdown: out.markdown,
        recipients,
        data: json!({
            "digest": digest_id,
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
        }),
        attempt_at: 0,
    })
}

/// The channels a unit head's digest goes out on: the head's email route (first enabled SMTP
/// channel, or the fallback), then each of `spec.chat` (a disabled one replaced by the fallback),
/// without duplicates.
pub fn digest_channels(cat: &Catalog, spec: &DigestSpec, unit: &str) -> Vec<String> {
    let mut out: Vec<String> = channels_for(cat, &format!("{unit}{HEAD_SUFFIX}"))
        .into_iter()
        .take(1)
        .collect();
    for ch in &spec.chat {
        let id = match cat.channel(ch) {
            Some(c) if c.enabled => c.id.clone(),
            _ => cat.settings.fallback_channel.clone(),
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The outbox rows of `spec`'s digest for the week of `week_monday`, as the daemon enqueues them
/// at `now`: taken as of (and firing at) the week's due instant, or `now` when that is earlier
/// (`dutybell digest --send` before the due time). One row per unit head and channel, kind
/// `digest`, stage `digest-{week}`, dedupe key [`digest_key`]. A head with nothing to report gets
/// an all-clear only when `spec.send_empty`. Empty when the week has no due instant.
///
/// # Errors
/// [`RenderError::Template`] when a `digest.*` template fails.
#[allow(clippy::too_many_arguments)] // the daemon's inputs, each distinct; a struct would only rename them
pub fn digest_rows(
    cat: &Catalog,
    cal: &WorkCalendar,
    renderer: &Renderer,
    view: &DigestView,
    plan: &Plan,
    spec: &DigestSpec,
    week_monday: Date,
    now: Timestamp,
) -> Result<Vec<NewReminder>, RenderError> {
    let tz = cat.settings.tz.tz().clone();
    let Some(due) = due_instant(spec, cal, &tz, week_monday) else {
        return Ok(Vec::new());
    };
    let at = due.min(now);
    let week = iso_week_key(week_monday);
    let mut rows = Vec::new();
    for unit in digest_units(cat, spec) {
        let content = build_digest(cat, cal, plan, view, &unit, week_monday, at);
        if content.all_clear && !spec.send_empty {
            continue;
        }
        for channel in digest_channels(cat, spec, &unit) {
            let n = render_digest(renderer, cat, &content, &spec.id, &channel)?;
            rows.push(NewReminder {
                dedupe_key: n.id.clone(),
                occurrence_key: format!("{}@{week}", spec.id),
                task_id: "-".into(),
                stage: format!("digest-{week}"),
                kind: MessageKind::Digest,
                recipient: format!("{unit}{HEAD_SUFFIX}"),
                channel,
                fire_at: at,
                message: Some(
                    serde_json::to_string(&n).map_err(|e| RenderError::Template {
                        file: "digest".into(),
                        line: None,
                        detail: format!("cannot serialise the notification: {e}"),
                    })?,
                ),
            });
        }
    }
    Ok(rows)
}
