//! Bad and hostile plan documents, and .doc through LibreOffice.
//!
//! Each bad input is read in a child process (this test binary, running only
//! [`probe_reads_the_file_named_in_the_environment`]) under GNU time, so the bound on time and
//! peak memory is measured on a process that did nothing else: not a zip, an empty file, a PDF,
//! a broken zip, a zip without word/document.xml, a table without a header, a 50 MB file, an
//! entity-expansion bomb, 100 000 nested elements, malformed XML, and a zip bomb
//! (tests/fixtures/import/zip-bomb.docx: 110 MiB of spaces in word/document.xml, 110 KB packed).
//! (.doc through LibreOffice: tests/it/import_read_doc.rs.)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use dutybell::import::read::{Limits, ReadError, read_document, read_plan};

use crate::helpers::repo;

const PROBE: &str = "DUTYBELL_IMPORT_PROBE";
/// A bound, not a speed test: a reader that expands a bomb or reads 50 MB misses it by far.
const MAX_WALL: Duration = Duration::from_secs(10);
/// Peak RSS of the child, beyond what the decompression limit itself allows.
const MAX_RSS_KIB: u64 = 64 * 1024;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// A minimal package: word/document.xml with `body`, stored (no compression).
fn docx(dir: &Path, name: &str, document: &str) -> PathBuf {
    zip_of(dir, name, &[("word/document.xml", document)])
}

fn zip_of(dir: &Path, name: &str, members: &[(&str, &str)]) -> PathBuf {
    let path = dir.join(name);
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (member, text) in members {
        z.start_file(*member, stored).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    path
}

fn document(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<w:document xmlns:w=\"{W}\"><w:body>{body}</w:body></w:document>"
    )
}

fn table(rows: &[&[&str]]) -> String {
    let rows: String = rows
        .iter()
        .map(|r| {
            let cells: String = r
                .iter()
                .map(|t| format!("<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>"))
                .collect();
            format!("<w:tr>{cells}</w:tr>")
        })
        .collect();
    format!("<w:tbl>{rows}</w:tbl>")
}

/// Not a test on its own when the variable is unset: then it reads a minimal plan in-process.
/// With `DUTYBELL_IMPORT_PROBE=FILE` (the child of [`bad_inputs_fail_clearly_within_bounds`])
/// it reads FILE and prints the outcome for the parent to check.
#[test]
fn probe_reads_the_file_named_in_the_environment() {
    let Ok(file) = std::env::var(PROBE) else {
        let dir = tempfile::tempdir().unwrap();
        let f = docx(
            dir.path(),
            "ok.docx",
            &document(&table(&[
                &["序号", "工作任务", "责任单位"],
                &["1", "任务", "食品室"],
            ])),
        );
        let plan = read_plan(&f, &Limits::default()).unwrap();
        assert_eq!(plan.areas[0].tasks.len(), 1);
        return;
    };
    match read_plan(Path::new(&file), &Limits::default()) {
        Ok(plan) => println!("PROBE-OK {}", plan.areas.len()),
        Err(e) => println!("PROBE-ERR {} {e}", e.exit_code()),
    }
}

struct Probe {
    line: String,
    wall: Duration,
    rss_kib: Option<u64>,
}

