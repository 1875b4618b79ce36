//! Downtime catch-up: what to do with rows that fell due while the daemon was not running.
//! Pure: takes every missed row (all of them, never one claim batch), `now`, the policy and the
//! grace cutoff (computed by the service in working or calendar days); returns which to skip.
//! Rows it keeps stay pending and go out with the next claim, flagged late (补发).

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::calendar::Offset;
use crate::catalog::CatchUp;
use crate::store::OutboxItem;

/// Rows due longer ago than this count as missed during downtime (a busy minute does not).
pub const MISSED_AFTER: SignedDuration = crate::model::JUST_DUE;

/// Per message kind catch-up policy.
#[derive(Debug, Clone, PartialEq)]
pub struct CatchUpPolicy {
    /// Default for every kind.
    pub default: CatchUp,
    /// Missed rows older than this are skipped under `late` (and always under `skip`).
    pub grace: Offset,
    /// Overrides by kind (`lead`, `overdue`, `digest`, …).
    pub per_kind: BTreeMap<String, CatchUp>,
}

impl Default for CatchUpPolicy {
    fn default() -> Self {
        Self {
            default: CatchUp::Late,
            grace: Offset::Days(14),
            per_kind: BTreeMap::new(),
        }
    }
}

impl CatchUpPolicy {
    /// The policy for `item`'s kind.
    pub fn for_item(&self, item: &OutboxItem) -> CatchUp {
        let kind = crate::render::kind_name(item.kind);
        self.per_kind.get(kind).copied().unwrap_or(self.default)
    }
}

/// The verdict on the missed rows.
#[derive(Debug, Default, PartialEq)]
pub struct CatchUpVerdict {
    /// Keep these pending: they go out with the next claim, marked late.
    pub send: Vec<OutboxItem>,
    /// Skip these, with the reason recorded.
    pub skip: Vec<(OutboxItem, String)>,
}

/// Apply the policy to every missed row. `cutoff` is the grace limit: a row that fired before it
/// is too old to send under `late`. Under `late`, of several missed rows for the same occurrence,
/// recipient and channel only the most recent is kept ("send once, marked late, the latest stage
/// that applies"); the others are skipped as superseded.
pub fn apply(items: Vec<OutboxItem>, cutoff: Timestamp, p: &CatchUpPolicy) -> CatchUpVerdict {
    let mut v = CatchUpVerdict::default();
    let mut latest: BTreeMap<(String, String, String), OutboxItem> = BTreeMap::new();
    for item in items {
        match p.for_item(&item) {
            CatchUp::All => v.send.push(item),
            CatchUp::Skip => v
                .skip
                .push((item, "missed while dutybell was down (policy: skip)".into())),
            CatchUp::Late if item.fire_at < cutoff => v.skip.push((
                item,
                format!(
                    "missed while dutybell was down, older than the grace of {}",
                    p.grace
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
    v.send.extend(latest.into_values());
    v
}

fn superseded() -> String {
    "missed while dutybell was down; superseded by a later reminder sent late".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::MessageKind;

    fn item(id: i64, occ: &str, kind: MessageKind, fire: &str) -> OutboxItem {
        let t: Timestamp = fire.parse().unwrap();
        OutboxItem {
            occurrence_key: occ.into(),
            kind,
            fire_at: t,
            next_attempt_at: t,
            message: "{}".into(),
            created_at: t,
            updated_at: t,
            ..OutboxItem::sample(id)
        }
    }

    /// 14 days before 2027-03-01T01:00Z.
    const CUTOFF: &str = "2027-02-15T01:00:00Z";

    #[test]
    fn late_keeps_only_the_latest_missed_reminder_per_occurrence() {
        let items = vec![
            item(1, "4.2@a", MessageKind::Lead, "2027-02-20T01:00:00Z"),
            item(2, "4.2@a", MessageKind::Lead, "2027-02-25T01:00:00Z"),
            item(3, "4.2@a", MessageKind::DueToday, "2027-02-28T01:00:00Z"),
            item(4, "4.3@a", MessageKind::Lead, "2027-03-01T00:40:00Z"),
        ];
        let v = apply(items, CUTOFF.parse().unwrap(), &CatchUpPolicy::default());
        let mut sent: Vec<i64> = v.send.iter().map(|i| i.id).collect();
        sent.sort();
        assert_eq!(sent, vec![3, 4]);
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
        let now: Timestamp = CUTOFF.parse().unwrap();
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
