//! Send slots shared by every replica: the per-bot rate-limit bucket kept in the store.
//!
//! WeCom and DingTalk accept 20 messages per minute per bot. Each process's in-memory
//! [`RateLimiter`](crate::notify::webhook::RateLimiter) only sees its own sends, so N replicas on
//! one PostgreSQL database could send N × the limit. [`Store::reserve_send`](super::Store) keeps
//! one row per bot instead and updates it atomically.
//!
//! The row is the exact form of the bucket: the last `max` send instants (a sliding-window log),
//! not a refilling token count. A token bucket of capacity 20 refilling 20 a minute lets 39 sends
//! into one rolling minute (20 at once, then 19 as it refills); the log lets at most `max` into any
//! window, like the in-memory limiter, at the same sustained rate.
//!
//! The row is keyed by [`bucket_key`], a SHA-256 of the channel id and webhook URL: the URL carries
//! the bot's key, which must never be stored in clear.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

/// At most `max` sends in any rolling window of `per` (one vendor limit of one bot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimit {
    /// Sends allowed per window.
    pub max: u32,
    /// Window length.
    pub per: SignedDuration,
}

/// A reserved send slot: when to send, and how long to wait from the store's `now` until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSlot {
    /// The reserved instant, on the clock that decided it (the database's on PostgreSQL).
    pub at: Timestamp,
    /// `at` minus that clock's `now` (never negative): what the caller sleeps. A wait, not an
    /// instant, so a replica whose own clock is wrong still waits the right time.
    pub wait: SignedDuration,
}

/// The bucket id of one bot: hex SHA-256 of `channel_id`, a NUL and the webhook URL (which holds
/// the bot key). Two channels naming the same bot URL under different ids are different buckets;
/// the vendor counts per bot, so configure one channel per bot.
pub fn bucket_key(channel_id: &str, url: &str) -> String {
    let mut h = Sha256::new();
    h.update(channel_id.as_bytes());
    h.update([0u8]);
    h.update(url.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// How many past slots a bucket must remember to enforce `limits`.
pub(crate) fn keep(limits: &[SendLimit]) -> usize {
    limits.iter().map(|l| l.max as usize).max().unwrap_or(0)
}

/// The earliest slot `>= now_us` (and not before the last one: first come, first served) that
/// keeps every limit, given the remembered slots in ascending order. Microseconds since the epoch.
pub(crate) fn next_slot(slots: &[i64], limits: &[SendLimit], now_us: i64) -> i64 {
    let mut at = now_us.max(slots.last().copied().unwrap_or(now_us));
    for l in limits {
        let max = l.max as usize;
        if max > 0 && slots.len() >= max {
            // The send `max` places back must have left the window.
            let per_us = i64::try_from(l.per.as_micros()).unwrap_or(i64::MAX);
            at = at.max(slots[slots.len() - max].saturating_add(per_us));
        }
    }
    at
}

/// Appends `at` and forgets what no limit needs any more.
pub(crate) fn remember(slots: &mut Vec<i64>, at: i64, keep: usize) {
    slots.push(at);
    if slots.len() > keep {
        slots.drain(..slots.len() - keep);
    }
}

/// A [`SendSlot`] from microsecond instants.
pub(crate) fn slot(at_us: i64, now_us: i64) -> Result<SendSlot, super::StoreError> {
    let at = Timestamp::from_microsecond(at_us)
        .map_err(|e| super::StoreError::Corrupt(format!("send slot {at_us}: {e}")))?;
    Ok(SendSlot {
        at,
        wait: SignedDuration::from_micros(at_us.saturating_sub(now_us).max(0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_twenty_per_rolling_minute_and_is_fifo() {
        let lim = [SendLimit {
            max: 20,
            per: SignedDuration::from_mins(1),
        }];
        let mut slots = Vec::new();
        let got: Vec<i64> = (0..45)
            .map(|_| {
                let at = next_slot(&slots, &lim, 0);
                remember(&mut slots, at, keep(&lim));
                at
            })
            .collect();
        assert_eq!(slots.len(), 20);
        assert_eq!(got[19], 0);
        assert_eq!(got[20], 60_000_000);
        assert_eq!(got[40], 120_000_000);
        assert!(got.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn bucket_keys_hide_the_url_and_differ_per_channel() {
        let k = bucket_key(
            "wecom-a",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET",
        );
        assert_eq!(k.len(), 64);
        assert!(!k.contains("SECRET"));
        assert_ne!(
            k,
            bucket_key(
                "wecom-b",
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET"
            )
        );
    }
}
