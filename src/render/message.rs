//! Builds whole [`Notification`]s: a reminder (context, recipients, structured data), an
//! operator alert, a test message. Pure: `today` and `now` are parameters.

use jiff::civil::Date;
use minijinja::value::{Serde, Value};
use serde_json::json;

use super::context::{
    self, OperatorCtx, RecipientCtx, ReminderContext, TestCtx, colour_name, zh_date,
};
use super::{RenderError, Rendered, Renderer, kind_name, status};
use crate::calendar::WorkCalendar;
use crate::catalog::{Catalog, Role, Task, Unit};
use crate::notify::{Colour, Mailbox, MessageKind, Notification, Recipients};
use crate::schedule::{Occurrence, Reminder};

/// Renders reminder `rem` about occurrence `occ` as it should be sent on `today`.
///
/// `late` marks a reminder sent after downtime (`【补发】`). `id` is `rem.dedupe_key()`, `thread`
/// is `{task}|{occurrence}`; `attempt_at` is 0 (the dispatcher sets it).
///
/// # Errors
/// [`RenderError::Unknown`] for a task or recipient missing from the catalog,
/// [`RenderError::Unsupported`] for digests and other non-reminder kinds,
/// [`RenderError::Template`] when a template fails.
pub fn notification(
    r: &Renderer,
    cat: &Catalog,
    cal: &WorkCalendar,
    occ: &Occurrence,
    rem: &Reminder,
    late: bool,
    today: Date,
) -> Result<Notification, RenderError> {
    let url = cat.settings.progress_url.as_deref();
    notification_linked(r, cat, cal, occ, rem, late, today, url)
}

/// [`notification`] with `progress.url` set to `link` (the unit's signed web link, issue 13)
/// instead of `settings.progress_url`.
///
/// # Errors
/// As [`notification`].
#[allow(clippy::too_many_arguments)] // the reminder's identity plus the one link; no natural group
pub fn notification_linked(
    r: &Renderer,
    cat: &Catalog,
    cal: &WorkCalendar,
    occ: &Occurrence,
    rem: &Reminder,
    late: bool,
    today: Date,
    link: Option<&str>,
) -> Result<Notification, RenderError> {
    let (ctx, recipients) = reminder_context(cat, cal, occ, rem, late, today, link)?;
    let out = r.render(kind_name(rem.kind), &Value::from(Serde(&ctx)))?;
    let data = data(&ctx, occ, rem);
    Ok(Notification {
        id: rem.dedupe_key(),
        thread: format!("{}|{}", rem.task_id, rem.occurrence_key),
        kind: rem.kind,
        colour: rem.colour,
        subject: out.subject,
        text: out.text,
        html: Some(out.html),
        markdown: out.markdown,
        recipients,
        data,
        attempt_at: 0,
    })
}

/// The template context and the recipients of one reminder (also one section of a grouped
/// message, [`super::group`]).
///
/// # Errors
/// As [`notification`].
pub fn reminder_context(
    cat: &Catalog,
    cal: &WorkCalendar,
    occ: &Occurrence,
    rem: &Reminder,
    late: bool,
    today: Date,
    link: Option<&str>,
) -> Result<(ReminderContext, Recipients), RenderError> {
    if matches!(
        rem.kind,
        MessageKind::Digest | MessageKind::OperatorAlert | MessageKind::Test
    ) {
        return Err(RenderError::Unsupported(rem.kind));
    }
    let task = cat.task(&rem.task_id).ok_or_else(|| RenderError::Unknown {
        what: format!("task {}", rem.task_id),
    })?;
    let (mut recipients, recipient) = recipients(cat, task, &rem.recipient)?;
    // Answers by email go to the 督办 office, not to the robot that sent the reminder.
    recipients.reply_to = cat.settings.reply_to.as_ref().map(|email| Mailbox {
        name: None,
        email: email.clone(),
    });
    let event = context::event_of(cat, task, occ);
    let mut ctx = ReminderContext {
        task: context::task_ctx(cat, task, occ.rule_index),
        occurrence: context::occurrence_ctx(occ, event.as_ref()),
        stage: context::stage_ctx(rem, late),
        status: status::status(cal, rem.kind, occ, event.as_ref(), today),
        recipient,
        units: context::units_ctx(cat, task),
        progress: context::progress_ctx(&task.id, link),
        today: zh_date(today),
        office: context::OfficeCtx::of(cat),
    };
    ctx.occurrence.heading = context::heading(
        &ctx.task.short_title,
        &ctx.occurrence.period_label,
        &ctx.occurrence.period,
    );
    ctx.stage.headline = super::wording::headline(rem.kind, &ctx);
    Ok((ctx, recipients))
}

