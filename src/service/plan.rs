//! Planning and sync: schedule the plan for the horizon and hand the store a [`PlanSet`] of
//! reminder identities (no rendered text: messages are rendered when they are sent).
//!
//! A sync is skipped when the plan's inputs (catalog, calendar, the planned window and today's
//! date, which sets colours) hash to what the store recorded at the last sync: the 6-hourly
//! re-check and a reload of an unchanged config then cost one hash and one read.
//!
//! May touch: the store through the [`Store`] trait. Pure otherwise; `now` is a parameter.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use sha2::{Digest, Sha256};

use crate::loader::Loaded;
use crate::notify::Colour;
use crate::schedule::{self, Occurrence};
use crate::store::{NewOccurrence, NewReminder, PlanSet, Store, StoreError, SyncReport};

/// Days before today that are planned too, so occurrences still under way (a campaign that
/// opened last week, a deadline overdue since last month) stay tracked with their future stages.
pub const LOOKBACK_DAYS: i64 = 62;

/// The `meta` key under which the inputs hash of the last sync is kept.
const INPUTS_KEY: &str = "plan_inputs";

/// The `meta` key of the last sync's config fingerprint, first planned day of its last full
/// sync, and last planned day: `fingerprint|full_from|to`.
const WINDOW_KEY: &str = "plan_window";

/// A full sync at least this often even when only the window moved: it refreshes the stored
/// colours of occurrences under way and drops the days that left the look-back.
const FULL_SYNC_DAYS: i64 = 28;
/// The `meta` key holding the unix second of the last completed plan sync.
pub const SYNCED_AT_KEY: &str = "plan_synced_at";

/// How often the planned window moves: once a week (and whenever the inputs change). Within a
/// week every day's `[today - LOOKBACK_DAYS, today + horizon_days]` lies inside the window, so a
/// daily re-plan would only repeat work (a simulated year would re-plan 365 times).
pub const WINDOW_STEP_DAYS: i64 = 7;

/// The planned window for `today`: from [`LOOKBACK_DAYS`] before the start of today's step to
/// `horizon_days` after its end.
pub fn window(l: &Loaded, today: Date) -> (Date, Date) {
    let step = step_start(today);
    let from = step.saturating_sub(jiff::Span::new().days(LOOKBACK_DAYS));
    let horizon = i64::from(l.catalog.settings.horizon_days) + WINDOW_STEP_DAYS;
    let to = step.saturating_add(jiff::Span::new().days(horizon));
    (from, to)
}

/// The first day of the [`WINDOW_STEP_DAYS`] step that holds `today` (steps start on Mondays).
fn step_start(today: Date) -> Date {
    let back = i64::from(today.weekday().to_monday_zero_offset());
    today.saturating_sub(jiff::Span::new().days(back))
}

/// A hash of everything a plan sync depends on: the loaded config's fingerprint and the window
/// (not the day: occurrence colours are recomputed by whoever shows them).
pub fn inputs_hash(l: &Loaded, today: Date) -> String {
    let (from, to) = window(l, today);
    let mut h = Sha256::new();
    // The binary's version too: a new dutybell may plan differently, so an upgrade re-plans at
    // its first start even when the configuration is unchanged.
    h.update(
        format!(
            "v3|{}|{from}|{to}|{}",
            env!("CARGO_PKG_VERSION"),
            l.fingerprint
        )
        .as_bytes(),
    );
    hex12(&h.finalize())
}

