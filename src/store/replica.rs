//! What replicas tell each other through the store: heartbeats (who runs, which binary, which
//! plan) and the live list `dutybell status` shows.
//!
//! May touch: nothing (plain data).

use jiff::Timestamp;
use serde::Serialize;

/// One replica's heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The process (host:pid:start), as it claims rows.
    pub owner: String,
    /// The dutybell version it runs.
    pub version: String,
    /// Hash of the configuration it planned from.
    pub plan_hash: String,
    /// Generation of that configuration: configurations are numbered in the order the store
    /// first saw them, so a replica still on an older one can tell and stay out of planning.
    pub plan_gen: i64,
    /// When it started (its own clock).
    pub started_at: Timestamp,
}

/// A live replica as the store sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replica {
    /// The process.
    pub owner: String,
    /// Its dutybell version.
    pub version: String,
    /// Its configuration hash.
    pub plan_hash: String,
    /// Its configuration generation.
    pub plan_gen: i64,
    /// When it started.
    pub started_at: Timestamp,
    /// Its last heartbeat (database clock).
    pub last_seen: Timestamp,
    /// Whether it holds the leader lease.
    pub leader: bool,
}
