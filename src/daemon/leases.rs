//! The rows this process is sending, by send task, and their leases: renewed while the sends
//! wait or run, so a live process never loses a row to another replica (or to its own next
//! claim), and fenced: a send whose lease may have passed to another process is aborted before
//! it goes out.
//!
//! Why: a claim leases its rows for [`crate::service::cycle::LEASE_TTL`], but a send can wait
//! longer than any fixed lease (a DingTalk bot allows 20 messages a minute, so the hundredth
//! grouped message of a morning waits five minutes; a loaded machine renders slowly). Without
//! renewal the lease lapses under a live sender, another replica (or this one) claims the row
//! again, and both send it: the duplicate issue 16 forbids. With renewal the only duplicates
//! left are those of a holder that dies, or is cut off from the store for longer than its lease,
//! after sending and before recording.
//!
//! May touch: the store (renewals, through the loop's shared handle); the rest is bookkeeping.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use tokio::task::{AbortHandle, Id};

use super::{Loop, blocking};
use crate::dispatch::gate::SendGate;
use crate::store::{OutboxItem, Recorded};

/// What a send task returns: its id and every row's outcome.
pub type Finished = Result<(Id, Vec<(OutboxItem, Recorded)>), tokio::task::JoinError>;

/// How long before its lease ends a send may no longer start, and a send still waiting is
/// cancelled when renewals fail: the database clock may run a little ahead of ours.
pub fn margin(ttl: SignedDuration) -> SignedDuration {
    ttl / 6
}

/// After a failed renewal, the next try comes this long after (a twentieth of the lease, within
/// 50 ms and 5 s): soon enough to renew before the lease lapses once the store answers again,
/// and never the busy loop a renewal instant left in the past made while PostgreSQL restarted.
fn renewal_retry(ttl: SignedDuration) -> SignedDuration {
    (ttl / 20).clamp(
        SignedDuration::from_millis(50),
        SignedDuration::from_secs(5),
    )
}

/// A new send task's gate: leased from `now` for `ttl`.
pub fn gate(now: Timestamp, ttl: SignedDuration) -> Arc<SendGate> {
    SendGate::new(now.saturating_add(ttl).unwrap_or(now), margin(ttl))
}

/// One send task's rows and its gate (the lease's end as this process last set it, on its own
/// clock, and whether the message is on the wire).
struct Claim {
    rows: Vec<OutboxItem>,
    abort: AbortHandle,
    gate: Arc<SendGate>,
    /// Aborted (its rows are given back when the cancellation is joined): no longer renewed.
    aborted: bool,
}

impl Claim {
    /// Cancels the send unless its message is already on the wire: cancelling then would not
    /// unsend it, only hide that it went (see [`crate::dispatch::gate`]). Returns whether it did.
    fn abort(&mut self) -> bool {
        if self.gate.on_wire() {
            return false;
        }
        self.abort.abort();
        self.aborted = true;
        true
    }
}

/// The send tasks in flight and the rows each one holds.
#[derive(Default)]
pub struct Claims {
    tasks: HashMap<Id, Claim>,
    /// A renewal failed: the next try is not before then.
    retry_renewal_at: Option<Timestamp>,
}

impl Claims {
    /// Remembers that task `abort` sends `rows` under `gate` (from [`gate`]).
    pub fn insert(&mut self, rows: Vec<OutboxItem>, abort: AbortHandle, gate: Arc<SendGate>) {
        self.tasks.insert(
            abort.id(),
            Claim {
                rows,
                abort,
                gate,
                aborted: false,
            },
        );
    }

    /// Forgets task `id` (it finished); its rows.
    pub fn remove(&mut self, id: Id) -> Option<Vec<OutboxItem>> {
        self.tasks.remove(&id).map(|c| c.rows)
    }

    /// When the leases should next be renewed: a third of the way into the shortest one still
    /// held, so two renewals can fail before any lease lapses; after a failed renewal, not
    /// before its retry instant.
    pub fn next_renewal(&self, ttl: SignedDuration) -> Option<Timestamp> {
        let early = ttl.checked_mul(2).map_or(ttl, |d| d / 3);
        let at = self
            .live()
            .map(|c| {
                let until = c.gate.held_until();
                until.checked_sub(early).unwrap_or(until)
            })
            .min()?;
        Some(self.retry_renewal_at.map_or(at, |r| at.max(r)))
    }

    fn live(&self) -> impl Iterator<Item = &Claim> {
        self.tasks.values().filter(|c| !c.aborted)
    }

    /// The ids of every row in flight, when a renewal is due at `now`.
    pub fn due(&self, now: Timestamp, ttl: SignedDuration) -> Option<Vec<i64>> {
        let at = self.next_renewal(ttl)?;
        (now >= at).then(|| {
            self.live()
                .flat_map(|c| c.rows.iter().map(|r| r.id))
                .collect()
        })
    }

