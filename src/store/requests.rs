//! Plain data of the web loop crossing the store boundary: a unit's requests (申请办结, 申请延期),
//! the office's decisions and the audit log. No SQL here.
//!
//! May touch: nothing (pure data).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::{NewReminder, StoreError};

text_enum! {
    /// What a unit asks the office for.
    RequestKind {
        /// 申请办结: the occurrence is finished; its reminders are held until the office decides.
        Done = "done",
        /// 申请延期: move the due date.
        Extend = "extend",
    }
}

text_enum! {
    /// Where a request is.
    RequestState {
        /// Waiting for the office.
        Pending = "pending",
        /// 办结 confirmed: the occurrence is done.
        Confirmed = "confirmed",
        /// Refused (退办, or 延期 not granted).
        Refused = "refused",
        /// 延期 granted: the due date moved.
        Granted = "granted",
    }
}

/// A request as the unit files it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// Kind.
    pub kind: RequestKind,
    /// Task id.
    pub task_id: String,
    /// The occurrence it is about.
    pub occurrence_key: String,
    /// The unit filing it.
    pub unit: String,
    /// The unit's note (办结说明 or 延期理由).
    pub note: String,
    /// The date asked for (延期 only).
    pub new_due: Option<Date>,
    /// Who filed it (as shown on the page).
    pub by_name: String,
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Row id.
    pub id: i64,
    /// Kind.
    pub kind: RequestKind,
    /// Task id.
    pub task_id: String,
    /// Occurrence key.
    pub occurrence_key: String,
    /// Unit.
    pub unit: String,
    /// The unit's note.
    pub note: String,
    /// The date asked for (延期).
    pub new_due: Option<Date>,
    /// State.
    pub state: RequestState,
    /// Who filed it.
    pub by_name: String,
    /// When it was filed.
    pub created_at: Timestamp,
    /// When the office decided.
    pub decided_at: Option<Timestamp>,
    /// Which office user decided.
    pub decided_by: Option<String>,
    /// The office's reason (退办 reason).
    pub decision_note: Option<String>,
}

/// Which requests [`super::Store::requests`] returns; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only this state.
    pub state: Option<RequestState>,
    /// Only this occurrence.
    pub occurrence_key: Option<String>,
    /// Only this unit.
    pub unit: Option<String>,
}

/// What a decision does besides changing the request's state (chosen by the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionEffect {
    /// Nothing else (a refused 延期).
    Nothing,
    /// The occurrence is done: status `done`, its pending/retry reminders cancelled.
    CloseOccurrence,
    /// The hold ends (退办): reminders cancelled by the hold that are still in the future
    /// become pending again.
    Release,
    /// The occurrence's due date becomes this date (a due override the planner honours).
    MoveDue(Date),
}

/// One office decision, applied atomically with its audit line and optional message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDecision {
    /// The request.
    pub id: i64,
    /// Its new state.
    pub state: RequestState,
    /// The office user.
    pub by: String,
    /// The reason given (退办).
    pub note: Option<String>,
    /// The side effect.
    pub effect: DecisionEffect,
    /// The audit line.
    pub audit: NewAudit,
    /// Messages to the unit (e.g. the 退办 reason, one per channel), enqueued in the same
    /// transaction.
    pub messages: Vec<NewReminder>,
}

/// An audit line to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    /// Who (office user name, or `unit:ID` for a link holder).
    pub actor: String,
    /// From which address (as seen by the server, or the proxy's `X-Forwarded-For`).
    pub address: String,
    /// What, e.g. `request.confirm`.
    pub action: String,
    /// On what, e.g. `request 12 (4.2@2026-W41)`.
    pub subject: String,
    /// State before.
    pub before: String,
    /// State after.
    pub after: String,
}

/// A stored audit line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Row id.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// From where.
    pub address: String,
    /// What.
    pub action: String,
    /// On what.
    pub subject: String,
    /// Before.
    pub before: String,
    /// After.
    pub after: String,
}

/// Why the reminders of an occurrence were cancelled by a pending 办结 request (the marker
/// [`DecisionEffect::Release`] looks for).
pub const HOLD_REASON: &str = "held: 办结 awaiting office review";
