//! `dutybell import`: a plan document (Word .docx/.doc, Excel .xlsx) to a checked YAML draft.
//!
//! Pipeline: a reader turns the file into a [`source::SourceDoc`] (grids of located cell texts);
//! the structure pass recognises the header by meaning and groups rows into areas and tasks
//! ([`source::SourcePlan`]); the draft writer matches units, reads deadline phrases with a closed
//! grammar and writes the draft directory and its report. See docs/IMPORT.md.

mod doc;
mod docx;
mod docx_body;
mod docx_numbering;
mod docx_numfmt;
mod docx_xml;
pub mod header;
pub mod markers;
pub mod read;
pub mod source;
pub mod structure;
mod structure_rows;
mod xlsx;
