//! Side-by-side helper for `benches/peers/run.sh` row (a): plans one range for the bundled
//! config with its 41 tasks cloned to N (as `benches/schedule.rs` does) and prints the time
//! `schedule::plan` took, so a shell loop can interleave it with Remind process by process.
//!
//! May touch: reads config/dutybell.yaml and the seeds; stdout. Usage:
//! `peer_plan N FROM TO` (dates YYYY-MM-DD) prints `plan_s=… occurrences=… reminders=…`.
//! Without arguments (e.g. under `cargo test --benches`) it prints the usage and returns.

use std::path::Path;
use std::time::Instant;

use dutybell::catalog::Catalog;
use dutybell::loader::load;
use dutybell::schedule::plan;
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
    // Monotonic clock for a duration; the planning itself takes no time input.
    let t0 = Instant::now();
    let p = plan(&big, &l.calendar, from, to);
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "plan_s={secs:.4} occurrences={} reminders={}",
        p.occurrences.len(),
        p.reminders.len()
    );
}
