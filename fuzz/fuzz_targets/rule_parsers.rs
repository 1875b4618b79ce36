//! Fuzz the scalar parsers behind rules and settings: offsets (`14d`, `3wd`), dates, month-days,
//! times, weekdays, ids and cron expressions. Each must answer Ok or Err, never panic.
#![no_main]

use dutybell::catalog::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let _ = parse::offset(s);
    let _ = parse::date(s);
    let _ = parse::month_day(s);
    let _ = parse::time(s);
    let _ = parse::weekday(s);
    let _ = parse::id(s);
    let _ = parse::email(s);
    let _ = parse::cron(s);
    let _ = s.parse::<dutybell::calendar::offset::Offset>();
});
