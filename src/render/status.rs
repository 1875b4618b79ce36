//! What a reminder's dates mean on the day it is sent: `还有3天截止`, `今天截止`,
//! `已逾期 5 个工作日`, `今日启动`, `距春季开学还有 14 天`. Pure; working days come from the
//! calendar passed in.

use jiff::civil::Date;

use super::context::{StatusCtx, zh_date};
use crate::calendar::WorkCalendar;
use crate::notify::MessageKind;
use crate::schedule::{Occurrence, OccurrenceKind};

/// Calendar days from `a` to `b` (negative when `b` is earlier).
fn days(a: Date, b: Date) -> i64 {
    i64::from(a.until(b).map(|s| s.get_days()).unwrap_or(0))
}

/// The status phrases for a reminder of `kind` about `occ`, on `today`.
pub fn status(
    cal: &WorkCalendar,
    kind: MessageKind,
    occ: &Occurrence,
    event: Option<&(String, Date)>,
    today: Date,
) -> StatusCtx {
    let days_left = days(today, occ.due);
    let workdays_overdue = if days_left < 0 {
        i64::from(cal.workdays_between(occ.due, today)).max(0)
    } else {
        0
    };
    let before_opening = occ.kind == OccurrenceKind::Campaign && today <= occ.window_start;
    let (short, long) = match kind {
        MessageKind::Checkin => checkin(occ, days_left, workdays_overdue),
        // An opening, or a lead reminder before a campaign opens, is about the opening date.
        MessageKind::CampaignOpening => opening(cal, occ, today, days_left),
        MessageKind::Lead if before_opening => opening(cal, occ, today, days_left),
        _ => deadline(cal, occ, today, days_left, workdays_overdue),
    };
    StatusCtx {
        short,
        long,
        event: event.map(|e| event_line(e, today)).unwrap_or_default(),
        days_left,
        workdays_overdue,
    }
}

fn event_line((name, date): &(String, Date), today: Date) -> String {
    let d = days(today, *date);
    match d {
        1.. => format!("距{name}（{}）还有{d}天", zh_date(*date)),
        0 => format!("今天{name}（{}）", zh_date(*date)),
        _ => format!("{name}（{}）已过{}天", zh_date(*date), -d),
    }
}

fn overdue_phrases(occ: &Occurrence, days_left: i64, wd: i64) -> (String, String) {
    let due = zh_date(occ.due);
    if wd > 0 {
        (
            format!("已逾期{wd}个工作日"),
            format!("已逾期{wd}个工作日（{due}截止）"),
        )
    } else {
        // Due on a working day and today is a holiday right after: count calendar days.
        let d = -days_left;
        (format!("已逾期{d}天"), format!("已逾期{d}天（{due}截止）"))
    }
}

fn deadline(
    cal: &WorkCalendar,
    occ: &Occurrence,
    today: Date,
    days_left: i64,
    wd: i64,
) -> (String, String) {
    let due = zh_date(occ.due);
    match days_left {
        1.. => {
            let wdl = cal.workdays_between(today, occ.due);
            (
                format!("还有{days_left}天截止"),
                format!("{due}截止，还有{days_left}天（{wdl}个工作日）"),
            )
        }
        0 => ("今天截止".into(), format!("今天（{due}）截止")),
        _ => overdue_phrases(occ, days_left, wd),
    }
}

fn opening(cal: &WorkCalendar, occ: &Occurrence, today: Date, days_left: i64) -> (String, String) {
    let (start, end) = (zh_date(occ.window_start), zh_date(occ.window_end));
    // The status line follows the item's heading (`2026年食品安全宣传周`), so it does not name
    // the kind of work again (`…宣传周\n宣传周今日启动` in the year scan, issue 12); the headline
    // names it where nothing above does.
    let to_open = days(today, occ.window_start);
    match to_open {
        1.. => (
            format!("{to_open}天后启动"),
            format!("将于{start}启动（还有{to_open}天），{end}结束"),
        ),
        0 => (
            "今日启动".into(),
            format!("今日启动，{end}结束，共{}天", days_left + 1),
        ),
        _ if days_left >= 0 => {
            let wdl = cal.workdays_between(today, occ.due);
            (
                format!("进行中，还有{days_left}天截止"),
                format!("已于{start}启动，{end}结束，还有{days_left}天（{wdl}个工作日）"),
            )
        }
        _ => overdue_phrases(
            occ,
            days_left,
            i64::from(cal.workdays_between(occ.due, today)).max(0),
        ),
    }
}

fn checkin(occ: &Occurrence, days_left: i64, wd: i64) -> (String, String) {
    let due = zh_date(occ.due);
    // The planner labels a check-in `2026年第1季度进展报送`; the sentence says 报送 itself.
    let label = super::context::period_label(&occ.period_label);
    let period = label.trim_end_matches("进展报送");
    match days_left {
        1.. => (
            "请报送工作进展".into(),
            format!("请于{due}前报送{period}工作进展（还有{days_left}天）"),
        ),
        0 => (
            "今天报送工作进展".into(),
            format!("请于今天（{due}）报送{period}工作进展"),
        ),
        _ => {
            let (short, long) = overdue_phrases(occ, days_left, wd);
            (
                format!("进展报送{short}"),
                format!("{period}工作进展尚未报送，{long}"),
            )
        }
    }
}
