//! The `file` channel: writes each notification as one JSON file in a directory, atomically.
//!
//! It is the embedded default (no SMTP or webhook configured) and what tests and `simulate` read.
//! A file is written to a temporary name, synced and renamed, so a reader never sees half a
//! message. A second delivery of the same reminder identity (at-least-once after a crash) is kept
//! as `<name>.dupN.json` instead of silently overwriting, so duplicates stay countable.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Channel, Notification, Receipt, SendError, SendFuture};

/// A channel that writes files into `dir`.
#[derive(Debug, Clone)]
pub struct FileChannel {
    id: String,
    dir: PathBuf,
    durable: bool,
}

impl FileChannel {
    /// A file channel named `id` writing into `dir` (created on first send).
    pub fn new(id: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        Self {
            id: id.into(),
            dir: dir.into(),
            durable: true,
        }
    }

    /// The same channel without fsync: for throw-away runs (`dutybell simulate`) whose files need
    /// not survive a power loss. Writes stay atomic (temporary name, then rename).
    pub fn scratch(mut self) -> Self {
        self.durable = false;
        self
    }

    /// The directory messages are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file name (without extension) used for a notification id: readable and collision-free.
    pub fn base_name(id: &str) -> String {
        let readable: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(120)
            .collect();
        let hash = Sha256::digest(id.as_bytes());
        let short: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("{readable}-{short}")
    }

    fn write(&self, n: &Notification) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let base = Self::base_name(&n.id);
        let mut target = self.dir.join(format!("{base}.json"));
        let mut dup = 1;
        while target.exists() {
            target = self.dir.join(format!("{base}.dup{dup}.json"));
            dup += 1;
        }
        let tmp = self.dir.join(format!(".{base}.{}.tmp", std::process::id()));
        let body = serde_json::to_vec_pretty(n).map_err(std::io::Error::other)?;
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&body)?;
            if self.durable {
                f.sync_all()?;
            }
        }
        std::fs::rename(&tmp, &target)?;
        // Make the rename itself durable before we report success.
        if self.durable
            && let Ok(d) = std::fs::File::open(&self.dir)
        {
            let _ = d.sync_all();
        }
        Ok(target)
    }
}

impl Channel for FileChannel {
    fn id(&self) -> &str {
        &self.id
    }

    fn concurrency(&self) -> usize {
        8
    }

    fn send<'a>(&'a self, n: &'a Notification) -> SendFuture<'a> {
        Box::pin(async move {
            let this = self.clone();
            let n = n.clone();
            let res = tokio::task::spawn_blocking(move || this.write(&n))
                .await
                .map_err(|e| SendError::transient(format!("file channel task failed: {e}")))?;
            match res {
                Ok(path) => Ok(Receipt {
                    detail: format!("written {}", path.display()),
                }),
                // A full disk or a permission problem may be fixed by the admin: retry.
                Err(e) => Err(SendError::transient(format!(
                    "cannot write to {}: {e}",
                    self.dir.display()
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{Colour, MessageKind, Recipients};

    fn sample(id: &str) -> Notification {
        Notification {
            id: id.into(),
            thread: "4.2/2027-spring".into(),
            kind: MessageKind::Lead,
            colour: Colour::Blue,
            subject: "【督办提醒】4.2 春季校园食品安全专项整治".into(),
            text: "正文".into(),
            html: None,
            markdown: "**正文**".into(),
            recipients: Recipients::default(),
            data: serde_json::json!({"task": "4.2"}),
            attempt_at: 0,
        }
    }

    #[tokio::test]
    async fn writes_one_file_per_message_and_keeps_duplicates_visible() {
        let dir = tempfile::tempdir().unwrap();
        let ch = FileChannel::new("file", dir.path());
        ch.send(&sample("4.2|a")).await.unwrap();
        ch.send(&sample("4.2|a")).await.unwrap();
        ch.send(&sample("4.2|b")).await.unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 3);
        assert_eq!(names.iter().filter(|n| n.contains(".dup1.")).count(), 1);
        let back: Notification =
            serde_json::from_slice(&std::fs::read(dir.path().join(&names[0])).unwrap()).unwrap();
        assert_eq!(back.subject, "【督办提醒】4.2 春季校园食品安全专项整治");
    }
}
