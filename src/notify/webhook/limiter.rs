//! Client-side rate limiting per bot: a sliding-window scheduler. Pure: time comes in as
//! `tokio::time::Instant`, so tests drive it with a paused clock or plain arithmetic.
//!
//! Vendor limits: WeCom and DingTalk 20 messages per minute per bot (DingTalk throttles the bot
//! for 10 minutes when exceeded); Feishu 5/s and 100/min per bot. Sends are never refused:
//! [`RateLimiter::reserve`] hands out the earliest slot and the caller sleeps until it. Slots are
//! handed out in call order (FIFO), so one burst cannot starve an earlier caller.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::Flavour;

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
