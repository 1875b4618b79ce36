//! The importer's entry points: read a plan document whatever its format, and understand it.
//!
//! [`read_document`] looks at the file's first bytes (zip → .docx or .xlsx by the parts inside;
//! OLE2 or RTF → legacy Word through LibreOffice), the extension only as a hint for the error
//! message; [`structure`] finds the header and groups rows (src/import/structure.rs);
//! [`read_plan`] does both. Every failure is a [`ReadError`] naming the file and where in it, and
//! maps to exit code 2. Reading is bounded by [`Limits`]: file size, decompressed bytes, XML
//! depth and table cells, so a hostile file costs bounded memory and time.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::source::{SourceDoc, SourcePlan};

/// Limits applied while reading (file size, decompressed size, XML depth, cells).
///
/// The defaults are far above any real work plan (the seed's 41-task table is a 45 KB .docx
/// with 322 grid cells whose document.xml inflates to 62 KB) and far below what would
/// hurt the machine: reading is bounded by roughly the decompression limit in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes (default 20 MiB).
    pub max_file_bytes: u64,
    /// Most bytes decompressed from a zip package, all parts read together (default 100 MiB).
    pub max_decompressed_bytes: u64,
    /// Deepest XML element nesting accepted (default 256; Word's own tables nest far less).
    pub max_xml_depth: usize,
    /// Most table cells (grid slots) in the whole document (default 200 000).
    pub max_cells: usize,
    /// Longest a LibreOffice conversion of a .doc may run, in seconds (default 120).
    pub convert_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 20 * 1024 * 1024,
            max_decompressed_bytes: 100 * 1024 * 1024,
            max_xml_depth: 256,
            max_cells: 200_000,
            convert_timeout_secs: 120,
        }
    }
}

/// Why a document could not be read. Every message names the file; the CLI exits 2 on each.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is larger than [`Limits::max_file_bytes`].
    #[error("{}: the file is {size} bytes, more than the {limit}-byte limit for a plan document", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Neither a zip package, an OLE2 (.doc) nor an RTF file.
    #[error("{}: not a Word or Excel document (expected .docx, .xlsx or .doc; {found}): save it from Word, WPS or Excel as .docx or .xlsx", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// What the first bytes look like.
        found: String,
    },
    /// A zip package that cannot be opened, or a member that cannot be decompressed.
    #[error("{}: broken zip package{}: {detail}", path.display(), member_suffix(member))]
    BadZip {
        /// The file.
        path: PathBuf,
        /// The member, when one member failed.
        member: Option<String>,
        /// What the zip library said.
        detail: String,
    },
    /// A required part is missing from the package (word/document.xml for Word).
    #[error("{}: the package has no {member}: {hint}", path.display())]
    MissingPart {
        /// The file.
        path: PathBuf,
        /// The part that should be there.
        member: String,
        /// What the file probably is instead.
        hint: String,
    },
    /// Decompressing the package would exceed [`Limits::max_decompressed_bytes`] (a zip bomb).
    #[error("{}: {member} decompresses to more than the {limit}-byte limit: refusing a possible zip bomb", path.display())]
    DecompressedTooLarge {
        /// The file.
        path: PathBuf,
        /// The member being read when the limit was reached.
        member: String,
        /// The limit.
        limit: u64,
    },
    /// Malformed XML in a package part.
    #[error("{}: {member}:{line}:{column}: {detail}", path.display())]
    Xml {
        /// The file.
        path: PathBuf,
        /// The zip member.
        member: String,
        /// 1-based line in the member.
        line: usize,
        /// 1-based column (characters) in that line.
        column: usize,
        /// What is wrong.
        detail: String,
    },
    /// Too many table cells for [`Limits::max_cells`].
    #[error("{}: more than {limit} table cells: not a work plan, or a damaged file", path.display())]
    TooManyCells {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// The document has no table at all.
    #[error("{}: no table found: the importer reads the plan from a Word or Excel table (重点工作落实清单)", path.display())]
    NoTables {
        /// The file.
        path: PathBuf,
    },
    /// No table has a header row the importer recognises.
    #[error("{}: no table has a recognisable header row in its first 10 rows (looked for 序号, 重点工作/工作任务, 具体措施, 责任单位, 完成时限…); first row of table 1: {first_row}", path.display())]
    NoHeader {
        /// The file.
        path: PathBuf,
        /// The first non-empty row of the first table, for the message.
        first_row: String,
    },
    /// A .doc needs LibreOffice, which is not installed.
    #[error("{}: .doc needs LibreOffice to convert it: install `libreoffice-writer` (Debian: apt-get install libreoffice-writer-nogui) or save the file as .docx", path.display())]
    NeedsLibreOffice {
        /// The file.
        path: PathBuf,
    },
    /// LibreOffice failed or timed out converting a .doc.
    #[error("{}: LibreOffice could not convert it to .docx: {detail}; open it in Word or WPS and save it as .docx", path.display())]
    Convert {
        /// The file.
        path: PathBuf,
        /// What happened.
        detail: String,
    },
    /// calamine could not read a workbook.
    #[error("{}: {location}: {detail}", path.display())]
    Xlsx {
        /// The file.
        path: PathBuf,
        /// The sheet or part.
        location: String,
        /// What calamine said.
        detail: String,
    },
}

