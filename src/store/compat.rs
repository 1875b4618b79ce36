//! Convenience calls over [`Store`] for tests, benches and tools that act as one process: claim
//! and record under a fixed owner without building a [`Lease`] each time.
//!
//! May touch: the store it is given.

use jiff::Timestamp;

use super::{Lease, OutboxItem, Recorded, Store, StoreError};
use crate::service::cycle::LEASE_TTL;

/// The owner name [`StoreExt`] claims under.
pub const LOCAL_OWNER: &str = "local";

/// Single-process shorthands for [`Store::claim`] and [`Store::record`].
pub trait StoreExt {
    /// Claims up to `limit` due rows for [`LOCAL_OWNER`].
    ///
    /// # Errors
    /// As [`Store::claim`].
    fn claim_due(&mut self, now: Timestamp, limit: usize) -> Result<Vec<OutboxItem>, StoreError>;
    /// Records a send of a row claimed with [`StoreExt::claim_due`].
    ///
    /// # Errors
    /// As [`Store::record`].
    fn record_sent(&mut self, id: i64, now: Timestamp, detail: &str) -> Result<(), StoreError>;
    /// Records a transient failure, due again at `next_at`.
    ///
    /// # Errors
    /// As [`Store::record`].
    fn record_retry(
        &mut self,
        id: i64,
        now: Timestamp,
        next_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Records that a row is given up.
    ///
    /// # Errors
    /// As [`Store::record`].
    fn record_dead(&mut self, id: i64, now: Timestamp, error: &str) -> Result<(), StoreError>;
    /// Records that a row is deliberately not sent.
    ///
    /// # Errors
    /// As [`Store::record`].
    fn record_skipped(&mut self, id: i64, now: Timestamp, reason: &str) -> Result<(), StoreError>;
}

impl<S: Store + ?Sized> StoreExt for S {
    fn claim_due(&mut self, now: Timestamp, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let lease = Lease {
            owner: LOCAL_OWNER.into(),
            ttl: LEASE_TTL,
        };
        self.claim(&lease, now, limit)
    }
    fn record_sent(&mut self, id: i64, now: Timestamp, detail: &str) -> Result<(), StoreError> {
        let r = Recorded::Sent {
            id,
            detail: detail.into(),
            message: None,
        };
        self.record(LOCAL_OWNER, &r, now)
    }
    fn record_retry(
        &mut self,
        id: i64,
        now: Timestamp,
        next_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let r = Recorded::Retry {
            id,
            next_at,
            error: error.into(),
        };
        self.record(LOCAL_OWNER, &r, now)
    }
    fn record_dead(&mut self, id: i64, now: Timestamp, error: &str) -> Result<(), StoreError> {
        let r = Recorded::Dead {
            id,
            error: error.into(),
        };
        self.record(LOCAL_OWNER, &r, now)
    }
    fn record_skipped(&mut self, id: i64, now: Timestamp, reason: &str) -> Result<(), StoreError> {
        let r = Recorded::Skipped {
            id,
            reason: reason.into(),
        };
        self.record(LOCAL_OWNER, &r, now)
    }
}
