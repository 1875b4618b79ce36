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

/// Hands `socket` (bound by the test) to the daemon `cmd` starts, as its standard input with
/// `DUTYBELL_LISTENER=stdin`, the way the sleeper hands it back on a wake: a port from a socket
/// closed again could be taken by another test before the daemon bound it.
pub fn hand_socket(cmd: &mut std::process::Command, socket: &std::net::TcpListener) {
    let fd = std::os::fd::OwnedFd::from(socket.try_clone().unwrap());
    cmd.env("DUTYBELL_LISTENER", "stdin").stdin(fd);
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

/// A temp dir holding the bundled config (`dutybell.yaml`, state in `state/`); returns the dir
/// (keep it alive) and the config's path.
pub fn bundled_site() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dutybell.yaml");
    std::fs::write(&config, bundled_config_text(&dir.path().join("state"))).unwrap();
    (dir, config)
}

/// `dutybell simulate --from FROM --to TO --out DIR` of the bundled config on a fresh state;
/// returns the temp dir (keep it alive) and the output directory. Panics when simulate fails.
pub fn simulate_bundled(from: &str, to: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, config) = bundled_site();
    let out_dir = dir.path().join("sim");
    let out = std::process::Command::new(bin())
        .args(["simulate", "--config"])
        .arg(&config)
        .args(["--from", from, "--to", to, "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    succeeded(&out);
    (dir, out_dir)
}

/// Asserts that a finished command exited 0 (the failure shows its exit code and standard
/// error); returns its standard output.
pub fn succeeded(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A config directory with main config `main` and one plan file (area 1) holding `tasks`;
/// loaded as of 2026-01-01: the catalog or the diagnostics as text.
pub fn load_inline(main: &str, tasks: &str) -> Result<dutybell::loader::Loaded, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dutybell.yaml"), main).expect("write");
    std::fs::create_dir(dir.path().join("plan")).expect("mkdir");
    let plan_yaml = format!("area: {{ number: 1, title: 测试 }}\ntasks:\n{tasks}");
    std::fs::write(dir.path().join("plan/p.yaml"), plan_yaml).expect("write");
    dutybell::loader::load(
        &dir.path().join("dutybell.yaml"),
        jiff::civil::date(2026, 1, 1).into(),
    )
    .map_err(|d| d.to_string())
}