/// `餐饮室负责人 张三`, or the head's name alone when it already says so (a placeholder such as
/// `食品室负责人` would otherwise read `食品室负责人 食品室负责人`).
pub fn head_name(unit: &str, head: &str) -> String {
    let title = format!("{unit}负责人");
    if head.starts_with(&title) || head.starts_with(unit) {
        head.to_owned()
    } else if head.ends_with("负责人") {
        // A placeholder with a short unit name (`测试站负责人` for 平罗县质量监督检验与计量测试站)
        // is a title, not a person: the full title once.
        title
    } else {
        format!("{title} {head}")
    }
}

/// `leaders` for the leadership group's units, `coordinator` for `settings.coordinator`, else
/// `unit`: the wording of an escalation depends on who can act (issue 12).
pub fn recipient_kind(cat: &Catalog, id: &str) -> &'static str {
    let s = &cat.settings;
    if s.coordinator
        .as_deref()
        .is_some_and(|c| c == id || cat.expand(c).iter().any(|u| u == id))
    {
        "coordinator"
    } else if s
        .leadership_group
        .as_deref()
        .is_some_and(|g| g == id || cat.expand(g).iter().any(|u| u == id))
    {
        "leaders"
    } else {
        "unit"
    }
}

fn mailboxes(unit: &Unit) -> Vec<Mailbox> {
    unit.email
        .iter()
        .map(|e| Mailbox {
            name: Some(unit.name.clone()),
            email: e.clone(),
        })
        .collect()
}

/// Email and chat recipients for a unit id, `{unit}#head`, or a group id (expanded).
fn recipients(
    cat: &Catalog,
    task: &Task,
    id: &str,
) -> Result<(Recipients, RecipientCtx), RenderError> {
    let unknown = || RenderError::Unknown {
        what: format!("recipient {id}"),
    };
    let mut rec = Recipients::default();
    if let Some(unit_id) = id.strip_suffix("#head") {
        let unit = cat.unit(unit_id).ok_or_else(unknown)?;
        let head = unit.head.as_ref().ok_or_else(unknown)?;
        let name = head_name(&unit.name, &head.name);
        rec.to.extend(head.email.iter().map(|e| Mailbox {
            name: Some(name.clone()),
            email: e.clone(),
        }));
        rec.mobiles.extend(head.mobile.iter().cloned());
        let ctx = RecipientCtx {
            id: id.to_owned(),
            name,
            is_head: true,
            kind: "head".into(),
            role: String::new(),
        };
        return Ok((rec, ctx));
    }
    let units: Vec<&Unit> = if let Some(u) = cat.unit(id) {
        vec![u]
    } else if cat.group(id).is_some() {
        cat.expand(id).iter().filter_map(|u| cat.unit(u)).collect()
    } else {
        return Err(unknown());
    };
    for u in &units {
        rec.to.extend(mailboxes(u));
        rec.mobiles
            .extend(u.head.iter().filter_map(|h| h.mobile.clone()));
    }
    let role = match cat.role_of(task, id) {
        Some(Role::Lead) => "lead",
        Some(Role::Cooperating) => "cooperating",
        None => "",
    };
    let ctx = RecipientCtx {
        id: id.to_owned(),
        name: cat.name_of(id).to_owned(),
        is_head: false,
        kind: recipient_kind(cat, id).into(),
        role: role.into(),
    };
    Ok((rec, ctx))
}

