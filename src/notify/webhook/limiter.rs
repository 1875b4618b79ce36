//! Client-side rate limiting per bot: a sliding-window scheduler. Pure: time comes in as
//! `tokio::time::Instant`, so tests drive it with a paused clock or plain arithmetic.
//!
//! Vendor limits: WeCom and DingTalk 20 messages per minute per bot (DingTalk throttles the bot
//! for 10 minutes when exceeded); Feishu 5/s and 100/min per bot. Sends are never refused:
//! [`RateLimiter::reserve`] hands out the earliest slot and the caller sleeps until it. Slots are
//! handed out in call order (FIFO), so one burst cannot starve an earlier caller.
//!
//! Several replicas on one PostgreSQL store (issue 16) share each bot's limit instead: the daemon
//! installs [`StoreSlots`] with [`install_shared`], and every webhook channel then reserves its
//! slots in the store's per-bot bucket ([`crate::store::Store::reserve_send`]). With SQLite (one
//! process) the in-memory limiter stays: it is exact there and costs no write per send.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use super::Flavour;
use crate::clock::SharedClock;
use crate::store::{SendLimit, StoreThread};

/// At most `max` sends in any rolling window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Sends allowed per window.
    pub max: usize,
    /// Window length.
    pub per: Duration,
}

/// Sliding-window limiter over several [`Limit`]s at once.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limits: Vec<Limit>,
    /// Reserved send instants, ascending; only the last `max(limit.max)` matter.
    slots: VecDeque<Instant>,
}

impl RateLimiter {
    /// A limiter enforcing every limit in `limits` (none: never waits).
    pub fn new(limits: Vec<Limit>) -> Self {
        RateLimiter {
            limits,
            slots: VecDeque::new(),
        }
    }

    /// The vendor limits for `flavour`; generic receivers are not limited.
    pub fn for_flavour(flavour: &Flavour) -> Self {
        let minute = Duration::from_secs(60);
        let limits = match flavour {
            Flavour::Wecom { .. } | Flavour::Dingtalk { .. } => vec![Limit {
                max: 20,
                per: minute,
            }],
            Flavour::Feishu { .. } => vec![
                Limit {
                    max: 5,
                    per: Duration::from_secs(1),
                },
                Limit {
                    max: 100,
                    per: minute,
                },
            ],
            Flavour::Generic { .. } => Vec::new(),
        };
        RateLimiter::new(limits)
    }

    /// The limits this limiter enforces.
    pub fn limits(&self) -> &[Limit] {
        &self.limits
    }

    /// Reserves the earliest instant `>= now` at which one more send keeps every limit, records
    /// it, and returns it. The caller waits until then.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let keep = self.limits.iter().map(|l| l.max).max().unwrap_or(0);
        let mut at = now.max(self.slots.back().copied().unwrap_or(now));
        for l in &self.limits {
            if l.max > 0 && self.slots.len() >= l.max {
                // The send `max` places back must have left the window.
                at = at.max(self.slots[self.slots.len() - l.max] + l.per);
            }
        }
        if keep == 0 {
            return at;
        }
        self.slots.push_back(at);
        while self.slots.len() > keep {
            self.slots.pop_front();
        }
        at
    }
}

/// The future a [`SharedSlots`] reservation returns: the wait until the slot, or why the
/// shared bucket could not be reached.
pub type SlotFuture<'a> = Pin<Box<dyn Future<Output = Result<Duration, String>> + Send + 'a>>;

/// Send slots shared with other processes (a bucket row per bot in a shared store).
pub trait SharedSlots: Send + Sync {
    /// Reserves the next slot of `bucket` under `limits`; resolves to how long to wait for it.
    fn reserve<'a>(&'a self, bucket: &'a str, limits: &'a [Limit]) -> SlotFuture<'a>;
}

/// [`SharedSlots`] kept in a store (its own connection on its own thread, so a slot never waits
/// behind the dispatch loop's store calls).
pub struct StoreSlots {
    store: StoreThread,
    clock: SharedClock,
}

impl StoreSlots {
    /// Slots kept in `store`; `clock` is the `now` for stores that decide on the caller's clock
    /// (SQLite; PostgreSQL uses its own).
    pub fn new(store: StoreThread, clock: SharedClock) -> Self {
        StoreSlots { store, clock }
    }
}

