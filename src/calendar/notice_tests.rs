//! Unit tests of the notice parser: wording variants and errors. The full 2020–2026 notices with
//! hand-written expected tables are in `tests/it/calendar_notice.rs`.

use jiff::civil::date;

use super::notice::*;

const N2026: &str = "国务院办公厅关于2026年部分节假日安排的通知\n一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。";

#[test]
fn parses_the_brief_example() {
    let n = parse_notice(N2026, None).unwrap();
    assert_eq!(n.year, 2026);
    assert_eq!(n.holidays.len(), 2);
    assert_eq!(n.holidays[1].name, "春节");
    assert_eq!(n.holidays[1].off.len(), 9);
    assert_eq!(n.holidays[1].workdays, [date(2026, 2, 14), date(2026, 2, 28)]);
}
