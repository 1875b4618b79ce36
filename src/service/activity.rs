//! When the web pages were last used: written by the pages, read by the daemon's loop to decide
//! whether it may go to sleep (`daemon::sleeper`). Here, below both, so neither depends on the
//! other.

/// When the pages were last used, for the daemon's decision to sleep (`daemon::sleeper`): the
/// last request, and the end of the longest office session (sessions live in memory, so a
/// daemon that slept would log the office out).
#[derive(Debug, Default)]
pub struct Activity {
    last_request: std::sync::atomic::AtomicI64,
    session_until: std::sync::atomic::AtomicI64,
}

impl Activity {
    /// A request arrived at `now`.
    pub fn request(&self, now: jiff::Timestamp) {
        self.last_request
            .fetch_max(now.as_second(), std::sync::atomic::Ordering::Relaxed);
    }

    /// An office session lives until `until`.
    pub fn session(&self, until: jiff::Timestamp) {
        self.session_until
            .fetch_max(until.as_second(), std::sync::atomic::Ordering::Relaxed);
    }

    /// The last request (the Unix epoch when none came yet).
    pub fn last_request(&self) -> jiff::Timestamp {
        let s = self.last_request.load(std::sync::atomic::Ordering::Relaxed);
        jiff::Timestamp::from_second(s).unwrap_or_default()
    }

    /// The end of the longest office session started (the Unix epoch when none was).
    pub fn sessions_until(&self) -> jiff::Timestamp {
        let s = self
            .session_until
            .load(std::sync::atomic::Ordering::Relaxed);
        jiff::Timestamp::from_second(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_request_and_the_longest_session_are_kept() {
        let a = Activity::default();
        assert_eq!(a.last_request(), jiff::Timestamp::UNIX_EPOCH);
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        a.request(t("2026-07-01T02:00:00Z"));
        // A request that started earlier but finished its guard later does not move it back.
        a.request(t("2026-07-01T01:59:00Z"));
        assert_eq!(a.last_request(), t("2026-07-01T02:00:00Z"));
        a.session(t("2026-07-01T10:00:00Z"));
        a.session(t("2026-07-01T09:00:00Z"));
        assert_eq!(a.sessions_until(), t("2026-07-01T10:00:00Z"));
    }
}
