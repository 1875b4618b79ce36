//! The send gate: the last check before a claimed message goes on the wire, and the mark that it
//! has gone. One gate per send task; the daemon's loop moves its lease end on every claim and
//! renewal, and the dispatcher asks it right before calling the channel.
//!
//! Why (a CI run of `pg_faults`, PostgreSQL restarted while two replicas sent): when the store is
//! unreachable the loop cannot renew leases, so it cancelled sends whose lease was about to
//! lapse. A send cancelled while its request was already at the vendor had delivered all the
//! same, yet its rows were given back as "not sent" and went out again: duplicates that no
//! lease takeover explained. Cancelling cannot recall bytes on the wire, and a send waiting for
//! its turn may start after the loop last looked. So the decision moved here, to the moment of
//! sending: a send whose lease may lapse does not start (its rows are given back unsent), a send
//! that started is never cancelled by a lease (if its lease lapses meanwhile, another replica's
//! takeover is recorded and bounds the duplicate), and a send cut off mid-request anyway (a
//! panic, shutdown) is recorded as an attempt that may have delivered.
//!
//! May touch: nothing but its own atomics (the caller passes the clock's `now`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// One send task's lease end and whether its message has gone on the wire.
#[derive(Debug)]
pub struct SendGate {
    /// The lease's end as this process last set it (claim or renewal), in ms since the epoch.
    held_until_ms: AtomicI64,
    /// How long before the lease's end a send may no longer start (the database clock may run
    /// a little ahead of ours, and the request takes time).
    margin: SignedDuration,
    on_wire: AtomicBool,
}

impl SendGate {
    /// A gate for rows leased until `held_until`; sends start only until `margin` before it.
    pub fn new(held_until: Timestamp, margin: SignedDuration) -> Arc<Self> {
        Arc::new(Self {
            held_until_ms: AtomicI64::new(held_until.as_millisecond()),
            margin,
            on_wire: AtomicBool::new(false),
        })
    }

    /// The lease was renewed (or the claim made) until `until`.
    pub fn extend(&self, until: Timestamp) {
        self.held_until_ms
            .store(until.as_millisecond(), Ordering::Release);
    }

    /// The lease's end as last set.
    pub fn held_until(&self) -> Timestamp {
        Timestamp::from_millisecond(self.held_until_ms.load(Ordering::Acquire))
            .unwrap_or(Timestamp::MIN)
    }

    /// Whether the message has started to go out (cancelling it now would not unsend it).
    pub fn on_wire(&self) -> bool {
        self.on_wire.load(Ordering::Acquire)
    }

    /// Asked right before the channel is called at `now`: true (and marked on the wire) while
    /// the lease runs beyond `now + margin`; false when the send must not start.
    pub fn enter(&self, now: Timestamp) -> bool {
        let last_start = self
            .held_until()
            .checked_sub(self.margin)
            .unwrap_or(Timestamp::MIN);
        if now >= last_start {
            return false;
        }
        self.on_wire.store(true, Ordering::Release);
        true
    }
}

tokio::task_local! {
    static GATE: Arc<SendGate>;
}

/// Runs a send task's future under `gate`: every dispatch inside it asks the gate before
/// sending. (A task-local rather than a parameter: the gate belongs to the daemon's leases, and
/// the channels, renderers and CLI sends between the two know nothing of leases.)
pub async fn guarded<F: Future>(gate: Arc<SendGate>, f: F) -> F::Output {
    GATE.scope(gate, f).await
}

/// The dispatcher's question at `now`: may this send start? Always yes outside [`guarded`] (a
/// CLI send, a test sending directly: no lease to lose).
pub(super) fn may_start(now: Timestamp) -> bool {
    GATE.try_with(|g| g.enter(now)).unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_800_000_000_000 + ms).unwrap()
    }

    #[test]
    fn a_send_starts_only_before_the_margin_and_is_then_on_the_wire() {
        let g = SendGate::new(t(2_000), SignedDuration::from_millis(300));
        assert!(!g.on_wire());
        assert!(!g.enter(t(1_700)), "at the margin: refused");
        assert!(!g.enter(t(5_000)), "after the lease: refused");
        assert!(!g.on_wire(), "a refused send is not on the wire");
        assert!(g.enter(t(1_699)));
        assert!(g.on_wire());
    }

    #[test]
    fn a_renewal_moves_the_last_start() {
        let g = SendGate::new(t(2_000), SignedDuration::from_millis(300));
        assert!(!g.enter(t(1_800)));
        g.extend(t(4_000));
        assert_eq!(g.held_until(), t(4_000));
        assert!(g.enter(t(1_800)));
    }

    #[tokio::test]
    async fn outside_a_guarded_task_every_send_may_start() {
        assert!(may_start(t(0)));
        let g = SendGate::new(t(1_000), SignedDuration::ZERO);
        let inside = guarded(g.clone(), async { may_start(t(2_000)) }).await;
        assert!(!inside, "inside: the task's gate answers");
        assert!(!g.on_wire());
        assert!(guarded(g.clone(), async { may_start(t(500)) }).await);
        assert!(g.on_wire());
    }
}
