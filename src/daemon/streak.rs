//! [`Streak`]: a failure that repeats turn after turn (a PostgreSQL server out of reach) is
//! logged when it starts, then once every [`EVERY`] while it lasts, and its end is logged with how
//! long it lasted, instead of an ERROR line per turn (up to one every 100 ms at first, then one
//! every 5 s: 720 an hour of the same line during an outage).
//!
//! May touch: nothing (pure; the caller logs).

use jiff::{SignedDuration, Timestamp};

/// How often a failure that lasts is logged again.
pub(super) const EVERY: SignedDuration = SignedDuration::from_mins(10);

/// One kind of failure, followed across turns.
#[derive(Debug, Clone, Default)]
pub(super) struct Streak {
    /// When the current run of failures began, and how many so far.
    since: Option<(Timestamp, u64)>,
    /// When it was last logged.
    logged: Option<Timestamp>,
}

/// A run of failures that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ended {
    /// How many failed in a row.
    pub failures: u64,
    /// How long from the first failure to the success.
    pub lasted: SignedDuration,
}

impl Streak {
    /// A failure at `now`: true when this one is to be logged (the first of a run, then the
    /// first after every [`EVERY`]).
    pub(super) fn fail(&mut self, now: Timestamp) -> bool {
        let (start, n) = self.since.unwrap_or((now, 0));
        self.since = Some((start, n.saturating_add(1)));
        let due = self
            .logged
            .is_none_or(|at| now.duration_since(at) >= EVERY || now < at);
        if due {
            self.logged = Some(now);
        }
        due
    }

    /// Failures so far in the current run (0 when none).
    pub(super) fn failures(&self) -> u64 {
        self.since.map_or(0, |(_, n)| n)
    }

    /// A success at `now`: the run that it ends, if there was one.
    pub(super) fn clear(&mut self, now: Timestamp) -> Option<Ended> {
        self.logged = None;
        self.since.take().map(|(start, failures)| Ended {
            failures,
            lasted: now.duration_since(start),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn a_run_is_logged_when_it_starts_then_every_ten_minutes_and_when_it_ends() {
        let mut s = Streak::default();
        assert_eq!(s.clear(t(0)), None, "nothing to end");
        // Failures every 5 s for 25 minutes: logged at 0, 600 and 1,200 s only.
        let logged: Vec<i64> = (0..300).map(|i| i * 5).filter(|&x| s.fail(t(x))).collect();
        assert_eq!(logged, [0, 600, 1_200]);
        assert_eq!(s.failures(), 300);
        assert_eq!(
            s.clear(t(1_500)),
            Some(Ended {
                failures: 300,
                lasted: SignedDuration::from_secs(1_500)
            })
        );
        assert_eq!(s.failures(), 0);
        // A new run is logged at once, however soon after.
        assert!(s.fail(t(1_501)));
        assert!(!s.fail(t(1_502)));
    }

    #[test]
    fn a_clock_set_back_logs_again_rather_than_never() {
        let mut s = Streak::default();
        assert!(s.fail(t(1_000)));
        assert!(s.fail(t(10)));
    }
}
