//! Types every layer shares: the plan's resolved time zone, recipients, typed ids, shared strings.
//!
//! May touch: nothing (pure data). No dependencies on any other module of the crate except for
//! plain re-exports, so every layer may use it.

mod cron;
mod recipient;
mod shared;
mod zone;

pub use cron::CronExpr;
pub use recipient::{HEAD_SUFFIX, Recipient};
pub use shared::SharedStr;
pub use zone::Zone;

/// How long past its instant a reminder is still "just due" rather than missed: the downtime
/// catch-up leaves such a row alone (a busy minute is not downtime), and a plan sync inserts a
/// new reminder that fell due this recently as pending, not as past (so a daemon started, or a
/// task added, at 09:00:05 still sends the 09:00 reminder).
pub const JUST_DUE: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);
