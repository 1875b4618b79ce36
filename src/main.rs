//! The `dutybell` binary: everything happens in [`dutybell::cli::main`]; this only returns its
//! exit code (0 ok, 1 runtime failure, 2 bad configuration or usage).

fn main() -> std::process::ExitCode {
    dutybell::cli::main()
}
