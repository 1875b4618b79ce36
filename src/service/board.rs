//! The leaders' board (督办看板) and an item's history: what the web shows, computed here so the
//! pages hold no rules.
//!
//! A cell is one task; its state is that of the task's current occurrence: the most urgent open
//! one under way (window started), else the latest one closed in the last 30 days (已办结), else
//! nothing under way (未开始). A pending 办结 shows as 待审核 whatever the colour.
//!
//! May touch: the store through the trait. `today` is a parameter.

use jiff::civil::Date;
use serde::Serialize;

use super::desk::colour;
use crate::loader::Loaded;
use crate::notify::Colour;
use crate::store::{
    DeliveryRecord, Occurrence, OccurrenceFilter, OccurrenceStatus, OutboxItem, ProgressNote,
    Request, RequestFilter, RequestKind, RequestState, Store, StoreError,
};

/// What the board is filtered by (`None` shows all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardFilter {
    /// Tasks this unit leads or cooperates on.
    pub unit: Option<String>,
    /// One area.
    pub area: Option<u32>,
    /// One state: `red`, `yellow`, `blue`, `done`, `held`, `idle`.
    pub state: Option<String>,
}

/// One task on the board.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Task id.
    pub task_id: String,
    /// Short title.
    pub title: String,
    /// Lead unit names.
    pub lead: String,
    /// `red`, `yellow`, `blue`, `done`, `held` (办结 awaiting review) or `idle`.
    pub state: String,
    /// The occurrence shown (its history opens from the cell).
    pub occurrence: Option<String>,
    /// Its period label.
    pub period: String,
    /// Its due date.
    pub due: Option<Date>,
}

/// One area row.
#[derive(Debug, Clone, Serialize)]
pub struct AreaRow {
    /// Area number.
    pub number: u32,
    /// Area title.
    pub title: String,
    /// Its tasks.
    pub cells: Vec<Cell>,
}

/// The board.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// Areas with at least one cell after filtering.
    pub areas: Vec<AreaRow>,
    /// Cells per state, over the filtered board: (state, count).
    pub counts: Vec<(String, usize)>,
    /// Pending requests (all, unfiltered).
    pub pending_requests: usize,
}

/// The board state names, in legend order.
pub const STATES: [&str; 6] = ["red", "yellow", "blue", "held", "done", "idle"];

fn state_of(l: &Loaded, o: &Occurrence, held: bool, today: Date) -> &'static str {
    if o.status != OccurrenceStatus::Open {
        return "done";
    }
    if held {
        return "held";
    }
    match colour(l, o, today) {
        Colour::Red => "red",
        Colour::Yellow => "yellow",
        Colour::Blue => "blue",
    }
}

/// The board on `today`.
///
/// # Errors
/// A store error.
pub fn board(
    store: &dyn Store,
    l: &Loaded,
    f: &BoardFilter,
    today: Date,
) -> Result<Board, StoreError> {
    let cat = &l.catalog;
    let since = today.saturating_sub(jiff::Span::new().days(30));
    let occs = store.occurrences(&OccurrenceFilter {
        started_by: Some(today),
        ..OccurrenceFilter::default()
    })?;
    let pending = store.requests(&RequestFilter {
        state: Some(RequestState::Pending),
        ..RequestFilter::default()
    })?;
    let held = |k: &str| {
        pending
            .iter()
            .any(|r| r.occurrence_key == k && r.kind == RequestKind::Done)
    };
    let tz = cat.settings.tz.tz().clone();
    let mut areas: Vec<AreaRow> = Vec::new();
    let mut counts: Vec<(String, usize)> = STATES.iter().map(|s| ((*s).to_owned(), 0)).collect();
    for task in &cat.tasks {
        if f.area.is_some_and(|a| a != task.area)
            || f.unit
                .as_ref()
                .is_some_and(|u| cat.role_of(task, u).is_none())
        {
            continue;
        }
        let mine = occs.iter().filter(|o| o.task_id == task.id);
        let open = mine
            .clone()
            .filter(|o| o.status == OccurrenceStatus::Open)
            .max_by_key(|o| {
                let s = state_of(l, o, held(&o.key), today);
                let rank = STATES.len() - STATES.iter().position(|x| *x == s).unwrap_or(0);
                (rank, std::cmp::Reverse(o.due_date))
            });
        let closed = mine
            .filter(|o| o.status == OccurrenceStatus::Done)
            .filter(|o| o.updated_at.to_zoned_datetime(tz.clone()).date() >= since)
            .max_by_key(|o| o.updated_at);
        let current = open.or(closed);
        let state = current.map_or("idle", |o| state_of(l, o, held(&o.key), today));
        if f.state.as_deref().is_some_and(|s| s != state) {
            continue;
        }
        if let Some(c) = counts.iter_mut().find(|(s, _)| s == state) {
            c.1 += 1;
        }
        let cell = Cell {
            task_id: task.id.clone(),
            title: crate::render::context::short_title(task, None),
            lead: cat
                .lead_units(task)
                .iter()
                .map(|u| cat.name_of(u))
                .collect::<Vec<_>>()
                .join("、"),
            state: state.to_owned(),
            occurrence: current.map(|o| o.key.clone()),
            period: current.map(|o| o.period_label.clone()).unwrap_or_default(),
            due: current.and_then(|o| o.due_date),
        };
        match areas.iter_mut().find(|a| a.number == task.area) {
            Some(a) => a.cells.push(cell),
            None => areas.push(AreaRow {
                number: task.area,
                title: cat.area_title(task.area).to_owned(),
                cells: vec![cell],
            }),
        }
    }
    Ok(Board {
        areas,
        counts,
        pending_requests: pending.len(),
    })
}

/// Everything that happened to one occurrence.
#[derive(Debug, Clone)]
pub struct History {
    /// The occurrence.
    pub occurrence: Occurrence,
    /// Its board state today.
    pub state: String,
    /// The task's notes about this occurrence (and those naming no occurrence), oldest first.
    pub notes: Vec<ProgressNote>,
    /// Requests on it, newest first.
    pub requests: Vec<Request>,
    /// Its outbox rows with their delivery attempts.
    pub deliveries: Vec<(OutboxItem, Vec<DeliveryRecord>)>,
}

/// The history of occurrence `key`, `None` when it is unknown.
///
/// # Errors
/// A store error.
pub fn history(
    store: &dyn Store,
    l: &Loaded,
    key: &str,
    today: Date,
) -> Result<Option<History>, StoreError> {
    let Some(occ) = store.occurrence(key)? else {
        return Ok(None);
    };
    let requests = store.requests(&RequestFilter {
        occurrence_key: Some(key.to_owned()),
        ..RequestFilter::default()
    })?;
    let held = requests
        .iter()
        .any(|r| r.state == RequestState::Pending && r.kind == RequestKind::Done);
    let notes = store
        .progress_for_task(&occ.task_id)?
        .into_iter()
        .filter(|n| n.occurrence_key.as_deref().is_none_or(|k| k == key))
        .collect();
    let mut deliveries = Vec::new();
    for item in store.outbox_for_occurrence(key)? {
        let d = store.deliveries(item.id)?;
        deliveries.push((item, d));
    }
    Ok(Some(History {
        state: state_of(l, &occ, held, today).to_owned(),
        occurrence: occ,
        notes,
        requests,
        deliveries,
    }))
}
