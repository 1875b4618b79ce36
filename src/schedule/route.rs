//! Recipients and channel routing: who gets a stage, and over which channels.
//!
//! Pure. Lead units get every stage; cooperating units get the lead/open/due stages marked
//! supporting when the ladder says `inform`; escalation adds `{unit}#head` for lead units with a
//! head and the units of the `escalate_to` groups. A unit with email goes to the first enabled
//! SMTP channel (else the fallback), plus each of its chat channels (a disabled one is replaced by
//! the fallback); a unit with neither goes to the fallback.

use std::borrow::Cow;

use jiff::tz::TimeZone;

use super::Draft;
use super::ladder::{Audience, Stage};
use crate::catalog::{Catalog, ChannelKind, Cooperating, EscalateTo, Task, UnitKind};
use crate::model::SharedStr;
use crate::schedule::Reminder;

/// Suffix of a unit-head recipient id.
pub const HEAD_SUFFIX: &str = "#head";

/// Routing facts computed once per plan (each recipient's shared id and channels) and per task
/// (lead and cooperating units), so the per-stage work is lookups and reference counts: a plan of
/// 10,000 duties has ~1.6 million reminders but only a few hundred distinct recipient and
/// channel strings.
pub(crate) struct Router<'c> {
    cat: &'c Catalog,
    known: foldhash::HashMap<String, Routed>,
}

/// A recipient's shared id and the channels it is reached on.
#[derive(Clone)]
struct Routed {
    id: SharedStr,
    channels: Vec<SharedStr>,
}

/// Lead and cooperating units of one task.
pub(crate) struct TaskUnits {
    lead: Vec<String>,
    cooperating: Vec<String>,
}

impl<'c> Router<'c> {
    /// Precompute the channels of every unit and unit head.
    pub(crate) fn new(cat: &'c Catalog) -> Router<'c> {
        let mut known = foldhash::HashMap::default();
        for u in &cat.units {
            for id in [u.id.clone(), format!("{}{HEAD_SUFFIX}", u.id)] {
                let routed = routed(cat, &id);
                known.insert(id, routed);
            }
        }
        Router { cat, known }
    }

    /// The units of `task`.
    pub(crate) fn task_units(&self, task: &Task) -> TaskUnits {
        TaskUnits {
            lead: self.cat.lead_units(task),
            cooperating: self.cat.cooperating_units(task),
        }
    }

    /// `recipient`'s shared id and channels (computed here for an id that is not a unit).
    fn routed(&self, recipient: &str) -> Cow<'_, Routed> {
        match self.known.get(recipient) {
            Some(r) => Cow::Borrowed(r),
            None => Cow::Owned(routed(self.cat, recipient)),
        }
    }
}

fn routed(cat: &Catalog, recipient: &str) -> Routed {
    Routed {
        id: recipient.into(),
        channels: channels_for(cat, recipient)
            .into_iter()
            .map(SharedStr::from)
            .collect(),
    }
}

