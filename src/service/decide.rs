//! The office's decisions on a unit's requests (issue 13): confirm or refuse (退办) a 办结,
//! grant or refuse a 延期. Each decision is one store transaction with its audit line and, for a
//! refusal, the message to the unit; a granted 延期 then re-plans so the moved ladder is stored.
//!
//! May touch: the store through the trait. `now` is a parameter.

use jiff::Timestamp;
use serde_json::json;

use super::desk::DeskError;
use crate::loader::Loaded;
use crate::notify::{Colour, Mailbox, MessageKind, Notification, Recipients};
use crate::store::{
    DecisionEffect, NewAudit, NewReminder, Request, RequestDecision, RequestKind, RequestState,
    Store,
};

/// What the office decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// 办结 confirmed.
    Confirm,
    /// 退办 (or 延期 not granted), with the reason sent to the unit.
    Refuse {
        /// The reason (required).
        reason: String,
    },
    /// 延期 granted to the date the unit asked for.
    Grant,
}

/// Applies `verdict` to request `id` as office user `actor` from `address`.
///
/// # Errors
/// [`DeskError::Invalid`] for a verdict that does not fit the request (granting a 办结, a
/// refusal without a reason) or a request already decided; store and re-plan errors.
pub fn decide(
    store: &mut dyn Store,
    e: &super::Engine,
    id: i64,
    verdict: &Verdict,
    actor: &str,
    address: &str,
    now: Timestamp,
) -> Result<Request, DeskError> {
    let l = &e.loaded;
    let req = store.request(id)?;
    if req.state != RequestState::Pending {
        return Err(DeskError::Invalid("该申请已处理".into()));
    }
    let (state, effect, note) = match (req.kind, verdict) {
        (RequestKind::Done, Verdict::Confirm) => (
            RequestState::Confirmed,
            DecisionEffect::CloseOccurrence,
            None,
        ),
        (RequestKind::Extend, Verdict::Grant) => match req.new_due {
            Some(d) => (RequestState::Granted, DecisionEffect::MoveDue(d), None),
            None => return Err(DeskError::Invalid("延期申请缺少日期".into())),
        },
        (kind, Verdict::Refuse { reason }) => {
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > super::desk::MAX_FIELD_CHARS {
                return Err(DeskError::Invalid("退回须填写理由（2000字以内）".into()));
            }
            let effect = match kind {
                RequestKind::Done => DecisionEffect::Release,
                RequestKind::Extend => DecisionEffect::Nothing,
            };
            (RequestState::Refused, effect, Some(reason.to_owned()))
        }
        _ => return Err(DeskError::Invalid("该操作不适用于此类申请".into())),
    };
    let messages = match &note {
        Some(reason) => {
            // The unit answers from its page: the message carries the link when links are on.
            let link = e
                .links
                .as_ref()
                .map(|s| s.unit_url(&req.unit, Some(&req.occurrence_key), now));
            refusal_messages(l, &req, reason, link.as_deref(), now)
        }
        None => Vec::new(),
    };
    let before = format!(
        "pending ({}) due {}",
        kind_zh(req.kind),
        due_text(store, &req)?
    );
    let after = match (&effect, &note) {
        (DecisionEffect::MoveDue(d), _) => format!("{} due {d}", state.as_str()),
        (_, Some(r)) => format!("{}: {r}", state.as_str()),
        _ => state.as_str().to_owned(),
    };
    let decision = RequestDecision {
        id,
        state,
        by: actor.to_owned(),
        note,
        effect: effect.clone(),
        audit: NewAudit {
            actor: actor.to_owned(),
            address: address.to_owned(),
            action: format!("request.{}", state.as_str()),
            subject: format!("request {id} ({})", req.occurrence_key),
            before,
            after,
        },
        messages,
    };
    let out = match store.decide_request(&decision, now) {
        Err(crate::store::StoreError::RequestDecided { .. }) => {
            return Err(DeskError::Invalid("该申请已处理".into()));
        }
        r => r?,
    };
    if matches!(effect, DecisionEffect::MoveDue(_)) {
        super::plan::sync(store, l, now, true).map_err(DeskError::Plan)?;
    }
    Ok(out)
}

fn kind_zh(k: RequestKind) -> &'static str {
    match k {
        RequestKind::Done => "申请办结",
        RequestKind::Extend => "申请延期",
    }
}

fn due_text(store: &dyn Store, req: &Request) -> Result<String, DeskError> {
    Ok(store
        .occurrence(&req.occurrence_key)?
        .and_then(|o| o.due_date)
        .map(|d| d.to_string())
        .unwrap_or_else(|| "-".into()))
}

/// The message telling the unit its request was refused, one outbox row per channel the unit
/// is reached on (rendered now: it is sent at once).
fn refusal_messages(
    l: &Loaded,
    req: &Request,
    reason: &str,
    link: Option<&str>,
    now: Timestamp,
) -> Vec<NewReminder> {
    let cat = &l.catalog;
    let title = cat
        .task(&req.task_id)
        .map(|t| super::super::render::context::short_title(t, None))
        .unwrap_or_default();
    let what = match req.kind {
        RequestKind::Done => "办结申请被退回（退办），该事项继续办理，提醒恢复",
        RequestKind::Extend => "延期申请未获批准，仍按原截止日期办理",
    };
    let subject = format!("【督办·{}】{} {title}", kind_zh(req.kind), req.task_id);
    // No occurrence key here: ids such as `2.2@2026-09` are the office's, not the unit's.
    let answer = match link {
        Some(url) => format!("请按要求补充完善后，打开以下链接重新报送：\n{url}\n"),
        None => "请按要求补充完善后，通过督办提醒中的链接重新报送。\n".to_owned(),
    };
    let text = format!(
        "{}：\n\n任务 {} {title} 的{what}。\n退回理由：{reason}\n\n{answer}",
        cat.name_of(&req.unit),
        req.task_id,
    );
    let mut to = Vec::new();
    if let Some(u) = cat.unit(&req.unit) {
        to.extend(u.email.iter().map(|e| Mailbox {
            name: Some(u.name.clone()),
            email: e.clone(),
        }));
    }
    let n = Notification {
        id: format!("web|refused|{}", req.id),
        thread: format!("{}|{}", req.task_id, req.occurrence_key),
        kind: MessageKind::Decision,
        colour: Colour::Yellow,
        subject,
        text: text.clone(),
        html: None,
        markdown: text,
        recipients: Recipients {
            to,
            ..Recipients::default()
        },
        data: json!({ "request": req.id, "refused": reason, "occurrence": req.occurrence_key }),
        attempt_at: 0,
    };
    let Ok(message) = serde_json::to_string(&n) else {
        return Vec::new();
    };
    crate::schedule::route::channels_for(cat, &req.unit)
        .into_iter()
        .map(|channel| NewReminder {
            dedupe_key: format!("web|refused|{}|{}|{channel}", req.id, req.unit),
            occurrence_key: req.occurrence_key.clone(),
            task_id: req.task_id.clone(),
            stage: "web-refused".into(),
            kind: MessageKind::Decision,
            recipient: req.unit.clone(),
            channel,
            fire_at: now,
            message: Some(message.clone()),
        })
        .collect()
}
