//! Dispatch: send claimed outbox rows over their channels and decide what each outcome means.
//!
//! May touch: channels (through [`crate::notify::Channel`]) and the clock handle it is given.
//! Must not touch SQL: it returns an [`Outcome`] per row and the daemon records it.
//!
//! Rate limits pause a whole channel: after a send fails with a retry hint (HTTP 429 or 5xx with
//! `Retry-After`, a vendor throttle errcode such as WeCom 45009 or DingTalk 130101), every row for
//! that channel is answered [`Outcome::Deferred`] (due at the pause end; the claim does not count
//! as an attempt) without calling the channel, until the pause has passed. Without this, the other rows claimed in the same batch
//! (hundreds on a busy morning) were fired into a bot that had just said "stop", which prolongs
//! the vendor's throttle (DingTalk counts them against its 10-minute window).

pub mod catchup;
pub mod gate;
pub mod retry;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use tokio::sync::Semaphore;

use crate::clock::SharedClock;
use crate::notify::{Channel, Notification, SendError};
use crate::store::OutboxItem;
use retry::{Decision, RetryPolicy};

/// What became of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered; the vendor's answer.
    Sent(String),
    /// Failed transiently; due again then.
    Retry {
        /// Next attempt.
        at: Timestamp,
        /// What went wrong.
        error: String,
    },
    /// Given up (permanent failure, too old, too many attempts).
    Dead(String),
    /// Not attempted: the channel is paused by a rate limit until `at`. Nothing reached the
    /// vendor, so the row's claim must not count as an attempt (or a long throttle would use up
    /// the retries of every row queued behind it).
    Deferred {
        /// When the pause ends and the row is due again.
        at: Timestamp,
        /// Why (for the log and the row's `last_error`).
        reason: String,
    },
}

struct Slot {
    channel: Arc<dyn Channel>,
    permits: Arc<Semaphore>,
    /// The channel is paused until then (a rate limit answered by the server or vendor).
    paused_until: Arc<Mutex<Option<Timestamp>>>,
}

/// What one attempt came to before the retry policy is applied.
enum Attempt {
    Done(Result<String, SendError>),
    /// Not attempted: the channel is paused until then.
    Paused(Timestamp),
    /// Not attempted: the dispatcher was closed (shutdown) while the row waited for its turn.
    Closed,
    /// Not attempted: the claim's lease may lapse before the send ends ([`gate`]).
    Lapsing,
}

/// Sends rows over the configured channels, within each channel's concurrency.
pub struct Dispatcher {
    slots: HashMap<String, Slot>,
    fallback: String,
    retry: RetryPolicy,
    clock: SharedClock,
}

impl Dispatcher {
    /// A dispatcher over `channels`; rows for a channel that is not (or no longer) configured go
    /// to `fallback`.
    pub fn new(
        channels: impl IntoIterator<Item = Arc<dyn Channel>>,
        fallback: &str,
        retry: RetryPolicy,
        clock: SharedClock,
    ) -> Self {
        let slots = channels
            .into_iter()
            .map(|c| {
                let permits = Arc::new(Semaphore::new(c.concurrency().max(1)));
                (
                    c.id().to_string(),
                    Slot {
                        channel: c,
                        permits,
                        paused_until: Arc::new(Mutex::new(None)),
                    },
                )
            })
            .collect();
        Self {
            slots,
            fallback: fallback.to_string(),
            retry,
            clock,
        }
    }

    /// Override a channel's concurrency (the config's `concurrency:`).
    pub fn limit(mut self, id: &str, n: usize) -> Self {
        if let Some(slot) = self.slots.get_mut(id) {
            slot.permits = Arc::new(Semaphore::new(n.max(1)));
        }
        self
    }

