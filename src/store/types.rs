//! Plain data crossing the store boundary: the states, what the planner hands in, what the
//! dispatcher and the CLI read back. No SQL here beyond the text names of the states.
//!
//! May touch: nothing (pure data and conversions).

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::notify::{Colour, MessageKind, Notification};

use super::StoreError;

/// Declares a text-backed state enum with `as_str`, `parse`, `ALL` and `Display`.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant,)+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &[$name] = &[$($name::$variant,)+];

            /// The text stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// Parses the stored text.
            ///
            /// # Errors
            /// [`StoreError::Corrupt`] for unknown text.
            pub fn parse(text: &str) -> Result<Self, StoreError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::Corrupt(format!(
                        concat!(stringify!($name), " {:?}"), other
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// Where an outbox row is in its life.
    OutboxState {
        /// Waiting for `fire_at`.
        Pending = "pending",
        /// Claimed by the dispatcher; a send is in flight.
        Sending = "sending",
        /// Delivered (final).
        Sent = "sent",
        /// A transient failure; due again at `next_attempt_at`.
        Retry = "retry",
        /// Gave up; the operator is alerted and may `retry_now`.
        Dead = "dead",
        /// Removed from the plan or completed before it fired (final).
        Cancelled = "cancelled",
        /// Deliberately not sent, e.g. already past due when an edit created it (final).
        Skipped = "skipped",
    }
}

text_enum! {
    /// The status of one occurrence of a task.
    OccurrenceStatus {
        /// Not finished.
        Open = "open",
        /// Reported done (progress with `done`).
        Done = "done",
        /// Not applicable this period.
        Skipped = "skipped",
        /// Withdrawn.
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// Where a progress note came from.
    ProgressSource {
        /// `dutybell progress` / `dutybell done`.
        Cli = "cli",
        /// A CSV import.
        Csv = "csv",
        /// The unit's page (a signed link).
        Web = "web",
    }
}

text_enum! {
    /// The result of one delivery attempt (a `deliveries` row).
    DeliveryOutcome {
        /// Delivered.
        Sent = "sent",
        /// Transient failure, or an interrupted send recovered at start-up.
        Retry = "retry",
        /// Given up.
        Dead = "dead",
        /// Not sent on purpose.
        Skipped = "skipped",
    }
}

/// What the planner computed for the horizon; [`super::Store::sync_plan`] reconciles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSet {
    /// Hash of the configuration the plan came from; a new hash records a new plan version.
    pub version_hash: String,
    /// Start of the planned range: pending rows absent from the set are cancelled only from here
    /// (or from `now`, whichever is later). `None`: from `now` (a full plan). An incremental sync,
    /// which plans only the days the window moved onto, sets it to the first new day.
    pub horizon_start: Option<Timestamp>,
    /// End of the planned horizon: pending rows absent from the set are cancelled only up to here.
    pub horizon_end: Timestamp,
    /// Occurrences in the horizon.
    pub occurrences: Vec<NewOccurrence>,
    /// Reminders in the horizon.
    pub reminders: Vec<NewReminder>,
}

/// One occurrence as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOccurrence {
    /// Stable key, e.g. `4.2@2027-spring`.
    pub key: String,
    /// Task id, e.g. `4.2`.
    pub task_id: String,
    /// Which rule of the task produced it.
    pub rule_index: u32,
    /// Human label of the period, e.g. `2027年春季`.
    pub period_label: String,
    /// First day of the window.
    pub window_start: Date,
    /// Last day of the window.
    pub window_end: Date,
    /// Due date, if the task has one.
    pub due_date: Option<Date>,
    /// Colour at plan time.
    pub colour: Colour,
}

/// One reminder as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReminder {
    /// Reminder identity `task|occurrence|stage|recipient|channel` (UNIQUE in the outbox).
    pub dedupe_key: String,
    /// The occurrence it is about.
    pub occurrence_key: String,
    /// Task id.
    pub task_id: String,
    /// Stage, e.g. `lead-7d`, `due`, `overdue-1`.
    pub stage: String,
    /// Message kind.
    pub kind: MessageKind,
    /// Recipient (unit or group id).
    pub recipient: String,
    /// Channel id.
    pub channel: String,
    /// When to send.
    pub fire_at: Timestamp,
    /// The rendered [`Notification`] as JSON for rows rendered at enqueue (digests, operator
    /// alerts, test messages); `None` for plan reminders, which are rendered when claimed for
    /// sending, from their identity and the templates in force then.
    pub message: Option<String>,
}

