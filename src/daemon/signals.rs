//! SIGTERM, SIGINT and SIGHUP for `dutybell run` and `dutybell-sleep`, kept pending in the
//! kernel until read, so that none is fatal or lost across the `exec`s between the two.
//!
//! The daemon becomes the sleeper and back by `exec` (`daemon::sleeper`). An `exec` resets
//! every caught signal to its default action, which for all three is to end the process: a
//! signal handler installed with `tokio::signal` left a window from the `exec` until the new
//! image installed its own, in which `systemctl reload` killed dutybell (and systemd counts
//! death by SIGHUP as a clean exit, so `Restart=on-failure` did not start it again). A signal
//! caught by the old image just before its `exec` was lost with it.
//!
//! Instead, both binaries [`block`] the three signals first thing, before any thread starts
//! (threads inherit the mask), and read them from a `signalfd` ([`Signals`]). A blocked signal
//! waits in the kernel, and both the mask and the pending signals survive `exec`: whatever
//! arrives while one image ends and the next starts is read by the next one. The one way to
//! lose a signal is to read it and not act on it; [`Signals::pending`] and [`resend`] close
//! that (the daemon reads its last signals before it goes to sleep and sends the unheeded ones
//! to itself again, for the sleeper).
//!
//! Children inherit the mask too. The daemon and the sleeper start no other program (the
//! `.doc` importer runs LibreOffice from the CLI, which does not block).
//!
//! May touch: the thread's signal mask, a signalfd, `kill` of this process.

use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, pthread_sigmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::Pid;
use tokio::io::unix::AsyncFd;

/// What a signal asks of dutybell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// SIGTERM or SIGINT: stop.
    Stop,
    /// SIGHUP: reload the configuration from disk.
    Reload,
}

fn set() -> SigSet {
    let mut s = SigSet::empty();
    for sig in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        s.add(sig);
    }
    s
}

/// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and so in every thread it starts
/// afterwards. Call it first thing in `main`, before the runtime's threads exist: a thread that
/// does not block them could take a signal with the default action (the end of the process).
///
/// # Errors
/// The mask cannot be set (not expected on Linux).
pub fn block() -> std::io::Result<()> {
    pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set()), None).map_err(std::io::Error::from)
}

/// The blocked signals, read from a `signalfd` on the tokio runtime.
#[derive(Debug)]
pub struct Signals {
    fd: AsyncFd<SignalFd>,
}

impl Signals {
    /// A reader of the three signals. Signals sent before this (while they were blocked, in
    /// this image or the one before the `exec`) are read first.
    ///
    /// # Errors
    /// No signalfd, or no tokio runtime with I/O enabled.
    pub fn new() -> std::io::Result<Signals> {
        let fd = SignalFd::with_flags(&set(), SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        // Deprecated in tokio 1.54 for any `T` whose `as_raw_fd` could change or close while
        // registered; `SignalFd` owns its descriptor (an `OwnedFd`) and the `AsyncFd` owns the
        // `SignalFd`, so the descriptor is the same and open until both drop. The replacement,
        // `AsyncFd::register`, is `unsafe`, which this crate forbids.
        #[allow(deprecated)]
        let fd = AsyncFd::new(fd)?;
        Ok(Signals { fd })
    }

    /// The next signal.
    ///
    /// # Errors
    /// Reading the signalfd failed.
    pub async fn recv(&self) -> std::io::Result<Asked> {
        loop {
            let mut guard = self.fd.readable().await?;
            // `WouldBlock` tells `try_io` to clear the readiness and wait again.
            let read = guard.try_io(|fd| match fd.get_ref().read_signal()? {
                Some(info) => Ok(info.ssi_signo),
                None => Err(std::io::ErrorKind::WouldBlock.into()),
            });
            if let Ok(signo) = read
                && let Some(asked) = asked(signo?)
            {
                return Ok(asked);
            }
        }
    }

    /// The signals already waiting, read without waiting for more (in the order read).
    ///
    /// # Errors
    /// Reading the signalfd failed.
    pub fn pending(&self) -> std::io::Result<Vec<Asked>> {
        let mut out = Vec::new();
        while let Some(info) = self.fd.get_ref().read_signal()? {
            out.extend(asked(info.ssi_signo));
        }
        Ok(out)
    }
}

fn asked(signo: u32) -> Option<Asked> {
    let sig = i32::try_from(signo).ok()?;
    match Signal::try_from(sig).ok()? {
        Signal::SIGTERM | Signal::SIGINT => Some(Asked::Stop),
        Signal::SIGHUP => Some(Asked::Reload),
        _ => None,
    }
}

/// Sends `asked` to this process again: read but not acted on (the daemon was on its way to
/// sleep), it stays pending through the `exec` and the next image reads it.
///
/// # Errors
/// `kill` failed (not expected for this process).
pub fn resend(asked: Asked) -> std::io::Result<()> {
    let sig = match asked {
        Asked::Stop => Signal::SIGTERM,
        Asked::Reload => Signal::SIGHUP,
    };
    kill(Pid::this(), sig).map_err(std::io::Error::from)
}
