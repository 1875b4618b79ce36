//! Campaign rules (`campaign:`): a window around a named event, or a fixed yearly window that may
//! cross the new year (12-20 → 01-10).

use super::build::Ctx;
use super::model::RuleForm;
use super::parse;
use crate::calendar::Offset;
use crate::config::Located;
use crate::config::raw::{RawCampaign, RawRule};

pub(super) fn campaign(
    ctx: &mut Ctx,
    r: &Located<RawRule>,
    x: &RawCampaign,
    event_ref: &mut impl FnMut(&mut Ctx, &Located<String>) -> bool,
) -> Option<RuleForm> {
    match (&x.event, &x.from, &x.to) {
        (Some(e), None, None) => {
            event_ref(ctx, e);
            let (Some(o), Some(c)) = (&x.opens, &x.closes) else {
                ctx.error(r, "a campaign around an event needs `opens` and `closes` (days relative to the event)");
                return None;
            };
            let opens = ctx.check(o, parse::offset_value(&o.value))?;
            let closes = ctx.check(c, parse::offset_value(&c.value))?;
            if same_unit_not_after(opens, closes) {
                ctx.error(
                    c,
                    format!("empty window: closes ({closes}) must be after opens ({opens})"),
                );
                return None;
            }
            Some(RuleForm::CampaignEvent {
                event: e.value.clone(),
                opens,
                closes,
            })
        }
        (None, Some(f), Some(t)) => {
            if x.opens.is_some() || x.closes.is_some() {
                ctx.error(
                    r,
                    "a fixed campaign takes `from` and `to`, not `opens`/`closes`",
                );
            }
            let (from, to) = (super::tasks::md(ctx, f)?, super::tasks::md(ctx, t)?);
            // `to` before `from` is a window across the new year (12-20 → 01-10): it closes in
            // the year after it opens.
            if to == from {
                ctx.error(
                    t,
                    format!(
                        "empty window: `to` ({}) is the same day as `from`; use `once` or a \
                         yearly date for a one-day duty",
                        t.value
                    ),
                );
                return None;
            }
            Some(RuleForm::CampaignFixed { from, to })
        }
        _ => {
            ctx.error(
                r,
                "campaign needs either `event` with `opens`/`closes`, or `from` and `to`",
            );
            None
        }
    }
}

/// True when both offsets use the same unit and `closes` is not after `opens`.
fn same_unit_not_after(opens: Offset, closes: Offset) -> bool {
    match (opens, closes) {
        (Offset::Days(a), Offset::Days(b)) | (Offset::Workdays(a), Offset::Workdays(b)) => b <= a,
        _ => false,
    }
}
