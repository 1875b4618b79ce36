//! A grouped reminder: several reminders to one recipient on one channel, due in the same
//! grouping window, as ONE message (今日督办提醒（3项）), one section per item, red first, then by
//! due date (issue 12). A group of one renders as the single reminder it is ([`grouped`] is not
//! called for it). Pure.

use minijinja::value::{Serde, Value};
use serde::Serialize;
use serde_json::json;

use super::context::{OfficeCtx, RecipientCtx, ReminderContext};
use super::{RenderError, Renderer};
use crate::notify::{Colour, MessageKind, Notification, Recipients};

/// One member of a group: its context (from [`super::reminder_context`]), the notification it
/// would be alone (for recipients and data), and its kind and colour.
#[derive(Debug, Clone)]
pub struct Member {
    /// Template context of the item.
    pub ctx: ReminderContext,
    /// The single notification of the item.
    pub single: Notification,
}

/// Counts by colour.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// 红.
    pub red: usize,
    /// 黄.
    pub yellow: usize,
    /// 蓝.
    pub blue: usize,
}

/// Context of the `group.*` templates.
#[derive(Debug, Clone, Serialize)]
pub struct GroupContext {
    /// Who it is for (the first item's recipient: every item has the same).
    pub recipient: RecipientCtx,
    /// Number of items.
    pub count: usize,
    /// Items by colour.
    pub counts: Counts,
    /// `红`, `黄` or `蓝`: the most urgent colour.
    pub colour_zh: String,
    /// `今日督办提醒（3项）`, `截至今日仍未办结的3项`, `督办事项（3项）请知悉`.
    pub title: String,
    /// The opening sentence.
    pub intro: String,
    /// Reminders missed while dutybell was down, summarised (first start or long downtime).
    pub backlog: bool,
    /// The items, red first, then by due date and task id.
    pub items: Vec<ReminderContext>,
    /// Some item carries a link to report on.
    pub any_link: bool,
    /// How to answer.
    pub office: OfficeCtx,
    /// The sending date.
    pub today: String,
}

fn rank(c: &str) -> u8 {
    match c {
        "red" => 0,
        "yellow" => 1,
        _ => 2,
    }
}

/// Orders members: colour (red first), then due date, then task id as numbers (1.4 < 1.10).
pub fn sort(members: &mut [Member]) {
    members.sort_by(|a, b| {
        let key = |m: &Member| {
            (
                rank(&m.ctx.stage.colour),
                m.ctx.occurrence.due_iso.clone(),
                task_number(&m.ctx.task.id),
                m.single.id.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
}

/// `4.10` → `[4, 10]`, so ids sort as numbers.
pub fn task_number(id: &str) -> Vec<u64> {
    id.split('.')
        .map(|p| p.parse().unwrap_or(u64::MAX))
        .collect()
}

/// The group's context (items already sorted).
pub fn context(items: &[ReminderContext]) -> Option<GroupContext> {
    let first = items.first()?;
    let mut counts = Counts::default();
    for m in items {
        match m.stage.colour.as_str() {
            "red" => counts.red += 1,
            "yellow" => counts.yellow += 1,
            _ => counts.blue += 1,
        }
    }
    let n = items.len();
    let backlog = items.iter().all(|m| m.stage.late);
    let kind = first.recipient.kind.as_str();
    let (title, intro) = if backlog {
        (
            format!("截至今日仍未办结的{n}项"),
            format!(
                "截至今日，以下{n}项工作仍未办结，现一并提醒，请逐项抓紧办理，并及时反馈办理情况。"
            ),
        )
    } else if kind == "leaders" {
        (
            format!("督办事项（{n}项）请知悉"),
            format!("以下{n}项工作已逾期或需要关注，特报请知悉，并请督促承办单位抓紧办理。"),
        )
    } else if kind == "coordinator" {
        (
            format!("需协调督促的事项（{n}项）"),
            format!("以下{n}项工作由有关部门或乡镇牵头，请协调督促牵头单位抓紧办理。"),
        )
    } else {
        (
            format!("今日督办提醒（{n}项）"),
            format!("今日有以下{n}项督办事项，请逐项落实，并及时报送工作进展。"),
        )
    };
    Some(GroupContext {
        recipient: first.recipient.clone(),
        count: n,
        colour_zh: first.stage.colour_zh.clone(),
        counts,
        title,
        intro,
        backlog,
        items: items.to_vec(),
        any_link: items.iter().any(|i| !i.progress.url.is_empty()),
        office: first.office.clone(),
        today: first.today.clone(),
    })
}

/// The group's identity: derived from its members' ids, so the same group re-sent after a crash
/// has the same `Message-ID` and webhook id, and another set of items another one.
pub fn group_id(member_ids: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut ids = member_ids.to_vec();
    ids.sort();
    let h = Sha256::digest(ids.join("\n").as_bytes());
    let hex: String = h.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("group|{hex}")
}

/// Renders `members` (two or more, any order) as one notification.
///
/// # Errors
/// [`RenderError::Template`] when a `group.*` template fails.
pub fn grouped(r: &Renderer, mut members: Vec<Member>) -> Result<Notification, RenderError> {
    sort(&mut members);
    let items: Vec<ReminderContext> = members.iter().map(|m| m.ctx.clone()).collect();
    let Some(ctx) = context(&items) else {
        return Err(RenderError::Unknown {
            what: "an empty group".into(),
        });
    };
    let out = r.render("group", &Value::from(Serde(&ctx)))?;
    let first = &members[0].single;
    let ids: Vec<String> = members.iter().map(|m| m.single.id.clone()).collect();
    let colour = members
        .iter()
        .map(|m| m.single.colour)
        .max()
        .unwrap_or(Colour::Blue);
    let mut recipients = Recipients::default();
    for m in &members {
        for mb in &m.single.recipients.to {
            if !recipients.to.contains(mb) {
                recipients.to.push(mb.clone());
            }
        }
        for mb in &m.single.recipients.cc {
            if !recipients.cc.contains(mb) {
                recipients.cc.push(mb.clone());
            }
        }
        for mobile in &m.single.recipients.mobiles {
            if !recipients.mobiles.contains(mobile) {
                recipients.mobiles.push(mobile.clone());
            }
        }
        if recipients.reply_to.is_none() {
            recipients.reply_to = m.single.recipients.reply_to.clone();
        }
    }
    let kind = if members
        .iter()
        .all(|m| m.single.kind == MessageKind::Escalation)
    {
        MessageKind::Escalation
    } else {
        first.kind
    };
    Ok(Notification {
        id: group_id(&ids),
        thread: format!("group|{}|{}", ctx.recipient.id, ctx.today),
        kind,
        colour,
        subject: out.subject,
        text: out.text,
        html: Some(out.html),
        markdown: out.markdown,
        recipients,
        data: json!({
            "group": true,
            "count": ctx.count,
            "title": ctx.title,
            "members": ids,
            "items": members.iter().map(|m| m.single.data.clone()).collect::<Vec<_>>(),
        }),
        attempt_at: 0,
    })
}

/// A sample group context for `dutybell check` (`backlog` exercises the summary variant).
pub fn sample(backlog: bool) -> GroupContext {
    let mut a = super::sample::reminder("overdue");
    a.stage.colour = "red".into();
    a.stage.colour_zh = "红".into();
    a.stage.late = backlog;
    let mut b = super::sample::reminder("lead");
    b.stage.late = backlog;
    b.stage.supporting = true;
    b.progress.url.clear();
    let items = [a, b];
    let mut g = context(&items).expect("two items");
    if backlog {
        g.office = OfficeCtx::default();
    }
    g
}
