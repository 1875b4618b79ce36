//! Where a configuration's files are read from: the disk, or a [`Snapshot`] of exactly what an
//! earlier load read.
//!
//! Why: the daemon between reminders hands over to a small sleeper process (`daemon::sleeper`)
//! and starts again when there is work. A restart reads the files again, but a running daemon
//! must keep its last good configuration until SIGHUP (an edit saved without a reload must
//! neither apply by itself nor, when it is broken, stop the daemon). So every load the daemon
//! keeps is recorded here, written beside the database when it goes to sleep, and replayed when
//! it wakes.
//!
//! Every read of the config, plan, calendar and template files goes through this module (the
//! loader's and the renderer's). Secrets are not read here: they come from the environment or
//! credential files at every start and never enter a snapshot.
//!
//! May touch: the files it is asked to read (outside a replay).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What a path was when it was looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// Something else (device, FIFO, socket).
    Other,
    /// Nothing there (or not readable).
    Missing,
}

/// One recorded answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    /// A read that succeeded (text files are kept as text, so the snapshot stays readable).
    Text(String),
    /// A read of a file that is not UTF-8 (the loader reports it; replay reports it again).
    Bytes(Vec<u8>),
    /// A read that failed, with its message.
    Failed(String),
    /// A directory's entries (full paths, sorted).
    Listing(Vec<PathBuf>),
    /// A `kind` query.
    Kind(String),
}

/// Everything one load read, by path and question.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `read:PATH`, `list:PATH`, `kind:PATH` → the answer.
    entries: BTreeMap<String, Entry>,
}

impl Snapshot {
    /// Number of recorded answers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The snapshot as JSON (for the file the sleeping daemon leaves beside its database).
    ///
    /// # Errors
    /// Never in practice (every entry serialises).
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(self)
    }

    /// Reads a snapshot written by [`Snapshot::to_json`].
    ///
    /// # Errors
    /// Not a snapshot.
    pub fn from_json(s: &str) -> serde_json::Result<Snapshot> {
        serde_json::from_str(s)
    }
}

/// How this thread reads.
enum Mode {
    Disk,
    Record(Snapshot),
    Replay(Arc<Snapshot>),
}

thread_local! {
    static MODE: RefCell<Mode> = const { RefCell::new(Mode::Disk) };
}

/// Runs `f` reading from the disk and records every answer it got.
pub fn record<T>(f: impl FnOnce() -> T) -> (T, Snapshot) {
    let before = MODE.with(|m| m.replace(Mode::Record(Snapshot::default())));
    let out = f();
    let after = MODE.with(|m| m.replace(before));
    let snap = match after {
        Mode::Record(s) => s,
        _ => Snapshot::default(),
    };
    (out, snap)
}

/// Runs `f` answering every read from `snap`; a question `snap` has no answer for fails as a
/// missing file would (the load then reports it like any other error).
pub fn replay<T>(snap: Arc<Snapshot>, f: impl FnOnce() -> T) -> T {
    let before = MODE.with(|m| m.replace(Mode::Replay(snap)));
    let out = f();
    MODE.with(|m| m.replace(before));
    out
}

/// Answers `key` from the replayed snapshot, or computes it from the disk (recording it when
/// recording).
fn answer(key: String, disk: impl FnOnce() -> Entry) -> Entry {
    let replayed = MODE.with(|m| match &*m.borrow() {
        Mode::Replay(s) => Some(
            s.entries
                .get(&key)
                .cloned()
                .unwrap_or_else(|| Entry::Failed("not in the configuration snapshot".into())),
        ),
        _ => None,
    });
    if let Some(e) = replayed {
        return e;
    }
    let e = disk();
    MODE.with(|m| {
        if let Mode::Record(s) = &mut *m.borrow_mut() {
            s.entries.insert(key, e.clone());
        }
    });
    e
}

fn key(what: &str, p: &Path) -> String {
    format!("{what}:{}", p.display())
}

