//! The `dutybell-sleep` binary's main: reads the hand-over, keeps the dispatch lock, waits
//! (`daemon::sleeper::wait`), then `exec`s the daemon again or stops.
//!
//! May touch: the environment, the lock file, the log, sd_notify, `exec`.

use std::process::ExitCode;
use std::sync::Arc;

use crate::daemon::sleeper;

/// Runs the sleeper; returns only when it stops (SIGTERM: 0) or fails (1; 2 when started by
/// hand).
pub fn main() -> ExitCode {
    // Before any thread: the signals wait for `sleeper::wait` (or, after the `exec`, the
    // daemon) to read them, instead of ending the process in between.
    if let Err(e) = crate::daemon::signals::block() {
        eprintln!("error: cannot block signals: {e}");
        return ExitCode::from(1);
    }
    super::daemon::init_tracing();
    let h = match sleeper::take_handoff() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(1);
        }
        None => {
            eprintln!(
                "error: dutybell-sleep is started by `dutybell run` when it goes to sleep, not by hand"
            );
            return ExitCode::from(2);
        }
    };
    let listener = match sleeper::take_listener() {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "standard input is not the web pages' socket");
            None
        }
    };
    let clock: crate::clock::SharedClock = match h.shifted_now {
        Some(t) => Arc::new(crate::clock::OffsetClock::starting_at(t)),
        None => Arc::new(crate::clock::SystemClock),
    };
    let holder = format!("pid {} (asleep)", std::process::id());
    // Normally the daemon's descriptor, still holding the lock; taken anew only if not.
    let lock = match crate::store::sqlite::DispatchLock::take_over_or_acquire(
        &h.db, h.lock_fd, &holder,
    ) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "cannot keep the database's dispatch lock while asleep");
            return ExitCode::from(1);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the sleeper's runtime");
            return ExitCode::from(1);
        }
    };
    tracing::info!(wake_at = %h.wake_local, "asleep");
    if crate::daemon::systemd::under_systemd() {
        crate::daemon::systemd::status(&format!("asleep; {}", h.status));
    }
    let ended = rt.block_on(sleeper::wait(
        &h,
        &clock,
        listener.as_ref(),
        sleeper::check_every(),
    ));
    drop(rt);
    match ended {
        Ok(sleeper::Ended::Stop) => {
            crate::daemon::systemd::stopping();
            tracing::info!("stop requested; stopped while asleep (nothing was in flight)");
            ExitCode::SUCCESS
        }
        Ok(sleeper::Ended::Wake(reason)) => {
            if reason == sleeper::Reason::Reload {
                crate::daemon::systemd::reloading();
            }
            // The lock's descriptor stays open through the `exec`: the daemon takes it over.
            let e = sleeper::exec_daemon(&h, reason, &clock, listener, lock.for_exec());
            drop(lock);
            tracing::error!(error = %e, daemon = %h.daemon.display(), "cannot start the daemon again; exiting (systemd restarts dutybell)");
            ExitCode::from(1)
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "stopped");
            ExitCode::from(1)
        }
    }
}
