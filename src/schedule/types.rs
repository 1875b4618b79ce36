//! The schedule's output types: [`Occurrence`], [`Reminder`], [`Plan`].
//!
//! These are the contract between `schedule` (which computes them) and the daemon, `dutybell
//! plan`, digests and exports (which consume them). Plain data; serialisable for `--json`.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::model::SharedStr;
use crate::notify::{Colour, MessageKind};

/// What an occurrence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OccurrenceKind {
    /// Something to be done by a date (once, yearly, every N years, periodic rules).
    Deadline,
    /// A window with an opening and a closing date (专项整治 around term start, publicity week).
    Campaign,
    /// The periodic progress check-in of an ongoing (长期坚持) task.
    Checkin,
}

/// One instance of a duty: a task in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// Stable key, unique across the plan and stable across runs and edits that do not change the
    /// period: `{task}@{period}`, e.g. `4.2@2027-spring_term_start`, `2.2@2027-W05`,
    /// `1.1@2027-Q1-checkin`, `10.2@2025-2026`.
    pub key: String,
    /// Task id.
    pub task_id: String,
    /// Index of the rule in the task's `rules`, `None` for a check-in.
    pub rule_index: Option<usize>,
    /// Kind.
    pub kind: OccurrenceKind,
    /// Chinese label of the period for people, e.g. `2027年春季开学`, `2027年第1季度`.
    pub period_label: String,
    /// First day of the window (campaigns) or of the period.
    pub window_start: Date,
    /// Last day of the window or period.
    pub window_end: Date,
    /// The due date (for a campaign, its closing day), after any working-day shift.
    pub due: Date,
    /// Why the dates are what they are, in English for `dutybell plan` (e.g. "moved from Sat
    /// 2026-10-03, 国庆节, to Wed 2026-09-30"; "spring_term_start 2027-03-01 is the default date;
    /// enter the real one in events").
    pub why: Vec<String>,
}

/// One reminder: the unit of delivery before rendering.
///
/// Its strings are shared ([`SharedStr`]): the reminders of one occurrence share its key, those
/// of one stage its name and reason, and every reminder to a unit shares the unit's id and
/// channel ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    /// The occurrence it is about.
    pub occurrence_key: SharedStr,
    /// Task id.
    pub task_id: SharedStr,
    /// Stable stage name: `open` (campaign opens), `lead-14d`, `lead-3wd`, `due`, `overdue-1`,
    /// `overdue-2`, …, `escalate-1`, …, `checkin`.
    pub stage: SharedStr,
    /// Message kind (chooses the template).
    pub kind: MessageKind,
    /// Colour state at this stage.
    pub colour: Colour,
    /// Local date it fires on.
    pub date: Date,
    /// Instant it fires (the ladder's time of day on `date` in the plan's time zone).
    pub at: Timestamp,
    /// Recipient: a unit id, or `{unit}#head` for a unit head added on escalation.
    pub recipient: SharedStr,
    /// True when the recipient is a cooperating (配合) unit, so the text is marked supporting.
    pub supporting: bool,
    /// Channel id the reminder goes out on (already routed: a disabled channel is replaced by the
    /// fallback channel).
    pub channel: SharedStr,
    /// Why this reminder fires then, in English, e.g. "3 working days before 2027-03-01
    /// (spring_term_start)".
    pub why: SharedStr,
}

impl Reminder {
    /// The reminder identity `task|occurrence|stage|recipient|channel`: the outbox's UNIQUE key.
    /// Planning twice yields the same keys.
    pub fn dedupe_key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.task_id, self.occurrence_key, self.stage, self.recipient, self.channel
        )
    }
}

/// Everything planned for a date range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Occurrences whose window or reminders touch the range, ordered by due date then key.
    pub occurrences: Vec<Occurrence>,
    /// Reminders firing in the range, ordered by `at`, then dedupe key.
    pub reminders: Vec<Reminder>,
    /// Warnings (years without calendar data, events falling back to their default date).
    pub warnings: Vec<String>,
}
