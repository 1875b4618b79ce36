//! A stable-toolchain smoke over the cargo-fuzz entry points in `fuzz/` (cargo fuzz needs
//! nightly and is not run in CI): the YAML front door with mutated fixture bytes and arbitrary
//! bytes, the rule/offset parsers and the holiday notice parser with arbitrary text. The
//! property is only "returns, never panics"; budgets keep every case small and fast.

use std::path::Path;

use dutybell::catalog::parse;
use proptest::prelude::*;

use crate::helpers::repo;

/// The bytes of every fixture file (good and bad), as mutation seeds.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = vec![std::fs::read(repo().join("config/dutybell.yaml")).unwrap()];
    let bad = repo().join("tests/fixtures/bad");
    for case in std::fs::read_dir(bad).unwrap().map(|e| e.unwrap().path()) {
        for f in [case.join("dutybell.yaml"), case.join("plan/01.yaml")] {
            if let Ok(b) = std::fs::read(&f)
                && b.len() < 64 * 1024
            {
                out.push(b);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn yaml_parse_never_panics_on_mutated_fixtures(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let seeds = seeds();
        let mut bytes = seeds[pick.index(seeds.len())].clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => {
                    bytes.remove(i);
                }
            }
        }
        let _ = dutybell::config::yaml::parse(Path::new("smoke.yaml"), &bytes);
    }

    #[test]
    fn yaml_parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = dutybell::config::yaml::parse(Path::new("smoke.yaml"), &bytes);
    }

    #[test]
    fn yaml_parse_never_panics_on_yaml_shaped_text(s in r"[-:\[\]{}&*!|>'\x22#%@`, \n\ta-z0-9~?<]{0,300}") {
        let _ = dutybell::config::yaml::parse(Path::new("smoke.yaml"), s.as_bytes());
    }

    #[test]
    fn rule_parsers_never_panic(s in r"(\PC|[-+0-9dwDW:* /,?LW#])*") {
        let _ = parse::offset(&s);
        let _ = parse::date(&s);
        let _ = parse::month_day(&s);
        let _ = parse::time(&s);
        let _ = parse::weekday(&s);
        let _ = parse::id(&s);
        let _ = parse::email(&s);
        let _ = parse::cron(&s);
        let _ = s.parse::<dutybell::calendar::offset::Offset>();
    }

    #[test]
    fn notice_parser_never_panics(
        s in r"(\PC|[一二三四五六七八九十月日至放假调休上班共天、，。：（）\n0-9年])*",
        year in prop::option::of(any::<i16>()),
    ) {
        let _ = dutybell::calendar::notice::parse_notice(&s, year);
    }
}
