//! `dutybell-sleep`: what `dutybell run` `exec`s into between reminders (see
//! `dutybell::daemon::sleeper`). Not started by hand: it reads its hand-over from the
//! environment and `exec`s `dutybell run` again when there is work.
//!
//! A binary of its own, on the system allocator, so the sleeping process maps only the little
//! code it runs (docs/BENCHMARKS.md, "Sleeper").

fn main() -> std::process::ExitCode {
    dutybell::cli::sleeper::main()
}
