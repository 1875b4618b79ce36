//! `dutybell import`: a plan document (Word .docx/.doc, Excel .xlsx) to a checked YAML draft.
//!
//! Pipeline: a reader turns the file into a [`source::SourceDoc`] (grids of located cell texts);
//! the structure pass recognises the header by meaning and groups rows into areas and tasks
//! ([`source::SourcePlan`]); the draft writer matches units, reads deadline phrases with a closed
//! grammar and writes the draft directory and its report; [`diff`] compares two plans
//! (`dutybell plan-diff`). See docs/IMPORT.md.

pub mod diff;
pub mod diff_chars;
pub mod diff_view;
pub mod draft;
pub mod draft_check;
pub mod draft_config;
pub mod draft_plan;
pub mod draft_yaml;
pub mod phrase;
pub mod phrase_parse;
pub mod report;
pub mod report_md;
pub mod source;
pub mod units;
