//! Legacy Word (.doc, and RTF or WPS files saved under that name): converted to .docx by
//! LibreOffice headless, then read as a .docx.
//!
//! `soffice --headless --convert-to docx` runs with a private profile
//! (`-env:UserInstallation=file:///TMP/profile`) so it neither touches nor waits for the user's
//! own LibreOffice, in its own process group so that a timeout kills soffice.bin and every
//! helper it started, not just the launcher. The scratch folder is removed afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::read::{Limits, ReadError};
use super::source::{DocFormat, SourceDoc};

/// Converts `path` with LibreOffice and reads the result.
pub(super) fn read(path: &Path, limits: &Limits) -> Result<SourceDoc, ReadError> {
    read_with(path, limits, &["soffice", "libreoffice"])
}

/// [`read`] with the program names to look for on PATH.
fn read_with(path: &Path, limits: &Limits, programs: &[&str]) -> Result<SourceDoc, ReadError> {
    let soffice = programs
        .iter()
        .find_map(|name| on_path(name))
        .ok_or_else(|| ReadError::NeedsLibreOffice {
            path: path.to_path_buf(),
        })?;
    let convert = |detail: String| ReadError::Convert {
        path: path.to_path_buf(),
        detail,
    };
    let scratch = Scratch::new().map_err(|e| convert(format!("no scratch folder: {e}")))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| matches!(e.as_str(), "doc" | "rtf" | "wps" | "dot"))
        .unwrap_or_else(|| "doc".into());
    // a plain copy name: soffice names its output after the input, and odd names trip it up
    let input = scratch.0.join(format!("source.{ext}"));
    std::fs::copy(path, &input).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let out_dir = scratch.0.join("out");
    let profile = scratch.0.join("profile");
    let log = std::fs::File::create(scratch.0.join("soffice.log"))
        .map_err(|e| convert(format!("cannot write the log: {e}")))?;
    let mut cmd = Command::new(&soffice);
    cmd.arg(format!(
        "-env:UserInstallation=file://{}",
        profile.display().to_string().replace(' ', "%20")
    ))
    .args([
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "docx",
        "--outdir",
    ])
    .arg(&out_dir)
    .arg(&input)
    .stdin(Stdio::null())
    .stdout(log.try_clone().map_err(|e| convert(e.to_string()))?)
    .stderr(log);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .spawn()
        .map_err(|e| convert(format!("cannot start {}: {e}", soffice.display())))?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let timeout = Duration::from_secs(limits.convert_timeout_secs);
    let status = match rx.recv_timeout(timeout) {
        Ok(status) => status.map_err(|e| convert(e.to_string()))?,
        Err(_) => {
            kill_group(pid);
            let _ = rx.recv_timeout(Duration::from_secs(10)); // reap it
            return Err(convert(format!(
                "no result after {} s (killed)",
                limits.convert_timeout_secs
            )));
        }
    };
    let output = out_dir.join("source.docx");
    if !status.success() || !output.exists() {
        let said = std::fs::read_to_string(scratch.0.join("soffice.log")).unwrap_or_default();
        let said = said
            .lines()
            .last()
            .unwrap_or("no message")
            .trim()
            .to_string();
        return Err(convert(format!("soffice exited with {status}: {said}")));
    }
    let bytes = std::fs::read(&output).map_err(|e| convert(e.to_string()))?;
    let mut pkg = super::docx::Package::open(path, bytes, limits)?;
    let mut doc = super::docx::read(path, &mut pkg, limits)?;
    doc.format = DocFormat::Doc;
    Ok(doc)
}

/// Kills every process of the group `pgid` (soffice and its children).
fn kill_group(pgid: u32) {
    // std has no killpg; the shell's kill takes a negative pid for a process group (dash's
    // kill knows no `--`, so the group goes right after the signal)
    let _ = Command::new("sh")
        .args(["-c", "kill -KILL -\"$1\"", "sh", &pgid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The program `name` found on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A private scratch folder under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Self> {
        let base = std::env::temp_dir();
        for _ in 0..16 {
            let dir = base.join(format!(
                "dutybell-import-{}-{:016x}",
                std::process::id(),
                fastrand::u64(..)
            ));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(Scratch(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no unused scratch folder name"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_libreoffice_the_error_says_what_to_install() {
        let err = read_with(
            Path::new("plan.doc"),
            &Limits::default(),
            &["dutybell-no-such-soffice"],
        )
        .unwrap_err();
        assert!(matches!(err, ReadError::NeedsLibreOffice { .. }));
        assert_eq!(
            err.to_string(),
            "plan.doc: .doc needs LibreOffice to convert it: install `libreoffice-writer` \
             (Debian: apt-get install libreoffice-writer-nogui) or save the file as .docx"
        );
        assert_eq!(err.exit_code(), 2);
    }
}