    /// The renewal at `now` succeeded except for `lost`: every lease runs `ttl` from now, and a
    /// task holding a lost row is aborted (another process owns that row now; the task's other
    /// rows are given back when its cancellation is recorded). Returns how many tasks were
    /// aborted.
    pub fn renewed(&mut self, now: Timestamp, ttl: SignedDuration, lost: &[i64]) -> usize {
        self.retry_renewal_at = None;
        let until = now.saturating_add(ttl).unwrap_or(now);
        let mut aborted = 0;
        for c in self.tasks.values_mut().filter(|c| !c.aborted) {
            // A send already on the wire is left to finish: the store discards the outcome of
            // its lost rows and records the rest.
            if c.rows.iter().any(|r| lost.contains(&r.id)) && c.abort() {
                aborted += 1;
            } else {
                c.gate.extend(until);
            }
        }
        aborted
    }

    /// The outcomes to record for a finished send task at `now`. A task cancelled before its
    /// message went on the wire sent nothing: its rows still held are given back without
    /// counting an attempt, and the lost ones' outcomes are discarded by the store. A task
    /// that panicked, or was cut off on the wire, is a failed attempt of each of its rows
    /// (one that may have delivered: recorded with its lease, so the audit counts it among the
    /// possible duplicates), retried in five minutes.
    pub fn outcomes(&mut self, done: Finished, now: Timestamp) -> Vec<(OutboxItem, Recorded)> {
        let err = match done {
            Ok((id, pairs)) => {
                self.remove(id);
                return pairs;
            }
            Err(err) => err,
        };
        let Some(claim) = self.tasks.remove(&err.id()) else {
            tracing::error!(
                "a send task failed and its rows are unknown; their leases will expire and they will be retried"
            );
            return Vec::new();
        };
        let (items, on_wire) = (claim.rows, claim.gate.on_wire());
        // Given back unsent only if nothing went out.
        let unsent = err.is_cancelled() && !on_wire;
        let error = match err.is_cancelled() {
            true => "interrupted while sending: it may have been delivered",
            false => {
                tracing::error!(
                    rows = items.len(),
                    on_wire,
                    "the send task panicked; recorded as a failure and retried"
                );
                "internal error: the send task panicked"
            }
        };
        let retry_at = now
            .saturating_add(SignedDuration::from_mins(5))
            .unwrap_or(now);
        items
            .into_iter()
            .map(|item| {
                let id = item.id;
                let r = match unsent {
                    true => Recorded::Deferred {
                        id,
                        next_at: now,
                        reason: "not sent: its claim lapsed or passed to another replica while it waited".into(),
                    },
                    false => Recorded::Retry {
                        id,
                        next_at: retry_at,
                        error: error.into(),
                    },
                };
                (item, r)
            })
            .collect()
    }

    /// A renewal at `now` failed (the store did not answer): the next try waits a little
    /// ([`renewal_retry`]), and sends still waiting whose lease ends within `margin` are
    /// aborted, because another replica may take their rows once it lapses (the lease is kept
    /// on the database's clock, which may run a little ahead of ours). Sends on the wire are
    /// left to finish ([`Claim::abort`]); one still waiting between two fences is stopped by its
    /// gate. Returns how many were aborted.
    pub fn fence(&mut self, now: Timestamp, ttl: SignedDuration) -> usize {
        self.retry_renewal_at = now.checked_add(renewal_retry(ttl)).ok();
        let margin = margin(ttl);
        let mut aborted = 0;
        for c in self.tasks.values_mut().filter(|c| !c.aborted) {
            let until = c.gate.held_until();
            let limit = until.checked_sub(margin).unwrap_or(until);
            if now >= limit && !c.abort.is_finished() && c.abort() {
                aborted += 1;
            }
        }
        aborted
    }
}

