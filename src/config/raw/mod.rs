//! Raw config structs: the YAML schema exactly as written (see `docs/CONFIG.md`).
//!
//! Types only: every struct denies unknown keys; values that later need a located message are
//! [`Located`]. Meaning (references, dates, rules) is checked by `catalog`. One file per part of
//! the config: `settings` (with `web:`), `units` (units, groups, channels), `plan` (the
//! plan files).

use super::de::Located;

mod plan;
mod settings;
mod units;

pub use plan::*;
pub use settings::*;
pub use units::*;

/// A located string.
pub type LStr = Located<String>;
