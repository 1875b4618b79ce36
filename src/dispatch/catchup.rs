//! Downtime catch-up: what to do with rows that fell due while the daemon was not running.
//! Pure: takes the claimed rows, `now` and the policy; returns which to send and which to skip.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::catalog::CatchUp;
use crate::store::OutboxItem;

/// Rows due longer ago than this count as missed during downtime (a busy minute does not).
pub const MISSED_AFTER: SignedDuration = SignedDuration::from_mins(15);

/// Per message kind catch-up policy.
#[derive(Debug, Clone, PartialEq)]
pub struct CatchUpPolicy {
    /// Default for every kind.
    pub default: CatchUp,
    /// Missed rows older than this are skipped under `late` (and always under `skip`).
    pub grace: SignedDuration,
    /// Overrides by kind (`lead`, `overdue`, `digest`, …).
    pub per_kind: BTreeMap<String, CatchUp>,
}

impl Default for CatchUpPolicy {
    fn default() -> Self {
        Self {
            default: CatchUp::Late,
            grace: SignedDuration::from_hours(14 * 24),
            per_kind: BTreeMap::new(),
        }
    }
}

impl CatchUpPolicy {
    fn for_item(&self, item: &OutboxItem) -> CatchUp {
        let kind = serde_json::to_value(item.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.per_kind.get(&kind).copied().unwrap_or(self.default)
    }
}

/// The verdict on a batch of claimed rows.
#[derive(Debug, Default, PartialEq)]
pub struct CatchUpVerdict {
    /// Send these; `true` marks a late send (the message says 补发).
    pub send: Vec<(OutboxItem, bool)>,
    /// Skip these, with the reason recorded.
    pub skip: Vec<(OutboxItem, String)>,
}

/// Apply the policy. Under `late`, of several missed rows for the same occurrence, recipient and
/// channel only the most recent is sent ("send once, marked late"); the others are skipped as
/// superseded. Rows that are not missed (due within [`MISSED_AFTER`]) are always sent.
pub fn apply(items: Vec<OutboxItem>, now: Timestamp, p: &CatchUpPolicy) -> CatchUpVerdict {
    let mut v = CatchUpVerdict::default();
    let mut latest: BTreeMap<(String, String, String), OutboxItem> = BTreeMap::new();
    for item in items {
        // A retry's lateness is the retry policy's business, not downtime's.
        let missed = item.attempts <= 1 && now.duration_since(item.fire_at) > MISSED_AFTER;
        if !missed {
            v.send.push((item, false));
            continue;
        }
        let age = now.duration_since(item.fire_at);
        match p.for_item(&item) {
            CatchUp::All => v.send.push((item, true)),
            CatchUp::Skip => v
                .skip
                .push((item, "missed while dutybell was down (policy: skip)".into())),
            CatchUp::Late if age > p.grace => v.skip.push((
                item,
                format!(
                    "missed while dutybell was down, older than the grace of {}h",
                    p.grace.as_hours()
                ),
            )),
            CatchUp::Late => {
                let key = (
                    item.occurrence_key.clone(),
                    item.recipient.clone(),
                    item.channel.clone(),
                );
                match latest.remove(&key) {
                    Some(prev) if prev.fire_at >= item.fire_at => {
                        v.skip.push((item, superseded()));
                        latest.insert(key, prev);
                    }
                    Some(prev) => {
                        v.skip.push((prev, superseded()));
                        latest.insert(key, item);
                    }
                    None => {
                        latest.insert(key, item);
                    }
                }
            }
        }
    }
    v.send.extend(latest.into_values().map(|i| (i, true)));
    v
}

fn superseded() -> String {
    "missed while dutybell was down; superseded by a later reminder sent late".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::MessageKind;
    use crate::store::OutboxState;

    fn item(id: i64, occ: &str, kind: MessageKind, fire: &str) -> OutboxItem {
        let t: Timestamp = fire.parse().unwrap();
        OutboxItem {
            id,
            dedupe_key: format!("k{id}"),
            occurrence_key: occ.into(),
            task_id: "4.2".into(),
            stage: format!("s{id}"),
            kind,
            recipient: "catering".into(),
            channel: "file".into(),
            fire_at: t,
            state: OutboxState::Sending,
            attempts: 1,
            next_attempt_at: t,
            last_error: None,
            message: "{}".into(),
            late: false,
            plan_version: None,
            created_at: t,
            updated_at: t,
            sent_at: None,
        }
    }

    const NOW: &str = "2027-03-01T01:00:00Z";

    #[test]
    fn late_sends_only_the_latest_missed_reminder_per_occurrence() {
        let items = vec![
            item(1, "4.2@a", MessageKind::Lead, "2027-02-20T01:00:00Z"),
            item(2, "4.2@a", MessageKind::Lead, "2027-02-25T01:00:00Z"),
            item(3, "4.2@a", MessageKind::DueToday, "2027-02-28T01:00:00Z"),
            item(4, "4.3@a", MessageKind::Lead, "2027-03-01T00:55:00Z"),
        ];
        let v = apply(items, NOW.parse().unwrap(), &CatchUpPolicy::default());
        let sent: Vec<(i64, bool)> = v.send.iter().map(|(i, l)| (i.id, *l)).collect();
        assert_eq!(sent, vec![(4, false), (3, true)]);
        let skipped: Vec<i64> = v.skip.iter().map(|(i, _)| i.id).collect();
        assert_eq!(skipped, vec![1, 2]);
    }

    #[test]
    fn skip_all_and_grace() {
        let items = || {
            vec![
                item(1, "o", MessageKind::Lead, "2027-02-10T01:00:00Z"),
                item(2, "p", MessageKind::Lead, "2027-02-27T01:00:00Z"),
            ]
        };
        let now: Timestamp = NOW.parse().unwrap();
        let late = apply(items(), now, &CatchUpPolicy::default());
        assert_eq!(
            (late.send.len(), late.skip.len()),
            (1, 1),
            "the 19-day-old one is past the 14-day grace"
        );
        let skip = CatchUpPolicy {
            default: CatchUp::Skip,
            ..CatchUpPolicy::default()
        };
        assert_eq!(apply(items(), now, &skip).send.len(), 0);
        let all = CatchUpPolicy {
            default: CatchUp::All,
            ..CatchUpPolicy::default()
        };
        assert_eq!(apply(items(), now, &all).send.len(), 2);
        let mut per = CatchUpPolicy::default();
        per.per_kind.insert("lead".into(), CatchUp::Skip);
        assert_eq!(apply(items(), now, &per).send.len(), 0);
    }
}