fn hex12(bytes: &[u8]) -> String {
    bytes.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// Build the plan set for the window around `now`'s local date.
///
/// # Errors
/// A reminder whose occurrence is missing from the plan (a schedule bug).
pub fn plan_set(l: &Loaded, now: Timestamp) -> anyhow::Result<PlanSet> {
    plan_set_with(l, now, &schedule::DueOverrides::new())
}

/// [`plan_set`] honouring granted 延期 (`overrides`, from [`Store::due_overrides`]).
///
/// # Errors
/// As [`plan_set`].
pub fn plan_set_with(
    l: &Loaded,
    now: Timestamp,
    overrides: &schedule::DueOverrides,
) -> anyhow::Result<PlanSet> {
    plan_set_facts(
        l,
        now,
        &schedule::PlanFacts::with_overrides(overrides.clone()),
    )
}

/// [`plan_set`] with every run-time fact (延期, steps reported done, declared event windows;
/// see [`super::events::facts`]).
///
/// # Errors
/// As [`plan_set`].
pub fn plan_set_facts(
    l: &Loaded,
    now: Timestamp,
    facts: &schedule::PlanFacts,
) -> anyhow::Result<PlanSet> {
    let tz = l.catalog.settings.tz.tz();
    let today = now.to_zoned_datetime(tz.clone()).date();
    let (from, to) = window(l, today);
    range_set(l, today, from, to, false, facts)
}

/// The plan set of `[from, to]`; `partial` marks a slice added to an existing plan (rows outside
/// it are neither compared nor cancelled). Planning is additive over ranges (`schedule::plan`),
/// so a slice planned alone equals that slice of the whole plan.
fn range_set(
    l: &Loaded,
    today: Date,
    from: Date,
    to: Date,
    partial: bool,
    facts: &schedule::PlanFacts,
) -> anyhow::Result<PlanSet> {
    let tz = l.catalog.settings.tz.tz();
    let plan =
        schedule::plan_tasks_facts(&l.catalog, &l.calendar, &l.catalog.tasks, from, to, facts);
    let occ_by_key: HashMap<&str, &Occurrence> = plan
        .occurrences
        .iter()
        .map(|o| (o.key.as_str(), o))
        .collect();
    let mut reminders = Vec::with_capacity(plan.reminders.len());
    for rem in &plan.reminders {
        if !occ_by_key.contains_key(&*rem.occurrence_key) {
            anyhow::bail!(
                "reminder {} has no occurrence in the plan",
                rem.dedupe_key()
            );
        }
        reminders.push(NewReminder {
            dedupe_key: rem.dedupe_key(),
            occurrence_key: rem.occurrence_key.to_string(),
            task_id: rem.task_id.to_string(),
            stage: rem.stage.to_string(),
            kind: rem.kind,
            recipient: rem.recipient.to_string(),
            channel: rem.channel.to_string(),
            fire_at: rem.at,
            message: None,
        });
    }
    let occurrences = plan
        .occurrences
        .iter()
        .map(|o| new_occurrence(o, colour_on(l, o, step_start(today))))
        .collect();
    let horizon_end = to
        .saturating_add(jiff::Span::new().days(1))
        .to_zoned_datetime(tz.clone())?
        .timestamp();
    let horizon_start = if partial {
        Some(from.to_zoned_datetime(tz.clone())?.timestamp())
    } else {
        None
    };
    Ok(PlanSet {
        version_hash: inputs_hash(l, today),
        horizon_start,
        horizon_end,
        occurrences,
        reminders,
    })
}

/// What [`sync`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The inputs were those of the last sync; nothing was planned or written.
    Unchanged,
    /// The plan was computed and reconciled.
    Synced(SyncReport),
}

