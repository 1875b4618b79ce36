//! The volume budget (issue 12): how many reminder MESSAGES a plan would send one recipient on one
//! channel in one day, against `settings.volume_budget` (default one per working day, digests
//! aside). `dutybell check` and `dutybell plan` print what exceeds it, naming the tasks. Pure.
//!
//! Messages, not reminders: reminders to the same recipient and channel that fire at the same
//! instant are claimed together and go out as one grouped message (`service::group`), so a day's
//! messages are the distinct firing instants of its reminders. May touch: nothing.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::Date;

use super::Plan;
use crate::catalog::Catalog;
use crate::notify::MessageKind;

/// One recipient, channel and day over budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excess {
    /// Recipient id (`food`, `food#head`, `bureau_leaders`).
    pub recipient: String,
    /// Channel id.
    pub channel: String,
    /// The day.
    pub date: Date,
    /// Messages that day (distinct sending instants).
    pub messages: usize,
    /// The budget that applies.
    pub budget: u32,
    /// Task ids of the reminders that day, as numbers (1.4 before 1.10).
    pub tasks: Vec<String>,
}

impl std::fmt::Display for Excess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "volume budget: {} would get {} messages on {} via {} (budget {} a day); tasks {}",
            self.recipient,
            self.messages,
            self.date,
            self.channel,
            self.budget,
            self.tasks.join(", ")
        )
    }
}

/// Orders task ids as numbers: `4.10` after `4.9`.
fn numeric(id: &str) -> Vec<u64> {
    id.split('.')
        .map(|p| p.parse().unwrap_or(u64::MAX))
        .collect()
}

/// Every recipient, channel and day of `plan` whose reminder messages exceed the budget,
/// by day, recipient and channel. Operator alerts and digests are not reminders and not counted.
pub fn over_budget(cat: &Catalog, plan: &Plan) -> Vec<Excess> {
    type Day = (String, String, Date);
    let mut days: BTreeMap<Day, (BTreeSet<Timestamp>, BTreeSet<String>)> = BTreeMap::new();
    for r in &plan.reminders {
        if matches!(
            r.kind,
            MessageKind::Digest | MessageKind::OperatorAlert | MessageKind::Test
        ) {
            continue;
        }
        let e = days
            .entry((r.recipient.to_string(), r.channel.to_string(), r.date))
            .or_default();
        e.0.insert(r.at);
        e.1.insert(r.task_id.to_string());
    }
    let budget = &cat.settings.volume_budget;
    days.into_iter()
        .filter_map(|((recipient, channel, date), (instants, tasks))| {
            let limit = budget.of(&recipient);
            (instants.len() > limit as usize).then(|| {
                let mut tasks: Vec<String> = tasks.into_iter().collect();
                tasks.sort_by_key(|t| numeric(t));
                Excess {
                    recipient,
                    channel,
                    date,
                    messages: instants.len(),
                    budget: limit,
                    tasks,
                }
            })
        })
        .collect()
}

/// Recipient ids in `settings.volume_budget.recipients` that name no unit, head or group.
pub fn unknown_recipients(cat: &Catalog) -> Vec<String> {
    cat.settings
        .volume_budget
        .recipients
        .keys()
        .filter(|id| {
            let unit = id.strip_suffix(super::route::HEAD_SUFFIX).unwrap_or(id);
            cat.unit(unit).is_none() && cat.group(id).is_none()
        })
        .cloned()
        .collect()
}

/// The warning lines for `plan`: at most `max` excesses (the rest counted) and the unknown
/// recipients of the budget.
pub fn warnings(cat: &Catalog, plan: &Plan, max: usize) -> Vec<String> {
    let mut out: Vec<String> = unknown_recipients(cat)
        .into_iter()
        .map(|id| {
            format!("settings.volume_budget: unknown recipient `{id}` (a unit id, `UNIT#head` or a group id)")
        })
        .collect();
    let all = over_budget(cat, plan);
    out.extend(all.iter().take(max).map(ToString::to_string));
    if all.len() > max {
        out.push(format!(
            "volume budget: {} more days over budget (`dutybell plan --from … --to …` lists them)",
            all.len() - max
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Colour;
    use crate::schedule::Reminder;

    fn rem(task: &str, recipient: &str, hour: i8) -> Reminder {
        let date = jiff::civil::date(2026, 3, 2);
        Reminder {
            occurrence_key: format!("{task}@x").into(),
            task_id: task.into(),
            stage: "due".into(),
            kind: MessageKind::DueToday,
            colour: Colour::Yellow,
            date,
            at: date
                .at(hour, 0, 0, 0)
                .in_tz("Asia/Shanghai")
                .unwrap()
                .timestamp(),
            recipient: recipient.into(),
            supporting: false,
            channel: "file".into(),
            why: "".into(),
        }
    }

    fn catalog() -> Catalog {
        let l = crate::loader::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dutybell.yaml"),
            jiff::civil::date(2026, 3, 1).into(),
        )
        .unwrap();
        l.catalog
    }

    #[test]
    fn same_instant_is_one_message_and_other_times_exceed() {
        let mut cat = catalog();
        let mut plan = Plan {
            reminders: vec![
                rem("4.10", "food", 9),
                rem("4.9", "food", 9),
                rem("2.2", "catering", 9),
            ],
            ..Plan::default()
        };
        assert!(over_budget(&cat, &plan).is_empty());
        plan.reminders.push(rem("1.5", "food", 15));
        let ex = over_budget(&cat, &plan);
        assert_eq!(ex.len(), 1);
        assert_eq!(
            (ex[0].recipient.as_str(), ex[0].messages, ex[0].budget),
            ("food", 2, 1)
        );
        assert_eq!(ex[0].tasks, ["1.5", "4.9", "4.10"]);
        assert!(ex[0].to_string().contains("tasks 1.5, 4.9, 4.10"));
        cat.settings
            .volume_budget
            .recipients
            .insert("food".into(), 2);
        assert!(over_budget(&cat, &plan).is_empty());
        cat.settings
            .volume_budget
            .recipients
            .insert("nobody".into(), 2);
        assert_eq!(unknown_recipients(&cat), ["nobody"]);
    }
}
