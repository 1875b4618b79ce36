//! Plain data of the office-declared event windows (issue 14: `dutybell event start/end`), and
//! the rules both adapters apply before writing one, so SQLite and PostgreSQL refuse the same
//! starts and ends with the same words. No SQL here.
//!
//! May touch: nothing (pure data and checks).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::StoreError;

/// One declared window of an event, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclaredWindow {
    /// Row id.
    pub id: i64,
    /// Event id (as in `events:` of the config).
    pub event: String,
    /// First day of the window.
    pub start: Date,
    /// Last day of the window; `None` while it is open.
    pub end: Option<Date>,
    /// Who started it (the operator's name or `cli`).
    pub started_by: String,
    /// When the start was recorded.
    pub started_at: Timestamp,
    /// Who ended it.
    pub ended_by: Option<String>,
    /// When the end was recorded.
    pub ended_at: Option<Timestamp>,
}

impl DeclaredWindow {
    /// True while the window has no last day.
    pub fn is_open(&self) -> bool {
        self.end.is_none()
    }
}

/// May a window of `event` open on `on`, given the event's stored windows? Refused while one is
/// open, and when `on` is not after the last day of every earlier window (windows never overlap,
/// so a day belongs to at most one).
///
/// # Errors
/// [`StoreError::EventState`].
pub(crate) fn check_start(
    event: &str,
    on: Date,
    windows: &[DeclaredWindow],
) -> Result<(), StoreError> {
    if let Some(open) = windows.iter().find(|w| w.is_open()) {
        return Err(StoreError::EventState(format!(
            "event {event} is already under way since {}; end it first (dutybell event end {event})",
            open.start
        )));
    }
    if let Some(last) = windows.iter().filter_map(|w| w.end).max()
        && on <= last
    {
        return Err(StoreError::EventState(format!(
            "event {event} cannot start on {on}: an earlier window ran until {last}"
        )));
    }
    Ok(())
}

/// The open window of `event` that may close on `on`.
///
/// # Errors
/// [`StoreError::EventState`] when none is open or `on` is before its first day.
pub(crate) fn check_end(
    event: &str,
    on: Date,
    windows: &[DeclaredWindow],
) -> Result<i64, StoreError> {
    let Some(open) = windows.iter().find(|w| w.is_open()) else {
        return Err(StoreError::EventState(format!(
            "event {event} is not under way; nothing to end"
        )));
    };
    if on < open.start {
        return Err(StoreError::EventState(format!(
            "event {event} started on {}; it cannot end on {on}, before it started",
            open.start
        )));
    }
    Ok(open.id)
}
