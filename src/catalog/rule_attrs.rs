//! Rule attributes beyond the form: routine reports (`routine:`), reports about the previous
//! period (`covers:`), activities at a time (`once: {at}`), recurrence bounds (`since`/`until`),
//! the statutory-holiday names of `before_holidays`, and deadline/rule overlap warnings.

use super::build::Ctx;
use super::model::*;
use super::parse;
use crate::config::Located;
use crate::config::raw::*;

/// The recurrence bounds of a rule: `since` (or `from` on non-campaign forms) and `until`.
pub(super) fn bounds(
    ctx: &mut Ctx,
    r: &RawRule,
) -> (Option<jiff::civil::Date>, Option<jiff::civil::Date>) {
    macro_rules! pick {
        ($($v:ident),*) => {
            match r {
                RawRule::Campaign(x) => (x.since.as_ref(), x.until.as_ref()),
                $(RawRule::$v(x) => {
                    if let (Some(a), Some(_)) = (&x.from, &x.since) {
                        ctx.error(a, "`from` and `since` say the same; keep one");
                    }
                    (x.since.as_ref().or(x.from.as_ref()), x.until.as_ref())
                })*
            }
        };
    }
    let (since, until) = pick!(
        Once,
        Yearly,
        EveryNYears,
        HalfYearly,
        Quarterly,
        Monthly,
        Weekly,
        Daily,
        Cron,
        BeforeHolidays,
        After,
        During
    );
    // A bare year (`until: 2027`) reads as an integer.
    let text = |v: &OffsetValue| match v {
        OffsetValue::Int(i) => i.to_string(),
        OffsetValue::Text(t) => t.clone(),
    };
    let since = since.and_then(|s| ctx.check(s, parse::period_bound(&text(&s.value), false)));
    let until = until.and_then(|u| ctx.check(u, parse::period_bound(&text(&u.value), true)));
    if let (Some(a), Some(b)) = (since, until)
        && b < a
        && let Some(u) = match r {
            RawRule::Campaign(x) => x.until.as_ref(),
            RawRule::Once(x) => x.until.as_ref(),
            RawRule::Yearly(x) => x.until.as_ref(),
            RawRule::EveryNYears(x) => x.until.as_ref(),
            RawRule::HalfYearly(x) => x.until.as_ref(),
            RawRule::Quarterly(x) => x.until.as_ref(),
            RawRule::Monthly(x) => x.until.as_ref(),
            RawRule::Weekly(x) => x.until.as_ref(),
            RawRule::Daily(x) => x.until.as_ref(),
            RawRule::Cron(x) => x.until.as_ref(),
            RawRule::BeforeHolidays(x) => x.until.as_ref(),
            RawRule::After(x) => x.until.as_ref(),
            RawRule::During(x) => x.until.as_ref(),
        }
    {
        ctx.error(u, format!("`until` ({b}) is before the start bound ({a})"));
    }
    (since, until)
}

/// Warn about rules whose date is the task deadline's: the plan sends one due reminder for the
/// day (the rule's), but two rules saying one thing is usually a slip in the plan file.
pub(super) fn overlap_warnings(ctx: &mut Ctx, t: &RawTask, d: jiff::civil::Date, rules: &[Rule]) {
    let at = t.deadline.as_ref().map_or_else(
        || Located {
            value: (),
            pos: t.id.pos,
            path: t.id.path.clone(),
        },
        |x| Located {
            value: (),
            pos: x.pos,
            path: x.path.clone(),
        },
    );
    for (i, r) in rules.iter().enumerate() {
        let same = match &r.form {
            RuleForm::Once { date } => *date == d,
            RuleForm::YearlyDate { month, day } => (*month, *day) == (d.month(), d.day()),
            RuleForm::CampaignFixed { to, .. } => *to == (d.month(), d.day()),
            _ => false,
        };
        if same && t.deadline.is_some() {
            ctx.warning(
                &at,
                format!(
                    "the deadline {d} and rules[{i}] fall on the same day: one due reminder is \
                     sent (the rule's); drop one of them if they are the same duty"
                ),
            );
        }
    }
}

/// The national statutory holidays (全体公民放假的节日) as the State Council notices name them.
pub const NATIONAL_HOLIDAYS: &[&str] = &[
    "元旦",
    "春节",
    "清明节",
    "劳动节",
    "端午节",
    "中秋节",
    "国庆节",
];

/// Check `covers:` against the rule's form: a monthly rule reports on the previous month, a
/// yearly one on the previous year; a quarterly rule's window is already the quarter before its
/// due date, so `previous_quarter` only says so.
pub(super) fn covers_ok(ctx: &mut Ctx, c: &Located<String>, form: &RuleForm) -> bool {
    let expected = match form {
        RuleForm::Monthly { .. } => "previous_month",
        RuleForm::Quarterly { .. } => "previous_quarter",
        RuleForm::YearlyDate { .. } => "previous_year",
        _ => {
            ctx.error(
                c,
                "`covers` applies to monthly (previous_month), quarterly (previous_quarter) and \
                 yearly date (previous_year) rules",
            );
            return false;
        }
    };
    if c.value != expected {
        ctx.error(
            c,
            format!(
                "`{}` does not fit this rule; expected `{expected}` (the period before the due \
                 date's)",
                c.value
            ),
        );
        return false;
    }
    true
}

/// `"10:00"`, `上午` or `下午`, as the occurrence label writes it (10时, 上午).
pub(super) fn activity_time(s: &str) -> Result<String, String> {
    match s {
        "上午" | "下午" | "全天" => Ok(s.to_string()),
        _ => parse::time(s)
            .map(|t| {
                if t.minute() == 0 {
                    format!("{}时", t.hour())
                } else {
                    format!("{}时{}分", t.hour(), t.minute())
                }
            })
            .map_err(|e| format!("{e}; or 上午, 下午, 全天")),
    }
}

/// The ladder of a routine report: the due day only, no overdue repeats, escalation as `base`.
pub(super) fn routine_ladder(base: &Ladder) -> Ladder {
    Ladder {
        before: Vec::new(),
        overdue_every: None,
        ..base.clone()
    }
}

/// Check `routine:`: a non-empty list of the cadences reported, on a rule whose period is a
/// reporting period (a month or longer).
pub(super) fn routine_list(
    ctx: &mut Ctx,
    x: &Located<Vec<String>>,
    form: &RuleForm,
) -> Vec<String> {
    let periodic = matches!(
        form,
        RuleForm::Monthly { .. }
            | RuleForm::Quarterly { .. }
            | RuleForm::HalfYearly { .. }
            | RuleForm::YearlyDate { .. }
            | RuleForm::YearlyEvent { .. }
    );
    if !periodic {
        ctx.error(
            x,
            "`routine` marks the report of a reporting period: put it on a monthly, quarterly, \
             half_yearly or yearly rule, and list the daily/weekly cadences the units keep \
             themselves in it (routine: [日管控, 周排查])",
        );
    }
    let list: Vec<String> = x.value.iter().map(|s| s.trim().to_string()).collect();
    if list.is_empty() || list.iter().any(String::is_empty) {
        ctx.error(
            x,
            "`routine` lists what the units do themselves and report each period, e.g. \
             [日管控, 周排查, 月调度]",
        );
    }
    list
}
