//! Dispatch: send claimed outbox rows over their channels and decide what each outcome means.
//!
//! May touch: channels (through [`crate::notify::Channel`]) and the clock handle it is given.
//! Must not touch SQL: it returns an [`Outcome`] per row and the daemon records it.

pub mod catchup;
pub mod retry;

use std::collections::HashMap;
use std::sync::Arc;

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
}

struct Slot {
    channel: Arc<dyn Channel>,
    permits: Arc<Semaphore>,
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
        let outcome = self.try_deliver(item, n).await;
        let now = self.clock.now();
        let outcome = match outcome {
            Ok(detail) => Outcome::Sent(detail),
            Err(e) => match retry::decide(
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
            Outcome::Retry { at, error } => {
                tracing::warn!(task = %item.task_id, stage = %item.stage, channel = %item.channel, recipient = %item.recipient, outcome = "retry", next = %at, error = %error, "send")
            }
            Outcome::Dead(e) => {
                tracing::error!(task = %item.task_id, stage = %item.stage, channel = %item.channel, recipient = %item.recipient, outcome = "dead", error = %e, "send")
            }
        }
        outcome
    }

    async fn try_deliver(
        &self,
        item: &OutboxItem,
        mut n: Notification,
    ) -> Result<String, SendError> {
        let slot = match self.slots.get(&item.channel) {
            Some(s) => s,
            None => {
                tracing::warn!(channel = %item.channel, fallback = %self.fallback, "channel not configured; using the fallback channel");
                self.slots.get(&self.fallback).ok_or_else(|| {
                    SendError::permanent(format!(
                        "channel `{}` and fallback `{}` are not configured",
                        item.channel, self.fallback
                    ))
                })?
            }
        };
        let _permit = slot
            .permits
            .acquire()
            .await
            .map_err(|_| SendError::transient("dispatcher is shutting down"))?;
        n.attempt_at = self.clock.now().as_second();
        slot.channel.send(&n).await.map(|r| r.detail)
    }
}
