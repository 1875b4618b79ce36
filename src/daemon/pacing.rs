//! When the loop's next turn comes: the earliest instant something is due (a row, a re-plan, a
//! digest, a periodic job, a heartbeat, a lease renewal), held back after failures so the loop
//! never spins, and brought forward while outcomes wait in memory to be recorded.
//!
//! May touch: nothing (pure; `Loop::turn` gathers the instants).

use jiff::{SignedDuration, Timestamp};

use super::storage;

/// The instants a turn found, and what went wrong in it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Turn {
    /// The turn's clock reading.
    pub now: Timestamp,
    /// Whether this process plans (the only replica, or the leader).
    pub lead: bool,
    /// When the plan is next re-synced: counts only for a process that plans. A follower's is
    /// stale (its start), and counting it made a follower spin, turn after turn, for as long as
    /// it followed.
    pub next_replan: Timestamp,
    /// A SQLite storage fault (disk full, read-only) this turn.
    pub storage_fault: bool,
    /// Turns in a row whose claim failed.
    pub failed_claims: u32,
    /// Outcomes kept in memory, not yet recorded.
    pub unrecorded: bool,
    /// The claim lease.
    pub lease_ttl: SignedDuration,
}

/// The next turn's instant, given the other instants something is due (`None`: nothing).
pub(super) fn next_turn(t: &Turn, due: &[Option<Timestamp>]) -> Timestamp {
    let until = due
        .iter()
        .copied()
        .chain([t.lead.then_some(t.next_replan)])
        .flatten()
        .min()
        .unwrap_or(t.next_replan);
    let after = |d: SignedDuration| t.now.saturating_add(d).unwrap_or(t.now);
    match (t.storage_fault, t.failed_claims, t.unrecorded) {
        // A full or read-only disk: try again in a few seconds, not in a busy loop.
        (true, ..) => until.max(after(storage::RETRY)),
        (false, 0, false) => until,
        // A failed claim, or outcomes kept in memory (a server out of reach): try again after
        // the back-off, neither at once nor only at the next beat: a kept outcome must be
        // recorded before the lease it was sent under is taken over.
        (false, n, _) => after(claim_backoff(n.max(1), t.lease_ttl)),
    }
}

/// How long the loop waits before its next turn after `n` turns in a row failed to claim (a
/// PostgreSQL server out of reach, a restart, a bug): 100 ms, doubling, at most a sixth of the
/// lease (so a lease can still be renewed soon after the server is back) and 5 s. Without it a
/// failing claim was retried at once, hundreds of turns and error lines a second.
pub(super) fn claim_backoff(n: u32, ttl: SignedDuration) -> SignedDuration {
    let cap = (ttl / 6).min(SignedDuration::from_secs(5));
    let step = SignedDuration::from_millis(100)
        .checked_mul(1 << n.saturating_sub(1).min(10))
        .unwrap_or(cap);
    step.min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_800_000_000_000 + ms).unwrap()
    }

    fn turn(now: i64) -> Turn {
        Turn {
            now: t(now),
            lead: true,
            next_replan: t(3_600_000),
            storage_fault: false,
            failed_claims: 0,
            unrecorded: false,
            lease_ttl: SignedDuration::from_mins(5),
        }
    }

    #[test]
    fn the_earliest_instant_wins() {
        let x = turn(0);
        assert_eq!(
            next_turn(&x, &[Some(t(5_000)), None, Some(t(2_000))]),
            t(2_000)
        );
        assert_eq!(next_turn(&x, &[None]), t(3_600_000), "the re-plan");
    }

    #[test]
    fn a_follower_ignores_its_stale_replan_instant() {
        let mut x = turn(10_000);
        x.next_replan = t(0);
        assert_eq!(
            next_turn(&x, &[Some(t(12_000))]),
            t(0),
            "a leader re-plans now"
        );
        x.lead = false;
        assert_eq!(
            next_turn(&x, &[Some(t(12_000))]),
            t(12_000),
            "a follower waits for its beat"
        );
    }

    #[test]
    fn failures_hold_the_loop_back_and_kept_outcomes_bring_it_forward() {
        let mut x = turn(0);
        x.failed_claims = 1;
        assert_eq!(next_turn(&x, &[Some(t(0))]), t(100), "not at once");
        x.failed_claims = 4;
        assert_eq!(next_turn(&x, &[Some(t(0))]), t(800));
        x.failed_claims = 0;
        x.unrecorded = true;
        assert_eq!(
            next_turn(&x, &[Some(t(60_000))]),
            t(100),
            "not at the next beat"
        );
        x.storage_fault = true;
        assert_eq!(next_turn(&x, &[Some(t(0))]), t(5_000));
    }

    #[test]
    fn the_back_off_doubles_up_to_a_sixth_of_the_lease_and_5_s() {
        let five_min = SignedDuration::from_mins(5);
        let ms = |n, ttl| claim_backoff(n, ttl).as_millis();
        let table = [
            (1, 100),
            (2, 200),
            (3, 400),
            (6, 3_200),
            (7, 5_000),
            (40, 5_000),
        ];
        for (n, want) in table {
            assert_eq!(ms(n, five_min), want, "n = {n}");
        }
        let two_s = SignedDuration::from_secs(2);
        assert_eq!(ms(1, two_s), 100);
        assert_eq!(ms(3, two_s), 333);
    }
}
