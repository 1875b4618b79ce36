//! The shipped unit file: `systemd-analyze verify` accepts it and `systemd-analyze security`
//! rates it "OK" (exposure below 2.0; docs/OPERATIONS.md records the figure and what is left).
//! `.ci/setup` makes sure systemd-analyze is installed.

use std::process::Command;

use crate::helpers::{bin, repo};

fn unit_for_this_build(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo().join("systemd/dutybell.service")).unwrap();
    // verify checks that ExecStart's binary exists; point it at the one under test.
    let text = text.replace("/usr/local/bin/dutybell", bin().to_str().unwrap());
    let path = dir.join("dutybell.service");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn unit_file_verifies_and_is_hardened() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_this_build(dir.path());
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .expect("systemd-analyze is installed (.ci/setup)");
    crate::helpers::succeeded(&verify);
    let sec = Command::new("systemd-analyze")
        .args(["security", "--offline=true"])
        .arg(&unit)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&sec.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("{text}"));
    let level: f64 = line
        .split("level for dutybell.service:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(level < 2.0, "{line}");
    let unit_text = std::fs::read_to_string(repo().join("systemd/dutybell.service")).unwrap();
    // Directives only: a commented-out `# WatchdogSec=` must not satisfy the check.
    let directives: Vec<&str> = unit_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
        .collect();
    for key in [
        "Type=notify",
        "RestartPreventExitStatus=2",
        "WatchdogSec=",
        "DynamicUser=yes",
        "StateDirectory=dutybell",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
    ] {
        assert!(
            directives.iter().any(|l| l.starts_with(key)),
            "{key} missing (as a directive, not a comment)"
        );
    }
    // Credentials are per installation: an active LoadCredential= naming a file that does not
    // exist stops the unit from starting, so the unit ships them as commented examples.
    assert!(
        unit_text
            .lines()
            .any(|l| l.starts_with("# LoadCredential=smtp-password:")),
        "the unit shows how to pass the SMTP password as a credential"
    );
}
