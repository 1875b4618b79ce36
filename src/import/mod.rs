//! `dutybell import`: a plan document (Word .docx/.doc, Excel .xlsx) to a checked YAML draft.
//!
//! Pipeline: a reader ([`read`]: docx, xlsx, doc through LibreOffice) turns the file into a
//! [`source::SourceDoc`] (grids of located cell texts); the structure pass ([`structure`])
//! recognises the header by meaning ([`header`], [`markers`]) and groups rows into areas and
//! tasks ([`source::SourcePlan`]); the draft writer matches units, reads deadline phrases with a closed
//! grammar and writes the draft directory and its report; [`diff`] compares two plans
//! (`dutybell plan-diff`). See docs/IMPORT.md.

pub mod diff;
pub mod diff_chars;
pub mod diff_view;
mod doc;
mod docx;
mod docx_body;
mod docx_numbering;
mod docx_numfmt;
mod docx_xml;
pub mod draft;
pub mod draft_check;
pub mod draft_config;
pub mod draft_plan;
pub mod draft_yaml;
pub mod header;
pub mod markers;
pub mod phrase;
pub mod phrase_parse;
pub mod read;
pub mod report;
pub mod report_md;
pub mod source;
pub mod structure;
mod structure_rows;
pub mod units;
mod xlsx;
