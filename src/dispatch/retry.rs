//! The retry policy: what to do after a failed send. Pure; `now` and the jitter are parameters.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::notify::SendError;

/// How failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay between attempts.
    pub max: Duration,
    /// A row older than this (since it was due) is given up: a reminder a week late is noise.
    pub give_up_after: SignedDuration,
    /// Attempts after which a row is given up regardless of age.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(60),
            max: Duration::from_secs(6 * 3600),
            give_up_after: SignedDuration::from_hours(72),
            max_attempts: 25,
        }
    }
}

/// The decision for one failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Try again at this instant.
    Retry(Timestamp),
    /// Stop: the row goes to `dead` and the operator is told.
    Dead(String),
}

/// Decide after attempt number `attempts` (1-based) of a row due at `due` failed with `err`.
/// `jitter` in [0, 1) spreads retries of many rows (±20 %) so they do not hit a recovering
/// server in the same second.
pub fn decide(
    p: &RetryPolicy,
    attempts: u32,
    err: &SendError,
    due: Timestamp,
    now: Timestamp,
    jitter: f64,
) -> Decision {
    let retry_after = match err {
        SendError::Permanent { message } => {
            return Decision::Dead(format!("permanent failure: {message}"));
        }
        SendError::Transient { retry_after, .. } => *retry_after,
    };
    if attempts >= p.max_attempts {
        return Decision::Dead(format!("gave up after {attempts} attempts: {err}"));
    }
    if now.duration_since(due) > p.give_up_after {
        return Decision::Dead(format!(
            "gave up: still failing {} after it was due: {err}",
            human(p.give_up_after)
        ));
    }
    let exp = attempts.saturating_sub(1).min(20);
    let backoff = p.base.saturating_mul(1u32 << exp).min(p.max);
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    let backoff = backoff.mul_f64(factor);
    let delay = retry_after.map_or(backoff, |r| r.max(backoff));
    let delay = SignedDuration::try_from(delay).unwrap_or(SignedDuration::from_hours(6));
    Decision::Retry(now.saturating_add(delay).unwrap_or(now))
}

fn human(d: SignedDuration) -> String {
    format!("{}h", d.as_hours())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        let now = t("2027-02-20T01:00:00Z");
        let err = SendError::transient("connection refused");
        let delays: Vec<i64> = (1..=12)
            .map(|a| match decide(&p, a, &err, now, now, 0.5) {
                Decision::Retry(at) => at.duration_since(now).as_secs(),
                Decision::Dead(e) => panic!("{e}"),
            })
            .collect();
        // 60 s doubling: 60, 120, 240, … capped at 6 h = 21600 s (jitter 0.5 = factor 1.0).
        assert_eq!(&delays[..5], &[60, 120, 240, 480, 960]);
        assert_eq!(delays[11], 21600);
    }

    #[test]
    fn jitter_spreads_within_twenty_percent() {
        let p = RetryPolicy::default();
        let now = t("2027-02-20T01:00:00Z");
        let err = SendError::transient("x");
        let at = |j| match decide(&p, 1, &err, now, now, j) {
            Decision::Retry(at) => at.duration_since(now).as_secs(),
            Decision::Dead(_) => unreachable!(),
        };
        assert_eq!((at(0.0), at(0.999)), (48, 71));
    }

    #[test]
    fn retry_after_is_a_floor_and_permanent_is_dead() {
        let p = RetryPolicy::default();
        let now = t("2027-02-20T01:00:00Z");
        let throttled = SendError::Transient {
            message: "130101".into(),
            retry_after: Some(Duration::from_secs(600)),
        };
        assert_eq!(
            decide(&p, 1, &throttled, now, now, 0.5),
            Decision::Retry(t("2027-02-20T01:10:00Z"))
        );
        assert!(matches!(
            decide(&p, 1, &SendError::permanent("550"), now, now, 0.5),
            Decision::Dead(_)
        ));
    }

    #[test]
    fn old_or_exhausted_rows_are_given_up() {
        let p = RetryPolicy::default();
        let due = t("2027-02-20T01:00:00Z");
        let err = SendError::transient("x");
        assert!(matches!(
            decide(&p, 3, &err, due, t("2027-02-23T02:00:00Z"), 0.5),
            Decision::Dead(_)
        ));
        assert!(matches!(
            decide(&p, 25, &err, due, due, 0.5),
            Decision::Dead(_)
        ));
    }
}
