//! The opening sentence of a reminder (`stage.headline`): what is asked of this recipient, in the
//! register of a 督办 notice. Computed here rather than in each template because a grouped
//! message ([`super::group`]) repeats it per item. Pure.
//!
//! Rules (issue 12): the unit doing the work is asked to act and report; a cooperating (配合) unit
//! is told who leads; a unit's own head is asked to urge; the bureau's leaders are asked to know
//! and urge (请知悉并督促), never to finish the work; the coordinating office (县食安办) is asked
//! to coordinate (请协调督促) a task another bureau or a township leads.

use super::context::ReminderContext;
use crate::notify::MessageKind;

/// The headline of `ctx` for a reminder of `kind`.
pub fn headline(kind: MessageKind, ctx: &ReminderContext) -> String {
    let short = &ctx.status.short;
    let leads = &ctx.units.lead_names;
    if ctx.stage.supporting {
        return format!(
            "本项工作由{leads}牵头，贵单位为配合单位，{short}，请配合牵头单位做好相关工作。"
        );
    }
    match kind {
        MessageKind::CampaignOpening => {
            // Name the kind of work (宣传周, not 专项整治) unless the heading next to this line
            // already does (`…宣传周` then `宣传周今日启动` read doubled in the year scan).
            let a = &ctx.occurrence.activity;
            let what = if ctx.occurrence.heading.contains(a.as_str()) {
                "本项工作"
            } else {
                a.as_str()
            };
            format!("{what}{short}，请按落实措施组织开展，并及时报送工作进展。")
        }
        MessageKind::Lead => format!("本项工作{short}，请抓紧落实，并按时报送工作进展。"),
        MessageKind::DueToday => "本项工作今天截止，请确认完成情况并及时报送进展。".into(),
        MessageKind::Overdue => format!("本项工作{short}，请抓紧办理，并及时反馈办理情况。"),
        MessageKind::Escalation => match ctx.recipient.kind.as_str() {
            "head" => format!("贵单位牵头的本项工作{short}，请督促抓紧办理，并及时反馈办理情况。"),
            "leaders" => {
                format!("本项工作{short}，特报请知悉，并请督促承办单位（{leads}）抓紧办理。")
            }
            "coordinator" => format!(
                "本项工作由{leads}牵头，{short}，请协调督促牵头单位抓紧办理并反馈办理情况。"
            ),
            _ => {
                format!("本项工作{short}，已提请有关负责同志关注，请抓紧办理，并及时反馈办理情况。")
            }
        },
        MessageKind::Checkin => format!("{}。", ctx.status.long),
        MessageKind::Digest
        | MessageKind::Decision
        | MessageKind::OperatorAlert
        | MessageKind::Test => String::new(),
    }
}
