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
