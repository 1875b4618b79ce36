//! `dutybell store …`: commands on the state database itself, without a config.
//! `store copy --from URL --to URL [--dry-run]` moves an installation between stores and prints
//! a count and checksum per table; `store checksum URL` prints the same figures for one store.
//!
//! May touch: the two databases (through [`crate::store::copy`]), standard output.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::store::StoreUrl;
use crate::store::copy::{self, CopyError, CopyOptions, CopyReport};

/// `store` arguments.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Sub-command.
    #[command(subcommand)]
    pub action: StoreAction,
}

/// `store` sub-commands.
#[derive(Debug, Subcommand)]
pub enum StoreAction {
    /// Copy every table from one store to another (SQLite or PostgreSQL, either way), from one
    /// consistent snapshot, in one transaction; run it again to copy what changed since.
    Copy {
        /// The source, e.g. sqlite:///var/lib/dutybell/dutybell.db (only read).
        #[arg(long)]
        from: String,
        /// The target, e.g. postgres://dutybell@db1/dutybell?sslmode=require (empty, or an
        /// earlier copy of the same source).
        #[arg(long)]
        to: String,
        /// Do everything and print the report, then roll the target back.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print each table's row count and checksum (the figures `copy` compares).
    Checksum {
        /// The store, e.g. sqlite:///var/lib/dutybell/dutybell.db.
        url: String,
    },
}

fn parse(flag: &str, text: &str) -> Result<StoreUrl, ExitCode> {
    StoreUrl::parse(text).map_err(|e| {
        eprintln!("error: {flag}: {e}");
        ExitCode::from(2)
    })
}

fn fail(e: CopyError) -> ExitCode {
    let code = if e.is_refusal() { 2 } else { 1 };
    eprintln!("error: {:#}", anyhow::Error::new(e));
    ExitCode::from(code)
}

/// Runs a `store` command and returns the exit code (2 for a refused input, 1 for a failure).
pub fn run(a: &StoreArgs) -> ExitCode {
    match &a.action {
        StoreAction::Copy { from, to, dry_run } => {
            let (from, to) = match (parse("--from", from), parse("--to", to)) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(c), _) | (_, Err(c)) => return c,
            };
            match copy::copy(&from, &to, CopyOptions { dry_run: *dry_run }) {
                Ok(r) => {
                    print!("{}", render(&r));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        StoreAction::Checksum { url } => {
            let url = match parse("url", url) {
                Ok(u) => u,
                Err(c) => return c,
            };
            match copy::checksums(&url) {
                Ok(sums) => {
                    println!("{:<14} {:>9}  sha256", "table", "rows");
                    for (t, rows, sum) in sums {
                        println!("{t:<14} {rows:>9}  {sum}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    }
}

/// The report: a line per table, then the totals.
pub fn render(r: &CopyReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "store copy: {} -> {}", r.from, r.to);
    let _ = writeln!(
        out,
        "{:<14} {:>9} {:>9} {:>9} {:>9}  {:<16}  check",
        "table", "source", "target", "copied", "updated", "sha256"
    );
    let (mut src, mut dst, mut ins, mut upd) = (0, 0, 0, 0);
    for t in &r.tables {
        let _ = writeln!(
            out,
            "{:<14} {:>9} {:>9} {:>9} {:>9}  {:<16}  {}",
            t.table,
            t.source_rows,
            t.target_rows,
            t.inserted,
            t.updated,
            &t.source_sum[..16],
            if t.equal() { "equal" } else { "DIFFERS" }
        );
        src += t.source_rows;
        dst += t.target_rows;
        ins += t.inserted;
        upd += t.updated;
    }
    let all = r.tables.iter().all(|t| t.equal());
    let _ = writeln!(
        out,
        "{:<14} {src:>9} {dst:>9} {ins:>9} {upd:>9}  {}",
        "total",
        if all {
            "every table equal"
        } else {
            "CHECKSUMS DIFFER"
        }
    );
    if r.dry_run {
        let _ = writeln!(
            out,
            "dry run: the target was rolled back, nothing was written"
        );
    }
    out
}
