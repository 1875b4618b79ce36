//! Recording send outcomes: an outcome that is not recorded leaves its row leased, and once the
//! lease expires the row is sent again. A store that cannot take writes for a while (a full disk,
//! a PostgreSQL server restarting or out of reach) gives the outcomes back at once; the daemon
//! keeps them in memory and records them at its next turns (`storage`), first thing, so that most
//! of those would-be duplicates become late records. Other errors are retried here for a few
//! seconds. The outcomes of the sends finished by one wake are recorded in ONE
//! transaction (`Store::record_many`, the group commit). A retry is safe: an outcome is written
//! only while this process still holds the lease, so an outcome that did reach the store before the connection broke is not written
//! twice (the retry finds the lease gone and the outcome is discarded with a warning).
//!
//! May touch: the store (on its thread), timers.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::blocking;
use crate::service::{Engine, cycle};
use crate::store::StoreThread;
use crate::store::{OutboxItem, Recorded};

/// Attempts before giving up (pauses of 0.25, 0.5, 1 and 2 s between them).
const ATTEMPTS: u32 = 5;

/// What could not be recorded: the last error and the outcomes left.
pub(super) type Unrecorded = (anyhow::Error, Vec<(OutboxItem, Recorded)>);

/// Records every outcome of `pairs` as `owner`, retrying the ones left after a store error.
/// Gives back what is still unrecorded at the end, at once when the store cannot take writes
/// ([`cannot_write`]).
pub(super) async fn record_all(
    store: &StoreThread,
    engine: &Arc<Engine>,
    owner: &str,
    mut pairs: Vec<(OutboxItem, Recorded)>,
    now: Timestamp,
) -> Option<Unrecorded> {
    for attempt in 1..=ATTEMPTS {
        let (e, owner) = (engine.clone(), owner.to_owned());
        let batch = std::mem::take(&mut pairs);
        // One transaction for the batch (group commit); on an error none of it was recorded.
        let r = blocking(store, move |s| {
            Ok(cycle::record_many(s, &e, &owner, &batch, now)
                .err()
                .map(|err| (err, batch)))
        })
        .await;
        match r {
            Ok(None) => return None,
            Ok(Some((err, left))) if attempt < ATTEMPTS && !cannot_write(&err) => {
                tracing::warn!(error = %format!("{:#}", anyhow::Error::new(err)), rows = left.len(), attempt, "recording send outcomes failed; retrying");
                pairs = left;
                tokio::time::sleep(Duration::from_millis(250 << (attempt - 1))).await;
            }
            Ok(Some((err, left))) => return Some((anyhow::Error::new(err), left)),
            Err(e) => return Some((e, Vec::new())),
        }
    }
    None
}

/// Whether `e` says the store cannot take writes for now: a storage fault of the SQLite file
/// (a full disk does not clear in seconds) or a PostgreSQL server out of reach. The outcomes are
/// kept in memory rather than retried here, where the loop would stall.
pub(super) fn cannot_write(e: &(dyn std::error::Error + 'static)) -> bool {
    crate::store::sqlite::fault::classify(e).is_some() || crate::store::postgres::unreachable(e)
}
