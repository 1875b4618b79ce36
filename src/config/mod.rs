//! Reading configuration: YAML files → located tree → raw structs, with every problem collected.
//!
//! May touch: the files it is asked to read, environment variables and credential files for
//! secret references. The YAML crate is used only in [`yaml`]. Semantic validation (references,
//! dates, rules) belongs to `catalog`.

pub mod de;
pub mod diag;
pub mod tree;
pub mod yaml;

pub use de::Located;
pub use diag::{Diagnostic, Diagnostics, Pos, Severity};
pub mod load;
pub mod prune;
pub mod raw;
pub mod raw_source;
pub mod source;

pub use load::{RawConfig, RawPlan, load};
