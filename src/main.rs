//! The `dutybell` binary: everything happens in [`dutybell::cli::main`]; this only returns its
//! exit code (0 ok, 1 runtime failure, 2 bad configuration or usage).

/// mimalloc instead of glibc's malloc: glibc keeps freed memory in per-thread arenas, so the idle
/// daemon held the first plan sync's peak (docs/BENCHMARKS.md, idle figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    dutybell::cli::main()
}
