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

use jiff::{SignedDuration, Timestamp};
use tokio::task::{AbortHandle, Id};

use super::{Loop, blocking};
use crate::store::{OutboxItem, Recorded};

/// What a send task returns: its id and every row's outcome.
pub type Finished = Result<(Id, Vec<(OutboxItem, Recorded)>), tokio::task::JoinError>;

/// One send task's rows and how long this process knows it holds them.
struct Claim {
    rows: Vec<OutboxItem>,
    abort: AbortHandle,
    /// The lease's end as this process last set it (claim or renewal), on its own clock.
    held_until: Timestamp,
    /// Aborted (its rows are given back when the cancellation is joined): no longer renewed.
    aborted: bool,
}

impl Claim {
    fn abort(&mut self) {
        self.abort.abort();
        self.aborted = true;
    }
}

/// The send tasks in flight and the rows each one holds.
#[derive(Default)]
pub struct Claims {
    tasks: HashMap<Id, Claim>,
}

impl Claims {
    /// Remembers that task `abort` sends `rows`, leased at `now` for `ttl`.
    pub fn insert(
        &mut self,
        rows: Vec<OutboxItem>,
        abort: AbortHandle,
        now: Timestamp,
        ttl: SignedDuration,
    ) {
        let held_until = now.saturating_add(ttl).unwrap_or(now);
        self.tasks.insert(
            abort.id(),
            Claim {
                rows,
                abort,
                held_until,
                aborted: false,
            },
        );
    }

    /// Forgets task `id` (it finished); its rows.
    pub fn remove(&mut self, id: Id) -> Option<Vec<OutboxItem>> {
        self.tasks.remove(&id).map(|c| c.rows)
    }

    /// When the leases should next be renewed: a third of the way into the shortest one still
    /// held, so two renewals can fail before any lease lapses.
    pub fn next_renewal(&self, ttl: SignedDuration) -> Option<Timestamp> {
        let early = ttl.checked_mul(2).map_or(ttl, |d| d / 3);
        self.live()
            .map(|c| c.held_until.checked_sub(early).unwrap_or(c.held_until))
            .min()
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
        let until = now.saturating_add(ttl).unwrap_or(now);
        let mut aborted = 0;
        for c in self.tasks.values_mut().filter(|c| !c.aborted) {
            if c.rows.iter().any(|r| lost.contains(&r.id)) {
                c.abort();
                aborted += 1;
            } else {
                c.held_until = until;
            }
        }
        aborted
    }

    /// The outcomes to record for a finished send task at `now`. A task cancelled because a
    /// lease was lost sent nothing (or, cut mid-request, it is the bounded duplicate): its rows
    /// still held are given back without counting an attempt, and the lost ones' outcomes are
    /// discarded by the store. A task that panicked is a transient failure of each of its rows,
    /// retried in five minutes.
    pub fn outcomes(&mut self, done: Finished, now: Timestamp) -> Vec<(OutboxItem, Recorded)> {
        let err = match done {
            Ok((id, pairs)) => {
                self.remove(id);
                return pairs;
            }
            Err(err) => err,
        };
        let Some(items) = self.remove(err.id()) else {
            tracing::error!(
                "a send task failed and its rows are unknown; their leases will expire and they will be retried"
            );
            return Vec::new();
        };
        let cancelled = err.is_cancelled();
        if !cancelled {
            tracing::error!(
                rows = items.len(),
                "the send task panicked; recorded as a failure and retried"
            );
        }
        let retry_at = now
            .saturating_add(SignedDuration::from_mins(5))
            .unwrap_or(now);
        items
            .into_iter()
            .map(|item| {
                let id = item.id;
                let r = match cancelled {
                    true => Recorded::Deferred {
                        id,
                        next_at: now,
                        reason: "lease lost while waiting to send; sent by its new holder".into(),
                    },
                    false => Recorded::Retry {
                        id,
                        next_at: retry_at,
                        error: "internal error: the send task panicked".into(),
                    },
                };
                (item, r)
            })
            .collect()
    }

    /// A renewal at `now` failed (the store did not answer): tasks whose lease ends within
    /// `margin` are aborted, because another replica may take their rows once it lapses (the
    /// lease is kept on the database's clock, which may run a little ahead of ours). Returns how
    /// many were aborted.
    pub fn fence(&mut self, now: Timestamp, margin: SignedDuration) -> usize {
        let mut aborted = 0;
        for c in self.tasks.values_mut().filter(|c| !c.aborted) {
            let limit = c.held_until.checked_sub(margin).unwrap_or(c.held_until);
            if now >= limit && !c.abort.is_finished() {
                c.abort();
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
                let aborted = self.claims.fence(now, ttl / 6);
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
        claims.insert(vec![row(1), row(2)], a.clone(), t(0), ttl);
        claims.insert(vec![row(3)], b.clone(), t(60), ttl);
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
        let margin = SignedDuration::from_secs(50);
        let mut set = tokio::task::JoinSet::new();
        let mut claims = Claims::default();
        let old = pending_task(&mut set).await;
        let new = pending_task(&mut set).await;
        claims.insert(vec![row(1)], old.clone(), t(0), ttl);
        claims.insert(vec![row(2)], new.clone(), t(200), ttl);
        assert_eq!(claims.fence(t(249), margin), 0);
        // The first lease ends at 300 s: from 250 s it may lapse before we could send.
        assert_eq!(claims.fence(t(250), margin), 1);
        let done = set.join_next().await.unwrap();
        assert!(done.unwrap_err().is_cancelled());
        assert!(!new.is_finished());
    }
}
