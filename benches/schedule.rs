//! Schedule benchmarks: `schedule::plan` for the bundled config over 2026, and for a synthetic
//! catalog of 10,000 tasks (the bundled 41 tasks cloned round-robin under new ids, so the mix of
//! rule forms, check-ins and recipients is the real one) over 2026.
//!
//! May touch: reads config/dutybell.yaml and the seeds. Set `DUTYBELL_BENCH_SMALL=1` to divide
//! the synthetic size by 100 (a quick smoke run).
//! Run: `cargo bench --bench schedule -- --sample-size 10 --measurement-time 5`. The timed loop
//! includes dropping the returned plan (1.9M reminders at 10,000 tasks); figures in
//! docs/BENCHMARKS.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use dutybell::catalog::Catalog;
use dutybell::loader::{Loaded, load};
use dutybell::schedule::plan;
use jiff::civil::date;

fn bundled() -> Loaded {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/dutybell.yaml");
    match load(&path, date(2026, 1, 1).into()) {
        Ok(l) => l,
        Err(d) => panic!("bundled config does not load:\n{d}"),
    }
}

/// The bundled catalog with `n` tasks cloned from its own.
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

fn benches(cr: &mut Criterion) {
    let l = bundled();
    let (from, to) = (date(2026, 1, 1), date(2026, 12, 31));
    let p = plan(&l.catalog, &l.calendar, from, to);
    eprintln!(
        "bundled: {} occurrences, {} reminders",
        p.occurrences.len(),
        p.reminders.len()
    );
    cr.bench_function("plan bundled 2026", |b| {
        b.iter(|| plan(black_box(&l.catalog), &l.calendar, from, to))
    });
    let n = if std::env::var_os("DUTYBELL_BENCH_SMALL").is_some() {
        100
    } else {
        10_000
    };
    let big = synthetic(&l.catalog, n);
    let p = plan(&big, &l.calendar, from, to);
    eprintln!(
        "synthetic {n}: {} occurrences, {} reminders",
        p.occurrences.len(),
        p.reminders.len()
    );
    let mut g = cr.benchmark_group("synthetic");
    g.sample_size(10);
    g.bench_function(format!("plan {n} tasks 2026"), |b| {
        b.iter(|| plan(black_box(&big), &l.calendar, from, to))
    });
    g.finish();
}

criterion_group!(schedule, benches);
criterion_main!(schedule);
