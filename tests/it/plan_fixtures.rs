//! Three small public plans of other kinds (tests/fixtures/plans/: an emergency-drill plan, a
//! flood-season list, a reporting-duty notice), written with Chinese unit names only, through the
//! real binary: `check`, the golden `plan` listing for 2026 (hand-checked, see each SOURCE.md),
//! and for one of them `simulate` and `export --format csv` end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::helpers;

const FIXTURES: &[&str] = &["emergency-drill", "flood-season", "reporting-notice"];

/// A copy of fixture `name` in a temp dir (state and outputs stay out of the repository).
fn copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let src = helpers::repo().join("tests/fixtures/plans").join(name);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("plan")).expect("mkdir");
    std::fs::copy(src.join("dutybell.yaml"), dir.path().join("dutybell.yaml")).expect("copy");
    for e in std::fs::read_dir(src.join("plan")).expect("plan dir") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, dir.path().join("plan").join(p.file_name().unwrap())).expect("copy");
    }
    let cfg = dir.path().join("dutybell.yaml");
    (dir, cfg)
}

fn run(cfg: &Path, args: &[&str]) -> Output {
    Command::new(helpers::bin())
        .arg("--config")
        .arg(cfg)
        .args(args)
        .env_remove("DUTYBELL_CONFIG")
        .env_remove("DUTYBELL_NOW")
        .output()
        .expect("run dutybell")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\n{}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

#[test]
fn fixture_plans_check_and_match_their_golden_listing() {
    for name in FIXTURES {
        let (_dir, cfg) = copy(name);
        ok(&run(&cfg, &["check"]));
        let got = ok(&run(
            &cfg,
            &["plan", "--from", "2026-01-01", "--to", "2026-12-31"],
        ));
        let path = helpers::repo()
            .join("tests/fixtures/plans")
            .join(name)
            .join("plan-2026.txt");
        if std::env::var_os("DUTYBELL_UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &got).expect("write golden");
        }
        let want = std::fs::read_to_string(&path).expect("golden (DUTYBELL_UPDATE_GOLDEN=1)");
        assert!(got == want, "{name}: plan differs from {}", path.display());
    }
}

#[test]
fn chinese_names_only_plan_runs_end_to_end() {
    let (dir, cfg) = copy("emergency-drill");
    let out = dir.path().join("sim");
    let sim = ok(&run(
        &cfg,
        &[
            "simulate",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    assert!(!sim.is_empty());
    let csv = dir.path().join("list.csv");
    ok(&run(
        &cfg,
        &["export", "--format", "csv", "-o", csv.to_str().unwrap()],
    ));
    let text = std::fs::read_to_string(&csv).expect("csv");
    // Both co-leads, then the cooperating units in the source's order, in the 责任部门 column.
    for want in [
        "危化品泄漏应急演练",
        "县安委办、县应急办、县环保局、县经信局",
    ] {
        assert!(text.contains(want), "{want} missing from\n{text}");
    }
    // The reporting notice: the December report is due Fri 2026-01-09 and is labelled by the
    // month it covers.
    let (_d2, cfg2) = copy("reporting-notice");
    let p = ok(&run(
        &cfg2,
        &["plan", "--from", "2026-01-01", "--to", "2026-01-31"],
    ));
    assert!(p.contains("4@2025-12 [deadline]"), "{p}");
    assert!(p.contains("due Fri 2026-01-09 报送2025年12月份数据"), "{p}");
}