fn member_suffix(member: &Option<String>) -> String {
    member
        .as_ref()
        .map(|m| format!(" (member {m})"))
        .unwrap_or_default()
}

impl ReadError {
    /// The CLI exit code: 2 for every read error (bad input, not a runtime failure).
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// Read a document by its content (zip magic / OLE magic), the extension only as a hint.
///
/// # Errors
/// [`ReadError`] when the file cannot be read, is of another format, is damaged or exceeds a limit.
pub fn read_document(path: &Path, limits: &Limits) -> Result<SourceDoc, ReadError> {
    let bytes = read_bounded(path, limits)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return read_zip(path, bytes, &ext, limits);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        if matches!(ext.as_str(), "xls" | "et") {
            return Err(ReadError::UnknownFormat {
                path: path.to_path_buf(),
                found: "a legacy Excel .xls workbook".into(),
            });
        }
        if matches!(ext.as_str(), "docx" | "xlsx") {
            return Err(ReadError::UnknownFormat {
                path: path.to_path_buf(),
                found: format!(
                    "an OLE2 file named .{ext}: a password-protected document or a renamed .doc"
                ),
            });
        }
        return super::doc::read(path, limits);
    }
    if bytes.starts_with(b"{\\rtf") {
        return super::doc::read(path, limits); // RTF saved as .doc: LibreOffice reads it too
    }
    Err(ReadError::UnknownFormat {
        path: path.to_path_buf(),
        found: describe(&bytes),
    })
}

/// Header by meaning, rows into areas and tasks.
///
/// # Errors
/// [`ReadError::NoTables`] or [`ReadError::NoHeader`] when no table can be understood as a plan.
pub fn structure(doc: SourceDoc) -> Result<SourcePlan, ReadError> {
    super::structure::structure(doc)
}

/// Both: [`read_document`] then [`structure`].
///
/// # Errors
/// Any [`ReadError`] of either step.
pub fn read_plan(path: &Path, limits: &Limits) -> Result<SourcePlan, ReadError> {
    structure(read_document(path, limits)?)
}

fn read_zip(
    path: &Path,
    bytes: Vec<u8>,
    ext: &str,
    limits: &Limits,
) -> Result<SourceDoc, ReadError> {
    let mut pkg = super::docx::Package::open(path, bytes, limits)?;
    if pkg.has("xl/workbook.xml") && !pkg.has("word/document.xml") {
        return super::xlsx::read(path, pkg.into_bytes(), limits);
    }
    if ext == "xlsx" && !pkg.has("word/document.xml") {
        return Err(ReadError::MissingPart {
            path: path.to_path_buf(),
            member: "xl/workbook.xml".into(),
            hint: "not an Excel workbook".into(),
        });
    }
    super::docx::read(path, &mut pkg, limits)
}

/// Reads the whole file, refusing one larger than the limit without reading it all.
fn read_bounded(path: &Path, limits: &Limits) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let too_large = |size| ReadError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: limits.max_file_bytes,
    };
    if size > limits.max_file_bytes {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(bytes.len() as u64)); // grew while we read it
    }
    Ok(bytes)
}

/// A short description of unknown content for the error message.
fn describe(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "the file is empty".into();
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).to_lowercase();
    if head.contains("<html") || head.contains("mime-version") {
        "it is a web page (HTML/MHT) saved with a Word extension".into()
    } else if head.starts_with("%pdf") {
        "it is a PDF".into()
    } else if head.starts_with("<?xml") {
        "it is a bare XML file (Word 2003 XML?)".into()
    } else {
        format!(
            "it starts with bytes {}",
            bytes
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
}
