//! Fuzz the State Council holiday notice parser with arbitrary text (and an optional year).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Option<i16>, &str)| {
    let (year, text) = input;
    let _ = dutybell::calendar::notice::parse_notice(text, year);
});
