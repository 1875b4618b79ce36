//! The daemon's side of running as one replica of several on a shared store (PostgreSQL): a
//! heartbeat every [`replica::HEARTBEAT_EVERY`] (`RunOptions::beat_every`), the leader lease,
//! and the gate in front of planning and digests. On a store the process has to itself (SQLite) there is no replica state and every
//! turn leads, exactly as before.
//!
//! May touch: the store (on its thread, through the service layer). The rules are in
//! [`crate::service::replica`].

use jiff::Timestamp;

use super::{Loop, blocking};
use crate::service::replica;

/// What a replica remembers between turns.
#[derive(Debug, Clone)]
pub(super) struct Replica {
    started: Timestamp,
    /// Hash and generation of the loaded configuration (recomputed after a reload).
    pub(super) plan: Option<(String, i64)>,
    leader: bool,
    warned_newer: bool,
    /// Failed heartbeats, for the log (`super::streak`).
    failing: super::streak::Streak,
}

impl Replica {
    pub(super) fn new(started: Timestamp) -> Self {
        Self {
            started,
            plan: None,
            leader: false,
            warned_newer: false,
            failing: super::streak::Streak::default(),
        }
    }
}

/// When the next heartbeat is due after a turn at `now`: also the moment expired outbox leases
/// are looked for (the PostgreSQL adapter cannot put a database-clock expiry on the caller's
/// clock, so `next_wakeup` leaves them out), hence never later than one lease TTL.
pub(super) fn next_beat(
    now: Timestamp,
    lease_ttl: jiff::SignedDuration,
    beat_every: jiff::SignedDuration,
) -> Timestamp {
    let every = beat_every.min(lease_ttl.max(jiff::SignedDuration::from_secs(1)));
    now.saturating_add(every).unwrap_or(now)
}

impl Loop {
    /// Beats and answers whether this process may plan and enqueue digests now. Always true when
    /// the store is not shared. On a store error the replica acts as a follower until the next
    /// beat (it keeps dispatching; planning waits).
    pub(super) async fn lead(&mut self) -> bool {
        let Some(rep) = self.replica.clone() else {
            return true;
        };
        let e = self.engine.clone();
        let owner = self.owner.clone();
        let r = blocking(&self.store, move |s| {
            let plan = match rep.plan {
                Some(p) => p,
                None => {
                    let hash = replica::config_hash(&e.loaded);
                    let g = replica::config_generation(s, &hash)?;
                    (hash, g)
                }
            };
            let standing = replica::beat(s, &owner, rep.started, (&plan.0, plan.1))?;
            Ok((plan, standing))
        })
        .await;
        let Some(state) = self.replica.as_mut() else {
            return true;
        };
        let now = self.clock.now();
        let (plan, standing) = match r {
            Ok(x) => x,
            Err(err) => {
                let log = state.failing.fail(now);
                let failures = state.failing.failures();
                if log {
                    tracing::error!(error = %format!("{err:#}"), failures, "heartbeat failed; not planning until one succeeds (logged again every 10 minutes while it lasts)");
                } else {
                    tracing::debug!(error = %format!("{err:#}"), failures, "heartbeat failed");
                }
                state.leader = false;
                return false;
            }
        };
        if let Some(end) = state.failing.clear(now) {
            tracing::info!(
                failures = end.failures,
                lasted_s = end.lasted.as_secs(),
                "heartbeat works again"
            );
        }
        if standing.leader != state.leader {
            tracing::info!(owner = %self.owner, leader = standing.leader, "leadership changed");
        }
        state.leader = standing.leader;
        state.plan = Some(plan.clone());
        match standing.newer {
            Some(newer) if standing.leader => {
                if !state.warned_newer {
                    tracing::warn!(
                        newer = %newer.owner,
                        newer_gen = newer.plan_gen,
                        own_gen = plan.1,
                        "a replica runs a newer configuration; this leader leaves the plan alone and keeps dispatching (update or reload its configuration)"
                    );
                }
                state.warned_newer = true;
                false
            }
            _ => {
                state.warned_newer = false;
                standing.leader
            }
        }
    }
}