/// What `p` is (following symlinks, as `Path::is_file` does).
pub fn kind(p: &Path) -> Kind {
    let e = answer(key("kind", p), || {
        let k = match std::fs::metadata(p) {
            Ok(m) if m.is_file() => "file",
            Ok(m) if m.is_dir() => "dir",
            Ok(_) => "other",
            Err(_) => "missing",
        };
        Entry::Kind(k.into())
    });
    match e {
        Entry::Kind(k) => match k.as_str() {
            "file" => Kind::File,
            "dir" => Kind::Dir,
            "other" => Kind::Other,
            _ => Kind::Missing,
        },
        _ => Kind::Missing,
    }
}

/// Reads at most `limit + 1` bytes of `p` (the extra byte lets the caller report "over the
/// limit"). The caller checks first, with [`kind`], that it is a regular file: opening a FIFO
/// would block.
///
/// # Errors
/// The I/O error's message.
pub fn read(p: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let e = answer(key("read", p), || {
        let mut bytes = Vec::new();
        match std::fs::File::open(p).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes)) {
            Ok(_) => match String::from_utf8(bytes) {
                Ok(s) => Entry::Text(s),
                Err(b) => Entry::Bytes(b.into_bytes()),
            },
            Err(e) => Entry::Failed(e.to_string()),
        }
    });
    match e {
        Entry::Text(s) => Ok(s.into_bytes()),
        Entry::Bytes(b) => Ok(b),
        Entry::Failed(m) => Err(m),
        _ => Err("not a file".into()),
    }
}

/// Reads `p` as UTF-8 text (calendar and template files, which are small).
///
/// # Errors
/// The I/O error's message, or that the file is not UTF-8.
pub fn read_to_string(p: &Path) -> Result<String, String> {
    let bytes = read(p, u64::MAX - 1)?;
    String::from_utf8(bytes).map_err(|_| "stream did not contain valid UTF-8".to_string())
}

/// The entries of directory `p`, full paths, sorted.
///
/// # Errors
/// The I/O error's message.
pub fn list(p: &Path) -> Result<Vec<PathBuf>, String> {
    let e = answer(key("list", p), || {
        let read = std::fs::read_dir(p).and_then(|rd| {
            rd.map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<Vec<_>>>()
        });
        match read {
            Ok(mut v) => {
                v.sort();
                Entry::Listing(v)
            }
            Err(e) => Entry::Failed(e.to_string()),
        }
    });
    match e {
        Entry::Listing(v) => Ok(v),
        Entry::Failed(m) => Err(m),
        _ => Err("not a directory".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_answers_what_the_recording_saw_after_the_disk_changed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.yaml");
        std::fs::write(&f, "x: 1\n").unwrap();
        let seen = |p: &Path| {
            (
                kind(p),
                read_to_string(&p.join("a.yaml")),
                list(p).map(|v| v.len()),
                kind(&p.join("gone")),
            )
        };
        let (first, snap) = record(|| seen(dir.path()));
        assert_eq!(first.0, Kind::Dir);
        assert_eq!(first.1.as_deref(), Ok("x: 1\n"));
        assert_eq!(first.2, Ok(1));
        assert_eq!(first.3, Kind::Missing);
        // The disk changes; a replay still sees the recorded files, and the JSON round-trips.
        std::fs::write(&f, "x: 2\n").unwrap();
        std::fs::write(dir.path().join("gone"), "").unwrap();
        let snap = Arc::new(Snapshot::from_json(&snap.to_json().unwrap()).unwrap());
        assert_eq!(replay(snap.clone(), || seen(dir.path())), first);
        // Outside the replay the disk answers again.
        assert_eq!(read_to_string(&f).as_deref(), Ok("x: 2\n"));
        // A question the recording never asked fails like a missing file.
        let other = dir.path().join("other.yaml");
        assert_eq!(replay(snap, || kind(&other)), Kind::Missing);
    }

    #[test]
    fn a_failed_read_is_recorded_as_failed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope.json");
        let (r, snap) = record(|| read_to_string(&p));
        assert!(r.is_err());
        assert_eq!(replay(Arc::new(snap), || read_to_string(&p)), r);
    }
}