/// The recipients of a stage: `(recipient, supporting)`, lead units first, no duplicates.
/// The task's own units are borrowed: only unit heads and escalation groups are new strings.
pub(crate) fn recipients<'u>(
    cat: &Catalog,
    units: &'u TaskUnits,
    d: &Draft<'_>,
    st: &Stage,
) -> Vec<(Cow<'u, str>, bool)> {
    let lead = &units.lead;
    let mut out: Vec<(Cow<'u, str>, bool)> = lead
        .iter()
        .map(|u| (Cow::from(u.as_str()), false))
        .collect();
    let add = |id: Cow<'u, str>, supporting: bool, out: &mut Vec<(Cow<'u, str>, bool)>| {
        if !out.iter().any(|(r, _)| *r == id) {
            out.push((id, supporting));
        }
    };
    match st.audience {
        Audience::Everyone if d.ladder.cooperating == Cooperating::Inform => {
            for u in &units.cooperating {
                add(Cow::from(u.as_str()), true, &mut out);
            }
        }
        // Issue 12: the bureau's leaders do not command another county bureau or a township.
        // A task led only from outside the bureau escalates to the coordinating office
        // (`settings.coordinator`, e.g. the 县食安办), worded as coordination; without one, to
        // the lead unit's own head only.
        Audience::Escalation if led_from_outside(cat, lead) => match &cat.settings.coordinator {
            Some(c) => {
                for u in cat.expand(c) {
                    add(Cow::from(u), false, &mut out);
                }
            }
            None if d.ladder.escalate_to.contains(&EscalateTo::Head) => {
                for u in lead {
                    if cat.unit(u).is_some_and(|x| x.head.is_some()) {
                        add(Cow::from(format!("{u}{HEAD_SUFFIX}")), false, &mut out);
                    }
                }
            }
            None => {}
        },
        Audience::Escalation => {
            for e in &d.ladder.escalate_to {
                match e {
                    EscalateTo::Head => {
                        for u in lead {
                            if cat.unit(u).is_some_and(|x| x.head.is_some()) {
                                add(Cow::from(format!("{u}{HEAD_SUFFIX}")), false, &mut out);
                            }
                        }
                    }
                    EscalateTo::Group(g) => {
                        for u in cat.expand(g) {
                            add(Cow::from(u), false, &mut out);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// True when every lead unit is another county bureau or a township (not the bureau's own
/// sections, teams, offices or stations).
pub fn led_from_outside(cat: &Catalog, lead: &[String]) -> bool {
    !lead.is_empty()
        && lead.iter().all(|u| {
            cat.unit(u)
                .is_some_and(|x| matches!(x.kind, UnitKind::CountyBureau | UnitKind::Township))
        })
}

/// The channels a recipient (unit id or `{unit}#head`) is reached on, deduplicated, in order:
/// email route first, then chat channels.
pub fn channels_for(cat: &Catalog, recipient: &str) -> Vec<String> {
    let fallback = cat.settings.fallback_channel.clone();
    let smtp = || {
        cat.channels
            .iter()
            .find(|c| c.enabled && matches!(c.kind, ChannelKind::Smtp { .. }))
            .map_or_else(|| fallback.clone(), |c| c.id.clone())
    };
    let mut out: Vec<String> = Vec::new();
    if let Some(unit) = recipient.strip_suffix(HEAD_SUFFIX) {
        let has_mail = cat
            .unit(unit)
            .and_then(|u| u.head.as_ref())
            .is_some_and(|h| h.email.is_some());
        out.push(if has_mail { smtp() } else { fallback });
        return out;
    }
    let Some(unit) = cat.unit(recipient) else {
        return vec![fallback];
    };
    if !unit.email.is_empty() {
        out.push(smtp());
    }
    for ch in &unit.channels {
        let id = match cat.channel(ch) {
            Some(c) if c.enabled => c.id.clone(),
            _ => fallback.clone(),
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        out.push(fallback);
    }
    out
}

/// The reminders of one stage: one per recipient and channel. `occurrence` and `task` are the
/// draft's key and task id, shared by all its reminders.
pub(crate) fn reminders(
    ctx: (&Router<'_>, &TaskUnits, &TimeZone),
    (occurrence, task): (&SharedStr, &SharedStr),
    d: &Draft<'_>,
    st: &Stage,
    out: &mut Vec<Reminder>,
) {
    let (router, units, tz) = ctx;
    let at = tz
        .to_timestamp(st.date.to_datetime(d.ladder.time))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    for (recipient, supporting) in recipients(router.cat, units, d, st) {
        let routed = router.routed(&recipient);
        for channel in &routed.channels {
            out.push(Reminder {
                occurrence_key: occurrence.clone(),
                task_id: task.clone(),
                stage: st.name.clone(),
                kind: st.kind,
                colour: st.colour,
                date: st.date,
                at,
                recipient: routed.id.clone(),
                supporting,
                channel: channel.clone(),
                why: st.why.clone(),
            });
        }
    }
}
