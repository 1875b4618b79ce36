//! A unit's occurrences as an RFC 5545 calendar: campaign windows as all-day multi-day events,
//! deadlines and check-ins as all-day events on the due date. Written by hand (about 100 lines)
//! rather than with the `icalendar` crate, which stays a dev-dependency used by the tests to parse
//! what we write.
//!
//! May touch: nothing (pure: catalog, occurrences and `now` in, text out).

use jiff::Timestamp;
use jiff::civil::Date;

use super::due_of;
use crate::catalog::{Catalog, Role, RuleForm, Task};
use crate::store::{Occurrence, OccurrenceStatus};

/// PRODID of every calendar we write.
pub const ICS_PRODID: &str = "-//dutybell//dutybell 督办提醒//ZH";
/// RFC 5545 §3.1: lines longer than this many octets are folded.
const FOLD_OCTETS: usize = 75;
/// SEQUENCE counts minutes since this instant (2020-01-01T00:00Z): it grows whenever the store
/// touches an occurrence, so clients that honour SEQUENCE (Outlook) take the newer copy, and it
/// fits in the 31 bits many clients use.
const SEQUENCE_EPOCH: i64 = 1_577_836_800;

/// The stable UID of an occurrence: `{key}@dutybell` with every character of the key outside
/// `[A-Za-z0-9._-]` replaced by `-` (`4.2@2027-spring` → `4.2-2027-spring@dutybell`). Stable
/// across exports, so importing a newer file updates events instead of duplicating them.
pub fn ics_uid(occurrence_key: &str) -> String {
    let key: String = occurrence_key
        .chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '-',
        })
        .collect();
    format!("{key}@dutybell")
}

/// The calendar of `unit`: every occurrence of a task it leads or supports (through groups too),
/// in the order given. `now` becomes DTSTAMP. Occurrences of tasks no longer in the plan are left
/// out. Lines end with CRLF and are folded at 75 octets on character boundaries.
pub fn unit_calendar(
    cat: &Catalog,
    unit: &str,
    occurrences: &[Occurrence],
    now: Timestamp,
) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        format!("PRODID:{ICS_PRODID}"),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        format!(
            "X-WR-CALNAME:{}",
            escape(&format!("督办提醒·{}", cat.name_of(unit)))
        ),
        format!("X-WR-TIMEZONE:{}", escape(&cat.settings.timezone)),
    ];
    let stamp = utc(now);
    for o in occurrences {
        let Some(task) = cat.task(&o.task_id) else {
            continue;
        };
        let Some(role) = cat.role_of(task, unit) else {
            continue;
        };
        lines.extend(event(cat, task, role, o, &stamp));
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in &lines {
        fold_into(&mut out, l);
    }
    out
}

fn event(cat: &Catalog, task: &Task, role: Role, o: &Occurrence, stamp: &str) -> Vec<String> {
    let (start, end) = if is_campaign(task, o) {
        (o.window_start, o.window_end)
    } else {
        (due_of(o), due_of(o))
    };
    let role_zh = match role {
        Role::Lead => "牵头",
        Role::Cooperating => "配合",
    };
    let (status_zh, status) = match o.status {
        OccurrenceStatus::Open => ("未完成", "CONFIRMED"),
        OccurrenceStatus::Done => ("已完成", "CONFIRMED"),
        OccurrenceStatus::Skipped => ("不适用", "CANCELLED"),
        OccurrenceStatus::Cancelled => ("已取消", "CANCELLED"),
    };
    let done = if o.status == OccurrenceStatus::Done {
        "【已完成】"
    } else {
        ""
    };
    let summary = format!("{done}{} {}（{}）", task.id, task.title, o.period_label);
    let description = format!(
        "角色：{role_zh}\n周期：{}\n时间：{} 至 {}\n截止：{}\n状态：{status_zh}\n责任部门：{}\n落实措施：\n{}",
        o.period_label,
        o.window_start,
        o.window_end,
        due_of(o),
        super::departments(cat, task),
        task.measures
    );
    let minutes = (o.updated_at.as_second() - SEQUENCE_EPOCH).max(0) / 60;
    vec![
        "BEGIN:VEVENT".into(),
        format!("UID:{}", ics_uid(&o.key)),
        format!("DTSTAMP:{stamp}"),
        format!("DTSTART;VALUE=DATE:{}", ymd(start)),
        format!("DTEND;VALUE=DATE:{}", ymd(end.tomorrow().unwrap_or(end))),
        format!("SUMMARY:{}", escape(&summary)),
        format!("DESCRIPTION:{}", escape(&description)),
        format!("CATEGORIES:{role_zh}"),
        format!("STATUS:{status}"),
        "TRANSP:TRANSPARENT".into(),
        format!("LAST-MODIFIED:{}", utc(o.updated_at)),
        format!("SEQUENCE:{minutes}"),
        "END:VEVENT".into(),
    ]
}

/// A campaign occurrence spans its window; anything else (deadlines, check-ins) is one day.
fn is_campaign(task: &Task, o: &Occurrence) -> bool {
    !o.key.ends_with("-checkin")
        && task.rules.get(o.rule_index as usize).is_some_and(|r| {
            matches!(
                r.form,
                RuleForm::CampaignEvent { .. } | RuleForm::CampaignFixed { .. }
            )
        })
}

fn ymd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, and line breaks as `\n`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at [`FOLD_OCTETS`] octets, never inside a UTF-8 character; continuation
/// lines start with one space, which counts towards their 75.
fn fold_into(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > FOLD_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_is_sanitised_and_stable() {
        assert_eq!(
            ics_uid("4.2@2027-spring_term_start"),
            "4.2-2027-spring_term_start@dutybell"
        );
        assert_eq!(
            ics_uid("1.1@2027-Q1 checkin/x"),
            "1.1-2027-Q1-checkin-x@dutybell"
        );
    }

    #[test]
    fn escaping_covers_rfc_specials() {
        assert_eq!(escape("a,b;c\\d\r\ne"), "a\\,b\\;c\\\\d\\ne");
        assert_eq!(escape("中文，标点；"), "中文，标点；");
    }

    #[test]
    fn folding_keeps_utf8_whole_and_lines_short() {
        let line = format!("SUMMARY:{}", "食品安全".repeat(20));
        let mut out = String::new();
        fold_into(&mut out, &line);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= FOLD_OCTETS, "{} octets", physical.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
        assert!(out.split("\r\n").nth(1).unwrap().starts_with(' '));
    }

    #[test]
    fn short_lines_are_not_folded() {
        let mut out = String::new();
        fold_into(&mut out, "VERSION:2.0");
        assert_eq!(out, "VERSION:2.0\r\n");
    }
}
