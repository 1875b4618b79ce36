//! Weekly digests (督办周报) to unit heads: what is overdue, due soon, opening soon, silent, and
//! last week's progress, for the tasks each head's unit leads or supports.
//!
//! Files: `week` (ISO week keys, the due instant after the working-day rule), `classify` (which
//! list an occurrence is in as of an instant), `content` (what a digest says, pure), `message` (rendering, recipients, outbox rows). This file holds the one
//! impure piece, [`enqueue_due_digests`], the digest's own bookkeeping in the store.
//!
//! May touch: the store, only through [`enqueue_due_digests`] and [`load_view`]. Everything else
//! is pure; `now` is a parameter. See docs/DIGEST.md.

mod bureau;
mod classify;
mod compose;
mod content;
mod lists;
mod message;
mod week;

#[cfg(test)]
mod tests;

use jiff::Timestamp;
use jiff::civil::Date;

pub use bureau::{BureauContent, BureauCounts, CountLine, build_bureau};
pub use compose::{BUREAU_STAGE, render_bureau, render_digest};
pub use content::{
    AHEAD_DAYS, DigestContent, DigestCounts, DigestItem, DigestUnit, DigestView, NoteItem,
    build_digest,
};
pub use message::{
    Composer, Reader, digest_channels, digest_key, digest_readers, digest_rows, digest_units,
    reader_channels,
};
pub use week::{due_instant, iso_week_key, next_due, week_label, week_monday};

use crate::calendar::WorkCalendar;
use crate::catalog::Catalog;
use crate::render::{RenderError, Renderer};
use crate::schedule::{self, Plan};
use crate::store::{OccurrenceFilter, Store, StoreError};

/// How far back a digest looks for overdue occurrences, in days (a quarter, so a quarterly
/// check-in left unreported stays visible until the next one).
pub const LOOKBACK_DAYS: i64 = 92;

/// Why a digest could not be built or enqueued.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// Reading or writing the store failed.
    #[error("digest: state database")]
    Store(#[from] StoreError),
    /// A `digest.*` template failed.
    #[error("digest: {0}")]
    Render(#[from] RenderError),
}

/// The plan a digest for the week of `week_monday` needs: from [`LOOKBACK_DAYS`] before the
/// Monday to [`AHEAD_DAYS`] after the week's Sunday.
pub fn plan_for_week(cat: &Catalog, cal: &WorkCalendar, week_monday: Date) -> Plan {
    let monday = week::week_monday(week_monday);
    schedule::plan(
        cat,
        cal,
        week::add_days(monday, -LOOKBACK_DAYS),
        week::add_days(monday, 6 + AHEAD_DAYS),
    )
}

/// Loads the [`DigestView`]: every stored occurrence and the notes of the catalog's tasks.
///
/// # Errors
/// [`DigestError::Store`] on a read failure.
pub fn load_view(cat: &Catalog, store: &dyn Store) -> Result<DigestView, DigestError> {
    let occurrences = store.occurrences(&OccurrenceFilter::default())?;
    let mut notes = Vec::new();
    for t in &cat.tasks {
        notes.extend(store.progress_for_task(&t.id)?);
    }
    Ok(DigestView { occurrences, notes })
}

/// Enqueues every digest that is due in the current week (local to the plan's time zone) and not
/// yet enqueued; returns the number of outbox rows added. The daemon calls it at start-up and at
/// every wake.
///
/// Exactly once per digest, week, head and channel, crash or not: the rows are enqueued FIRST,
/// each idempotently under its dedupe key [`digest_key`] (the outbox's UNIQUE key), and only then
/// is the week claimed (`digest_runs`, the record that the week's digest was fully enqueued). A
/// crash before or between enqueues leaves the week unclaimed and the next call adds only the
/// rows still missing; a second call in the same week adds nothing. Claiming first would lose
/// the week to a crash between claim and enqueue. Once claimed, later calls in the week skip the
/// work (the daemon calls this at every wake). Until then the digest is taken as of its due
/// instant (notes and statuses after it are ignored), so building it again yields the same rows.
/// Only the current week is considered: a week the daemon was down for entirely is superseded by
/// the next week's digest.
///
/// # Errors
/// [`DigestError`] on a store or template failure (rows enqueued before it stay; the next call
/// completes the week).
pub fn enqueue_due_digests(
    store: &mut dyn Store,
    cat: &Catalog,
    cal: &WorkCalendar,
    renderer: &Renderer,
    links: Option<&crate::service::links::LinkSigner>,
    now: Timestamp,
) -> Result<usize, DigestError> {
    let tz = cat.settings.tz.tz().clone();
    let monday = week_monday(now.to_zoned_datetime(tz.clone()).date());
    let week = iso_week_key(monday);
    let mut due = Vec::new();
    for s in &cat.settings.digests {
        if due_instant(s, cal, &tz, monday).is_some_and(|t| t <= now)
            && !store.digest_week_claimed(&s.id, &week)?
        {
            due.push(s);
        }
    }
    if due.is_empty() {
        return Ok(0);
    }
    let plan = plan_for_week(cat, cal, monday);
    let view = load_view(cat, store)?;
    let mut added = 0;
    for spec in due {
        for row in digest_rows(cat, cal, renderer, &view, &plan, spec, monday, now, links)? {
            if store.enqueue(&row, now)? {
                added += 1;
            }
        }
        if store.digest_claim_week(&spec.id, &week)? {
            tracing::info!(digest = %spec.id, %week, "digest enqueued");
        }
    }
    Ok(added)
}