    /// Channel ids this dispatcher can send on.
    pub fn channel_ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.slots.keys().cloned().collect();
        v.sort();
        v
    }

    /// Deliver one claimed row's rendered notification `n` (the service renders it).
    pub async fn deliver(&self, item: &OutboxItem, n: Notification) -> Outcome {
        let late = item.late;
        let attempt = self.try_deliver(item, n).await;
        let now = self.clock.now();
        let outcome = match attempt {
            Attempt::Paused(until) => Outcome::Deferred {
                at: until,
                // Keeps the record of the parts an earlier attempt delivered.
                reason: format!(
                    "not sent: channel `{}` is paused by a rate limit until {until}{}",
                    item.channel,
                    crate::notify::webhook::parts::carry(item.last_error.as_deref())
                ),
            },
            Attempt::Closed => Outcome::Deferred {
                at: now,
                reason: format!(
                    "not sent: dutybell is stopping; sent after the restart{}",
                    crate::notify::webhook::parts::carry(item.last_error.as_deref())
                ),
            },
            Attempt::Lapsing => Outcome::Deferred {
                at: now,
                reason: format!(
                    "not sent: its claim was about to lapse (lease renewals failing or late); due again{}",
                    crate::notify::webhook::parts::carry(item.last_error.as_deref())
                ),
            },
            Attempt::Done(Ok(detail)) => Outcome::Sent(detail),
            Attempt::Done(Err(e)) => match retry::decide(
                &self.retry,
                item.attempts,
                &e,
                item.fire_at,
                now,
                fastrand::f64(),
            ) {
                Decision::Retry(at) => Outcome::Retry {
                    at,
                    error: e.to_string(),
                },
                Decision::Dead(reason) => Outcome::Dead(reason),
            },
        };
        match &outcome {
            Outcome::Sent(d) => {
                tracing::info!(task = %item.task_id, stage = %item.stage, channel = %item.channel, recipient = %item.recipient, late, outcome = "sent", detail = %d, "send")
            }
            Outcome::Deferred { at, reason } => {
                tracing::info!(task = %item.task_id, stage = %item.stage, channel = %item.channel, recipient = %item.recipient, outcome = "deferred", next = %at, reason = %reason, "send")
            }
            Outcome::Retry { at, error } => {
                tracing::warn!(task = %item.task_id, stage = %item.stage, channel = %item.channel, recipient = %item.recipient, outcome = "retry", next = %at, error = %error, "send")
            }
            Outcome::Dead(e) => {
                tracing::error!(task = %item.task_id, stage = %item.stage, channel = %item.channel, recipient = %item.recipient, outcome = "dead", error = %e, "send")
            }
        }
        outcome
    }

    /// Stops handing out send slots (shutdown): rows still waiting for their turn come back at
    /// once as [`Outcome::Deferred`] without a send, so the drain only waits for sends really
    /// on the wire. Without this, a backlog claimed before SIGTERM kept the drain busy past its
    /// timeout, and sends cut off there were repeated after the restart.
    pub fn close(&self) {
        for slot in self.slots.values() {
            slot.permits.close();
        }
    }

    /// When the row's channel (or the fallback standing in for it) is paused until, if it is.
    pub fn paused_until(&self, channel: &str) -> Option<Timestamp> {
        let slot = self
            .slots
            .get(channel)
            .or_else(|| self.slots.get(&self.fallback))?;
        let until = (*slot.paused_until.lock().unwrap_or_else(|p| p.into_inner()))?;
        (until > self.clock.now()).then_some(until)
    }

    async fn try_deliver(&self, item: &OutboxItem, mut n: Notification) -> Attempt {
        let slot = match self.slots.get(&item.channel) {
            Some(s) => s,
            None => {
                tracing::warn!(channel = %item.channel, fallback = %self.fallback, "channel not configured; using the fallback channel");
                match self.slots.get(&self.fallback) {
                    Some(s) => s,
                    None => {
                        return Attempt::Done(Err(SendError::permanent(format!(
                            "channel `{}` and fallback `{}` are not configured",
                            item.channel, self.fallback
                        ))));
                    }
                }
            }
        };
        let _permit = match slot.permits.acquire().await {
            Ok(p) => p,
            Err(_) => return Attempt::Closed,
        };
        // Checked after the permit: rows queued behind a send that has just been throttled must
        // not go out when their turn comes.
        let now = self.clock.now();
        if let Some(until) = *slot.paused_until.lock().unwrap_or_else(|p| p.into_inner())
            && until > now
        {
            return Attempt::Paused(until);
        }
        // The last moment to refuse: after this the message is on the wire.
        if !gate::may_start(now) {
            return Attempt::Lapsing;
        }
        n.attempt_at = now.as_second();
        // A split chat message whose first parts went out on an earlier attempt: only the rest.
        let sent = crate::notify::webhook::parts::sent_from(item.last_error.as_deref());
        let result = slot.channel.send_rest(&n, &sent).await.map(|r| r.detail);
        if let Err(SendError::Transient {
            retry_after: Some(d),
            message,
        }) = &result
            && !d.is_zero()
        {
            let now = self.clock.now();
            let until = jiff::SignedDuration::try_from(*d)
                .ok()
                .and_then(|d| now.checked_add(d).ok())
                .unwrap_or(now);
            let mut paused = slot.paused_until.lock().unwrap_or_else(|p| p.into_inner());
            if paused.is_none_or(|p| p < until) {
                *paused = Some(until);
                tracing::warn!(channel = %slot.channel.id(), until = %until, reason = %message, "channel paused by a rate limit");
            }
        }
        Attempt::Done(result)
    }
}
