//! Enqueueing single outbox rows outside a plan sync: operator alerts and digests.
//!
//! May touch: the `outbox` table. Such rows have kinds that a plan sync never cancels.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, TransactionBehavior};

use super::sync::insert_reminder;
use crate::store::{NewReminder, OutboxState, StoreError};

use super::SqliteStore;

impl SqliteStore {
    /// Adds one pending row unless a row with the same dedupe key exists; returns whether it was
    /// added. Idempotent, so a digest tick or an alert repeated after a crash adds nothing.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub(super) fn enqueue_impl(
        &mut self,
        rem: &NewReminder,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row(
                "SELECT id FROM outbox WHERE dedupe_key = ?1",
                [&rem.dedupe_key],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            return Ok(false);
        }
        insert_reminder(&tx, rem, OutboxState::Pending, None, None, now.as_second())?;
        tx.commit()?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::MessageKind;
    use crate::store::PlanSet;
    use crate::store::{Store, StoreExt};

    fn alert(key: &str, at: Timestamp) -> NewReminder {
        NewReminder {
            dedupe_key: key.into(),
            occurrence_key: "operator".into(),
            task_id: "-".into(),
            stage: "dead".into(),
            kind: MessageKind::OperatorAlert,
            recipient: "operator".into(),
            channel: "file".into(),
            fire_at: at,
            message: Some("{}".into()),
        }
    }

    #[test]
    fn enqueue_is_idempotent_and_survives_a_plan_sync() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let now: Timestamp = "2027-02-20T01:00:00Z".parse().unwrap();
        let later: Timestamp = "2027-02-21T01:00:00Z".parse().unwrap();
        assert!(s.enqueue(&alert("op|1", later), now).unwrap());
        assert!(!s.enqueue(&alert("op|1", later), now).unwrap());
        let empty = PlanSet {
            version_hash: "v1".into(),
            horizon_start: None,
            horizon_end: "2028-01-01T00:00:00Z".parse().unwrap(),
            occurrences: vec![],
            reminders: vec![],
        };
        s.sync_plan(&empty, now).unwrap();
        let items = s.claim_due(later, 10).unwrap();
        assert_eq!(
            items.len(),
            1,
            "an operator alert is not cancelled by a plan sync"
        );
    }
}
