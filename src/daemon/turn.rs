//! The loop's turn and its parts: one turn (storage check, leases, facts, re-plan, periodic
//! ticks, digests, catch-up, claim), reload on SIGHUP, the idle report (log line and systemd
//! status), and the drain at shutdown. [`super::run`] owns the waiting between turns.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::{Engine, Loop, RunOptions, blocking, leader, pacing, storage, systemd};
use crate::service::plan::{self, SyncOutcome};

impl Loop {
    /// One turn: re-plan when due, enqueue digests, catch up after downtime, claim and spawn
    /// sends. Returns the instant the loop should next wake for.
    pub(super) async fn turn(&mut self, opts: &RunOptions) -> Timestamp {
        let now = self.clock.now();
        self.storage_fault = false;
        if let Some(state) = self.storage.as_ref().map(storage::Watch::file_state)
            && state != crate::store::sqlite::fault::FileState::Same
        {
            tracing::error!(state = ?state, "the database file was deleted or replaced under the running daemon; no new sends are claimed");
            self.file_lost = Some(state);
            return now;
        }
        self.record_pending().await;
        self.renew_leases(now).await;
        let lead = self.lead().await;
        // Issue 14: a step reported done or an event declared since the last wake re-plans now.
        let e = self.engine.clone();
        let moved = blocking(&self.store, move |s| Ok(e.refresh_facts(s)?))
            .await
            .unwrap_or(false);
        if lead
            && (now >= self.next_replan || moved)
            && let Err(e) = self.sync(opts, false).await
        {
            if !self.store_failed(&e, "planning") {
                tracing::error!(error = %format!("{e:#}"), "planning failed; will retry in an hour");
            }
            self.next_replan = now
                .saturating_add(SignedDuration::from_hours(1))
                .unwrap_or(now);
        }
        if lead {
            self.digests(now).await;
            self.ticks(opts, now).await;
        }
        let claimed = self.claim_and_spawn(now, opts.max_inflight).await;
        self.after_claim(claimed, now);
        let wake = self.next_wake().await;
        let beat = self
            .replica
            .as_ref()
            .map(|_| leader::next_beat(now, self.lease_ttl, self.beat_every));
        let turn = pacing::Turn {
            now,
            lead,
            next_replan: self.next_replan,
            storage_fault: self.storage_fault,
            failed_claims: self.failed_claims(),
            unrecorded: !self.unrecorded.is_empty(),
            lease_ttl: self.lease_ttl,
        };
        let until = pacing::next_turn(
            &turn,
            &[
                wake,
                self.engine.next_digest(now),
                crate::service::ticks::next_due(&self.engine, now),
                beat,
                self.claims.next_renewal(self.lease_ttl),
            ],
        );
        if self.inflight.is_empty() {
            self.going_idle(until).await;
        }
        until
    }

    /// Plan and sync (skipped when the inputs are unchanged, unless `force`).
    pub(super) async fn sync(&mut self, opts: &RunOptions, force: bool) -> anyhow::Result<()> {
        let now = self.clock.now();
        let e = self.engine.clone();
        let outcome = blocking(&self.store, move |s| plan::sync(s, &e.loaded, now, force)).await?;
        match outcome {
            SyncOutcome::Unchanged => {
                tracing::info!("plan unchanged since the last sync; not re-planned")
            }
            SyncOutcome::Synced(r) => tracing::info!(
                added = r.added,
                cancelled = r.cancelled,
                updated = r.updated,
                skipped = r.skipped,
                unchanged = r.unchanged,
                "plan synced"
            ),
        }
        self.next_replan = now.saturating_add(opts.replan_every).unwrap_or(now);
        Ok(())
    }

