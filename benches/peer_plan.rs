//! Side-by-side helper for `benches/peers/run.sh` row (a): plans one range for the bundled
//! config with its 41 tasks cloned to N (as `benches/schedule.rs` does) and prints the time
//! `schedule::plan` took, so a shell loop can interleave it with Remind process by process.
//!
//! May touch: reads config/dutybell.yaml and the seeds, /proc/self/status; stdout. Usage:
//! `peer_plan N FROM TO [--whole]` (dates YYYY-MM-DD) prints `plan_s=… occurrences=…
//! reminders=… peak_mib=…`. By default the year is planned task by task (`schedule::plan_each`,
//! each task's reminders visited, as Remind prints each line and forgets it); `--whole` collects
//! and sorts the whole year (`schedule::plan`, what `dutybell plan` lists). `peak_mib` is the
//! process's peak resident memory (VmHWM), the loaded config and the cloned catalog included.
//! Without arguments (e.g. under `cargo test --benches`) it prints the usage and returns.

use std::path::Path;
use std::time::Instant;

use dutybell::catalog::Catalog;
use dutybell::loader::load;
use dutybell::schedule::{PlanFacts, plan, plan_each};
use jiff::civil::Date;

/// The bundled catalog with `n` tasks cloned from its own (same ids as benches/schedule.rs).
fn synthetic(base: &Catalog, n: usize) -> Catalog {
    let mut c = base.clone();
    c.tasks = (0..n)
        .map(|i| {
            let mut t = base.tasks[i % base.tasks.len()].clone();
            t.id = format!("{}.{}", 100 + i / 100, i % 100);
            t
        })
        .collect();
    c
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(from), Some(to)) = (
        args.first().and_then(|s| s.parse::<usize>().ok()),
        args.get(1).and_then(|s| s.parse::<Date>().ok()),
        args.get(2).and_then(|s| s.parse::<Date>().ok()),
    ) else {
        println!("usage: peer_plan N FROM TO   (see benches/peers/run.sh)");
        return;
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dutybell.yaml");
    let l = match load(&path, from.into()) {
        Ok(l) => l,
        Err(d) => panic!("bundled config does not load:\n{d}"),
    };
    let big = synthetic(&l.catalog, n);
    let whole = args.iter().any(|a| a == "--whole");
    // Monotonic clock for a duration; the planning itself takes no time input.
    let t0 = Instant::now();
    let (occurrences, reminders) = if whole {
        let p = plan(&big, &l.calendar, from, to);
        (p.occurrences.len(), p.reminders.len())
    } else {
        let (mut occurrences, mut reminders) = (0, 0);
        let facts = PlanFacts::default();
        plan_each(&big, &l.calendar, &big.tasks, from, to, &facts, |task| {
            occurrences += task.occurrences.len();
            // Visit every reminder, as a consumer would: its instant and recipient.
            reminders += task
                .reminders
                .iter()
                .filter(|r| r.at.as_second() > 0 && !r.recipient.is_empty())
                .count();
        });
        (occurrences, reminders)
    };
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "plan_s={secs:.4} occurrences={occurrences} reminders={reminders} peak_mib={:.1}",
        peak_kib() as f64 / 1024.0
    );
}

/// The process's peak resident memory in KiB (`VmHWM`), 0 where /proc is unavailable.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
