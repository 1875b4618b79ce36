//! Grouping at claim time (issue 12, after Alertmanager's `group_by`): the outbox keeps one row
//! per reminder identity (at-least-once, idempotent), and the rows claimed together for the same
//! recipient on the same channel go out as ONE message listing every item. Every row's outcome is
//! recorded from that one send, so a crash mid-send re-sends the group (its rows are all leased
//! together and recovered together), never a mix.
//!
//! The grouping window is the claim: every reminder of a ladder fires at the ladder's time
//! (`09:00` by default), so one working morning's reminders are claimed at once; after downtime
//! the catch-up verdict's rows (补发) are claimed at once too and become one backlog summary
//! (截至今日仍未办结的N项) per recipient and channel instead of a flood.
//!
//! May touch: channels through the dispatcher. No SQL: the caller records what is returned.

use std::sync::Arc;

use jiff::Timestamp;

use super::Engine;
use super::send::{self, Prepared};
use crate::dispatch::Outcome;
use crate::notify::{MessageKind, Notification};
use crate::store::{OutboxItem, Recorded};

/// How many rows one claim may take, per free send slot: a group is one send, so a claim must see
/// a whole morning's rows (hundreds), not one slot's worth, or one recipient's items would be
/// split across messages.
pub const CLAIM_ROWS_PER_SLOT: usize = 64;

/// Splits claimed rows into groups: plan reminders rendered at send time group by (recipient,
/// channel); rows carrying their own message (digests, operator alerts) stay alone. Groups keep
/// the claim order of their first row.
pub fn group_claimed(items: Vec<OutboxItem>) -> Vec<Vec<OutboxItem>> {
    let mut groups: Vec<Vec<OutboxItem>> = Vec::new();
    let mut index: std::collections::HashMap<(String, String), usize> = Default::default();
    for item in items {
        if !groupable(&item) {
            groups.push(vec![item]);
            continue;
        }
        let key = (item.recipient.clone(), item.channel.clone());
        match index.get(&key) {
            Some(&i) => groups[i].push(item),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![item]);
            }
        }
    }
    groups
}

fn groupable(item: &OutboxItem) -> bool {
    item.needs_render()
        && !matches!(
            item.kind,
            MessageKind::Digest | MessageKind::OperatorAlert | MessageKind::Test
        )
}

/// A sent message's JSON, recorded with each row it covers (shared, not copied per row).
type Frozen = Arc<str>;

/// One group rendered and ready to go out: the outcomes already decided (rows no longer planned
/// or unrenderable) and the one message for the rest.
pub struct Ready {
    /// Rows recorded without a send.
    done: Vec<(OutboxItem, Recorded)>,
    /// The message, the row it is judged by, every row it covers and its frozen JSON.
    send: Option<(OutboxItem, Notification, Vec<OutboxItem>, Option<Frozen>)>,
}

/// Renders one group (CPU work, no I/O: the daemon runs it on a blocking thread so that a
/// morning's hundred renders never starve its loop, which must renew the leases in time). A
/// group of one is rendered exactly as a lone row ([`send::prepare`]); rows no longer planned or
/// unrenderable are recorded on their own and the rest still go out together.
pub fn prepare_group(e: &Engine, items: Vec<OutboxItem>, now: Timestamp) -> Ready {
    let mut out = Vec::new();
    let mut members = Vec::new();
    let mut rows = Vec::new();
    let lone = items.len() == 1;
    for item in items {
        let prepared = match lone {
            true => send::prepare(e, &item, now),
            false => match send::prepare_member(e, &item, now) {
                Ok(m) => {
                    members.push(m);
                    rows.push(item);
                    continue;
                }
                Err(p) => p,
            },
        };
        match prepared {
            Prepared::Send {
                notification,
                frozen,
            } => {
                let frozen = frozen.map(Arc::from);
                let send = Some((item.clone(), *notification, vec![item], frozen));
                return Ready { done: out, send };
            }
            Prepared::Skip(reason) => {
                tracing::info!(task = %item.task_id, stage = %item.stage, channel = %item.channel, outcome = "skipped", reason = %reason, "send");
                let id = item.id;
                out.push((item, Recorded::Skipped { id, reason }));
            }
            Prepared::Fail(error) => {
                tracing::error!(task = %item.task_id, stage = %item.stage, channel = %item.channel, outcome = "dead", error = %error, "send");
                let id = item.id;
                out.push((item, Recorded::Dead { id, error }));
            }
        }
    }
    let notification = match members.len() {
        0 => None,
        1 => members.pop().map(|m| m.single),
        _ => match crate::render::group::grouped(&e.renderer, members) {
            Ok(n) => Some(n),
            Err(err) => {
                let error = format!("cannot render the grouped message: {err}");
                out.extend(rows.drain(..).map(|i| {
                    let r = Recorded::Dead {
                        id: i.id,
                        error: error.clone(),
                    };
                    (i, r)
                }));
                None
            }
        },
    };
    let send = notification.map(|n| {
        let frozen = serde_json::to_string(&n).ok().map(Arc::from);
        let rep = representative(&rows);
        if rows.len() > 1 {
            tracing::info!(recipient = %rep.recipient, channel = %rep.channel, items = rows.len(), "grouped reminder");
        }
        (rep, n, rows, frozen)
    });
    Ready { done: out, send }
}