impl Loop {
    /// Extends the leases of every row in flight when due ([`Claims`]); aborts a send whose row
    /// passed to another process, or whose lease is about to lapse while the store is unreachable.
    pub(super) async fn renew_leases(&mut self, now: Timestamp) {
        let ttl = self.lease_ttl;
        let Some(ids) = self.claims.due(now, ttl) else {
            return;
        };
        let owner = self.owner.clone();
        let count = ids.len();
        match blocking(&self.store, move |s| Ok(s.renew(&owner, &ids, now, ttl)?)).await {
            Ok(lost) => {
                let aborted = self.claims.renewed(now, ttl, &lost);
                tracing::debug!(rows = count, "leases renewed");
                if aborted > 0 {
                    tracing::warn!(
                        rows = lost.len(),
                        sends = aborted,
                        "leases lost while sending (this process stalled longer than the lease); those sends are cancelled and left to the new holder"
                    );
                }
            }
            Err(e) => {
                // Renewals start a third into the lease: two can fail before it lapses. The
                // margin covers the database clock running ahead of ours.
                let aborted = self.claims.fence(now, ttl);
                tracing::warn!(error = %format!("{e:#}"), sends_cancelled = aborted, "renewing the leases of sends in flight failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> OutboxItem {
        OutboxItem::sample(id)
    }

    async fn pending_task(set: &mut tokio::task::JoinSet<()>) -> AbortHandle {
        set.spawn(std::future::pending::<()>())
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[tokio::test]
    async fn renewal_is_due_a_third_into_the_lease_and_a_lost_row_aborts_its_task() {
        let ttl = SignedDuration::from_secs(300);
        let mut set = tokio::task::JoinSet::new();
        let mut claims = Claims::default();
        assert_eq!(claims.next_renewal(ttl), None);
        let a = pending_task(&mut set).await;
        let b = pending_task(&mut set).await;
        claims.insert(vec![row(1), row(2)], a.clone(), gate(t(0), ttl));
        claims.insert(vec![row(3)], b.clone(), gate(t(60), ttl));
        // 300 s lease claimed at 0: renew at 100 s (the earlier claim decides).
        assert_eq!(claims.next_renewal(ttl), Some(t(100)));
        assert_eq!(claims.due(t(99), ttl), None);
        let mut ids = claims.due(t(100), ttl).unwrap();
        ids.sort_unstable();
        assert_eq!(ids, vec![1, 2, 3]);
        // Row 3 was taken over: its task is aborted, the other lease runs from 100 s.
        assert_eq!(claims.renewed(t(100), ttl, &[3]), 1);
        assert!(!a.is_finished());
        tokio::task::yield_now().await;
        let done = set.join_next().await.unwrap();
        assert!(done.unwrap_err().is_cancelled());
        assert_eq!(claims.remove(b.id()).map(|r| r.len()), Some(1));
        assert_eq!(claims.next_renewal(ttl), Some(t(200)));
    }

    #[tokio::test]
    async fn a_failed_renewal_aborts_only_sends_whose_lease_is_about_to_lapse() {
        let ttl = SignedDuration::from_secs(300);
        let mut set = tokio::task::JoinSet::new();
        let mut claims = Claims::default();
        let old = pending_task(&mut set).await;
        let new = pending_task(&mut set).await;
        claims.insert(vec![row(1)], old.clone(), gate(t(0), ttl));
        claims.insert(vec![row(2)], new.clone(), gate(t(200), ttl));
        assert_eq!(claims.fence(t(249), ttl), 0);
        // The first lease ends at 300 s: from 250 s it may lapse before we could send.
        assert_eq!(claims.fence(t(250), ttl), 1);
        let done = set.join_next().await.unwrap();
        assert!(done.unwrap_err().is_cancelled());
        assert!(!new.is_finished());
    }

    #[tokio::test]
    async fn a_failed_renewal_is_retried_soon_not_at_once() {
        let ttl = SignedDuration::from_secs(300);
        let mut set = tokio::task::JoinSet::new();
        let mut claims = Claims::default();
        let a = pending_task(&mut set).await;
        claims.insert(vec![row(1)], a, gate(t(0), ttl));
        assert_eq!(claims.next_renewal(ttl), Some(t(100)));
        // Failed at 100 s: the renewal instant must not stay in the past (a busy loop).
        assert_eq!(claims.fence(t(100), ttl), 0);
        assert_eq!(claims.next_renewal(ttl), Some(t(105)));
        assert_eq!(claims.renewed(t(105), ttl, &[]), 0);
        assert_eq!(claims.next_renewal(ttl), Some(t(205)));
        // A 2 s lease (the replica tests) retries after 100 ms.
        assert_eq!(
            renewal_retry(SignedDuration::from_secs(2)),
            SignedDuration::from_millis(100)
        );
    }

    #[tokio::test]
    async fn a_send_on_the_wire_is_never_aborted_and_if_cut_off_counts_as_an_attempt() {
        let ttl = SignedDuration::from_secs(300);
        let mut set = tokio::task::JoinSet::new();
        let mut claims = Claims::default();
        let (wire, waiting) = (gate(t(0), ttl), gate(t(0), ttl));
        let a = pending_task(&mut set).await;
        let b = pending_task(&mut set).await;
        claims.insert(vec![row(1), row(2)], a.clone(), wire.clone());
        claims.insert(vec![row(3)], b.clone(), waiting.clone());
        assert!(wire.enter(t(10)), "the first send went out at 10 s");
        // The store is unreachable near the end of both leases: only the waiting send stops.
        assert_eq!(claims.fence(t(260), ttl), 1);
        assert!(!waiting.enter(t(260)), "its gate refuses too");
        tokio::task::yield_now().await;
        assert!(!a.is_finished());
        // Row 1 was taken over after all: the send on the wire is still left to finish.
        assert_eq!(claims.renewed(t(261), ttl, &[1]), 0);
        let unsent = set.join_next_with_id().await.unwrap();
        let given_back = claims.outcomes(unsent.map(|(id, ())| (id, Vec::new())), t(262));
        assert!(matches!(
            given_back[..],
            [(_, Recorded::Deferred { id: 3, .. })]
        ));
        // Cut off on the wire anyway (a shutdown's abort): an attempt that may have delivered.
        a.abort();
        let cut = set.join_next_with_id().await.unwrap();
        let outcomes = claims.outcomes(cut.map(|(id, ())| (id, Vec::new())), t(263));
        assert_eq!(outcomes.len(), 2);
        for (_, r) in &outcomes {
            assert!(
                matches!(r, Recorded::Retry { error, .. } if error.contains("may have been delivered")),
                "{r:?}"
            );
        }
    }
}
