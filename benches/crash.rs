//! The crash benchmark: the real binary, `kill -9` at random moments 1,000 times in 10 rounds of
//! 100, each round on a fresh site delivering 2,000 reminders (1,000 by a generic webhook to a
//! local HTTP sink, 1,000 by email to aiosmtpd on loopback): 20,000 reminders in all; then
//! SIGTERM at random moments 50 times on a fresh site. Restarted after each stop. Prints lost (goal 0), duplicates and their bound (rows in flight at the kills),
//! rows stuck in `sending` (goal 0) and `PRAGMA integrity_check`; SIGTERM's goal is 0 lost and
//! 0 duplicates. Not a test (it takes a while); `tests/it/crash.rs` runs a ~20-kill smoke of the
//! same drill in CI.
//!
//! Run: `cargo bench --bench crash` (release). Sizes: `CRASH_UNITS` (reminders per round =
//! 2 × units, default 1000), `CRASH_KILLS` (1000), `CRASH_ROUNDS` (10), `CRASH_TERMS` (50), `CRASH_SINK_MS` (HTTP sink answer
//! delay, 200), `CRASH_SEED`. Figures: docs/BENCHMARKS.md, "Crash drill".
//!
//! Touches: child processes (dutybell, python3), temp directories, loopback TCP.

use std::time::Duration;

#[path = "../tests/support/smtp_harness.rs"]
mod smtp_harness;

#[path = "crash/driver.rs"]
mod driver;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> std::process::ExitCode {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this with no arguments and
    // must not start a 1,000-kill drill.
    if !std::env::args().any(|a| a == "--bench") {
        println!("crash: run with `cargo bench --bench crash`");
        return std::process::ExitCode::SUCCESS;
    }
    let d = driver::Drill {
        units: env("CRASH_UNITS", 1000) as usize,
        kills: env("CRASH_KILLS", 1000) as usize,
        rounds: env("CRASH_ROUNDS", 10) as usize,
        terms: env("CRASH_TERMS", 50) as usize,
        sink_delay: Duration::from_millis(env("CRASH_SINK_MS", 200)),
        seed: env("CRASH_SEED", 0x6475_7479),
        bin: env!("CARGO_BIN_EXE_dutybell").into(),
    };
    println!("crash drill: {d:?}");
    let (kills, terms) = driver::run(&d);
    println!("kill -9: {kills}");
    println!("SIGTERM: {terms}");
    let ok = kills.lost == 0
        && kills.duplicates <= kills.bound
        && kills.stuck == 0
        && kills.integrity == "ok"
        && terms.lost == 0
        && terms.duplicates == 0
        && terms.stuck == 0
        && terms.integrity == "ok";
    println!("verdict: {}", if ok { "PASS" } else { "FAIL" });
    if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