/// Sends a rendered group and returns every row's outcome: one send, recorded for each row.
pub async fn deliver_group(e: &Engine, ready: Ready) -> Vec<(OutboxItem, Recorded)> {
    let Ready { mut done, send } = ready;
    if let Some((rep, n, rows, frozen)) = send {
        let outcome = send::timed_deliver(e, &rep, n).await;
        done.extend(rows.into_iter().map(|i| {
            let r = recorded(i.id, &outcome, frozen.clone());
            (i, r)
        }));
    }
    done
}

/// The row the dispatcher judges the group by: the first row, with the group's most attempts,
/// earliest fire time and lateness, so retries and the age limit are never more lenient than
/// for any member alone, and the last error that records parts already sent (every member
/// recorded the same one; a part whose content changed since is sent again anyway).
fn representative(rows: &[OutboxItem]) -> OutboxItem {
    use crate::notify::webhook::parts;
    let mut rep = rows[0].clone();
    for r in rows {
        rep.attempts = rep.attempts.max(r.attempts);
        rep.fire_at = rep.fire_at.min(r.fire_at);
        rep.late |= r.late;
        if parts::sent_from(rep.last_error.as_deref()).is_empty() {
            rep.last_error.clone_from(&r.last_error);
        }
    }
    rep
}

/// One member's record of the group's one send.
fn recorded(id: i64, outcome: &Outcome, message: Option<Frozen>) -> Recorded {
    match outcome {
        Outcome::Sent(detail) => Recorded::Sent {
            id,
            detail: detail.clone(),
            message,
        },
        Outcome::Retry { at, error } => Recorded::Retry {
            id,
            next_at: *at,
            error: error.clone(),
        },
        Outcome::Dead(error) => Recorded::Dead {
            id,
            error: error.clone(),
        },
        Outcome::Deferred { at, reason } => Recorded::Deferred {
            id,
            next_at: *at,
            reason: reason.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OutboxState;

    fn row(id: i64, recipient: &str, channel: &str, message: &str) -> OutboxItem {
        OutboxItem {
            stage: "overdue-1".into(),
            recipient: recipient.into(),
            channel: channel.into(),
            state: OutboxState::Sending,
            attempts: 1,
            message: message.into(),
            ..OutboxItem::sample(id)
        }
    }

    #[test]
    fn rows_group_per_recipient_and_channel_and_snapshots_stay_alone() {
        let groups = group_claimed(vec![
            row(1, "food", "smtp", ""),
            row(2, "catering", "smtp", ""),
            row(3, "food", "smtp", ""),
            row(4, "food", "wecom", ""),
            row(5, "food", "smtp", "{\"digest\":1}"),
        ]);
        let ids: Vec<Vec<i64>> = groups
            .iter()
            .map(|g| g.iter().map(|i| i.id).collect())
            .collect();
        assert_eq!(ids, vec![vec![1, 3], vec![2], vec![4], vec![5]]);
    }

    #[test]
    fn every_member_records_the_one_send() {
        let at = Timestamp::UNIX_EPOCH;
        let o = Outcome::Retry {
            at,
            error: "timeout".into(),
        };
        assert!(matches!(
            recorded(7, &o, None),
            Recorded::Retry { id: 7, .. }
        ));
        let mut rows = vec![row(1, "food", "smtp", ""), row(2, "food", "smtp", "")];
        rows[1].attempts = 3;
        rows[1].late = true;
        let rep = representative(&rows);
        assert_eq!((rep.attempts, rep.late), (3, true));
    }
}
