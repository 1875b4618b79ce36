//! Scheduling: from the catalog and the working-day calendar, every occurrence of every duty in a
//! date range and every reminder for it (when, to whom, over which channel, which stage, why).
//!
//! Pure: no clock, no I/O. `plan` takes the range; callers decide what "now" is.

mod types;

pub use types::*;
