//! Fuzz the Word importer (`dutybell import`): arbitrary `word/document.xml` and
//! `word/numbering.xml` inside a well-formed .docx zip (so the XML readers, merged cells,
//! numbering and the header/structure pass see the input, not just the zip layer), or arbitrary
//! bytes behind a zip signature (the zip layer and its bounds). Must never panic, hang or grow
//! without bound; every refusal is a `ReadError`. The `.doc` (LibreOffice) path is left out: it
//! runs a child process per input.
#![no_main]

use std::io::Write;

use dutybell::import::read::{Limits, read_plan};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

fn docx(document: &str, numbering: &str) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default();
    for (name, body) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("word/document.xml", document),
        ("word/numbering.xml", numbering),
    ] {
        z.start_file(name, opts).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}

fuzz_target!(|input: (bool, &str, &str, &[u8])| {
    let (raw, document, numbering, bytes) = input;
    let content = if raw {
        [b"PK\x03\x04".as_slice(), bytes].concat()
    } else {
        docx(document, numbering)
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.docx");
    std::fs::write(&path, content).unwrap();
    let _ = read_plan(&path, &Limits::default());
});
