//! The one-dispatcher lock of a SQLite database: a daemon holds an exclusive `flock` on
//! `<database>.lock` for as long as it runs, so a second daemon started on the same file refuses
//! at start with the holder's pid instead of sending everything twice. The kernel drops the lock
//! when the process dies (even by `kill -9`), so there is nothing stale to clean up.
//!
//! The lock crosses the `exec`s between the daemon and the sleeper without being released: the
//! lock belongs to the open file (flock), so the descriptor is kept open through the `exec`
//! ([`DispatchLock::keep_across_exec`]) and the next image takes it over
//! ([`DispatchLock::inherited`]) after checking, in `/proc/self/fdinfo`, that this very open
//! file holds the lock. Released and taken again, the lock was free for the length of an `exec`
//! and a start-up, and a second `dutybell run` could take it.
//!
//! May touch: the lock file beside the database, `/proc/self/fd*` (reads).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::store::StoreError;

/// Held while a process dispatches from a SQLite database; released on drop or process exit
/// (an inherited one only at process exit).
#[derive(Debug)]
pub struct DispatchLock {
    held: Held,
    path: PathBuf,
}

/// The open file that holds the lock.
#[derive(Debug)]
enum Held {
    /// Opened and locked by this process image.
    Opened(File),
    /// Descriptor `n`, left open by the image before the `exec`. Not owned (taking ownership
    /// of a descriptor number needs `unsafe`): it stays open until the process exits.
    Inherited(i32),
}

fn lock_path(db: &Path) -> PathBuf {
    super::beside(db, ".lock")
}

impl DispatchLock {
    /// Takes the lock for the database at `db`, writing `holder` (e.g. `pid 1234 on host`) into
    /// the lock file for the next process to report.
    ///
    /// # Errors
    /// [`StoreError::Locked`] naming the holder when another process has it;
    /// [`StoreError::Io`] when the lock file cannot be created.
    pub fn acquire(db: &Path, holder: &str) -> Result<DispatchLock, StoreError> {
        let path = lock_path(db);
        let io = |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(StoreError::Locked {
                    path: path.display().to_string(),
                    holder: text.trim().to_owned(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(holder.as_bytes()).map_err(io)?;
        Ok(DispatchLock {
            held: Held::Opened(file),
            path,
        })
    }

    /// Takes over the lock on `db` that descriptor `fd` holds, left open by the process image
    /// before the `exec` ([`keep_across_exec`](Self::keep_across_exec)), and writes `holder`
    /// into the lock file. `None` when `fd` is not an open file of that lock file holding its
    /// exclusive lock (the caller then [`acquire`](Self::acquire)s it): the number comes from
    /// the environment, so it is checked rather than trusted.
    pub fn inherited(db: &Path, fd: i32, holder: &str) -> Option<DispatchLock> {
        let path = lock_path(db);
        // `/proc/self/fd/N` leads to the open file itself, wherever it is now.
        let open = std::fs::metadata(format!("/proc/self/fd/{fd}")).ok()?;
        let file = std::fs::metadata(&path).ok()?;
        let same_file = (open.dev(), open.ino()) == (file.dev(), file.ino());
        // Only the open file that holds a lock shows it in its fdinfo:
        // "lock:\t1: FLOCK  ADVISORY  WRITE <pid> <dev>:<ino> 0 EOF".
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).ok()?;
        let holds = info
            .lines()
            .any(|l| l.starts_with("lock:") && l.contains(" FLOCK ") && l.contains(" WRITE "));
        if !(same_file && holds) {
            return None;
        }
        // What the next refused process reports; the lock is advisory, so the write needs none.
        let _ = std::fs::write(&path, holder);
        Some(DispatchLock {
            held: Held::Inherited(fd),
            path,
        })
    }

    /// Takes over the lock descriptor `fd` that the image before the `exec` left open, when
    /// given and it holds the lock ([`inherited`](Self::inherited)); otherwise
    /// [`acquire`](Self::acquire)s it.
    ///
    /// # Errors
    /// As [`acquire`](Self::acquire).
    pub fn take_over_or_acquire(
        db: &Path,
        fd: Option<i32>,
        holder: &str,
    ) -> Result<DispatchLock, StoreError> {
        match fd.and_then(|fd| Self::inherited(db, fd, holder)) {
            Some(lock) => Ok(lock),
            None => Self::acquire(db, holder),
        }
    }

    /// The descriptor to hand to the next image ([`keep_across_exec`](Self::keep_across_exec)),
    /// or `None`, said in the log, when it cannot be kept open: the next image then takes the
    /// lock again, as before this hand-over existed.
    pub fn for_exec(&self) -> Option<i32> {
        self.keep_across_exec()
            .inspect_err(|e| tracing::warn!(error = %e, "cannot keep the dispatch lock across the exec; the next process takes it again"))
            .ok()
    }

    /// Leaves the lock's descriptor open through this process's next `exec` and returns its
    /// number, for [`inherited`](Self::inherited) in the next image.
    ///
    /// # Errors
    /// The descriptor's flags cannot be changed (not expected).
    pub fn keep_across_exec(&self) -> std::io::Result<i32> {
        use nix::fcntl::{FcntlArg, FdFlag, fcntl};
        match &self.held {
            Held::Opened(file) => {
                fcntl(file, FcntlArg::F_SETFD(FdFlag::empty()))?;
                Ok(std::os::fd::AsRawFd::as_raw_fd(file))
            }
            // Without FD_CLOEXEC since the `exec` that passed it here.
            Held::Inherited(fd) => Ok(*fd),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    /// Only a descriptor of this lock file that holds its lock is taken over; any other
    /// number (another open of the file, another file, no descriptor) is refused.
    #[test]
    fn only_the_descriptor_that_holds_the_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let held = DispatchLock::acquire(&db, "pid 1 since then").unwrap();
        let fd = held.keep_across_exec().unwrap();
        let taken = DispatchLock::inherited(&db, fd, "pid 1 (asleep)").expect("taken over");
        assert_eq!(taken.keep_across_exec().unwrap(), fd);
        assert_eq!(
            std::fs::read_to_string(lock_path(&db)).unwrap(),
            "pid 1 (asleep)"
        );

        let other_open = File::open(lock_path(&db)).unwrap();
        assert!(DispatchLock::inherited(&db, other_open.as_raw_fd(), "x").is_none());
        let other_file = File::create(&db).unwrap();
        assert!(DispatchLock::inherited(&db, other_file.as_raw_fd(), "x").is_none());
        assert!(DispatchLock::inherited(&db, 1_000_000, "x").is_none());

        // The other database's lock is a different file.
        let db2 = dir.path().join("y.db");
        let _second = DispatchLock::acquire(&db2, "pid 2").unwrap();
        assert!(DispatchLock::inherited(&db2, fd, "x").is_none());

        // The one entry point: the holding descriptor is taken over; a wrong or missing one
        // falls back to taking the lock, which the holder refuses.
        let again = DispatchLock::take_over_or_acquire(&db, Some(fd), "pid 1").unwrap();
        assert_eq!(again.keep_across_exec().unwrap(), fd);
        for wrong in [None, Some(other_open.as_raw_fd())] {
            assert!(matches!(
                DispatchLock::take_over_or_acquire(&db, wrong, "pid 3"),
                Err(StoreError::Locked { .. })
            ));
        }
    }
}
