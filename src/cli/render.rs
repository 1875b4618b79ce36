//! `dutybell render --task ID --stage STAGE [--channel KIND|ID] [--date DATE]`: print exactly what
//! would be sent for the first planned reminder of that task and stage, without sending. Email:
//! the complete RFC 5322 message; webhooks: the exact JSON body; file: the stored notification.

use clap::Args;
use jiff::Timestamp;
use jiff::civil::Date;

use super::CliError;
use crate::catalog::{ChannelKind, ChannelSpec, Flavour};
use crate::loader::Loaded;
use crate::notify::webhook::{dingtalk, feishu, generic, wecom};
use crate::notify::{Mailbox, Notification};
use crate::render::Renderer;
use crate::schedule::{self, Reminder};

/// `render` arguments.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Task id, e.g. 4.2.
    #[arg(long)]
    pub task: String,
    /// Stage or its prefix: open, lead (any lead-*), lead-14d, due, overdue, escalate, checkin, midpoint.
    #[arg(long)]
    pub stage: String,
    /// Render for this channel kind (smtp, wecom, dingtalk, feishu, generic, file) or channel id;
    /// default: the reminder's own channel.
    #[arg(long)]
    pub channel: Option<String>,
    /// Look for the first such reminder on or after this date (default today).
    #[arg(long)]
    pub date: Option<Date>,
}

fn find<'a>(plan: &'a schedule::Plan, a: &RenderArgs) -> Option<&'a Reminder> {
    plan.reminders.iter().find(|r| {
        *r.task_id == *a.task
            && (*r.stage == *a.stage || r.stage.starts_with(&format!("{}-", a.stage)))
    })
}

fn spec_for<'a>(l: &'a Loaded, rem: &Reminder, wanted: Option<&str>) -> Option<&'a ChannelSpec> {
    let c = &l.catalog;
    match wanted {
        None => c.channel(&rem.channel),
        Some(w) => c
            .channel(w)
            .or_else(|| c.channels.iter().find(|s| s.kind_name() == w)),
    }
}

pub(super) fn run(l: &Loaded, a: &RenderArgs, today: Date, now: Timestamp) -> Result<(), CliError> {
    let c = &l.catalog;
    if c.task(&a.task).is_none() {
        let hint = crate::config::diag::hint(&a.task, c.tasks.iter().map(|t| t.id.as_str()));
        return Err(CliError::Usage(format!("unknown task `{}`{hint}", a.task)));
    }
    let from = a.date.unwrap_or(today);
    let to = from.saturating_add(jiff::Span::new().days(i64::from(c.settings.horizon_days)));
    let plan = schedule::plan(c, &l.calendar, from, to);
    let rem = find(&plan, a).ok_or_else(|| {
        CliError::Usage(format!(
            "task {} has no `{}` reminder between {from} and {to}",
            a.task, a.stage
        ))
    })?;
    let occ = plan
        .occurrences
        .iter()
        .find(|o| *o.key == *rem.occurrence_key)
        .ok_or_else(|| {
            CliError::Runtime(anyhow::anyhow!("occurrence {} missing", rem.occurrence_key))
        })?;
    let spec = spec_for(l, rem, a.channel.as_deref()).ok_or_else(|| {
        CliError::Usage(format!(
            "no channel `{}` in the config",
            a.channel.as_deref().unwrap_or(&rem.channel)
        ))
    })?;
    let renderer = Renderer::new(c.settings.templates.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mut n = crate::render::notification(&renderer, c, &l.calendar, occ, rem, false, rem.date)
        .map_err(|e| CliError::Runtime(e.into()))?;
    n.attempt_at = now.as_second();
    eprintln!(
        "# {} {} → {} via {} ({}), due {}; {}",
        rem.task_id,
        rem.stage,
        rem.recipient,
        spec.id,
        spec.kind_name(),
        occ.due,
        rem.why
    );
    let out = body(spec, &n).map_err(CliError::Runtime)?;
    use std::io::Write;
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| CliError::Runtime(e.into()))?;
    Ok(())
}

/// The bytes a channel of this spec would put on the wire for `n` (signatures are left out when
/// their secret is not available here: the body is otherwise exact).
fn body(spec: &ChannelSpec, n: &Notification) -> anyhow::Result<Vec<u8>> {
    let pretty =
        |v: &serde_json::Value| -> anyhow::Result<Vec<u8>> { Ok(serde_json::to_vec_pretty(v)?) };
    match &spec.kind {
        ChannelKind::File { .. } => Ok(serde_json::to_vec_pretty(n)?),
        ChannelKind::Smtp {
            from_name,
            from_email,
            ..
        } => {
            let from = Mailbox {
                name: Some(from_name.clone()),
                email: from_email.clone(),
            };
            let host = crate::notify::email::message::host_of(&from).to_string();
            Ok(crate::notify::email::render_rfc5322(n, &from, &host)?)
        }
        ChannelKind::Webhook {
            flavour,
            keyword,
            mention_heads,
            ..
        } => match flavour {
            // A message sent as several requests (parts, a mention) prints as a JSON array.
            Flavour::Wecom => match wecom::bodies(n, *mention_heads).as_slice() {
                [one] => pretty(one),
                many => pretty(&serde_json::Value::from(many.to_vec())),
            },
            Flavour::Dingtalk => pretty(&dingtalk::body(n, keyword.as_deref(), *mention_heads)),
            Flavour::Feishu => {
                let cards: Vec<serde_json::Value> =
                    feishu::bodies(n, keyword.as_deref(), None, n.attempt_at)
                        .iter()
                        .map(|b| serde_json::from_slice(b))
                        .collect::<Result<_, _>>()?;
                match cards.as_slice() {
                    [one] => pretty(one),
                    many => pretty(&serde_json::Value::from(many.to_vec())),
                }
            }
            Flavour::Generic => pretty(&generic::body(n, n.attempt_at)?),
        },
    }
}
