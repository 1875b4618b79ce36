//! Storage faults with the real binary. At start: a corrupt database file, a read-only state
//! directory and a read-only database file stop `dutybell run` with a loud error naming the
//! database and what to do, never start on an empty replacement, and never rewrite the corrupt
//! file. While it runs: the database deleted (written back, exit 1, then every reminder exactly
//! once), replaced (the new file left alone, the daemon's own state saved beside it, exit 1),
//! and the disk filling up (a small tmpfs: one operator line naming the file, no busy loop, no
//! send lost or repeated once space is freed). `PRAGMA integrity_check` is `ok` after each.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::helpers::{bin, repo};

mod running;

const NOW: &str = "2027-03-01T09:00:00+08:00";

/// A site with a valid config (file channel) whose state directory is `dir/state`.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let case = repo().join("tests/fixtures/bad/10-unknown-lead");
    std::fs::create_dir_all(dir.path().join("plan")).unwrap();
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    let plan = std::fs::read_to_string(case.join("plan/01.yaml"))
        .unwrap()
        .replace("lead: fod", "lead: food");
    std::fs::write(dir.path().join("plan/01.yaml"), plan).unwrap();
    let main = std::fs::read_to_string(case.join("dutybell.yaml"))
        .unwrap()
        .replace(
            "state_dir: state",
            &format!("state_dir: {}", dir.path().join("state").display()),
        );
    std::fs::write(dir.path().join("dutybell.yaml"), main).unwrap();
    for p in [dir.path(), &dir.path().join("plan")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// `dutybell run`, bounded by `timeout` so a daemon that wrongly starts cannot hang the test.
fn run(site: &Path, as_nobody: bool) -> (i32, String) {
    let mut argv: Vec<String> = vec!["timeout".into(), "20".into()];
    if as_nobody {
        argv.extend(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
            ]
            .map(String::from),
        );
    }
    argv.push(bin().display().to_string());
    argv.extend(["run".into(), "--config".into()]);
    argv.push(site.join("dutybell.yaml").display().to_string());
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .env("DUTYBELL_NOW", NOW)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_corrupt_database_stops_the_daemon_and_is_left_as_it_was() {
    let s = site();
    let db = s.path().join("state/dutybell.db");
    let mut junk = b"SQLite format 3\0".to_vec();
    junk.extend(std::iter::repeat_n([0xde, 0xad], 4000).flatten());
    std::fs::write(&db, &junk).unwrap();
    let (code, err) = run(s.path(), false);
    assert!(code != 0 && code != 124, "exit {code}: {err}");
    assert!(
        err.contains("error") && err.contains(&db.display().to_string()),
        "{err}"
    );
    assert!(
        err.contains("is corrupt or not a SQLite database")
            && err.contains("restore the file from a backup"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        junk,
        "the corrupt file was rewritten"
    );
}

#[test]
fn a_read_only_state_directory_stops_the_daemon_loudly() {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if is_root && Command::new("setpriv").arg("--version").output().is_err() {
        println!("SKIPPED read-only state dir: root without setpriv writes everywhere");
        return;
    }
    let s = site();
    let state = s.path().join("state");
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o555)).unwrap();
    let (code, err) = run(s.path(), is_root);
    assert!(code != 0 && code != 124, "exit {code}: {err}");
    assert!(
        err.contains("error") && err.contains("dutybell.db"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&state).unwrap().count(), 0);
}

#[test]
fn a_read_only_database_file_is_named_with_the_fix() {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if is_root && Command::new("setpriv").arg("--version").output().is_err() {
        println!("SKIPPED read-only database file: root without setpriv writes everywhere");
        return;
    }
    let s = site();
    let state = s.path().join("state");
    let db = state.join("dutybell.db");
    // A valid database (made by `status`), then owned by the daemon's user but read-only.
    let out = Command::new(bin())
        .args(["status", "--config"])
        .arg(s.path().join("dutybell.yaml"))
        .env("DUTYBELL_NOW", NOW)
        .output()
        .unwrap();
    crate::helpers::succeeded(&out);
    if is_root {
        let ok = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(&state)
            .status()
            .unwrap()
            .success();
        assert!(ok, "chown");
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let (code, err) = run(s.path(), is_root);
    assert!(code != 0 && code != 124, "exit {code}: {err}");
    assert!(
        err.contains(&db.display().to_string()) && err.contains("cannot be written"),
        "{err}"
    );
    assert!(
        err.contains("writable by the user dutybell runs as"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "the file was changed");
}
