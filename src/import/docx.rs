//! Reads a .docx (Word, WPS, LibreOffice) into a [`SourceDoc`]: the zip package with bounded
//! decompression, the relationships that name the main part, numbering and styles, then the body
//! walk (src/import/docx_body.rs) with automatic numbering (src/import/docx_numbering.rs).
//!
//! Why not a docx crate: docx-rs 0.4.22 (the maintained reader) was tried first on the test
//! fixtures (tests/fixtures/import/make_fixtures.py). It read the seed's merged cells, but its
//! run reader keys on the literal `w:` prefix (and other readers on local names without the
//! namespace), so a WPS-like file with the main namespace bound to `ns0:` came back with every
//! cell empty; the paragraph after a nested table was lost; it models numbering but does not
//! render the numbers; and it bounds neither decompressed size nor XML depth. So the tables are
//! read here with the `zip` crate and quick-xml, matching on namespace URIs.

use std::io::{Cursor, Read};
use std::path::Path;

use zip::ZipArchive;

use super::docx_numbering::Numbering;
use super::docx_xml::{Node, Walker};
use super::read::{Limits, ReadError};
use super::source::{DocFormat, SourceDoc};

/// A zip package opened for reading, with a decompression budget shared by all its parts.
pub(super) struct Package<'p> {
    path: &'p Path,
    archive: ZipArchive<Cursor<Vec<u8>>>,
    budget: u64,
    limit: u64,
}

impl<'p> Package<'p> {
    /// Opens the package held in `bytes` (the content of `path`).
    pub fn open(path: &'p Path, bytes: Vec<u8>, limits: &Limits) -> Result<Self, ReadError> {
        let archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| ReadError::BadZip {
            path: path.to_path_buf(),
            member: None,
            detail: e.to_string(),
        })?;
        Ok(Package {
            path,
            archive,
            budget: limits.max_decompressed_bytes,
            limit: limits.max_decompressed_bytes,
        })
    }

    /// The package's bytes back (to hand a workbook to calamine).
    pub fn into_bytes(self) -> Vec<u8> {
        self.archive.into_inner().into_inner()
    }

    /// Whether the package holds `name`.
    pub fn has(&self, name: &str) -> bool {
        self.archive.index_for_name(name).is_some()
    }

    /// The text of `name`, or `None` when the package has no such part.
    pub fn read_text(&mut self, name: &str) -> Result<Option<String>, ReadError> {
        let Some(index) = self.archive.index_for_name(name) else {
            return Ok(None);
        };
        let bad = |detail: String| ReadError::BadZip {
            path: self.path.to_path_buf(),
            member: Some(name.to_string()),
            detail,
        };
        let file = self
            .archive
            .by_index(index)
            .map_err(|e| bad(e.to_string()))?;
        let mut bytes = Vec::new();
        // read one byte past the budget to know it was exceeded, whatever the header claims
        file.take(self.budget + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(e.to_string()))?;
        if bytes.len() as u64 > self.budget {
            return Err(ReadError::DecompressedTooLarge {
                path: self.path.to_path_buf(),
                member: name.to_string(),
                limit: self.limit,
            });
        }
        self.budget -= bytes.len() as u64;
        if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            return Err(bad(
                "UTF-16 XML is not supported: save the file again as .docx".into(),
            ));
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|e| bad(format!("not UTF-8 text: {e}")))
    }
}

/// Reads the Word document in `pkg`.
pub(super) fn read(
    path: &Path,
    pkg: &mut Package<'_>,
    limits: &Limits,
) -> Result<SourceDoc, ReadError> {
    let main = relationship(pkg, "_rels/.rels", "", "/officeDocument", limits)?
        .filter(|m| pkg.has(m))
        .unwrap_or_else(|| "word/document.xml".to_string());
    let Some(xml) = pkg.read_text(&main)? else {
        return Err(ReadError::MissingPart {
            path: path.to_path_buf(),
            member: main,
            hint: "this zip is not a Word document; save the plan from Word or WPS as .docx".into(),
        });
    };
    let (dir, file) = main.rsplit_once('/').unwrap_or(("", main.as_str()));
    let rels = format!(
        "{}_rels/{file}.rels",
        if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        }
    );
    let part = |pkg: &mut Package<'_>, kind: &str, default: &str| {
        relationship(pkg, &rels, dir, kind, limits)
            .map(|found| found.unwrap_or_else(|| default.to_string()))
    };
    let numbering_part = part(pkg, "/numbering", "word/numbering.xml")?;
    let styles_part = part(pkg, "/styles", "word/styles.xml")?;
    let mut numbering = Numbering::default();
    if let Some(text) = pkg.read_text(&numbering_part)? {
        numbering.read_numbering(&text, path, &numbering_part, limits.max_xml_depth)?;
    }
    if let Some(text) = pkg.read_text(&styles_part)? {
        numbering.read_styles(&text, path, &styles_part, limits.max_xml_depth)?;
    }
    let (notes, tables) = super::docx_body::parse(&xml, path, &main, limits, &mut numbering)?;
    Ok(SourceDoc {
        path: path.to_path_buf(),
        format: DocFormat::Docx,
        notes,
        tables,
    })
}

/// The target of the first relationship in `rels` whose type ends with `kind`, resolved against
/// `dir` (the source part's folder), or `None` when there is none.
fn relationship(
    pkg: &mut Package<'_>,
    rels: &str,
    dir: &str,
    kind: &str,
    limits: &Limits,
) -> Result<Option<String>, ReadError> {
    let Some(xml) = pkg.read_text(rels)? else {
        return Ok(None);
    };
    let mut w = Walker::new(&xml, pkg.path, rels, limits.max_xml_depth);
    loop {
        match w.next()? {
            Node::Open(e) if e.local == "Relationship" => {
                let external = e.attr("TargetMode") == Some("External");
                if let (Some(t), Some(target), false) = (e.attr("Type"), e.attr("Target"), external)
                    && t.ends_with(kind)
                {
                    return Ok(Some(resolve(dir, target)));
                }
            }
            Node::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// A relationship target relative to `dir`, as a zip member name.
fn resolve(dir: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_string();
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn relationship_targets() {
        assert_eq!(resolve("word", "numbering.xml"), "word/numbering.xml");
        assert_eq!(resolve("", "word/document.xml"), "word/document.xml");
        assert_eq!(resolve("word", "/word/styles.xml"), "word/styles.xml");
        assert_eq!(
            resolve("word/sub", "../numbering.xml"),
            "word/numbering.xml"
        );
    }
}
