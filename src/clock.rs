//! The one place that reads the wall clock.
//!
//! Everything else receives `now` as a parameter or holds an `Arc<dyn Clock>`. `clippy.toml`
//! forbids `jiff::Timestamp::now` and `std::time::SystemTime::now` outside this file, so a test or a
//! demo (`dutybell run --now 2027-02-20T08:00`) can run the real daemon at any instant.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

/// A source of the current instant.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// Shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned wall-clock read
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that starts at a fixed instant and then advances with real (monotonic) time.
///
/// This is what `--now` / `DUTYBELL_NOW` gives the daemon: it behaves exactly like production,
/// only shifted to another date.
#[derive(Debug, Clone)]
pub struct OffsetClock {
    start: Timestamp,
    /// When the clock read `start`; shared by clones, so [`restart`](Self::restart) moves all.
    started: Arc<Mutex<Instant>>,
}

impl OffsetClock {
    /// A clock that reads `start` now and moves forward in real time from here.
    pub fn starting_at(start: Timestamp) -> Self {
        Self {
            start,
            started: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Reads `start` again from now on (this handle and its clones). `dutybell run --now`
    /// starts its clock when the configuration is loaded, not when the process started: the
    /// load needs the clock (the plan's zone, the calendar's years), and under load it took a
    /// second, which put reminders due at `--now` behind the first plan sync (skipped as past
    /// due when planned).
    pub fn restart(&self) {
        *self
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        let started = *self
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let elapsed = SignedDuration::try_from(started.elapsed()).unwrap_or(SignedDuration::MAX);
        self.start.saturating_add(elapsed).unwrap_or(self.start)
    }
}

/// A clock that only moves when told to: tests and `dutybell simulate`.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A manual clock reading `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Set the current instant (may go backwards; callers decide whether that is meaningful).
    pub fn set(&self, t: Timestamp) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }

    /// Move the clock forward by `d`.
    pub fn advance(&self, d: SignedDuration) {
        let mut g = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *g = g.saturating_add(d).unwrap_or(*g);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The instant a command starts at: the wall clock, or `--now` / `DUTYBELL_NOW`. A local time
/// such as `2027-02-20T08:00` is kept civil until the plan's time zone is known, so no zone is
/// named here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// The wall clock.
    Now,
    /// An exact instant (`2027-02-20T00:00:00Z`).
    Instant(Timestamp),
    /// A local date and time in the plan's zone (`2027-02-20T08:00`, `2027-02-20`).
    Local(jiff::civil::DateTime),
}

impl From<jiff::civil::Date> for StartAt {
    /// Midnight of that day in the plan's zone (tests and examples).
    fn from(d: jiff::civil::Date) -> Self {
        StartAt::Local(d.to_datetime(jiff::civil::Time::midnight()))
    }
}

impl StartAt {
    /// Reads `--now`; `None` means the wall clock.
    ///
    /// # Errors
    /// A message naming the accepted forms.
    pub fn parse(given: Option<&str>) -> Result<StartAt, String> {
        let Some(s) = given else {
            return Ok(StartAt::Now);
        };
        if let Ok(t) = s.parse::<Timestamp>() {
            return Ok(StartAt::Instant(t));
        }
        s.parse::<jiff::civil::DateTime>()
            .or_else(|_| {
                s.parse::<jiff::civil::Date>()
                    .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
            })
            .map(StartAt::Local)
            .map_err(|_| {
                format!(
                    "--now `{s}` is not an instant; use 2027-02-20T08:00 (plan time) or \
                     2027-02-20T00:00:00Z"
                )
            })
    }

    /// The instant, reading a local time in `tz` (the wall clock for [`StartAt::Now`]).
    pub fn resolve(self, tz: &jiff::tz::TimeZone) -> Timestamp {
        match self {
            StartAt::Now => SystemClock.now(),
            StartAt::Instant(t) => t,
            StartAt::Local(dt) => dt
                .to_zoned_datetime(tz.clone())
                .map(|z| z.timestamp())
                .unwrap_or_else(|_| SystemClock.now()),
        }
    }

    /// The clock a daemon runs on: the wall clock, or one that starts at the given instant and
    /// moves with real time.
    pub fn clock(self, tz: &jiff::tz::TimeZone) -> SharedClock {
        match self.offset_clock(tz) {
            Some(c) => Arc::new(c),
            None => Arc::new(SystemClock),
        }
    }

    /// The shifted clock for an instant given with `--now` (`None` for the wall clock).
    pub fn offset_clock(self, tz: &jiff::tz::TimeZone) -> Option<OffsetClock> {
        match self {
            StartAt::Now => None,
            other => Some(OffsetClock::starting_at(other.resolve(tz))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `restart` moves every clone back to the start instant. The one test here that watches
    /// real time go by: the clock under test is the real-time one (50 ms of it).
    #[test]
    fn an_offset_clock_restarts_at_its_instant_for_every_clone() {
        let t0: Timestamp = "2027-03-01T01:00:00Z".parse().unwrap();
        let c = OffsetClock::starting_at(t0);
        let shared: SharedClock = Arc::new(c.clone());
        let moved = t0 + SignedDuration::from_millis(50);
        while shared.now() < moved {
            std::hint::spin_loop();
        }
        c.restart();
        let now = shared.now();
        assert!(t0 <= now && now < moved, "{now}");
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let t0: Timestamp = "2027-02-20T00:00:00Z".parse().unwrap();
        let c = ManualClock::new(t0);
        assert_eq!(c.now(), t0);
        c.advance(SignedDuration::from_hours(2));
        assert_eq!(
            c.now(),
            "2027-02-20T02:00:00Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn offset_clock_starts_at_given_instant() {
        let t0: Timestamp = "2027-02-20T00:00:00Z".parse().unwrap();
        let c = OffsetClock::starting_at(t0);
        let d = c.now().duration_since(t0);
        assert!(d >= SignedDuration::ZERO && d < SignedDuration::from_secs(5));
    }
}