/// Plan and reconcile, unless the inputs are those of the last sync (or `force`).
///
/// # Errors
/// A schedule bug or a store error; on error the store is unchanged.
pub fn sync(
    store: &mut dyn Store,
    l: &Loaded,
    now: Timestamp,
    force: bool,
) -> anyhow::Result<SyncOutcome> {
    let today = now
        .to_zoned_datetime(l.catalog.settings.tz.tz().clone())
        .date();
    // Granted 延期 are inputs too: a new override re-plans (web loop, issue 13); so are steps
    // reported done and declared event windows (issue 14), read on every sync.
    let facts = super::events::facts(store, l)?;
    let facts_text = if facts == schedule::PlanFacts::default() {
        String::new()
    } else {
        format!("|{facts:?}")
    };
    let mut hash = inputs_hash(l, today);
    if !facts_text.is_empty() {
        let mut h = Sha256::new();
        h.update(format!("{hash}{facts_text}").as_bytes());
        hash = hex12(&h.finalize());
    }
    if !force && store.meta(INPUTS_KEY)?.as_deref() == Some(hash.as_str()) {
        return Ok(SyncOutcome::Unchanged);
    }
    let (from, to) = window(l, today);
    // The config fingerprint with the facts: a new 延期, report or event forces a full sync.
    let inputs = format!("{}{facts_text}", l.fingerprint);
    let inputs = {
        let mut h = Sha256::new();
        h.update(inputs.as_bytes());
        hex12(&h.finalize())
    };
    let last = store.meta(WINDOW_KEY)?.and_then(|t| LastWindow::parse(&t));
    let (mut set, full_from) = match last {
        // Same inputs, the window only moved forward a little: plan just the new days.
        Some(w)
            if !force
                && w.fingerprint == inputs
                && to > w.to
                && from >= w.full_from
                && (from - w.full_from).get_days() < FULL_SYNC_DAYS as i32 =>
        {
            let first_new = w.to.tomorrow()?;
            (
                range_set(l, today, first_new, to, true, &facts)?,
                w.full_from,
            )
        }
        _ => (plan_set_facts(l, now, &facts)?, from),
    };
    set.version_hash = hash.clone();
    let report = store.sync_plan(&set, now)?;
    store.set_meta(INPUTS_KEY, &hash)?;
    store.set_meta(WINDOW_KEY, &format!("{inputs}|{full_from}|{to}"))?;
    // For `/metrics` and `/healthz` (web loop, issue 13).
    store.set_meta(SYNCED_AT_KEY, &now.as_second().to_string())?;
    Ok(SyncOutcome::Synced(report))
}

/// What the last sync planned.
struct LastWindow {
    fingerprint: String,
    full_from: Date,
    to: Date,
}

impl LastWindow {
    fn parse(text: &str) -> Option<LastWindow> {
        let mut parts = text.split('|');
        Some(LastWindow {
            fingerprint: parts.next()?.to_owned(),
            full_from: parts.next()?.parse().ok()?,
            to: parts.next()?.parse().ok()?,
        })
    }
}

/// Forget the inputs hash, so the next [`sync`] plans again (after progress or an office
/// decision changed what the plan should hold).
///
/// # Errors
/// A store error.
pub fn invalidate(store: &mut dyn Store) -> Result<(), StoreError> {
    store.set_meta(INPUTS_KEY, "")?;
    store.set_meta(WINDOW_KEY, "")
}

/// The store's row for a planned occurrence (check-ins have no rule: index `u32::MAX`).
pub fn new_occurrence(o: &Occurrence, colour: Colour) -> NewOccurrence {
    NewOccurrence {
        key: o.key.clone(),
        task_id: o.task_id.clone(),
        rule_index: o.rule_index.map_or(u32::MAX, |i| i as u32),
        period_label: o.period_label.clone(),
        window_start: o.window_start,
        window_end: o.window_end,
        due_date: Some(o.due),
        colour,
    }
}

/// The colour of an occurrence as of `today`: 红 past due, 黄 a campaign under way or a date within
/// 3 working days, 蓝 otherwise. Progress recorded as done is kept by the store whatever this says.
pub fn colour_on(l: &Loaded, o: &Occurrence, today: Date) -> Colour {
    if o.due < today {
        Colour::Red
    } else if (o.kind == crate::schedule::OccurrenceKind::Campaign && o.window_start <= today)
        || l.calendar.workdays_between(today, o.due) <= 3
    {
        Colour::Yellow
    } else {
        Colour::Blue
    }
}