fn probe(file: &Path) -> Probe {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("time.txt");
    let exe = std::env::current_exe().unwrap();
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&stats).arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    cmd.args([
        "--exact",
        "import_read_bad::probe_reads_the_file_named_in_the_environment",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(PROBE, file);
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let wall = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.find("PROBE-").map(|i| &l[i..]))
        .unwrap_or_else(|| {
            panic!(
                "no probe line: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .to_string();
    let rss_kib = std::fs::read_to_string(&stats)
        .ok()
        .and_then(|s| s.lines().rev().find_map(|l| l.trim().parse().ok()));
    Probe {
        line,
        wall,
        rss_kib,
    }
}

#[test]
fn bad_inputs_fail_clearly_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let big = d.join("big.docx");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(50 * 1024 * 1024)
        .unwrap(); // sparse: no disk
    let laughs = "<!DOCTYPE w:document [<!ENTITY a \"哈哈哈哈哈哈哈哈\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\"><!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">]>";
    let cases: Vec<(PathBuf, Vec<&str>, u64)> = vec![
        (
            write("plain.docx", "这不是文档".as_bytes()),
            vec![
                "plain.docx: not a Word or Excel document",
                "save it from Word, WPS or Excel",
            ],
            0,
        ),
        (
            write("empty.docx", b""),
            vec![
                "empty.docx: not a Word or Excel document",
                "the file is empty",
            ],
            0,
        ),
        (
            write("report.docx", b"%PDF-1.7\n..."),
            vec!["it is a PDF"],
            0,
        ),
        (
            write("broken.docx", b"PK\x03\x04garbage that is no zip"),
            vec!["broken.docx: broken zip package"],
            0,
        ),
        (
            zip_of(d, "nodoc.docx", &[("hello.txt", "你好")]),
            vec![
                "nodoc.docx: the package has no word/document.xml",
                "not a Word document",
            ],
            0,
        ),
        (
            docx(
                d,
                "noheader.docx",
                &document(&table(&[&["甲", "乙"], &["丙", "丁"]])),
            ),
            vec![
                "noheader.docx: no table has a recognisable header row",
                "first row of table 1: 甲 | 乙",
            ],
            0,
        ),
        (
            docx(
                d,
                "notable.docx",
                &document("<w:p><w:r><w:t>只有正文</w:t></w:r></w:p>"),
            ),
            vec!["notable.docx: no table found"],
            0,
        ),
        (
            big.clone(),
            vec!["big.docx: the file is 52428800 bytes, more than the 20971520-byte limit"],
            0,
        ),
        (
            docx(
                d,
                "laughs.docx",
                &format!(
                    "<?xml version=\"1.0\"?>\n{laughs}<w:document xmlns:w=\"{W}\"><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>"
                ),
            ),
            vec!["laughs.docx: word/document.xml:2:1: DOCTYPE declarations are not allowed"],
            0,
        ),
        (
            docx(
                d,
                "deep.docx",
                &document(&("<w:p>".repeat(100_000) + &"</w:p>".repeat(100_000))),
            ),
            vec![
                "deep.docx: word/document.xml:2:",
                "nested deeper than 256 levels",
            ],
            0,
        ),
        (
            docx(
                d,
                "malformed.docx",
                &document("<w:tbl><w:tr><w:tc><w:p></w:tc></w:tr></w:tbl>"),
            ),
            vec!["malformed.docx: word/document.xml:2:"],
            0,
        ),
        (
            repo().join("tests/fixtures/import/zip-bomb.docx"),
            vec![
                "zip-bomb.docx: word/document.xml decompresses to more than the 104857600-byte limit",
            ],
            100 * 1024,
        ),
    ];
    for (file, wants, extra_kib) in cases {
        let p = probe(&file);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(p.line.starts_with("PROBE-ERR 2 "), "{name}: {}", p.line);
        for want in wants {
            assert!(p.line.contains(want), "{name}: {:?} lacks {want:?}", p.line);
        }
        assert!(p.wall <= MAX_WALL, "{name}: took {:?}", p.wall);
        if let Some(kib) = p.rss_kib {
            assert!(kib <= MAX_RSS_KIB + extra_kib, "{name}: peak RSS {kib} KiB");
        }
    }
}

#[test]
fn limits_on_cells_and_decompression_apply_to_word_and_excel() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<Vec<String>> = (0..30)
        .map(|r| (0..5).map(|c| format!("格{r}-{c}")).collect())
        .collect();
    let rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let f = docx(dir.path(), "cells.docx", &document(&table(&rows)));
    let small = Limits {
        max_cells: 100,
        ..Limits::default()
    };
    let err = read_document(&f, &small).unwrap_err();
    assert!(
        matches!(err, ReadError::TooManyCells { limit: 100, .. }),
        "{err}"
    );
    assert!(read_document(&f, &Limits::default()).is_ok());

    let xlsx = dir.path().join("book.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for r in 0..30u32 {
        sheet
            .write_string(r, 0, "一行很长的文字用来撑大共享字符串表".repeat(5))
            .unwrap();
    }
    book.save(&xlsx).unwrap();
    let tight = Limits {
        max_decompressed_bytes: 2000,
        ..Limits::default()
    };
    let err = read_document(&xlsx, &tight).unwrap_err();
    assert!(
        matches!(err, ReadError::DecompressedTooLarge { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("book.xlsx: "), "{err}");
    let few = Limits {
        max_cells: 10,
        ..Limits::default()
    };
    assert!(matches!(
        read_document(&xlsx, &few),
        Err(ReadError::TooManyCells { .. })
    ));

    let ole = dir.path().join("old.xls");
    std::fs::write(&ole, [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).unwrap();
    let err = read_document(&ole, &Limits::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("old.xls: not a Word or Excel document") && err.contains(".xls"),
        "{err}"
    );
}