impl SharedSlots for StoreSlots {
    fn reserve<'a>(&'a self, bucket: &'a str, limits: &'a [Limit]) -> SlotFuture<'a> {
        let store = self.store.clone();
        let now = self.clock.now();
        let bucket = bucket.to_owned();
        let limits: Vec<SendLimit> = limits
            .iter()
            .map(|l| SendLimit {
                max: u32::try_from(l.max).unwrap_or(u32::MAX),
                per: jiff::SignedDuration::try_from(l.per).unwrap_or(jiff::SignedDuration::MAX),
            })
            .collect();
        Box::pin(async move {
            let slot = store
                .call(move |s| s.reserve_send(&bucket, &limits, now))
                .await
                .map_err(|e| format!("rate-limit call failed: {e}"))?
                .map_err(|e| format!("{e}"))?;
            Ok(slot.wait.unsigned_abs())
        })
    }
}

/// The process's shared slots, when its store is shared (set by the daemon; see the module docs).
/// Process-wide on purpose: channels are built before the store is opened and rebuilt on every
/// reload, and one process runs one daemon.
static SHARED: RwLock<Option<Arc<dyn SharedSlots>>> = RwLock::new(None);

/// Makes every webhook channel of this process reserve its slots in `slots` (`None`: back to the
/// in-memory limiter).
pub fn install_shared(slots: Option<Arc<dyn SharedSlots>>) {
    *SHARED.write().unwrap_or_else(|p| p.into_inner()) = slots;
}

/// The installed shared slots, if any.
pub fn shared() -> Option<Arc<dyn SharedSlots>> {
    SHARED.read().unwrap_or_else(|p| p.into_inner()).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest number of instants in any half-open window `[t, t + per)`.
    fn max_in_window(slots: &[Instant], per: Duration) -> usize {
        slots
            .iter()
            .map(|&start| {
                slots
                    .iter()
                    .filter(|&&s| s >= start && s < start + per)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn hundred_dingtalk_sends_stay_within_20_per_rolling_minute() {
        let t0 = Instant::now();
        let ding = Flavour::Dingtalk {
            access_token: "t".into(),
            secret: None,
            keyword: None,
        };
        let mut rl = RateLimiter::for_flavour(&ding);
        let slots: Vec<Instant> = (0..100).map(|_| rl.reserve(t0)).collect();
        assert_eq!(max_in_window(&slots, Duration::from_secs(60)), 20);
        // As fast as allowed: bursts of 20 at 0, 60, 120, 180, 240 s.
        assert_eq!(slots[19], t0);
        assert_eq!(slots[20], t0 + Duration::from_secs(60));
        assert_eq!(slots[99], t0 + Duration::from_secs(240));
    }

    #[test]
    fn feishu_keeps_both_limits() {
        let t0 = Instant::now();
        let f = Flavour::Feishu {
            hook_id: "h".into(),
            secret: None,
            keyword: None,
        };
        let mut rl = RateLimiter::for_flavour(&f);
        let slots: Vec<Instant> = (0..250).map(|_| rl.reserve(t0)).collect();
        assert_eq!(max_in_window(&slots, Duration::from_secs(1)), 5);
        assert_eq!(max_in_window(&slots, Duration::from_secs(60)), 100);
    }

    #[test]
    fn slots_are_fifo_and_idle_time_resets() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(vec![Limit {
            max: 2,
            per: Duration::from_secs(10),
        }]);
        assert_eq!(rl.reserve(t0), t0);
        assert_eq!(rl.reserve(t0), t0);
        assert_eq!(rl.reserve(t0), t0 + Duration::from_secs(10));
        // A later caller never overtakes an earlier reservation.
        assert_eq!(
            rl.reserve(t0 + Duration::from_secs(1)),
            t0 + Duration::from_secs(10)
        );
        let later = t0 + Duration::from_secs(100);
        assert_eq!(rl.reserve(later), later);
        let mut free = RateLimiter::new(Vec::new());
        assert_eq!(free.reserve(t0), t0);
    }
}