/// What [`super::Store::sync_plan`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// New reminders inserted as pending.
    pub added: usize,
    /// New reminders inserted as skipped (past due, or their occurrence is closed), plus pending
    /// rows that an edit moved into the past.
    pub skipped: usize,
    /// Pending/retry rows cancelled because the plan no longer contains them.
    pub cancelled: usize,
    /// Pending rows whose time or message changed, and cancelled rows brought back.
    pub updated: usize,
    /// Reminders already stored as given.
    pub unchanged: usize,
    /// New occurrences.
    pub occurrences_added: usize,
    /// Occurrences whose window, due date or colour changed.
    pub occurrences_updated: usize,
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxItem {
    /// Row id.
    pub id: i64,
    /// Reminder identity.
    pub dedupe_key: String,
    /// Occurrence key.
    pub occurrence_key: String,
    /// Task id.
    pub task_id: String,
    /// Stage.
    pub stage: String,
    /// Message kind.
    pub kind: MessageKind,
    /// Recipient.
    pub recipient: String,
    /// Channel id.
    pub channel: String,
    /// Planned send time.
    pub fire_at: Timestamp,
    /// State.
    pub state: OutboxState,
    /// Attempts so far (incremented at claim).
    pub attempts: u32,
    /// When the row is next due (equals `fire_at` until a retry).
    pub next_attempt_at: Timestamp,
    /// Last error or skip/cancel reason.
    pub last_error: Option<String>,
    /// Rendered notification (JSON snapshot): set at enqueue for digests and alerts, frozen at
    /// send time for plan reminders (which are rendered then); empty until then.
    pub message: String,
    /// Claimed more than [`super::LATE_AFTER`] after `fire_at` (e.g. the daemon was down).
    pub late: bool,
    /// Plan version that last wrote the row.
    pub plan_version: Option<i64>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
    /// When it was sent.
    pub sent_at: Option<Timestamp>,
    /// The process holding the row while it is `sending`.
    pub lease_owner: Option<String>,
    /// When that lease expires.
    pub lease_until: Option<Timestamp>,
}

#[cfg(test)]
impl OutboxItem {
    /// A pending overdue reminder of task 4.2 to `catering` by `file`, fired at the epoch: the
    /// one row unit tests start from (they change the fields they are about).
    pub(crate) fn sample(id: i64) -> OutboxItem {
        let t = Timestamp::UNIX_EPOCH;
        OutboxItem {
            id,
            dedupe_key: format!("k{id}"),
            occurrence_key: format!("o{id}"),
            task_id: "4.2".into(),
            stage: format!("s{id}"),
            kind: MessageKind::Overdue,
            recipient: "catering".into(),
            channel: "file".into(),
            fire_at: t,
            state: OutboxState::Pending,
            attempts: 0,
            next_attempt_at: t,
            last_error: None,
            message: String::new(),
            late: false,
            plan_version: None,
            created_at: t,
            updated_at: t,
            sent_at: None,
            lease_owner: None,
            lease_until: None,
        }
    }
}

impl OutboxItem {
    /// True when the row carries no message and must be rendered from its identity at send time.
    pub fn needs_render(&self) -> bool {
        self.message.is_empty()
    }

    /// Decodes the message snapshot.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the JSON is not a [`Notification`].
    pub fn notification(&self) -> Result<Notification, StoreError> {
        serde_json::from_str(&self.message)
            .map_err(|e| StoreError::Corrupt(format!("outbox {} message: {e}", self.id)))
    }
}

/// The outcome of one claimed row, as the lease holder records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Delivered.
    Sent {
        /// Outbox row id.
        id: i64,
        /// The vendor's answer.
        detail: String,
        /// The rendered notification (JSON) that went out, frozen for audit when the row had none.
        /// Shared: every row of a grouped message records the same text, and a morning's group
        /// of thirty rows held thirty copies of a ~50 KB message until it was recorded.
        message: Option<Arc<str>>,
    },
    /// A transient failure; due again at `next_at`.
    Retry {
        /// Outbox row id.
        id: i64,
        /// Next attempt.
        next_at: Timestamp,
        /// What went wrong.
        error: String,
    },
    /// Given up.
    Dead {
        /// Outbox row id.
        id: i64,
        /// Why.
        error: String,
    },
    /// Not attempted (its channel is paused by a rate limit); due again at `next_at`. Like
    /// `Retry`, but the claim's attempt is given back: nothing reached the vendor.
    Deferred {
        /// Outbox row id.
        id: i64,
        /// When the pause ends.
        next_at: Timestamp,
        /// Why.
        reason: String,
    },
    /// Deliberately not sent (no longer in the plan, channel gone).
    Skipped {
        /// Outbox row id.
        id: i64,
        /// Why.
        reason: String,
    },
}

