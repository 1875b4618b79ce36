//! `dutybell check` reports every independent problem once, at its place, and nothing that is
//! only a consequence of another: a YAML error or a missing plan path does not also produce
//! "no plan files", and a misspelt `escalate_to` keyword suggests the keyword.

use std::process::Command;

use crate::helpers::{bin, bundled_config_text};

/// Write the bundled config with `from` replaced by `to` (exactly once), run `check` on it and
/// return (exit code, the error lines of stderr).
fn check_with(from: &str, to: &str) -> (i32, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let text = bundled_config_text(&dir.path().join("state"));
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    let config = dir.path().join("dutybell.yaml");
    std::fs::write(&config, text.replacen(from, to, 1)).unwrap();
    let out = Command::new(bin())
        .args(["check", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let errors = err
        .lines()
        .filter(|l| l.contains(": error: "))
        .map(str::to_owned)
        .collect();
    (out.status.code().unwrap_or(-1), errors)
}

#[test]
fn a_tab_is_one_error_at_its_own_line_and_column() {
    let (code, errors) = check_with("  timezone: Asia/Shanghai\n", "\ttimezone: Asia/Shanghai\n");
    assert_eq!(code, 2);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    // The bundled config has `timezone:` on line 17; the tab is its first character.
    assert!(errors[0].contains("dutybell.yaml:17:"), "{errors:#?}");
    assert!(errors[0].contains("tab"), "{errors:#?}");
}

#[test]
fn a_missing_plan_path_is_reported_once_without_a_second_no_plan_files_error() {
    let (code, errors) = check_with("/seeds/plan]\n", "/seeds/no-such-plan]\n");
    assert_eq!(code, 2);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains("settings.plan[0]"), "{errors:#?}");
    assert!(errors[0].contains("does not exist"), "{errors:#?}");
    assert!(!errors[0].contains("no plan files"), "{errors:#?}");
}

#[test]
fn a_misspelt_head_in_escalate_to_suggests_head() {
    let (code, errors) = check_with(
        "escalate_to: [head, leadership]",
        "escalate_to: [hed, leadership]",
    );
    assert_eq!(code, 2);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("settings.reminders.escalate_to[0]"),
        "{errors:#?}"
    );
    assert!(errors[0].contains("did you mean `head`?"), "{errors:#?}");
    assert!(errors[0].contains("or `head`"), "{errors:#?}");
}

#[test]
fn a_type_error_hides_neither_unknown_keys_beside_it_nor_an_offset_error_further_on() {
    let dir = tempfile::tempdir().unwrap();
    let text = bundled_config_text(&dir.path().join("state"))
        .replacen(
            "  horizon_days: 400\n",
            "  horizon_days: many\n  bogus_one: 1\n  bogus_two: 2\n",
            1,
        )
        .replacen("overdue_every: 3wd", "overdue_every: 3xx", 1);
    let config = dir.path().join("dutybell.yaml");
    std::fs::write(&config, text).unwrap();
    let out = Command::new(bin())
        .args(["check", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = err.lines().filter(|l| l.contains(": error: ")).collect();
    let keys = [
        "settings.horizon_days",
        "settings.bogus_one",
        "settings.bogus_two",
        "settings.reminders.overdue_every",
    ];
    assert_eq!(errors.len(), keys.len(), "{errors:#?}");
    for (line, key) in errors.iter().zip(keys) {
        assert!(
            line.contains(&format!(": error: {key}: ")),
            "{key}: {errors:#?}"
        );
    }
    assert!(err.contains("4 error(s)"), "{err}");
}
