//! Office-declared events (issue 14): `dutybell event start/end/list`, and the run-time facts a
//! plan depends on (granted 延期, steps reported done, declared event windows), read from the
//! store in one place so the sync, the daemon's renderer and `dutybell plan` agree.
//!
//! May touch: the store through the [`Store`] trait. `now` is a parameter.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::catalog::{Catalog, NamedEvent};
use crate::loader::Loaded;
use crate::schedule::{EventWindow, PlanFacts};
use crate::store::{DeclaredWindow, RequestFilter, RequestKind, RequestState, Store, StoreError};

/// Why an event command was refused.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The name is not a declared event of the config (bad usage: exit 2).
    #[error("{0}")]
    Unknown(String),
    /// The store refused the start or end (started twice, ended before it started): exit 2.
    #[error("{0}")]
    Refused(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for EventError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::EventState(m) => EventError::Refused(m),
            e => EventError::Store(e),
        }
    }
}

/// The declared event `name` names: its id, its Chinese name, or the id written with hyphens
/// (`flood-response` for `flood_response`, as people type it on a command line).
///
/// # Errors
/// [`EventError::Unknown`] with the declared events to choose from.
pub fn resolve<'a>(cat: &'a Catalog, name: &str) -> Result<&'a NamedEvent, EventError> {
    let wanted = name.trim();
    let snake = wanted.replace('-', "_");
    let declared = || cat.events.values().filter(|e| e.declared);
    if let Some(e) = declared().find(|e| e.id == wanted || e.id == snake || e.name == wanted) {
        return Ok(e);
    }
    let choices: Vec<String> = declared()
        .map(|e| format!("{} ({})", e.id, e.name))
        .collect();
    let dated = cat
        .events
        .values()
        .any(|e| e.id == snake || e.name == wanted);
    Err(EventError::Unknown(if dated {
        format!(
            "event `{wanted}` has dates in the config and is not declared by the office; only \
             events with `declared: true` can be started and ended"
        )
    } else if choices.is_empty() {
        format!(
            "unknown event `{wanted}`: the config declares no events (add one under `events:` \
             with `declared: true`)"
        )
    } else {
        format!(
            "unknown event `{wanted}`; declared events: {}",
            choices.join(", ")
        )
    }))
}

/// Opens a window of the event `name` from `on`; returns the event id.
///
/// # Errors
/// [`EventError`].
pub fn start(
    store: &mut dyn Store,
    cat: &Catalog,
    name: &str,
    on: Date,
    by: &str,
    now: Timestamp,
) -> Result<String, EventError> {
    let ev = resolve(cat, name)?;
    store.start_event(&ev.id, on, by, now)?;
    Ok(ev.id.clone())
}

/// Closes the open window of the event `name` on `on` (its last day); returns the event id.
///
/// # Errors
/// [`EventError`].
pub fn end(
    store: &mut dyn Store,
    cat: &Catalog,
    name: &str,
    on: Date,
    by: &str,
    now: Timestamp,
) -> Result<String, EventError> {
    let ev = resolve(cat, name)?;
    store.end_event(&ev.id, on, by, now)?;
    Ok(ev.id.clone())
}

/// The open windows, for `status` and the board.
///
/// # Errors
/// A store error.
pub fn open_windows(store: &dyn Store) -> Result<Vec<DeclaredWindow>, StoreError> {
    Ok(store
        .event_windows()?
        .into_iter()
        .filter(DeclaredWindow::is_open)
        .collect())
}

/// Every run-time fact the plan of `l` depends on, as the store holds them now.
///
/// Steps reported done are read only for tasks with `after:` rules: a note marked done
/// (`progress --done`, the CSV import, a unit's web report) dates the report; an office
/// confirmation of 办结 dates it by the day the unit asked (the report), not the day the office
/// got round to it. The first report of an occurrence wins.
///
/// # Errors
/// A store error.
pub fn facts(store: &dyn Store, l: &Loaded) -> Result<PlanFacts, StoreError> {
    let tz = l.catalog.settings.tz.tz().clone();
    let day = |t: Timestamp| t.to_zoned_datetime(tz.clone()).date();
    let mut f = PlanFacts::with_overrides(store.due_overrides()?.into_iter().collect());
    let mut keep = |key: &str, d: Date| {
        let e = f.steps_done.entry(key.to_owned()).or_insert(d);
        *e = (*e).min(d);
    };
    let stepped: Vec<&str> = l
        .catalog
        .tasks
        .iter()
        .filter(|t| t.rules.iter().any(|r| r.name.is_some()))
        .filter(|t| PlanFacts::task_uses_facts(t))
        .map(|t| t.id.as_str())
        .collect();
    if !stepped.is_empty() {
        for id in &stepped {
            for n in store.progress_for_task(id)? {
                if let (true, Some(k)) = (n.done, n.occurrence_key.as_deref()) {
                    keep(k, day(n.at));
                }
            }
        }
        let confirmed = store.requests(&RequestFilter {
            state: Some(RequestState::Confirmed),
            ..RequestFilter::default()
        })?;
        for r in confirmed.iter().filter(|r| r.kind == RequestKind::Done) {
            if stepped.contains(&r.task_id.as_str()) {
                keep(&r.occurrence_key, day(r.created_at));
            }
        }
    }
    let mut windows: BTreeMap<String, Vec<EventWindow>> = BTreeMap::new();
    for w in store.event_windows()? {
        windows.entry(w.event).or_default().push(EventWindow {
            start: w.start,
            end: w.end,
        });
    }
    f.windows = windows;
    Ok(f)
}
