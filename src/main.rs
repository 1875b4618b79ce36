//! The `dutybell` binary: everything happens in [`dutybell::cli::main`]; this only returns its
//! exit code (0 ok, 1 runtime failure, 2 bad configuration or usage).

/// jemalloc instead of glibc's malloc: configured (.cargo/config.toml) to hand freed pages back
/// to the kernel at once, so a daemon idle after a burst of sends holds what it uses, not what it
/// once used (docs/BENCHMARKS.md, "Allocator": idle RSS 50 → 30 MB on the bundled plan). The
/// `jemalloc` feature, on by default; off, the binary uses the system's malloc.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    dutybell::cli::main()
}
