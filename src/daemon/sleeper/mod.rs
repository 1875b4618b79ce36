//! The sleeper: what the daemon becomes between reminders.
//!
//! A daemon that has sent everything due and has nothing to do for a while (no sends in flight,
//! no web request or office session, the next due instant at least [`SleepPolicy::min_sleep`]
//! away) closes its store and web pages and `exec`s `dutybell-sleep`, a small binary installed
//! beside it, under the same PID (systemd sees one service throughout): that process maps only
//! the little code it runs, so it holds a few MiB instead of ~30 (docs/BENCHMARKS.md,
//! "Sleeper"). It keeps:
//!
//! - the SQLite one-dispatcher lock (its descriptor stays open through both `exec`s, so it is
//!   never free),
//! - the web pages' listening socket (handed over as standard input, so a connection waits in
//!   the kernel's queue while the full daemon starts, and is answered by it),
//! - the configuration the daemon ran with, as a [`Snapshot`](crate::config::source::Snapshot) file beside the database: a wake
//!   replays it, so an edit saved without SIGHUP neither applies nor, if broken, stops dutybell,
//! - the `--now` clock's reading.
//!
//! It `exec`s `dutybell run` again ([`Reason`]) [`LEAD`] before the next due instant, on
//! SIGHUP (a reload from disk; a refused one keeps the snapshot), on a connection to the web
//! pages, or when another process wrote to the database (a step reported done with the CLI).
//! It pings the systemd watchdog, checks the database path as the running daemon does (a deleted
//! or replaced file is saved from the descriptors it holds: [`Held`]), and stops at SIGTERM
//! with nothing in flight. No SQLite here: the daemon closed the database, and the last close
//! checkpointed it into the main file. Signals stay blocked across both `exec`s and are read
//! from a signalfd ([`signals`](super::signals)), so one sent at the moment of an `exec` is
//! neither fatal nor lost.
//!
//! May touch: `exec`, signals, the lock and database files (`stat`, read-only descriptors, a
//! rescue copy), sd_notify, the handed-over socket (readiness only: it never accepts).

mod handover;
mod held;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::signals::Asked;
use crate::clock::SharedClock;
use crate::store::sqlite::fault::FileState;

pub use handover::{
    daemon_binary, exec_daemon, exec_sleeper, read_snapshot, sleeper_binary, snapshot_path,
    take_handoff, take_listener, take_wake, write_snapshot,
};
pub use held::Held;
use held::stamps;

/// The sleeper binary's file name (beside `dutybell`).
pub const BINARY: &str = "dutybell-sleep";
/// The hand-over to the sleeper ([`Handoff`] as JSON).
const HANDOFF_ENV: &str = "DUTYBELL_SLEEP";
/// The hand-over back to the daemon ([`Wake`] as JSON).
const WAKE_ENV: &str = "DUTYBELL_WAKE";
/// `stdin` when standard input is the web pages' listening socket.
const LISTENER_ENV: &str = "DUTYBELL_LISTENER";
/// Test and drill override of [`CHECK_EVERY`], in milliseconds.
const CHECK_ENV: &str = "DUTYBELL_SLEEP_CHECK_MS";

/// How long before the next due instant the sleeper starts the daemon: start-up (config, plan
/// check, store) takes well under a second on the bundled plan and about a second with a
/// million outbox rows (BENCHMARKS §9), so the send still leaves on time.
pub const LEAD: SignedDuration = SignedDuration::from_secs(60);

/// How often the sleeper looks at the database files (as the running daemon does,
/// `storage::CHECK_EVERY`): a step reported done with the CLI wakes the daemon within this.
pub const CHECK_EVERY: Duration = super::storage::CHECK_EVERY;

/// When a daemon may go to sleep.
#[derive(Debug, Clone, Copy)]
pub struct SleepPolicy {
    /// Stay awake at least this long after a start, a wake or the last web request.
    pub stay_awake: SignedDuration,
    /// Sleep only when the next due instant is at least this far away (a short sleep would cost
    /// more in start-up than it saves).
    pub min_sleep: SignedDuration,
}

impl Default for SleepPolicy {
    fn default() -> Self {
        SleepPolicy {
            stay_awake: SignedDuration::from_mins(2),
            min_sleep: SignedDuration::from_mins(10),
        }
    }
}

impl SleepPolicy {
    /// The instant the daemon may go to sleep, given that it is busy until `busy_until` (woken,
    /// last request, office sessions) and next has work at `until`; `None` when the sleep
    /// would be too short to be worth it.
    pub fn sleep_at(&self, busy_until: Timestamp, until: Timestamp) -> Option<Timestamp> {
        let at = busy_until.saturating_add(self.stay_awake).ok()?;
        (until.duration_since(at) >= self.min_sleep).then_some(at)
    }
}

/// Why the sleeper started the daemon again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The next due instant is [`LEAD`] away.
    Due,
    /// SIGHUP: reload the configuration from disk.
    Reload,
    /// A connection to the web pages.
    Web,
    /// Another process wrote to the database.
    Database,
}

impl Reason {
    /// For the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Due => "the next reminder is due",
            Reason::Reload => "SIGHUP (reload)",
            Reason::Web => "a web request",
            Reason::Database => "another process wrote to the database",
        }
    }
}