impl Recorded {
    /// The outbox row id.
    pub fn id(&self) -> i64 {
        match self {
            Recorded::Sent { id, .. }
            | Recorded::Retry { id, .. }
            | Recorded::Deferred { id, .. }
            | Recorded::Dead { id, .. }
            | Recorded::Skipped { id, .. } => *id,
        }
    }
}

/// One stored occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// Key.
    pub key: String,
    /// Task id.
    pub task_id: String,
    /// Rule index.
    pub rule_index: u32,
    /// Period label.
    pub period_label: String,
    /// Window start.
    pub window_start: Date,
    /// Window end.
    pub window_end: Date,
    /// Due date.
    pub due_date: Option<Date>,
    /// Status.
    pub status: OccurrenceStatus,
    /// Colour.
    pub colour: Colour,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Which occurrences [`super::Store::occurrences`] returns; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OccurrenceFilter {
    /// Only this task.
    pub task_id: Option<String>,
    /// Only this status.
    pub status: Option<OccurrenceStatus>,
    /// Only occurrences whose window starts on or before this day (what is under way).
    pub started_by: Option<Date>,
}

/// A progress note to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProgress {
    /// Task id.
    pub task_id: String,
    /// Occurrence the note is about (required when `done`).
    pub occurrence_key: Option<String>,
    /// The note (zh-CN).
    pub note: String,
    /// Who reported it.
    pub by_name: String,
    /// Marks the occurrence done and cancels its remaining reminders.
    pub done: bool,
    /// Where it came from.
    pub source: ProgressSource,
}

/// A stored progress note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgressNote {
    /// Row id.
    pub id: i64,
    /// Task id.
    pub task_id: String,
    /// Occurrence key.
    pub occurrence_key: Option<String>,
    /// Note.
    pub note: String,
    /// Reporter.
    pub by_name: String,
    /// When recorded.
    pub at: Timestamp,
    /// Whether it completed the occurrence.
    pub done: bool,
    /// Source.
    pub source: ProgressSource,
}

/// Unix seconds to a timestamp, for row decoding.
pub(crate) fn ts(secs: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_second(secs).map_err(|e| StoreError::Corrupt(format!("time {secs}: {e}")))
}

/// ISO text to a civil date, for row decoding.
pub(crate) fn date(text: &str) -> Result<Date, StoreError> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("date {text:?}: {e}")))
}

/// A serde unit-variant name (`MessageKind`, `Colour`) as stored text.
pub(crate) fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        // Unit variants always serialise to strings; anything else is a programming error that
        // still round-trips through `enum_parse` as a Corrupt error rather than a panic.
        other => format!("{other:?}"),
    }
}

/// Stored text back to a serde unit-variant enum.
pub(crate) fn enum_parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("enum value {text:?}")))
}

/// How many rows each list in a [`StatusReport`] holds at most.
pub const STATUS_LIST_LIMIT: usize = 10;

/// One delivery attempt, with enough of its outbox row to read on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    /// Outbox row id.
    pub outbox_id: i64,
    /// Task id.
    pub task_id: String,
    /// Stage.
    pub stage: String,
    /// Channel id.
    pub channel: String,
    /// Attempt number (1-based; a deferral records the attempts made so far, 0 before the first).
    pub attempt: u32,
    /// When it was recorded.
    pub at: Timestamp,
    /// Outcome.
    pub outcome: DeliveryOutcome,
    /// Vendor answer or error (no secrets).
    pub detail: String,
}

/// A snapshot of the outbox for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// Row count per state, every state listed (zero included), in [`OutboxState::ALL`] order.
    pub counts: Vec<(OutboxState, u64)>,
    /// Pending/retry rows already due at `now` (a backlog if this stays above zero).
    pub due_now: u64,
    /// When the next row becomes due.
    pub next_wakeup: Option<Timestamp>,
    /// The next pending/retry rows, soonest first.
    pub next_pending: Vec<OutboxItem>,
    /// The latest `retry`/`dead` delivery attempts, newest first.
    pub recent_failures: Vec<DeliveryRecord>,
    /// Dead rows, most recently changed first (each needs an operator decision).
    pub dead: Vec<OutboxItem>,
}

impl StatusReport {
    /// The count for one state.
    pub fn count(&self, state: OutboxState) -> u64 {
        self.counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    }
}
