//! Shared test helpers: paths to the repo's files and the built binary.
#![allow(dead_code)]

use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `dutybell` binary built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dutybell"))
}

/// The bundled reference config with absolute plan and calendar paths, so a copy works from any
/// directory; its state (database, file channel) goes under `state_dir`.
pub fn bundled_config_text(state_dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(repo().join("config/dutybell.yaml")).unwrap();
    let swaps = [
        (
            "  plan: [../seeds/plan]\n",
            format!("  plan: [{}]\n", repo().join("seeds/plan").display()),
        ),
        (
            "  calendar: [calendar]\n",
            format!(
                "  calendar: [{}]\n",
                repo().join("config/calendar").display()
            ),
        ),
        (
            "  state_dir: state\n",
            format!("  state_dir: {}\n", state_dir.display()),
        ),
    ];
    swaps.iter().fold(text, |t, (from, to)| {
        assert_eq!(
            t.matches(from).count(),
            1,
            "the reference config changed shape: {from:?}"
        );
        t.replacen(from, to, 1)
    })
}
