//! The hand-overs of the sleeper: the configuration snapshot file, the environment and the
//! standard input each `exec` passes on, and the `exec`s themselves.
//!
//! May touch: the snapshot file, the environment, standard input, `exec`.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{BINARY, HANDOFF_ENV, Handoff, LISTENER_ENV, Reason, WAKE_ENV, Wake};
use crate::clock::SharedClock;
use crate::config::source::Snapshot;

/// Where the snapshot of the configuration goes: beside the database.
pub fn snapshot_path(db: &Path) -> PathBuf {
    crate::store::sqlite::beside(db, ".config-snapshot.json")
}

/// Writes `snap` to `path` (mode 0600, through a temporary file and a rename, so a crash
/// leaves the old snapshot or the new one).
///
/// # Errors
/// The file cannot be written.
pub fn write_snapshot(path: &Path, snap: &Snapshot) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let json = snap.to_json().map_err(std::io::Error::other)?;
    // Written once per configuration, not at every sleep: a woken daemon replays this very file,
    // and the snapshot only changes at a reload (a large plan's is megabytes, synced to disk).
    if std::fs::read(path).is_ok_and(|old| old == json.as_bytes()) {
        return Ok(());
    }
    let tmp = crate::store::sqlite::beside(path, ".tmp");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(json.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Reads the snapshot at `path`.
///
/// # Errors
/// Missing or not a snapshot.
pub fn read_snapshot(path: &Path) -> anyhow::Result<Snapshot> {
    let text = std::fs::read_to_string(path)?;
    Ok(Snapshot::from_json(&text)?)
}

/// The hand-over this process was started with as the sleeper, if any. (The variable stays in
/// the environment: removing it is `unsafe` in this edition; the next `exec` drops it.)
pub fn take_handoff() -> Option<anyhow::Result<Handoff>> {
    take_env(HANDOFF_ENV)
}

/// The wake this daemon was started with by the sleeper, if any.
pub fn take_wake() -> Option<anyhow::Result<Wake>> {
    take_env(WAKE_ENV)
}

fn take_env<T: for<'de> Deserialize<'de>>(name: &str) -> Option<anyhow::Result<T>> {
    let v = std::env::var(name).ok()?;
    Some(serde_json::from_str(&v).map_err(|e| anyhow::anyhow!("{name}: {e}")))
}

/// The web pages' listening socket handed over as standard input, if this process got one.
///
/// # Errors
/// The marker is set but standard input is not a listening TCP socket.
pub fn take_listener() -> std::io::Result<Option<std::net::TcpListener>> {
    if std::env::var_os(LISTENER_ENV).is_none_or(|v| v != "stdin") {
        return Ok(None);
    }
    let fd: OwnedFd = std::io::stdin().as_fd().try_clone_to_owned()?;
    let l = std::net::TcpListener::from(fd);
    // Fails unless it is a bound socket.
    l.local_addr()?;
    Ok(Some(l))
}

/// The sleeper binary beside this one, when it is installed.
pub fn sleeper_binary() -> Option<PathBuf> {
    let me = std::env::current_exe().ok()?;
    let path = me.with_file_name(BINARY);
    path.is_file().then_some(path)
}

/// This binary's path, for the sleeper's way back. `current_exe` reads `/proc/self/exe`, which
/// ends in ` (deleted)` after an upgrade replaced the file: the path then names the new one.
pub fn daemon_binary() -> std::io::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let s = me.to_string_lossy();
    Ok(match s.strip_suffix(" (deleted)") {
        Some(p) => PathBuf::from(p),
        None => me,
    })
}

/// A command for `path` that keeps this process's first argument (what `ps` shows) and hands
/// `listener` over as standard input.
fn command(path: &Path, listener: Option<std::net::TcpListener>) -> std::process::Command {
    let mut c = std::process::Command::new(path);
    c.env_remove(HANDOFF_ENV).env_remove(WAKE_ENV);
    match listener {
        Some(l) => {
            c.stdin(std::process::Stdio::from(OwnedFd::from(l)))
                .env(LISTENER_ENV, "stdin");
        }
        None => {
            c.env_remove(LISTENER_ENV);
        }
    }
    c
}

/// Replaces this process with the sleeper at `sleeper`. Returns only when the `exec` failed.
pub fn exec_sleeper(
    sleeper: &Path,
    h: &Handoff,
    listener: Option<std::net::TcpListener>,
) -> std::io::Error {
    let json = match serde_json::to_string(h) {
        Ok(j) => j,
        Err(e) => return std::io::Error::other(e),
    };
    command(sleeper, listener).env(HANDOFF_ENV, json).exec()
}

/// Replaces the sleeper with the daemon. Returns only when the `exec` failed.
pub fn exec_daemon(
    h: &Handoff,
    reason: Reason,
    clock: &SharedClock,
    listener: Option<std::net::TcpListener>,
    lock_fd: Option<i32>,
) -> std::io::Error {
    let wake = Wake {
        reason,
        snapshot: h.snapshot.clone(),
        lock_fd,
    };
    let json = match serde_json::to_string(&wake) {
        Ok(j) => j,
        Err(e) => return std::io::Error::other(e),
    };
    let mut c = command(&h.daemon, listener);
    c.arg("run")
        .arg("--config")
        .arg(&h.config)
        .env(WAKE_ENV, json);
    // The `--now` clock goes on from where it is (the daemon's own `--now` would restart it).
    match h.shifted_now {
        Some(_) => c.env("DUTYBELL_NOW", clock.now().to_string()),
        None => c.env_remove("DUTYBELL_NOW"),
    };
    c.exec()
}
