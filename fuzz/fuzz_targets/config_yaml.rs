//! Fuzz the YAML front door: any bytes into `config::yaml::parse` must give a tree or a located
//! diagnostic, never a panic, unbounded memory or a hang (alias and depth budgets).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dutybell::config::yaml::parse(std::path::Path::new("fuzz.yaml"), data);
});