    /// Runs the periodic jobs whose tick is due (each once, recorded in the store); a plan
    /// re-check tick syncs now.
    async fn ticks(&mut self, opts: &RunOptions, now: Timestamp) {
        let e = self.engine.clone();
        let ran = blocking(&self.store, move |s| {
            Ok(crate::service::ticks::run_due(s, &e, now)?)
        })
        .await;
        match ran {
            Ok(jobs) if jobs.contains(&crate::service::ticks::Job::PlanRecheck) => {
                if let Err(err) = self.sync(opts, false).await {
                    tracing::error!(error = %format!("{err:#}"), "planning failed; will retry in an hour");
                    self.next_replan = now
                        .saturating_add(SignedDuration::from_hours(1))
                        .unwrap_or(now);
                }
            }
            Ok(_) => {}
            Err(err) if self.store_failed(&err, "running periodic jobs") => {}
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), "periodic jobs failed; will retry at the next wake")
            }
        }
    }

    pub(super) async fn reload(&mut self, opts: &RunOptions) {
        systemd::reloading();
        self.awake_since = self.clock.now();
        // Recorded: the files this engine was read from go with the daemon to sleep (`sleeper`).
        let (loaded, sources) =
            crate::config::source::record(|| Engine::load(&opts.config, &self.clock));
        match loaded {
            Ok(e) => {
                self.engine = Arc::new(e);
                if self.sources.is_some() {
                    self.sources = Some(Arc::new(sources));
                }
                if let Some(feed) = &opts.engine_feed {
                    feed.send_replace(self.engine.clone());
                }
                if let Some(r) = &mut self.replica {
                    r.plan = None;
                }
                tracing::info!("configuration reloaded");
                self.next_replan = self.clock.now();
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "reload refused; the previous configuration stays active")
            }
        }
        systemd::ready(&self.status_line().await);
    }

    /// Enqueue this week's digests once they are due (idempotent).
    async fn digests(&mut self, now: Timestamp) {
        let e = self.engine.clone();
        let r = blocking(&self.store, move |s| {
            let l = &e.loaded;
            Ok(crate::digest::enqueue_due_digests(
                s,
                &l.catalog,
                &l.calendar,
                &e.renderer,
                e.links.as_ref(),
                now,
            )?)
        })
        .await;
        match r {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "digests enqueued"),
            Err(e) if self.store_failed(&e, "enqueueing digests") => {}
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "enqueueing digests failed; will retry at the next wake")
            }
        }
    }

    /// The configuration to sleep with, when the daemon may hand over to the sleeper now: the
    /// setting is on, the store is a SQLite file it watches, and nothing is in flight, waiting to
    /// be recorded or failing.
    pub(super) fn sleepable(&self) -> Option<Arc<crate::config::source::Snapshot>> {
        let idle = self.engine.loaded.catalog.settings.sleep_when_idle
            && self.storage.is_some()
            && self.replica.is_none()
            && self.inflight.is_empty()
            && self.unrecorded.is_empty()
            && !self.storage_fault
            && self.file_lost.is_none()
            && self.failed_claims() == 0;
        if idle { self.sources.clone() } else { None }
    }

    /// Until when the daemon counts as in use: its start or last reload, the web pages' last
    /// request, the end of the longest office session.
    pub(super) fn busy_until(&self, web: Option<&crate::service::Activity>) -> Timestamp {
        let mut at = self.awake_since;
        if let Some(w) = web {
            at = at.max(w.last_request()).max(w.sessions_until());
        }
        at
    }

    /// Says at info level, once per change, when the loop will wake next and why.
    async fn going_idle(&mut self, until: Timestamp) {
        if !self.real_time || self.last_wake_logged == Some(until) {
            return;
        }
        self.last_wake_logged = Some(until);
        let line = self.status_line().await;
        tracing::info!(until = %self.engine.local(until), "idle; {line}");
        if systemd::under_systemd() {
            systemd::status(&line);
        }
    }

    pub(super) async fn drain(&mut self, opts: &RunOptions) {
        systemd::stopping();
        // Rows still queued for a send slot come back unsent; only sends on the wire are awaited.
        self.engine.dispatcher.close();
        tracing::info!(
            in_flight = self.inflight.len(),
            "stopping: no new claims; waiting for sends in flight"
        );
        let drained = tokio::time::timeout(opts.drain, async {
            while let Some(done) = self.inflight.join_next_with_id().await {
                self.record(done).await;
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                left = self.inflight.len(),
                "sends still in flight after the drain timeout; they will be retried at the next start"
            );
            self.inflight.abort_all();
        }
        // Outcomes kept after a storage fault: one last try (else the rows are recovered, and
        // sent again, at the next start).
        self.record_pending().await;
    }

    pub(super) async fn status_line(&self) -> String {
        let next = blocking(&self.store, |s| Ok(s.next_pending(1)?))
            .await
            .ok()
            .and_then(|v| v.into_iter().next());
        match next {
            Some(i) => {
                let cat = &self.engine.loaded.catalog;
                let title = cat
                    .task(&i.task_id)
                    .map(|t| t.title.chars().take(16).collect::<String>())
                    .unwrap_or_default();
                let who = crate::model::Recipient::parse(&i.recipient);
                let name = who.unit().map(|u| cat.name_of(u)).unwrap_or_default();
                format!(
                    "next: {} {} to {}{} at {}",
                    i.task_id,
                    title,
                    name,
                    if who.is_head() { "负责人" } else { "" },
                    self.engine.local(i.next_attempt_at)
                )
            }
            None => "idle: nothing scheduled".into(),
        }
    }
}
