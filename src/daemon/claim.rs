//! Claiming due rows and recording finished sends, as methods of the daemon's loop: rows are
//! claimed and rendered [`PREPARE_AHEAD`] before they are due (real time) and each send task
//! sleeps to its rows' instant; finished sends are mapped to outcomes (`leases`) and recorded in
//! one store call (`record`, the group commit); a claim's failure is counted and logged
//! (`after_claim`).
//!
//! May touch: the store (on its thread), the dispatcher, timers.

use jiff::{SignedDuration, Timestamp};

use super::{Loop, Observer, blocking, leases, pacing};
use crate::service::{cycle, group};

/// In real time, due rows are claimed and rendered this long before their instant and sent at it
/// (issue 17, due → delivered latency): the turn's store work, the claim's commit (an fsync) and
/// the render happen ahead, and only the send itself follows the due instant. A simulation
/// claims at the instant (its clock jumps there).
pub const PREPARE_AHEAD: SignedDuration = SignedDuration::from_millis(500);

impl Loop {
    /// Turns in a row whose claim failed (0 after a claim that worked).
    pub(super) fn failed_claims(&self) -> u32 {
        u32::try_from(self.claim_streak.failures()).unwrap_or(u32::MAX)
    }

    /// Follows a turn's claim: a failure (a store out of reach) is counted for the back-off and
    /// logged when a run of them starts, then every ten minutes; a success ends the run and, when
    /// nothing else is wrong, clears a storage fault.
    pub(super) fn after_claim(&mut self, claimed: anyhow::Result<()>, now: Timestamp) {
        match claimed {
            Err(e) if self.store_failed(&e, "claiming due reminders") => {}
            Err(e) => {
                let log = self.claim_streak.fail(now);
                let failures = self.claim_streak.failures();
                let retry_in_ms =
                    pacing::claim_backoff(self.failed_claims(), self.lease_ttl).as_millis();
                if log {
                    tracing::error!(error = %format!("{e:#}"), retry_in_ms, failures, "claiming due reminders failed; retrying (logged again every 10 minutes while it lasts)");
                } else {
                    tracing::debug!(error = %format!("{e:#}"), retry_in_ms, failures, "claiming due reminders failed");
                }
            }
            Ok(()) => {
                if let Some(end) = self.claim_streak.clear(now) {
                    tracing::info!(
                        failures = end.failures,
                        lasted_s = end.lasted.as_secs(),
                        "claiming due reminders works again"
                    );
                }
                if !self.storage_fault
                    && self.unrecorded.is_empty()
                    && let Some(w) = &mut self.storage
                {
                    w.recovered();
                }
            }
        }
    }

    /// How long before its instant a due row is claimed: [`PREPARE_AHEAD`] in real time, zero on
    /// a simulation's manual clock.
    fn ahead(&self) -> SignedDuration {
        match self.real_time {
            true => PREPARE_AHEAD,
            false => SignedDuration::ZERO,
        }
    }

    /// When the loop must wake for the next due row: its instant less [`Loop::ahead`] (`None`
    /// when none is pending or the store cannot say).
    pub(super) async fn next_wake(&self) -> Option<Timestamp> {
        let w = blocking(&self.store, |s| Ok(s.next_wakeup()?))
            .await
            .ok()
            .flatten()?;
        Some(w.checked_sub(self.ahead()).unwrap_or(w))
    }

    /// Claims the rows due by `now +` [`Loop::ahead`] and spawns their sends; each send renders
    /// at once and then waits for its rows' due instant.
    pub(super) async fn claim_and_spawn(
        &mut self,
        now: Timestamp,
        max: usize,
    ) -> anyhow::Result<()> {
        let ahead = self.ahead();
        let room = max.saturating_sub(self.inflight.len());
        if room == 0 {
            return Ok(());
        }
        let e = self.engine.clone();
        let owner = self.owner.clone();
        let ttl = self.lease_ttl;
        // Issue 12: claim a whole morning's rows and send one message per recipient and channel
        // (the grouping rule is `service::group`).
        let limit = room.saturating_mul(group::CLAIM_ROWS_PER_SLOT);
        let items = blocking(&self.store, move |s| {
            // Web loop (issue 13): granted 延期 as of now, for rendering at send time.
            e.set_due_overrides(s.due_overrides()?.into_iter().collect());
            cycle::catch_up(s, &e, now)?;
            let horizon = now.checked_add(ahead).unwrap_or(now);
            Ok(cycle::claim_for(s, &owner, horizon, limit, ttl)?)
        })
        .await?;
        for rows in group::group_claimed(items) {
            let e = self.engine.clone();
            let it = rows.clone();
            let clock = self.clock.clone();
            let gate = leases::gate(now, ttl);
            // The group goes out when its last row is due (claimed up to PREPARE_AHEAD early).
            let due = rows.iter().map(|r| r.next_attempt_at).max();
            let task_gate = gate.clone();
            let renders = self.renders.clone();
            let handle =
                self.inflight
                    .spawn(crate::dispatch::gate::guarded(task_gate, async move {
                        // Rendering is CPU work: on a blocking thread, a few at a time, so that a
                        // morning's renders never hold up this loop (it must renew the leases in
                        // time; see `renders`). It renders as of the due instant, which it may
                        // precede by up to PREPARE_AHEAD.
                        let (r, c) = (e.clone(), clock.clone());
                        let ready = renders
                            .run(move || {
                                let at = due.map_or(c.now(), |d| d.max(c.now()));
                                group::prepare_group(&r, it, at)
                            })
                            .await;
                        if let Some(d) = due {
                            let wait = d.duration_since(clock.now());
                            if wait.is_positive() {
                                tokio::time::sleep(wait.unsigned_abs()).await;
                            }
                        }
                        group::deliver_group(&e, ready).await
                    }));
            self.claims.insert(rows, handle, gate);
        }
        Ok(())
    }

    /// Records a finished send, and every other send finished by now, in one store call: each
    /// finished send waiting for a loop turn is a row delivered but not yet recorded (a duplicate
    /// if the process dies then). A task that panicked or was cancelled is mapped by
    /// [`leases::Claims::outcomes`], so nothing stays `sending`.
    pub(super) async fn record(&mut self, done: leases::Finished) {
        let now = self.clock.now();
        let mut pairs = self.claims.outcomes(done, now);
        while let Some(more) = self.inflight.try_join_next_with_id() {
            pairs.extend(self.claims.outcomes(more, now));
        }
        self.record_all(pairs, now, false).await;
    }

    /// Waits for every send in flight and records them all in one store call (the simulation's
    /// step: its sends never wait for real time). The observer sees each message (one send task:
    /// a grouped reminder and every row it covers) in its own call, as [`Observer`] promises.
    pub(super) async fn record_every_send(&mut self, observer: &mut Observer) {
        let now = self.clock.now();
        let mut pairs = Vec::new();
        while let Some(done) = self.inflight.join_next_with_id().await {
            let message = self.claims.outcomes(done, now);
            observer(&self.engine, &message);
            pairs.extend(message);
        }
        self.record_all(pairs, now, false).await;
    }
}