/// The structured fields for machine receivers (generic webhook `data`).
fn data(ctx: &ReminderContext, occ: &Occurrence, rem: &Reminder) -> serde_json::Value {
    json!({
        "task": { "id": ctx.task.id, "title": ctx.task.title, "short_title": ctx.task.short_title },
        "occurrence": occ.key,
        "period": occ.period_label,
        "stage": rem.stage,
        "kind": kind_name(rem.kind),
        "colour": colour_name(rem.colour),
        "due": occ.due.to_string(),
        "window": { "start": occ.window_start.to_string(), "end": occ.window_end.to_string() },
        "units": { "lead": ctx.units.lead, "cooperating": ctx.units.cooperating },
        "recipient": { "id": rem.recipient, "role": ctx.recipient.role },
        "supporting": rem.supporting,
        "late": ctx.stage.late,
        "status": ctx.status.long,
        "links": {
            "progress_url": (!ctx.progress.url.is_empty()).then_some(&ctx.progress.url),
        },
    })
}

fn short_hash(s: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(s.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An operator alert (dead letters, configuration trouble) for the operator channel.
///
/// Never fails: if an overridden template breaks, a plain built-in wording is used, because an
/// alert about trouble must still go out. `id` is `operator|<hash of the content>`; recipients
/// are empty (the caller adds them for an email operator channel).
pub fn operator_alert(r: &Renderer, subject_detail: &str, body: &str) -> Notification {
    let ctx = OperatorCtx {
        subject_detail: subject_detail.to_owned(),
        body: body.to_owned(),
    };
    let out = r
        .render("operator_alert", &Value::from(Serde(&ctx)))
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "operator_alert template failed; using the plain wording");
            let text = format!("督办提醒系统告警：{subject_detail}\n\n{body}\n");
            Rendered {
                subject: format!("【督办提醒·系统告警】{subject_detail}"),
                html: String::new(),
                markdown: text.clone(),
                text,
            }
        });
    Notification {
        id: format!(
            "operator|{}",
            short_hash(&format!("{subject_detail}\n{body}"))
        ),
        thread: "operator".into(),
        kind: MessageKind::OperatorAlert,
        colour: Colour::Red,
        subject: out.subject,
        text: out.text,
        html: Some(out.html).filter(|h| !h.is_empty()),
        markdown: out.markdown,
        recipients: Recipients::default(),
        data: json!({ "alert": subject_detail, "body": body }),
        attempt_at: 0,
    }
}

/// A `dutybell send-test` message for `channel_id`, sent at Unix time `now_unix`
/// (shown in the plan's zone `tz`). Clearly marked 测试消息; recipients are empty (the caller sets
/// them for email). `attempt_at` is `now_unix`.
///
/// # Errors
/// [`RenderError::Template`] when a `test.*` template fails.
pub fn test_message(
    r: &Renderer,
    channel_id: &str,
    now_unix: i64,
    tz: &jiff::tz::TimeZone,
) -> Result<Notification, RenderError> {
    let sent_at = jiff::Timestamp::from_second(now_unix)
        .map(|t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S (%Z)")
                .to_string()
        })
        .unwrap_or_else(|_| now_unix.to_string());
    let ctx = TestCtx {
        channel: channel_id.to_owned(),
        sent_at: sent_at.clone(),
    };
    let out = r.render("test", &Value::from(Serde(&ctx)))?;
    Ok(Notification {
        id: format!("test|{channel_id}|{now_unix}"),
        thread: format!("test|{channel_id}"),
        kind: MessageKind::Test,
        colour: Colour::Blue,
        subject: out.subject,
        text: out.text,
        html: Some(out.html),
        markdown: out.markdown,
        recipients: Recipients::default(),
        data: json!({ "test": true, "marker": "测试消息", "channel": channel_id, "sent_at": sent_at }),
        attempt_at: now_unix,
    })
}
