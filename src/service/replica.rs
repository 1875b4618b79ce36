//! Several replicas on one shared store: who plans (the leader), what each one tells the others
//! (heartbeats), and the rule that a replica still on an older configuration never overwrites a
//! newer plan.
//!
//! May touch: the store through the trait. Pure otherwise; `now` is not needed (leases and
//! heartbeats expire on the database's clock).
//!
//! Configuration generations: the store numbers each configuration hash the first time any
//! replica reports it (`meta` keys `config_gen:<hash>` and `config_gen_latest`). During a rolling
//! update the replicas that already have the new configuration report a higher generation; a
//! leader that sees a live replica with a higher generation than its own warns and leaves the
//! plan alone (it keeps dispatching: rows are rendered at send time from their identity, so any
//! replica can send any row). Once every live replica runs the same configuration, planning
//! resumes; stopping the newer replicas is how an operator rolls back.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use crate::loader::Loaded;
use crate::store::{Heartbeat, Replica, Store, StoreError};

/// How long the leader lease lasts without renewal.
pub const LEADER_TTL: SignedDuration = SignedDuration::from_secs(60);

/// How often a replica on a shared store renews its heartbeat and lease (well inside the TTL,
/// so one slow turn does not hand leadership over).
pub const HEARTBEAT_EVERY: SignedDuration = SignedDuration::from_secs(20);

/// A hash of the configuration a replica plans from (catalog and calendar; not the window).
pub fn config_hash(l: &Loaded) -> String {
    let mut h = Sha256::new();
    h.update(format!("{:?}", l.catalog).as_bytes());
    h.update(format!("{:?}", l.calendar).as_bytes());
    h.finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The generation of configuration `hash`, numbering it if the store has not seen it.
///
/// # Errors
/// A store error.
pub fn config_generation(store: &mut dyn Store, hash: &str) -> Result<i64, StoreError> {
    let key = format!("config_gen:{hash}");
    if let Some(g) = store.meta(&key)?.and_then(|v| v.parse().ok()) {
        return Ok(g);
    }
    // Replicas started together with one configuration race here: each draws a number (atomic,
    // so two new configurations never share one), and the first to store it for this hash wins.
    // Read-then-write let them number the same hash 1 and 2, and the leader, seeing "a newer
    // configuration", stopped planning for good (CI saw it as a replica test that never sent).
    let drawn = store.meta_count("config_gen_latest")?;
    let stored = store.meta_first(&key, &drawn.to_string())?;
    stored.parse().map_err(|_| {
        StoreError::Database(format!("meta {key} holds {stored:?}, not a generation number").into())
    })
}

/// What one heartbeat found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// This replica holds the leader lease.
    pub leader: bool,
    /// A live replica runs a newer configuration (this one must not plan).
    pub newer: Option<Replica>,
}

/// Renews this replica's heartbeat and tries to lead.
///
/// # Errors
/// A store error (the caller then acts as a follower until the next beat).
pub fn beat(
    store: &mut dyn Store,
    owner: &str,
    started: Timestamp,
    plan: (&str, i64),
) -> Result<Standing, StoreError> {
    let beat = Heartbeat {
        owner: owner.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        plan_hash: plan.0.to_owned(),
        plan_gen: plan.1,
        started_at: started,
    };
    store.heartbeat(&beat, LEADER_TTL)?;
    let leader = store.try_lead(owner, LEADER_TTL)?;
    let newer = store
        .replicas()?
        .into_iter()
        .find(|r| r.plan_gen > plan.1 && r.owner != owner);
    Ok(Standing { leader, newer })
}
