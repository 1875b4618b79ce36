//! `dutybell plan` marks the days of a year without the State Council's holiday notice as
//! provisional (their working days are plain weekdays until the notice is imported).

use std::process::Command;

use crate::helpers::{bin, repo};

#[test]
fn days_in_a_year_without_a_holiday_notice_are_marked_provisional() {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args([
            "--config",
            "config/dutybell.yaml",
            "plan",
            "--from",
            "2026-12-28",
            "--days",
            "10",
        ])
        .current_dir(repo())
        .env("DUTYBELL_STATE_DIR", state.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let days: Vec<&str> = text.lines().filter(|l| l.starts_with("-- ")).collect();
    assert!(days.len() >= 2, "{text}");
    for d in &days {
        // The bundled calendar has the 2026 notice and none for 2027.
        assert_eq!(
            d.contains(" 2027-"),
            d.contains("(provisional"),
            "{d}\n{text}"
        );
    }
    assert!(days.iter().any(|d| d.contains(" 2026-")), "{text}");
    assert!(days.iter().any(|d| d.contains(" 2027-")), "{text}");
}