/// What the daemon hands to the sleeper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    /// When the daemon next has work.
    pub until: Timestamp,
    /// The `--now` clock's reading at the hand-over (`None`: the wall clock).
    pub shifted_now: Option<Timestamp>,
    /// The daemon binary to start again (the one that went to sleep: after an upgrade in place,
    /// the new file at its path).
    pub daemon: PathBuf,
    /// The config file, as the daemon was given it.
    pub config: PathBuf,
    /// The configuration snapshot file.
    pub snapshot: PathBuf,
    /// The SQLite database.
    pub db: PathBuf,
    /// The daemon's last status line (what is next), for the log and `systemctl status`.
    pub status: String,
    /// When the sleeper will start the daemon, in the plan's zone (for the log).
    pub wake_local: String,
    /// The descriptor that holds the SQLite dispatch lock, kept open through the `exec`
    /// ([`DispatchLock::keep_across_exec`](crate::store::sqlite::DispatchLock::keep_across_exec)).
    #[serde(default)]
    pub lock_fd: Option<i32>,
}

/// What the sleeper hands back to the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wake {
    /// Why.
    pub reason: Reason,
    /// The configuration snapshot to replay (or to fall back on, for [`Reason::Reload`]).
    pub snapshot: PathBuf,
    /// The descriptor that holds the SQLite dispatch lock, kept open through the `exec`.
    #[serde(default)]
    pub lock_fd: Option<i32>,
}

/// What the sleeper's wait ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Start the daemon.
    Wake(Reason),
    /// SIGTERM/SIGINT: exit 0.
    Stop,
}

/// The sleeper's check interval ([`CHECK_EVERY`], or the test override), no longer than half
/// the watchdog's.
pub fn check_every() -> Duration {
    let base = std::env::var(CHECK_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map_or(CHECK_EVERY, Duration::from_millis);
    match super::systemd::watchdog_interval() {
        Some(w) => base.min(w),
        None => base,
    }
}

/// When the sleeper starts the daemon for work at `until`.
pub fn wake_at(until: Timestamp) -> Timestamp {
    until.checked_sub(LEAD).unwrap_or(until)
}

/// How long the sleeper waits before starting the daemon for `until`.
pub fn wait_for(until: Timestamp, now: Timestamp) -> Duration {
    wake_at(until)
        .duration_since(now)
        .max(SignedDuration::ZERO)
        .unsigned_abs()
}

/// Resolves when a connection waits on `l`. A thread of its own blocks in `mio`'s poll on a
/// second descriptor of the socket (tokio's listener has no readiness without `accept`, and
/// the sleeper must leave the connection queued for the daemon).
fn readable(l: &std::net::TcpListener) -> std::io::Result<tokio::sync::oneshot::Receiver<()>> {
    let mut watched = mio::net::TcpListener::from_std(l.try_clone()?);
    let mut poll = mio::Poll::new()?;
    poll.registry()
        .register(&mut watched, mio::Token(0), mio::Interest::READABLE)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("dutybell-sleeper-web".into())
        .spawn(move || {
            let mut events = mio::Events::with_capacity(1);
            loop {
                match poll.poll(&mut events, None) {
                    Ok(()) if !events.is_empty() => break,
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
            let _ = tx.send(());
        })?;
    Ok(rx)
}

/// Waits for a reason to wake: the due instant, a signal, a connection, a write to the
/// database, or a lost database file (rescued, then an error: exit 1, as the running daemon).
/// The files are looked at `every` ([`check_every`]). The signals must be blocked
/// ([`signals::block`](super::signals::block)) since the start; one sent before this, even
/// before the `exec`, is read at once.
///
/// # Errors
/// The database file was deleted or replaced (after the rescue), or signals cannot be read.
pub async fn wait(
    h: &Handoff,
    clock: &SharedClock,
    listener: Option<&std::net::TcpListener>,
    every: Duration,
) -> anyhow::Result<Ended> {
    let signals = super::signals::Signals::new()?;
    let held = Held::open(&h.db)?;
    let before = stamps(&h.db);
    let ready = async {
        match listener {
            Some(l) => readable(l)?.await.map_err(std::io::Error::other),
            None => std::future::pending().await,
        }
    };
    tokio::pin!(ready);
    let watchdog = super::systemd::watchdog_interval().is_some();
    loop {
        let nap = wait_for(h.until, clock.now()).min(every);
        tokio::select! {
            // Signals first: a stop or a reload that came with a connection is not left for
            // the daemon (it would read it, but a stop would then start it for nothing).
            biased;
            asked = signals.recv() => return Ok(match asked? {
                Asked::Stop => Ended::Stop,
                Asked::Reload => Ended::Wake(Reason::Reload),
            }),
            r = &mut ready => {
                r?;
                return Ok(Ended::Wake(Reason::Web));
            }
            () = tokio::time::sleep(nap) => {}
        }
        if watchdog {
            super::systemd::watchdog();
        }
        let state = held.state();
        if state != FileState::Same {
            tracing::error!(state = ?state, "the database file was deleted or replaced while dutybell slept");
            return Err(held.rescue(state, clock.now()));
        }
        if stamps(&h.db) != before {
            return Ok(Ended::Wake(Reason::Database));
        }
        if wait_for(h.until, clock.now()).is_zero() {
            return Ok(Ended::Wake(Reason::Due));
        }
    }
}
