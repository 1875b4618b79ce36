//! The one-dispatcher lock of a SQLite database: a daemon holds an exclusive `flock` on
//! `<database>.lock` for as long as it runs, so a second daemon started on the same file refuses
//! at start with the holder's pid instead of sending everything twice. The kernel drops the lock
//! when the process dies (even by `kill -9`), so there is nothing stale to clean up.
//!
//! May touch: the lock file beside the database.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::store::StoreError;

/// Held while a process dispatches from a SQLite database; released on drop or process exit.
#[derive(Debug)]
pub struct DispatchLock {
    _file: File,
    path: PathBuf,
}

impl DispatchLock {
    /// Takes the lock for the database at `db`, writing `holder` (e.g. `pid 1234 on host`) into
    /// the lock file for the next process to report.
    ///
    /// # Errors
    /// [`StoreError::Locked`] naming the holder when another process has it;
    /// [`StoreError::Io`] when the lock file cannot be created.
    pub fn acquire(db: &Path, holder: &str) -> Result<DispatchLock, StoreError> {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
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
        Ok(DispatchLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
